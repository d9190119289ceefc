"""System-test `expect` files: parsing them and matching serial lines against them.

Format, one directive a line; `#` starts a comment at the start of a line or
after white space (write `\\#` or `[#]` for a literal `#` after a space):

    timeout 300 [long M]   seconds of wall time (default 300); M under `bulkhead test --long`
    manifest PATH          manifest relative to the expect file (default manifest.xml)
    expect REGEX           Python regex (re.search) that must match some serial line
    order REGEX            like expect, and only after the previous `order` regex matched
    reject REGEX           must match no line
    corrupt-plan OFFSET    xor byte OFFSET of the boot plan with 0xff before packing
    image test|deploy      the ISO: the test one (default) or `bulkhead image`'s
    boot FIRMWARE MEDIUM   bios|uefi, cdrom|usb; repeatable: each boots the same ISO
                           once (default: boot bios cdrom)

A regex may contain @PLAN_CRC32@: the harness puts in the built plan's CRC-32
(as 0x1234abcd) before matching; and @RECORDS:DOMAIN@, the count of the last
`journal-acked DOMAIN` check of an earlier phase.

Directives for the machine itself:

    mitigations auto|off|force   run the test once, in this mode only (the kernel's
                                 mitigations= option); default: once in auto, once in force
    monitor COMMAND after REGEX  send COMMAND to QEMU's human monitor the first time a
                                 serial line matches REGEX; repeatable
    qemu-args ARGS...            more QEMU flags, from the allow-list qemu.EXTRA_FLAGS;
                                 repeatable
    kernel-args WORDS...         more kernel command-line options, from the allow-list
                                 KERNEL_ARGS (`image test` only); repeatable
    host-udp-echo [ADDR:]GUESTPORT COUNT after REGEX
    host-tcp-echo [ADDR:]GUESTPORT BYTES [long BYTES] after REGEX
    host-http [ADDR:]GUESTPORT PATH... [stall N] [tls CERT] expect REGEX2 after REGEX
                                 once a line matches REGEX, the harness checks an echo
                                 server (or with curl an HTTP server) at the guest's
                                 GUESTPORT (at ADDR, default 10.0.2.15) from the host,
                                 through a port of 127.0.0.1 it forwards (hostnet.py);
                                 `long BYTES` is the amount under --long; `tls CERT`:
                                 HTTPS with the test run's CA and client certificate
                                 CERT (admin, operator, reader, foreign, expired, none),
                                 a refused handshake reads `@@ tls-refused`; repeatable
    host-ctl [ADDR:]GUESTPORT ARGS... expect REGEX2 after REGEX
    host-curl [ADDR:]GUESTPORT CERT METHOD PATH [BODY] expect REGEX2 after REGEX
    host-load [ADDR:]GUESTPORT REQUESTS CLIENTS [long REQUESTS] PATH [watch DOMAIN] after REGEX
    host-prometheus [ADDR:]GUESTPORT QUERY expect REGEX2 after REGEX
                                 checks of the control domain's HTTPS API, forwarded
                                 the same way, with the test run's keys: host-ctl runs
                                 `bulkhead ctl ARGS` (REGEX2 against its stdout and
                                 stderr and a last line `@@ exit N`); host-curl one curl
                                 with client certificate CERT (none, admin, operator,
                                 reader, foreign, expired; REGEX2 against the body and
                                 `@@ STATUS`, or `@@ tls-refused`); host-load REQUESTS
                                 GETs of PATH from CLIENTS persistent connections (all
                                 200 with JSON; `watch DOMAIN`: DOMAIN's cycles grew
                                 meanwhile); host-prometheus promtool on /metrics,
                                 then a real Prometheus scrapes it and QUERY's JSON
                                 answer must match REGEX2 (mgmt.py, load.py, prom.py);
                                 repeatable, run in file order
    netns-tap NETDEV ADDR/PREFIX  QEMU runs in a fresh network namespace whose tap device
                                 (ADDR/PREFIX on the Linux side) is netdev NETDEV (netns.py)
    netns-run PROGRAM ARGS... expect REGEX after REGEX
                                 once a line matches the last REGEX, PROGRAM (ip or ping)
                                 runs in that namespace; a line of its output must match
                                 the first REGEX; repeatable, needs netns-tap

A second machine (pair.py): both boot at once, joined through a lossy relay (relay.py), and
the peer's serial lines are matched as `peer: LINE`:

    peer MANIFEST                the peer boots MANIFEST (relative to the expect file)
    relay KEY=VALUE...           loss, dup, reorder, corrupt (percent of frames), seed, delay
                                 (ms), rate (kbit/s); both machines get a virtio-net card on it
    long-image [peer:]DOMAIN IMAGE
                                 under `bulkhead test --long`, DOMAIN boots IMAGE instead

A disk (disk.py): a fresh raw image, made before the first boot and shared by
every `boot` of the run, attached as a modern-only virtio-blk function at
00:04.0 behind `-device intel-iommu` (so qemu-args may not add either):

    disk SIZE FILL               SIZE in bytes (K, M, G suffixes), FILL zero,
                                 bench (tests/bench/storage_workload.h) or
                                 sector (tests/system/domains/blk_pattern.h)
    disk-error SECTOR [ERRNO]    requests that touch SECTOR fail with ERRNO
                                 (default 5, EIO): QEMU's blkdebug; repeatable
    disk-cache volatile          the disk has a volatile write cache (wcache.py):
                                 writes reach the image only with a flush, and
                                 those not flushed are lost when QEMU ends
    disk-check OFFSET LENGTH WANT  after the run, bytes [OFFSET, OFFSET+LENGTH)
                                 of the image must be pattern WANT (zero, bench,
                                 sector), hash to WANT (64 hex digits, SHA-256) or
                                 hold exactly N journal records (journal:N);
                                 repeatable
    disk-check OFFSET LENGTH journal-acked DOMAIN
                                 the intact journal records there (C) must cover
                                 every record the boot's serial lines
                                 `DOMAIN: journal: record N flushed` acknowledged
                                 (C >= highest N + 1); later boots' regexes may
                                 then use @RECORDS:DOMAIN@ for C
    disk-tear OFFSET LENGTH journal
                                 after the boot, write a torn record into the
                                 sector after the intact records there: the next
                                 record's first 256 bytes (magic, length, sequence,
                                 text), its second half left as it was

Power loss: a test may boot its disk several times, in phases split by `reboot`.
The directives above stay for the whole test; expect, order, reject, monitor,
power-cut, repeat, disk-check and disk-tear belong to the phase they are written
in, and a phase's disk-check and disk-tear lines run on the host after its boot,
in file order:

    power-cut after REGEX        once every expect of the phase has matched, the
                                 first serial line matching REGEX ends the boot
                                 with SIGKILL (no clean shutdown), and the phase
                                 passes; QEMU ending first, or the timeout, fails it
    reboot                       starts the next phase: a fresh boot of the same
                                 ISO and the same disk
    repeat N long M              this phase (boot and host steps) runs N times in a
                                 row, M times under `bulkhead test --long`

Edits of the compiled plan and images (`image test` only), performed in file
order after corrupt-plan, so that a test can hand the kernel what bhc never
writes:

    plan-set domain|region|device|image NAME FIELD VALUE
                           set a field of the domain, region, device or
                           alternative image (by module) named NAME
    plan-set fault TARGET FIELD VALUE
                           set a field of the fault record of domain TARGET
    plan-set map|ioport DOMAIN INDEX FIELD VALUE
                           set a field of map or ioport range INDEX (0-based,
                           in that domain's order) of domain DOMAIN
    image-patch IMAGE OFFSET HEXBYTES
                           overwrite bytes of image IMAGE (a module name) at
                           file offset OFFSET
    image-segment IMAGE N FIELD VALUE
                           set a field (vaddr, paddr, offset, filesz, memsz,
                           flags, align) of the N-th loadable segment of IMAGE
    reseal-plan crc        recompute the plan's CRC-32
    reseal-plan images     first write each domain's image_sha256 from its
                           (edited) image, so that the kernel's own ELF checks
                           are reached, then recompute the CRC-32

FIELD is a field of abi/plan.h's record (domain: name, image, budget_us,
period_us, flags, image_sha256, ...; region: name, size, flags; map: vaddr,
region, rights; ioport: base, count, flags). VALUE is a decimal or 0x number,
a name for name fields and for a map's region, or 64 hex digits for
image_sha256. An edited image is a copy in the test's directory.
"""

