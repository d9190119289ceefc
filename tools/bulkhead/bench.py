"""`bulkhead bench`: boot the benchmark system under -icount and tabulate its cycle counts.

Benchmarks never pass or fail on numbers; a missing line is reported as missing.
"""

import json
import os
import re
import time

import boot
import qemu
from util import BUILD, ROOT, makedirs, rel, say

BENCH_MANIFEST = os.path.join(ROOT, "tests", "bench", "manifest.xml")
BOOT_MANIFEST = os.path.join(ROOT, "tests", "bench", "boot.xml")
DEMO_MANIFEST = os.path.join(ROOT, "manifests", "demo.xml")
BENCH_TIMEOUT = 600.0
DEMO_TIMEOUT = 180.0

_BENCH_LINE = re.compile(r"^(\S+): BENCH (\S+) (\d+)\s*$")
_ALL_RUNNING = re.compile(r"bulkhead: all (\d+) domains running after (\d+) cycles")


class Row:
    """One benchmark: what it measures, our target and published reference points."""

    def __init__(self, key, what, target=None, sel4="-", linux="-"):
        self.key = key
        self.what = what
        self.target = target  # cycles, or None when there is no target
        self.sel4 = sel4
        self.linux = linux


# Reference points: seL4 null syscall 100, IPC round trip 415, signal 520;
# Linux getppid 337, eventfd ping-pong 10854, 64-byte pipe message 2464 cycles.
ROWS = [
    Row("null", "null hypercall", 80, "100", "337"),
    Row("floor", "syscall/sysret floor (no kernel work)"),
    Row("signal_wake", "signal to wake", 400, "520"),
    Row("pingpong", "channel ping-pong round trip", 400, "415", "10854"),
    Row("ring_rtt", "ring request/response round trip"),
    Row("ring_msg", "64-byte ring message, amortized", 100, "-", "2464"),
    Row("boot", "boot to all domains running", 2000000),
]
BENCH_NAMES = [r.key for r in ROWS if r.key != "boot"]


def parse_line(line, results):
    """Records a `DOMAIN: BENCH NAME CYCLES` or the kernel's all-running line in @results.

    The last value seen for a name wins. Returns True if the line was one of them.
    """
    match = _BENCH_LINE.search(line)
    if match:
        results[match.group(2)] = int(match.group(3))
        return True
    match = _ALL_RUNNING.search(line)
    if match:
        results["boot"] = int(match.group(2))
        return True
    return False


def _collect(image, log_path, names):
    """Boots @image under -icount until every name in @names is reported.

    Returns ({name: cycles}, how the run ended).
    """
    argv = qemu.command(image, extra=qemu.BENCH_FLAGS)
    results = {}
    machine = qemu.Machine(argv, os.path.join(os.path.dirname(image), "qemu.stderr"))
    with open(log_path, "w", encoding="utf-8", buffering=1) as log, machine:
        log.write("# %s\n" % " ".join(argv))
        for line in machine.lines(machine.started + BENCH_TIMEOUT):
            log.write(line + "\n")
            parse_line(line, results)
            if all(name in results for name in names):
                return results, "all benchmarks reported"
        if machine.timed_out:
            return results, "timeout after %g s" % BENCH_TIMEOUT
        status = machine.wait(5)
        return results, qemu.describe_exit(status, machine.stderr_text())


def format_table(results):
    """Returns the result table as text: name, what, cycles, target, seL4, Linux."""
    header = ("name", "what", "cycles", "target", "seL4", "Linux", "")
    rows = [header]
    for row in ROWS:
        cycles = results.get(row.key)
        target = "<= %d" % row.target if row.target is not None else "-"
        note = "above target" if cycles is not None and row.target is not None \
            and cycles > row.target else ""
        rows.append((row.key, row.what, "missing" if cycles is None else str(cycles), target,
                     row.sel4, row.linux, note))
    widths = [max(len(r[i]) for r in rows) for i in range(len(header))]
    right = {2, 3, 4, 5}
    lines = []
    for r in rows:
        cells = [r[i].rjust(widths[i]) if i in right else r[i].ljust(widths[i])
                 for i in range(len(r))]
        lines.append("  ".join(cells).rstrip())
    return "\n".join(lines)


def _demo_wall_time(log_path):
    """Boots manifests/demo.xml without -icount; returns (seconds or None, line or reason)."""
    workdir = boot.workdir_for(DEMO_MANIFEST, "bench")
    image, _ = boot.prepare(DEMO_MANIFEST, workdir)
    machine = qemu.Machine(qemu.command(image), os.path.join(workdir, "qemu.stderr"))
    with open(log_path, "w", encoding="utf-8", buffering=1) as log, machine:
        for line in machine.lines(machine.started + DEMO_TIMEOUT):
            log.write(line + "\n")
            if _ALL_RUNNING.search(line):
                return time.monotonic() - machine.started, line.strip()
        if machine.timed_out:
            return None, "no `all N domains running` line within %g s" % DEMO_TIMEOUT
        return None, qemu.describe_exit(machine.wait(5), machine.stderr_text())


def _run_bench(outdir):
    """Runs the cycle benchmarks; returns their results (empty if there is no bench system)."""
    if not os.path.exists(BENCH_MANIFEST):
        say("bench: %s does not exist: no cycle benchmarks" % rel(BENCH_MANIFEST))
        return {}
    workdir = boot.workdir_for(BENCH_MANIFEST, "bench")
    image, _ = boot.prepare(BENCH_MANIFEST, workdir, exit_when_idle=True)
    say("bench: booting %s under -icount (cycles are repeatable)" % rel(BENCH_MANIFEST))
    results, ended = _collect(image, os.path.join(outdir, "bench.log"), BENCH_NAMES)
    say("bench: %s" % ended)
    # In the bench system each band of domains runs its measurement before the
    # next band starts, so its all-running line is not a boot time. Boot is
    # measured on boot.xml, whose domains start and wait like services.
    results.pop("boot", None)
    if os.path.exists(BOOT_MANIFEST):
        workdir = boot.workdir_for(BOOT_MANIFEST, "bench")
        image, _ = boot.prepare(BOOT_MANIFEST, workdir)
        say("bench: booting %s under -icount for the boot time" % rel(BOOT_MANIFEST))
        booted, ended = _collect(image, os.path.join(outdir, "boot.log"), ["boot"])
        say("bench: %s" % ended)
        if "boot" in booted:
            results["boot"] = booted["boot"]
    say(format_table(results))
    say("targets are goals, not verdicts; seL4 and Linux columns are published reference points")
    return results


def run():
    """Runs both parts of the benchmark and writes build/bench/results.json. Returns 0."""
    outdir = makedirs(os.path.join(BUILD, "bench"))
    results = _run_bench(outdir)
    demo = {}
    if os.path.exists(DEMO_MANIFEST):
        say("bench: booting %s without -icount" % rel(DEMO_MANIFEST))
        seconds, detail = _demo_wall_time(os.path.join(outdir, "demo.log"))
        if seconds is None:
            say("bench: demo boot wall time: missing (%s)" % detail)
        else:
            say("bench: demo boot wall time: %.2f s from QEMU start to `%s`" % (seconds, detail))
        demo = {"seconds": seconds, "detail": detail}
    else:
        say("bench: %s does not exist: no wall-time measurement" % rel(DEMO_MANIFEST))
    with open(os.path.join(outdir, "results.json"), "w", encoding="utf-8") as f:
        json.dump({"cycles": results, "demo_boot": demo}, f, indent=2, sort_keys=True)
    say("bench: logs and results.json in %s" % rel(outdir))
    return 0
