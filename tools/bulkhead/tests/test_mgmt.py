"""Tests of the management API's expect directives (host-ctl, host-curl, host-load,
host-prometheus) against the fake API (fakeapi.py) with certificates from keys.make."""

import os
import shutil
import tempfile
import threading
import time
import unittest
from unittest import mock

from bulkhead import expect
from bulkhead import hostnet
from bulkhead import keys
from bulkhead import load
from bulkhead import prom
from bulkhead.tests import fakeapi

HEAD = "expect ^x$\nqemu-args -netdev user,id=n0\n"


def peers_of(text):
    """The host peers of the one phase of expect file @text."""
    return expect.parse(HEAD + text, "/repo/tests/system/t/expect").phases[0].host_peers


class ParseTest(unittest.TestCase):
    def test_lines(self):
        ctl_peer, curl, body, load_peer, prom_peer = peers_of(
            "host-ctl 10.0.2.16:443 --user operator pause counter expect (?s)ok.*@@ exit 0"
            " after ^control: up\n"
            "host-curl 443 none GET /domains expect ^@@ tls-refused$ after ^control: up\n"
            "host-curl 443 admin POST /domains/c/replace {\"image\":2} expect @@ 200 after ^up\n"
            "host-load 443 10000 8 long 20000 /domains after ^control\n"
            "host-prometheus 443 bulkhead_domain_cycles_total{domain=\"c\"} > 0 expect "
            "\"value\" after ^control\n")
        self.assertEqual((ctl_peer.guest_addr, ctl_peer.guest_port), ("10.0.2.16", 443))
        self.assertEqual(ctl_peer.argv, ["--user", "operator", "pause", "counter"])
        self.assertEqual(ctl_peer.want.text, "(?s)ok.*@@ exit 0")
        self.assertEqual(ctl_peer.pattern.text, "^control: up")
        self.assertEqual((curl.cert, curl.method, curl.path, curl.body),
                         ("none", "GET", "/domains", None))
        self.assertEqual(body.body, "{\"image\":2}")
        self.assertEqual((load_peer.requests, load_peer.clients, load_peer.path),
                         ((10000, 20000), 8, "/domains"))
        self.assertEqual(prom_peer.query, "bulkhead_domain_cycles_total{domain=\"c\"} > 0")
        self.assertTrue(all(p.needs_keys for p in (ctl_peer, curl, load_peer, prom_peer)))
        self.assertEqual(load.parse("443 5 2 /x after ^y")[1], (5, 5))
        self.assertEqual(load.parse("443 5 2 /x watch counter after ^y")[3:], ("/x", "^y",
                                                                               "counter"))

    def test_bad_lines(self):
        bad = ["host-ctl 443 expect x after ^y", "host-ctl 443 list after ^y",
               "host-ctl 443 --host h list expect x after ^y",
               "host-ctl 443 --keys=/k list expect x after ^y",
               "host-ctl 99999 list expect x after ^y",
               "host-curl 443 root GET / expect x after ^y",
               "host-curl 443 admin PUT / expect x after ^y",
               "host-curl 443 admin GET domains expect x after ^y",
               "host-curl 443 admin GET / a b expect x after ^y",
               "host-load 443 10 0 /x after ^y", "host-load 443 2 8 /x after ^y",
               "host-load 443 10 2 long 5 /x after ^y", "host-load 443 10 2 x after ^y",
               "host-load 443 10 2 /x", "host-prometheus 443 expect x after ^y",
               "host-prometheus 443 up expect ( after ^y"]
        for line in bad:
            with self.assertRaises(expect.ExpectError, msg=line):
                peers_of(line + "\n")


