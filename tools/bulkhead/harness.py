"""The system-test harness: boot one test's manifest in QEMU and judge its serial output."""

import os
import shutil
import signal
import threading
import time

from . import disk as disks
from . import expect
from . import hostnet
from . import image
from . import iso
from . import keys
from . import mitigations
from . import monitor
from . import netns
from . import pair
from . import plan
from . import qemu
from . import wcache
from .util import BUILD, ROOT, Failure, makedirs, rel, safe_name

SYSTEM_DIR = os.path.join(ROOT, "tests", "system")
LOG_DIR = os.path.join(BUILD, "test-logs")
WORK_DIR = os.path.join(BUILD, "test-run")

# Every QEMU that runs now, so that Ctrl-C can end them all; once _stopping is
# set no new QEMU starts.
_running = set()
_running_lock = threading.Lock()
_stopping = threading.Event()


class Result:
    """The verdict on one test."""

    def __init__(self, name, passed, reason="", seconds=0.0, log=None, skipped=False):
        self.name = name
        self.passed = passed
        self.reason = reason
        self.seconds = seconds
        self.log = log          # path of the test's log file, or None
        self.skipped = skipped


def find_tests(name_filter=""):
    """Returns [(name, expect path)] of every tests/system/**/expect, sorted by name.

    A test is named system/DIR (DIR relative to tests/system); only names
    containing @name_filter are returned.
    """
    found = []
    for dirpath, dirnames, filenames in os.walk(SYSTEM_DIR):
        dirnames.sort()
        if "expect" in filenames and dirpath != SYSTEM_DIR:
            name = "system/" + os.path.relpath(dirpath, SYSTEM_DIR).replace(os.sep, "/")
            if name_filter in name:
                found.append((name, os.path.join(dirpath, "expect")))
    return sorted(found)


def _modes(expect_path, chosen):
    """Returns the mitigation modes the test of @expect_path runs in (see
    mitigations.modes_for); a malformed expect file runs, and fails, in every mode
    an unpinned test would, so that any filter shows it."""
    try:
        spec = expect.load(expect_path)
    except (OSError, expect.ExpectError):
        return mitigations.modes_for(None, False, chosen)
    return mitigations.modes_for(spec.pinned_mitigations, spec.image == "deploy", chosen)


def find_runs(name_filter="", chosen=None):
    """Returns [(run name, expect path, mitigation mode)] of every system test run.

    Each test runs in the modes _modes() gives it; a run in auto is named like
    the test (system/NAME), one in another mode system/NAME+MODE. @chosen: the
    mode of `bulkhead test --mitigations`, or None. Only runs whose name
    contains @name_filter are returned.
    """
    runs = []
    for name, path in find_tests():
        for mode in _modes(path, chosen):
            if name_filter in mitigations.run_name(name, mode):
                runs.append((mitigations.run_name(name, mode), path, mode))
    return runs


def kill_all():
    """Kills every QEMU the harness started and that still runs; starts no more."""
    _stopping.set()
    with _running_lock:
        machines = list(_running)
    for machine in machines:
        machine.stop()


def _monitor_feed(mon, machine, line, log):
    """Sends the monitor commands that serial @line triggers, logging each reply.

    Returns: a failure reason if the monitor refused a command, or could not be
    reached while QEMU still runs; else None (a QEMU that ended is judged by
    its exit).
    """
    for command, reply, error in mon.feed(line) if mon else []:
        shown = (error or reply or "(no output)").replace("\n", "\n#   ")
        log.write("# monitor: %s -> %s\n" % (command, shown))
        if error and machine.wait(1) is None:
            return "monitor: " + error
        if monitor.refused(reply):
            return "monitor: %r refused: %s" % (command, reply.splitlines()[0])
    return None


def _power_cut(machine, matcher, log, lines, serial):
    """Kills QEMU at once with SIGKILL (the power cut), then reads from @serial (the boot's
    machine.lines) what QEMU had already written: those lines go to the log, to @lines and
    through @matcher's rejects. Returns None, or the reason a late line failed the boot."""
    machine.proc.send_signal(signal.SIGKILL)
    machine.proc.wait()
    log.write("# power cut: QEMU killed (SIGKILL) after serial line %d; lines still in the"
              " pipe:\n" % matcher.lines)
    for line in serial:
        log.write(line + "\n")
        lines.append(line)
        reason = matcher.feed(line)
        if reason:
            return reason
    return None