import os
import re

from . import disk as disks
from . import hostnet
from . import load as mgmt_load  # (expect.load is this module's reader)
from . import mgmt
from . import mitigations
from . import monitor
from . import netns
from . import pair
from . import qemu
from . import plan
from . import prom
from . import relay
from .qemu import FIRMWARES, MEDIA

DEFAULT_TIMEOUT = 300.0

# Lines that fail every system test, whatever its expect file says.
BUILTIN_REJECTS = [r"bulkhead: PANIC", r"\bTEST \S+ FAIL"]

_COMMENT = re.compile(r"(^|\s)#.*$")

# The ISOs a test can boot: `test` (compiled with --exit-when-idle, corrupt-plan
# applies) or `deploy` (built by `bulkhead image`, exactly what ships).
IMAGES = ("test", "deploy")
DEFAULT_BOOT = ("bios", "cdrom")

# Placeholders a regex may contain, filled in by the harness once the image
# is built (escaped: they match literally). The values here only serve to
# check the regex when the file is read.
PLACEHOLDERS = {"@PLAN_CRC32@": "0x00000000"}
# @RECORDS:DOMAIN@: the intact journal records the host found in the last
# `disk-check ... journal-acked DOMAIN` of an earlier phase.
_RECORDS = re.compile(r"@RECORDS:([A-Za-z0-9_.-]+)@")


