"""`bulkhead run`: compile a manifest, pack the ISO, boot it in QEMU."""

import os
import re
import subprocess

from . import iso
from . import plan
from . import qemu
from .util import BUILD, Failure, makedirs, rel, say

PANIC = re.compile(r"bulkhead: PANIC")


def workdir_for(manifest, kind="run"):
    """Returns (and creates) build/KIND/<manifest stem>/ for the files of one boot."""
    stem = os.path.splitext(os.path.basename(manifest))[0]
    return makedirs(os.path.join(BUILD, kind, stem))


def prepare(manifest, workdir, exit_when_idle=False, mitigation_mode="auto"):
    """Compiles @manifest and packs @workdir/system.iso, whose kernel boots with
    @mitigation_mode (mitigations.MODES). Returns (ISO path, CompiledPlan)."""
    if not os.path.exists(manifest):
        raise Failure("no manifest %s" % rel(manifest))
    compiled = plan.compile_manifest(manifest, workdir, exit_when_idle)
    return iso.make_iso(workdir, compiled, mitigation_mode), compiled


def run_interactive(image):
    """Boots @image with the serial and QEMU monitor on this terminal until QEMU quits.

    Returns: the command's exit status (0 unless QEMU failed or the kernel failed).
    """
    say("bulkhead: booting %s; press Ctrl-A X to quit QEMU" % rel(image))
    try:
        status = subprocess.call(qemu.command(image, interactive=True))
    except OSError as err:
        raise Failure("cannot start qemu-system-x86_64: %s" % err.strerror)
    value = qemu.debug_exit_value(status)
    return 0 if status == 0 or value == qemu.DEBUG_EXIT_CLEAN else 1


def run_headless(image, seconds):
    """Boots @image headless, prints the console as it comes, stops QEMU after @seconds.

    Returns: 1 if QEMU failed to start or the kernel panicked, else 0.
    """
    machine = qemu.Machine(qemu.command(image), os.path.join(os.path.dirname(image),
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