@unittest.skipUnless(shutil.which("openssl") and shutil.which("curl"), "needs openssl, curl")
class CheckTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="bulkhead-mgmt-test-")
        cls.keys = keys.KeySet(os.path.join(cls.tmp, "keys"))
        keys.make(cls.keys.dir, refused=True)

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def setUp(self):
        self.server = fakeapi.Server(self.keys.dir).serve()
        self.addCleanup(self.server.stop)

    def check(self, line):
        """Runs the check of expect line @line against the fake. Returns (reason, summary)."""
        peer, = peers_of(line + " after ^x\n")
        peer.host_port = self.server.port
        return peer.check(False, self.keys)

    def test_host_ctl(self):
        reason, what = self.check("host-ctl 443 --user operator pause counter expect "
                                  "^counter: pause ok, state paused\\n@@ exit 0\\n$")
        self.assertEqual((reason, what), (None, "exit 0: 'counter: pause ok, state paused\\n"
                                                "@@ exit 0\\n'"))
        reason, _ = self.check("host-ctl 443 --user operator destroy logger expect "
                               "^bulkhead ctl: 403 Forbidden: destroy needs the admin role.*\\n"
                               "@@ exit 1\\n$")
        self.assertIsNone(reason)
        reason, _ = self.check("host-ctl 443 list expect @@ exit 1")
        self.assertRegex(reason, r"does not match '@@ exit 1'")
        self.assertIn("operator (operator) POST /domains/logger/destroy -> 403",
                      self.server.audit)

    def test_host_ctl_refused(self):
        reason, _ = self.check("host-ctl 443 --user foreign list expect (?s)refused the TLS "
                               "handshake: certificate rejected.*\\n@@ exit 2\\n$")
        self.assertIsNone(reason)

    def test_host_curl(self):
        reason, what = self.check("host-curl 443 admin GET /domains/logger expect "
                                  "(?s)^\\{\"name\": \"logger\".*\\}\\n@@ 200\\n$")
        self.assertIsNone(reason)
        self.assertTrue(what.startswith("status 200: '{\"name\": \"logger\""), what)
        self.assertIsNone(self.check("host-curl 443 admin POST /domains/logger/replace "
                                     "{\"image\":4} expect \"state\": \"running\".*\\n@@ 200")[0])
        self.assertEqual(self.server.domains["logger"]["image"], 4)
        self.assertIsNone(self.check("host-curl 443 operator POST /domains/logger/destroy "
                                     "expect ^\\{\"error\": \"destroy needs the admin role.*"
                                     "\\n@@ 403\\n$")[0])
        self.assertIsNone(self.check("host-curl 443 reader POST /domains/counter/pause expect"
                                     " @@ 403")[0])
        reason, _ = self.check("host-curl 443 reader GET /nowhere expect @@ 200")
        self.assertRegex(reason, r"'\{\"error\": \"no such path: /nowhere\"\}\\n@@ 404\\n'"
                         r" does not match")

    def test_host_curl_refused_at_tls(self):
        for cert in ("none", "foreign", "expired"):
            reason, what = self.check("host-curl 443 %s GET /domains expect ^@@ tls-refused\\n$"
                                      % cert)
            self.assertIsNone(reason, cert)
            self.assertIn("TLS refused", what)
        reason, _ = self.check("host-curl 443 admin GET /domains expect ^@@ tls-refused")
        self.assertIn("does not match", reason)
        self.assertEqual(self.server.connections, 1)

    def test_host_curl_checks_the_server(self):
        other = keys.KeySet(self.keys.dir)
        other.ca = os.path.join(self.keys.dir, "foreign-ca.crt")
        peer, = peers_of("host-curl 443 admin GET /domains expect @@ after ^x\n")
        peer.host_port = self.server.port
        reason, _ = peer.check(False, other)
        self.assertIn("the server's certificate does not verify", reason)

    def test_host_load(self):
        reason, what = self.check("host-load 443 200 8 /domains")
        self.assertIsNone(reason, reason)
        self.assertRegex(what, r"^200 requests from 8 clients: 200 answered 200 with JSON, "
                         r"0 failures, [\d.]+ s wall")
        self.assertEqual(self.server.connections, 8)
        self.assertEqual(len(self.server.audit), 200)

    def test_host_load_fails(self):
        reason, _ = self.check("host-load 443 10 2 /nowhere")
        self.assertRegex(reason, r"^10 of 10 requests not answered 200 with JSON;.*client 1, "
                         r"request 1: 404 with a JSON body")
        reason, _ = self.check("host-load 443 10 2 /metrics")
        self.assertIn("not JSON", reason)
        self.server.close_each = True
        reason, _ = self.check("host-load 443 10 2 /domains")
        self.assertIn("the connection did not persist (5 connects)", reason)

    def test_host_load_watch(self):
        reason, _ = self.check("host-load 443 10 2 /domains watch logger")
        self.assertEqual(reason, "logger made no progress during the load (cycles 7, then 7)")
        self.server.running = True
        reason, what = self.check("host-load 443 10 2 /domains watch logger")
        self.assertIsNone(reason, reason)
        self.assertRegex(what, r"; logger ran \d+ cycles meanwhile, the control domain 0 ")
        reason, _ = self.check("host-load 443 10 2 /domains watch nobody")
        self.assertRegex(reason, r"^watching nobody: GET /domains/nobody answered 404")

    def test_host_load_request_without_answer(self):
        self.server.delay = threading.Event()
        with mock.patch.object(load, "REQUEST_TIMEOUT", 1.0):
            reason, _ = self.check("host-load 443 4 2 /domains")
        self.assertRegex(reason, r"^4 of 4 requests not answered.*client 1, request 1: cannot "
                         r"reach 127\.0\.0\.1:\d+: no answer within 1 s \(1 not sent\)")


@unittest.skipUnless(shutil.which("openssl") and shutil.which("prometheus") and
                     shutil.which("promtool"), "needs openssl and prometheus")
class PrometheusTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="bulkhead-prom-test-")
        cls.keys = keys.KeySet(os.path.join(cls.tmp, "keys"))
        keys.make(cls.keys.dir, refused=True)

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def setUp(self):
        self.server = fakeapi.Server(self.keys.dir).serve()
        self.addCleanup(self.server.stop)

    def check(self, query, want):
        peer, = peers_of("host-prometheus 443 %s expect %s after ^x\n" % (query, want))
        peer.host_port = self.server.port
        return peer.check(False, self.keys)

    def test_scrape_and_query(self):
        with mock.patch.object(prom, "QUERY_TIMEOUT", 3.0):
            reason, what = self.check("bulkhead_domain_cycles_total{domain=\"logger\"}",
                                      "\"result\": \\[\\{\"metric\": \\{.*\"domain\": "
                                      "\"logger\".*\"1001\"\\]")
            self.assertIsNone(reason, reason)
            self.assertIn("promtool check metrics passed", what)
            reason, _ = self.check("bulkhead_domain_cycles_total{domain=\"logger\"}", "\"7\"")
            self.assertIn("does not match", reason)
        self.assertTrue(any(a.startswith("reader (reader) GET /metrics -> 200")
                            for a in self.server.audit))

    def test_promtool_complaint(self):
        self.server.metrics_text = "# TYPE bulkhead_cycles counter\nbulkhead_cycles 1\n"
        reason, _ = self.check("bulkhead_cycles", "1")
        self.assertRegex(reason, r"^promtool check metrics: .*_total")

    def test_target_never_up(self):
        with mock.patch.object(prom, "check_metrics", return_value=None), \
                mock.patch.object(prom, "UP_TIMEOUT", 4.0):
            peer, = peers_of("host-prometheus 443 up expect 1 after ^x\n")
            peer.host_port = hostnet.free_port("tcp")
            reason, _ = peer.check(False, self.keys)
        self.assertRegex(reason, r"^the target was not up within 4 s")


    def test_an_interrupted_check_stops_prometheus(self):
        peer, = peers_of("host-prometheus 443 up expect 1 after ^go\n")

        def drain():
            if peer.proc is not None:
                raise KeyboardInterrupt
        with mock.patch.object(prom, "check_metrics", return_value=None):
            peers = hostnet.Peers([peer], keys=self.keys, drain=drain)
            with self.assertRaises(KeyboardInterrupt):
                peers.feed("go", mock.Mock())
        self.assertIsNotNone(peer.proc.poll(), "prometheus still runs")


class MachineDrainTest(unittest.TestCase):
    def test_drained_lines_come_in_order(self):
        from bulkhead import qemu
        tmp = tempfile.mkdtemp(prefix="bulkhead-drain-test-")
        self.addCleanup(shutil.rmtree, tmp, True)
        machine = qemu.Machine(["seq", "1", "200000"], os.path.join(tmp, "stderr"))
        with machine:
            first = machine.read_lines(10)
            deadline = time.monotonic() + 30
            while machine.proc.poll() is None and time.monotonic() < deadline:
                machine.drain()  # seq (1.3 MB) ends only if the pipe is drained
                time.sleep(0.01)
            self.assertIsNotNone(machine.proc.poll(), "seq still waits on a full pipe")
            lines = list(first) + list(machine.lines(float("inf")))
        self.assertEqual(lines, [str(n) for n in range(1, 200001)])


class PeersTest(unittest.TestCase):
    class _Slow:
        proto = "tcp"
        needs_keys = False
        guest_addr, guest_port = "", 1

        def __init__(self, pattern):
            self.pattern = pattern

        def check(self, _long_run, _keys):
            threading.Event().wait(0.5)
            return None, "slow ok"

    def test_checks_run_while_the_serial_drains(self):
        drained = []
        peer = self._Slow(expect.Pattern("^go$", 1))
        peers = hostnet.Peers([peer], drain=lambda: drained.append(1))
        log = mock.Mock()
        self.assertIsNone(peers.feed("go", log))
        self.assertGreaterEqual(len(drained), 2)
        self.assertIn("slow ok", log.write.call_args[0][0])

    def test_the_harness_gives_keys_to_management_checks_only(self):
        from bulkhead import harness
        spec = expect.parse(HEAD + "host-tcp-echo 7 8 after ^go\nreboot\nexpect ^y$\n"
                            "host-ctl 443 list expect x after ^go\n", "/r/t/expect")
        with mock.patch.object(keys, "test_keys", return_value="the keys") as made:
            self.assertIsNone(harness._test_keys(spec.phases[0]))
            self.assertEqual(harness._test_keys(spec.phases[1]), "the keys")
        made.assert_called_once_with()

    def test_a_management_check_needs_keys(self):
        peer, = peers_of("host-ctl 443 list expect x after ^go\n")
        reason = hostnet.Peers([peer]).feed("go", mock.Mock())
        self.assertRegex(reason, "no keys for the management API")


if __name__ == "__main__":
    unittest.main()