# Kernel command-line options a test may add (`kernel-args`), besides the run's
# mitigations= option: pci=list prints the PCI functions at boot, iommu=selftest
# runs the kernel's DMA self-test with QEMU's edu device.
KERNEL_ARGS = ("pci=list", "iommu=selftest")


class ExpectError(Exception):
    """An expect file is malformed; the message is `expect:LINE: what`."""


def fill(text, values):
    """Returns regex @text with every placeholder in @values replaced by its escaped value."""
    for key, value in values.items():
        text = text.replace(key, re.escape(value))
    return text


class Pattern:
    """One expect or reject regex and the line of the expect file it came from."""

    def __init__(self, text, line, values=None):
        self.text = text
        self.line = line
        self.regex = re.compile(fill(text, values or PLACEHOLDERS))
        # The journal counts this pattern was bound to, shown in failure messages.
        keys = {records_placeholder(domain) for domain in _RECORDS.findall(text)}
        self.records = {key: values[key] for key in keys if values and key in values}

    def bound(self, values):
        """Returns this pattern with the placeholders set to @values ({placeholder: text})."""
        return Pattern(self.text, self.line, values)

    def __repr__(self):
        bound = "".join(" with %s=%s" % item for item in sorted(self.records.items()))
        return "/%s/%s" % (self.text, bound)


def records_placeholder(domain):
    """Returns the placeholder of the journal records the host counted for @domain."""
    return "@RECORDS:%s@" % domain


class Phase:
    """One boot of the test's disk: the directives between two `reboot` lines.

    Has what a Matcher reads (expects, orders, rejects) and the monitor commands,
    the power cut and the host steps (disk.Check, disk.Tear) of that boot.
    """

    def __init__(self, number):
        self.number = number  # 1, 2, ... in file order
        self.expects = []
        self.orders = []  # `order` patterns, also in expects, in file order
        self.rejects = [Pattern(text, 0) for text in BUILTIN_REJECTS]
        self.monitor = []  # [(monitor command, Pattern)]: `monitor COMMAND after REGEX`
        self.host_peers = []  # hostnet.HostPeer: `host-udp-echo`, `host-tcp-echo`
        self.netns_runs = []  # netns.Run: `netns-run`
        self.power_cut = None  # Pattern of `power-cut after REGEX`, or None
        self.host_steps = []  # disk.Check and disk.Tear, in file order, run after the boot
        self.repeat = (1, 1)  # `repeat N long M`: runs (normally, under --long)

    def runs(self, long_run):
        """Returns how many times this phase runs, under `--long` if @long_run."""
        return self.repeat[1] if long_run else self.repeat[0]


