"""Host peers of system tests: echo and HTTP checks from the host through QEMU's user network.

An expect file's

    host-udp-echo [ADDR:]GUESTPORT COUNT after REGEX
    host-tcp-echo [ADDR:]GUESTPORT BYTES [long BYTES] after REGEX
    host-http [ADDR:]GUESTPORT PATH... [stall N] [tls CERT] expect REGEX2 after REGEX

makes the harness forward a free port of 127.0.0.1 to the guest's GUESTPORT (UDP or TCP) at
ADDR (default: QEMU's first guest address, 10.0.2.15): it adds `hostfwd` to the test's
`-netdev user` itself, so qemu-args' allow-list still offers no way to the host. The first
time a serial line matches REGEX, the harness runs the check at once, and the test fails if
it fails:

- udp: COUNT datagrams of varied length (1 to 1472 bytes, each with its number), one at a
  time, each echoed back byte for byte (a lost one is sent again, at most RETRIES times);
- tcp: one connection; BYTES pseudo-random bytes (the `long` amount under `bulkhead test
  --long`) sent while the echo is read, then our half closed; the echo must end there, and
  its SHA-256 must be the one of what was sent;
- http: one `curl` fetches every PATH in turn, which reuses one connection: curl must succeed,
  the first fetch connect and the others not (a persistent connection), and REGEX2 must match
  (re.search) curl's output: each answer's body followed by a line `@@ STATUS CONNECTS`.
  With `stall N`, N other connections are opened first, each sends the start of a request
  and then nothing, and they stay open while curl runs: stalled clients must not keep the
  server from answering. With `tls CERT`, curl speaks HTTPS, trusts the test run's CA
  (keys.test_keys(): build/test-keys/ca.crt) and presents client certificate CERT (admin,
  operator, reader, foreign: another CA's, expired; none: no certificate); a handshake that
  fails (curl's exit status 35 or 56) is then not a failure of the check: curl's output is
  the line `@@ tls-refused`, for REGEX2 to match (the connection count is not checked).

The management API's checks, host-ctl and host-curl (mgmt.py), host-load (load.py) and
host-prometheus (prom.py), are peers of the same kind: Peers forwards their ports and runs
them, with the test run's keys. A check runs in a thread while the serial output is read
into a buffer (Peers' drain), so that a long check never leaves QEMU waiting on a full pipe;
the harness matches those lines once the check has ended.
"""

import hashlib
import random
import re
import select
import socket
import struct
import subprocess
import threading
import time

from . import keys
from .monitor import parse as parse_after

UDP_MAX = 1472
RETRIES = 5
REPLY_TIMEOUT = 2.0  # seconds for one datagram's echo
TCP_TIMEOUT = 120.0  # seconds for the whole transfer
CHUNK = 65536


HTTP_TIMEOUT = 60  # seconds for one host-http curl
TLS_REFUSED = (35, 56)  # curl: SSL connect error, failure receiving data (a reset handshake)
DRAIN_INTERVAL = 0.2  # seconds between two reads of the serial while a check runs


class HostPeer:
    """One `host-udp-echo`, `host-tcp-echo` or `host-http` line. @amount: datagrams or bytes,
    (normal, long); @paths and @want: host-http's paths and its regex (compiled)."""

    needs_keys = False  # the management checks (mgmt.py, load.py, prom.py) need the run's keys

    def __init__(self, proto, guest, amount, pattern, paths=None, want=None, stall=0,
                 tls=None):
        self.proto = proto
        self.guest_addr, self.guest_port = guest
        self.amount = amount
        self.pattern = pattern
        self.paths = paths
        self.want = want
        self.stall = stall
        self.tls = tls  # host-http's client certificate name (`tls CERT`), else None
        self.host_port = None

    def __repr__(self):
        if self.paths:
            tls = " tls %s" % self.tls if self.tls else ""
            return "host-http %s %s%s" % (self.guest_port, " ".join(self.paths), tls)
        long_text = " long %d" % self.amount[1] if self.amount[1] != self.amount[0] else ""
        return "host-%s-echo %d %d%s" % (self.proto, self.guest_port, self.amount[0], long_text)

    def check(self, long_run, _keys=None):
        """Runs the check against 127.0.0.1:host_port. Returns (None or the reason, summary)."""
        if self.paths:
            return http_get(self.host_port, self.paths, self.want, self.stall, self.tls)
        amount = self.amount[1] if long_run else self.amount[0]
        return (udp_echo if self.proto == "udp" else tcp_echo)(self.host_port, amount)


