"""Tests of the power-loss directives: phases, power cut, journal-acked, disk-tear, the write cache.

The phases and directives are parsed as expect.py reads them; the power cut runs
against a shell script standing in for QEMU (as in test_harness); the volatile
write cache serves a real image to qemu-io over NBD.
"""

import io
import json
import os
import shutil
import subprocess
import tempfile
import time
import unittest
from unittest import mock

from bulkhead import disk
from bulkhead import expect
from bulkhead import harness
from bulkhead import qemu
from bulkhead import wcache

PATH = "/repo/tests/system/power/expect"
TWO_PHASES = ("disk 1M zero\n"
              "expect ^a: replay found 0$\n"
              "power-cut after ^a: record \\d+ flushed \\(3 this boot\\)$\n"
              "reject oops\n"
              "disk-check 0 65536 journal-acked a\n"
              "disk-tear 0 65536 journal\n"
              "reboot\n"
              "repeat 2 long 5\n"
              "expect ^a: replay found @RECORDS:a@$\n"
              "disk-check 65536 65536 zero\n")


def parse(text):
    return expect.parse(text, PATH)


class PhaseParseTest(unittest.TestCase):
    def test_phases_split_at_reboot(self):
        spec = parse(TWO_PHASES)
        first, second = spec.phases
        self.assertEqual([p.text for p in first.expects], ["^a: replay found 0$"])
        self.assertIn("oops", [p.text for p in first.rejects])
        self.assertNotIn("oops", [p.text for p in second.rejects])
        self.assertIn(expect.BUILTIN_REJECTS[0], [p.text for p in second.rejects])
        self.assertEqual(first.power_cut.text, "^a: record \\d+ flushed \\(3 this boot\\)$")
        self.assertIsNone(second.power_cut)
        self.assertEqual([repr(s) for s in first.host_steps],
                         ["disk-check 0 65536 journal-acked a", "disk-tear 0 65536 journal"])
        self.assertEqual([repr(s) for s in second.host_steps], ["disk-check 65536 65536 zero"])
        self.assertEqual((first.runs(False), second.runs(False), second.runs(True)), (1, 2, 5))
        self.assertIs(spec.expects, first.expects)  # a test's first phase, as before

    def assertError(self, text, fragment):
        with self.assertRaises(expect.ExpectError) as ctx:
            parse(text)
        self.assertIn(fragment, str(ctx.exception))

    def test_refusals(self):
        self.assertError("expect a\nreboot\nreject b\n", "phase 2 has no `expect` line")
        self.assertError("expect a\nreboot now\n", "expect:2: reboot takes no argument")
        self.assertError("expect a\npower-cut ^x$\n", "expected `power-cut after REGEX`")
        self.assertError("expect a\npower-cut after x\npower-cut after y\n", "given twice")
        self.assertError("expect a\nrepeat 2\n", "expected `repeat N long M`")
        self.assertError("expect a\nrepeat 3 long 2\n", "1 <= N <= M")
        self.assertError("expect a\nrepeat 0 long 2\n", "1 <= N <= M")
        self.assertError("expect a @RECORDS:a@\n", "no earlier phase has a `disk-check ...")
        self.assertError("disk 1M zero\nexpect a\ndisk-check 0 512 journal-acked a\n"
                         "reboot\nexpect @RECORDS:b@\n", "journal-acked b")
        self.assertError("expect a\nboot bios cdrom\nboot uefi cdrom\nreboot\nexpect b\n",
                         "give at most one `boot` line")
        self.assertError("expect a\ndisk-tear 0 512 journal\n", "needs a `disk` line")
        self.assertError("disk 1M zero\nexpect a\ndisk-cache fast\n", "disk-cache volatile")
        for bad in ("0 512 journal-acked", "0 512 journal-acked a b", "0 500 journal-acked a",
                    "0 2M journal-acked a"):
            self.assertError("disk 1M zero\nexpect a\ndisk-check %s\n" % bad, "expect:3:")
        for bad in ("0 512", "0 512 jrnl", "1 512 journal", "0 2097152 journal"):
            self.assertError("disk 1M zero\nexpect a\ndisk-tear %s\n" % bad, "expect:3:")

    def test_records_placeholder_is_bound(self):
        phase = parse(TWO_PHASES).phases[1]
        matcher = expect.Matcher(phase, {"@RECORDS:a@": "17"})
        self.assertIsNone(matcher.feed("a: replay found 171"))
        self.assertFalse(matcher.done())
        self.assertIsNone(matcher.feed("a: replay found 17"))
        self.assertTrue(matcher.done())
        bound = expect.Pattern("^a: found (?!@RECORDS:a@ )", 3).bound({"@RECORDS:a@": "17"})
        self.assertEqual(repr(bound), "/^a: found (?!@RECORDS:a@ )/ with @RECORDS:a@=17")

    def test_power_cut_waits_for_the_expects(self):
        matcher = expect.Matcher(parse(TWO_PHASES).phases[0])
        self.assertFalse(matcher.cut("a: record 2 flushed (3 this boot)"))  # expects missing
        matcher.feed("a: replay found 0")
        self.assertTrue(matcher.done())
        self.assertEqual(matcher.missing_text(), "power-cut after %r" % matcher.power_cut)
        self.assertFalse(matcher.cut("a: record 1 flushed (2 this boot)"))
        self.assertTrue(matcher.cut("a: record 2 flushed (3 this boot)"))


