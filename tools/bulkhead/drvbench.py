"""The driver-alone storage rows of `bulkhead bench`: the virtio-blk driver and bench_blk under -icount.

tests/bench/storage.xml boots the driver and tests/bench/bench_blk.c, which runs
the workloads of tests/bench/storage_workload.h straight to the driver over ring
`blk` and counts guest instructions as the Linux side does (a counted wait loop,
never a halt). The disk is the Linux bench's (linuxbench.make_disk), made afresh
for each boot, attached as the system tests attach theirs (disk.py).
"""

import os

from . import disk
from . import linuxbench
from . import qemu
from .util import ROOT, rel, say

STORAGE_MANIFEST = os.path.join(ROOT, "tests", "bench", "storage.xml")
PREFIX = "blkbench"  # the bench domain's name: the console leads its lines with it
TIMEOUT = 1200.0


def command(image, disk_path):
    """Returns QEMU's argv to boot @image on the bench's machine with the bench disk @disk_path."""
    bench_disk = disk.Disk(linuxbench.DISK_BYTES, "bench")
    return qemu.command(image, extra=qemu.BENCH_FLAGS + disk.qemu_flags(bench_disk, disk_path))


def _boot(argv, log_path, stderr_path):
    """Boots @argv until bench_blk says DONE. Returns (linuxbench.StorageLog, how it ended)."""
    return linuxbench.boot_storage(argv, log_path, stderr_path, linuxbench.StorageLog(PREFIX),
                                   TIMEOUT, "bench_blk")


def run(outdir, modes, make_image):
    """Boots tests/bench/storage.xml once per mitigation mode in @modes; @make_image(manifest,
    mode) packs its ISO. Returns {mode: {name: value}} (the storage rows' keys, and NAME_mbs);
    logs in @outdir/storage-MODE.log."""
    results = {}
    if not os.path.exists(STORAGE_MANIFEST):
        say("bench: %s does not exist: no driver-alone storage rows" % rel(STORAGE_MANIFEST))
        return results
    for mode in modes:
        image = make_image(STORAGE_MANIFEST, mode)
        disk_path = os.path.join(os.path.dirname(image), "disk.img")
        linuxbench.make_disk(disk_path)  # afresh: the write workloads change it
        say("bench: booting %s under -icount with mitigations %s for the driver-alone storage"
            " rows" % (rel(STORAGE_MANIFEST), mode))
        log, ended = _boot(command(image, disk_path), os.path.join(outdir, "storage-%s.log"
                                                                   % mode),
                           os.path.join(os.path.dirname(image), "qemu-storage.stderr"))
        say("bench: driver alone (%s): %s" % (mode, ended))
        for problem in log.problems:
            say("bench: driver alone (%s): %s" % (mode, problem))
        results[mode] = log.values
    return results
