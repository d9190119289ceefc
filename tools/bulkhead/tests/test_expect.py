"""Tests of the expect-file parser and the serial-line matcher."""

import os
import unittest

from bulkhead import expect

PATH = "/repo/tests/system/demo/expect"


def parse(text):
    return expect.parse(text, PATH)


class ParseTest(unittest.TestCase):
    def test_defaults(self):
        spec = parse("expect hello\n")
        self.assertEqual(spec.timeout, expect.DEFAULT_TIMEOUT)
        self.assertEqual(spec.manifest, "/repo/tests/system/demo/manifest.xml")
        self.assertEqual([p.text for p in spec.expects], ["hello"])
        self.assertEqual(spec.corrupt_offsets, [])

    def test_all_directives_and_comments(self):
        spec = parse("# a comment\n"
                     "\n"
                     "timeout 42   # seconds\n"
                     "manifest ../shared/two.xml\n"
                     "expect ^ping: TEST a PASS$\n"
                     "  expect\tb\\s+c   # trailing comment\n"
                     "reject oops\n"
                     "corrupt-plan 0x10\n"
                     "corrupt-plan 7\n")
        self.assertEqual(spec.timeout, 42)
        self.assertEqual(os.path.normpath(spec.manifest), "/repo/tests/system/shared/two.xml")
        self.assertEqual([p.text for p in spec.expects], ["^ping: TEST a PASS$", "b\\s+c"])
        self.assertEqual([p.line for p in spec.expects], [5, 6])
        self.assertIn("oops", [p.text for p in spec.rejects])
        self.assertEqual(spec.corrupt_offsets, [16, 7])

    def test_hash_inside_regex_is_kept(self):
        spec = parse("expect count\\#1 and x#y\n")
        self.assertEqual(spec.expects[0].text, "count\\#1 and x#y")

    def test_builtin_rejects_always_present(self):
        texts = [p.text for p in parse("expect x\n").rejects]
        for builtin in expect.BUILTIN_REJECTS:
            self.assertIn(builtin, texts)

    def assertError(self, text, fragment):
        with self.assertRaises(expect.ExpectError) as ctx:
            parse(text)
        self.assertIn(fragment, str(ctx.exception))

    def test_unknown_directive_names_its_line(self):
        self.assertError("expect a\nfrobnicate 3\n", "expect:2: unknown directive")

    def test_bad_arguments(self):
        self.assertError("expect a\ntimeout soon\n", "expect:2:")
        self.assertError("expect a\ntimeout -1\n", "expect:2: timeout must be positive")
        self.assertError("expect a\ncorrupt-plan x\n", "expect:2:")
        self.assertError("expect a\ncorrupt-plan -3\n", "expect:2:")
        self.assertError("expect (unclosed\n", "expect:1: bad regex")
        self.assertError("expect\n", "expect:1: expect needs an argument")

    def test_kernel_args(self):
        spec = parse("kernel-args pci=list\nkernel-args iommu=selftest\nexpect x\n")
        self.assertEqual(spec.kernel_args, ["pci=list", "iommu=selftest"])
        self.assertEqual(parse("expect x\n").kernel_args, [])
        self.assertError("expect a\nkernel-args mitigations=off\n",
                         "expect:2: kernel-args: 'mitigations=off' is not allowed")
        self.assertError("expect a\nkernel-args pci=list pci=list\n",
                         "expect:2: kernel-args: pci=list is given twice")
        self.assertError("image deploy\nkernel-args pci=list\nexpect a\n",
                         "kernel-args needs `image test`")

    def test_no_expect_is_an_error(self):
        self.assertError("timeout 5\nreject x\n", "no `expect` line")


class MatcherTest(unittest.TestCase):
    def matcher(self, text):
        return expect.Matcher(parse(text))

    def test_done_after_every_expect_matched(self):
        m = self.matcher("expect ^a: TEST one PASS$\nexpect two\n")
        self.assertIsNone(m.feed("a: TEST one PASS"))
        self.assertFalse(m.done())
        self.assertIn("two", m.missing_text())
        self.assertNotIn("one", m.missing_text())
        self.assertIsNone(m.feed("b: two"))
        self.assertTrue(m.done())

    def test_one_line_can_satisfy_several_expects(self):
        m = self.matcher("expect foo\nexpect bar\n")
        m.feed("foo bar")
        self.assertTrue(m.done())

    def test_builtin_rejects(self):
        m = self.matcher("expect x\n")
        self.assertIn("reject", m.feed("bulkhead: PANIC: CHECK failed at cap.c:12"))
        m = self.matcher("expect x\n")
        self.assertIsNotNone(m.feed("tester: TEST iso.ro_write FAIL wrote anyway"))
        m = self.matcher("expect x\n")
        self.assertIsNone(m.feed("tester: TEST iso.ro_write PASS"))
        self.assertIsNone(m.feed("tester: LATEST x FAIL"))

    def test_reject_wins_over_expect_on_the_same_line(self):
        m = self.matcher("expect refused\nreject refused\n")
        self.assertIsNotNone(m.feed("bulkhead: boot plan refused: bad checksum"))
        self.assertFalse(m.done())

    def test_order_in_order_passes(self):
        m = self.matcher("order ^a: last line$\norder stopped\nexpect other\n")
        self.assertIsNone(m.feed("a: first line"))
        self.assertIsNone(m.feed("a: last line"))
        self.assertFalse(m.done())
        self.assertIsNone(m.feed("bulkhead: domain a stopped: page fault"))
        self.assertIsNone(m.feed("a: last line"))  # a repeat of a matched one is fine
        self.assertIsNone(m.feed("b: other"))
        self.assertTrue(m.done())

    def test_order_out_of_order_fails(self):
        m = self.matcher("order ^a: last line$\norder stopped\n")
        self.assertIsNone(m.feed("a: first line"))
        reason = m.feed("bulkhead: domain a stopped: page fault")
        self.assertIn("serial line 2 matched order /stopped/ before /^a: last line$/", reason)
        self.assertFalse(m.done())

    def test_order_one_line_can_match_consecutive_ones(self):
        m = self.matcher("order foo\norder bar\n")
        self.assertIsNone(m.feed("foo bar"))
        self.assertTrue(m.done())
        m = self.matcher("order bar\norder foo\norder baz\n")
        self.assertIsNotNone(m.feed("baz"))

    def test_order_counts_as_expect_and_is_bound(self):
        spec = parse("order crc @PLAN_CRC32@\n")
        self.assertEqual(len(spec.expects), 1)
        m = expect.Matcher(spec, {"@PLAN_CRC32@": "0x1234abcd"})
        self.assertIsNone(m.feed("crc 0x1234abcd"))
        self.assertTrue(m.done())

    def test_user_reject_reports_line_number(self):
        m = self.matcher("expect a\nreject stopped\n")
        m.feed("one")
        reason = m.feed("bulkhead: domain x stopped: page fault at rip=0x401000")
        self.assertIn("serial line 2", reason)
        self.assertIn("/stopped/", reason)


if __name__ == "__main__":
    unittest.main()
