"""The network rows of `bulkhead bench`: UDP echo and TCP bulk transfers, Bulkhead beside Linux.

Both guests run the workloads of tests/bench/net_workload.h under -icount against one
peer on the host (Peer: a UDP echo, a TCP source and a TCP sink on 127.0.0.1, which
QEMU's user network shows the guest as 10.0.2.2), with the same QEMU flags (NET_FLAGS: a
VT-d IOMMU, a modern-only virtio-net function behind it, `-netdev user`):

- Bulkhead: tests/bench/bench_net.c on the virtio-net driver alone (tests/bench/net.xml)
  and through the virtual switch (tests/bench/net_sw.xml, figures under `sw:`), once per
  mitigation mode;
- Linux: Debian's kernel with tests/bench/linux/netbench.c as its initramfs program
  (linuxbench's set-up, virtio_net instead of virtio_blk), IOMMU on as Debian ships it.

Each program prints `netbench: BENCH NAME VALUE` (instructions less its counted wait loop)
and `netbench: BEGIN NAME` / `END NAME bytes=N`, which the host times for MB/s of wall time;
linuxbench.StorageLog reads both.
"""

import os
import re
import socket
import threading
import zlib

from . import linuxbench
from . import qemu
from .util import BUILD, MEMORY, ROOT, Failure, makedirs, rel, say

NET_MANIFEST = os.path.join(ROOT, "tests", "bench", "net.xml")
SWITCH_MANIFEST = os.path.join(ROOT, "tests", "bench", "net_sw.xml")
WORKLOAD_HEADER = os.path.join(ROOT, "tests", "bench", "net_workload.h")
NETBENCH = os.path.join(BUILD, "tests", "bench", "linux", "netbench")
DRIVERS = ("virtio_pci", "virtio_net")
PREFIX = "netbench"  # the Linux program's lead and the Bulkhead domain's name
SWITCH = "sw:"  # the key prefix of the figures through the switch
# The systems bench_net runs in: (name in logs and results, manifest, words for messages).
SYSTEMS = (("net", NET_MANIFEST, "driver alone"),
           ("net-sw", SWITCH_MANIFEST, "through the switch"))
TIMEOUT = 600.0  # seconds for one boot, every workload included
LINUX_ARGUMENTS = linuxbench.BASE_ARGUMENTS + " intel_iommu=on"

# net_workload.h's numbers (a unit test checks that they agree).
UDP_PORT, SOURCE_PORT, SINK_PORT = 47311, 47312, 47313
UDP_BYTES = 64
TCP_BYTES = 4 << 20
PERIOD = 4093
CHUNK = 65536

# Both guests' network: the IOMMU (48-bit addresses, as the system tests give Bulkhead's
# driver), then the function behind it (QEMU wants the IOMMU created first), on slirp.
NET_FLAGS = ["-device", "intel-iommu,intremap=on,aw-bits=48",
             "-netdev", "user,id=n0",
             "-device", "virtio-net-pci,netdev=n0,addr=05.0,disable-legacy=on,"
             "iommu_platform=on,mac=52:54:00:12:34:56"]


def pattern_byte(i):
    """Returns byte @i of the stream pattern (net_workload.h's nw_byte)."""
    return (((i % PERIOD) * 2654435761) & 0xFFFFFFFF) >> 24


_PATTERN = bytes(pattern_byte(j) for j in range(PERIOD + CHUNK))


def pattern(start, length):
    """Returns @length (<= CHUNK) bytes of the pattern from stream byte @start."""
    first = start % PERIOD
    return _PATTERN[first:first + length]


def _recv_exactly(conn, n):
    """Returns the next @n bytes of @conn, or fewer if the stream ended."""
    parts, got = [], 0
    while got < n:
        part = conn.recv(min(n - got, CHUNK))
        if not part:
            break
        parts.append(part)
        got += len(part)
    return b"".join(parts)


