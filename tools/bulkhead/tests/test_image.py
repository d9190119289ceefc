"""Tests of `bulkhead image`: grub.cfg, volume id, IMAGE.txt, plan checks, output errors."""

import hashlib
import os
import shutil
import struct
import tempfile
import unittest
import zlib
from unittest import mock

from bulkhead import deps
from bulkhead import image
from bulkhead import iso
from bulkhead import plan
from bulkhead.util import Failure

# What `xorriso -indev demo.iso -report_el_torito plain` printed for a real image.
EL_TORITO_REPORT = """\
Volume id    : 'BULKHEAD_DEMO'
El Torito catalog  : 1627  1
El Torito cat path : /boot.catalog
El Torito images   :   N  Pltf  B   Emul  Ld_seg  Hdpt  Ldsiz         LBA
El Torito boot img :   1  BIOS  y   none  0x0000  0x00      4        3430
El Torito boot img :   2  UEFI  y   none  0x0000  0x00   5760          72
El Torito img path :   1  /boot/grub/i386-pc/eltorito.img
El Torito img path :   2  /efi.img
"""


def make_plan(name=b"demo", memory=512 << 20, body=b"\x11" * 200):
    """Returns a boot plan: a struct bp_header (136 bytes) and @body, with a correct CRC-32."""
    total = 136 + len(body)
    head = struct.pack("<QIIIIQ32s", 0x31304E414C504842, 1, 136, total, 0, memory, name)
    data = bytearray(head + b"\0" * (136 - len(head)) + body)
    struct.pack_into("<I", data, 20, zlib.crc32(bytes(data)))
    return bytes(data)


class TempDirTest(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="bulkhead-test-image-")
        self.addCleanup(shutil.rmtree, self.dir, True)

    def write(self, name, data):
        path = os.path.join(self.dir, name)
        with open(path, "wb") as f:
            f.write(data if isinstance(data, bytes) else data.encode())
        return path


class GrubConfigTest(unittest.TestCase):
    def test_echo_carries_name_and_plan_crc(self):
        cfg = iso.grub_config("demo", ["console"], 0x3A94FE8C)
        echo = [line for line in cfg.splitlines() if line.startswith("echo \"grub: booting")]
        self.assertEqual(echo, ['echo "grub: booting bulkhead system demo'
                                ' (plan crc32 0x3a94fe8c)"'])

    def test_crc_is_zero_padded(self):
        self.assertIn("(plan crc32 0x0000abcd)", iso.grub_config("demo", [], 0xABCD))

    def test_serial_console_and_no_video_mode(self):
        lines = iso.grub_config("demo", [], 1).splitlines()
        self.assertEqual(lines[0], "serial --unit=0 --speed=115200")
        self.assertIn("set gfxpayload=text", lines)
        self.assertLess(lines.index("set gfxpayload=text"),
                        lines.index("multiboot2 /boot/kernel.elf"))

    def test_boot_then_failure_message_then_halt(self):
        lines = iso.grub_config("demo", ["a"], 1).splitlines()
        at = lines.index("boot")
        self.assertEqual(lines[at - 1], "module2 /boot/a.elf a")
        self.assertIn("FAILED", lines[at + 1])
        self.assertEqual(lines[at + 2], "halt")

    def test_without_crc_the_line_stays_short(self):
        self.assertIn('echo "grub: booting bulkhead system demo"\n', iso.grub_config("demo", []))


class PlanChecksumTest(TempDirTest):
    def test_reads_the_u32_at_offset_20(self):
        data = make_plan()
        path = self.write("plan.bin", data)
        self.assertEqual(iso.plan_checksum(path), struct.unpack_from("<I", data, 20)[0])
        self.assertEqual(iso.plan_checksum(path), image.verify_plan(data)[0])

    def test_too_short(self):
        with self.assertRaises(Failure):
            iso.plan_checksum(self.write("plan.bin", b"BHPLAN01"))

    def test_verify_accepts_a_good_plan(self):
        crc, memory = image.verify_plan(make_plan(memory=64 << 20))
        self.assertEqual(memory, 64 << 20)
        self.assertNotEqual(crc, 0)

    def test_verify_refuses_a_flipped_byte(self):
        data = bytearray(make_plan())
        data[150] ^= 0xFF
        with self.assertRaises(Failure) as ctx:
            image.verify_plan(bytes(data))
        self.assertIn("CRC-32", str(ctx.exception))

    def test_verify_refuses_wrong_magic_size_and_truncation(self):
        data = make_plan()
        for bad in (b"X" + data[1:], data + b"\0", data[:100]):
            with self.assertRaises(Failure):
                image.verify_plan(bad)


