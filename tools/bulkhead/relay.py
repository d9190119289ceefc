"""A lossy relay between two QEMUs' `-netdev dgram` ends: frames both ways, some dropped,
duplicated, held back, corrupted, delayed or slowed to a bandwidth.

Each QEMU sends every Ethernet frame as one UDP datagram from its local port to the relay's
socket for it, and takes frames on its local port. The relay forwards what side A sends to
side B and back. For each frame, in this order, a seeded PRNG per direction decides (so the
same seed makes the same choices for the same sequence of frames):

- loss: the frame is dropped;
- corrupt: one byte past the Ethernet header (14 bytes) is xored with a non-zero value; only
  IPv4 frames, whose checksums must catch it (ARP has none: a corrupted ARP answer would
  poison a cache, which no real link with a frame check sequence does);
- dup: the frame goes out twice;
- reorder: the frame is held back until 1 to 3 later frames of its direction passed it (or
  HOLD_MS passed without one).

Then every frame waits `delay` ms and, with `rate`, for its turn on a link of that many
kilobits per second. The counts per direction are kept in Counts and shown by report().
"""

import argparse
import random
import select
import socket
import threading
import time

ETH_HEADER = 14
ETHERTYPE_IPV4 = b"\x08\x00"
HOLD_MS = 20.0        # a held-back frame goes out at the latest this long after it came
REORDER_MAX = 3       # a held-back frame lets at most this many frames pass it
FRAME_MAX = 65536
SOCKET_BUFFER = 4 << 20  # bytes the host's kernel may hold for each relay socket
SHARES = ("loss", "dup", "reorder", "corrupt")


class Settings:
    """What the relay does: percentages of frames (0..100), the PRNG seed, a delay in ms and
    a bandwidth in kbit/s (0: none)."""

    def __init__(self, loss=0.0, dup=0.0, reorder=0.0, corrupt=0.0, seed=1, delay=0.0,
                 rate=0):
        self.loss, self.dup, self.reorder, self.corrupt = loss, dup, reorder, corrupt
        self.seed, self.delay, self.rate = seed, delay, rate

    def __repr__(self):
        return "relay loss=%g dup=%g reorder=%g corrupt=%g seed=%d delay=%g rate=%d" % (
            self.loss, self.dup, self.reorder, self.corrupt, self.seed, self.delay, self.rate)


def parse(text):
    """Parses `KEY=VALUE ...` (loss, dup, reorder, corrupt in percent; seed; delay in ms;
    rate in kbit/s); keys not given are 0 (seed 1). Returns Settings; raises ValueError."""
    settings = Settings()
    for word in text.split():
        key, _, value = word.partition("=")
        if key not in SHARES + ("seed", "delay", "rate") or not value:
            raise ValueError("relay: %r: expected KEY=VALUE with KEY one of %s, seed, delay,"
                             " rate" % (word, ", ".join(SHARES)))
        try:
            number = int(value) if key in ("seed", "rate") else float(value)
        except ValueError:
            raise ValueError("relay: %s=%r is not a number" % (key, value))
        if number < 0 or (key in SHARES and number > 100):
            raise ValueError("relay: %s=%s: expected %s" % (
                key, value, "0..100 (percent)" if key in SHARES else "a value >= 0"))
        setattr(settings, key, number)
    return settings


class Counts:
    """What the relay did to the frames of one direction."""

    FIELDS = ("frames", "bytes", "forwarded", "lost", "duplicated", "reordered", "corrupted")

    def __init__(self):
        for field in self.FIELDS:
            setattr(self, field, 0)

    def text(self):
        """Returns the counts as `frames=N bytes=N forwarded=N lost=N ...`."""
        return " ".join("%s=%d" % (field, getattr(self, field)) for field in self.FIELDS)


