"""Tests of the Linux storage benchmark: cpio writer, modules, disk pattern, log parsing, table."""

import contextlib
import io
import lzma
import os
import re
import stat
import struct
import tempfile
import unittest
from unittest import mock

from bulkhead import bench
from bulkhead import cli
from bulkhead import initramfs
from bulkhead import linuxbench
from bulkhead.util import ROOT, Failure

WORKLOAD_HEADER = os.path.join(ROOT, "tests", "bench", "storage_workload.h")

MODULES_DEP = """\
kernel/drivers/virtio/virtio_pci_modern_dev.ko:
kernel/drivers/virtio/virtio_pci_legacy_dev.ko:
kernel/drivers/virtio/virtio_pci.ko: kernel/drivers/virtio/virtio_pci_legacy_dev.ko \
kernel/drivers/virtio/virtio_pci_modern_dev.ko kernel/drivers/virtio/virtio.ko \
kernel/drivers/virtio/virtio_ring.ko
kernel/drivers/virtio/virtio.ko: kernel/drivers/virtio/virtio_ring.ko
kernel/drivers/virtio/virtio_ring.ko:
kernel/drivers/block/virtio_blk.ko: kernel/drivers/virtio/virtio.ko \
kernel/drivers/virtio/virtio_ring.ko
"""


class ArchiveTest(unittest.TestCase):
    def sample(self):
        archive = initramfs.Archive()
        archive.directory("bin")
        archive.char_device("dev/console", 5, 1)
        archive.file("bin/tool", b"12345", executable=True)
        archive.file("notes", b"")
        return archive.data()

    def test_first_header_byte_for_byte(self):
        data = self.sample()
        # magic, ino 1, mode dir 0755, uid, gid, nlink 2, mtime, size 0, dev 0:0,
        # rdev 0:0, name size 4 ("bin\0"), check; then the name, padded to 4 bytes.
        expected = (b"070701" + b"00000001" + b"000041ED" + b"00000000" * 2 + b"00000002" +
                    b"00000000" * 6 + b"00000004" + b"00000000" + b"bin\0")
        self.assertEqual(data[:len(expected)], expected)
        self.assertEqual(len(expected) % 4, 2)
        self.assertEqual(data[len(expected):len(expected) + 2], b"\0\0")

    def test_round_trip_and_alignment(self):
        data = self.sample()
        self.assertEqual(len(data) % 4, 0)
        entries = initramfs.parse_archive(data)
        self.assertEqual([e[0] for e in entries], ["bin", "dev/console", "bin/tool", "notes"])
        self.assertEqual(entries[2][2], b"12345")
        self.assertEqual(stat.S_IMODE(entries[2][1]), 0o755)
        self.assertTrue(stat.S_ISCHR(entries[1][1]))
        self.assertEqual(entries[3], ("notes", stat.S_IFREG | 0o644, b""))
        self.assertIn(b"TRAILER!!!\0", data[-124:])

    def test_device_numbers_and_repeatable(self):
        data = self.sample()
        header = data[data.index(b"dev/console") - 110:]
        fields = [int(header[6 + 8 * i:14 + 8 * i], 16) for i in range(13)]
        self.assertEqual(fields[9:11], [5, 1])
        self.assertEqual(data, self.sample())

    def test_malformed(self):
        with self.assertRaises(ValueError):
            initramfs.parse_archive(b"070702" + b"0" * 200)


