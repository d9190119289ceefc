"""Tests of the plan and image edit directives (plan-set, image-patch, image-segment, reseal-plan)."""

import hashlib
import os
import struct
import tempfile
import unittest
import zlib

from bulkhead import expect
from bulkhead import plan
from bulkhead.util import Failure

PATH = "/repo/tests/system/refuse/x/expect"
HEADER = 160


def parse(text):
    return expect.parse(text, PATH)


def name(text):
    return text.encode().ljust(32, b"\0")


def make_plan():
    """A small plan laid out as abi/plan.h says: domains a (image img, 2 maps, 1 ioport)
    and b (image other, alternative 1 img), regions data and code, device disk0 of a,
    b hears of a's faults (region code, bit 5). Only the fields the edits touch are set."""
    domains = bytearray(2 * 160)
    domains[0:64] = name("a") + name("img")
    struct.pack_into("<IIIIIII", domains, 100, 0, 2, 0, 0, 0, 1, 0)
    domains[160:224] = name("b") + name("other")
    regions = name("data") + struct.pack("<QII", 4096, 0, 0)
    regions += name("code") + struct.pack("<QII", 4096, 4, 0)
    maps = struct.pack("<QII", 0x40000000, 0, 3) + struct.pack("<QII", 0x40001000, 1, 5)
    ioports = struct.pack("<HHI", 0x2e8, 8, 0)
    devices = name("disk0") + struct.pack("<IIIIQQ", 0, 0x20, 5, 0, 0x610000000000, 1 << 30)
    images = name("img") + bytes(32) + struct.pack("<II", 1, 1)
    faults = struct.pack("<IIII", 0, 1, 1, 5)
    body, tables, at = b"", {}, HEADER
    for kind, data, count in (("domain", domains, 2), ("region", regions, 2),
                              ("map", maps, 2), ("ioport", ioports, 1), ("device", devices, 1),
                              ("image", images, 1), ("fault", faults, 1)):
        tables[kind] = (at, count)
        body += bytes(data)
        at += len(data)
    head = bytearray(HEADER)
    struct.pack_into("<QIII", head, 0, 0x31304E414C504842, 4, HEADER, HEADER + len(body))
    for kind, (offset, count) in tables.items():
        struct.pack_into("<II", head, plan._TABLES[kind], offset, count)
    return bytearray(head + body)


def make_elf():
    """An ELF header with two program headers: a PT_NOTE, then one PT_LOAD."""
    elf = bytearray(0x200)
    elf[0:4] = b"\x7fELF"
    struct.pack_into("<Q", elf, 32, 64)
    struct.pack_into("<HH", elf, 54, 56, 2)
    struct.pack_into("<II", elf, 64, 4, 4)
    struct.pack_into("<IIQQ", elf, 120, 1, 5, 0x1000, 0x400000)
    return elf


class Compiled:
    """Stands in for plan.CompiledPlan: a plan file and its modules."""

    def __init__(self, directory):
        self.plan_path = os.path.join(directory, "plan.bin")
        with open(self.plan_path, "wb") as f:
            f.write(make_plan())
        self.image = os.path.join(directory, "build-img.elf")
        with open(self.image, "wb") as f:
            f.write(make_elf())
        self.modules = [("img", self.image)]

    def data(self):
        with open(self.plan_path, "rb") as f:
            return f.read()