def serve_source(conn):
    """The TCP source: reads the 8-byte count N, sends N bytes of the pattern."""
    head = _recv_exactly(conn, 8)
    total = int.from_bytes(head, "little") if len(head) == 8 else 0
    for at in range(0, total, CHUNK):
        conn.sendall(pattern(at, min(CHUNK, total - at)))


def serve_sink(conn):
    """The TCP sink: reads the 8-byte count N and N bytes, answers their CRC-32 (4 bytes,
    little-endian). Returns the CRC."""
    head = _recv_exactly(conn, 8)
    left = int.from_bytes(head, "little") if len(head) == 8 else 0
    crc = 0
    while left > 0:
        part = conn.recv(min(left, CHUNK))
        if not part:
            break
        crc = zlib.crc32(part, crc)
        left -= len(part)
    conn.sendall(crc.to_bytes(4, "little"))
    return crc


class Peer:
    """The host's peer: a thread per service on 127.0.0.1, until the block ends.

    Raises Failure on entry if a port is taken (net_workload.h fixes them: slirp maps
    10.0.2.2:PORT to the host's 127.0.0.1:PORT, so the guest cannot be told another).
    """

    def __init__(self, host="127.0.0.1"):
        self.host = host
        self.stop = threading.Event()
        self.errors = []
        self._threads = []

    def __enter__(self):
        udp = self._bind(socket.SOCK_DGRAM, UDP_PORT)
        source = self._bind(socket.SOCK_STREAM, SOURCE_PORT)
        sink = self._bind(socket.SOCK_STREAM, SINK_PORT)
        for target, sock in ((self._echo, udp), (self._accept, (source, serve_source)),
                             (self._accept, (sink, serve_sink))):
            thread = threading.Thread(target=target, args=(sock,), daemon=True)
            thread.start()
            self._threads.append(thread)
        return self

    def __exit__(self, *exc):
        self.stop.set()
        for thread in self._threads:
            thread.join(5)

    def _bind(self, kind, port):
        sock = socket.socket(socket.AF_INET, kind)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((self.host, port))
        except OSError as err:
            sock.close()
            raise Failure("the network bench's peer cannot have %s:%d (%s)"
                          % (self.host, port, err.strerror))
        if kind == socket.SOCK_STREAM:
            sock.listen(4)
        sock.settimeout(0.2)
        return sock

    def _echo(self, sock):
        with sock:
            while not self.stop.is_set():
                try:
                    data, sender = sock.recvfrom(2048)
                    sock.sendto(data, sender)
                except socket.timeout:
                    continue

    def _accept(self, pair):
        listener, serve = pair
        with listener:
            while not self.stop.is_set():
                try:
                    conn, _ = listener.accept()
                except socket.timeout:
                    continue
                self._serve(conn, serve)

    def _serve(self, conn, serve):
        with conn:
            conn.settimeout(TIMEOUT)
            try:
                serve(conn)
            except OSError as err:
                self.errors.append("%s: %s" % (serve.__name__, err))


def _boot(argv, log_path, stderr_path, program):
    """Boots @argv until @program says DONE, with the peer up. Returns (StorageLog, how it
    ended)."""
    with Peer() as peer:
        log, ended = linuxbench.boot_storage(argv, log_path, stderr_path,
                                             linuxbench.StorageLog(PREFIX), TIMEOUT, program)
    log.problems += ["peer: " + e for e in peer.errors]
    return log, ended


def _run_system(outdir, modes, make_image, system):
    """Boots @system (an entry of SYSTEMS) once per mode in @modes. Returns {mode: {name:
    value}}, empty if its manifest does not exist; logs in @outdir/NAME-MODE.log."""
    name, manifest, what = system
    results = {}
    if not os.path.exists(manifest):
        say("bench: %s does not exist: no network rows %s" % (rel(manifest), what))
        return results
    for mode in modes:
        image = make_image(manifest, mode)
        say("bench: booting %s under -icount with mitigations %s for the network rows %s"
            % (rel(manifest), mode, what))
        log, ended = _boot(qemu.command(image, extra=qemu.BENCH_FLAGS + NET_FLAGS),
                           os.path.join(outdir, "%s-%s.log" % (name, mode)),
                           os.path.join(os.path.dirname(image), "qemu-net.stderr"), "bench_net")
        say("bench: %s (%s): %s" % (what, mode, ended))
        for problem in log.problems:
            say("bench: %s (%s): %s" % (what, mode, problem))
        results[mode] = log.values
    return results


