"""Tests of the `monitor` and `qemu-args` directives and of talking to QEMU's human monitor."""

import os
import socket
import threading
import unittest
from unittest import mock

from bulkhead import expect
from bulkhead import monitor
from bulkhead import qemu

PATH = "/repo/tests/system/nmi/expect"

# What QEMU 7.2's monitor sends: a banner, then per command its echo (with
# readline's cursor moves), the reply and the prompt.
BANNER = b"QEMU 7.2.22 monitor - type 'help' for more information\r\n(qemu) "


def parse(text):
    return expect.parse(text, PATH)


def echo(command):
    """The bytes QEMU's readline echoes for @command (one redraw per key, as it does)."""
    n = len(command)
    return b"".join(command[:i] + b"\x1b[K" + (b"\x1b[D" * i if i < n else b"\r\n")
                    for i in range(1, n + 1))


class FakeMonitor:
    """A UNIX-socket server that answers like QEMU's monitor: @replies maps a
    command to its reply lines; a command not in it is unknown. Records what it
    got and calls @on_command(command) before it answers."""

    def __init__(self, path, replies, silent=False, on_command=None):
        self.replies = replies
        self.silent = silent
        self.on_command = on_command
        self.received = []
        self.got_command = threading.Event()
        self.server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.server.bind(path)
        self.server.listen(1)
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self):
        try:
            conn, _ = self.server.accept()
        except OSError:  # closed before anyone connected
            return
        with conn:
            conn.sendall(BANNER)
            data = b""
            while True:
                chunk = conn.recv(1024)
                if not chunk:
                    return
                data += chunk
                while b"\n" in data:
                    line, data = data.split(b"\n", 1)
                    self._answer(conn, line)

    def _answer(self, conn, line):
        command = line.decode()
        self.received.append(command)
        self.got_command.set()
        if self.on_command:
            self.on_command(command)
        if self.silent:
            return
        word = command.split()[0]
        reply = self.replies.get(word, "unknown command: '%s'\r\n" % word)
        conn.sendall(echo(line) + reply.encode() + b"(qemu) ")

    def close(self):
        self.server.close()


class ParseTest(unittest.TestCase):
    def test_command_and_regex(self):
        self.assertEqual(monitor.parse("nmi after ^victim: ready$"), ("nmi", "^victim: ready$"))
        self.assertEqual(monitor.parse("sendkey ctrl-alt-delete   after\tx"),
                         ("sendkey ctrl-alt-delete", "x"))

    def test_regex_may_contain_after(self):
        self.assertEqual(monitor.parse("nmi after all \\d+ domains running after \\d+ cycles"),
                         ("nmi", "all \\d+ domains running after \\d+ cycles"))

    def test_missing_parts(self):
        for bad in ("nmi", "nmi after", "after x", "nmi afterwards x", " after x"):
            with self.assertRaises(ValueError, msg=bad):
                monitor.parse(bad)

    def test_directive(self):
        spec = parse("monitor nmi after ^a: ready\nmonitor info status after b  # c\nexpect x\n")
        self.assertEqual([(c, p.text, p.line) for c, p in spec.monitor],
                         [("nmi", "^a: ready", 1), ("info status", "b", 2)])

    def assertError(self, text, fragment):
        with self.assertRaises(expect.ExpectError) as ctx:
            parse(text)
        self.assertIn(fragment, str(ctx.exception))

    def test_bad_directive(self):
        self.assertError("expect x\nmonitor nmi\n", "expect:2: monitor 'nmi': expected COMMAND")
        self.assertError("expect x\nmonitor nmi after (\n", "expect:2: bad regex")
        self.assertError("expect x\nmonitor\n", "expect:2: monitor needs an argument")

    def test_reply_text(self):
        raw = echo(b"frob 1") + b"unknown command: 'frob'\r\n(qemu) "
        self.assertEqual(monitor.reply_text(raw), "unknown command: 'frob'")
        self.assertEqual(monitor.reply_text(echo(b"nmi") + b"(qemu) "), "")
        self.assertTrue(monitor.refused("unknown command: 'frob'"))
        self.assertFalse(monitor.refused("VM status: running"))
        self.assertFalse(monitor.refused(""))


