"""Tests that alternative images (<alternative image>) travel with the plan: bhc lists each as
a boot module, and the ISO tree, grub.cfg and IMAGE.txt of `bulkhead run`, `bulkhead image`
and the system-test harness (all built from that list) carry it.

Needs the build (bhc, the kernel and build/images), as `bulkhead test` makes them.
"""

import os
import shutil
import tempfile
import unittest

from bulkhead import image
from bulkhead import iso
from bulkhead import plan
from bulkhead.util import BHC, IMAGE_DIR

MANIFEST = """<?xml version="1.0" encoding="UTF-8"?>
<system name="alternatives">
  <domain name="console" image="console" priority="200">
    <ioport base="0x3f8" count="8"/>
  </domain>
  <domain name="app" image="echo" priority="100">
    <alternative image="faulty"/>
    <alternative image="console"/>
  </domain>
</system>
"""


class AlternativeModulesTest(unittest.TestCase):
    def setUp(self):
        if not os.path.exists(BHC):
            raise AssertionError("bhc is not built (%s): run `bulkhead build`" % BHC)
        self.dir = tempfile.mkdtemp(prefix="bulkhead-test-alt-")
        self.addCleanup(shutil.rmtree, self.dir, True)
        self.manifest = os.path.join(self.dir, "alternatives.xml")
        with open(self.manifest, "w", encoding="utf-8") as f:
            f.write(MANIFEST)
        self.compiled = plan.compile_manifest(self.manifest, self.dir)

    def test_each_image_is_one_module_named_after_it(self):
        self.assertEqual(self.compiled.modules,
                         [("console", os.path.join(IMAGE_DIR, "console.elf")),
                          ("echo", os.path.join(IMAGE_DIR, "echo.elf")),
                          ("faulty", os.path.join(IMAGE_DIR, "faulty.elf"))])

    def test_the_iso_tree_and_grub_load_the_alternative(self):
        tree = iso.stage(self.dir, self.compiled)
        self.assertTrue(os.path.isfile(os.path.join(tree, "boot", "faulty.elf")))
        with open(os.path.join(tree, "boot", "grub", "grub.cfg"), encoding="utf-8") as f:
            self.assertIn("module2 /boot/faulty.elf faulty\n", f.read())

    def test_image_txt_lists_the_alternative(self):
        with open(self.compiled.plan_path, "rb") as f:
            data = f.read()
        facts, modules, _ = image.collect(self.manifest, self.compiled, data)
        text = image.image_txt(facts, modules)
        self.assertIn("\nmodule: faulty /boot/faulty.elf %s\n"
                      % image.sha256_file(os.path.join(IMAGE_DIR, "faulty.elf")), text)


if __name__ == "__main__":
    unittest.main()