class ParseTest(unittest.TestCase):
    def edits(self, text):
        return parse("expect x\n" + text).plan_edits

    def assertError(self, text, fragment):
        with self.assertRaises(expect.ExpectError) as ctx:
            parse("expect x\n" + text)
        self.assertIn(fragment, str(ctx.exception))

    def test_every_directive_in_file_order(self):
        edits = self.edits("plan-set domain victim period_us 0x8000000000000000\n"
                           "plan-set map victim 1 region data\n"
                           "image-segment plan_hello 0 vaddr 0x20000000\n"
                           "image-patch plan_hello 0x100 5aA5\n"
                           "plan-set ioport victim 0 base 33\n"
                           "reseal-plan images\n")
        self.assertEqual([repr(e) for e in edits],
                         ["plan-set domain victim period_us 0x8000000000000000",
                          "plan-set map victim 1 region data",
                          "image-segment plan_hello 0 vaddr 0x20000000",
                          "image-patch plan_hello 0x100 5aa5",
                          "plan-set ioport victim 0 base 0x21",
                          "reseal-plan images"])
        self.assertEqual(edits[0].args, ("domain", "victim", None, "period_us", 1 << 63))

    def test_bad_edits_name_their_line(self):
        self.assertError("plan-set domain victim colour 3\n", "expect:2: domain has no field")
        self.assertError("plan-set cap victim 0 slot 1\n", "expect:2: expected plan-set")
        self.assertError("plan-set map victim rights 1\n", "expect:2: expected plan-set")
        self.assertError("plan-set map victim x rights 1\n", "expect:2: index 'x'")
        self.assertError("plan-set ioport victim 0 base 0x10000\n", "does not fit")
        self.assertError("plan-set domain victim name %s\n" % ("n" * 32), "longer than 31")
        self.assertError("plan-set domain victim image_sha256 abc\n", "not 64 hex digits")
        self.assertError("image-patch plan_hello 0x100 zz\n", "expect:2: image-patch bytes")
        self.assertError("image-patch plan_hello -1 00\n", "negative")
        self.assertError("image-segment plan_hello 0 entry 0\n", "FIELD one of")
        self.assertError("image-segment ../x 0 vaddr 0\n", "needs an image name")
        self.assertError("reseal-plan everything\n", "expect:2: expected reseal-plan crc")
        self.assertError("reseal-plan\n", "expect:2: reseal-plan needs an argument")

    def test_edits_need_the_test_image(self):
        self.assertError("image deploy\nreseal-plan crc\n", "reseal-plan needs `image test`")