class ModulesTest(unittest.TestCase):
    def test_load_order_needs_first_once_each(self):
        modules = initramfs.parse_modules_dep(MODULES_DEP)
        order = [initramfs.module_name(p)
                 for p in initramfs.load_order(("virtio_pci", "virtio_blk"), modules, {})]
        self.assertEqual(len(order), len(set(order)))
        self.assertEqual(order[-1], "virtio_blk")
        self.assertLess(order.index("virtio_ring"), order.index("virtio"))
        self.assertLess(order.index("virtio"), order.index("virtio_pci"))
        self.assertEqual(set(order), {"virtio_ring", "virtio", "virtio_pci_legacy_dev",
                                      "virtio_pci_modern_dev", "virtio_pci", "virtio_blk"})

    def test_built_in_and_missing(self):
        modules = initramfs.parse_modules_dep(MODULES_DEP)
        config = initramfs.parse_config("CONFIG_VIRTIO_BLK=y\n# CONFIG_FOO is not set\n")
        self.assertEqual(config, {"CONFIG_VIRTIO_BLK": "y"})
        self.assertEqual(initramfs.load_order(("virtio_blk",), modules, config), [])
        with self.assertRaisesRegex(Failure, "virtio_scsi"):
            initramfs.load_order(("virtio_scsi",), modules, {})

    def test_module_names(self):
        self.assertEqual(initramfs.module_name("kernel/a/virtio_blk.ko.xz"), "virtio_blk")
        self.assertEqual(initramfs.module_name("kernel/a/crc-t10dif.ko"), "crc_t10dif")

    def test_find_kernel_newest_with_modules(self):
        with tempfile.TemporaryDirectory() as d:
            boot, mods = os.path.join(d, "boot"), os.path.join(d, "modules")
            os.makedirs(boot)
            for version in ("6.1.0-9-amd64", "6.1.0-10-amd64", "6.1.0-11-amd64"):
                open(os.path.join(boot, "vmlinuz-" + version), "w").close()
            for version in ("6.1.0-9-amd64", "6.1.0-10-amd64"):
                os.makedirs(os.path.join(mods, version))
            version, kernel, config = initramfs.find_kernel(boot, mods)
            self.assertEqual(version, "6.1.0-10-amd64")
            self.assertEqual(kernel, os.path.join(boot, "vmlinuz-6.1.0-10-amd64"))
            self.assertEqual(config, os.path.join(boot, "config-6.1.0-10-amd64"))
            with self.assertRaisesRegex(Failure, "linux-image-amd64"):
                initramfs.find_kernel(boot, os.path.join(d, "none"))

    def test_initramfs_contents(self):
        with tempfile.TemporaryDirectory() as d:
            for name, data in (("virtio_ring.ko", b"ring"), ("virtio.ko.xz", lzma.compress(b"v")),
                               ("busybox", b"bb"), ("blkbench", b"prog")):
                with open(os.path.join(d, name), "wb") as f:
                    f.write(data)
            data = initramfs.build(d, ["virtio_ring.ko", "virtio.ko.xz"],
                                   os.path.join(d, "busybox"), os.path.join(d, "blkbench"))
        files = {name: (mode, body) for name, mode, body in initramfs.parse_archive(data)}
        self.assertEqual(files["lib/modules/virtio.ko"][1], b"v")
        self.assertEqual(files["lib/modules/virtio_ring.ko"][1], b"ring")
        self.assertEqual(files["blkbench"], (stat.S_IFREG | 0o755, b"prog"))
        self.assertEqual(files["bin/busybox"][1], b"bb")
        self.assertTrue(stat.S_ISCHR(files["dev/console"][0]))
        init = files["init"][1].decode()
        self.assertTrue(init.startswith("#!/bin/busybox sh\n"))
        self.assertLess(init.index("insmod /lib/modules/virtio_ring.ko"),
                        init.index("insmod /lib/modules/virtio.ko"))
        self.assertTrue(init.endswith("exec /blkbench\n"))


class DiskAndHeaderTest(unittest.TestCase):
    def header(self):
        with open(WORKLOAD_HEADER, encoding="utf-8") as f:
            return f.read()

    def test_workloads_match_the_header(self):
        names = re.findall(r'^\s*\{"(blk_\w+)"', self.header(), re.MULTILINE)
        self.assertEqual(names, [name for name, _ in linuxbench.WORKLOADS])

    def test_disk_constants_match_the_header(self):
        text = self.header()
        self.assertIn("#define SW_DISK_BYTES (%dULL << 20)" % (linuxbench.DISK_BYTES >> 20), text)
        self.assertIn("#define SW_BLOCK_BYTES %dU" % linuxbench.BLOCK_BYTES, text)
        self.assertIn("#define SW_TAG_MULT 0x%xULL" % linuxbench.TAG_MULT, text)
        self.assertIn("return (block + 1) * SW_TAG_MULT;", text)

    def test_block_pattern(self):
        block = linuxbench.disk_block(0)
        self.assertEqual(len(block), linuxbench.BLOCK_BYTES)
        self.assertEqual(struct.unpack_from("<Q", block)[0], linuxbench.TAG_MULT)
        self.assertEqual(block[8], 8)
        self.assertEqual(block[4095], 0xFF)
        tag = struct.unpack_from("<Q", linuxbench.disk_block(65535))[0]
        self.assertEqual(tag, (65536 * linuxbench.TAG_MULT) % (1 << 64))

    def test_static_elf(self):
        def elf(kind):
            head = bytearray(64)
            head[:5] = b"\x7fELF\x02"
            struct.pack_into("<Q", head, 32, 64)
            struct.pack_into("<HH", head, 54, 56, 1)
            return bytes(head) + struct.pack("<I", kind) + bytes(52)

        with tempfile.TemporaryDirectory() as d:
            path = os.path.join(d, "prog")
            for kind, static in ((1, True), (3, False)):
                with open(path, "wb") as f:
                    f.write(elf(kind))
                self.assertEqual(linuxbench.is_static_elf(path), static)
            with open(path, "wb") as f:
                f.write(b"#!/bin/sh\n")
            self.assertFalse(linuxbench.is_static_elf(path))


