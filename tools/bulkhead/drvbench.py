"""The Bulkhead storage rows of `bulkhead bench`: bench_blk under -icount, on the driver alone and through the storage service.

tests/bench/storage.xml boots the driver and tests/bench/bench_blk.c, which runs
the workloads of tests/bench/storage_workload.h straight to the driver over ring
`blk` and counts guest instructions as the Linux side does (a counted wait loop,
never a halt). tests/bench/storage_svc.xml boots the same bench_blk with the
storage service between it and the driver: ring `blk` is then the ring of a
volume that covers the whole disk. The disk is the Linux bench's
(linuxbench.make_disk), made afresh for each boot, attached as the system tests
attach theirs (disk.py).
"""

import os

from . import disk
from . import linuxbench
from . import qemu
from .util import ROOT, rel, say

STORAGE_MANIFEST = os.path.join(ROOT, "tests", "bench", "storage.xml")
SERVICE_MANIFEST = os.path.join(ROOT, "tests", "bench", "storage_svc.xml")
# The systems bench_blk runs in: (name in logs and results, manifest, words for messages).
SYSTEMS = (("storage", STORAGE_MANIFEST, "driver alone"),
           ("storage-svc", SERVICE_MANIFEST, "through the storage service"))
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


def _run_system(outdir, modes, make_image, system):
    """Boots @system (an entry of SYSTEMS) once per mode in @modes. Returns {mode: {name:
    value}}, empty if its manifest does not exist; logs in @outdir/NAME-MODE.log."""
    name, manifest, what = system
    results = {}
    if not os.path.exists(manifest):
        say("bench: %s does not exist: no storage rows %s" % (rel(manifest), what))
        return results
    for mode in modes:
        image = make_image(manifest, mode)
        disk_path = os.path.join(os.path.dirname(image), "disk.img")
        linuxbench.make_disk(disk_path)  # afresh: the write workloads change it
        say("bench: booting %s under -icount with mitigations %s for the storage rows %s"
            % (rel(manifest), mode, what))
        log, ended = _boot(command(image, disk_path),
                           os.path.join(outdir, "%s-%s.log" % (name, mode)),
                           os.path.join(os.path.dirname(image), "qemu-storage.stderr"))
        say("bench: %s (%s): %s" % (what, mode, ended))
        for problem in log.problems:
            say("bench: %s (%s): %s" % (what, mode, problem))
        results[mode] = dict(log.values, **derived(log.info))
    return results


def derived(info):
    """Returns the figures bench_blk's INFO lines @info give ({workload: {key: number}}):
    NAME_rtt, the full round trip per request (TSC delta / requests, the wait for the
    disk included; only at depth 1 is it a round trip). The stage pass's INFO lines
    (`stages NAME`, `span NAME A>B`) have no TSC total and give none."""
    values = {}
    for name, numbers in info.items():
        requests = numbers.get("requests")
        if requests and "tsc" in numbers:
            values[name + "_rtt"] = numbers["tsc"] // requests
    return values


def run(outdir, modes, make_image):
    """Boots every system of SYSTEMS once per mitigation mode in @modes; @make_image(manifest,
    mode) packs its ISO. Returns {system: {mode: {name: value}}} (the storage rows' keys,
    NAME_mbs and NAME_rtt); logs in @outdir/SYSTEM-MODE.log."""
    return {system[0]: _run_system(outdir, modes, make_image, system) for system in SYSTEMS}