class QemuArgsTest(unittest.TestCase):
    def test_allowed(self):
        spec = parse("qemu-args -icount shift=0,sleep=off\nqemu-args -seed 1 -cpu max,+pcid,"
                     "pmu=off\nqemu-args -rtc base=2024-01-01T00:00:00,clock=vm -smp 2\n"
                     "expect x\n")
        self.assertEqual(spec.qemu_args, [
            "-icount", "shift=0,sleep=off", "-seed", "1", "-cpu", "max,+pcid,pmu=off",
            "-rtc", "base=2024-01-01T00:00:00,clock=vm", "-smp", "2"])
        self.assertEqual(parse("expect x\n").qemu_args, [])

    def assertError(self, args, fragment):
        with self.assertRaises(expect.ExpectError) as ctx:
            parse("expect x\nqemu-args %s\n" % args)
        self.assertIn("expect:2: qemu-args: ", str(ctx.exception))
        self.assertIn(fragment, str(ctx.exception))

    def test_refused(self):
        self.assertError("-drive file=/etc/passwd", "'-drive' is not allowed (allowed: -blockdev, -cpu,")
        self.assertError("-serial stdio", "'-serial' is not allowed")
        self.assertError("-monitor stdio", "'-monitor' is not allowed")
        self.assertError("-icount", "-icount needs a value")
        self.assertError("-icount shift=0,rr=record,rrfile=x", "value 'shift=0,rr=record")
        self.assertError("-cpu max,x=/etc", "-cpu: value")
        self.assertError("-seed one", "-seed: value")
        self.assertError("shift=0", "'shift=0' is not allowed")

    def test_devices(self):
        spec = parse("qemu-args -device intel-iommu,intremap=on,aw-bits=48 -device edu\n"
                     "qemu-args -blockdev driver=null-co,node-name=d0,size=64M\n"
                     "qemu-args -device virtio-blk-pci,drive=d0,addr=04.0,iommu_platform=on\n"
                     "expect x\n")
        self.assertEqual(spec.qemu_args[:4], ["-device", "intel-iommu,intremap=on,aw-bits=48",
                                              "-device", "edu"])
        self.assertEqual(spec.qemu_args[-1], "virtio-blk-pci,drive=d0,addr=04.0,iommu_platform=on")

    def test_network(self):
        spec = parse("qemu-args -netdev user,id=n0 -device virtio-net-pci,netdev=n0,addr=05.0,"
                     "disable-legacy=on,iommu_platform=on,mac=52:54:00:12:34:56\nexpect x\n")
        self.assertEqual(spec.qemu_args[:2], ["-netdev", "user,id=n0"])
        self.assertEqual(spec.qemu_args[-1], "virtio-net-pci,netdev=n0,addr=05.0,"
                         "disable-legacy=on,iommu_platform=on,mac=52:54:00:12:34:56")

    def test_network_refused(self):
        self.assertError("-netdev user,id=n0,hostfwd=tcp::8080-:80", "-netdev: value")
        self.assertError("-netdev user,id=n0,guestfwd=tcp:10.0.2.100:1-cmd:sh", "-netdev: value")
        self.assertError("-netdev user,id=n0,smb=/etc", "-netdev: value")
        self.assertError("-netdev user,id=n0,tftp=/etc", "-netdev: value")
        self.assertError("-netdev tap,id=n0,script=/tmp/x", "-netdev: value")
        self.assertError("-netdev socket,id=n0,listen=:1234", "-netdev: value")
        self.assertError("-device virtio-net-pci,netdev=n0,romfile=/etc/passwd", "-device: value")

    def test_devices_refused(self):
        self.assertError("-device e1000", "-device: value 'e1000'")
        self.assertError("-device edu,romfile=/etc/passwd", "-device: value")
        self.assertError("-device intel-iommu,x-scalable-mode=on", "-device: value")
        self.assertError("-blockdev driver=file,node-name=d,filename=/etc/passwd", "-blockdev: value")
        self.assertError("-blockdev driver=null-co,node-name=d,x=/etc", "-blockdev: value")

    def test_in_the_argv(self):
        argv = qemu.command("/w/s.iso", extra=["-icount", "shift=0,sleep=off"])
        self.assertEqual(argv[-2:], ["-icount", "shift=0,sleep=off"])


class MonitorTest(unittest.TestCase):
    def setUp(self):
        self.mon = monitor.Monitor([("nmi", expect.Pattern("^a: ready$", 1)),
                                    ("info status", expect.Pattern("ready", 2))])
        self.addCleanup(self.mon.close)

    def serve(self, replies=None, silent=False):
        flags = self.mon.flags()
        self.assertEqual(flags, ["-monitor", "unix:%s,server=on,wait=off" % self.mon.path])
        fake = FakeMonitor(self.mon.path, replies or {}, silent)
        self.addCleanup(fake.close)
        return fake

    def test_no_triggers_no_monitor(self):
        self.assertEqual(monitor.Monitor([]).flags(), [])

    def test_each_trigger_once_in_order(self):
        fake = self.serve({"nmi": "", "info": "VM status: running\r\n"})
        self.assertEqual(self.mon.feed("b: ready"), [("info status", "VM status: running",
                                                      None)])
        self.assertEqual(self.mon.feed("a: ready"), [("nmi", "", None)])
        self.assertEqual(self.mon.feed("a: ready"), [])
        self.assertEqual(fake.received, ["info status", "nmi"])

    def test_one_line_can_fire_several(self):
        fake = self.serve({"nmi": "", "info": "VM status: running\r\n"})
        self.assertEqual([c for c, _, _ in self.mon.feed("a: ready")], ["nmi", "info status"])
        self.assertEqual(fake.received, ["nmi", "info status"])

    def test_unknown_command_reply(self):
        self.serve({})
        (_, reply, error), _ = self.mon.feed("a: ready")
        self.assertIsNone(error)
        self.assertTrue(monitor.refused(reply))

    def test_qemu_gone(self):
        self.mon.flags()  # nobody listens on the socket
        (command, reply, error), _ = self.mon.feed("a: ready")
        self.assertEqual((command, reply), ("nmi", None))
        self.assertIn("cannot send 'nmi' to the QEMU monitor", error)

    def test_silent_monitor_does_not_hang(self):
        fake = self.serve(silent=True)
        with mock.patch.object(monitor, "REPLY_TIMEOUT", 0.3):
            results = self.mon.feed("a: ready")
        self.assertIn("no reply within 0.3 s", results[0][2])
        self.assertTrue(fake.got_command.is_set())

    def test_close_removes_the_socket(self):
        self.serve({"nmi": ""})
        self.mon.feed("a: ready")
        directory = os.path.dirname(self.mon.path)
        self.mon.close()
        self.assertFalse(os.path.exists(directory))


if __name__ == "__main__":
    unittest.main()
