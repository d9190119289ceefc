"""`bulkhead bench`: boot the benchmark system under -icount and tabulate its cycle counts.

The system boots once per mitigation mode (by default with every speculation
mitigation off, then with every one forced on) and the table shows the figures
side by side. Benchmarks never pass or fail on numbers; a missing line is
reported as missing.
"""

import json
import os
import re
import time

from . import boot
from . import ctlbench
from . import drvbench
from . import linuxbench
from . import mitigations
from . import netbench
from . import qemu
from .util import BUILD, ROOT, Failure, makedirs, rel, say

BENCH_MANIFEST = os.path.join(ROOT, "tests", "bench", "manifest.xml")
BOOT_MANIFEST = os.path.join(ROOT, "tests", "bench", "boot.xml")
DEMO_MANIFEST = os.path.join(ROOT, "manifests", "demo.xml")
BENCH_TIMEOUT = 600.0
DEMO_TIMEOUT = 180.0

_BENCH_LINE = re.compile(r"^(\S+): BENCH (\S+) (\d+)\s*$")
_ALL_RUNNING = re.compile(r"bulkhead: all (\d+) domains running after (\d+) cycles")


# The modes the bench boots in by default, and each mode's column heading.
BENCH_MODES = ("off", "force")
HEADINGS = {"auto": "auto", "off": "off", "force": "forced"}


class Row:
    """One benchmark: what it measures, our targets and published reference points."""

    def __init__(self, key, what, target=None, sel4="-", linux="-", forced_target=None):
        self.key = key
        self.what = what
        self.target = target  # cycles with mitigations off (or auto), or None: no target
        self.forced_target = forced_target  # cycles with every mitigation forced on, or None
        self.sel4 = sel4
        self.linux = linux

    def target_for(self, mode):
        """Returns the target in cycles for a run in @mode, or None."""
        return self.forced_target if mode == "force" else self.target

    def target_text(self, modes):
        """Returns the target cell: each mode's target, e.g. `<= 80 / <= 100`."""
        return _target_text(self, modes)

    def above(self, mode, value, _linux):
        """Returns True if @value, measured in @mode, is above this row's target."""
        return self.target_for(mode) is not None and value > self.target_for(mode)

    def show(self, value):
        """Returns the cell text of one Bulkhead figure (None: not reported)."""
        return "missing" if value is None else str(value)

    def linux_cell(self, _linux):
        """Returns the Linux cell: the published reference point."""
        return self.linux

    def ratio_note(self, _value, _linux):
        """Returns a note comparing the Bulkhead figure with Linux's, or ''."""
        return ""


class StorageRow(Row):
    """A storage row: Linux's figure comes from the same run (linuxbench.py), with
    the IOMMU on and, in brackets, in the other IOMMU modes (strict, pt). The
    Bulkhead cells are the virtio-blk driver alone (drvbench.py), one per mode; `-`
    when it printed no such name.

    @below_linux: the target is Linux's own figure (IOMMU on) from this run.
    @wall: the figure is MB/s of wall time, not instructions.
    @linux_here: Linux has the figure (blkbench prints it); else the Linux cell is `-`.
    """

    def __init__(self, key, what, target=None, below_linux=False, wall=False, linux_here=True):
        super().__init__(key, what, target)
        self.below_linux = below_linux
        self.wall = wall
        self.linux_here = linux_here
        self.linux_key = key  # Linux's name for the figure

    def target_text(self, modes):
        return "<= Linux" if self.below_linux else _target_text(self, modes)

    def above(self, mode, value, linux):
        if self.wall:
            return False
        if self.below_linux:
            reference = _linux_value(linux, STORAGE_MODE, self.linux_key)
            return reference is not None and value > reference
        return super().above(mode, value, linux)

    def _text(self, value):
        return "%.1f" % value if self.wall else str(value)

    def show(self, value):
        return "-" if value is None else self._text(value)

    def linux_cell(self, linux):
        if not self.linux_here:
            return "-"
        cells = [_linux_value(linux, mode, self.key) for mode, _, _ in linuxbench.IOMMU_MODES]
        if all(c is None for c in cells):
            return "missing" if linux else "-"
        texts = ["missing" if c is None else self._text(c) for c in cells]
        return "%s (%s)" % (texts[0], ", ".join(
            "%s %s" % (mode, t) for (mode, _, _), t in zip(linuxbench.IOMMU_MODES[1:],
                                                           texts[1:])))

    def ratio_note(self, value, linux):
        reference = _linux_value(linux, STORAGE_MODE, self.linux_key)
        if not self.wall or value is None or not reference:
            return ""
        return "%.2fx Linux" % (value / reference)


