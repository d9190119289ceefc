"""Tests of `bulkhead run`'s disk: which manifests get one, where it comes from, bad --disk."""

import os
import tempfile
import unittest

from bulkhead import boot
from bulkhead.util import ROOT, Failure

STORAGE = os.path.join(ROOT, "manifests", "storage.xml")
DEMO = os.path.join(ROOT, "manifests", "demo.xml")


class RunDiskTest(unittest.TestCase):
    def test_device_manifest_gets_a_disk(self):
        self.assertTrue(boot.grants_device(STORAGE))
        self.assertFalse(boot.grants_device(DEMO))

    def test_no_device_no_flags(self):
        with tempfile.TemporaryDirectory() as work:
            self.assertEqual(boot.disk_flags(DEMO, work), [])
            self.assertFalse(os.path.exists(os.path.join(work, "disk.img")))

    def test_missing_given_disk_is_an_error(self):
        with tempfile.TemporaryDirectory() as work:
            with self.assertRaises(Failure) as ctx:
                boot.disk_flags(DEMO, work, os.path.join(work, "none.img"))
            self.assertIn("qemu-img create", str(ctx.exception))

    def test_given_disk_is_attached_behind_the_iommu(self):
        with tempfile.TemporaryDirectory() as work:
            path = os.path.join(work, "mine.img")
            with open(path, "wb") as f:
                f.truncate(1 << 20)
            flags = boot.disk_flags(DEMO, work, path)
            self.assertIn("intel-iommu,aw-bits=48", flags)
            self.assertTrue(any(path in f for f in flags))
            self.assertTrue(any("iommu_platform=on" in f for f in flags))

    def test_bad_manifest_gets_no_disk(self):
        with tempfile.TemporaryDirectory() as work:
            bad = os.path.join(work, "bad.xml")
            with open(bad, "w", encoding="utf-8") as f:
                f.write("<system")
            self.assertFalse(boot.grants_device(bad))


if __name__ == "__main__":
    unittest.main()
