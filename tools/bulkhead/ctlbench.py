"""The management rows of `bulkhead bench` (--only control): the control domain's cost of its API.

tests/bench/control.xml (the appliance of manifests/control.xml, counter with a 16 MiB heap)
boots under the bench's QEMU flags with a fresh zero disk (the save volume) at 00:04.0 and
the NIC at 00:05.0, both behind the IOMMU, its guest port 443 forwarded to a free port of
127.0.0.1, and its `keys` module from a keys directory made for the bench (build/bench/keys).
Once the control domain serves and counter counts, a client thread talks HTTPS to it, as
`bulkhead ctl` does, while the main thread reads the serial (so QEMU never waits on it):

- the control domain's cycles come from its own counter, `bulkhead_control_cycles_total` of
  GET /metrics; a figure is the counter's difference around the requests less the cost of
  the /metrics read itself (two reads back to back: the first one's end, the second one's
  start);
- ctl_get: per GET /domains on an established connection, (m2 - m1 - metrics) / GETS, the
  median over BATCHES batches;
- ctl_connect: a new TLS connection (full handshake, client certificate) and its first
  GET /domains, less one GET (ctl_get) and the metrics read, the median over CONNECTS;
- ctl_save_16m, ctl_restore_16m: the cycles (TSC delta, virtual time) of counter's save and
  restore, from the control domain's `saved` and `restored` lines.
"""

import os
import re
import threading
import time

from . import ctl
from . import disk
from . import hostnet
from . import keys
from . import qemu
from .util import BUILD, ROOT, rel, say

CONTROL_MANIFEST = os.path.join(ROOT, "tests", "bench", "control.xml")
KEYS_DIR = os.path.join(BUILD, "bench", "keys")
TIMEOUT = 900.0  # seconds for one boot, every measurement included
REQUEST_TIMEOUT = 300.0  # seconds for one answer (a save runs to its end inside the request)
GUEST = ("10.0.2.15", 443)
DISK_BYTES = 64 << 20  # the save volume (sectors 2048 .. 100351 of control.xml) and some
NIC = ["-device", "virtio-net-pci,netdev=n0,addr=05.0,disable-legacy=on,iommu_platform=on,"
       "mac=52:54:00:12:34:56"]
TARGET = "counter"  # the domain saved and restored
WARMUP = 5  # untimed requests of each kind before the first measurement
METRICS_PAIRS = 10  # back-to-back /metrics reads that give the cost of one
GETS = 200  # GET /domains per batch
BATCHES = 7
CONNECTS = 10
COUNTS_BEFORE = 20  # counter's count before the client starts (its heap is being rewritten)
NAMES = ("ctl_get", "ctl_connect", "ctl_save_16m", "ctl_restore_16m")

_READY = re.compile(r"^control: control: https on ")
_COUNT = re.compile(r"^counter: counter: count (\d+) ")
_DONE = re.compile(r"^control: control: (saved|restored) (\S+): (\d+) bytes in (\d+) spans, "
                   r"sha256 ([0-9a-f]{64}), (\d+) cycles \((\d+) ms\)\s*$")
_CYCLES = re.compile(r"^bulkhead_control_cycles_total (\d+)\s*$", re.M)


class BenchError(Exception):
    """The client could not take a figure; the message says why."""


def control_cycles(text):
    """Returns bulkhead_control_cycles_total of the Prometheus text @text.
    Raises BenchError if it is not there."""
    match = _CYCLES.search(text)
    if not match:
        raise BenchError("GET /metrics has no bulkhead_control_cycles_total")
    return int(match.group(1))