class Direction:
    """The decisions for the frames of one direction, and the frames they hold or delay.

    decide(frame, now) takes a frame that came at @now (seconds); due(now) returns the frames
    to send by then, in order. Nothing here touches a socket, so it can be tested alone.
    """

    def __init__(self, settings, stream):
        self.settings = settings
        self.rng = random.Random("%d/%s" % (settings.seed, stream))
        self.counts = Counts()
        self.held = []      # [frame, frames still to let pass, deadline]
        self.queue = []     # [(time to send, frame)], in order
        self.link_free = 0.0  # when the bandwidth limit lets the next frame start

    def _chance(self, percent):
        """Returns True with probability @percent / 100 (and draws a number either way)."""
        return self.rng.random() * 100.0 < percent

    def _corrupt(self, frame):
        """Returns @frame with one byte past the Ethernet header changed (IPv4 frames only)."""
        if len(frame) <= ETH_HEADER or frame[12:14] != ETHERTYPE_IPV4:
            return frame
        at = self.rng.randrange(ETH_HEADER, len(frame))
        changed = bytearray(frame)
        changed[at] ^= self.rng.randrange(1, 256)
        self.counts.corrupted += 1
        return bytes(changed)

    def decide(self, frame, now):
        """Takes one frame that arrived at @now: drops, changes, doubles or holds it back as
        the PRNG says, and queues what goes out."""
        self.counts.frames += 1
        self.counts.bytes += len(frame)
        lost, corrupt, dup, hold = (self._chance(self.settings.loss),
                                    self._chance(self.settings.corrupt),
                                    self._chance(self.settings.dup),
                                    self._chance(self.settings.reorder))
        passing = self.rng.randrange(1, REORDER_MAX + 1)
        if lost:
            self.counts.lost += 1
            return
        if corrupt:
            frame = self._corrupt(frame)
        copies = [frame, frame] if dup else [frame]
        self.counts.duplicated += 1 if dup else 0
        for copy in copies:
            self._pass_held(now)
            if hold:
                self.counts.reordered += 1
                self.held.append([copy, passing, now + HOLD_MS / 1000.0])
                hold = False
            else:
                self._queue(copy, now)

    def _pass_held(self, now):
        """One frame passes the held ones: those that let enough pass go out first."""
        for entry in list(self.held):
            entry[1] -= 1
            if entry[1] <= 0:
                self.held.remove(entry)
                self._queue(entry[0], now)

    def _queue(self, frame, now):
        """Queues @frame to go out after the delay and its turn on the link."""
        start = max(now + self.settings.delay / 1000.0, self.link_free)
        if self.settings.rate:
            self.link_free = start + len(frame) * 8.0 / (self.settings.rate * 1000.0)
            start = self.link_free
        self.queue.append((start, frame))
        self.counts.forwarded += 1

    def due(self, now):
        """Returns the frames to send by @now, in order (held ones past their deadline too)."""
        for entry in [e for e in self.held if e[2] <= now]:
            self.held.remove(entry)
            self._queue(entry[0], now)
        ready = [frame for when, frame in self.queue if when <= now]
        self.queue = [(when, frame) for when, frame in self.queue if when > now]
        return ready

    def next_time(self):
        """Returns when a frame is next due (queued or held), or None."""
        times = [when for when, _ in self.queue[:1]] + [e[2] for e in self.held]
        return min(times) if times else None


