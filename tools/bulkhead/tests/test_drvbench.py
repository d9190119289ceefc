"""Tests of the driver-alone storage rows: the machine they boot and the lines they read."""

import unittest
from unittest import mock

from bulkhead import bench
from bulkhead import drvbench
from bulkhead import linuxbench
from bulkhead import qemu


class DriverBenchTest(unittest.TestCase):
    def test_command_is_the_bench_machine_with_the_bench_disk(self):
        argv = drvbench.command("/x/system.iso", "/x/disk.img")
        text = " ".join(argv)
        self.assertIn(" ".join(qemu.BENCH_FLAGS), text)
        self.assertIn('"filename": "/x/disk.img"', text)
        self.assertIn("virtio-blk-pci,drive=disk0,addr=04.0,disable-legacy=on,"
                      "iommu_platform=on", text)
        self.assertNotIn("request-merging", text)  # as Linux's disk: QEMU may merge

    def test_log_reads_the_bench_domain_only(self):
        log = linuxbench.StorageLog(drvbench.PREFIX)
        self.assertTrue(log.feed("blkbench: BENCH blk_rand4k_qd1_req 2064", 1.0))
        self.assertFalse(log.feed("linux: BENCH blk_rand4k_qd1_req 9", 1.0))
        self.assertTrue(log.feed("blkbench: BEGIN blk_rand4k_qd1", 1.0))
        self.assertTrue(log.feed("blkbench: END blk_rand4k_qd1 bytes=8000000", 3.0))
        self.assertTrue(log.feed("blkbench: DONE", 3.0))
        self.assertEqual(log.values, {"blk_rand4k_qd1_req": 2064, "blk_rand4k_qd1_mbs": 4.0})
        self.assertTrue(log.done)

    def test_driver_figures_fill_the_storage_rows(self):
        with mock.patch.object(bench, "say") as say:
            bench._print_table({}, ("off",), {}, ("storage",),
                               {"off": {"blk_rand4k_qd1_req": 2064}})
        table = say.call_args_list[0].args[0]
        row = [line for line in table.splitlines() if line.startswith("blk_rand4k_qd1_req")]
        self.assertRegex(row[0], r"\s2064\s+<= 2000\s")


if __name__ == "__main__":
    unittest.main()
