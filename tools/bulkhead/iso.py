"""Packing kernel, boot plan and domain images into a GRUB2 (multiboot2) ISO."""

import os
import re
import shutil
import struct

from . import mitigations
from .util import KERNEL_ELF, Failure, rel, run_quiet, tail

_SAFE = re.compile(r"^[A-Za-z0-9._-]+$")
_SAFE_ARG = re.compile(r"^[A-Za-z0-9._=,-]+$")  # one word of the kernel's command line

# Where Debian's GRUB packages keep the modules grub-mkrescue puts on an ISO:
# platform directory -> (what it boots, the package that brings it). An ISO
# gets every platform that is installed; `bulkhead image` needs both.
GRUB_LIB = "/usr/lib/grub"
PLATFORMS = {"i386-pc": ("BIOS", "grub-pc-bin"),
             "x86_64-efi": ("UEFI", "grub-efi-amd64-bin")}

# struct bp_header (abi/include/bulkhead/abi/plan.h): the CRC-32 `checksum`
# is the u32 at byte 20 (after magic u64, version, header_size, total_size).
PLAN_CHECKSUM_OFFSET = 20

# GRUB runs this script without a menu: the serial console stays free of
# screen-drawing escapes ("terminfo serial dumb"), GRUB's own errors still
# show on it, and if booting fails GRUB says so and powers the machine off
# (QEMU exits with status 0) instead of waiting at a prompt. The kernel talks
# only to COM1, so GRUB leaves the video mode alone (gfxpayload=text; under
# UEFI, without it, multiboot2 looks for a graphics mode and complains on a
# machine without a display).
_GRUB_CFG = """\
serial --unit=0 --speed=115200
terminfo serial dumb
terminal_input serial
terminal_output serial
set gfxpayload=text
echo "grub: booting bulkhead system {name}{plan}"
multiboot2 /boot/kernel.elf{kernel_args}
module2 /boot/plan.bin plan
{modules}boot
echo "grub: FAILED to boot the kernel (see the errors above)"
halt
"""


def crc_text(crc):
    """Returns a plan CRC-32 as it is shown everywhere: 0x and 8 lower-case hex digits."""
    return "0x%08x" % crc


def grub_config(system_name, module_names, plan_crc=None, mitigation_mode="auto",
                extra_args=(), data_names=()):
    """Returns the text of grub.cfg for a system named @system_name.

    Needs: every name in @module_names is a safe file name (checked: raises
    Failure otherwise). Module i is /boot/NAME.elf with command line NAME.
    @plan_crc (the plan header's CRC-32), if given, is echoed with the name:
    `grub: booting bulkhead system NAME (plan crc32 0x1234abcd)`.
    @mitigation_mode (one of mitigations.MODES, else ValueError): the kernel's
    line gets `mitigations=MODE`, except for auto, the kernel's default.
    @extra_args: more words for the kernel's line, after that (plain words, else Failure).
    @data_names: data modules (safe names too), each /boot/NAME.mod with command line NAME.
    """
    kernel_args = " ".join([mitigations.kernel_args(mitigation_mode)] + list(extra_args)).strip()
    for word in extra_args:
        if not _SAFE_ARG.match(word):
            raise Failure("kernel option %r is not a plain word" % word)
    for name in list(module_names) + list(data_names):
        if not _SAFE.match(name):
            raise Failure("image name %r is not a plain file name" % name)
    shown = re.sub(r"[^A-Za-z0-9._ -]", "_", system_name)
    lines = "".join("module2 /boot/%s.elf %s\n" % (n, n) for n in module_names)
    lines += "".join("module2 /boot/%s.mod %s\n" % (n, n) for n in data_names)
    crc = "" if plan_crc is None else " (plan crc32 %s)" % crc_text(plan_crc)
    return _GRUB_CFG.format(name=shown, plan=crc, modules=lines,
                            kernel_args=" " + kernel_args if kernel_args else "")


def plan_checksum(plan_path):
    """Returns the CRC-32 recorded in the header of the boot plan at @plan_path.

    Raises Failure if the file is too short to hold it.
    """
    with open(plan_path, "rb") as f:
        head = f.read(PLAN_CHECKSUM_OFFSET + 4)
    if len(head) < PLAN_CHECKSUM_OFFSET + 4:
        raise Failure("%s is too short to be a boot plan (%d bytes)" % (rel(plan_path), len(head)))
    return struct.unpack_from("<I", head, PLAN_CHECKSUM_OFFSET)[0]


