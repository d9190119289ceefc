"""The Linux side of `bulkhead bench`'s storage rows: Debian's kernel in the same QEMU, same disk.

Linux boots from an initramfs (initramfs.py) whose /init loads the virtio
drivers and runs tests/bench/linux/blkbench, a static program that runs the
workloads of tests/bench/storage_workload.h with O_DIRECT on /dev/vda and
prints `linux: BENCH NAME VALUE` lines. It boots once per IOMMU_MODES entry:
with the IOMMU translating the disk's DMA as Debian ships it (`iommu`, the
figure the table compares with), with strict invalidation and in passthrough
(for reference). The host times each workload's BEGIN and END lines for its
MB/s of wall time.
"""

import os
import re
import struct
import time

from . import initramfs
from . import qemu
from .util import BUILD, MEMORY, Failure, makedirs, rel, say

BLKBENCH = os.path.join(BUILD, "tests", "bench", "linux", "blkbench")
BUSYBOX = "/bin/busybox"  # Debian's busybox-static
DRIVERS = ("virtio_pci", "virtio_blk")
LINUX_TIMEOUT = 1200.0  # seconds for one boot, all workloads included

# The disk as tests/bench/storage_workload.h describes it (a unit test checks
# that the numbers agree): SW_DISK_BYTES, 4 KiB blocks, each starting with its tag.
DISK_BYTES = 256 << 20
BLOCK_BYTES = 4096
TAG_MULT = 0x9E3779B97F4A7C15
_BLOCK_TAIL = bytes(k & 0xFF for k in range(8, BLOCK_BYTES))

# The workloads of storage_workload.h in its order, with their words for the table.
WORKLOADS = [
    ("blk_rand4k_qd1", "4K random read qd1"),
    ("blk_rand4k_qd32", "4K random read qd32"),
    ("blk_seqread64k_qd1", "64K seq. read qd1"),
    ("blk_seqread64k_qd32", "64K seq. read qd32"),
    ("blk_seqwrite64k_qd1", "64K seq. write qd1"),
    ("blk_seqwrite64k_qd32", "64K seq. write qd32"),
]

# How Linux boots: (name, what, kernel arguments). The first is the row the
# table compares with: the Bulkhead driver's DMA is confined by the IOMMU too,
# and Linux runs as Debian ships it (lazy IOTLB invalidation: unmapped buffers
# stay reachable until a flush, at most 10 ms later). `strict` invalidates on
# every unmap (what a static confinement promises), `pt` leaves DMA untranslated.
IOMMU_MODES = [
    ("iommu", "IOMMU on", "intel_iommu=on"),
    ("strict", "IOMMU on, strict invalidation", "intel_iommu=on iommu.strict=1"),
    ("pt", "IOMMU passthrough", "intel_iommu=on iommu.passthrough=1"),
]
BASE_ARGUMENTS = "console=ttyS0 quiet panic=-1"


def _line_patterns(prefix):
    """Returns the regexes of a storage program's lines, each led by `@prefix: `:
    (BEGIN, END, BENCH, ERROR|WARNING, INFO, DONE)."""
    lead = "^" + re.escape(prefix) + ": "
    return tuple(re.compile(lead + text) for text in (
        r"BEGIN (\S+)\s*$", r"END (\S+) bytes=(\d+)\s*$", r"BENCH (\S+) (\d+)\s*$",
        r"(ERROR|WARNING) (.*?)\s*$", r"INFO ([^=]*?) ((?:\w+=\d+\s*)+)$", r"DONE\s*$"))


def storage_flags(disk):
    """Returns QEMU's flags for the bench disk @disk: a VT-d IOMMU (with interrupt
    remapping; under TCG it needs no split irqchip) and a modern-only virtio-blk
    device whose DMA goes through it. The IOMMU comes first: QEMU wants it
    created before the devices behind it.

    cache=writeback: the host's page cache serves the image, so the wall time
    compares the two guests' stacks, not the host's disk, and the image may sit on
    a file system without O_DIRECT. aio=threads works with every cache mode.
    """
    path = disk.replace(",", ",,")
    return ["-device", "intel-iommu,intremap=on",
            "-drive", "if=none,id=benchdisk,format=raw,cache=writeback,aio=threads,file=" + path,
            "-device", "virtio-blk-pci,drive=benchdisk,disable-legacy=on,iommu_platform=on,"
            "num-queues=1"]