class Spec:
    """The parsed content of one expect file."""

    def __init__(self, path):
        self.path = path
        self.timeout = DEFAULT_TIMEOUT
        self.long_timeout = None  # `timeout N long M`: M, for `bulkhead test --long`
        self.manifest = os.path.join(os.path.dirname(path), "manifest.xml")
        self.pinned_mitigations = None  # `mitigations MODE`: the test runs in MODE only
        self.mitigations = mitigations.DEFAULT  # the mode of this run (set by the harness)
        self.long_run = False  # `bulkhead test --long` (set by the harness)
        self.qemu_args = []  # `qemu-args`: extra QEMU flags, checked by qemu.check_extra_args
        self.kernel_args = []  # `kernel-args`: extra kernel options from KERNEL_ARGS
        self.phases = [Phase(1)]  # `reboot` starts the next
        self.corrupt_offsets = []
        self.image = "test"
        self.boots = []  # [(firmware, medium)]; none given: [DEFAULT_BOOT]
        self.plan_edits = []  # [plan.Edit], in file order
        self.disk = None  # disk.Disk: `disk`, `disk-error`, `disk-check`, `disk-tear`
        self.netns_tap = None  # `netns-tap`: (netdev id, ADDR/PREFIX), or None
        self.peer = None  # `peer MANIFEST`: the second machine's manifest (pair.py)
        self.relay = None  # relay.Settings: `relay KEY=VALUE...`
        self.peer_iso = None  # the peer's ISO (set by the harness once built)
        self.long_images = {False: {}, True: {}}  # `long-image`: {is the peer's: {domain: image}}

    @property
    def phase(self):
        """The phase the directives being parsed belong to: the last one."""
        return self.phases[-1]

    # A test without `reboot` has one phase; these are its lines.
    expects = property(lambda self: self.phases[0].expects)
    orders = property(lambda self: self.phases[0].orders)
    rejects = property(lambda self: self.phases[0].rejects)
    monitor = property(lambda self: self.phases[0].monitor)


def _number(text, convert, what, line):
    """Converts @text with @convert or raises ExpectError naming @what."""
    try:
        return convert(text)
    except ValueError:
        raise ExpectError("expect:%d: %s %r is not a number" % (line, what, text))


def _pattern(text, line):
    """Compiles a regex argument or raises ExpectError saying why it is bad."""
    try:
        return Pattern(text, line)
    except re.error as err:
        raise ExpectError("expect:%d: bad regex %r: %s" % (line, text, err))


def _directive(spec, word, arg, line):
    """Applies one directive to @spec; raises ExpectError if it is unknown or bad."""
    if not arg:
        raise ExpectError("expect:%d: %s needs an argument" % (line, word))
    if word in _MACHINE_DIRECTIVES:
        _MACHINE_DIRECTIVES[word](spec, arg, line)
        return
    if word == "timeout":
        _timeout(spec, arg, line)
    elif word == "manifest":
        spec.manifest = os.path.join(os.path.dirname(spec.path), arg)
    elif word == "expect":
        spec.phase.expects.append(_pattern(arg, line))
    elif word == "order":
        pattern = _pattern(arg, line)
        spec.phase.expects.append(pattern)
        spec.phase.orders.append(pattern)
    elif word == "reject":
        spec.phase.rejects.append(_pattern(arg, line))
    elif word == "corrupt-plan":
        offset = _number(arg, lambda t: int(t, 0), "offset", line)
        if offset < 0:
            raise ExpectError("expect:%d: offset must not be negative" % line)
        spec.corrupt_offsets.append(offset)
    elif word == "image":
        if arg not in IMAGES:
            raise ExpectError("expect:%d: image %r: expected %s" % (line, arg, " or ".join(IMAGES)))
        spec.image = arg
    elif word == "boot":
        spec.boots.append(_boot(spec, arg, line))
    elif word in plan.EDIT_DIRECTIVES:
        spec.plan_edits.append(_plan_edit(word, arg, line))
    else:
        raise ExpectError("expect:%d: unknown directive %r" % (line, word))


def _timeout(spec, arg, line):
    """Applies `timeout SECONDS [long SECONDS]` (the second under `bulkhead test --long`)."""
    words = arg.split()
    if len(words) not in (1, 3) or (len(words) == 3 and words[1] != "long"):
        raise ExpectError("expect:%d: timeout %r: expected SECONDS [long SECONDS]" % (line, arg))
    spec.timeout = _number(words[0], float, "timeout", line)
    spec.long_timeout = _number(words[2], float, "timeout", line) if len(words) == 3 else None
    if spec.timeout <= 0 or (spec.long_timeout or 1) <= 0:
        raise ExpectError("expect:%d: timeout must be positive" % line)


def _plan_edit(word, arg, line):
    """Parses a plan or image edit (plan.EDIT_DIRECTIVES); raises ExpectError if it is bad."""
    try:
        return plan.parse_edit(word, arg)
    except ValueError as err:
        raise ExpectError("expect:%d: %s" % (line, err))


