"""Host peers of system tests: echo checks from the host through QEMU's user network.

An expect file's

    host-udp-echo GUESTPORT COUNT after REGEX
    host-tcp-echo GUESTPORT BYTES after REGEX

makes the harness forward a free port of 127.0.0.1 to the guest's GUESTPORT (UDP or TCP):
it adds `hostfwd` to the test's `-netdev user` itself, so qemu-args' allow-list still
offers no way to the host. The first time a serial line matches REGEX, the harness runs the
check at once, and the test fails if it fails:

- udp: COUNT datagrams of varied length (1 to 1472 bytes, each with its number), one at a
  time, each echoed back byte for byte (a lost one is sent again, at most RETRIES times);
- tcp: one connection; BYTES pseudo-random bytes sent while the echo is read, then our half
  closed; the echo must end there, and its SHA-256 must be the one of what was sent.
"""

import hashlib
import random
import select
import socket
import struct
import time

from .monitor import parse as parse_after

UDP_MAX = 1472
RETRIES = 5
REPLY_TIMEOUT = 2.0  # seconds for one datagram's echo
TCP_TIMEOUT = 120.0  # seconds for the whole transfer
CHUNK = 65536


class HostPeer:
    """One `host-udp-echo` or `host-tcp-echo` line."""

    def __init__(self, proto, guest_port, amount, pattern):
        self.proto = proto
        self.guest_port = guest_port
        self.amount = amount
        self.pattern = pattern
        self.host_port = None

    def __repr__(self):
        return "host-%s-echo %d %d" % (self.proto, self.guest_port, self.amount)


def parse(proto, arg):
    """Splits `GUESTPORT AMOUNT after REGEX`. Returns (guest_port, amount, regex text).
    Raises ValueError saying what is wrong."""
    what, regex = parse_after(arg)
    words = what.split()
    if len(words) != 2 or not all(w.isdigit() for w in words):
        raise ValueError("host-%s-echo %r: expected GUESTPORT AMOUNT after REGEX" % (proto, arg))
    port, amount = int(words[0]), int(words[1])
    if not 0 < port < 65536 or amount <= 0:
        raise ValueError("host-%s-echo: port 1..65535 and an amount above 0" % proto)
    return port, amount, regex


def free_port(proto):
    """Returns a port of 127.0.0.1 that is free now (the kernel picks it)."""
    kind = socket.SOCK_DGRAM if proto == "udp" else socket.SOCK_STREAM
    with socket.socket(socket.AF_INET, kind) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Peers:
    """The host peers of one boot. Use qemu_args() for QEMU's argv, feed() on every line."""

    def __init__(self, peers):
        self.pending = list(peers)
        for peer in self.pending:
            peer.host_port = free_port(peer.proto)

    def qemu_args(self, args):
        """Returns @args with a hostfwd per peer added to its `-netdev user` value.
        Raises ValueError if a peer has no user network to forward through."""
        if not self.pending:
            return list(args)
        args = list(args)
        where = [i + 1 for i, word in enumerate(args[:-1]) if word == "-netdev"]
        if not where or not args[where[0]].startswith("user,"):
            raise ValueError("host-*-echo needs qemu-args -netdev user,id=...")
        for peer in self.pending:
            args[where[0]] += ",hostfwd=%s:127.0.0.1:%d-:%d" % (peer.proto, peer.host_port,
                                                                peer.guest_port)
        return args

    def feed(self, line, log):
        """Runs the peers serial @line triggers. Returns the first failure's reason, or None."""
        due = [p for p in self.pending if p.pattern.regex.search(line)]
        for peer in due:
            self.pending.remove(peer)
            started = time.monotonic()
            check = udp_echo if peer.proto == "udp" else tcp_echo
            try:
                reason, what = check(peer.host_port, peer.amount)
            except OSError as err:
                reason, what = "%s" % err, ""
            log.write("# %r via 127.0.0.1:%d: %s (%.1f s)\n" % (
                peer, peer.host_port, reason or what, time.monotonic() - started))
            if reason:
                return "%r: %s" % (peer, reason)
        return None


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
