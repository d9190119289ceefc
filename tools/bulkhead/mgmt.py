"""Host checks of the management API in system tests: `host-ctl` and `host-curl`.

An expect file's

    host-ctl [ADDR:]GUESTPORT ARGS... expect REGEX2 after REGEX
    host-curl [ADDR:]GUESTPORT CERT METHOD PATH [BODY] expect REGEX2 after REGEX

reach the control domain's HTTPS API at the guest's GUESTPORT (at ADDR, default
10.0.2.15) through a forwarded port of 127.0.0.1, as host-http does (hostnet.py), with the
certificates of the test run's keys (keys.test_keys()). The first time a serial line
matches REGEX the harness runs the check (lines in file order), and REGEX2 must match
(re.search) its output:

- host-ctl: `bulkhead ctl --host 127.0.0.1:PORT --keys KEYS ARGS` (ARGS split at white
  space; they may name `--user`, never `--host` or `--keys`); the output is what it
  wrote to stdout and stderr, in order, then a last line `@@ exit N` (its exit status);
- host-curl: one `curl --http1.1` with CERT's certificate and key (`none`: no client
  certificate; `admin`, `operator`, `reader`; `foreign`: another CA's; `expired`), the
  server checked against the keys' ca.crt, METHOD (GET or POST) PATH, BODY (one word of
  JSON, e.g. {"image":2}) sent as application/json; the output is the answer's body
  and a line `@@ STATUS`, or the single line `@@ tls-refused` when the server refused
  the TLS handshake. A server certificate that does not verify, or another curl
  failure, fails the check.

load.py (`host-load`) and prom.py (`host-prometheus`) are the other management checks.
"""

import os
import re
import subprocess
import sys

from . import ctl
from .hostnet import guest
from .monitor import parse as parse_after
from .util import ROOT

CTL_TIMEOUT = ctl.TIMEOUT + 30  # seconds for one host-ctl run
CURL_TIMEOUT = 60  # seconds for one host-curl request
SHOWN = 300  # characters of a check's output in the test log
CERTS = ("none", "admin", "operator", "reader", "foreign", "expired")
METHODS = ("GET", "POST")
# curl's exit statuses when the TLS handshake failed: 35 (the peer's alert or a close),
# 56 (a receive failure), 60 (curl also gives it for the alert `certificate expired`).
_TLS_FAILED = (35, 56, 60)
# %{ssl_verify_result} for a handshake that ended before or after a verified server
# certificate; anything else means the server's certificate failed verification.
_SERVER_VERIFIED = ("0", "1")


def split_expect(arg, what, usage):
    """Splits `HEAD expect REGEX2 after REGEX` (at the first ` after `, then the first
    ` expect `). Returns (HEAD words, REGEX2, REGEX). Raises ValueError with @usage."""
    try:
        head_want, regex = parse_after(arg)
    except ValueError:
        raise ValueError("%s %r: expected %s" % (what, arg, usage))
    head, sep, want = (" " + head_want).partition(" expect ")
    if not sep or not want.strip() or not head.split():
        raise ValueError("%s %r: expected %s" % (what, arg, usage))
    return head.split(), want.strip(), regex


class MgmtPeer:
    """One management check: a host peer of hostnet.Peers (a TCP forward to the guest's
    port, run once a serial line matches @pattern, needing the run's keys)."""

    proto = "tcp"
    needs_keys = True

    def __init__(self, guest_at, pattern, want):
        self.guest_addr, self.guest_port = guest_at
        self.pattern = pattern
        self.want = want  # the compiled REGEX2 (expect.Pattern), or None
        self.host_port = None

    def judge(self, output, summary):
        """Returns (None or the reason, summary) for @output against REGEX2."""
        if self.want is not None and not self.want.regex.search(output):
            return "the output %r does not match %r" % (output[-600:], self.want.text), ""
        return None, summary


class CtlPeer(MgmtPeer):
    """`host-ctl`: runs `bulkhead ctl` ARGS against the guest."""

    def __init__(self, guest_at, argv, pattern, want):
        super().__init__(guest_at, pattern, want)
        self.argv = argv

    def __repr__(self):
        return "host-ctl %d %s" % (self.guest_port, " ".join(self.argv))

    def check(self, _long_run, keys):
        """Runs the command against 127.0.0.1:host_port. Returns (None or reason, summary)."""
        output, status = run_ctl(self.host_port, keys.dir, self.argv)
        return self.judge(output, "exit %d: %r" % (status, output[:SHOWN]))


def parse_ctl(arg):
    """Splits `[ADDR:]GUESTPORT ARGS... expect REGEX2 after REGEX`. Returns ((addr, port),
    [ARGS], REGEX2 text, REGEX text). Raises ValueError saying what is wrong."""
    words, want, regex = split_expect(arg, "host-ctl", "[ADDR:]GUESTPORT ARGS... expect "
                                      "REGEX2 after REGEX")
    if len(words) < 2:
        raise ValueError("host-ctl %r: no ctl command after the port" % arg)
    taken = [w for w in words[1:] if w.split("=")[0] in ("--host", "--keys")]
    if taken:
        raise ValueError("host-ctl: %s is the harness's to give" % taken[0].split("=")[0])
    return guest(words[0], "host-ctl"), words[1:], want, regex