def _boot(spec, arg, line):
    """Parses `boot FIRMWARE MEDIUM`; returns (firmware, medium) or raises ExpectError."""
    words = arg.split()
    if len(words) != 2 or words[0] not in FIRMWARES or words[1] not in MEDIA:
        raise ExpectError("expect:%d: boot %r: expected FIRMWARE MEDIUM with FIRMWARE one of %s"
                          " and MEDIUM one of %s" % (line, arg, "|".join(FIRMWARES),
                                                      "|".join(MEDIA)))
    boot = (words[0], words[1])
    if boot in spec.boots:
        raise ExpectError("expect:%d: boot %s %s is given twice" % (line, boot[0], boot[1]))
    return boot


def _mitigations(spec, arg, line):
    """Applies `mitigations MODE`: the test runs once, in MODE."""
    if spec.pinned_mitigations is not None:
        raise ExpectError("expect:%d: mitigations is given twice" % line)
    try:
        spec.pinned_mitigations = spec.mitigations = mitigations.check(arg)
    except ValueError as err:
        raise ExpectError("expect:%d: %s" % (line, err))


def _monitor(spec, arg, line):
    """Applies `monitor COMMAND after REGEX`."""
    try:
        command, regex = monitor.parse(arg)
    except ValueError as err:
        raise ExpectError("expect:%d: %s" % (line, err))
    spec.phase.monitor.append((command, _pattern(regex, line)))


def _host_peer(proto):
    """Returns the function that applies `host-PROTO-echo GUESTPORT AMOUNT after REGEX`."""
    def apply(spec, arg, line):
        try:
            guest, amount, regex = hostnet.parse(proto, arg)
        except ValueError as err:
            raise ExpectError("expect:%d: %s" % (line, err))
        spec.phase.host_peers.append(hostnet.HostPeer(proto, guest, amount,
                                                      _pattern(regex, line)))
    return apply


def _netns_tap(spec, arg, line):
    """Applies `netns-tap NETDEV ADDR/PREFIX`, once."""
    if spec.netns_tap is not None:
        raise ExpectError("expect:%d: netns-tap is given twice" % line)
    try:
        spec.netns_tap = netns.parse_tap(arg)
    except ValueError as err:
        raise ExpectError("expect:%d: %s" % (line, err))


def _netns_run(spec, arg, line):
    """Applies `netns-run PROGRAM ARGS... expect REGEX after REGEX`, after a netns-tap."""
    if spec.netns_tap is None:
        raise ExpectError("expect:%d: netns-run needs a `netns-tap` line before it" % line)
    try:
        argv, output, trigger = netns.parse_run(arg)
    except ValueError as err:
        raise ExpectError("expect:%d: %s" % (line, err))
    spec.phase.netns_runs.append(netns.Run(argv, _pattern(output, line),
                                           _pattern(trigger, line)))


def _host_http(spec, arg, line):
    """Applies `host-http [ADDR:]GUESTPORT PATH... [stall N] [tls CERT] expect REGEX2 after
    REGEX`."""
    try:
        guest, paths, stall, want, regex, tls = hostnet.parse_http(arg)
    except ValueError as err:
        raise ExpectError("expect:%d: %s" % (line, err))
    spec.phase.host_peers.append(hostnet.HostPeer("tcp", guest, None, _pattern(regex, line),
                                                  paths, _pattern(want, line), stall, tls))


def _mgmt_peer(word, parse, make):
    """Returns the function applying management check @word (host-ctl, host-curl,
    host-prometheus): @parse splits its line into (guest, what, REGEX2, REGEX) and
    @make(guest, what, trigger Pattern, REGEX2 Pattern) builds its host peer."""
    def apply(spec, arg, line):
        try:
            guest, what, want, regex = parse(arg)
        except ValueError as err:
            raise ExpectError("expect:%d: %s" % (line, err))
        spec.phase.host_peers.append(make(guest, what, _pattern(regex, line),
                                          _pattern(want, line)))
    return apply


def _host_load(spec, arg, line):
    """Applies `host-load [ADDR:]GUESTPORT REQUESTS CLIENTS [long REQUESTS] PATH after REGEX`."""
    try:
        guest, requests, clients, path, regex, watch = mgmt_load.parse(arg)
    except ValueError as err:
        raise ExpectError("expect:%d: %s" % (line, err))
    spec.phase.host_peers.append(mgmt_load.LoadPeer(guest, requests, clients, path,
                                                    _pattern(regex, line), watch))