def _record(seq, text="x"):
    return disk.journal_record(seq, text)


class JournalStepsTest(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp()
        self.addCleanup(shutil.rmtree, self.dir)
        self.path = os.path.join(self.dir, "disk.img")
        self.disk = disk.parse_disk("64K zero")
        disk.create(self.disk, self.path)

    def write(self, offset, data):
        with open(self.path, "r+b") as f:
            f.seek(offset)
            f.write(data)

    def test_acked(self):
        lines = ["a: journal: record 4 flushed (5 this boot)", "b: journal: record 9 flushed",
                 "a: journal: record 12 flushed (13 this boot)", "xa: journal: record 99 flushed",
                 "a: journal: record 7 flushed (8 this boot)"]
        self.assertEqual(disk.acked(lines, "a"), 12)
        self.assertEqual(disk.acked(lines, "c"), -1)

    def test_journal_acked_check(self):
        check = disk.parse_check(self.disk, "1024 8192 journal-acked a", 1)
        self.write(1024, _record(0) + _record(1) + _record(2))
        lines = ["a: journal: record 2 flushed (3 this boot)"]
        self.assertEqual(disk.verify_acked(check, self.path, lines), (None, 3))
        self.assertEqual(disk.verify_acked(check, self.path, []), (None, 3))
        reason, found = disk.verify_acked(check, self.path, lines + ["a: journal: record 3 "
                                                                     "flushed (4 this boot)"])
        self.assertEqual(found, 3)
        self.assertIn("3 intact journal records, but a said record 3 was flushed", reason)

    def test_tear_writes_a_half_record_after_the_intact_ones(self):
        step = disk.parse_tear(self.disk, "1024 4096 journal", 1)
        old = bytes(range(256)) * 2
        self.write(1024, _record(0) + _record(1) + old)
        self.assertEqual(disk.tear(step, self.path), (None, 2))
        with open(self.path, "rb") as f:
            f.seek(1024 + 2 * 512)
            sector = f.read(512)
        self.assertEqual(sector[:disk.TEAR_BYTES], _record(2, "record 2, torn by the host")
                         [:disk.TEAR_BYTES])
        self.assertEqual(sector[disk.TEAR_BYTES:], old[disk.TEAR_BYTES:])
        self.assertFalse(disk.journal_record_ok(sector, 2))
        self.assertEqual(disk.journal_count(_record(0) + _record(1) + sector), 2)

    def test_tear_needs_room(self):
        step = disk.parse_tear(self.disk, "0 1024 journal", 1)
        self.write(0, _record(0) + _record(1))
        self.assertIn("the journal is full", disk.tear(step, self.path)[0])


class PowerCutTest(unittest.TestCase):
    """A shell script stands in for QEMU: the harness must kill it at the cut line."""

    def setUp(self):
        self.dir = tempfile.mkdtemp()
        self.addCleanup(shutil.rmtree, self.dir)
        self.log = io.StringIO()

    def run_phase(self, script, timeout=10.0):
        spec = parse(TWO_PHASES)
        lines = []
        machine = qemu.Machine(["sh", "-c", "echo 'bulkhead: mitigations (auto): x'; " + script],
                               os.path.join(self.dir, "stderr"))
        verdict = harness._run(machine, harness._matcher(spec, ("bios", "cdrom"), None,
                                                         spec.phases[0]), timeout, self.log,
                               None, lines)
        return verdict, lines, machine

    def test_cut_kills_at_once_and_keeps_the_late_lines(self):
        verdict, lines, machine = self.run_phase(
            "echo 'a: replay found 0'; printf 'a: record 5 flushed (3 this boot)\\n"
            "a: record 6 flushed (4 this boot)\\n'; exec sleep 30")  # one write, one read
        self.assertIsNone(verdict)
        self.assertEqual(machine.proc.returncode, -9)  # SIGKILL, not the end of the script
        self.assertIn("a: record 6 flushed (4 this boot)", lines)
        self.assertIn("# power cut: QEMU killed (SIGKILL)", self.log.getvalue())

    def test_cut_line_before_the_expects_does_not_cut(self):
        verdict, _, _ = self.run_phase("echo 'a: record 5 flushed (3 this boot)';"
                                       " echo 'a: replay found 0'; exec sleep 30", timeout=1.0)
        self.assertEqual(verdict, "timeout after 1 s; missing: power-cut after "
                         "/^a: record \\d+ flushed \\(3 this boot\\)$/")

    def test_exit_before_the_cut_fails(self):
        verdict, _, _ = self.run_phase("echo 'a: replay found 0'; exit 3")
        self.assertIn("QEMU exited before all expects matched", verdict)
        self.assertIn("missing: power-cut after", verdict)

    def test_late_reject_fails(self):
        verdict, _, _ = self.run_phase("echo 'a: replay found 0'; echo 'oops';"
                                       " echo 'a: record 5 flushed (3 this boot)'; exec sleep 30")
        self.assertIn("matched reject /oops/", verdict)


class PhasesTest(unittest.TestCase):
    """The harness boots phase by phase on one disk; the host steps between them set the
    placeholders of the next phase and run repeats."""

    def setUp(self):
        self.dir = tempfile.mkdtemp()
        self.addCleanup(shutil.rmtree, self.dir)

    def run_spec(self, text, guest, long_run=False):
        spec = expect.parse(text, os.path.join(self.dir, "expect"))
        spec.long_run = long_run
        seen = []

        def boot_once(_spec, _boot, _iso, workdir, values, _log, phase=None, tag="",
                      lines=None):
            seen.append((phase.number, tag, dict(values)))
            with open(disk.image_path(workdir), "r+b") as f:
                lines.extend(guest(f, phase.number, values))
            return None
        with mock.patch.object(harness, "_build", return_value=("iso", {})), \
                mock.patch.object(harness, "_boot_once", side_effect=boot_once):
            return harness._boot(spec, self.dir, io.StringIO()), seen

    @staticmethod
    def journal(f, _number, values):
        """Appends two records after those the host counted, saying it flushed them."""
        first = int(values.get("@RECORDS:a@", "0"))
        f.seek(first * 512)
        f.write(_record(first) + _record(first + 1))
        return ["a: journal: record %d flushed" % (first + 1)]

    def test_counts_flow_into_the_next_phase(self):
        verdict, seen = self.run_spec(TWO_PHASES, self.journal)
        self.assertIsNone(verdict)
        self.assertEqual([(n, tag) for n, tag, _ in seen],
                         [(1, "-phase1.1"), (2, "-phase2.1"), (2, "-phase2.2")])
        self.assertEqual([v.get("@RECORDS:a@") for _, _, v in seen], [None, "2", "2"])

    def test_long_run_repeats_more(self):
        _, seen = self.run_spec(TWO_PHASES, self.journal, long_run=True)
        self.assertEqual(len(seen), 6)

    def test_a_lost_record_fails_the_phase(self):
        def liar(f, number, values):
            return self.journal(f, number, values) + ["a: journal: record 2 flushed"]
        verdict, seen = self.run_spec(TWO_PHASES, liar)
        self.assertEqual(len(seen), 1)
        self.assertEqual(verdict, "phase 1, run 1 of 1: disk-check 0 65536 journal-acked a: "
                         "2 intact journal records, but a said record 2 was flushed")


@unittest.skipUnless(shutil.which("qemu-io"), "qemu-io is not installed")
class WriteCacheTest(unittest.TestCase):
    """qemu-io, QEMU's block layer, writes through the NBD server as the guest's disk does."""

    def setUp(self):
        self.dir = tempfile.mkdtemp()
        self.addCleanup(shutil.rmtree, self.dir)
        self.path = os.path.join(self.dir, "disk.img")
        disk.create(disk.parse_disk("64K zero"), self.path)

    def qemu_io(self, commands, kill_after_writes=None):
        """Runs qemu-io's @commands on the image through a WriteCache; with
        @kill_after_writes, SIGKILLs it once the cache has had that many writes (qemu-io
        flushes when it closes the image, as QEMU does). Returns (output, cache summary)."""
        cache = wcache.WriteCache(self.path)
        cache.start()
        options = "json:" + json.dumps({"driver": "raw", "file": cache.node()})
        argv = ["qemu-io", "-t", "writeback"] + [a for c in commands for a in ("-c", c)] + \
            [options]
        proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 30
        while kill_after_writes and cache.writes < kill_after_writes and \
                time.monotonic() < deadline:
            time.sleep(0.01)
        if kill_after_writes:
            proc.kill()
        out = proc.communicate(timeout=30)[0].decode("utf-8", "replace")
        return out, cache.finish()

    def image(self, offset, length):
        with open(self.path, "rb") as f:
            f.seek(offset)
            return f.read(length)

    def test_flushed_writes_reach_the_image(self):
        out, summary = self.qemu_io(["write -P 0xab 512 1024", "flush", "read -P 0xab 512 1024"])
        self.assertNotIn("error", out.lower())
        self.assertNotIn("Pattern verification failed", out)
        self.assertEqual(self.image(512, 1024), b"\xab" * 1024)
        self.assertIn("1 writes", summary)

    def test_unflushed_writes_are_seen_then_lost(self):
        out, summary = self.qemu_io(["write -P 0xcd 0 512", "flush", "write -P 0xee 256 512",
                                     "read -P 0xee 256 512", "sleep 20000"], kill_after_writes=2)
        self.assertNotIn("Pattern verification failed", out)
        self.assertIn("2 writes, 1 flushes, 1 writes not flushed and lost", summary)
        self.assertEqual(self.image(0, 768), b"\xcd" * 512 + bytes(256))


if __name__ == "__main__":
    unittest.main()