def command(kernel, initrd, disk, arguments):
    """Returns QEMU's argv to boot Linux @kernel with @initrd and kernel @arguments
    on the bench's machine (BENCH_FLAGS: -icount, seed, clock) with disk @disk."""
    return ["qemu-system-x86_64", "-M", "q35", "-accel", "tcg", "-cpu", "max",
            "-m", MEMORY, "-nodefaults", "-no-reboot", "-display", "none",
            "-serial", "stdio"] + qemu.BENCH_FLAGS + \
        ["-kernel", kernel, "-initrd", initrd, "-append", arguments] + storage_flags(disk)


def disk_block(block):
    """Returns the 4 KiB of the bench disk's block @block: its tag, then bytes k & 0xff."""
    tag = ((block + 1) * TAG_MULT) & 0xFFFFFFFFFFFFFFFF
    return struct.pack("<Q", tag) + _BLOCK_TAIL


def make_disk(path):
    """Writes the bench disk image @path (DISK_BYTES, raw) with the fill pattern."""
    per_chunk = 256  # blocks: 1 MiB at a time
    with open(path + ".tmp", "wb") as f:
        for first in range(0, DISK_BYTES // BLOCK_BYTES, per_chunk):
            f.write(b"".join(disk_block(b) for b in range(first, first + per_chunk)))
    os.replace(path + ".tmp", path)


def is_static_elf(path):
    """Returns True if @path is an x86-64 ELF program without an interpreter (static)."""
    with open(path, "rb") as f:
        head = f.read(64)
        if len(head) < 64 or head[:5] != b"\x7fELF\x02":
            return False
        phoff, = struct.unpack_from("<Q", head, 32)
        phentsize, phnum = struct.unpack_from("<HH", head, 54)
        f.seek(phoff)
        table = f.read(phentsize * phnum)
    types = [struct.unpack_from("<I", table, i * phentsize)[0] for i in range(phnum)]
    return 3 not in types  # PT_INTERP


class StorageLog:
    """What one Linux boot said: figures, MB/s of wall time, problems, whether it finished."""

    def __init__(self, prefix="linux"):
        """@prefix: what leads the program's lines (`linux`, or the Bulkhead domain's name)."""
        self._patterns = _line_patterns(prefix)
        self.values = {}  # NAME_req, NAME_byte_milli (ints), NAME_mbs (float)
        self.problems = []
        self.info = {}  # {"blk_rand4k_qd1": {"tsc": N, "polling": N, ...}, ...}
        self.done = False
        self._begun = {}

    def feed(self, line, now):
        """Takes one console @line that arrived at monotonic time @now.

        Returns True if it was one of blkbench's lines.
        """
        begin, end, bench, problem, info, done = self._patterns
        for pattern, handle in ((bench, self._bench), (begin, self._begin), (end, self._end),
                                (problem, self._problem), (info, self._info)):
            match = pattern.match(line)
            if match:
                handle(match, now)
                return True
        if done.match(line):
            self.done = True
            return True
        return False

    def _bench(self, match, _now):
        self.values[match.group(1)] = int(match.group(2))

    def _begin(self, match, now):
        self._begun[match.group(1)] = now

    def _end(self, match, now):
        name, started = match.group(1), self._begun.pop(match.group(1), None)
        if started is not None and now > started:
            self.values[name + "_mbs"] = int(match.group(2)) / 1e6 / (now - started)

    def _info(self, match, _now):
        self.info[match.group(1)] = {key: int(value) for key, value in
                                     (pair.split("=") for pair in match.group(2).split())}

    def _problem(self, match, _now):
        """Keeps the problem; an ERROR about workload NAME (`ERROR NAME: ...`) voids
        its wall time, since blkbench prints END before it checks the data."""
        self.problems.append("%s %s" % (match.group(1), match.group(2)))
        name = match.group(2).split(":", 1)[0]
        if match.group(1) == "ERROR":
            self.values.pop(name + "_mbs", None)


def prepare(workdir, bench_program=BLKBENCH, drivers=DRIVERS):
    """Writes @workdir/initramfs.cpio for the newest installed Debian kernel: @drivers (and
    the modules they need) loaded, then @bench_program (default blkbench) run.

    Returns the kernel's path. Raises Failure when the kernel, busybox-static or
    the program (built by `bulkhead build`) is missing.
    """
    version, kernel, config_path = initramfs.find_kernel()
    for program, source in ((BUSYBOX, "the package busybox-static"),
                            (bench_program, "`bulkhead build`")):
        if not os.path.exists(program) or not is_static_elf(program):
            raise Failure("%s is missing or not a static program: it comes from %s"
                          % (rel(program), source))
    modules_root = os.path.join(initramfs.MODULES_DIR, version)
    with open(os.path.join(modules_root, "modules.dep"), encoding="utf-8") as f:
        modules = initramfs.parse_modules_dep(f.read())
    config = {}
    if os.path.exists(config_path):
        with open(config_path, encoding="utf-8") as f:
            config = initramfs.parse_config(f.read())
    order = initramfs.load_order(drivers, modules, config)
    data = initramfs.build(modules_root, order, BUSYBOX, bench_program)
    with open(os.path.join(workdir, "initramfs.cpio"), "wb") as f:
        f.write(data)
    say("bench: Linux %s, modules %s" % (version, " ".join(
        initramfs.module_name(p) for p in order) or "(all built in)"))
    return kernel


def boot_storage(argv, log_path, stderr_path, log, timeout, program):
    """Boots @argv, feeding each console line to @log (a StorageLog) and writing it to
    @log_path, until @program's DONE line or @timeout seconds. Serves the Linux boots and
    the driver-alone ones (drvbench). Returns (@log, how the boot ended)."""
    machine = qemu.Machine(argv, stderr_path)
    with open(log_path, "w", encoding="utf-8", buffering=1) as out, machine:
        out.write("# %s\n" % " ".join(argv))
        for line in machine.lines(machine.started + timeout):
            out.write(line + "\n")
            log.feed(line, time.monotonic())
            if log.done:
                return log, "%s finished" % program
        if machine.timed_out:
            return log, "timeout after %g s" % timeout
        return log, qemu.describe_exit(machine.wait(5), machine.stderr_text())


def _boot(argv, log_path, stderr_path):
    """Boots Linux with @argv until blkbench says DONE. Returns (StorageLog, how it ended)."""
    return boot_storage(argv, log_path, stderr_path, StorageLog(), LINUX_TIMEOUT, "blkbench")


def run(outdir):
    """Boots Linux once per IOMMU mode and runs every storage workload.

    Returns {mode: {"values": {name: value}, "problems": [...], "info": {...},
    "ended": text}} (info: the numbers of blkbench's INFO lines);
    logs in @outdir/linux-MODE.log, the disk and initramfs in @outdir/linux/.
    """
    workdir = makedirs(os.path.join(outdir, "linux"))
    kernel = prepare(workdir)
    results = {}
    for mode, what, arguments in IOMMU_MODES:
        disk = os.path.join(workdir, "disk.img")
        make_disk(disk)  # afresh: the write workloads change it
        argv = command(kernel, os.path.join(workdir, "initramfs.cpio"), disk,
                       "%s %s" % (BASE_ARGUMENTS, arguments))
        say("bench: booting Linux with %s under -icount for the storage rows" % what)
        log, ended = _boot(argv, os.path.join(outdir, "linux-%s.log" % mode),
                           os.path.join(workdir, "qemu-%s.stderr" % mode))
        say("bench: Linux (%s): %s" % (what, ended))
        for problem in log.problems:
            say("bench: Linux (%s): %s" % (what, problem))
        results[mode] = {"values": log.values, "problems": log.problems, "info": log.info,
                         "ended": ended}
    return results