class Relay:
    """Forwards frames between two QEMUs on 127.0.0.1: side A sends to port_a, side B to
    port_b (both chosen by the kernel); frames go to the QEMUs' own local ports, given when
    they are known (connect()). start() runs it in a thread, stop() ends it."""

    def __init__(self, settings):
        self.settings = settings
        self.socks = [self._bind(), self._bind()]
        self.ports = [s.getsockname()[1] for s in self.socks]
        self.peers = [None, None]  # the QEMUs' local ports: A's, B's
        self.dirs = [Direction(settings, "a-b"), Direction(settings, "b-a")]
        self.errors = 0
        self._stop = threading.Event()
        self._thread = None

    @staticmethod
    def _bind():
        """Returns a non-blocking UDP socket on a port of 127.0.0.1 the kernel chose, its
        buffers large (up to the system's limit) so that a burst of frames is not lost in
        the host's kernel while the relay waits for its turn on a busy CPU."""
        sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, SOCKET_BUFFER)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, SOCKET_BUFFER)
        sock.bind(("127.0.0.1", 0))
        sock.setblocking(False)
        return sock

    def connect(self, qemu_a_port, qemu_b_port):
        """Sets the local ports of QEMU A and B, where their frames are sent."""
        self.peers = [qemu_a_port, qemu_b_port]

    def netdev(self, side, qemu_port, node):
        """Returns the `-netdev` value for QEMU @side (0: A, 1: B) whose local port is
        @qemu_port, as node @node."""
        return ("dgram,id=%s,local.type=inet,local.host=127.0.0.1,local.port=%d,"
                "remote.type=inet,remote.host=127.0.0.1,remote.port=%d"
                % (node, qemu_port, self.ports[side]))

    def _receive(self, side, now):
        """Takes every datagram waiting on @side's socket into the direction away from it."""
        while True:
            try:
                frame, _ = self.socks[side].recvfrom(FRAME_MAX)
            except BlockingIOError:
                return
            except OSError:
                self.errors += 1
                return
            self.dirs[side].decide(frame, now)

    def _send(self, now):
        """Sends what each direction has due: A's frames from B's socket to B, and back."""
        for side in (0, 1):
            for frame in self.dirs[side].due(now):
                try:
                    self.socks[1 - side].sendto(frame, ("127.0.0.1", self.peers[1 - side]))
                except OSError:
                    self.errors += 1  # QEMU not there yet, or gone: the frame is lost

    def _timeout(self, now):
        """Returns how long to wait for datagrams before something is due (at most 0.1 s)."""
        times = [t for t in (d.next_time() for d in self.dirs) if t is not None]
        return max(0.0, min([now + 0.1] + times) - now)

    def run(self):
        """Relays until stop() is called."""
        while not self._stop.is_set():
            ready, _, _ = select.select(self.socks, [], [], self._timeout(time.monotonic()))
            now = time.monotonic()
            for side in (0, 1):
                if self.socks[side] in ready:
                    self._receive(side, now)
            self._send(now)

    def start(self):
        """Runs the relay in a daemon thread."""
        self._thread = threading.Thread(target=self.run, name="relay", daemon=True)
        self._thread.start()

    def stop(self):
        """Ends the relay's thread and closes its sockets. Returns report()."""
        self._stop.set()
        if self._thread:
            self._thread.join()
        for sock in self.socks:
            sock.close()
        return self.report()

    def report(self):
        """Returns the counts, one line per direction (and socket errors, if any)."""
        lines = ["relay a->b: " + self.dirs[0].counts.text(),
                 "relay b->a: " + self.dirs[1].counts.text()]
        return lines + (["relay: %d send or receive errors" % self.errors] if self.errors
                        else [])


def main(argv=None):
    """`python3 -m bulkhead.relay --a PORT --b PORT [KEY=VALUE...]`: relays between the
    QEMUs whose dgram local ports are PORT until Ctrl-C, then prints the counts."""
    parser = argparse.ArgumentParser(prog="relay", description=__doc__.splitlines()[0])
    parser.add_argument("--a", type=int, required=True, help="QEMU A's local port")
    parser.add_argument("--b", type=int, required=True, help="QEMU B's local port")
    parser.add_argument("settings", nargs="*", help="loss= dup= reorder= corrupt= seed= "
                        "delay= rate=")
    args = parser.parse_args(argv)
    relay = Relay(parse(" ".join(args.settings)))
    relay.connect(args.a, args.b)
    print("relay: QEMU A sends to 127.0.0.1:%d, QEMU B to 127.0.0.1:%d; %r"
          % (relay.ports[0], relay.ports[1], relay.settings), flush=True)
    try:
        relay.run()
    except KeyboardInterrupt:
        pass
    print("\n".join(relay.stop()))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