class ServiceRow(StorageRow):
    """A storage row through the storage service (tests/bench/storage_svc.xml): its figures
    are under SERVICE + the driver-alone row's key; the note gives each mode's ratio to the
    driver alone, against issue 8's target (MAX_SERVICE_RATIO) for the instruction figures.
    """

    def __init__(self, base):
        super().__init__(SERVICE + base.key, base.what.replace(DRIVER_WORDS, SERVICE_WORDS),
                         base.target, base.below_linux, base.wall, base.linux_here)
        self.base = self.linux_key = base.key
        self.ratio_target = MAX_SERVICE_RATIO if base.key.endswith(_RATIO_SUFFIXES) else None

    def linux_cell(self, _linux):
        return "-"  # Linux's figure is on the driver-alone row above

    def target_text(self, modes):
        texts = [super().target_text(modes)] if self.target or self.below_linux else []
        if self.ratio_target:
            texts.append("<= %.2fx driver" % self.ratio_target)
        return ", ".join(texts) or "-"

    def ratios(self, results, modes):
        """Returns [(mode, service / driver alone)] for the modes that have both figures."""
        pairs = [(m, results.get(m, {}).get(self.key), results.get(m, {}).get(self.base))
                 for m in modes]
        return [(m, v / d) for m, v, d in pairs if v is not None and d]

    def service_note(self, results, modes):
        """Returns the note: `1.23x / 1.25x driver alone`, and what misses the ratio target."""
        ratios = self.ratios(results, modes)
        if not ratios:
            return ""
        text = "%s driver alone" % " / ".join("%.2fx" % r for _, r in ratios)
        above = [HEADINGS[m] for m, r in ratios if self.ratio_target and r > self.ratio_target]
        if above:
            text += ", above %.2fx (%s)" % (self.ratio_target, ", ".join(above))
        return text


# Reference points: seL4 null syscall 100, IPC round trip 415, signal 520;
# Linux getppid 337, eventfd ping-pong 10854, 64-byte pipe message 2464 cycles.
# Forced-on targets: seL4's figures in this QEMU with its kernel entry window
# (null syscall 100, IPC round trip 415).
ROWS = [
    Row("null", "null hypercall", 80, "100", "337", forced_target=100),
    Row("floor", "syscall/sysret floor (no kernel work)"),
    Row("signal_wake", "signal to wake", 400, "520"),
    Row("pingpong", "channel ping-pong round trip", 400, "415", "10854", forced_target=415),
    Row("ring_rtt", "ring request/response round trip", 700),
    Row("ring_msg", "64-byte ring message, amortized", 100, "-", "2464"),
    Row("fault_notify", "fault to supervisor told: the kernel's part (record written, bit set)"),
    Row("fault_wake", "fault to supervisor notified (running; its report line comes later)",
        1300, "1319 (fault round trip)"),
    Row("boot", "boot to all domains running", 2000000),
]
BENCH_NAMES = [r.key for r in ROWS if r.key != "boot"]

# The Linux boot the storage rows compare with (linuxbench.IOMMU_MODES).
STORAGE_MODE = linuxbench.IOMMU_MODES[0][0]
# Issue 8's targets: a 4 KiB random read round trip <= 2,000 cycles; a 64 KiB
# sequential read at or below Linux's instructions per byte; through the storage
# service at most 1.10x the instructions of the driver alone.
_STORAGE_TARGETS = {"blk_rand4k_qd1_req": 2000, "blk_rand4k_qd1_path_irq": 2000}
_BELOW_LINUX = {"blk_seqread64k_qd1_byte_milli"}
MAX_SERVICE_RATIO = 1.10
_RATIO_SUFFIXES = ("_req", "_byte_milli", "_path_irq")  # the rows the ratio target is for
SERVICE = "svc:"  # the key prefix of the figures through the storage service
DRIVER_WORDS, SERVICE_WORDS = "driver alone", "through the service"
# The depth-1 4 KiB round trip, three ways (drvbench.derived and bench_blk's stage pass):
# (suffix, words); Linux has no such rows.
_ROUND_TRIP = [
    ("_rtt", "full round trip, mean, the wait for the disk included (host-timed)"),
    ("_path_irq", "software path, median: submit to doorbell + interrupt to answer"),
    ("_path_early", "software path, median, answered before the driver slept"),
]


