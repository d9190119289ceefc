"""Tests of the bench line parser and table, and of the generated grub.cfg."""

import unittest

from bulkhead import bench
from bulkhead import iso
from bulkhead.util import Failure


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

    def table(self, results, modes=bench.BENCH_MODES):
        """Returns ([header cells], {name: line}) of the table."""
        lines = bench.format_table(results, modes).splitlines()
        return lines[0].split(), {line.split()[0]: line for line in lines[1:]}

    def test_two_columns_side_by_side(self):
        header, lines = self.table({"off": {"null": 77, "pingpong": 358},
                                    "force": {"null": 98, "pingpong": 411}})
        self.assertEqual(header[:4], ["name", "what", "off", "forced"])
        self.assertEqual(header[-3:], ["target", "seL4", "Linux"])
        self.assertRegex(lines["null"], r"\b77\s+98\s+<= 80 / <= 100\s")
        self.assertRegex(lines["pingpong"], r"\b358\s+411\s+<= 400 / <= 415\s")
        self.assertNotIn("above", lines["null"] + lines["pingpong"])
        self.assertEqual(len(lines), len(bench.ROWS))

    def test_each_column_against_its_own_target(self):
        _, lines = self.table({"off": {"null": 90, "pingpong": 380},
                               "force": {"null": 95, "pingpong": 420}})
        self.assertTrue(lines["null"].endswith("above target (off)"))
        self.assertTrue(lines["pingpong"].endswith("above target (forced)"))
        _, lines = self.table({"off": {"null": 90}, "force": {"null": 120}})
        self.assertTrue(lines["null"].endswith("above target (off, forced)"))

    def test_missing_figures_and_rows_without_forced_target(self):
        _, lines = self.table({"off": {"ring_msg": 95, "boot": 1500000}})
        self.assertRegex(lines["ring_msg"], r"\b95\s+missing\s+<= 100 / -\s")
        self.assertIn("<= 2000000 / -", lines["boot"])
        self.assertRegex(lines["floor"], r"missing\s+missing\s+-\s")
        self.assertNotIn("above", lines["ring_msg"])

    def test_one_mode(self):
        header, lines = self.table({"force": {"null": 120, "pingpong": 300}}, ("force",))
        self.assertEqual(header[2:4], ["forced", "target"])
        self.assertRegex(lines["null"], r"\b120\s+<= 100\s.*above target$")
        self.assertNotIn("(", lines["null"])
        self.assertIn("missing", lines["ring_msg"])
        header, lines = self.table({"auto": {"null": 70}}, ("auto",))
        self.assertEqual(header[2], "auto")
        self.assertRegex(lines["null"], r"\b70\s+<= 80\s")

    def test_fault_wake_is_the_judged_fault_row(self):
        _, lines = self.table({"off": {"fault_notify": 5000, "fault_wake": 1400},
                               "force": {"fault_notify": 100, "fault_wake": 1200}})
        self.assertRegex(lines["fault_wake"], r"\b1400\s+1200\s+<= 1300 / -\s+1319 ")
        self.assertTrue(lines["fault_wake"].endswith("above target (off)"))
        self.assertRegex(lines["fault_notify"], r"\b5000\s+100\s+-\s")
        self.assertNotIn("above", lines["fault_notify"])

    def test_recover_row(self):
        self.assertIn("recover", bench.PARTS)
        text = bench.format_table({"off": {"recover": 999999}, "force": {"recover": 1000001}},
                                  bench.BENCH_MODES, rows=bench.RECOVER_ROWS)
        lines = text.splitlines()
        self.assertEqual(len(lines), 2)
        self.assertRegex(lines[1], r"^recover\s.*\b999999\s+1000001\s+<= 1000000 / <= 1000000\s")
        self.assertTrue(lines[1].endswith("above target (forced)"))
        text = bench.format_table({"off": {}}, ("off",), rows=bench.RECOVER_ROWS)
        self.assertRegex(text.splitlines()[1], r"\bmissing\s+<= 1000000\s")


class GrubConfigTest(unittest.TestCase):
    def test_modules_and_plan(self):
        cfg = iso.grub_config("demo", ["console", "ping"])
        self.assertIn("multiboot2 /boot/kernel.elf\n", cfg)
        self.assertIn("module2 /boot/plan.bin plan\n", cfg)
        self.assertIn("module2 /boot/console.elf console\n", cfg)
        self.assertIn("module2 /boot/ping.elf ping\n", cfg)
        self.assertLess(cfg.index("ping.elf"), cfg.index("\nboot\n"))

    def kernel_line(self, mode):
        lines = [line for line in iso.grub_config("demo", ["ping"], 1, mode).splitlines()
                 if line.startswith("multiboot2 ")]
        self.assertEqual(len(lines), 1)
        return lines[0]

    def test_mitigations_on_the_kernel_line(self):
        self.assertEqual(self.kernel_line("auto"), "multiboot2 /boot/kernel.elf")
        self.assertEqual(self.kernel_line("off"), "multiboot2 /boot/kernel.elf mitigations=off")
        self.assertEqual(self.kernel_line("force"),
                         "multiboot2 /boot/kernel.elf mitigations=force")
        self.assertEqual(iso.grub_config("demo", ["ping"], 1),
                         iso.grub_config("demo", ["ping"], 1, "auto"))

    def test_mitigations_only_on_the_kernel_line(self):
        cfg = iso.grub_config("demo", ["ping"], 1, "force")
        self.assertEqual(cfg.count("mitigations"), 1)
        self.assertIn("module2 /boot/ping.elf ping\n", cfg)

    def test_extra_kernel_args(self):
        lines = [line for line in iso.grub_config("demo", [], 1, "force",
                                                  ["pci=list", "iommu=selftest"]).splitlines()
                 if line.startswith("multiboot2 ")]
        self.assertEqual(lines, ["multiboot2 /boot/kernel.elf mitigations=force pci=list "
                                 "iommu=selftest"])
        self.assertIn("multiboot2 /boot/kernel.elf pci=list\n",
                      iso.grub_config("demo", [], 1, "auto", ["pci=list"]))
        with self.assertRaises(Failure):
            iso.grub_config("demo", [], 1, "auto", ["a;reboot"])

    def test_bad_mode(self):
        with self.assertRaises(ValueError):
            iso.grub_config("demo", [], 1, "on")

    def test_unsafe_names(self):
        with self.assertRaises(Failure):
            iso.grub_config("demo", ["../etc"])
        cfg = iso.grub_config('x";reboot;"', [])
        echo = [line for line in cfg.splitlines() if line.startswith("echo \"grub: booting")]
        self.assertEqual(len(echo), 1)
        self.assertEqual(echo[0].count('"'), 2)


if __name__ == "__main__":
    unittest.main()