def linux_command(kernel, initrd):
    """Returns QEMU's argv to boot Linux @kernel with @initrd on the bench's machine with
    the bench's network (NET_FLAGS)."""
    return ["qemu-system-x86_64", "-M", "q35", "-accel", "tcg", "-cpu", "max",
            "-m", MEMORY, "-nodefaults", "-no-reboot", "-display", "none",
            "-serial", "stdio"] + qemu.BENCH_FLAGS + \
        ["-kernel", kernel, "-initrd", initrd, "-append", LINUX_ARGUMENTS] + NET_FLAGS


def run_linux(outdir):
    """Boots Linux once, IOMMU on, with netbench. Returns {"values", "problems", "info",
    "ended"} as linuxbench.run does for one mode, or {"failure": why}."""
    workdir = makedirs(os.path.join(outdir, "linux-net"))
    try:
        kernel = linuxbench.prepare(workdir, NETBENCH, DRIVERS)
    except Failure as err:
        say("bench: no Linux network figures: %s" % err)
        return {"failure": str(err)}
    say("bench: booting Linux with the IOMMU on under -icount for the network rows")
    log, ended = _boot(linux_command(kernel, os.path.join(workdir, "initramfs.cpio")),
                       os.path.join(outdir, "linux-net.log"),
                       os.path.join(workdir, "qemu.stderr"), "netbench")
    say("bench: Linux (network): %s" % ended)
    for problem in log.problems:
        say("bench: Linux (network): %s" % problem)
    return {"values": log.values, "problems": log.problems, "info": log.info, "ended": ended}


def merge(driver, modes):
    """Returns {mode: {name: value}}: the figures of the driver alone (@driver["net"]) and,
    under SWITCH + name, through the switch (@driver["net-sw"])."""
    merged = {}
    for m in modes:
        values = dict(driver.get("net", {}).get(m, {}))
        values.update((SWITCH + k, v) for k, v in driver.get("net-sw", {}).get(m, {}).items())
        merged[m] = values
    return merged


def run(outdir, modes, make_image):
    """Boots both Bulkhead systems once per mitigation mode in @modes (@make_image(manifest,
    mode) packs an ISO), then Linux. Returns ({mode: {name: value}} (merge), Linux's result);
    logs in @outdir."""
    driver = {system[0]: _run_system(outdir, modes, make_image, system) for system in SYSTEMS}
    return merge(driver, modes), run_linux(outdir)


# ---- the table ----

class NetRow:
    """One network row. @kind: `rtt` (cycles per round trip, target half of Linux's),
    `byte` (instructions per 1000 bytes, target Linux's), `mean` (cycles, no target) or `mbs`
    (MB/s of wall time, a ratio only). @base: for a row through the switch, the driver-alone row's key."""

    def __init__(self, key, what, kind, base=None):
        self.key, self.what, self.kind, self.base = key, what, kind, base

    def limit(self, linux_value):
        """Returns the most this row's figure may be against Linux's, or None."""
        if linux_value is None or self.kind in ("mbs", "mean"):
            return None
        return linux_value / 2 if self.kind == "rtt" else linux_value

    def target_text(self):
        """Returns the target cell."""
        return {"rtt": "<= Linux/2", "byte": "<= Linux"}.get(self.kind, "-")

    def show(self, value):
        """Returns the cell of one figure (None: not reported)."""
        if value is None:
            return "missing"
        return "%.1f" % value if self.kind == "mbs" else str(value)