def guest(word, what):
    """`[ADDR:]PORT` -> (ADDR or "", PORT). Raises ValueError."""
    addr, _, port = word.rpartition(":")
    if not port.isdigit() or not 0 < int(port) < 65536 or \
            (addr and not re.fullmatch(r"\d{1,3}(\.\d{1,3}){3}", addr)):
        raise ValueError("%s: %r is not [ADDR:]PORT with a port 1..65535" % (what, word))
    return addr, int(port)


def parse(proto, arg):
    """Splits `[ADDR:]GUESTPORT AMOUNT [long AMOUNT] after REGEX`. Returns ((addr, port),
    (amount, long amount), regex text). Raises ValueError saying what is wrong."""
    what, regex = parse_after(arg)
    words = what.split()
    usage = "host-%s-echo %r: expected [ADDR:]GUESTPORT AMOUNT [long AMOUNT] after REGEX" % (
        proto, arg)
    if len(words) not in (2, 4) or (len(words) == 4 and (proto != "tcp" or words[2] != "long")):
        raise ValueError(usage)
    amounts = words[1::2]
    if not all(w.isdigit() and int(w) > 0 for w in amounts):
        raise ValueError("host-%s-echo: amounts above 0" % proto)
    amount = (int(amounts[0]), int(amounts[-1]))
    return guest(words[0], "host-%s-echo" % proto), amount, regex


def _http_options(words):
    """Takes `stall N` and `tls CERT` (in any order) off the end of @words. Returns
    (words left, stall, tls). Raises ValueError for an unknown certificate name."""
    stall, tls = 0, None
    while len(words) > 2 and words[-2] in ("stall", "tls"):
        if words[-2] == "stall" and words[-1].isdigit():
            stall = int(words[-1])
        elif words[-2] == "tls":
            keys.KeySet("").client(words[-1])  # raises ValueError for an unknown name
            tls = words[-1]
        else:
            break
        words = words[:-2]
    return words, stall, tls


def parse_http(arg):
    """Splits `[ADDR:]GUESTPORT PATH... [stall N] [tls CERT] expect REGEX2 after REGEX`.
    Returns ((addr, port), [paths], stalled connections, REGEX2 text, REGEX text, CERT or None).
    Raises ValueError saying what is wrong."""
    what, regex = parse_after(arg)
    head, sep, want = what.partition(" expect ")
    words, stall, tls = _http_options(head.split())
    if not sep or not want.strip() or len(words) < 2 or \
            not all(w.startswith("/") for w in words[1:]):
        raise ValueError("host-http %r: expected [ADDR:]GUESTPORT /PATH... [stall N] [tls CERT] "
                         "expect REGEX after REGEX" % arg)
    return guest(words[0], "host-http"), words[1:], stall, want.strip(), regex, tls


