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
                               {"storage": {"off": {"blk_rand4k_qd1_req": 2064}},
                                "storage-svc": {"off": {"blk_rand4k_qd1_req": 2477,
                                                        "blk_rand4k_qd1_byte_milli": 600}}})
        table = say.call_args_list[0].args[0]
        rows = {line.split()[0]: line for line in table.splitlines()}
        self.assertRegex(rows["blk_rand4k_qd1_req"], r"\s2064\s+<= 2000\s")
        self.assertRegex(rows["svc:blk_rand4k_qd1_req"],
                         r"through the service\s+2477\s+<= 2000, <= 1.10x driver\s.*"
                         r"above target; 1.20x driver alone, above 1.10x \(off\)$")
        self.assertRegex(rows["svc:blk_rand4k_qd1_byte_milli"], r"\s600\s+<= 1.10x driver\s")
        self.assertTrue(rows["svc:blk_rand4k_qd1_mbs"].endswith(" -"))
        self.assertRegex(rows["svc:blk_rand4k_qd1_rtt"], r"\s-\s+-\s+-$")  # no ratio target

    def test_service_within_its_ratio(self):
        row = [r for r in bench.STORAGE_ROWS if r.key == "svc:blk_seqread64k_qd32_req"][0]
        results = {"off": {"blk_seqread64k_qd32_req": 1000, row.key: 1100},
                   "force": {"blk_seqread64k_qd32_req": 1000, row.key: 1101}}
        self.assertEqual(row.service_note(results, ("off", "force")),
                         "1.10x / 1.10x driver alone, above 1.10x (forced)")
        self.assertEqual(row.service_note({"off": {row.key: 5}}, ("off",)), "")

    def test_round_trip_figures(self):
        info = {"blk_rand4k_qd1": {"requests": 4, "tsc": 4002, "polling": 100},
                "stages blk_rand4k_qd1": {"requests": 4}}
        self.assertEqual(drvbench.derived(info), {"blk_rand4k_qd1_rtt": 1000})


if __name__ == "__main__":
    unittest.main()