def _qemu_args(spec, arg, line):
    """Applies `qemu-args ARGS...`: flags from qemu.EXTRA_FLAGS, each with its value."""
    try:
        spec.qemu_args += qemu.check_extra_args(arg.split())
    except ValueError as err:
        raise ExpectError("expect:%d: qemu-args: %s" % (line, err))


def _kernel_args(spec, arg, line):
    """Applies `kernel-args WORDS...`: options from KERNEL_ARGS, each at most once."""
    for word in arg.split():
        if word not in KERNEL_ARGS:
            raise ExpectError("expect:%d: kernel-args: %r is not allowed (allowed: %s)"
                              % (line, word, ", ".join(KERNEL_ARGS)))
        if word in spec.kernel_args:
            raise ExpectError("expect:%d: kernel-args: %s is given twice" % (line, word))
        spec.kernel_args.append(word)


def _peer(spec, arg, line):
    """Applies `peer MANIFEST`, once."""
    if spec.peer is not None:
        raise ExpectError("expect:%d: peer is given twice" % line)
    spec.peer = os.path.join(os.path.dirname(spec.path), arg)


def _relay(spec, arg, line):
    """Applies `relay KEY=VALUE...`, once."""
    if spec.relay is not None:
        raise ExpectError("expect:%d: relay is given twice" % line)
    try:
        spec.relay = relay.parse(arg)
    except ValueError as err:
        raise ExpectError("expect:%d: %s" % (line, err))


def _long_image(spec, arg, line):
    """Applies `long-image [peer:]DOMAIN IMAGE`, once a domain."""
    try:
        peer, domain, image = pair.parse_long_image(arg)
    except ValueError as err:
        raise ExpectError("expect:%d: %s" % (line, err))
    if domain in spec.long_images[peer]:
        raise ExpectError("expect:%d: long-image %s is given twice" % (line, domain))
    spec.long_images[peer][domain] = image


# The network a relay gives both machines, which qemu-args may then not add.
_RELAY_DEVICES = re.compile(r"^(intel-iommu|virtio-net-pci)\b")


def _check_pair(spec):
    """Raises ExpectError if `peer` and `relay` do not come together, or come with what a
    second machine does not support."""
    if (spec.peer is None) != (spec.relay is None):
        raise ExpectError("expect: peer and relay go together (the peer's only way is the relay)")
    if spec.peer is None:
        if spec.long_images[True]:
            raise ExpectError("expect: long-image peer:...: the test has no peer")
        return
    words = spec.qemu_args
    for flag, value in zip(words[::2], words[1::2]):
        if flag == "-netdev" or (flag == "-device" and _RELAY_DEVICES.match(value)):
            raise ExpectError("expect: qemu-args %s %s: the relay adds the IOMMU and the"
                              " network card itself" % (flag, value))
    if spec.disk or len(spec.phases) > 1 or spec.image != "test" or spec.netns_tap or \
            any(p.host_peers or p.monitor or p.power_cut for p in spec.phases):
        raise ExpectError("expect: a test with a peer boots `image test` once, without disk,"
                          " reboot, power-cut, monitor, netns-tap or host-*-echo lines")


def _disk(spec, arg, line):
    """Applies `disk SIZE FILL`, once, before any disk-error or disk-check."""
    if spec.disk is not None:
        raise ExpectError("expect:%d: disk is given twice" % line)
    try:
        spec.disk = disks.parse_disk(arg)
    except ValueError as err:
        raise ExpectError("expect:%d: %s" % (line, err))


def _disk_more(word, parse):
    """Returns the function applying directive @word about the disk, parsed by @parse.
    A disk-check or disk-tear becomes a host step of the phase it is in."""
    def apply(spec, arg, line):
        if spec.disk is None:
            raise ExpectError("expect:%d: %s needs a `disk` line before it" % (line, word))
        try:
            if word == "disk-error":
                spec.disk.errors.append(parse(spec.disk, arg))
                return
            if word == "disk-cache":
                parse(spec.disk, arg)
                return
            step = parse(spec.disk, arg, line)
        except ValueError as err:
            raise ExpectError("expect:%d: %s" % (line, err))
        spec.phase.host_steps.append(step)
        if word == "disk-check":
            spec.disk.checks.append(step)
    return apply


