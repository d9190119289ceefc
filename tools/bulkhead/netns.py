"""Linux peers of system tests: a network namespace joined to QEMU through a tap device.

An expect file's

    netns-tap NETDEV ADDR/PREFIX
    netns-run PROGRAM ARGS... expect REGEX after REGEX

makes the harness create a network namespace for the boot (a unique name, `bh-PID-HEX`), a
tap device `bhtap0` inside it with ADDR/PREFIX, and run QEMU inside the namespace
(`ip netns exec`) with `-netdev tap,id=NETDEV,ifname=bhtap0,script=no,downscript=no`, so that
the test's `-device virtio-net-pci,netdev=NETDEV` sees the namespace's Linux as its wire.
The namespace is deleted when the boot ends, whatever the verdict (a namespace left behind
by a harness that was killed is deleted by the next test that sets one up, once its owner
no longer runs).

The first time a serial line matches a `netns-run` line's last REGEX, the harness runs
PROGRAM (from ALLOWED_PROGRAMS, no shell) inside the namespace, at most RUN_TIMEOUT seconds;
a line of its output (stdout and stderr) must match the first REGEX (re.search), else the
test fails. Lines triggered by the same serial line run in file order.

Needs root, `ip` (iproute2) and /dev/net/tun; without them the test fails and says so.
"""

import os
import re
import secrets
import shlex
import shutil
import subprocess
import time

from .monitor import parse as parse_after
from .util import Failure

TAP = "bhtap0"
PREFIX = "bh-"
RUN_TIMEOUT = 60.0  # seconds for one netns-run command
IP_TIMEOUT = 10.0  # seconds for one `ip` call of the set-up
# Programs a netns-run line may start (iproute2's ip, iputils' ping).
ALLOWED_PROGRAMS = ("ip", "ping")
_EXPECT = re.compile(r"\s+expect\s+")
_OWNED = re.compile(r"^bh-(\d+)-[0-9a-f]+$")
_NETDEV = re.compile(r"^[A-Za-z0-9_-]+$")


def parse_tap(arg):
    """Splits `NETDEV ADDR/PREFIX`. Returns (netdev id, "ADDR/PREFIX").
    Raises ValueError saying what is wrong."""
    words = arg.split()
    if len(words) != 2 or not _NETDEV.match(words[0]):
        raise ValueError("netns-tap %r: expected NETDEV ADDR/PREFIX" % arg)
    match = re.match(r"^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})/(\d{1,2})$", words[1])
    if not match or any(int(g) > 255 for g in match.groups()[:4]) or \
            not 1 <= int(match.group(5)) <= 30:
        raise ValueError("netns-tap: %r is not an IPv4 ADDR/PREFIX (prefix 1..30)" % words[1])
    return words[0], words[1]


def parse_run(arg):
    """Splits `PROGRAM ARGS... expect REGEX after REGEX` at the first ` expect ` and then the
    first ` after ` (so the command may contain neither, the output regex not `after`).
    Returns (argv, output regex text, trigger regex text). Raises ValueError."""
    parts = _EXPECT.split(" " + arg + " ", 1)
    if len(parts) != 2 or not parts[0].strip():
        raise ValueError("netns-run %r: expected PROGRAM ARGS... expect REGEX after REGEX" % arg)
    output, trigger = parse_after(parts[1].strip())
    try:
        argv = shlex.split(parts[0])
    except ValueError as err:
        raise ValueError("netns-run %r: %s" % (arg, err))
    if argv[0] not in ALLOWED_PROGRAMS:
        raise ValueError("netns-run: program %r is not allowed (allowed: %s)"
                         % (argv[0], ", ".join(ALLOWED_PROGRAMS)))
    return argv, output, trigger


class Run:
    """One `netns-run` line: @argv, the Pattern its output must match, the trigger Pattern."""

    def __init__(self, argv, output, pattern):
        self.argv = argv
        self.output = output
        self.pattern = pattern

    def __repr__(self):
        return "netns-run %s" % " ".join(shlex.quote(a) for a in self.argv)


def check_host():
    """Raises Failure saying what is missing if this machine cannot make namespaces and taps."""
    missing = []
    if os.geteuid() != 0:
        missing.append("root (network namespaces and tap devices need it)")
    if shutil.which("ip") is None:
        missing.append("the ip command (Debian package iproute2)")
    if not os.path.exists("/dev/net/tun"):
        missing.append("/dev/net/tun (the tun module)")
    if missing:
        raise Failure("netns-tap: this machine lacks " + "; ".join(missing))