def _workload_rows(name, what):
    """Returns the driver-alone rows of workload @name: per request, per 1000 bytes, MB/s
    (and for the depth-1 4 KiB reads the round trip rows)."""
    rows = []
    for suffix, unit in (("_req", "per request, wait loop excluded"),
                         ("_byte_milli", "per 1000 bytes")):
        key = name + suffix
        rows.append(StorageRow(key, "%s: %s, %s" % (what, unit, DRIVER_WORDS),
                               _STORAGE_TARGETS.get(key), below_linux=key in _BELOW_LINUX))
    rows.append(StorageRow(name + "_mbs", "%s: MB/s wall, %s" % (what, DRIVER_WORDS), wall=True))
    if name == "blk_rand4k_qd1":
        for suffix, words in _ROUND_TRIP:
            rows.append(StorageRow(name + suffix, "%s: %s, %s" % (what, words, DRIVER_WORDS),
                                   _STORAGE_TARGETS.get(name + suffix), linux_here=False))
    return rows


def _storage_rows():
    """Returns the storage rows: each driver-alone row followed by its row through the
    storage service."""
    rows = []
    for name, what in linuxbench.WORKLOADS:
        for row in _workload_rows(name, what):
            rows += [row, ServiceRow(row)]
    return rows


STORAGE_ROWS = _storage_rows()

# Issue 10's recovery row (tests/bench/storage_recover.xml, tests/bench/bench_recover.c):
# a fault of the virtio-blk driver to the first client request its next instance completed,
# through the supervisor and the storage service; target 1 ms of virtual time.
RECOVER_MANIFEST = os.path.join(ROOT, "tests", "bench", "storage_recover.xml")
RECOVER_ROWS = [Row("recover", "driver fault to the first client request done by its next"
                    " instance (median)", 1000000, forced_target=1000000)]
RECOVER_TIMEOUT = 600.0

# Issue 11's management rows (tests/bench/control.xml, ctlbench.py): the control domain's
# cycles for a GET on an open connection and for a new TLS connection, and the virtual time
# of a save and a restore of a 16 MiB domain. No targets.
CONTROL_ROWS = [
    Row("ctl_get", "GET /domains on an open TLS connection: control domain cycles, median"),
    Row("ctl_connect", "new TLS connection (client certificate) and its first GET, less one"
        " GET: control domain cycles, median"),
    Row("ctl_save_16m", "save of counter (16 MiB) to the save volume: cycles of virtual time"),
    Row("ctl_restore_16m", "restore of counter (16 MiB) from the save volume: cycles of"
        " virtual time"),
]

# The parts of a bench run (`bulkhead bench --only PART`).
PARTS = ("cycles", "storage", "recover", "net", "control", "demo")


def _linux_value(linux, mode, key):
    """Returns Linux's figure @key from its boot @mode in @linux (linuxbench.run's result), or None."""
    return ((linux or {}).get(mode) or {}).get("values", {}).get(key)


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


def _target_text(row, modes):
    """Returns the target cell of @row: each mode's target, e.g. `<= 80 / <= 100`."""
    texts = ["-" if row.target_for(m) is None else "<= %d" % row.target_for(m) for m in modes]
    return "-" if all(t == "-" for t in texts) else " / ".join(texts)


def _note(row, cycles, modes, linux):
    """Returns the note of @row: which of its figures @cycles (one per mode) miss their
    target, or how the first compares with Linux's."""
    above = [HEADINGS[m] for m, c in zip(modes, cycles)
             if c is not None and row.above(m, c, linux)]
    if not above:
        return row.ratio_note(cycles[0], linux)
    return "above target" + (" (%s)" % ", ".join(above) if len(modes) > 1 else "")


