"""`bulkhead test`: host unit tests, the tool's own tests, then the system tests."""

import concurrent.futures
import json
import os
import sys
import time

from . import fuzz
from . import harness
from .harness import LOG_DIR, Result
from .util import BUILD, ROOT, makedirs, rel, run_quiet, safe_name, say, tail

# The tests are the package bulkhead.tests, so discovery starts from tools/.
UNIT_TOP = os.path.join(ROOT, "tools")
UNIT_DIR = os.path.join(UNIT_TOP, "bulkhead", "tests")

# meson test results that count as passed / skipped; anything else failed.
_MESON_PASS = {"OK", "EXPECTEDFAIL"}
_MESON_SKIP = {"SKIP"}


def _meson_tests(name_filter):
    """Returns the names of the Meson tests whose host/NAME contains @name_filter."""
    status, output = run_quiet(["meson", "introspect", BUILD, "--tests"])
    if status != 0:
        return None
    names = [t["name"] for t in json.loads(output)]
    return sorted({n for n in names if name_filter in "host/" + n})


def _meson_result(record):
    """Turns one line of meson's testlog.json into a Result with its own log file."""
    name = "host/" + record["name"].split(" / ", 1)[-1]
    log = os.path.join(LOG_DIR, safe_name(name) + ".log")
    with open(log, "w", encoding="utf-8") as f:
        f.write("# %s\n" % " ".join(record.get("command") or []))
        f.write((record.get("stdout") or "") + (record.get("stderr") or ""))
    outcome = record.get("result", "ERROR")
    reason = "%s (exit status %s)" % (outcome, record.get("returncode"))
    return Result(name, outcome in _MESON_PASS, reason, record.get("duration") or 0.0, log,
                  skipped=outcome in _MESON_SKIP)


def host_tests(name_filter):
    """Runs the selected Meson (cmocka) tests. Returns their Results, one per test."""
    names = _meson_tests(name_filter)
    if names is None:
        return [Result("host", False, "meson introspect failed: is build/ configured?")]
    if not names:
        return []
    argv = ["meson", "test", "-C", BUILD, "--no-rebuild", "--print-errorlogs"] + names
    testlog = os.path.join(BUILD, "meson-logs", "testlog.json")
    if os.path.exists(testlog):
        os.unlink(testlog)
    status, output = run_quiet(argv)
    log = os.path.join(LOG_DIR, "host.log")
    with open(log, "w", encoding="utf-8") as f:
        f.write(output)
    results = []
    if os.path.exists(testlog):
        with open(testlog, encoding="utf-8") as f:
            results = [_meson_result(json.loads(line)) for line in f if line.strip()]
    if status != 0 and all(r.passed for r in results):
        results.append(Result("host", False, "meson test failed (exit status %d)" % status,
                              log=log))
    return results


def unit_tests(name_filter):
    """Runs the bulkhead command's own Python tests as one test, unit/bulkhead."""
    name = "unit/bulkhead"
    if name_filter not in name or not os.path.isdir(UNIT_DIR):
        return []
    argv = [sys.executable, "-m", "unittest", "discover", "-s", UNIT_DIR, "-t", UNIT_TOP]
    log = os.path.join(LOG_DIR, safe_name(name) + ".log")
    started = time.monotonic()
    status, output = run_quiet(argv)
    with open(log, "w", encoding="utf-8") as f:
        f.write(output)
    reason = "python unittest failed (exit status %d)" % status
    return [Result(name, status == 0, reason, time.monotonic() - started, log)]


def report(result):
    """Prints the one verdict line of @result, and on failure the tail of its log."""
    if result.skipped:
        say("SKIP %s" % result.name)
    elif result.passed:
        # A fuzz result carries its own detail, e.g. "6000 execs, 14.2 s".
        detail = getattr(result, "detail", None) or "%.1f s" % result.seconds
        say("PASS %s (%s)" % (result.name, detail))
    else:
        say("FAIL %s: %s" % (result.name, result.reason))
        if result.log and os.path.exists(result.log):
            with open(result.log, encoding="utf-8", errors="replace") as f:
                text = f.read()
            say("---- last 40 lines of %s" % rel(result.log))
            say(tail(text, 40))
            say("----")


def system_tests(name_filter, jobs, mitigation_mode=None, long_run=False):
    """Runs the selected system tests, @jobs at a time, reporting each as it ends.

    @mitigation_mode: None runs each test in the modes of harness.find_runs
    (auto and force, unless its expect file pins one); a mode runs each once in it.
    @long_run: `--long`, each test's long variant (its `repeat N long M` phases M times).
    """
    tests = harness.find_runs(name_filter, mitigation_mode)
    results = []
    futures = []
    pool = concurrent.futures.ThreadPoolExecutor(max_workers=max(1, jobs))
    try:
        futures = [pool.submit(harness.run_test, name, path, mode, long_run)
                   for name, path, mode in tests]
        for future in concurrent.futures.as_completed(futures):
            results.append(future.result())
            report(results[-1])
    except KeyboardInterrupt:
        for future in futures:
            future.cancel()
        harness.kill_all()
        raise
    finally:
        pool.shutdown(wait=True)
    return results


def summary(results):
    """Prints the closing line `N passed, M failed` (and skipped, if any). Returns M."""
    passed = sum(1 for r in results if r.passed and not r.skipped)
    skipped = sum(1 for r in results if r.skipped)
    failed = len(results) - passed - skipped
    line = "%d passed, %d failed" % (passed, failed)
    if skipped:
        line += ", %d skipped" % skipped
    say(line)
    return failed


def run_all(name_filter="", jobs=2, mitigation_mode=None, long_run=False):
    """Runs every selected test (system tests in @mitigation_mode, their long variants if
    @long_run; see system_tests). Returns the number of failures."""
    makedirs(LOG_DIR)
    results = []
    for group in (host_tests, unit_tests):
        for result in group(name_filter):
            report(result)
            results.append(result)
    results += system_tests(name_filter, jobs, mitigation_mode, long_run)
    results += fuzz.tests(name_filter, jobs, report)
    return summary(results)
