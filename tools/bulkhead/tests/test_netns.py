"""Tests of the `netns-tap` and `netns-run` directives and of the namespace's QEMU argv."""

import io
import unittest
from unittest import mock

from bulkhead import expect
from bulkhead import netns
from bulkhead.util import Failure

PATH = "/repo/tests/system/net_tap/expect"
HEAD = "expect ^x$\nnetns-tap n0 10.0.2.2/24\n"


def parse(text):
    return expect.parse(text, PATH)


class DirectiveTest(unittest.TestCase):
    def test_tap_and_run(self):
        spec = parse(HEAD + "netns-run ping -c 3 10.0.2.15 expect , 0% packet loss after"
                     " ^echo: after all\n")
        self.assertEqual(spec.netns_tap, ("n0", "10.0.2.2/24"))
        run = spec.phases[0].netns_runs[0]
        self.assertEqual(run.argv, ["ping", "-c", "3", "10.0.2.15"])
        self.assertEqual(run.output.text, ", 0% packet loss")
        self.assertEqual(run.pattern.text, "^echo: after all")

    def test_bad_lines(self):
        bad = ["netns-tap n0", "netns-tap n0 10.0.2.2", "netns-tap n0 10.0.2.256/24",
               "netns-tap n0 10.0.2.2/31", "netns-tap n,0 10.0.2.2/24",
               "netns-tap n0 10.0.2.2/24 x"]
        for line in bad:
            with self.assertRaises(expect.ExpectError, msg=line):
                parse("expect ^x$\n" + line + "\n")
        with self.assertRaisesRegex(expect.ExpectError, "given twice"):
            parse(HEAD + "netns-tap n1 10.0.3.2/24\n")

    def test_run_needs_tap_and_allowed_program(self):
        with self.assertRaisesRegex(expect.ExpectError, "needs a `netns-tap`"):
            parse("expect ^x$\nnetns-run ping x expect y after z\n")
        for line in ["netns-run sh -c reboot expect y after z", "netns-run ping x after z",
                     "netns-run ping x expect y", "netns-run expect y after z",
                     "netns-run ping 'x expect y after z"]:
            with self.assertRaises(expect.ExpectError, msg=line):
                parse(HEAD + line + "\n")

    def test_netdev_not_given_twice(self):
        with self.assertRaisesRegex(expect.ExpectError, "makes netdev n0 itself"):
            parse(HEAD + "qemu-args -netdev user,id=n0\n")
        parse(HEAD + "qemu-args -netdev user,id=n01\n")


class NamespaceTest(unittest.TestCase):
    def test_nothing_without_tap(self):
        with netns.Namespace(None, []) as space:
            self.assertEqual(space.wrap(["qemu"]), ["qemu"])
            self.assertIsNone(space.feed("any line", io.StringIO()))

    def test_host_lacks(self):
        with mock.patch("os.geteuid", return_value=1000), \
                mock.patch("shutil.which", return_value=None):
            with self.assertRaisesRegex(Failure, "lacks root.*iproute2"):
                netns.Namespace(("n0", "10.0.2.2/24"), []).__enter__()

    def test_wrap_and_run(self):
        space = netns.Namespace(("n0", "10.0.2.2/24"), [])
        space.name = "bh-1-ab"
        argv = space.wrap(["qemu", "-m", "1"])
        self.assertEqual(argv[:5], ["ip", "netns", "exec", "bh-1-ab", "qemu"])
        self.assertEqual(argv[-2:], ["-netdev", "tap,id=n0,ifname=bhtap0,script=no,"
                                     "downscript=no"])
        spec = parse(HEAD + "netns-run ip neigh expect ^ok$ after ^go$\n")
        space.pending = list(spec.phases[0].netns_runs)
        done = mock.Mock(returncode=0, stdout=b"not\nok\n")
        with mock.patch("subprocess.run", return_value=done) as run:
            self.assertIsNone(space.feed("no", io.StringIO()))
            self.assertIsNone(space.feed("go", io.StringIO()))
            self.assertEqual(run.call_args[0][0], ["ip", "netns", "exec", "bh-1-ab", "ip",
                                                   "neigh"])
        space.pending = list(spec.phases[0].netns_runs)
        done.stdout = b"not ok\n"
        with mock.patch("subprocess.run", return_value=done):
            self.assertRegex(space.feed("go", io.StringIO()), "does not match")
        space.name = None


if __name__ == "__main__":
    unittest.main()