def stage(workdir, compiled, extra_files=None, mitigation_mode="auto", kernel_args=()):
    """Lays out @workdir/iso: /boot with the kernel, plan, images and grub.cfg.

    @extra_files: {path inside the ISO: text or bytes} written too (e.g. bulkhead/IMAGE.txt).
    @mitigation_mode: the kernel's mitigations option; @kernel_args: more options;
    see grub_config().
    Returns: the tree's path. Raises Failure if the kernel is not built or
    an image name is unsafe or repeated.
    """
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
    data = getattr(compiled, "data_files", [])
    if [n for n, _ in getattr(compiled, "data_modules", [])] != [n for n, _ in data]:
        raise Failure("the manifest needs the data modules %s, none were given" % ", ".join(
            n for n, _ in compiled.data_modules))
    config = grub_config(compiled.system_name, names, plan_checksum(compiled.plan_path),
                         mitigation_mode, kernel_args, [n for n, _ in data])
    for name, path in compiled.modules:
        shutil.copyfile(path, os.path.join(boot, name + ".elf"))
    for name, path in data:
        shutil.copyfile(path, os.path.join(boot, name + ".mod"))
    files = dict(extra_files or {})
    files["boot/grub/grub.cfg"] = config
    for inside, content in files.items():
        path = os.path.join(tree, inside)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        data = content if isinstance(content, bytes) else content.encode("utf-8")
        with open(path, "wb") as f:
            f.write(data)
    return tree


def missing_platforms():
    """Returns [(platform, package)] of the GRUB platforms in PLATFORMS not installed."""
    return [(what, package) for platform, (what, package) in sorted(PLATFORMS.items())
            if not os.path.isdir(os.path.join(GRUB_LIB, platform))]


def pack(tree, output, xorriso_args=()):
    """Runs grub-mkrescue on @tree, writing the ISO to @output (replaced if it exists).

    @xorriso_args: mkisofs-style options passed on to xorriso (e.g. -volid X).
    Returns: nothing. Raises Failure with grub-mkrescue's output.
    """
    if os.path.exists(output):
        os.unlink(output)
    argv = ["grub-mkrescue", "-o", output, tree]
    if xorriso_args:
        argv += ["--"] + list(xorriso_args)
    status, output_text = run_quiet(argv)
    if status != 0 or not os.path.exists(output):
        raise Failure("grub-mkrescue failed (exit status %d):\n%s" % (status, tail(output_text)))


def el_torito_platforms(report):
    """Returns the platforms of the El Torito entries in @report, the text of
    `xorriso -report_el_torito plain`, in order (e.g. ["BIOS", "UEFI"])."""
    return re.findall(r"^El Torito boot img :\s+\d+\s+(\S+)", report, re.MULTILINE)


def boot_entries(path):
    """Returns the El Torito boot entries of the ISO at @path, e.g. ["BIOS", "UEFI"].

    Raises Failure if xorriso cannot read it.
    """
    status, text = run_quiet(["xorriso", "-indev", "stdio:" + os.path.abspath(path),
                              "-report_el_torito", "plain"])
    if status != 0:
        raise Failure("xorriso cannot read %s (exit status %d):\n%s"
                      % (rel(path), status, tail(text)))
    return el_torito_platforms(text)


def disk_tables(path):
    """Returns the partition tables that let firmware boot the ISO written raw to a disk.

    "MBR" if sector 0 ends in 55 AA and lists a partition (BIOS boots GRUB's
    MBR code; UEFI finds the ESP), "GPT" if sector 1 is a GPT header.
    """
    with open(path, "rb") as f:
        head = f.read(1024)
    tables = []
    if len(head) >= 512 and head[510:512] == b"\x55\xaa" and any(head[446:510]):
        tables.append("MBR")
    if head[512:520] == b"EFI PART":
        tables.append("GPT")
    return tables


def make_iso(workdir, compiled, mitigation_mode="auto", kernel_args=()):
    """Builds @workdir/system.iso for @compiled (a plan.CompiledPlan), for tests and `run`.

    The ISO boots on every GRUB platform installed (BIOS, and UEFI once
    grub-efi-amd64-bin is there); its kernel gets @mitigation_mode and
    @kernel_args (see grub_config()). Returns: the ISO's path. Raises Failure
    with grub-mkrescue's output.
    """
    tree = stage(workdir, compiled, mitigation_mode=mitigation_mode, kernel_args=kernel_args)
    iso = os.path.join(workdir, "system.iso")
    pack(tree, iso)
    return iso