def free_port(proto):
    """Returns a port of 127.0.0.1 that is free now (the kernel picks it)."""
    kind = socket.SOCK_DGRAM if proto == "udp" else socket.SOCK_STREAM
    with socket.socket(socket.AF_INET, kind) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Peers:
    """The host peers of one boot. Use qemu_args() for QEMU's argv, feed() on every line.

    @keys: the test run's keys.KeySet, for the peers that need_keys (the management
    checks). @drain: called every DRAIN_INTERVAL seconds while a check runs (the machine's
    drain(), which reads QEMU's serial output into a buffer so that QEMU never waits on a
    full pipe while the harness does not read), or None.
    """

    def __init__(self, peers, long_run=False, keys=None, drain=None):
        self.pending = list(peers)
        self.long_run = long_run  # `bulkhead test --long`: the long amounts
        self.keys = keys
        self.drain = drain
        ports = {}  # one forward per guest port, whatever the number of checks on it
        for peer in self.pending:
            key = (peer.proto, peer.guest_addr, peer.guest_port)
            while key not in ports:
                port = free_port(peer.proto)
                if port not in ports.values():  # the kernel may hand out a port twice
                    ports[key] = port
            peer.host_port = ports[key]

    def qemu_args(self, args):
        """Returns @args with a hostfwd per forwarded guest port added to its `-netdev user` value.
        Raises ValueError if a peer has no user network to forward through."""
        if not self.pending:
            return list(args)
        args = list(args)
        where = [i + 1 for i, word in enumerate(args[:-1]) if word == "-netdev"]
        if not where or not args[where[0]].startswith("user,"):
            raise ValueError("host-*-echo and host-http need qemu-args -netdev user,id=...")
        forwards = []
        for peer in self.pending:
            rule = ",hostfwd=%s:127.0.0.1:%d-%s:%d" % (
                peer.proto, peer.host_port, peer.guest_addr, peer.guest_port)
            if rule not in forwards:
                forwards.append(rule)
        args[where[0]] += "".join(forwards)
        return args

    def feed(self, line, log):
        """Runs the peers serial @line triggers (their long variants under --long).
        Returns the first failure's reason, or None."""
        due = [p for p in self.pending if p.pattern.regex.search(line)]
        for peer in due:
            self.pending.remove(peer)
            started = time.monotonic()
            reason, what = self._check(peer)
            log.write("# %r via 127.0.0.1:%d: %s (%.1f s)\n" % (
                peer, peer.host_port, reason or what, time.monotonic() - started))
            if reason:
                return "%r: %s" % (peer, reason)
        return None


    def _check(self, peer):
        """Runs @peer's check in a thread, draining the serial meanwhile. Returns (None or
        the reason, summary)."""
        result = []

        def work():
            try:
                result.append(peer.check(self.long_run, self.keys))
            except OSError as err:
                result.append(("%s" % err, ""))
            except Exception as err:  # noqa: BLE001 (a bug in a check fails its test)
                result.append(("%s: %s" % (type(err).__name__, err), ""))
        if peer.needs_keys and self.keys is None:
            return "no keys for the management API in this run", ""
        thread = threading.Thread(target=work, daemon=True)
        thread.start()
        try:
            while thread.is_alive():
                thread.join(DRAIN_INTERVAL)
                if self.drain:
                    self.drain()
        except BaseException:  # Ctrl-C or SIGTERM: end what the check started
            if hasattr(peer, "stop"):
                peer.stop()
            raise
        return result[0]


def needs_keys(peers):
    """Returns True if a peer of @peers checks the management API (needs the run's keys)."""
    return any(peer.needs_keys for peer in peers)


def _datagram(number, rng):
    """Datagram @number: its number, then pseudo-random bytes, 1 to UDP_MAX bytes in all."""
    length = 1 + (number * 97) % UDP_MAX
    head = struct.pack(">I", number)[:length]
    return head + bytes(rng.getrandbits(8) for _ in range(length - len(head)))


def udp_echo(port, count):
    """Sends @count datagrams to 127.0.0.1:@port one at a time; each must come back.
    Returns (None or the reason, a summary)."""
    rng = random.Random(port)
    resent = 0
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.connect(("127.0.0.1", port))
        s.settimeout(REPLY_TIMEOUT)
        for number in range(count):
            data = _datagram(number, rng)
            for attempt in range(RETRIES + 1):
                s.send(data)
                if _udp_answer(s, data):
                    break
                resent += 1
            else:
                return "datagram %d (%d bytes) never came back" % (number, len(data)), ""
    return None, "%d datagrams echoed, %d sent again" % (count, resent)


def _udp_answer(s, data):
    """Waits for the echo of @data on @s (older echoes are skipped). Returns True if it came."""
    deadline = time.monotonic() + REPLY_TIMEOUT
    while time.monotonic() < deadline:
        try:
            if s.recv(65536) == data:
                return True
        except socket.timeout:
            return False
        except ConnectionRefusedError:  # the forward is not up yet: an ICMP error
            time.sleep(0.2)
            return False
    return False


def tcp_echo(port, total):
    """Sends @total pseudo-random bytes over one connection to 127.0.0.1:@port while reading
    the echo; compares lengths and SHA-256. Returns (None or the reason, a summary)."""
    rng = random.Random(port)
    data = rng.randbytes(total) if hasattr(rng, "randbytes") else \
        bytes(rng.getrandbits(8) for _ in range(total))
    echo = hashlib.sha256()
    got = _tcp_transfer(port, data, echo)
    want = hashlib.sha256(data).hexdigest()
    if got != total or echo.hexdigest() != want:
        return "sent %d bytes (sha256 %s), echo %d bytes (sha256 %s)" % (
            total, want[:16], got, echo.hexdigest()[:16]), ""
    return None, "%d bytes echoed, sha256 %s" % (total, want[:16])


