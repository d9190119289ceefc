"""Tests of the bench line parser and table, and of the generated grub.cfg."""

import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import bench  # noqa: E402
import iso  # noqa: E402
from util import Failure  # noqa: E402


class BenchTest(unittest.TestCase):
    def test_parse_lines(self):
        results = {}
        self.assertTrue(bench.parse_line("bench: BENCH null 71", results))
        self.assertTrue(bench.parse_line("bench: BENCH null 65", results))
        self.assertTrue(bench.parse_line(
            "bulkhead: all 3 domains running after 1234567 cycles", results))
        self.assertFalse(bench.parse_line("bench: TEST x PASS", results))
        self.assertFalse(bench.parse_line("bench: BENCH pingpong lots", results))
        self.assertEqual(results, {"null": 65, "boot": 1234567})

    def test_table_marks_missing_and_over_target(self):
        table = bench.format_table({"null": 120, "pingpong": 300})
        lines = {line.split()[0]: line for line in table.splitlines()[1:]}
        self.assertIn("above target", lines["null"])
        self.assertNotIn("above target", lines["pingpong"])
        self.assertIn("missing", lines["ring_msg"])
        self.assertIn("<= 2000000", lines["boot"])
        self.assertEqual(len(lines), len(bench.ROWS))


class GrubConfigTest(unittest.TestCase):
    def test_modules_and_plan(self):
        cfg = iso.grub_config("demo", ["console", "ping"])
        self.assertIn("multiboot2 /boot/kernel.elf\n", cfg)
        self.assertIn("module2 /boot/plan.bin plan\n", cfg)
        self.assertIn("module2 /boot/console.elf console\n", cfg)
        self.assertIn("module2 /boot/ping.elf ping\n", cfg)
        self.assertLess(cfg.index("ping.elf"), cfg.index("\nboot\n"))

    def test_unsafe_names(self):
        with self.assertRaises(Failure):
            iso.grub_config("demo", ["../etc"])
        cfg = iso.grub_config('x";reboot;"', [])
        echo = [line for line in cfg.splitlines() if line.startswith("echo \"grub: booting")]
        self.assertEqual(len(echo), 1)
        self.assertEqual(echo[0].count('"'), 2)


if __name__ == "__main__":
    unittest.main()