def _row_cells(row, results, modes, linux):
    """Returns the cells of one table row; @results is {mode: {name: cycles}}."""
    cycles = [results.get(m, {}).get(row.key) for m in modes]
    shown = [row.show(c) for c in cycles]
    note = _note(row, cycles, modes, linux)
    if isinstance(row, ServiceRow):
        note = "; ".join(n for n in (note, row.service_note(results, modes)) if n)
    return (row.key, row.what) + tuple(shown) + (row.target_text(modes), row.sel4,
                                                  row.linux_cell(linux), note)


def format_table(results, modes=BENCH_MODES, linux=None, rows=None):
    """Returns the result table as text: name, what, one cycles column per mode in
    @modes (off, forced, ...), the targets, seL4, Linux and a note.

    Needs: @results as {mode: {name: cycles}}; a mode or name missing there is
    shown as `missing`. @rows: the rows to show (default ROWS, the cycle
    benchmarks; STORAGE_ROWS take Linux's figures from @linux, linuxbench.run's result).
    """
    header = ("name", "what") + tuple(HEADINGS[m] for m in modes) + ("target", "seL4", "Linux",
                                                                      "")
    table = [header] + [_row_cells(row, results, modes, linux) for row in rows or ROWS]
    widths = [max(len(r[i]) for r in table) for i in range(len(header))]
    right = range(2, len(header) - 1)
    lines = []
    for r in table:
        cells = [r[i].rjust(widths[i]) if i in right else r[i].ljust(widths[i])
                 for i in range(len(r))]
        lines.append("  ".join(cells).rstrip())
    return "\n".join(lines)


def _demo_wall_time(log_path, mode):
    """Boots manifests/demo.xml with mitigations @mode without -icount; returns
    (seconds or None, line or reason)."""
    workdir = boot.workdir_for(DEMO_MANIFEST, "bench")
    image, _ = boot.prepare(DEMO_MANIFEST, workdir, mitigation_mode=mode)
    machine = qemu.Machine(qemu.command(image), os.path.join(workdir, "qemu.stderr"))
    with open(log_path, "w", encoding="utf-8", buffering=1) as log, machine:
        for line in machine.lines(machine.started + DEMO_TIMEOUT):
            log.write(line + "\n")
            if _ALL_RUNNING.search(line):
                return time.monotonic() - machine.started, line.strip()
        if machine.timed_out:
            return None, "no `all N domains running` line within %g s" % DEMO_TIMEOUT
        return None, qemu.describe_exit(machine.wait(5), machine.stderr_text())


def _image(manifest, mode, exit_when_idle=False, keys_dir=None):
    """Compiles and packs @manifest for a bench run in mitigation @mode, in
    build/bench/STEM/MODE/, a `keys` module from @keys_dir. Returns the ISO's path."""
    workdir = makedirs(os.path.join(boot.workdir_for(manifest, "bench"), mode))
    return boot.prepare(manifest, workdir, exit_when_idle, mode, keys_dir)[0]


def _run_mode(outdir, mode):
    """Boots the benchmark system, then boot.xml, with mitigations @mode.

    Returns: {name: cycles}; logs in @outdir/bench-MODE.log and boot-MODE.log.
    """
    image = _image(BENCH_MANIFEST, mode, exit_when_idle=True)
    say("bench: booting %s under -icount with mitigations %s (cycles are repeatable)"
        % (rel(BENCH_MANIFEST), mode))
    results, ended = _collect(image, os.path.join(outdir, "bench-%s.log" % mode), BENCH_NAMES)
    say("bench: %s" % ended)
    # In the bench system each band of domains runs its measurement before the
    # next band starts, so its all-running line is not a boot time. Boot is
    # measured on boot.xml, whose domains start and wait like services.
    results.pop("boot", None)
    if os.path.exists(BOOT_MANIFEST):
        image = _image(BOOT_MANIFEST, mode)
        say("bench: booting %s under -icount with mitigations %s for the boot time"
            % (rel(BOOT_MANIFEST), mode))
        booted, ended = _collect(image, os.path.join(outdir, "boot-%s.log" % mode), ["boot"])
        say("bench: %s" % ended)
        if "boot" in booted:
            results["boot"] = booted["boot"]
    return results