class VolumeIdTest(unittest.TestCase):
    def test_plain_name(self):
        self.assertEqual(image.volume_id("demo"), "BULKHEAD_DEMO")

    def test_other_characters_become_underscores(self):
        self.assertEqual(image.volume_id("my-system.v2"), "BULKHEAD_MY_SYSTEM_V2")

    def test_truncated_to_32(self):
        vid = image.volume_id("a" * 31)
        self.assertEqual(len(vid), 32)
        self.assertEqual(vid, "BULKHEAD_" + "A" * 23)

    def test_only_d_characters(self):
        for name in ("x y", "é", "a/b", "A_b-9"):
            self.assertRegex(image.volume_id(name), r"^[A-Z0-9_]{1,32}$")

    def test_application_id_has_the_crc(self):
        self.assertEqual(image.application_id("my demo", 0xAB),
                         "BULKHEAD SYSTEM MY_DEMO PLAN CRC32 000000AB")


class ImageTxtTest(TempDirTest):
    def setUp(self):
        super().setUp()
        self.manifest = self.write("demo.xml", "<system name=\"demo\"/>\n")
        self.plan_data = make_plan()
        plan_path = self.write("plan.bin", self.plan_data)
        self.console = self.write("console.elf", b"\x7fELF console")
        self.ping = self.write("ping.elf", b"\x7fELF ping")
        self.compiled = plan.CompiledPlan(plan_path, [("console", self.console),
                                                      ("ping", self.ping)], "demo")
        self.kernel = self.write("kernel.elf", b"\x7fELF kernel")
        self.bhc = self.write("bhc", b"not a program")
        for name, value in (("KERNEL_ELF", self.kernel), ("BHC", self.bhc)):
            patcher = mock.patch.object(image, name, value)
            patcher.start()
            self.addCleanup(patcher.stop)

    def text(self, mode="auto"):
        facts, modules, _ = image.collect(self.manifest, self.compiled, self.plan_data, mode)
        return image.image_txt(facts, modules)

    def fields(self, mode="auto"):
        found = {}
        for line in self.text(mode).splitlines():
            if not line.startswith("#"):
                key, _, value = line.partition(": ")
                found.setdefault(key, []).append(value)
        return found

    def sha(self, data):
        return hashlib.sha256(data).hexdigest()

    def test_identity_fields(self):
        fields = self.fields()
        crc = struct.unpack_from("<I", self.plan_data, 20)[0]
        self.assertEqual(fields["system"], ["demo"])
        self.assertEqual(fields["plan-crc32"], ["0x%08x" % crc])
        self.assertEqual(fields["plan-sha256"], [self.sha(self.plan_data)])
        self.assertEqual(fields["plan-bytes"], [str(len(self.plan_data))])
        self.assertEqual(fields["memory"], ["512M"])
        self.assertEqual(fields["manifest"], ["demo.xml"])
        self.assertEqual(fields["manifest-sha256"], [self.sha(b"<system name=\"demo\"/>\n")])
        self.assertEqual(fields["volume-id"], ["BULKHEAD_DEMO"])
        self.assertEqual(fields["kernel-sha256"], [self.sha(b"\x7fELF kernel")])
        self.assertEqual(fields["bhc-sha256"], [self.sha(b"not a program")])
        self.assertIn("no --version", fields["bhc"][0])
        self.assertRegex(fields["built"][0], r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")
        self.assertTrue(fields["source"][0])

    def test_mitigations(self):
        self.assertEqual(self.fields()["mitigations"], ["auto"])
        self.assertEqual(self.fields("force")["mitigations"], ["force"])
        with self.assertRaises(ValueError):
            self.fields("all")

    def test_modules_in_load_order_with_hashes(self):
        self.assertEqual(self.fields()["module"], [
            "plan /boot/plan.bin " + self.sha(self.plan_data),
            "console /boot/console.elf " + self.sha(b"\x7fELF console"),
            "ping /boot/ping.elf " + self.sha(b"\x7fELF ping")])

    def test_a_changed_module_changes_its_line(self):
        before = self.fields()["module"]
        self.write("ping.elf", b"\x7fELF ping v2")
        after = self.fields()["module"]
        self.assertEqual(before[:2], after[:2])
        self.assertNotEqual(before[2], after[2])

    def test_source_date_epoch_sets_the_date(self):
        with mock.patch.dict(os.environ, {"SOURCE_DATE_EPOCH": "1700000000"}):
            self.assertEqual(self.fields()["built"], ["2023-11-14T22:13:20Z"])

    def test_damaged_plan_is_refused(self):
        data = bytearray(self.plan_data)
        data[-1] ^= 1
        with self.assertRaises(Failure):
            image.collect(self.manifest, self.compiled, bytes(data))

    def test_comment_says_where_to_look(self):
        self.assertTrue(self.text().startswith("# Bulkhead appliance image"))
        self.assertIn("docs/deploying.md", self.text())


class StageTest(TempDirTest):
    def test_grub_cfg_on_the_iso_carries_the_mode(self):
        plan_path = self.write("plan.bin", make_plan())
        compiled = plan.CompiledPlan(plan_path, [("ping", self.write("ping.elf", b"p"))], "demo")
        with mock.patch.object(iso, "KERNEL_ELF", self.write("kernel.elf", b"k")):
            for mode, line in (("auto", "multiboot2 /boot/kernel.elf\n"),
                               ("force", "multiboot2 /boot/kernel.elf mitigations=force\n")):
                tree = iso.stage(self.dir, compiled, mitigation_mode=mode)
                with open(os.path.join(tree, "boot", "grub", "grub.cfg"), encoding="utf-8") as f:
                    self.assertIn(line, f.read())


class LayoutTest(TempDirTest):
    def test_el_torito_report(self):
        self.assertEqual(iso.el_torito_platforms(EL_TORITO_REPORT), ["BIOS", "UEFI"])
        self.assertEqual(iso.el_torito_platforms("Volume id : 'X'\n"), [])

    def test_disk_tables(self):
        mbr = bytearray(1024)
        mbr[446 + 4] = 0xEF
        mbr[510:512] = b"\x55\xaa"
        self.assertEqual(iso.disk_tables(self.write("a", bytes(mbr))), ["MBR"])
        mbr[512:520] = b"EFI PART"
        self.assertEqual(iso.disk_tables(self.write("b", bytes(mbr))), ["MBR", "GPT"])
        self.assertEqual(iso.disk_tables(self.write("c", b"\0" * 2048)), [])
        self.assertEqual(iso.disk_tables(self.write("d", b"short")), [])

    def test_missing_grub_platform_names_its_package(self):
        os.makedirs(os.path.join(self.dir, "i386-pc"))
        with mock.patch.object(iso, "GRUB_LIB", self.dir):
            self.assertEqual(iso.missing_platforms(), [("UEFI", "grub-efi-amd64-bin")])
            with self.assertRaises(Failure) as ctx:
                image._required_platforms()
        self.assertIn("--no-install-recommends grub-efi-amd64-bin", str(ctx.exception))


class CheckPathsTest(TempDirTest):
    def setUp(self):
        super().setUp()
        self.manifest = self.write("demo.xml", "<system/>")

    def assertRefused(self, output, fragment, manifest=None):
        with self.assertRaises(Failure) as ctx:
            image.check_paths(manifest or self.manifest, output)
        self.assertIn(fragment, str(ctx.exception))

    def test_good_paths(self):
        image.check_paths(self.manifest, os.path.join(self.dir, "system.iso"))
        image.check_paths(self.manifest, self.write("old.iso", b"old"))

    def test_missing_manifest(self):
        self.assertRefused(os.path.join(self.dir, "x.iso"), "no manifest",
                           os.path.join(self.dir, "nope.xml"))

    def test_directory(self):
        self.assertRefused(self.dir, "is a directory")

    def test_missing_directory(self):
        self.assertRefused(os.path.join(self.dir, "no", "x.iso"), "does not exist")

    def test_parent_is_a_file(self):
        self.assertRefused(os.path.join(self.manifest, "x.iso"), "is not a directory")

    def test_not_writable(self):
        with mock.patch.object(image.os, "access", return_value=False):
            self.assertRefused(os.path.join(self.dir, "x.iso"), "no permission")

    def test_not_a_regular_file(self):
        fifo = os.path.join(self.dir, "fifo")
        os.mkfifo(fifo)
        self.assertRefused(fifo, "not a regular file")

    def test_the_manifest_itself(self):
        self.assertRefused(self.manifest, "the manifest itself")


class BuildTest(TempDirTest):
    """image.build with the compiler and grub-mkrescue replaced: all or nothing."""

    def setUp(self):
        super().setUp()
        self.manifest = self.write("demo.xml", "<system/>")
        plan_path = self.write("plan.bin", make_plan())
        compiled = plan.CompiledPlan(plan_path, [], "demo")
        self.output = os.path.join(self.dir, "out", "system.iso")
        os.makedirs(os.path.dirname(self.output))
        self.workdir = os.path.join(self.dir, "work")
        os.makedirs(self.workdir)
        patches = [mock.patch.object(image.plan, "compile_manifest", return_value=compiled),
                   mock.patch.object(image, "collect", return_value=([], [], 0x1234)),
                   mock.patch.object(image.iso, "stage", return_value=self.workdir),
                   mock.patch.object(image.iso, "missing_platforms", return_value=[]),
                   mock.patch.object(image.iso, "disk_tables", return_value=["MBR", "GPT"])]
        for patcher in patches:
            patcher.start()
            self.addCleanup(patcher.stop)

    def pack_writing(self, data, fail=False):
        def pack(_tree, output, _args):
            with open(output, "wb") as f:
                f.write(data)
            if fail:
                raise Failure("grub-mkrescue failed (exit status 1)")
        return mock.patch.object(image.iso, "pack", side_effect=pack)

    def entries(self, found):
        return mock.patch.object(image.iso, "boot_entries", return_value=found)

    def leftovers(self):
        return sorted(os.listdir(os.path.dirname(self.output)))

    def test_success_reports_size_and_sha256(self):
        with self.pack_writing(b"ISO" * 100), self.entries(["BIOS", "UEFI"]):
            info = image.build(self.manifest, self.output, self.workdir)
        self.assertEqual(self.leftovers(), ["system.iso"])
        self.assertEqual(info.size, 300)
        self.assertEqual(info.sha256, hashlib.sha256(b"ISO" * 100).hexdigest())
        self.assertEqual((info.system, info.plan_crc, info.volume_id), (
            "demo", 0x1234, "BULKHEAD_DEMO"))
        text = "\n".join(image.describe(info))
        self.assertIn(info.sha256, text)
        self.assertIn("0x00001234", text)
        self.assertIn("plan sha256: %s" % info.plan_sha256, text)
        self.assertIn("300 bytes", text)
        self.assertIn("mitigations: auto  (the kernel's default)", text)

    def test_mode_goes_to_grub_and_image_txt(self):
        with self.pack_writing(b"ISO"), self.entries(["BIOS", "UEFI"]):
            info = image.build(self.manifest, self.output, self.workdir, "force")
        self.assertEqual(image.collect.call_args.args[3], "force")
        self.assertEqual(image.iso.stage.call_args.args[3], "force")
        self.assertIn("mitigations: force  (kernel line: mitigations=force)",
                      "\n".join(image.describe(info)))

    def test_failed_pack_leaves_nothing(self):
        with self.pack_writing(b"half", fail=True), self.entries(["BIOS", "UEFI"]):
            with self.assertRaises(Failure):
                image.build(self.manifest, self.output, self.workdir)
        self.assertEqual(self.leftovers(), [])

    def test_failed_pack_keeps_the_old_image(self):
        with open(self.output, "wb") as f:
            f.write(b"old image")
        with self.pack_writing(b"half", fail=True), self.entries(["BIOS", "UEFI"]):
            with self.assertRaises(Failure):
                image.build(self.manifest, self.output, self.workdir)
        self.assertEqual(self.leftovers(), ["system.iso"])
        with open(self.output, "rb") as f:
            self.assertEqual(f.read(), b"old image")

    def test_image_without_uefi_entry_is_refused(self):
        with self.pack_writing(b"ISO"), self.entries(["BIOS"]):
            with self.assertRaises(Failure) as ctx:
                image.build(self.manifest, self.output, self.workdir)
        self.assertIn("UEFI", str(ctx.exception))
        self.assertEqual(self.leftovers(), [])

    def test_interrupt_leaves_nothing(self):
        def pack(_tree, output, _args):
            with open(output, "wb") as f:
                f.write(b"half")
            raise KeyboardInterrupt()
        with mock.patch.object(image.iso, "pack", side_effect=pack):
            with self.assertRaises(KeyboardInterrupt):
                image.build(self.manifest, self.output, self.workdir)
        self.assertEqual(self.leftovers(), [])


class DepsTest(unittest.TestCase):
    def test_efi_grub_and_no_conflicting_grub(self):
        self.assertIn("grub-efi-amd64-bin", deps.BASE_PACKAGES)
        self.assertIn("ovmf", deps.BASE_PACKAGES)
        for conflicting in ("grub-efi-amd64", "grub-pc"):
            self.assertNotIn(conflicting, deps.BASE_PACKAGES)

    def test_everything_without_recommends(self):
        self.assertEqual(deps.install_commands(["ovmf", "grub-efi-amd64-bin"]), [
            ["install", "-y", "--no-install-recommends", "ovmf", "grub-efi-amd64-bin"]])
        self.assertEqual(deps.install_commands([]), [])

    def test_what_recommends_would_bring_is_named(self):
        # Without recommends these come only because they are listed.
        for package in ("qemu-system-x86", "ovmf", "grub-pc-bin", "grub-efi-amd64-bin",
                        "grub-common", "xorriso", "mtools", "libc6-dev"):
            self.assertIn(package, deps.BASE_PACKAGES)

    def test_message_for_a_normal_user(self):
        with mock.patch.object(deps, "missing_packages", return_value=["ovmf", "mtools"]), \
                mock.patch.object(deps.os, "geteuid", return_value=1000):
            with self.assertRaises(Failure) as ctx:
                deps.ensure_packages(["ovmf", "mtools"])
        self.assertIn("apt-get install -y --no-install-recommends ovmf mtools",
                      str(ctx.exception))


if __name__ == "__main__":
    unittest.main()