def _tcp_transfer(port, data, echo):
    """Sends @data and reads until the echo ends (or TCP_TIMEOUT), feeding @echo.
    Returns the bytes read."""
    sent = got = 0
    deadline = time.monotonic() + TCP_TIMEOUT
    with socket.create_connection(("127.0.0.1", port), timeout=REPLY_TIMEOUT * 5) as s:
        s.setblocking(False)
        while time.monotonic() < deadline:
            wants_write = sent < len(data)
            readable, writable, _ = select.select([s], [s] if wants_write else [], [], 1.0)
            if writable:
                sent += s.send(data[sent:sent + CHUNK])
                if sent == len(data):
                    s.shutdown(socket.SHUT_WR)
            if readable:
                chunk = s.recv(CHUNK)
                if not chunk:
                    return got
                echo.update(chunk)
                got += len(chunk)
    return got


def _http_answers(out):
    """The `@@ STATUS CONNECTS` lines of curl's output, as (status, connects) pairs."""
    return [(int(m.group(1)), int(m.group(2)))
            for m in re.finditer(r"^@@ (\d+) (\d+)$", out, re.M)]


def _stalled(port, count):
    """Opens @count connections to 127.0.0.1:@port, each with the start of a request only.
    Returns the sockets (the caller closes them)."""
    socks = []
    for _ in range(count):
        s = socket.create_connection(("127.0.0.1", port), timeout=REPLY_TIMEOUT * 5)
        s.sendall(b"GET / HTTP/1.1\r\nHost: stalled\r\n")
        socks.append(s)
    return socks


def http_get(port, paths, want, stall=0, tls=None):
    """Fetches every path of @paths from 127.0.0.1:@port with one curl (one connection
    reused), while @stall other connections stay open with half a request each; over HTTPS
    with client certificate @tls if given (see the module's docstring).
    Returns (None or the reason, a summary)."""
    socks = _stalled(port, stall)
    try:
        return _curl(port, paths, want, tls)
    finally:
        for s in socks:
            s.close()


def curl_tls_args(cert):
    """curl's options for HTTPS to the guest with the test run's CA and client certificate
    @cert (a keys.KeySet.client name; `none`: no certificate)."""
    ks = keys.test_keys()
    argv = ["--cacert", ks.ca]
    client = ks.client(cert)
    if client:
        argv += ["--cert", client[0], "--key", client[1]]
    return argv


def _curl(port, paths, want, tls=None):
    """http_get's curl run and its checks. Returns (None or the reason, a summary)."""
    scheme = "https" if tls else "http"
    urls = ["%s://127.0.0.1:%d%s" % (scheme, port, path) for path in paths]
    argv = ["curl", "-sS", "--http1.1", "--max-time", str(HTTP_TIMEOUT),
            "-w", "\n@@ %{http_code} %{num_connects}\n"]
    argv += curl_tls_args(tls) if tls else []
    try:
        proc = subprocess.run(argv + urls, capture_output=True, text=True,
                              timeout=HTTP_TIMEOUT + 10, check=False)
    except (OSError, subprocess.TimeoutExpired) as err:
        return "curl did not run: %s" % err, ""
    if tls and proc.returncode in TLS_REFUSED:
        out = "@@ tls-refused\n"
        if not want.regex.search(out):
            return "curl's TLS handshake failed (status %d): %s" % (
                proc.returncode, proc.stderr.strip()[:200]), ""
        return None, "TLS handshake refused as expected (curl status %d: %s)" % (
            proc.returncode, proc.stderr.strip()[:120])
    answers = _http_answers(proc.stdout)
    if proc.returncode != 0 or len(answers) != len(paths):
        return "curl failed (status %d): %s" % (proc.returncode, proc.stderr.strip()[:200]), ""
    if [c for _, c in answers] != [1] + [0] * (len(paths) - 1):
        return "the connection was not reused: connects %s" % [c for _, c in answers], ""
    if not want.regex.search(proc.stdout):
        return "curl's output %r does not match %r" % (proc.stdout[:400], want.text), ""
    return None, "%d answers (%s) on one connection" % (
        len(answers), " ".join(str(code) for code, _ in answers))
