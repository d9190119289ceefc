"""Tests of firmware and boot media: the `image` and `boot` directives, QEMU's flags, proofs."""

import os
import shutil
import tempfile
import unittest
from unittest import mock

from bulkhead import expect
from bulkhead import qemu
from bulkhead.util import Failure

PATH = "/repo/tests/system/image/expect"

# Lines as OVMF and SeaBIOS print them (serial, debug port 0x402).
OVMF_CD = ('BdsDxe: starting Boot0001 "UEFI QEMU DVD-ROM QM00005 " from '
           'PciRoot(0x0)/Pci(0x1F,0x2)/Sata(0x2,0xFFFF,0x0)')
OVMF_USB = ('BdsDxe: starting Boot0001 "UEFI QEMU QEMU USB HARDDRIVE 1-0000:00:01.0-1" from '
            'PciRoot(0x0)/Pci(0x1,0x0)/USB(0x0,0x0)')
SEABIOS_CD = ("enter handle_19:\n  NULL\nBooting from Hard Disk...\n"
              "Boot failed: could not read the boot disk\n\nenter handle_18:\n  NULL\n"
              "Booting from DVD/CD...\nBooting from 0000:7c00\n")
SEABIOS_USB = "enter handle_19:\n  NULL\nBooting from Hard Disk...\nBooting from 0000:7c00\n"


def parse(text):
    return expect.parse(text, PATH)


class DirectiveTest(unittest.TestCase):
    def test_defaults(self):
        spec = parse("expect x\n")
        self.assertEqual(spec.image, "test")
        self.assertEqual(spec.boots, [("bios", "cdrom")])

    def test_image_and_boots_in_order(self):
        spec = parse("image deploy\nboot uefi usb\nboot bios cdrom\nexpect x\n")
        self.assertEqual(spec.image, "deploy")
        self.assertEqual(spec.boots, [("uefi", "usb"), ("bios", "cdrom")])

    def assertError(self, text, fragment):
        with self.assertRaises(expect.ExpectError) as ctx:
            parse(text)
        self.assertIn(fragment, str(ctx.exception))

    def test_bad_values(self):
        self.assertError("expect x\nimage hybrid\n", "expect:2: image 'hybrid'")
        self.assertError("expect x\nboot efi cdrom\n", "expect:2: boot 'efi cdrom'")
        self.assertError("expect x\nboot uefi floppy\n", "MEDIUM one of cdrom|usb")
        self.assertError("expect x\nboot uefi\n", "expected FIRMWARE MEDIUM")
        self.assertError("expect x\nboot uefi usb now\n", "expected FIRMWARE MEDIUM")
        self.assertError("expect x\nboot\n", "boot needs an argument")

    def test_boot_twice(self):
        self.assertError("boot uefi usb\nexpect x\nboot uefi usb\n",
                         "expect:3: boot uefi usb is given twice")

    def test_deploy_image_cannot_be_corrupted(self):
        self.assertError("image deploy\ncorrupt-plan 3\nexpect x\n",
                         "corrupt-plan needs `image test`")


class PlaceholderTest(unittest.TestCase):
    def test_filled_and_escaped(self):
        spec = parse("expect ^grub: .* \\(plan crc32 @PLAN_CRC32@\\)$\n")
        matcher = expect.Matcher(spec, {"@PLAN_CRC32@": "0x3a94fe8c"})
        matcher.feed("grub: booting bulkhead system demo (plan crc32 0x3a94fe8d)")
        self.assertFalse(matcher.done())
        matcher.feed("grub: booting bulkhead system demo (plan crc32 0x3a94fe8c)")
        self.assertTrue(matcher.done())

    def test_value_is_literal(self):
        spec = parse("expect ^v=@PLAN_CRC32@$\n")
        matcher = expect.Matcher(spec, {"@PLAN_CRC32@": "a.b"})
        matcher.feed("v=axb")
        self.assertFalse(matcher.done())
        matcher.feed("v=a.b")
        self.assertTrue(matcher.done())

    def test_rejects_are_filled_too(self):
        spec = parse("expect ok\nreject crc @PLAN_CRC32@ refused\n")
        matcher = expect.Matcher(spec, {"@PLAN_CRC32@": "0x1"})
        self.assertIsNone(matcher.feed("crc 0x2 refused"))
        self.assertIsNotNone(matcher.feed("crc 0x1 refused"))

    def test_extra_expects_must_match_too(self):
        spec = parse("expect ok\n")
        matcher = expect.Matcher(spec, None, [expect.Pattern(qemu.uefi_boot_regex("usb"), 0)])
        matcher.feed("ok")
        self.assertFalse(matcher.done())
        self.assertIn("BdsDxe", matcher.missing_text())
        matcher.feed(OVMF_USB)
        self.assertTrue(matcher.done())