def _power_cut(spec, arg, line):
    """Applies `power-cut after REGEX`, once a phase."""
    parts = re.split(r"^after\s+", arg, maxsplit=1)
    if len(parts) != 2 or not parts[1].strip():
        raise ExpectError("expect:%d: power-cut %r: expected `power-cut after REGEX`"
                          % (line, arg))
    if spec.phase.power_cut is not None:
        raise ExpectError("expect:%d: power-cut is given twice in phase %d"
                          % (line, spec.phase.number))
    spec.phase.power_cut = _pattern(parts[1].strip(), line)


def _repeat(spec, arg, line):
    """Applies `repeat N long M` (1 <= N <= M), once a phase."""
    words = arg.split()
    if len(words) != 3 or words[1] != "long" or not (words[0] + words[2]).isdigit() \
            or not 1 <= int(words[0]) <= int(words[2]):
        raise ExpectError("expect:%d: repeat %r: expected `repeat N long M`, 1 <= N <= M"
                          % (line, arg))
    if spec.phase.repeat != (1, 1):
        raise ExpectError("expect:%d: repeat is given twice in phase %d"
                          % (line, spec.phase.number))
    spec.phase.repeat = (int(words[0]), int(words[2]))


# Devices the `disk` directive adds itself, which qemu-args may then not add again.
_DISK_DEVICES = re.compile(r"^(intel-iommu|virtio-blk-pci)\b")


def _check_disk(spec):
    """Raises ExpectError if the test has a disk and qemu-args add its devices again."""
    words = spec.qemu_args
    for flag, value in zip(words[::2], words[1::2]):
        if spec.disk and flag == "-device" and _DISK_DEVICES.match(value):
            raise ExpectError("expect: qemu-args -device %s: the disk directive adds the"
                              " IOMMU and the virtio-blk function itself" % value)


# Directives about the machine a test boots: word -> function(spec, arg, line).
_MACHINE_DIRECTIVES = {"mitigations": _mitigations, "monitor": _monitor,
                       "qemu-args": _qemu_args, "kernel-args": _kernel_args,
                       "disk": _disk, "disk-error": _disk_more("disk-error", disks.parse_error),
                       "disk-check": _disk_more("disk-check", disks.parse_check),
                       "disk-tear": _disk_more("disk-tear", disks.parse_tear),
                       "disk-cache": _disk_more("disk-cache", disks.parse_cache),
                       "power-cut": _power_cut, "repeat": _repeat,
                       "host-udp-echo": _host_peer("udp"), "host-tcp-echo": _host_peer("tcp"),
                       "netns-tap": _netns_tap, "netns-run": _netns_run,
                       "peer": _peer, "relay": _relay, "long-image": _long_image,
                       "host-http": _host_http,
                       "host-ctl": _mgmt_peer("host-ctl", mgmt.parse_ctl, mgmt.CtlPeer),
                       "host-curl": _mgmt_peer("host-curl", mgmt.parse_curl, mgmt.CurlPeer),
                       "host-load": _host_load,
                       "host-prometheus": _mgmt_peer("host-prometheus", prom.parse,
                                                     prom.PromPeer)}


def _check_netns(spec):
    """Raises ExpectError if qemu-args define the netdev that netns-tap makes."""
    if spec.netns_tap is None:
        return
    words = spec.qemu_args
    for flag, value in zip(words[::2], words[1::2]):
        if flag == "-netdev" and ("id=%s," % spec.netns_tap[0]) in value + ",":
            raise ExpectError("expect: qemu-args -netdev %s: netns-tap makes netdev %s itself"
                              % (value, spec.netns_tap[0]))


def _check_phases(spec):
    """Raises ExpectError if a phase checks nothing, a test with phases boots several ways,
    or a regex uses @RECORDS:DOMAIN@ before a phase that counts DOMAIN's records."""
    counted = set()
    for phase in spec.phases:
        if not phase.expects and len(spec.phases) > 1:
            raise ExpectError("expect: phase %d has no `expect` line: it would check nothing"
                              % phase.number)
        patterns = phase.expects + phase.rejects + [p for _, p in phase.monitor]
        for pattern in patterns + ([phase.power_cut] if phase.power_cut else []):
            for domain in _RECORDS.findall(pattern.text):
                if domain not in counted:
                    raise ExpectError("expect:%d: %s: no earlier phase has a `disk-check ..."
                                      " journal-acked %s`" % (pattern.line,
                                                              records_placeholder(domain),
                                                              domain))
        counted |= {s.domain for s in phase.host_steps if getattr(s, "domain", None)}
    if len(spec.phases) > 1 and len(spec.boots) > 1:
        raise ExpectError("expect: `reboot` boots one way: give at most one `boot` line")


