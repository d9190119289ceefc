"""Tests of `bulkhead fuzz` and the fuzz tests: arguments, the name filter, the crash verdict."""

import contextlib
import io
import tempfile
import unittest
from unittest import mock

from bulkhead import cli
from bulkhead import fuzz
from bulkhead.util import Failure


def quiet_exit_status(call):
    """Runs @call with stderr captured; returns the status of the SystemExit it raises."""
    with contextlib.redirect_stderr(io.StringIO()), \
            contextlib.redirect_stdout(io.StringIO()):
        try:
            call()
        except SystemExit as err:
            return err.code
    return None


class ArgumentTest(unittest.TestCase):
    """`bulkhead fuzz TARGET [--seconds N] [--jobs J]`."""

    def parse_args(self, argv):
        top, _ = cli.parser()
        return top.parse_args(argv)

    def test_defaults(self):
        args = self.parse_args(["fuzz", "plan"])
        self.assertEqual((args.target, args.seconds, args.jobs), ("plan", 60, 1))
        self.assertIs(args.handler, cli.cmd_fuzz)

    def test_options_reach_run(self):
        with mock.patch.object(fuzz, "run", return_value=1) as run:
            status = cli.main(["fuzz", "insn", "--seconds", "2.5", "--jobs", "2"])
        run.assert_called_once_with("insn", 2.5, 2)
        self.assertEqual(status, 1)

    def test_every_target_is_a_choice(self):
        for name in fuzz.TARGETS:
            self.assertEqual(self.parse_args(["fuzz", name]).target, name)

    def test_bad_arguments_are_usage_errors(self):
        for argv in (["fuzz"], ["fuzz", "nosuch"], ["fuzz", "plan", "--seconds", "0"],
                     ["fuzz", "plan", "--seconds", "-3"], ["fuzz", "plan", "--seconds", "x"],
                     ["fuzz", "plan", "--jobs", "two"]):
            with self.subTest(argv=argv):
                self.assertEqual(quiet_exit_status(lambda: self.parse_args(argv)), 2)

    def test_no_jobs_is_refused_before_building(self):
        with mock.patch.object(fuzz, "ensure_tools") as ensure, \
                mock.patch.object(fuzz, "build") as build:
            with self.assertRaises(Failure) as ctx:
                fuzz.run("plan", 5, jobs=0)
            with contextlib.redirect_stderr(io.StringIO()):
                self.assertEqual(cli.main(["fuzz", "plan", "--jobs", "0"]), 2)
        self.assertEqual(ctx.exception.status, 2)
        ensure.assert_not_called()
        build.assert_not_called()


class TestsFilterTest(unittest.TestCase):
    """Which fuzz tests `bulkhead test --filter` selects, and a failed build."""

    def setUp(self):
        self.dir = tempfile.TemporaryDirectory()
        self.addCleanup(self.dir.cleanup)
        patcher = mock.patch.object(fuzz, "LOG_DIR", self.dir.name)
        patcher.start()
        self.addCleanup(patcher.stop)

    def selected(self, name_filter):
        """The test names fuzz.tests runs for @name_filter (nothing is built or run)."""
        seen = []

        def fake(target, wanted):
            seen.extend(n for n in wanted if n.split("/")[1] == target.name)
            return []
        with mock.patch.object(fuzz, "ensure_tools"), mock.patch.object(fuzz, "build"), \
                mock.patch.object(fuzz, "_target_tests", side_effect=fake):
            self.assertEqual(fuzz.tests(name_filter, 1, lambda r: None), [])
        return sorted(seen)

    def test_filter(self):
        self.assertEqual(self.selected("fuzz/plan/replay"), ["fuzz/plan/replay"])
        self.assertEqual(self.selected("fuzz/insn"), ["fuzz/insn", "fuzz/insn/replay"])
        self.assertEqual(len(self.selected("fuzz/")), 2 * len(fuzz.TARGETS))

    def test_no_match_builds_nothing(self):
        with mock.patch.object(fuzz, "ensure_tools") as ensure, \
                mock.patch.object(fuzz, "build") as build:
            self.assertEqual(fuzz.tests("system/demo", 1, lambda r: None), [])
        ensure.assert_not_called()
        build.assert_not_called()

    def test_failed_setup_is_one_failed_result(self):
        reported = []
        missing = Failure("clang-14 is missing\ninstall it", summary="no clang-14")
        with mock.patch.object(fuzz, "ensure_tools", side_effect=missing):
            results = fuzz.tests("fuzz", 1, reported.append)
        self.assertEqual(results, reported)
        self.assertEqual([(r.name, r.passed, r.reason) for r in results],
                         [("fuzz/build", False, "no clang-14")])


class VerdictTest(unittest.TestCase):
    """Stats: a run crashed if libFuzzer failed or saved a crash input."""

    CLEAN = ("INFO: Seed: 7\n"
             "#2\tINITED cov: 10 ft: 20 corp: 3/30b exec/s: 0 rss: 30Mb\n"
             "#900\tNEW    cov: 12 ft: 25 corp: 4/40b exec/s: 0 rss: 30Mb\n"
             "stat::number_of_executed_units: 1000\n")

    def test_clean_run(self):
        stats = fuzz.Stats(self.CLEAN, 0)
        self.assertFalse(stats.crashed)
        self.assertEqual((stats.executions, stats.seed), (1000, "7"))
        self.assertEqual((stats.start, stats.end), ((10, 20), (12, 25)))

    def test_saved_input_is_a_crash_even_with_status_zero(self):
        stats = fuzz.Stats(self.CLEAN + "Test unit written to ./crash-abc\n", 0)
        self.assertTrue(stats.crashed)
        self.assertEqual(stats.crashes, ["./crash-abc"])

    def test_failed_status_is_a_crash_with_its_reason(self):
        text = self.CLEAN + "==12==ERROR: AddressSanitizer: heap-buffer-overflow\n"
        stats = fuzz.Stats(text, 1)
        self.assertTrue(stats.crashed)
        self.assertEqual(stats.reason, "AddressSanitizer: heap-buffer-overflow")
        self.assertEqual(fuzz.Stats("", 77).reason, "exit status 77")


if __name__ == "__main__":
    unittest.main()
