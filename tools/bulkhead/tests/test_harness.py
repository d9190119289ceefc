"""Tests of the harness's verdict on one boot: pass, missing verdict, timeout, panic, FAIL, monitor.

A shell script stands in for QEMU: the harness reads its stdout as it reads
the serial console, so each case is a script that prints what a guest would.
"""

import io
import os
import shutil
import tempfile
import unittest

from bulkhead import expect
from bulkhead import harness
from bulkhead import monitor
from bulkhead import qemu
from bulkhead.tests.test_monitor import FakeMonitor

EXPECT = ("expect ^a: TEST one PASS$\n"
          "expect ^b: TEST two PASS$\n"
          "reject stopped:\n")


class BootTest(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="bulkhead-test-harness-")
        self.addCleanup(shutil.rmtree, self.dir, True)
        self.log = io.StringIO()

    def verdict(self, script, text=EXPECT, timeout=10.0, mon=None):
        """Runs @script as the machine and returns the harness's verdict (None: PASS).

        The machine first prints the kernel's mitigations line, as the kernel
        does at every boot (the harness requires it).
        """
        spec = expect.parse(text, os.path.join(self.dir, "expect"))
        script = "echo 'bulkhead: mitigations (auto): cpu test'; " + script
        machine = qemu.Machine(["sh", "-c", script], os.path.join(self.dir, "stderr"))
        return harness._run(machine, harness._matcher(spec, ("bios", "cdrom"), None), timeout,
                            self.log, mon)


class VerdictTest(BootTest):
    def test_kernel_mitigations_line_required(self):
        spec = expect.parse(EXPECT, os.path.join(self.dir, "expect"))
        machine = qemu.Machine(["sh", "-c", "echo 'a: TEST one PASS'; echo 'b: TEST two PASS';"
                                " exec sleep 30"], os.path.join(self.dir, "stderr"))
        reason = harness._run(machine, harness._matcher(spec, ("bios", "cdrom"), None), 0.5,
                              self.log, None)
        self.assertIn("missing: /^bulkhead: mitigations \\(auto\\)/", reason)

    def test_pass_as_soon_as_everything_matched(self):
        self.assertIsNone(self.verdict("echo 'a: TEST one PASS'; echo 'b: TEST two PASS';"
                                       " exec sleep 30"))
        self.assertIn("b: TEST two PASS\n", self.log.getvalue())

    def test_missing_verdict(self):
        reason = self.verdict("echo 'a: TEST one PASS'; exit 3")
        self.assertIn("QEMU exited before all expects matched", reason)
        self.assertIn("exit status 3", reason)
        self.assertIn("missing: /^b: TEST two PASS$/", reason)
        self.assertNotIn("TEST one", reason)

    def test_timeout(self):
        reason = self.verdict("echo 'a: TEST one PASS'; exec sleep 30", timeout=0.5)
        self.assertEqual(reason, "timeout after 0.5 s; missing: /^b: TEST two PASS$/")

    def test_panic_line(self):
        reason = self.verdict("echo 'a: TEST one PASS'; echo 'bulkhead: PANIC: double fault';"
                              " echo 'b: TEST two PASS'")
        self.assertIn("serial line 3 matched reject /bulkhead: PANIC/", reason)

    def test_fail_line_even_after_its_pass(self):
        reason = self.verdict("echo 'a: TEST one PASS'; echo 'a: TEST one FAIL again';"
                              " echo 'b: TEST two PASS'")
        self.assertIn("matched reject", reason)
        self.assertIn("a: TEST one FAIL again", reason)

    def test_own_reject(self):
        reason = self.verdict("echo 'bulkhead: domain a stopped: page fault'")
        self.assertIn("/stopped:/", reason)

    def test_silent_machine(self):
        reason = self.verdict("exit 0")
        self.assertIn("status 0", reason)
        self.assertIn("missing: /^a: TEST one PASS$/, /^b: TEST two PASS$/", reason)


class MonitorVerdictTest(BootTest):
    """`monitor COMMAND after REGEX` in a whole boot: the guest waits for the event
    (a flag file the fake monitor creates when it gets a command) for about 2 s."""

    WAITER = ("echo 'a: TEST one PASS'; echo 'b: ready'; i=0; while [ ! -e {flag} ]; do"
              " i=$((i+1)); [ $i -gt 40 ] && exit 5; sleep 0.05; done;"
              " echo 'b: TEST two PASS'; exec sleep 30")

    def run_with_monitor(self, text, replies):
        flag = os.path.join(self.dir, "flag")
        mon = monitor.Monitor(expect.parse(text, os.path.join(self.dir, "expect")).monitor)
        self.addCleanup(mon.close)
        mon.flags()
        fake = FakeMonitor(mon.path, replies,
                           on_command=lambda _: open(flag, "w", encoding="utf-8").close())
        self.addCleanup(fake.close)
        return self.verdict(self.WAITER.format(flag=flag), text, mon=mon), fake

    def test_command_sent_when_its_line_comes(self):
        verdict, fake = self.run_with_monitor(EXPECT + "monitor nmi after ^b: ready$\n",
                                              {"nmi": ""})
        self.assertIsNone(verdict)
        self.assertEqual(fake.received, ["nmi"])
        self.assertIn("# monitor: nmi -> (no output)", self.log.getvalue())

    def test_without_the_command_the_guest_gives_up(self):
        verdict, fake = self.run_with_monitor(EXPECT + "monitor nmi after ^never$\n",
                                              {"nmi": ""})
        self.assertIn("QEMU exited before all expects matched", verdict)
        self.assertEqual(fake.received, [])

    def test_refused_command_fails(self):
        verdict, _ = self.run_with_monitor(EXPECT + "monitor nmj after ^b: ready$\n",
                                           {"nmi": ""})
        self.assertEqual(verdict, "monitor: 'nmj' refused: unknown command: 'nmj'")

    def test_unreachable_monitor_while_qemu_runs_fails(self):
        mon = monitor.Monitor([("nmi", expect.Pattern("^b: ready$", 1))])
        self.addCleanup(mon.close)
        mon.flags()  # nobody listens
        verdict = self.verdict(self.WAITER.format(flag="/nonexistent"), mon=mon)
        self.assertIn("monitor: cannot send 'nmi' to the QEMU monitor", verdict)

    def test_unreachable_monitor_after_qemu_ended_is_judged_by_the_exit(self):
        mon = monitor.Monitor([("nmi", expect.Pattern("^b: ready$", 1))])
        self.addCleanup(mon.close)
        mon.flags()
        verdict = self.verdict("echo 'b: ready'; exit 3", mon=mon)
        self.assertIn("QEMU exited before all expects matched", verdict)
        self.assertIn("# monitor: nmi -> cannot send", self.log.getvalue())


if __name__ == "__main__":
    unittest.main()