class _Feeds:
    """Several feeders (hostnet.Peers, netns.Namespace) fed the same serial lines in turn."""

    def __init__(self, *feeders):
        self.feeders = feeders

    def feed(self, line, log):
        """Feeds @line to each; returns the first failure's reason, or None."""
        for feeder in self.feeders:
            reason = feeder.feed(line, log)
            if reason:
                return reason
        return None

    def busy(self):
        """Returns True while a feeder still waits for its line (a check not yet run)."""
        return any(feeder.pending for feeder in self.feeders)


def _watch(machine, matcher, timeout, log, mon=None, lines=None, peers=None):
    """Reads serial lines until a verdict, sending @mon's monitor commands and
    running @peers' host checks (a _Feeds) as their lines come, and keeping
    every line in @lines (a list) if given. A boot with a power cut passes only
    through it; one with checks of @peers still due passes once they ran. Returns None for PASS, else the reason."""
    lines = [] if lines is None else lines
    serial = machine.lines(machine.started + timeout)
    for line in serial:
        log.write(line + "\n")
        lines.append(line)
        reason = matcher.feed(line) or _monitor_feed(mon, machine, line, log) or \
            (peers.feed(line, log) if peers else None)
        if reason:
            return reason
        if matcher.cut(line):
            return _power_cut(machine, matcher, log, lines, serial)
        if matcher.done() and matcher.power_cut is None and not (peers and peers.busy()):
            return None
    if machine.timed_out:
        return "timeout after %g s; missing: %s" % (timeout, matcher.missing_text())
    status = machine.wait(5)
    who = machine.who_ended() if isinstance(machine, pair.Pair) else ""
    return "%sQEMU exited before all expects matched: %s; missing: %s" % (
        who, qemu.describe_exit(status, machine.stderr_text()), matcher.missing_text())


def _edit_plan(spec, compiled, workdir, log):
    """Performs the expect file's plan and image edits, if any, and logs them."""
    if not spec.plan_edits:
        return
    log.write("".join("# %r\n" % edit for edit in spec.plan_edits))
    plan.apply_edits(compiled, spec.plan_edits, workdir)


def _build(spec, workdir, log):
    """Builds the ISO the test boots: the test ISO, or `bulkhead image`'s (`image deploy`),
    its kernel booting with spec.mitigations.

    Returns: (ISO path, {placeholder: value} for the expect regexes).
    """
    if spec.image == "deploy":
        info = image.build(spec.manifest, os.path.join(workdir, "system.iso"), workdir,
                           spec.mitigations, test_keys=True)
        log.write("".join("# %s\n" % line for line in image.describe(info)))
        return info.path, {"@PLAN_CRC32@": iso.crc_text(info.plan_crc)}
    compiled = plan.compile_manifest(_manifest(spec, False, workdir, log), workdir,
                                     exit_when_idle=True)
    for offset in spec.corrupt_offsets:
        plan.corrupt(compiled.plan_path, offset)
    _edit_plan(spec, compiled, workdir, log)
    keys.attach(compiled, workdir, test=True)
    path = iso.make_iso(workdir, compiled, spec.mitigations, spec.kernel_args)
    if spec.peer:
        spec.peer_iso = _build_peer(spec, pair.peer_dir(workdir), log)
    return path, {"@PLAN_CRC32@": iso.crc_text(iso.plan_checksum(compiled.plan_path))}


def _manifest(spec, peer, workdir, log):
    """Returns the manifest to compile for the test's machine or, if @peer, the peer's: under
    --long with `long-image` lines, a copy in @workdir with those domains' images swapped."""
    manifest = spec.peer if peer else spec.manifest
    swaps = spec.long_images[peer] if spec.long_run else {}
    if swaps:
        log.write("# long run: %s boots %s\n" % (rel(manifest), ", ".join(
            "%s as %s" % item for item in sorted(swaps.items()))))
    return pair.long_manifest(manifest, swaps, os.path.join(workdir, "manifest-long.xml"))


