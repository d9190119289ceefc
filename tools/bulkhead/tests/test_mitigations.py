"""Tests of mitigation modes: --mitigations, the `mitigations` directive, test runs per mode."""

import contextlib
import io
import os
import shutil
import tempfile
import unittest
from unittest import mock

from bulkhead import cli
from bulkhead import expect
from bulkhead import harness
from bulkhead import mitigations
from bulkhead import plan

PATH = "/repo/tests/system/demo/expect"


def parse(text):
    return expect.parse(text, PATH)


class OptionTest(unittest.TestCase):
    """--mitigations on run, image, test and bench."""

    def parse_args(self, argv):
        top, _ = cli.parser()
        return top.parse_args(argv)

    def test_defaults(self):
        self.assertEqual(self.parse_args(["run"]).mitigations, "auto")
        self.assertEqual(self.parse_args(["image", "x.xml"]).mitigations, "auto")
        self.assertIsNone(self.parse_args(["test"]).mitigations)
        self.assertIsNone(self.parse_args(["bench"]).mitigations)

    def test_every_mode_on_every_command(self):
        for mode in mitigations.MODES:
            for argv in (["run"], ["image", "x.xml"], ["test"], ["bench"]):
                args = self.parse_args(argv + ["--mitigations", mode])
                self.assertEqual(args.mitigations, mode, argv)

    def test_bad_value_is_a_clear_error(self):
        for argv in (["run"], ["image", "x.xml"], ["test"], ["bench"]):
            stderr = io.StringIO()
            with contextlib.redirect_stderr(stderr), self.assertRaises(SystemExit) as ctx:
                self.parse_args(argv + ["--mitigations", "on"])
            self.assertEqual(ctx.exception.code, 2)
            self.assertIn("'on' is not a mitigation mode: expected auto, off or force",
                          stderr.getvalue())

    def test_help_names_the_modes(self):
        _, commands = cli.parser()
        for name in ("run", "image", "test", "bench"):
            self.assertIn("--mitigations MODE", commands[name].format_help())
            self.assertIn("force", commands[name].format_help())

    def test_handlers_pass_the_mode_on(self):
        with mock.patch.object(cli, "prepare_tree"), \
                mock.patch.object(cli.deps, "ensure_packages"), \
                mock.patch.object(cli.testrun, "run_all", return_value=0) as run_all, \
                mock.patch.object(cli.bench, "run", return_value=0) as bench_run:
            self.assertEqual(cli.main(["test", "--mitigations", "off", "--jobs", "1"]), 0)
            self.assertEqual(cli.main(["bench", "--mitigations", "force"]), 0)
            self.assertEqual(cli.main(["bench"]), 0)
        run_all.assert_called_once_with("", 1, "off", False)
        self.assertEqual([c.args for c in bench_run.call_args_list], [("force",), (None,)])


class ModesTest(unittest.TestCase):
    def test_kernel_args(self):
        self.assertEqual(mitigations.kernel_args("auto"), "")
        self.assertEqual(mitigations.kernel_args("off"), "mitigations=off")
        self.assertEqual(mitigations.kernel_args("force"), "mitigations=force")
        with self.assertRaises(ValueError):
            mitigations.kernel_args("Force")

    def test_run_names(self):
        self.assertEqual(mitigations.run_name("system/demo", "auto"), "system/demo")
        self.assertEqual(mitigations.run_name("system/demo", "force"), "system/demo+force")
        self.assertEqual(mitigations.run_name("system/demo", "off"), "system/demo+off")

    def test_every_test_twice_unless_pinned_or_deploy(self):
        self.assertEqual(mitigations.modes_for(None, False), ["auto", "force"])
        self.assertEqual(mitigations.modes_for("off", False), ["off"])
        self.assertEqual(mitigations.modes_for(None, True), ["auto"])
        self.assertEqual(mitigations.modes_for("force", True), ["force"])

    def test_chosen_mode_runs_once_but_a_pin_wins(self):
        self.assertEqual(mitigations.modes_for(None, False, "off"), ["off"])
        self.assertEqual(mitigations.modes_for(None, True, "force"), ["force"])
        self.assertEqual(mitigations.modes_for("auto", False, "force"), ["auto"])


class DirectiveTest(unittest.TestCase):
    def test_default_is_not_pinned(self):
        spec = parse("expect x\n")
        self.assertIsNone(spec.pinned_mitigations)
        self.assertEqual(spec.mitigations, "auto")

    def test_pinned(self):
        for mode in mitigations.MODES:
            spec = parse("mitigations %s   # comment\nexpect x\n" % mode)
            self.assertEqual((spec.pinned_mitigations, spec.mitigations), (mode, mode))

    def assertError(self, text, fragment):
        with self.assertRaises(expect.ExpectError) as ctx:
            parse(text)
        self.assertIn(fragment, str(ctx.exception))

    def test_bad(self):
        self.assertError("expect x\nmitigations on\n", "expect:2: 'on' is not a mitigation mode")
        self.assertError("expect x\nmitigations\n", "expect:2: mitigations needs an argument")
        self.assertError("mitigations off\nexpect x\nmitigations off\n",
                         "expect:3: mitigations is given twice")
        self.assertError("expect x\nmitigations off force\n", "expect:2:")