def _ip(args, netns=None):
    """Runs `ip ARGS` (inside @netns if given). Returns its output; raises Failure if it
    fails."""
    argv = ["ip"] + (["netns", "exec", netns, "ip"] if netns else []) + args
    try:
        proc = subprocess.run(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, timeout=IP_TIMEOUT)
    except (OSError, subprocess.TimeoutExpired) as err:
        raise Failure("netns-tap: %s: %s" % (" ".join(argv), err))
    text = proc.stdout.decode("utf-8", "replace")
    if proc.returncode != 0:
        raise Failure("netns-tap: %s failed: %s" % (" ".join(argv), text.strip()))
    return text


def _alive(pid):
    """Returns True if process @pid exists."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def remove_stale():
    """Deletes the namespaces named by this module whose harness process no longer runs.
    Returns their names."""
    gone = []
    for line in _ip(["netns", "list"]).splitlines():
        name = line.split()[0] if line.split() else ""
        match = _OWNED.match(name)
        if match and not _alive(int(match.group(1))):
            subprocess.run(["ip", "netns", "delete", name], stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL, timeout=IP_TIMEOUT)
            gone.append(name)
    return gone


class Namespace:
    """The namespace of one boot, or nothing if @tap (from `netns-tap`) is None.

    Use as a context manager around the boot: entering makes the namespace and its tap,
    leaving deletes them. wrap() gives QEMU's argv to run inside it, feed() runs @runs.
    """

    def __init__(self, tap, runs):
        self.tap = tap  # (netdev id, ADDR/PREFIX) or None
        self.pending = list(runs)
        self.name = None

    def __enter__(self):
        if self.tap is None:
            return self
        check_host()
        remove_stale()
        self.name = "%s%d-%s" % (PREFIX, os.getpid(), secrets.token_hex(4))
        _ip(["netns", "add", self.name])
        try:
            _ip(["link", "set", "lo", "up"], self.name)
            _ip(["tuntap", "add", "dev", TAP, "mode", "tap"], self.name)
            _ip(["addr", "add", self.tap[1], "dev", TAP], self.name)
            _ip(["link", "set", TAP, "up"], self.name)
        except Failure:
            self.close()
            raise
        return self

    def __exit__(self, *exc):
        self.close()

    def close(self):
        """Deletes the namespace (and the tap in it), if there is one."""
        if self.name is not None:
            subprocess.run(["ip", "netns", "delete", self.name], stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL, timeout=IP_TIMEOUT)
            self.name = None

    def describe(self):
        """Says what was set up, for the log."""
        if self.name is None:
            return ""
        return "network namespace %s: tap %s %s for QEMU's netdev %s" % (
            self.name, TAP, self.tap[1], self.tap[0])

    def wrap(self, argv):
        """Returns QEMU's @argv with the tap netdev added, run inside the namespace."""
        if self.name is None:
            return list(argv)
        netdev = "tap,id=%s,ifname=%s,script=no,downscript=no" % (self.tap[0], TAP)
        return ["ip", "netns", "exec", self.name] + list(argv) + ["-netdev", netdev]

    def feed(self, line, log):
        """Runs the netns-run lines serial @line triggers, in order. Returns the first
        failure's reason, or None."""
        due = [r for r in self.pending if r.pattern.regex.search(line)]
        for run in due:
            self.pending.remove(run)
            reason = self._run(run, log)
            if reason:
                return "%r: %s" % (run, reason)
        return None

    def _run(self, run, log):
        """Runs one command in the namespace and checks its output. Returns None or why."""
        started = time.monotonic()
        argv = ["ip", "netns", "exec", self.name] + run.argv
        try:
            proc = subprocess.run(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                  stderr=subprocess.STDOUT, timeout=RUN_TIMEOUT)
            status, text = proc.returncode, proc.stdout.decode("utf-8", "replace")
        except subprocess.TimeoutExpired as err:
            status, text = "timeout after %g s" % RUN_TIMEOUT, (err.output or b"").decode()
        except OSError as err:
            status, text = "cannot start: %s" % err, ""
        log.write("# %r (exit %s, %.1f s):\n%s" % (run, status, time.monotonic() - started,
                                                  "".join("#   %s\n" % t
                                                          for t in text.splitlines())))
        if any(run.output.regex.search(t) for t in text.splitlines()):
            return None
        return "output (exit %s) does not match %r" % (status, run.output)