class ApplyTest(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.TemporaryDirectory()
        self.compiled = Compiled(self.dir.name)

    def tearDown(self):
        self.dir.cleanup()

    def apply(self, text):
        plan.apply_edits(self.compiled, parse("expect x\n" + text).plan_edits, self.dir.name)
        return self.compiled.data()

    def test_plan_set_writes_the_named_field(self):
        data = self.apply("plan-set map a 1 flags 1\n"
                          "plan-set domain b period_us 0x8000000000000000\n"
                          "plan-set domain a name bulkhead\n"
                          "plan-set region code flags 0\n"
                          "plan-set device disk0 pci 0x10020\n"
                          "plan-set device disk0 window 0x600000000000\n")
        self.assertEqual(struct.unpack_from("<Q", data, HEADER + 160 + 88)[0], 1 << 63)
        self.assertEqual(data[HEADER:HEADER + 32], name("bulkhead"))
        regions = struct.unpack_from("<I", data, plan._TABLES["region"])[0]
        self.assertEqual(struct.unpack_from("<I", data, regions + 48 + 40)[0], 0)
        devices = struct.unpack_from("<I", data, plan._TABLES["device"])[0]
        self.assertEqual(struct.unpack_from("<IIIIQ", data, devices + 32),
                         (0, 0x10020, 5, 0, 0x600000000000))
        maps = struct.unpack_from("<I", data, plan._TABLES["map"])[0]
        self.assertEqual(struct.unpack_from("<HH", data, maps + 16 + 12), (5, 1))

    def test_plan_set_image_and_fault_records(self):
        data = self.apply("plan-set image img index 9\nplan-set fault a region data\n"
                          "plan-set fault a bit 64\n")
        images = struct.unpack_from("<I", data, plan._TABLES["image"])[0]
        self.assertEqual(data[images:images + 32], name("img"))
        self.assertEqual(struct.unpack_from("<II", data, images + 64), (1, 9))
        faults = struct.unpack_from("<I", data, plan._TABLES["fault"])[0]
        self.assertEqual(struct.unpack_from("<IIII", data, faults), (0, 1, 0, 64))

    def test_a_plan_before_version_4_has_no_images_or_faults(self):
        data = bytearray(self.compiled.data())
        struct.pack_into("<I", data, 12, 144)
        self.assertEqual(plan._records(data, "image"), (0, 0))
        self.assertEqual(plan._records(data, "domain"), (HEADER, 2))

    def test_map_and_ioport_are_counted_in_their_domain(self):
        data = self.apply("plan-set map a 1 region data\nplan-set map a 0 vaddr 0x7ffffffff000\n"
                          "plan-set ioport a 0 base 0x21\n")
        maps = struct.unpack_from("<I", data, plan._TABLES["map"])[0]
        self.assertEqual(struct.unpack_from("<QII", data, maps), (0x7ffffffff000, 0, 3))
        self.assertEqual(struct.unpack_from("<QII", data, maps + 16), (0x40001000, 0, 5))
        ioports = struct.unpack_from("<I", data, plan._TABLES["ioport"])[0]
        self.assertEqual(struct.unpack_from("<H", data, ioports)[0], 0x21)

    def test_missing_records_fail(self):
        for text, fragment in (("plan-set domain c priority 1\n", "no domain named 'c'"),
                               ("plan-set map b 0 vaddr 0\n", "domain 'b' has 0 maps"),
                               ("plan-set map a 0 region nowhere\n", "no region named"),
                               ("plan-set device disk1 irq_bit 1\n", "no device named 'disk1'"),
                               ("plan-set fault b bit 1\n", "no fault record of domain 'b'"),
                               ("plan-set image other index 1\n", "no image named 'other'"),
                               ("image-patch ghost 0 00\n", "no image 'ghost'")):
            with self.assertRaises(Failure) as ctx:
                self.apply(text)
            self.assertIn(fragment, str(ctx.exception))

    def test_reseal_crc(self):
        before = self.compiled.data()
        data = self.apply("plan-set domain a priority 7\nreseal-plan crc\n")
        self.assertNotEqual(data, before)
        crc = struct.unpack_from("<I", data, 20)[0]
        self.assertEqual(crc, zlib.crc32(data[:20] + b"\0\0\0\0" + data[24:]))
        self.assertEqual(data[HEADER + 128:HEADER + 160], bytes(32))

    def test_image_edits_touch_a_copy_and_reseal_images_records_its_hash(self):
        with open(self.compiled.image, "rb") as f:
            original = f.read()
        data = self.apply("image-segment img 0 vaddr 0x20000000\nimage-patch img 0x100 5a\n"
                          "reseal-plan images\n")
        with open(self.compiled.image, "rb") as f:
            self.assertEqual(f.read(), original)
        copy = self.compiled.modules[0][1]
        self.assertEqual(copy, os.path.join(self.dir.name, "images", "img.elf"))
        with open(copy, "rb") as f:
            edited = f.read()
        self.assertEqual(struct.unpack_from("<Q", edited, 120 + 16)[0], 0x20000000)
        self.assertEqual(struct.unpack_from("<Q", edited, 64 + 16)[0], 0)  # the PT_NOTE
        self.assertEqual(edited[0x100], 0x5A)
        self.assertEqual(data[HEADER + 128:HEADER + 160], hashlib.sha256(edited).digest())
        self.assertEqual(data[HEADER + 160 + 128:HEADER + 320], bytes(32))  # image other
        images = struct.unpack_from("<I", data, plan._TABLES["image"])[0]
        self.assertEqual(data[images + 32:images + 64], hashlib.sha256(edited).digest())

    def test_image_bounds(self):
        for text, fragment in (("image-patch img 0xffff 00\n", "only"),
                               ("image-segment img 1 vaddr 0\n", "1 loadable segments")):
            with self.assertRaises(Failure) as ctx:
                self.apply(text)
            self.assertIn(fragment, str(ctx.exception))


if __name__ == "__main__":
    unittest.main()