class CommandTest(unittest.TestCase):
    def test_machine_flags(self):
        argv = linuxbench.command("/boot/vmlinuz", "i.cpio", "/tmp/a,b.img", "console=ttyS0")
        text = " ".join(argv)
        self.assertIn("-icount shift=0,sleep=off -seed 1", text)
        self.assertIn("file=/tmp/a,,b.img", text)
        self.assertIn("disable-legacy=on,iommu_platform=on", text)
        self.assertLess(argv.index("intel-iommu,intremap=on"),
                        [i for i, a in enumerate(argv) if a.startswith("virtio-blk-pci")][0])
        self.assertEqual(argv[argv.index("-append") + 1], "console=ttyS0")

    def test_only_option(self):
        top, _ = cli.parser()
        self.assertEqual(top.parse_args(["bench", "--only", "storage"]).only, "storage")
        self.assertIsNone(top.parse_args(["bench"]).only)
        with self.assertRaises(SystemExit), contextlib.redirect_stderr(io.StringIO()):
            top.parse_args(["bench", "--only", "disks"])

    def test_only_reaches_the_bench_and_installs_linux(self):
        with mock.patch.object(cli, "prepare_tree"), \
                mock.patch.object(cli.deps, "ensure_packages") as ensure, \
                mock.patch.object(cli.bench, "run", return_value=0) as bench_run:
            for argv in (["bench", "--only", "cycles"], ["bench", "--only", "storage"],
                         ["bench"]):
                self.assertEqual(cli.main(argv), 0)
        self.assertEqual([c.kwargs["only"] for c in bench_run.call_args_list],
                         ["cycles", "storage", None])
        self.assertEqual(ensure.call_args_list,
                         [mock.call(cli.deps.LINUX_BENCH_PACKAGES)] * 2)


class StorageLogTest(unittest.TestCase):
    def test_lines(self):
        log = linuxbench.StorageLog()
        self.assertTrue(log.feed("linux: BEGIN blk_rand4k_qd1", 10.0))
        self.assertTrue(log.feed("linux: END blk_rand4k_qd1 bytes=8000000", 12.0))
        self.assertTrue(log.feed("linux: BENCH blk_rand4k_qd1_req 24813", 12.1))
        self.assertTrue(log.feed("linux: ERROR open /dev/vda: No such file", 13.0))
        self.assertFalse(log.feed("[    1.0] virtio_blk virtio0: [vda]", 13.0))
        self.assertFalse(log.feed("linux: BENCH blk_x lots", 13.0))
        self.assertFalse(log.done)
        self.assertTrue(log.feed("linux: DONE", 14.0))
        self.assertTrue(log.done)
        self.assertEqual(log.values["blk_rand4k_qd1_req"], 24813)
        self.assertAlmostEqual(log.values["blk_rand4k_qd1_mbs"], 4.0)
        self.assertEqual(log.problems, ["ERROR open /dev/vda: No such file"])

    def test_info(self):
        log = linuxbench.StorageLog()
        self.assertTrue(log.feed("linux: INFO calibrate loop instructions=2000000 tsc=2000015",
                                 1.0))
        self.assertTrue(log.feed("linux: INFO blk_a requests=2 tsc=90 polling=40 blocked=0", 1.0))
        self.assertFalse(log.feed("linux: INFO blk_a tsc=lots", 1.0))
        self.assertEqual(log.info, {"calibrate loop": {"instructions": 2000000, "tsc": 2000015},
                                    "blk_a": {"requests": 2, "tsc": 90, "polling": 40,
                                              "blocked": 0}})

    def test_error_voids_the_workload(self):
        log = linuxbench.StorageLog()
        for line in ("linux: BEGIN blk_a", "linux: END blk_a bytes=100", "linux: BEGIN blk_b",
                     "linux: END blk_b bytes=100",
                     "linux: ERROR blk_a: the data read at offset 0 is not the disk's"):
            log.feed(line, 1.0 if "BEGIN" in line else 2.0)
        self.assertEqual(sorted(log.values), ["blk_b_mbs"])
        self.assertEqual(len(log.problems), 1)

    def test_end_without_begin(self):
        log = linuxbench.StorageLog()
        log.feed("linux: END blk_rand4k_qd1 bytes=100", 1.0)
        self.assertEqual(log.values, {})