def run_ctl(port, keys_dir, argv):
    """Runs `bulkhead ctl --host 127.0.0.1:@port --keys @keys_dir @argv`. Returns (its
    stdout and stderr as written, then `@@ exit N`; the exit status N)."""
    command = [sys.executable, "-m", "bulkhead", "ctl", "--host", "127.0.0.1:%d" % port,
               "--keys", keys_dir] + list(argv)
    env = dict(os.environ, PYTHONPATH=os.path.join(ROOT, "tools"), PYTHONSAFEPATH="1",
               PYTHONDONTWRITEBYTECODE="1")
    try:
        proc = subprocess.run(command, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, env=env, timeout=CTL_TIMEOUT,
                              check=False)
    except subprocess.TimeoutExpired:
        return "(no end within %d s)\n@@ exit -1\n" % CTL_TIMEOUT, -1
    text = proc.stdout.decode("utf-8", "replace")
    if text and not text.endswith("\n"):
        text += "\n"
    return text + "@@ exit %d\n" % proc.returncode, proc.returncode


class CurlPeer(MgmtPeer):
    """`host-curl`: one curl request with a named client certificate."""

    def __init__(self, guest_at, request, pattern, want):
        super().__init__(guest_at, pattern, want)
        self.cert, self.method, self.path, self.body = request

    def __repr__(self):
        return "host-curl %d %s %s %s%s" % (self.guest_port, self.cert, self.method, self.path,
                                            " " + self.body if self.body else "")

    def check(self, _long_run, keys):
        """Runs curl against 127.0.0.1:host_port. Returns (None or the reason, summary)."""
        reason, output, summary = run_curl(self.host_port, keys, self.cert, self.method,
                                           self.path, self.body)
        if reason:
            return reason, ""
        return self.judge(output, summary)


def parse_curl(arg):
    """Splits `[ADDR:]GUESTPORT CERT METHOD PATH [BODY] expect REGEX2 after REGEX`. Returns
    ((addr, port), (CERT, METHOD, PATH, BODY or None), REGEX2 text, REGEX text).
    Raises ValueError saying what is wrong."""
    usage = "[ADDR:]GUESTPORT CERT METHOD PATH [BODY] expect REGEX2 after REGEX"
    words, want, regex = split_expect(arg, "host-curl", usage)
    if len(words) not in (4, 5):
        raise ValueError("host-curl %r: expected %s" % (arg, usage))
    if words[1] not in CERTS:
        raise ValueError("host-curl: certificate %r is not one of %s" % (words[1],
                                                                         ", ".join(CERTS)))
    if words[2] not in METHODS or not words[3].startswith("/"):
        raise ValueError("host-curl: expected METHOD (%s) and a /PATH, not %r %r" % (
            "|".join(METHODS), words[2], words[3]))
    body = words[4] if len(words) == 5 else None
    return guest(words[0], "host-curl"), (words[1], words[2], words[3], body), want, regex


def curl_argv(port, keys, cert, method, path, body=None):
    """The curl command of one host-curl request to 127.0.0.1:@port with client certificate
    @cert of KeySet @keys (`none`: none)."""
    argv = ["curl", "-sS", "--http1.1", "--max-time", str(CURL_TIMEOUT), "--cacert", keys.ca,
            "-X", method, "-w", "\n@@ %{http_code} %{ssl_verify_result}\n"]
    client = keys.client(cert)
    if client:
        argv += ["--cert", client[0], "--key", client[1]]
    if body is not None:
        argv += ["-H", "Content-Type: application/json", "--data-binary", body]
    return argv + ["https://127.0.0.1:%d%s" % (port, path)]


def run_curl(port, keys, cert, method, path, body=None):
    """Runs one host-curl request. Returns (None or the reason the check failed, the output:
    body and `@@ STATUS`, or `@@ tls-refused`, a summary)."""
    try:
        proc = subprocess.run(curl_argv(port, keys, cert, method, path, body),
                              capture_output=True, text=True, timeout=CURL_TIMEOUT + 10,
                              check=False)
    except (OSError, subprocess.TimeoutExpired) as err:
        return "curl did not run: %s" % err, "", ""
    match = re.search(r"\n@@ (\d{3}) (\d+)\n\Z", proc.stdout)
    error = proc.stderr.strip()[:300]
    if match and match.group(1) == "000" and proc.returncode in _TLS_FAILED:
        if match.group(2) not in _SERVER_VERIFIED:
            return "curl: the server's certificate does not verify against %s: %s" % (
                keys.ca, error), "", ""
        return None, "@@ tls-refused\n", "TLS refused: %s" % error
    if proc.returncode != 0 or not match:
        return "curl failed (status %d): %s" % (proc.returncode, error), "", ""
    output = proc.stdout[:match.start()] + "\n@@ %s\n" % match.group(1)
    return None, output, "status %s: %r" % (match.group(1), output[:SHOWN])
