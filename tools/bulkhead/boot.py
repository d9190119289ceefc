"""`bulkhead run`: compile a manifest, pack the ISO, boot it in QEMU."""

import os
import re
import subprocess

from . import disk
from . import keys
from . import nic
from . import iso
from . import plan
from . import qemu
from .util import BUILD, Failure, makedirs, rel, say

PANIC = re.compile(r"bulkhead: PANIC")


def workdir_for(manifest, kind="run"):
    """Returns (and creates) build/KIND/<manifest stem>/ for the files of one boot."""
    stem = os.path.splitext(os.path.basename(manifest))[0]
    return makedirs(os.path.join(BUILD, kind, stem))


def prepare(manifest, workdir, exit_when_idle=False, mitigation_mode="auto", keys_dir=None):
    """Compiles @manifest and packs @workdir/system.iso, whose kernel boots with
    @mitigation_mode (mitigations.MODES); a `keys` module the manifest asks for comes from
    @keys_dir (default: keys.default_dir()). Returns (ISO path, CompiledPlan)."""
    if not os.path.exists(manifest):
        raise Failure("no manifest %s" % rel(manifest))
    compiled = plan.compile_manifest(manifest, workdir, exit_when_idle)
    keys.attach(compiled, workdir, keys_dir)
    return iso.make_iso(workdir, compiled, mitigation_mode), compiled


DEFAULT_DISK_SIZE = "64M"


def grants_device(manifest):
    """Returns True if @manifest (a path) gives some domain a PCI device (<device>) other
    than a virtio-net driver's NIC (nic.py attaches that)."""
    return nic.other_devices(manifest)


def disk_flags(manifest, workdir, disk_path=None):
    """QEMU's flags that give @manifest's system its disk, or [] if it grants no device.

    The disk is @disk_path, else `disk.img` in @workdir, created (qemu-img, raw,
    DEFAULT_DISK_SIZE) when missing, so that a second run finds what the first wrote.
    """
    if disk_path is None and not grants_device(manifest):
        return []
    path = os.path.abspath(disk_path or os.path.join(workdir, "disk.img"))
    if not os.path.exists(path):
        if disk_path is not None:
            raise Failure("no disk image %s (create it with: qemu-img create -f raw %s 64M)" %
                          (rel(path), rel(path)))
        proc = subprocess.run(["qemu-img", "create", "-q", "-f", "raw", path, DEFAULT_DISK_SIZE],
                              capture_output=True, text=True, check=False)
        if proc.returncode != 0:
            raise Failure("qemu-img could not create %s: %s" % (rel(path), proc.stderr.strip()))
        say("bulkhead: created the disk %s (%s)" % (rel(path), DEFAULT_DISK_SIZE))
    say("bulkhead: disk %s at PCI 00:%s" % (rel(path), disk.PCI_ADDR))
    return disk.qemu_flags(disk.Disk(os.path.getsize(path), "zero"), path)


def run_interactive(image, extra=()):
    """Boots @image with the serial and QEMU monitor on this terminal until QEMU quits.

    Returns: the command's exit status (0 unless QEMU failed or the kernel failed).
    """
    say("bulkhead: booting %s; press Ctrl-A X to quit QEMU" % rel(image))
    try:
        status = subprocess.call(qemu.command(image, interactive=True, extra=extra))
    except OSError as err:
        raise Failure("cannot start qemu-system-x86_64: %s" % err.strerror)
    value = qemu.debug_exit_value(status)
    return 0 if status == 0 or value == qemu.DEBUG_EXIT_CLEAN else 1


def run_headless(image, seconds, extra=()):
    """Boots @image headless, prints the console as it comes, stops QEMU after @seconds.

    Returns: 1 if QEMU failed to start or the kernel panicked, else 0.
    """
    machine = qemu.Machine(qemu.command(image, extra=extra), os.path.join(os.path.dirname(image),
                                                             "qemu.stderr"))
    panicked = False
    with machine:
        for line in machine.lines(machine.started + seconds):
            say(line)
            panicked = panicked or bool(PANIC.search(line))
        status = machine.wait(0.5) if not machine.timed_out else None
    stderr = machine.stderr_text()
    if status is not None:
        say("bulkhead: " + qemu.describe_exit(status, stderr))
    else:
        say("bulkhead: stopped QEMU after %g s" % seconds)
    failed = qemu.failed_to_start(status, stderr) or \
        qemu.debug_exit_value(status) == qemu.DEBUG_EXIT_FAILED
    return 1 if panicked or failed else 0
