"""Configuring (meson setup) and building (ninja) the tree in build/."""

import os
import shutil
import subprocess
import sys
import time

from .util import BUILD, ROOT, Failure, rel, run_quiet, say, tail


def is_configured():
    """Returns True if build/ holds a configured Meson build."""
    return os.path.exists(os.path.join(BUILD, "build.ninja"))


def configure():
    """Runs `meson setup build` unless build/ is configured already.

    A build/ whose setup got as far as coredata but not build.ninja is wiped
    and set up again; one whose setup failed earlier is simply set up again.
    Raises Failure with Meson's output if setup fails.
    """
    if is_configured():
        return
    argv = ["meson", "setup", rel(BUILD)]
    if os.path.exists(os.path.join(BUILD, "meson-private", "coredata.dat")):
        argv.insert(2, "--wipe")
    say("bulkhead: " + " ".join(argv))
    status, output = run_quiet(argv)
    if status != 0:
        errors = [line for line in output.splitlines() if "ERROR" in line]
        raise Failure("meson setup failed:\n" + tail(output, 60),
                      summary="meson setup failed: " + (errors[0] if errors else "see above"))


def _progress(line):
    """Shows ninja's latest [n/m] line on one terminal line (only on a terminal)."""
    if not sys.stdout.isatty() or not line.startswith("["):
        return
    width = shutil.get_terminal_size((100, 20)).columns - 1
    sys.stdout.write("\r\033[K" + line[:width])
    sys.stdout.flush()


def _failure_excerpt(lines):
    """Returns the part of ninja's output that explains a failed build."""
    for i, line in enumerate(lines):
        if line.startswith("FAILED:"):
            return "\n".join(lines[i:i + 120])
    return "\n".join(lines[-60:])


def compile_all():
    """Runs `ninja -C build`, quietly (a progress line on a terminal).

    Returns: nothing. Raises Failure with the failing step's output.
    """
    started = time.monotonic()
    argv = ["ninja", "-C", rel(BUILD)]
    try:
        proc = subprocess.Popen(argv, cwd=ROOT, stdin=subprocess.DEVNULL,
                                stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    except OSError as err:
        raise Failure("cannot run ninja: %s" % err.strerror)
    lines = []
    for raw in proc.stdout:
        line = raw.decode("utf-8", "replace").rstrip("\n")
        lines.append(line)
        _progress(line)
    status = proc.wait()
    if sys.stdout.isatty():
        sys.stdout.write("\r\033[K")
    if status != 0:
        failed = [line for line in lines if line.startswith("FAILED:")]
        raise Failure("build failed (%s):\n%s" % (" ".join(argv), _failure_excerpt(lines)),
                      summary="build failed: " + (failed[0] if failed else "see above"))
    if not any("no work to do" in line for line in lines):
        say("bulkhead: built in %.1f s" % (time.monotonic() - started))


def build():
    """Configures build/ if needed and brings it up to date."""
    configure()
    compile_all()