class StorageTableTest(unittest.TestCase):
    LINUX = {"iommu": {"values": {"blk_rand4k_qd1_req": 24813, "blk_rand4k_qd1_mbs": 6.4,
                                  "blk_seqread64k_qd1_byte_milli": 1010}},
             "strict": {"values": {"blk_rand4k_qd1_req": 27330}},
             "pt": {"values": {"blk_rand4k_qd1_req": 16831, "blk_rand4k_qd1_mbs": 9.25}}}

    def lines(self, results, linux):
        text = bench.format_table(results, bench.BENCH_MODES, linux, bench.STORAGE_ROWS)
        return {line.split()[0]: line for line in text.splitlines()[1:]}

    def test_linux_beside_dashes(self):
        lines = self.lines({}, self.LINUX)
        # three rows per workload and three round-trip rows, each also through the service
        self.assertEqual(len(lines), 2 * (3 * len(linuxbench.WORKLOADS) + 3))
        self.assertTrue(lines["blk_rand4k_qd1_path_irq"].endswith(" -"))
        self.assertRegex(lines["blk_rand4k_qd1_req"],
                         r"\s-\s+-\s+<= 2000 / -\s+-\s+24813 \(strict 27330, pt 16831\)$")
        self.assertTrue(lines["blk_rand4k_qd1_mbs"].endswith("6.4 (strict missing, pt 9.2)"))
        self.assertRegex(lines["blk_seqread64k_qd1_byte_milli"], r"<= Linux\s+-\s+1010 \(")
        self.assertTrue(lines["blk_rand4k_qd32_req"].endswith("missing"))
        self.assertTrue(self.lines({}, {})["blk_rand4k_qd1_req"].endswith(" -"))

    def test_storage_part_alone_and_without_linux(self):
        with tempfile.TemporaryDirectory() as d, \
                mock.patch.object(bench, "BUILD", d), \
                mock.patch.object(bench, "_run_cycles") as cycles, \
                mock.patch.object(bench, "_demo") as demo, \
                mock.patch.object(bench.linuxbench, "run", side_effect=Failure("no kernel")), \
                mock.patch.object(bench.drvbench, "run", return_value={}) as driver, \
                mock.patch.object(bench, "say") as say:
            self.assertEqual(bench.run(only="storage"), 0)
            driver.assert_called_once()
            with open(os.path.join(d, "bench", "results.json"), encoding="utf-8") as f:
                self.assertIn("no kernel", f.read())
        cycles.assert_not_called()
        demo.assert_not_called()
        printed = "\n".join(c.args[0] for c in say.call_args_list)
        self.assertIn("no Linux storage figures: no kernel", printed)
        self.assertRegex(printed, r"blk_rand4k_qd1_req .* missing\n")
        self.assertNotIn("\nnull ", printed)
        self.assertNotIn("published reference points", printed)

    def test_bulkhead_against_linux(self):
        lines = self.lines({"off": {"blk_seqread64k_qd1_byte_milli": 1200,
                                    "blk_rand4k_qd1_mbs": 3.2},
                            "force": {"blk_seqread64k_qd1_byte_milli": 900}}, self.LINUX)
        self.assertTrue(lines["blk_seqread64k_qd1_byte_milli"].endswith("above target (off)"))
        self.assertTrue(lines["blk_rand4k_qd1_mbs"].endswith("0.50x Linux"))
        self.assertRegex(lines["blk_rand4k_qd1_mbs"], r"\b3\.2\s+-\s")


if __name__ == "__main__":
    unittest.main()