class FlagsTest(unittest.TestCase):
    def test_default_boot_is_unchanged(self):
        argv = qemu.command("/w/system.iso")
        self.assertEqual(argv[argv.index("-boot"):], ["-boot", "d", "-cdrom", "/w/system.iso",
                                                      "-serial", "stdio"])
        self.assertNotIn("if=pflash", " ".join(argv))

    def test_uefi_usb(self):
        argv = qemu.command("/w/a,b.iso", firmware="uefi", medium="usb", vars_path="/w/vars.fd")
        text = " ".join(argv)
        self.assertIn("if=pflash,format=raw,readonly=on,file=" + qemu.OVMF_CODE, text)
        self.assertIn("if=pflash,format=raw,file=/w/vars.fd", text)
        self.assertIn("format=raw,readonly=on,file=/w/a,,b.iso", text)
        self.assertIn("usb-storage,bus=ehci.0,drive=stick", text)
        self.assertNotIn("-cdrom", argv)
        self.assertNotIn("-boot", argv)

    def test_uefi_cdrom_has_no_legacy_boot_order(self):
        argv = qemu.command("/w/s.iso", firmware="uefi", medium="cdrom", vars_path="/w/v.fd")
        self.assertIn("-cdrom", argv)
        self.assertNotIn("-boot", argv)

    def test_uefi_needs_a_variable_store(self):
        with self.assertRaises(Failure):
            qemu.command("/w/s.iso", firmware="uefi")
        with self.assertRaises(Failure):
            qemu.command("/w/s.iso", medium="floppy")

    def test_uefi_vars_is_a_fresh_copy(self):
        work = tempfile.mkdtemp(prefix="bulkhead-test-vars-")
        self.addCleanup(shutil.rmtree, work, True)
        source = os.path.join(work, "OVMF_VARS.fd")
        with open(source, "wb") as f:
            f.write(b"vars")
        with mock.patch.object(qemu, "OVMF_VARS", source), \
                mock.patch.object(qemu, "OVMF_CODE", source):
            copy = qemu.uefi_vars(os.path.join(work))
        self.assertNotEqual(copy, source)
        with open(copy, "rb") as f:
            self.assertEqual(f.read(), b"vars")

    def test_missing_ovmf_names_the_package(self):
        with mock.patch.object(qemu, "OVMF_CODE", "/nonexistent/OVMF_CODE.fd"):
            with self.assertRaises(Failure) as ctx:
                qemu.uefi_vars("/tmp")
        self.assertIn("ovmf", str(ctx.exception))


class ProofTest(unittest.TestCase):
    def test_ovmf_line_names_the_medium(self):
        cd, usb = qemu.uefi_boot_regex("cdrom"), qemu.uefi_boot_regex("usb")
        self.assertRegex(OVMF_CD, cd)
        self.assertNotRegex(OVMF_CD, usb)
        self.assertRegex(OVMF_USB, usb)
        self.assertNotRegex(OVMF_USB, cd)
        self.assertNotRegex(OVMF_CD.replace("starting", "loading"), cd)

    def test_ovmf_booting_something_else(self):
        not_cd = qemu.uefi_boot_regex("cdrom", other=True)
        self.assertNotRegex(OVMF_CD, not_cd)
        self.assertRegex(OVMF_USB, not_cd)
        self.assertRegex('BdsDxe: starting Boot0002 "EFI Internal Shell" from Fv(...)', not_cd)
        self.assertNotRegex(OVMF_USB, qemu.uefi_boot_regex("usb", other=True))

    def test_matcher_extra_rejects(self):
        reject = expect.Pattern(qemu.uefi_boot_regex("cdrom", other=True), 0)
        matcher = expect.Matcher(parse("expect ok\n"), None, (), [reject])
        self.assertIsNone(matcher.feed(OVMF_CD))
        self.assertIn("matched reject", matcher.feed(OVMF_USB))

    def test_seabios_last_attempt_counts(self):
        self.assertEqual(qemu.seabios_medium(SEABIOS_CD), "cdrom")
        self.assertEqual(qemu.seabios_medium(SEABIOS_USB), "usb")
        self.assertIsNone(qemu.seabios_medium(""))
        self.assertIsNone(qemu.seabios_medium("Booting from 0000:7c00\n"))


if __name__ == "__main__":
    unittest.main()