class KernelLineTest(unittest.TestCase):
    """The kernel's `bulkhead: mitigations (MODE): ...` line must name the run's mode."""

    def matcher(self, mode):
        spec = parse("expect ^done$\n")
        spec.mitigations = mode
        return harness._matcher(spec, ("bios", "cdrom"), None)

    def test_other_mode_is_rejected(self):
        m = self.matcher("force")
        self.assertIsNone(m.feed("bulkhead: mitigations (force): kpti verw ibpb rsb"))
        m = self.matcher("force")
        self.assertIn("matched reject", m.feed("bulkhead: mitigations (auto): verw"))
        m = self.matcher("auto")
        self.assertIn("matched reject", m.feed("bulkhead: mitigations (off): none"))

    def test_line_required_once_the_kernel_prints_it(self):
        m = self.matcher("off")
        m.feed("done")
        self.assertEqual(m.done(), not mitigations.KERNEL_LINE_REQUIRED)
        with mock.patch.object(mitigations, "KERNEL_LINE_REQUIRED", True):
            m = self.matcher("off")
        m.feed("done")
        self.assertFalse(m.done())
        m.feed("bulkhead: mitigations (off): all off")
        self.assertTrue(m.done())


class RunsTest(unittest.TestCase):
    """harness.find_runs: every system test twice, named by mode, unless pinned."""

    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="bulkhead-test-runs-")
        self.addCleanup(shutil.rmtree, self.dir, True)
        tests = {"alpha": "expect a\n", "beta": "mitigations off\nexpect b\n",
                 "image": "image deploy\nexpect c\n", "broken": "frobnicate\n"}
        for name, text in tests.items():
            os.makedirs(os.path.join(self.dir, name))
            with open(os.path.join(self.dir, name, "expect"), "w", encoding="utf-8") as f:
                f.write(text)
        patcher = mock.patch.object(harness, "SYSTEM_DIR", self.dir)
        patcher.start()
        self.addCleanup(patcher.stop)

    def runs(self, name_filter="", chosen=None):
        return [(name, mode) for name, _, mode in harness.find_runs(name_filter, chosen)]

    def test_doubled(self):
        self.assertEqual(self.runs(), [
            ("system/alpha", "auto"), ("system/alpha+force", "force"),
            ("system/beta+off", "off"),
            ("system/broken", "auto"), ("system/broken+force", "force"),
            ("system/image", "auto")])

    def test_filter_sees_the_mode(self):
        self.assertEqual(self.runs("+force"), [("system/alpha+force", "force"),
                                               ("system/broken+force", "force")])
        self.assertEqual(self.runs("system/alpha"), [("system/alpha", "auto"),
                                                     ("system/alpha+force", "force")])

    def test_chosen_mode(self):
        self.assertEqual(self.runs(chosen="force"), [
            ("system/alpha+force", "force"), ("system/beta+off", "off"),
            ("system/broken+force", "force"), ("system/image+force", "force")])
        self.assertEqual(self.runs(chosen="auto")[0], ("system/alpha", "auto"))

    def test_paths(self):
        paths = {name: path for name, path, _ in harness.find_runs("alpha")}
        self.assertEqual(paths["system/alpha+force"], os.path.join(self.dir, "alpha", "expect"))


class BuildTest(unittest.TestCase):
    """The harness hands the run's mode to the ISO it builds."""

    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="bulkhead-test-build-")
        self.addCleanup(shutil.rmtree, self.dir, True)
        self.log = io.StringIO()

    def test_test_image(self):
        spec = parse("expect x\n")
        spec.mitigations = "force"
        compiled = plan.CompiledPlan(os.path.join(self.dir, "plan.bin"), [], "demo")
        with mock.patch.object(harness.plan, "compile_manifest", return_value=compiled), \
                mock.patch.object(harness.iso, "plan_checksum", return_value=5), \
                mock.patch.object(harness.iso, "make_iso", return_value="/x.iso") as make_iso:
            harness._build(spec, self.dir, self.log)
        make_iso.assert_called_once_with(self.dir, compiled, "force", [])

    def test_deploy_image(self):
        spec = parse("image deploy\nmitigations off\nexpect x\n")
        info = mock.Mock(path="/x.iso", plan_crc=1)
        with mock.patch.object(harness.image, "build", return_value=info) as build, \
                mock.patch.object(harness.image, "describe", return_value=[]):
            harness._build(spec, self.dir, self.log)
        self.assertEqual(build.call_args.args[3], "off")

    def test_judge_sets_and_logs_the_mode(self):
        path = os.path.join(self.dir, "expect")
        with open(path, "w", encoding="utf-8") as f:
            f.write("manifest none.xml\nexpect x\n")
        self.assertIn("does not exist", harness._judge("system/t+off", path, self.log, "off"))
        self.assertIn("# mitigations off (this run's mode)", self.log.getvalue())


if __name__ == "__main__":
    unittest.main()