def median(values):
    """Returns the median of @values (the lower middle one of an even count), or None."""
    ordered = sorted(values)
    return ordered[(len(ordered) - 1) // 2] if ordered else None


def per_get(m1, m2, metrics, gets):
    """Returns the cycles of one GET out of a batch of @gets between counter readings @m1 and
    @m2, less @metrics (one /metrics read), rounded down."""
    return (m2 - m1 - metrics) // gets


def per_connect(m1, m2, metrics, get):
    """Returns the cycles of a new connection and its first GET between readings @m1 and
    @m2, less @metrics (one /metrics read) and @get (one GET on an open connection)."""
    return m2 - m1 - metrics - get


def parse_done(line):
    """Returns the control domain's `saved` / `restored` line @line as {"op", "name", "bytes",
    "spans", "sha256", "cycles", "ms"}, or None if it is not one."""
    match = _DONE.search(line)
    if not match:
        return None
    op, name, size, spans, sha, cycles, ms = match.groups()
    return {"op": op, "name": name, "bytes": int(size), "spans": int(spans), "sha256": sha,
            "cycles": int(cycles), "ms": int(ms)}


def _gets(log, metrics):
    """Returns the cycles per GET of each batch of @log, less @metrics per batch."""
    return [per_get(a, b, metrics, log.get("per_batch", GETS)) for a, b in log["gets"]]


def figures(log):
    """Returns {name: value} of what a run measured: @log is the Client's `metrics`, `gets`
    and `connects` lists (and `per_batch`, the GETs of a batch) and the {op: parse_done} of
    the serial's save lines (`done`). A figure that could not be taken is left out."""
    values = {}
    metrics = median(log.get("metrics", []))
    if metrics is not None and log.get("gets"):
        values["ctl_get"] = median(_gets(log, metrics))
        if log.get("connects"):
            values["ctl_connect"] = median([per_connect(a, b, metrics, values["ctl_get"])
                                            for a, b in log["connects"]])
    for op, key in (("saved", "ctl_save_16m"), ("restored", "ctl_restore_16m")):
        if op in log.get("done", {}):
            values[key] = log["done"][op]["cycles"]
    return values


def spread(log):
    """Returns one line on how the samples of @log (as for figures) spread: each figure's
    least and greatest sample; the save's and restore's size and time, the control domain's
    own cycles for each request (`ops`: the counter's readings around it, less a /metrics
    read) and whether the hashes agree."""
    metrics = median(log.get("metrics", []))
    parts = []
    if log.get("metrics"):
        parts.append("metrics read %d..%d" % (min(log["metrics"]), max(log["metrics"])))
    if metrics is not None and log.get("gets"):
        gets = _gets(log, metrics)
        parts.append("ctl_get %d..%d" % (min(gets), max(gets)))
        get = median(gets)
        conns = [per_connect(a, b, metrics, get) for a, b in log.get("connects", [])]
        if conns:
            parts.append("ctl_connect %d..%d" % (min(conns), max(conns)))
    done = log.get("done", {})
    for op, request in (("saved", "save"), ("restored", "restore")):
        if op in done:
            parts.append("%s %.1f MiB in %d spans, %d ms" % (
                op, done[op]["bytes"] / (1 << 20), done[op]["spans"], done[op]["ms"]))
        if metrics is not None and request in log.get("ops", {}):
            first, second = log["ops"][request]
            parts.append("%s request: control domain's own cycles %d" % (
                request, second - first - metrics))
    if "saved" in done and "restored" in done:
        same = done["saved"]["sha256"] == done["restored"]["sha256"]
        parts.append("sha256 %s" % ("equal" if same else "DIFFERENT"))
    return "; ".join(parts)


class Client:
    """The host side of one run: HTTPS to 127.0.0.1:@port with the keys of @keys_dir. run()
    fills @log (metrics, gets, connects, ops: the counter around the save and the restore)
    or @error."""

    def __init__(self, port, keys_dir, gets=GETS, batches=BATCHES, connects=CONNECTS):
        self.port = port
        self.keys_dir = keys_dir
        self.gets, self.batches, self.connects = gets, batches, connects
        self.settle = 0.2  # seconds after closing a new connection: its close is handled
        self.log = {"metrics": [], "gets": [], "connects": [], "per_batch": gets, "ops": {}}
        self.error = None

    def _connect(self, user):
        context = ctl.tls_context(self.keys_dir, user)
        conn = ctl.Connection("127.0.0.1", self.port, context, timeout=REQUEST_TIMEOUT)
        conn.connect()
        return conn

    def _request(self, conn, method, path, body=None):
        """Sends one request and returns its body as text. Raises BenchError unless 200."""
        headers = {"Content-Type": "application/json"} if body is not None else {}
        conn.request(method, path, body=body, headers=headers)
        answer = conn.getresponse()
        text = answer.read().decode("utf-8", "replace")
        if answer.status != 200:
            raise BenchError("%s %s: %d %s" % (method, path, answer.status, text[:200]))
        return text

    def _cycles(self, conn):
        return control_cycles(self._request(conn, "GET", "/metrics"))

    def _measure_reads(self, conn):
        for _ in range(WARMUP):
            self._request(conn, "GET", "/domains")
            self._cycles(conn)
        for _ in range(METRICS_PAIRS):
            first = self._cycles(conn)
            self.log["metrics"].append(self._cycles(conn) - first)
        for _ in range(self.batches):
            first = self._cycles(conn)
            for _ in range(self.gets):
                self._request(conn, "GET", "/domains")
            self.log["gets"].append((first, self._cycles(conn)))

    def _measure_connects(self, conn):
        for _ in range(self.connects):
            first = self._cycles(conn)
            other = self._connect("reader")
            self._request(other, "GET", "/domains")
            self.log["connects"].append((first, self._cycles(conn)))
            other.close()
            time.sleep(self.settle)

    def _save_restore(self):
        conn = self._connect("admin")
        try:
            for op in ("save", "restore"):
                first = self._cycles(conn)
                self._request(conn, "POST", "/domains/%s/%s" % (TARGET, op), "{}")
                self.log["ops"][op] = (first, self._cycles(conn))
        finally:
            conn.close()

    def run(self):
        """Takes every measurement in order; on a failure keeps what it had and sets @error."""
        try:
            conn = self._connect("reader")
            try:
                self._measure_reads(conn)
                self._measure_connects(conn)
            finally:
                conn.close()
            self._save_restore()
        except Exception as err:  # noqa: BLE001 (BenchError, OSError, ...: said, not raised)
            self.error = "%s: %s" % (type(err).__name__, err)


def command(image, disk_path, port):
    """Returns QEMU's argv: @image on the bench's machine with the save disk @disk_path (and
    the IOMMU its flags bring) and the NIC whose guest port 443 is host port @port."""
    forward = "hostfwd=tcp:127.0.0.1:%d-%s:%d" % (port, GUEST[0], GUEST[1])
    save_disk = disk.Disk(DISK_BYTES, "zero")
    return qemu.command(image, extra=qemu.BENCH_FLAGS + disk.qemu_flags(save_disk, disk_path) +
                        ["-netdev", "user,id=n0," + forward] + NIC)


class _Run:
    """One boot's state while its serial is read: the client thread and the save lines."""

    def __init__(self, port):
        self.client = Client(port, KEYS_DIR)
        self.thread = threading.Thread(target=self.client.run, daemon=True)
        self.ready = False
        self.done = {}

    def feed(self, line):
        """Starts the client once the control domain serves and counter has counted a while;
        records save and restore lines. Returns True when the run is over."""
        if _READY.search(line):
            self.ready = True
        count = _COUNT.search(line)
        if count and self.ready and int(count.group(1)) >= COUNTS_BEFORE and \
                not self.thread.is_alive() and self.thread.ident is None:
            self.thread.start()
        done = parse_done(line)
        if done and done["name"] == TARGET:
            self.done[done["op"]] = done
        return self.over()

    def over(self):
        """True once the client has finished and, unless it failed, both lines came."""
        if self.thread.ident is None or self.thread.is_alive():
            return False
        return self.client.error is not None or len(self.done) == 2


def _boot(argv, log_path, stderr_path, port):
    """Boots @argv and runs the client against it. Returns (the run's log for figures(), the
    client's error or None, how the boot ended)."""
    run = _Run(port)
    machine = qemu.Machine(argv, stderr_path)
    ended = None
    with open(log_path, "w", encoding="utf-8", buffering=1) as log, machine:
        log.write("# %s\n" % " ".join(argv))
        for line in machine.lines(machine.started + TIMEOUT):
            log.write(line + "\n")
            if run.feed(line):
                ended = "every measurement taken"
                break
        if ended is None and not machine.timed_out:
            while run.thread.is_alive() and not run.over():
                run.thread.join(1.0)  # QEMU closed its serial: the client fails soon
        if ended is None:
            ended = "timeout after %g s" % TIMEOUT if machine.timed_out else \
                qemu.describe_exit(machine.wait(5), machine.stderr_text())
    return dict(run.client.log, done=run.done), run.client.error, ended


def run_mode(outdir, mode, make_image):
    """Boots the control bench once with mitigations @mode (@make_image(manifest, mode,
    keys_dir=D) packs its ISO with the keys module of D). Returns ({name: value}, the spread
    line); its log in @outdir/control-MODE.log."""
    image = make_image(CONTROL_MANIFEST, mode, keys_dir=KEYS_DIR)
    disk_path = os.path.join(os.path.dirname(image), "disk.img")
    disk.create(disk.Disk(DISK_BYTES, "zero"), disk_path)
    port = hostnet.free_port("tcp")
    say("bench: booting %s under -icount with mitigations %s for the control rows (port %d)"
        % (rel(CONTROL_MANIFEST), mode, port))
    started = time.monotonic()
    log, error, ended = _boot(command(image, disk_path, port),
                              os.path.join(outdir, "control-%s.log" % mode),
                              os.path.join(os.path.dirname(image), "qemu-control.stderr"), port)
    say("bench: control (%s): %s in %.0f s" % (mode, ended, time.monotonic() - started))
    if error:
        say("bench: control (%s): the client stopped: %s" % (mode, error))
    return figures(log), spread(log)


def run(outdir, modes, make_image):
    """Makes the bench's keys (build/bench/keys, afresh) and boots the control bench once per
    mode in @modes. Returns ({mode: {name: value}}, {mode: spread line}); empty if there is
    no manifest."""
    if not os.path.exists(CONTROL_MANIFEST):
        say("bench: %s does not exist: no control rows" % rel(CONTROL_MANIFEST))
        return {}, {}
    keys.make(KEYS_DIR, force=True)
    results, spreads = {}, {}
    for mode in modes:
        results[mode], spreads[mode] = run_mode(outdir, mode, make_image)
    return results, spreads