def parse(text, path):
    """Parses the expect file @text (read from @path, for relative paths).

    Returns: a Spec. Raises ExpectError (`expect:LINE: what`) on an unknown
    directive, a bad argument, or a file without any `expect` line.
    """
    spec = Spec(path)
    for number, raw in enumerate(text.splitlines(), 1):
        line = _COMMENT.sub("", raw).strip()
        if not line:
            continue
        word, arg = (line.split(None, 1) + [""])[:2]
        if word == "reboot":
            if arg.strip():
                raise ExpectError("expect:%d: reboot takes no argument" % number)
            spec.phases.append(Phase(len(spec.phases) + 1))
            continue
        _directive(spec, word, arg.strip(), number)
    if not spec.expects:
        raise ExpectError("expect: no `expect` line: the test would check nothing")
    if spec.image == "deploy" and spec.corrupt_offsets:
        raise ExpectError("expect: corrupt-plan needs `image test`: `bulkhead image` refuses"
                          " a damaged plan")
    if spec.image == "deploy" and spec.kernel_args:
        raise ExpectError("expect: kernel-args needs `image test`: `bulkhead image` ships"
                          " its own kernel line")
    if spec.image == "deploy" and (spec.long_images[False] or spec.long_images[True]):
        raise ExpectError("expect: long-image needs `image test`: `bulkhead image` ships the"
                          " manifest's images")
    if spec.image == "deploy" and spec.plan_edits:
        raise ExpectError("expect: %s needs `image test`: `bulkhead image` ships what bhc"
                          " compiled" % spec.plan_edits[0].word)
    _check_disk(spec)
    _check_netns(spec)
    _check_phases(spec)
    _check_pair(spec)
    spec.boots = spec.boots or [DEFAULT_BOOT]
    return spec


def load(path):
    """Reads and parses the expect file at @path; see parse()."""
    with open(path, encoding="utf-8") as f:
        return parse(f.read(), path)


class Matcher:
    """Feeds serial lines through the rejects and expects of a Spec (its one phase) or of a
    Phase, and watches for the phase's power cut.

    @values: the placeholders' values ({"@PLAN_CRC32@": "0x1234abcd"}); @extra
    and @extra_rejects: more expects and rejects (Patterns) for this boot only.
    """

    def __init__(self, spec, values=None, extra=(), extra_rejects=()):
        self.spec = spec
        cut = getattr(spec, "power_cut", None)
        self.power_cut = cut.bound(values) if cut and values else cut
        rejects = [p.bound(values) for p in spec.rejects] if values else spec.rejects
        self.rejects = list(rejects) + list(extra_rejects)
        expects = [p.bound(values) for p in spec.expects] if values else spec.expects
        self.missing = list(expects) + list(extra)
        self.orders = [expects[spec.expects.index(p)] for p in spec.orders]
        self.order_next = 0  # the first `order` pattern not matched yet
        self.lines = 0

    def feed(self, line):
        """Checks one serial line. Returns a failure reason if it matched a reject, else None."""
        self.lines += 1
        for pattern in self.rejects:
            if pattern.regex.search(line):
                return "serial line %d matched reject %r: %s" % (self.lines, pattern, line)
        reason = self._order(line)
        if reason:
            return reason
        self.missing = [p for p in self.missing if not p.regex.search(line)]
        return None

    def _order(self, line):
        """Moves past the `order` patterns @line matches in turn. Returns a failure reason if
        it matches one whose predecessor has not matched yet, else None."""
        while self.order_next < len(self.orders) and \
                self.orders[self.order_next].regex.search(line):
            self.order_next += 1
        for pattern in self.orders[self.order_next:]:
            if pattern.regex.search(line):
                return "serial line %d matched order %r before %r: %s" % (
                    self.lines, pattern, self.orders[self.order_next], line)
        return None

    def done(self):
        """Returns True once every expect regex has matched some line."""
        return not self.missing

    def cut(self, line):
        """Returns True if the boot ends with the power cut at @line (just fed): every
        expect has matched and @line matches the power-cut regex."""
        return self.power_cut is not None and self.done() and \
            bool(self.power_cut.regex.search(line))

    def missing_text(self):
        """Lists the expects that never matched (or the power cut still due), for a
        failure message."""
        if not self.missing and self.power_cut is not None:
            return "power-cut after %r" % self.power_cut
        return ", ".join(repr(p) for p in self.missing)