def _net_rows():
    """Returns the rows: each driver-alone row, then the same through the switch."""
    rows = []
    for key, what, kind in (
            ("net_udp64_rtt", "UDP echo round trip, 64-byte payload, cycles, median", "rtt"),
            ("net_udp64_rtt_mean", "UDP echo round trip: cycles, mean", "mean"),
            ("net_tcp_rx_byte_milli", "TCP bulk receive: instructions per 1000 bytes", "byte"),
            ("net_tcp_rx_mbs", "TCP bulk receive: MB/s wall", "mbs"),
            ("net_tcp_tx_byte_milli", "TCP bulk send: instructions per 1000 bytes", "byte"),
            ("net_tcp_tx_mbs", "TCP bulk send: MB/s wall", "mbs")):
        rows.append(NetRow(key, what + ", driver alone", kind))
        rows.append(NetRow(SWITCH + key, what + ", through the switch", kind, base=key))
    return rows


NET_ROWS = _net_rows()


def note(row, values, linux_value, headings):
    """Returns the parts of @row's note: which of its @values (one per mode, @headings) miss
    the target set by Linux's figure @linux_value, then the first value's ratio to Linux's."""
    parts = []
    limit = row.limit(linux_value)
    above = [h for h, v in zip(headings, values) if v is not None and limit is not None
             and v > limit]
    if above:
        parts.append("above target (%s)" % ", ".join(above))
    if values and values[0] is not None and linux_value:
        parts.append("%.2fx Linux" % (values[0] / linux_value))
    return parts


def _switch_note(row, results, modes):
    """Returns `1.10x / 1.12x driver alone` for a row through the switch, or ''."""
    if not row.base:
        return ""
    ratios = []
    for m in modes:
        value, base = results.get(m, {}).get(row.key), results.get(m, {}).get(row.base)
        if value is not None and base:
            ratios.append("%.2fx" % (value / base))
    return "%s driver alone" % " / ".join(ratios) if ratios else ""


def _cells(row, results, modes, headings, linux):
    """Returns the cells of one row."""
    values = [results.get(m, {}).get(row.key) for m in modes]
    # A row through the switch is held to the same target: Linux's figure of its base row.
    linux_value = ((linux or {}).get("values") or {}).get(row.base or row.key)
    parts = note(row, values, linux_value, headings)
    switch = _switch_note(row, results, modes)
    if switch:
        parts.append(switch)
    if row.base:
        linux_cell = "-"
    else:
        linux_cell = row.show(linux_value) if (linux or {}).get("values") is not None else "-"
    return [row.key, row.what] + [row.show(v) for v in values] + \
        [row.target_text(), linux_cell, "; ".join(parts)]


def format_table(results, modes, headings, linux):
    """Returns the network table as text: name, what, one column per mitigation mode
    (@headings), the target, Linux (this run, IOMMU on) and a note. Needs: @results as
    {mode: {name: value}} (merge), @linux as run_linux's result."""
    header = ["name", "what"] + list(headings) + ["target", "Linux", ""]
    table = [header] + [_cells(r, results, modes, headings, linux) for r in NET_ROWS]
    widths = [max(len(r[i]) for r in table) for i in range(len(header))]
    right = range(2, len(header) - 1)
    return "\n".join("  ".join(c.rjust(widths[i]) if i in right else c.ljust(widths[i])
                               for i, c in enumerate(r)).rstrip() for r in table)


def header_numbers(text):
    """Returns {NAME: value} of the `#define NW_NAME NUMBER` lines of net_workload.h's @text
    (u suffixes and `(a << b)` understood), for the unit test that they agree."""
    numbers = {}
    for name, value in re.findall(r"^#define NW_(\w+)\s+(\(?[0-9a-fx]+u?(?: << \d+)?\)?)",
                                  text, re.M):
        value = value.strip("()").replace("u", "")
        if "<<" in value:
            base, shift = value.split("<<")
            numbers[name] = int(base, 0) << int(shift)
        else:
            numbers[name] = int(value, 0)
    return numbers
