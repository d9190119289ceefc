"""The system-test harness: boot one test's manifest in QEMU and judge its serial output."""

import os
import shutil
import threading
import time

import expect
import iso
import plan
import qemu
from util import BUILD, ROOT, Failure, makedirs, rel, safe_name

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


def kill_all():
    """Kills every QEMU the harness started and that still runs; starts no more."""
    _stopping.set()
    with _running_lock:
        machines = list(_running)
    for machine in machines:
        machine.stop()


def _watch(machine, matcher, timeout, log):
    """Reads serial lines until a verdict. Returns None for PASS, else the reason."""
    for line in machine.lines(machine.started + timeout):
        log.write(line + "\n")
        reason = matcher.feed(line)
        if reason:
            return reason
        if matcher.done():
            return None
    if machine.timed_out:
        return "timeout after %g s; missing: %s" % (timeout, matcher.missing_text())
    status = machine.wait(5)
    return "QEMU exited before all expects matched: %s; missing: %s" % (
        qemu.describe_exit(status, machine.stderr_text()), matcher.missing_text())


def _boot(spec, workdir, log):
    """Compiles, packs and boots the test's system. Returns None for PASS, else the reason."""
    compiled = plan.compile_manifest(spec.manifest, workdir, exit_when_idle=True)
    for offset in spec.corrupt_offsets:
        plan.corrupt(compiled.plan_path, offset)
    image = iso.make_iso(workdir, compiled)
    argv = qemu.command(image)
    log.write("# %s\n# serial:\n" % " ".join(argv))
    machine = qemu.Machine(argv, os.path.join(workdir, "qemu.stderr"))
    with machine:
        with _running_lock:
            _running.add(machine)
        try:
            if _stopping.is_set():
                return "interrupted"
            verdict = _watch(machine, expect.Matcher(spec), spec.timeout, log)
        finally:
            machine.stop()
            with _running_lock:
                _running.discard(machine)
    stderr = machine.stderr_text()
    if stderr:
        log.write("# QEMU stderr:\n" + stderr)
    return verdict


def _judge(name, expect_path, log):
    """Runs the test named @name; returns None for PASS, else the reason."""
    try:
        spec = expect.load(expect_path)
    except expect.ExpectError as err:
        return str(err)
    log.write("# manifest %s, timeout %g s\n" % (rel(spec.manifest), spec.timeout))
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


def run_test(name, expect_path):
    """Runs one system test and writes its log to build/test-logs/NAME.log.

    Returns: a Result; never raises for a failing test.
    """
    started = time.monotonic()
    log_path = os.path.join(makedirs(LOG_DIR), safe_name(name) + ".log")
    with open(log_path, "w", encoding="utf-8", buffering=1) as log:
        log.write("# system test %s (%s)\n" % (name, rel(expect_path)))
        reason = _judge(name, expect_path, log)
        log.write("# verdict: %s\n" % ("PASS" if reason is None else "FAIL: " + reason))
    return Result(name, reason is None, reason or "", time.monotonic() - started, log_path)
