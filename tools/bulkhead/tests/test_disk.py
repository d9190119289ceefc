"""Tests of the system tests' disks: the directives, the images, QEMU's flags, the host checks."""

import hashlib
import json
import os
import re
import shutil
import subprocess
import tempfile
import io
import struct
import unittest
import zlib
from unittest import mock

from bulkhead import disk
from bulkhead import expect
from bulkhead import harness
from bulkhead import linuxbench
from bulkhead.util import ROOT

PATH = "/repo/tests/system/blk/expect"
PATTERN_HEADER = os.path.join(ROOT, "tests", "system", "domains", "blk_pattern.h")


def parse(text):
    return expect.parse("expect x\n" + text, PATH)


class DirectiveTest(unittest.TestCase):
    def test_disk_error_and_checks(self):
        spec = parse("disk 1M zero\ndisk-error 7\ndisk-error 9 28\n"
                     "disk-check 0x200 1024 sector\ndisk-check 0 512 " + "Ab" * 32 + "\n")
        self.assertEqual((spec.disk.size, spec.disk.fill), (1 << 20, "zero"))
        self.assertEqual(spec.disk.errors, [(7, 5), (9, 28)])
        self.assertEqual([(c.offset, c.length, c.want, c.line) for c in spec.disk.checks],
                         [(512, 1024, "sector", 5), (0, 512, "ab" * 32, 6)])

    def test_no_disk(self):
        self.assertIsNone(parse("").disk)

    def test_refusals(self):
        bad = ["disk 1M", "disk 1M ones", "disk 1000 zero", "disk 0 zero", "disk 2G zero",
               "disk 1M zero\ndisk 1M zero", "disk-error 3", "disk-check 0 512 zero",
               "disk 1M zero\ndisk-error 2048", "disk 1M zero\ndisk-error x",
               "disk 1M zero\ndisk-error 1 0", "disk 1M zero\ndisk-check 0 0 zero",
               "disk 1M zero\ndisk-check 1048064 1024 zero", "disk 1M zero\ndisk-check 0 1 abc",
               "disk 1M zero\ndisk-check z 1 zero", "disk 1M zero\ndisk-check 0 1",
               "disk 1M zero\nqemu-args -device intel-iommu,aw-bits=48",
               "disk 1M zero\nqemu-args -device virtio-blk-pci,drive=d"]
        for text in bad:
            with self.assertRaises(expect.ExpectError, msg=text):
                parse(text)


class PatternTest(unittest.TestCase):
    def test_bench_is_linuxbench_disk(self):
        self.assertEqual(disk.pattern_bytes("bench", 0, 8192),
                         linuxbench.disk_block(0) + linuxbench.disk_block(1))
        self.assertEqual(disk.pattern_bytes("bench", 4100, 10), linuxbench.disk_block(1)[4:14])

    def test_sector_pattern(self):
        data = disk.pattern_bytes("sector", 512 * 3 - 2, 12)
        self.assertEqual(data[:2], disk.sector_bytes(2)[-2:])
        self.assertEqual(data[2:], disk.sector_bytes(3)[:10])
        self.assertEqual(disk.sector_bytes(3)[8], (7 * 3 + 13 * 8) & 0xFF)
        self.assertNotEqual(disk.sector_bytes(3), disk.sector_bytes(4))

    def test_constants_match_the_guest_header(self):
        with open(PATTERN_HEADER, encoding="utf-8") as f:
            text = f.read()
        magic = re.search(r"#define BLK_PATTERN_MAGIC (0x[0-9a-fA-F]+)ULL", text)
        self.assertEqual(int(magic.group(1), 16), disk.SECTOR_MAGIC)
        self.assertIn("(7u * sector + 13u * (uint64_t)k) & 0xffu", text)