def _build_peer(spec, peerdir, log):
    """Compiles the peer's manifest and packs its ISO in @peerdir. Returns the ISO's path."""
    if not os.path.exists(spec.peer):
        raise Failure("peer manifest %s does not exist" % rel(spec.peer))
    compiled = plan.compile_manifest(_manifest(spec, True, peerdir, log), peerdir,
                                     exit_when_idle=True)
    keys.attach(compiled, peerdir, test=True)
    return iso.make_iso(peerdir, compiled, spec.mitigations, spec.kernel_args)


def _pair(spec, argv, stderr_path, boot, bootdir):
    """Returns the pair.Pair of the test's machine (QEMU @argv, its stderr to @stderr_path)
    and the peer, booted the same way (@boot) from spec.peer_iso, its files in @bootdir/peer."""
    peerdir = makedirs(os.path.join(bootdir, "peer"))
    peer_argv = qemu.command(spec.peer_iso, extra=qemu.firmware_log_flags(
        os.path.join(peerdir, "firmware.log")) + spec.qemu_args, firmware=boot[0],
        medium=boot[1], vars_path=qemu.uefi_vars(peerdir) if boot[0] == "uefi" else None)
    return pair.Pair([argv, peer_argv], [stderr_path, os.path.join(peerdir, "qemu.stderr")],
                     spec.relay)


def _run(machine, matcher, timeout, log, mon=None, lines=None, peers=None):
    """Runs @machine (registered, so that Ctrl-C ends it) until a verdict; see _watch."""
    with machine:
        with _running_lock:
            _running.add(machine)
        try:
            if _stopping.is_set():
                return "interrupted"
            return _watch(machine, matcher, timeout, log, mon, lines, peers)
        finally:
            machine.stop()
            with _running_lock:
                _running.discard(machine)


def _seabios_verdict(medium, firmware_log):
    """Checks in SeaBIOS's log that it booted @medium. Returns None, or the reason."""
    try:
        with open(firmware_log, encoding="utf-8", errors="replace") as f:
            text = f.read()
    except OSError:
        text = ""
    booted = qemu.seabios_medium(text)
    if booted == medium:
        return None
    return "SeaBIOS's log says it booted %s, not %s" % (booted or "nothing", medium)


def _matcher(spec, boot, values, phase=None):
    """Returns the Matcher of one boot: the lines of @phase (default: the test's
    first); under UEFI OVMF's line saying it starts the medium (and no other boot
    option); no kernel line naming another mitigation mode than the run's (see
    mitigations.kernel_line_check)."""
    firmware, medium = boot
    expects, rejects = mitigations.kernel_line_check(spec.mitigations)
    if firmware == "uefi":
        expects.append(qemu.uefi_boot_regex(medium))
        rejects.append(qemu.uefi_boot_regex(medium, other=True))
    return expect.Matcher(phase or spec.phases[0], values,
                          [expect.Pattern(e, 0) for e in expects],
                          [expect.Pattern(r, 0) for r in rejects])


def _log_firmware(firmware_log, log):
    """Copies the firmware's debug log (if any) into the test's log."""
    if os.path.exists(firmware_log) and os.path.getsize(firmware_log):
        with open(firmware_log, encoding="utf-8", errors="replace") as f:
            log.write("# firmware debug log (port 0x402):\n" + f.read())


