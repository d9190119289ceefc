"""Tests of the network bench: the shared workload numbers, the host's peer, log lines, the table."""

import socket
import threading
import unittest
import zlib

from bulkhead import bench
from bulkhead import linuxbench
from bulkhead import netbench
from bulkhead.util import Failure


class HeaderTest(unittest.TestCase):
    def test_numbers_agree_with_the_header(self):
        with open(netbench.WORKLOAD_HEADER, encoding="utf-8") as f:
            text = f.read()
        numbers = netbench.header_numbers(text)
        self.assertEqual(numbers["UDP_PORT"], netbench.UDP_PORT)
        self.assertEqual(numbers["SOURCE_PORT"], netbench.SOURCE_PORT)
        self.assertEqual(numbers["SINK_PORT"], netbench.SINK_PORT)
        self.assertEqual(numbers["UDP_BYTES"], netbench.UDP_BYTES)
        self.assertEqual(numbers["TCP_BYTES"], netbench.TCP_BYTES)
        self.assertEqual(numbers["PERIOD"], netbench.PERIOD)
        self.assertEqual(numbers["CHUNK"], netbench.CHUNK)
        self.assertIn("k * 2654435761u) >> 24", text)  # nw_byte, as pattern_byte computes it

    def test_header_numbers_parses_shifts_and_suffixes(self):
        text = "#define NW_A 47u\n#define NW_B (4u << 20) /* x */\n#define OTHER 3\n"
        self.assertEqual(netbench.header_numbers(text), {"A": 47, "B": 4 << 20})

    def test_pattern(self):
        self.assertEqual(netbench.pattern_byte(0), 0)
        self.assertEqual(netbench.pattern_byte(1), 2654435761 >> 24)
        self.assertEqual(netbench.pattern_byte(netbench.PERIOD + 1), netbench.pattern_byte(1))
        chunk = netbench.pattern(netbench.PERIOD * 3 - 2, 5)
        self.assertEqual(list(chunk), [netbench.pattern_byte(netbench.PERIOD * 3 - 2 + k)
                                       for k in range(5)])


def _serve(function, request):
    """Runs @function on one end of a socket pair, writes @request to the other; returns what
    came back."""
    ours, theirs = socket.socketpair()
    thread = threading.Thread(target=lambda: (function(theirs), theirs.close()))
    thread.start()
    ours.sendall(request)
    ours.shutdown(socket.SHUT_WR)
    got = b""
    while True:
        part = ours.recv(65536)
        if not part:
            break
        got += part
    thread.join(5)
    ours.close()
    return got


class ServiceTest(unittest.TestCase):
    def test_source_sends_the_pattern(self):
        total = 200000
        got = _serve(netbench.serve_source, total.to_bytes(8, "little"))
        self.assertEqual(len(got), total)
        self.assertEqual(got, bytes(netbench.pattern_byte(i) for i in range(total)))

    def test_sink_answers_the_crc(self):
        data = b"".join(netbench.pattern(at, 1000) for at in range(0, 100000, 1000))
        got = _serve(netbench.serve_sink, len(data).to_bytes(8, "little") + data)
        self.assertEqual(got, zlib.crc32(data).to_bytes(4, "little"))

    def test_sink_crc_of_changed_data_differs(self):
        data = bytearray(netbench.pattern(0, 5000))
        data[4000] ^= 1
        got = _serve(netbench.serve_sink, len(data).to_bytes(8, "little") + bytes(data))
        self.assertNotEqual(got, zlib.crc32(netbench.pattern(0, 5000)).to_bytes(4, "little"))

    def test_peer_refuses_a_taken_port(self):
        taken = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        try:
            taken.bind(("127.0.0.1", netbench.UDP_PORT))
        except OSError:
            self.skipTest("the port is in use on this host")
        with taken, self.assertRaises(Failure):
            with netbench.Peer():
                pass


class LogTest(unittest.TestCase):
    LINES = [
        "netbench: INFO calibrate net_udp turn_insns=812",
        "netbench: BEGIN net_tcp_rx",
        "netbench: END net_tcp_rx bytes=4000000",
        "netbench: BENCH net_tcp_rx_byte_milli 2345",
        "netbench: BENCH net_udp64_rtt 40000",
        "netbench: DONE",
    ]

    def test_both_guests_lines(self):
        log = linuxbench.StorageLog(netbench.PREFIX)
        for k, line in enumerate(self.LINES):
            self.assertTrue(log.feed(line, 10.0 + 2 * (k == 2)))
        self.assertTrue(log.done)
        self.assertEqual(log.values["net_tcp_rx_byte_milli"], 2345)
        self.assertEqual(log.values["net_udp64_rtt"], 40000)
        self.assertAlmostEqual(log.values["net_tcp_rx_mbs"], 2.0)
        self.assertEqual(log.info["calibrate net_udp"], {"turn_insns": 812})
        self.assertFalse(log.feed("blkbench: BENCH x 1", 0))


class TableTest(unittest.TestCase):
    def results(self):
        return {"off": {"net_udp64_rtt": 30000, "net_tcp_rx_byte_milli": 900,
                        "net_tcp_rx_mbs": 20.0, "sw:net_udp64_rtt": 36000},
                "force": {"net_udp64_rtt": 50000, "net_tcp_rx_byte_milli": 1100,
                          "sw:net_udp64_rtt": 60000}}

    def table(self, linux):
        text = netbench.format_table(self.results(), ("off", "force"), ["off", "forced"], linux)
        return {line.split()[0]: line for line in text.splitlines()[1:]}

    def test_targets_and_ratios(self):
        rows = self.table({"values": {"net_udp64_rtt": 80000, "net_tcp_rx_byte_milli": 1000,
                                      "net_tcp_rx_mbs": 10.0}})
        self.assertIn("above target (forced)", rows["net_udp64_rtt"])  # 50000 > 80000 / 2
        self.assertIn("0.38x Linux", rows["net_udp64_rtt"])
        self.assertIn("above target (forced)", rows["net_tcp_rx_byte_milli"])
        self.assertIn("2.00x Linux", rows["net_tcp_rx_mbs"])
        self.assertNotIn("above", rows["net_tcp_rx_mbs"])  # wall time has no target
        self.assertIn("1.20x / 1.20x driver alone", rows["sw:net_udp64_rtt"])
        self.assertIn("above target (forced)", rows["sw:net_udp64_rtt"])  # 60000 > 80000 / 2
        self.assertIn("0.45x Linux", rows["sw:net_udp64_rtt"])
        self.assertIn("missing", rows["net_tcp_tx_byte_milli"])

    def test_without_linux(self):
        rows = self.table({"failure": "no kernel"})
        self.assertNotIn("above", rows["net_udp64_rtt"])
        self.assertNotIn("Linux", rows["net_udp64_rtt"].split("<= Linux/2")[1])

    def test_net_is_a_part(self):
        self.assertIn("net", bench.PARTS)


if __name__ == "__main__":
    unittest.main()
