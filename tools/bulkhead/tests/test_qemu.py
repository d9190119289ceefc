"""Tests of serial-line cleaning and the meaning of QEMU exit statuses."""

import os
import tempfile
import time
import unittest

from bulkhead import qemu


class CleanLineTest(unittest.TestCase):
    def test_strips_cr_and_escapes(self):
        raw = b"\x1b[H\x1b[J\x1b[1;1H\rbulkhead: hello\r"
        self.assertEqual(qemu.clean_line(raw), "bulkhead: hello")

    def test_strips_colour_and_keeps_tabs(self):
        self.assertEqual(qemu.clean_line("\x1b[0;32mok\x1b[0m\tdone"), "ok\tdone")

    def test_invalid_utf8_does_not_raise(self):
        self.assertEqual(qemu.clean_line(b"a\xffb"), "a\ufffdb")


class ExitTest(unittest.TestCase):
    def test_debug_exit_values(self):
        self.assertEqual(qemu.debug_exit_value(1), qemu.DEBUG_EXIT_CLEAN)
        self.assertEqual(qemu.debug_exit_value(3), qemu.DEBUG_EXIT_FAILED)
        self.assertEqual(qemu.debug_exit_value(7), 3)
        self.assertIsNone(qemu.debug_exit_value(0))
        self.assertIsNone(qemu.debug_exit_value(-9))
        self.assertIsNone(qemu.debug_exit_value(None))

    def test_describe(self):
        self.assertIn("cleanly", qemu.describe_exit(1))
        self.assertIn("panic", qemu.describe_exit(3))
        self.assertIn("reset", qemu.describe_exit(0))
        self.assertIn("signal 9", qemu.describe_exit(-9))
        failed = qemu.describe_exit(1, "qemu-system-x86_64: -cdrom x: Could not open 'x'\n")
        self.assertIn("Could not open", failed)

    def test_failed_to_start(self):
        err = "qemu-system-x86_64: -cdrom x: Could not open 'x'\n"
        self.assertTrue(qemu.failed_to_start(1, err))
        self.assertFalse(qemu.failed_to_start(1, ""))
        self.assertFalse(qemu.failed_to_start(3, err))
        self.assertFalse(qemu.failed_to_start(1, "qemu-system-x86_64: warning: TCG feature\n"))

    def test_command_modes(self):
        headless = qemu.command("/x.iso")
        self.assertEqual(headless[headless.index("-serial") + 1], "stdio")
        self.assertIn("isa-debug-exit,iobase=0xf4,iosize=0x04", headless)
        interactive = qemu.command("/x.iso", interactive=True)
        self.assertEqual(interactive[interactive.index("-serial") + 1], "mon:stdio")
        bench = qemu.command("/x.iso", extra=qemu.BENCH_FLAGS)
        self.assertIn("shift=0,sleep=off", bench)


class MachineTest(unittest.TestCase):
    """Machine reads any program's stdout the way it reads QEMU's serial console."""

    def run_machine(self, script, timeout=10.0):
        with tempfile.TemporaryDirectory() as tmp:
            machine = qemu.Machine(["sh", "-c", script], os.path.join(tmp, "stderr"))
            with machine:
                lines = list(machine.lines(time.monotonic() + timeout))
                status = None if machine.timed_out else machine.wait(5)
                stderr = machine.stderr_text()
        return lines, status, machine.timed_out, stderr

    def test_lines_across_chunks_and_final_partial_line(self):
        lines, status, timed_out, _ = self.run_machine(
            "printf 'one\\r\\ntw'; sleep 0.2; printf 'o\\n\\033[0mthree'; exit 3")
        self.assertEqual(lines, ["one", "two", "three"])
        self.assertEqual(status, 3)
        self.assertFalse(timed_out)

    def test_deadline(self):
        lines, _, timed_out, _ = self.run_machine("echo early; exec sleep 30", timeout=0.5)
        self.assertEqual(lines, ["early"])
        self.assertTrue(timed_out)

    def test_stderr_goes_to_its_file(self):
        _, _, _, stderr = self.run_machine("echo oops >&2")
        self.assertEqual(stderr, "oops\n")


if __name__ == "__main__":
    unittest.main()