def _boot_once(spec, boot, iso_path, workdir, values, log, phase=None, tag="", lines=None):
    """Boots @iso_path once with @boot = (firmware, medium) and the lines of @phase (default:
    the test's first), keeping the serial lines in @lines if given. Returns None for PASS,
    else why. @tag names the phase's run in the boot's directory.

    Besides the test's expects, the firmware must say it booted that medium:
    OVMF on the serial console, SeaBIOS in its debug log.
    """
    firmware, medium = boot
    phase = phase or spec.phases[0]
    bootdir = makedirs(os.path.join(workdir, "boot-%s-%s" % boot + tag))
    firmware_log = os.path.join(bootdir, "firmware.log")
    vars_path = qemu.uefi_vars(bootdir) if firmware == "uefi" else None
    mon = monitor.Monitor(phase.monitor)
    peers = hostnet.Peers(phase.host_peers, spec.long_run, _test_keys(phase))
    cache = wcache.WriteCache(disks.image_path(workdir)) if spec.disk and \
        spec.disk.volatile else None
    extra = qemu.firmware_log_flags(firmware_log) + peers.qemu_args(spec.qemu_args) + \
        mon.flags()
    if spec.disk:
        extra += disks.qemu_flags(spec.disk, disks.image_path(workdir),
                                  cache.node() if cache else None)
    argv = qemu.command(iso_path, extra=extra, firmware=firmware, medium=medium,
                        vars_path=vars_path)
    space = netns.Namespace(spec.netns_tap, phase.netns_runs)
    stderr_path = os.path.join(bootdir, "qemu.stderr")
    try:
        with space:
            argv = space.wrap(argv)
            machine = _pair(spec, argv, stderr_path, boot, bootdir) if spec.peer else \
                qemu.Machine(argv, stderr_path)
            peers.drain = getattr(machine, "drain", None)
            _log_boot(spec, boot, machine, space, log)
            if cache:
                cache.start()
            verdict = _run(machine, _matcher(spec, boot, values, phase), spec.timeout, log,
                           mon, lines, _Feeds(peers, space))
    finally:
        mon.close()
        if cache:
            log.write("# %s\n" % cache.finish())
    if verdict is None and firmware == "bios":
        verdict = _seabios_verdict(medium, firmware_log)
    _log_stderr(machine, log)
    if verdict is not None:
        _log_firmware(firmware_log, log)
    log.write("# boot %s %s: %s after %.1f s\n" % (firmware, medium, "FAIL" if verdict else
                                                    "PASS", time.monotonic() - machine.started))
    return verdict


def _test_keys(phase):
    """Returns the test run's keys.KeySet if a host check of @phase needs it, else None."""
    if not hostnet.needs_keys(phase.host_peers):
        return None
    return keys.test_keys()


def _log_boot(spec, boot, machine, space, log):
    """Writes the head of a boot's log: the namespace, the QEMU command (both of a pair)."""
    if space.name:
        log.write("# %s\n" % space.describe())
    log.write("# boot %s %s\n# %s\n" % (boot[0], boot[1], " ".join(machine.argv)))
    if spec.peer:
        log.write("# peer: %s\n# %r\n" % (" ".join(machine.machines[1].argv), spec.relay))
    log.write("# serial:\n")


def _log_stderr(machine, log):
    """Copies what QEMU (both QEMUs of a pair) wrote to stderr, and a pair's relay counts,
    into the test's log."""
    machines = machine.machines if isinstance(machine, pair.Pair) else [machine]
    for number, one in enumerate(machines):
        stderr = one.stderr_text()
        if stderr:
            log.write("# %sQEMU stderr:\n" % ("peer " if number else "") + stderr)
    if isinstance(machine, pair.Pair):
        log.write("".join("# %s\n" % line for line in machine.report))


def _make_disk(spec, workdir, log):
    """Writes the test's fresh disk image, if it has a `disk` line."""
    if spec.disk:
        disks.create(spec.disk, disks.image_path(workdir))
        log.write("# disk %s: %d bytes, %s, failing sectors %s\n" % (
            rel(disks.image_path(workdir)), spec.disk.size, spec.disk.fill,
            spec.disk.errors or "none"))


def _host_step(step, path, values, lines):
    """Performs one host step (disk.Check or disk.Tear) on image @path after a boot whose
    serial lines are @lines; a `journal-acked` check sets its @values placeholder. Returns
    (None or the reason, what to log)."""
    if isinstance(step, disks.Tear):
        reason, found = disks.tear(step, path)
        return reason, "%d intact records, record %d torn" % (found, found)
    if step.want != disks.ACKED:
        reason = disks.verify(step, path)
        return reason, "ok"
    reason, found = disks.verify_acked(step, path, lines)
    values[expect.records_placeholder(step.domain)] = str(found)
    return reason, "%d intact records, %s said record %d was flushed" % (
        found, step.domain, disks.acked(lines, step.domain))


def _host_steps(phase, workdir, values, lines, log):
    """Runs @phase's disk-check and disk-tear lines, in order, on the image after its boot.
    Returns None, or the first failure's reason."""
    for step in phase.host_steps:
        reason, what = _host_step(step, disks.image_path(workdir), values, lines)
        log.write("# %r: %s\n" % (step, reason or what))
        if reason:
            return reason
    if phase.host_steps:
        log.write("# disk checks: %d passed\n" % len(phase.host_steps))
    return None


