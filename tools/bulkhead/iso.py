"""Packing kernel, boot plan and domain images into a GRUB2 (multiboot2) ISO."""

import os
import re
import shutil

from util import KERNEL_ELF, Failure, rel, run_quiet, tail

_SAFE = re.compile(r"^[A-Za-z0-9._-]+$")

# GRUB runs this script without a menu: the serial console stays free of
# screen-drawing escapes ("terminfo serial dumb"), GRUB's own errors still
# show on it, and if booting fails GRUB says so and powers the machine off
# (QEMU exits with status 0) instead of waiting at a prompt.
_GRUB_CFG = """\
serial --unit=0 --speed=115200
terminfo serial dumb
terminal_input serial
terminal_output serial
echo "grub: booting bulkhead system {name}"
multiboot2 /boot/kernel.elf
module2 /boot/plan.bin plan
{modules}boot
echo "grub: FAILED to boot the kernel (see the errors above)"
halt
"""


def grub_config(system_name, module_names):
    """Returns the text of grub.cfg for a system named @system_name.

    Needs: every name in @module_names is a safe file name (checked: raises
    Failure otherwise). Module i is /boot/NAME.elf with command line NAME.
    """
    for name in module_names:
        if not _SAFE.match(name):
            raise Failure("image name %r is not a plain file name" % name)
    shown = re.sub(r"[^A-Za-z0-9._ -]", "_", system_name)
    lines = "".join("module2 /boot/%s.elf %s\n" % (n, n) for n in module_names)
    return _GRUB_CFG.format(name=shown, modules=lines)


def _stage(workdir, compiled):
    """Lays out @workdir/iso/boot with the kernel, plan, images and grub.cfg."""
    if not os.path.exists(KERNEL_ELF):
        raise Failure("the kernel %s was not built" % rel(KERNEL_ELF))
    tree = os.path.join(workdir, "iso")
    shutil.rmtree(tree, ignore_errors=True)
    boot = os.path.join(tree, "boot")
    os.makedirs(os.path.join(boot, "grub"))
    shutil.copyfile(KERNEL_ELF, os.path.join(boot, "kernel.elf"))
    shutil.copyfile(compiled.plan_path, os.path.join(boot, "plan.bin"))
    names = [name for name, _ in compiled.modules]
    if len(set(names)) != len(names):
        raise Failure("modules list names an image twice: %s" % ", ".join(names))
    for name, path in compiled.modules:
        shutil.copyfile(path, os.path.join(boot, name + ".elf"))
    with open(os.path.join(boot, "grub", "grub.cfg"), "w", encoding="utf-8") as f:
        f.write(grub_config(compiled.system_name, names))
    return tree


def make_iso(workdir, compiled):
    """Builds @workdir/system.iso for @compiled (a plan.CompiledPlan).

    Returns: the ISO's path. Raises Failure with grub-mkrescue's output.
    """
    tree = _stage(workdir, compiled)
    iso = os.path.join(workdir, "system.iso")
    if os.path.exists(iso):
        os.unlink(iso)
    status, output = run_quiet(["grub-mkrescue", "-o", iso, tree])
    if status != 0 or not os.path.exists(iso):
        raise Failure("grub-mkrescue failed (exit status %d):\n%s" % (status, tail(output)))
    return iso