def _run_cycles(outdir, modes):
    """Runs the cycle benchmarks once per mode in @modes.

    Returns: {mode: {name: cycles}} (empty if there is no bench system).
    """
    if not os.path.exists(BENCH_MANIFEST):
        say("bench: %s does not exist: no cycle benchmarks" % rel(BENCH_MANIFEST))
        return {}
    return {mode: _run_mode(outdir, mode) for mode in modes}


def merge_storage(results, driver, modes):
    """Returns {mode: {name: value}}: @results with the storage figures of @driver
    (drvbench.run: {system: {mode: {name: value}}}) added, those through the storage
    service under SERVICE + name."""
    merged = {}
    for m in modes:
        values = dict(results.get(m, {}))
        values.update((driver or {}).get("storage", {}).get(m, {}))
        values.update((SERVICE + k, v) for k, v in
                      (driver or {}).get("storage-svc", {}).get(m, {}).items())
        merged[m] = values
    return merged


def _print_table(results, modes, linux, parts, driver=None):
    """Prints the table of the rows of @parts (cycles, storage) and what its columns mean;
    @driver: the Bulkhead storage figures (drvbench.run)."""
    rows = (ROWS if "cycles" in parts and results else []) + \
        (STORAGE_ROWS if "storage" in parts else [])
    if not rows:
        return
    say(format_table(merge_storage(results, driver, modes), modes, linux, rows))
    if rows[0] is ROWS[0]:
        say("targets are goals, not verdicts (with two modes: off / forced); seL4 and Linux"
            " columns are published reference points")
    if "storage" in parts:
        say("storage rows: guest instructions (cycles under -icount) less those of the"
            " counted wait loop, and MB/s on the host's clock; Bulkhead: the virtio-blk driver"
            " alone (tests/bench/storage.xml) and, in the svc: rows, through the storage"
            " service (tests/bench/storage_svc.xml), the note giving the ratio; the"
            " round-trip rows: the full round trip is a mean over the timed requests and"
            " depends on when the host completes each read, the software paths are medians"
            " of one request at a time with the stage log on (repeatable); Linux: Debian's"
            " kernel in the same QEMU on the same disk, this run, IOMMU on (strict: strict"
            " invalidation, pt: passthrough); see docs/testing.md")


def _print_net(results, modes, linux):
    """Prints the network table (netbench.format_table) and what its columns mean."""
    say(netbench.format_table(results, modes, [HEADINGS[m] for m in modes], linux))
    say("network rows: guest instructions (cycles under -icount) less those of the counted"
        " wait loop, and MB/s on the host's clock, against a peer on the host (UDP echo, TCP"
        " source and sink); Bulkhead: bench_net on the virtio-net driver alone"
        " (tests/bench/net.xml) and, in the sw: rows, through the virtual switch"
        " (tests/bench/net_sw.xml); Linux: Debian's kernel in the same QEMU, this run, IOMMU"
        " on; see docs/testing.md")


def _recover_mode(outdir, mode):
    """Boots the recover system once with mitigations @mode on a fresh bench disk.
    Returns {name: value} (`recover`, if bench_recover reported it); its log in
    @outdir/recover-MODE.log."""
    image = _image(RECOVER_MANIFEST, mode)
    disk_path = os.path.join(os.path.dirname(image), "disk.img")
    linuxbench.make_disk(disk_path)
    say("bench: booting %s under -icount with mitigations %s for the recover row"
        % (rel(RECOVER_MANIFEST), mode))
    log, ended = linuxbench.boot_storage(
        drvbench.command(image, disk_path), os.path.join(outdir, "recover-%s.log" % mode),
        os.path.join(os.path.dirname(image), "qemu-recover.stderr"),
        linuxbench.StorageLog(drvbench.PREFIX), RECOVER_TIMEOUT, "bench_recover")
    say("bench: recover (%s): %s" % (mode, ended))
    for problem in log.problems:
        say("bench: recover (%s): %s" % (mode, problem))
    return dict(log.values)


def _run_recover(outdir, modes):
    """Runs the recover row once per mode in @modes; returns {mode: {name: value}}
    (empty if there is no recover system)."""
    if not os.path.exists(RECOVER_MANIFEST):
        say("bench: %s does not exist: no recover row" % rel(RECOVER_MANIFEST))
        return {}
    return {mode: _recover_mode(outdir, mode) for mode in modes}