def _phase_runs(spec):
    """Returns [(phase, run, runs)]: every boot of the disk in order, each phase `repeat`ed
    (its own count under --long)."""
    return [(phase, run, phase.runs(spec.long_run)) for phase in spec.phases
            for run in range(1, phase.runs(spec.long_run) + 1)]


def _phase(spec, phase, tag, iso_path, workdir, values, log):
    """Boots @phase once per `boot` line, then runs its host steps on the disk. Returns None
    for PASS, else why."""
    lines = []
    for boot in spec.boots:
        lines.clear()
        verdict = _boot_once(spec, boot, iso_path, workdir, values, log, phase=phase, tag=tag,
                             lines=lines)
        if verdict is not None:
            if spec.boots == [expect.DEFAULT_BOOT]:
                return verdict
            return "boot %s %s: %s" % (boot[0], boot[1], verdict)
    return _host_steps(phase, workdir, values, lines, log)


def _boot(spec, workdir, log):
    """Builds the test's ISO and boots it once per `boot` line and phase run (one disk for
    all), running each phase's host steps after its boots. Returns None for PASS, else why."""
    iso_path, values = _build(spec, workdir, log)
    _make_disk(spec, workdir, log)
    runs = _phase_runs(spec)
    for phase, run, count in runs:
        name = "phase %d, run %d of %d" % (phase.number, run, count)
        if len(runs) > 1:
            log.write("# %s\n" % name)
        tag = "-phase%d.%d" % (phase.number, run) if len(runs) > 1 else ""
        verdict = _phase(spec, phase, tag, iso_path, workdir, values, log)
        if verdict is not None:
            return "%s: %s" % (name, verdict) if len(runs) > 1 else verdict
    return None


def _judge(name, expect_path, log, mitigation_mode, long_run=False):
    """Runs the test named @name with @mitigation_mode (its long variant if @long_run);
    returns None for PASS, else the reason."""
    try:
        spec = expect.load(expect_path)
    except expect.ExpectError as err:
        return str(err)
    spec.mitigations = spec.pinned_mitigations or mitigation_mode
    spec.long_run = long_run
    if long_run and spec.long_timeout:
        spec.timeout = spec.long_timeout
    log.write("# mitigations %s (%s)\n" % (spec.mitigations, "pinned by the expect file"
                                            if spec.pinned_mitigations else "this run's mode"))
    log.write("# manifest %s, image %s, timeout %g s per boot, boots: %s, phases: %s\n"
              % (rel(spec.manifest), spec.image, spec.timeout,
                 ", ".join("%s %s" % boot for boot in spec.boots),
                 " ".join("%dx%d" % (p.number, p.runs(long_run)) for p in spec.phases)))
    if not os.path.exists(spec.manifest):
        return "manifest %s does not exist" % rel(spec.manifest)
    workdir = os.path.join(WORK_DIR, safe_name(name))
    shutil.rmtree(workdir, ignore_errors=True)
    makedirs(workdir)
    try:
        return _boot(spec, workdir, log)
    except Failure as err:
        log.write(str(err) + "\n")
        return err.summary


def run_test(name, expect_path, mitigation_mode=mitigations.DEFAULT, long_run=False):
    """Runs one system test, its kernel booting with @mitigation_mode
    (mitigations.MODES), and writes its log to build/test-logs/NAME.log. @long_run:
    `bulkhead test --long`, whose `repeat N long M` phases run M times.

    Returns: a Result; never raises for a failing test.
    """
    started = time.monotonic()
    log_path = os.path.join(makedirs(LOG_DIR), safe_name(name) + ".log")
    with open(log_path, "w", encoding="utf-8", buffering=1) as log:
        log.write("# system test %s (%s)%s\n" % (name, rel(expect_path),
                                                 ", long run" if long_run else ""))
        reason = _judge(name, expect_path, log, mitigation_mode, long_run)
        log.write("# verdict: %s\n" % ("PASS" if reason is None else "FAIL: " + reason))
    return Result(name, reason is None, reason or "", time.monotonic() - started, log_path)