class ImageTest(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp()
        self.path = disk.image_path(self.dir)

    def tearDown(self):
        shutil.rmtree(self.dir)

    def test_create_and_verify(self):
        d = disk.parse_disk("64K bench")
        disk.create(d, self.path)
        self.assertEqual(os.path.getsize(self.path), 65536)
        d.checks = [disk.parse_check(d, "4096 8192 bench", 1)]
        self.assertIsNone(disk.verify_all(d, self.path))
        with open(self.path, "r+b") as f:
            f.seek(4096 + 100)
            f.write(b"\xee")
        self.assertIn("offset 4196 is 0xee", disk.verify_all(d, self.path))

    def test_sha256_check(self):
        d = disk.parse_disk("4K zero")
        disk.create(d, self.path)
        good = disk.parse_check(d, "0 4096 " + hashlib.sha256(bytes(4096)).hexdigest(), 1)
        bad = disk.parse_check(d, "0 4096 " + "0" * 64, 2)
        self.assertIsNone(disk.verify(good, self.path))
        self.assertIn("hash to", disk.verify(bad, self.path))

    def test_flags(self):
        d = disk.parse_disk("1M zero")
        flags = disk.qemu_flags(d, self.path)
        self.assertEqual(flags[:2], ["-device", "intel-iommu,aw-bits=48"])
        self.assertIn("disable-legacy=on,iommu_platform=on", flags[5])
        node = json.loads(flags[3])
        self.assertEqual(node["file"]["driver"], "file")
        d.errors = [(8, 5)]
        node = json.loads(disk.qemu_flags(d, self.path)[3])
        self.assertEqual(node["file"]["driver"], "blkdebug")
        self.assertEqual(node["file"]["image"]["filename"], self.path)
        self.assertNotIn("request-merging", flags[5])
        self.assertIn("request-merging=off", disk.qemu_flags(d, self.path)[5])

    @unittest.skipUnless(shutil.which("qemu-io"), "qemu-io is not installed")
    def test_blkdebug_fails_only_its_sector(self):
        d = disk.parse_disk("64K zero")
        d.errors = [(8, 5)]
        disk.create(d, self.path)
        options = "json:" + disk._blockdev(d, self.path)
        for offset, fails in ((0, False), (4096, True), (8192, False)):
            out = subprocess.run(["qemu-io", "-c", "read %d 512" % offset, options],
                                 capture_output=True, text=True).stdout
            self.assertEqual("Input/output error" in out, fails, out)


class HarnessDiskTest(unittest.TestCase):
    """The harness makes the image before the first boot, shares it between boots and checks
    it after the last; a stand-in for QEMU writes to it as a guest would."""

    def setUp(self):
        self.dir = tempfile.mkdtemp()
        self.addCleanup(shutil.rmtree, self.dir)

    def boot(self, text, guest):
        spec = expect.parse("expect x\n" + text, os.path.join(self.dir, "expect"))
        boots = []

        def boot_once(_spec, boot, _iso, workdir, _values, _log, **_phase):
            boots.append(boot)
            with open(disk.image_path(workdir), "r+b") as f:
                guest(f, len(boots))
            return None
        with mock.patch.object(harness, "_build", return_value=("iso", {})), \
                mock.patch.object(harness, "_boot_once", side_effect=boot_once):
            return harness._boot(spec, self.dir, io.StringIO())

    def test_checks_see_what_the_guest_wrote(self):
        def write(f, _n):
            f.seek(1024)
            f.write(disk.sector_bytes(2))
        self.assertIsNone(self.boot("disk 64K zero\ndisk-check 1024 512 sector\n"
                                    "disk-check 0 1024 zero\n", write))
        reason = self.boot("disk 64K zero\ndisk-check 1536 512 sector\n", write)
        self.assertIn("disk-check 1536 512 sector: byte at offset 1536", reason)

    def test_boots_share_the_disk(self):
        def write_once(f, n):
            f.seek(0)
            if n == 1:
                f.write(disk.sector_bytes(0))
            elif f.read(SECTOR_BYTES) != disk.sector_bytes(0):
                raise AssertionError("the second boot did not find the first one's data")
        self.assertIsNone(self.boot("disk 64K zero\nboot bios cdrom\nboot uefi cdrom\n"
                                    "disk-check 0 512 sector\n", write_once))


SECTOR_BYTES = disk.SECTOR




def _record(seq, text=b"hello"):
    """A journal record as apps/journal writes it (built here from the format alone)."""
    body = struct.pack("<IIQ", disk.JREC_MAGIC, len(text), seq) + text
    body += bytes(disk.SECTOR - 4 - len(body))
    return body + struct.pack("<I", zlib.crc32(body) & 0xFFFFFFFF)


class JournalCheckTest(unittest.TestCase):
    def test_counts_intact_records_in_order(self):
        data = _record(0) + _record(1) + _record(2) + bytes(512)
        self.assertEqual(disk.journal_count(data), 3)

    def test_torn_stale_or_misplaced_records_stop_the_count(self):
        torn = bytearray(_record(1))
        torn[100] ^= 1
        self.assertEqual(disk.journal_count(_record(0) + bytes(torn) + _record(2)), 1)
        self.assertEqual(disk.journal_count(_record(0) + _record(5)), 1)
        self.assertEqual(disk.journal_count(_record(1)), 0)

    def test_parse_needs_room_for_the_records(self):
        d = disk.Disk(1 << 20, "zero")
        self.assertEqual(disk.parse_check(d, "0 4096 journal:8", 1).want, "journal:8")
        with self.assertRaises(ValueError):
            disk.parse_check(d, "0 2048 journal:8", 1)


if __name__ == "__main__":
    unittest.main()