def _print_recover(results, modes):
    """Prints the recover row's table and what it measures."""
    say(format_table(results, modes, rows=RECOVER_ROWS))
    say("recover row: guest instructions (cycles under -icount; the client polls, so the CPU"
        " never idles) from the virtio-blk driver's last rdtsc before its fault to the client"
        " seeing the answer to the request the fault interrupted: the supervisor's restart,"
        " the new instance's device reset and handshake, the storage service's re-send, the"
        " read itself and the console lines on the way (tests/bench/storage_recover.xml);"
        " the median of several faults; see docs/testing.md")


def _print_control(results, spreads, modes):
    """Prints the control rows' table, what they measure and how each run's samples spread."""
    say(format_table(results, modes, rows=CONTROL_ROWS))
    say("control rows: bulkhead_control_cycles_total of GET /metrics (the control domain's own"
        " cycles: libnet's TCP, TLS records, HTTP, JSON, its audit line) around the requests,"
        " less a /metrics read; save and restore: the control domain's `saved`/`restored`"
        " lines, TSC delta of the whole operation (virtual time: the disk's waits included);"
        " tests/bench/control.xml; see docs/testing.md")
    for mode in modes:
        if spreads.get(mode):
            say("control (%s): %s" % (HEADINGS[mode], spreads[mode]))


def _run_storage(outdir):
    """Runs Linux on the storage workloads; returns linuxbench.run's result, or
    {"failure": why} (the rows then say `missing`) if Linux could not be booted."""
    try:
        return linuxbench.run(outdir)
    except Failure as err:
        say("bench: no Linux storage figures: %s" % err)
        return {"failure": str(err)}


def _demo(outdir, mode):
    """Measures the demo's boot wall time with mitigations @mode; returns it for results.json."""
    if not os.path.exists(DEMO_MANIFEST):
        say("bench: %s does not exist: no wall-time measurement" % rel(DEMO_MANIFEST))
        return {}
    say("bench: booting %s without -icount, mitigations %s" % (rel(DEMO_MANIFEST), mode))
    seconds, detail = _demo_wall_time(os.path.join(outdir, "demo.log"), mode)
    if seconds is None:
        say("bench: demo boot wall time: missing (%s)" % detail)
    else:
        say("bench: demo boot wall time: %.2f s from QEMU start to `%s`" % (seconds, detail))
    return {"seconds": seconds, "detail": detail, "mitigations": mode}


def run(mitigation_mode=None, only=None):
    """Runs the benchmark's parts and writes build/bench/results.json. Returns 0.

    @mitigation_mode: None boots the cycle benchmarks with mitigations off and
    forced on (BENCH_MODES) and the demo in auto; a mode boots each once, in it.
    @only: one of PARTS (cycles, storage, recover, net, control, demo), or None for all.
    """
    outdir = makedirs(os.path.join(BUILD, "bench"))
    modes = (mitigation_mode,) if mitigation_mode else BENCH_MODES
    parts = (only,) if only else PARTS
    results = _run_cycles(outdir, modes) if "cycles" in parts else {}
    driver = drvbench.run(outdir, modes, _image) if "storage" in parts else {}
    linux = _run_storage(outdir) if "storage" in parts else {}
    recover = _run_recover(outdir, modes) if "recover" in parts else {}
    net, net_linux = netbench.run(outdir, modes, _image) if "net" in parts else ({}, {})
    control, spreads = ctlbench.run(outdir, modes, _image) if "control" in parts else ({}, {})
    _print_table(results, modes, linux, parts, driver)
    if recover:
        _print_recover(recover, modes)
    if "net" in parts:
        _print_net(net, modes, net_linux)
    if "control" in parts:
        _print_control(control, spreads, modes)
    demo = _demo(outdir, mitigation_mode or mitigations.DEFAULT) if "demo" in parts else {}
    with open(os.path.join(outdir, "results.json"), "w", encoding="utf-8") as f:
        json.dump({"cycles": results, "demo_boot": demo, "linux_storage": linux,
                   "driver_storage": driver, "recover": recover, "net": net,
                   "linux_net": net_linux, "control": control, "control_spread": spreads}, f,
                  indent=2, sort_keys=True)
    say("bench: logs and results.json in %s" % rel(outdir))
    return 0
