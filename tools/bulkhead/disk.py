"""System-test disks: a fresh raw image per test, QEMU's flags for it, and host checks of its bytes.

A test with a `disk` directive (expect.py) boots with the image attached as a
modern-only virtio-blk function at 00:04.0 behind a VT-d IOMMU, the way a
driver domain meets it; `disk-error` puts QEMU's blkdebug driver between the
format and the file so that requests touching chosen sectors fail with an
errno; `disk-check` reads the image on the host after the run, an independent
check of what the guest wrote. For the power-loss tests, `disk-check ...
journal-acked DOMAIN` holds the records on the disk against those the guest said
were flushed, and `disk-tear` writes a torn record between two boots.
"""

import hashlib
import json
import os
import re
import struct
import zlib

SECTOR = 512
PCI_ADDR = "04.0"  # the function the tests' manifests grant: pci="00:04.0"
NODE = "disk0"
MAX_BYTES = 1 << 30

# Fill patterns of a fresh image and of a check (besides a check's SHA-256):
#   zero    every byte 0
#   bench   tests/bench/storage_workload.h: 4 KiB block b starts with the 64-bit
#           little-endian tag (b + 1) * SW_TAG_MULT, byte k (k >= 8) holds k & 0xff
#   sector  tests/system/domains/blk_pattern.h, what blk_client writes: sector s
#           starts with the 64-bit little-endian s ^ SECTOR_MAGIC, byte k (k >= 8)
#           holds (7 * s + 13 * k) & 0xff
PATTERNS = ("zero", "bench", "sector")
BENCH_BLOCK = 4096
BENCH_TAG_MULT = 0x9E3779B97F4A7C15
SECTOR_MAGIC = 0x626C6B5F73656374  # "blk_sect"
_MASK64 = (1 << 64) - 1
_BENCH_TAIL = bytes(k & 0xFF for k in range(8, BENCH_BLOCK))
_SHA256 = re.compile(r"^[0-9a-fA-F]{64}$")
_JOURNAL = re.compile(r"^journal:(\d+)$")
ACKED = "journal-acked"
# The serial line of apps/journal built with JOURNAL_ENDLESS once record N's flush was answered.
_FLUSHED = r"^%s: journal: record (\d+) flushed\b"
# disk-tear writes this much of the next record over its sector: the header and the text's
# start; the rest of the sector, with the CRC, stays as it was.
TEAR_BYTES = 256
# apps/journal/journal_rec.h: record n in sector n of its volume: magic, text length,
# sequence number n, text, and a CRC-32 (IEEE, as zlib) of the 508 bytes before it.
JREC_MAGIC = 0x4C4E524A
JREC_TEXT = 480
_SIZE = re.compile(r"^(\d+)([KMG]?)$")
_UNITS = {"": 1, "K": 1 << 10, "M": 1 << 20, "G": 1 << 30}


class Check:
    """One `disk-check OFFSET LENGTH PATTERN|SHA256|journal:N|journal-acked DOMAIN`: what the
    bytes must be after the run (or after the boot of its phase)."""

    def __init__(self, offset, length, want, line, domain=None):
        self.offset = offset
        self.length = length
        self.want = want  # a name of PATTERNS, a SHA-256 in lower-case hex, journal:N, ACKED
        self.line = line
        self.domain = domain  # with ACKED: the domain whose serial lines say what was flushed

    def __repr__(self):
        return "disk-check %d %d %s%s" % (self.offset, self.length, self.want,
                                          " " + self.domain if self.domain else "")


class Tear:
    """One `disk-tear OFFSET LENGTH journal`: a torn record written after the intact ones."""

    def __init__(self, offset, length, line):
        self.offset = offset
        self.length = length
        self.line = line

    def __repr__(self):
        return "disk-tear %d %d journal" % (self.offset, self.length)


class Disk:
    """The test's disk: its size, fill pattern, failing sectors and checks."""

    def __init__(self, size, fill):
        self.size = size
        self.fill = fill
        self.errors = []  # [(sector, errno)]: `disk-error`
        self.checks = []  # [Check]: `disk-check`
        self.volatile = False  # `disk-cache volatile`: served by wcache.WriteCache


def parse_size(text):
    """Returns the byte count of @text (N, NK, NM or NG): a positive multiple of 512 up to
    MAX_BYTES. Raises ValueError saying why not."""
    match = _SIZE.match(text)
    if not match:
        raise ValueError("size %r: expected a number of bytes, optionally with K, M or G" % text)
    size = int(match.group(1)) * _UNITS[match.group(2)]
    if size <= 0 or size % SECTOR or size > MAX_BYTES:
        raise ValueError("size %r: must be a positive multiple of %d up to %d bytes"
                         % (text, SECTOR, MAX_BYTES))
    return size


def parse_disk(arg):
    """Parses `disk SIZE FILL`. Returns a Disk; raises ValueError saying what is wrong."""
    words = arg.split()
    if len(words) != 2 or words[1] not in PATTERNS:
        raise ValueError("disk %r: expected SIZE FILL with FILL one of %s"
                         % (arg, "|".join(PATTERNS)))
    return Disk(parse_size(words[0]), words[1])


def parse_cache(disk, arg):
    """Parses `disk-cache volatile` for @disk (sets disk.volatile). Raises ValueError if the
    argument is another word."""
    if arg != "volatile":
        raise ValueError("disk-cache %r: expected `disk-cache volatile`" % arg)
    disk.volatile = True


def parse_error(disk, arg):
    """Parses `disk-error SECTOR [ERRNO]` (default errno 5, EIO) for @disk; returns
    (sector, errno). Raises ValueError if it is malformed or outside the disk."""
    words = arg.split()
    if len(words) not in (1, 2) or not all(w.isdigit() for w in words):
        raise ValueError("disk-error %r: expected SECTOR [ERRNO], decimal" % arg)
    sector, errno = int(words[0]), int(words[1]) if len(words) == 2 else 5
    if sector >= disk.size // SECTOR or not 0 < errno < 4096:
        raise ValueError("disk-error %r: sector beyond the disk or errno not in 1..4095" % arg)
    return sector, errno


def _range(disk, word, arg, words):
    """Returns (offset, length) from the first two of @words, a non-empty range of @disk;
    raises ValueError naming directive @word and its argument @arg if it is not one."""
    try:
        offset, length = int(words[0], 0), int(words[1], 0)
    except ValueError:
        raise ValueError("%s %r: OFFSET and LENGTH must be numbers" % (word, arg))
    if offset < 0 or length <= 0 or offset + length > disk.size:
        raise ValueError("%s %r: the range is empty or leaves the disk" % (word, arg))
    return offset, length


def _parse_acked(disk, arg, words, line):
    """Parses `disk-check OFFSET LENGTH journal-acked DOMAIN` (@words split from @arg)."""
    if len(words) != 4 or not re.match(r"^[A-Za-z0-9_.-]+$", words[3]):
        raise ValueError("disk-check %r: expected OFFSET LENGTH journal-acked DOMAIN" % arg)
    offset, length = _range(disk, "disk-check", arg, words)
    if offset % SECTOR or length % SECTOR:
        raise ValueError("disk-check %r: a journal starts and ends on a sector" % arg)
    return Check(offset, length, ACKED, line, words[3])


def parse_tear(disk, arg, line):
    """Parses `disk-tear OFFSET LENGTH journal` for @disk. Returns a Tear; raises ValueError
    if it is malformed, not in whole sectors or reaches past the disk."""
    words = arg.split()
    if len(words) != 3 or words[2] != "journal":
        raise ValueError("disk-tear %r: expected OFFSET LENGTH journal" % arg)
    offset, length = _range(disk, "disk-tear", arg, words)
    if offset % SECTOR or length % SECTOR:
        raise ValueError("disk-tear %r: a journal starts and ends on a sector" % arg)
    return Tear(offset, length, line)


def parse_check(disk, arg, line):
    """Parses `disk-check OFFSET LENGTH PATTERN|SHA256|journal:N|journal-acked DOMAIN` for
    @disk. Returns a Check; raises ValueError if it is malformed or reaches past the disk."""
    words = arg.split()
    if len(words) >= 3 and words[2] == ACKED:
        return _parse_acked(disk, arg, words, line)
    if len(words) != 3:
        raise ValueError("disk-check %r: expected OFFSET LENGTH PATTERN|SHA256" % arg)
    offset, length = _range(disk, "disk-check", arg, words)
    want = words[2].lower()
    if want not in PATTERNS and not _SHA256.match(want) and not _JOURNAL.match(want):
        raise ValueError("disk-check %r: expected one of %s, journal:N or 64 hex digits"
                         % (arg, "|".join(PATTERNS)))
    match = _JOURNAL.match(want)
    if match and int(match.group(1)) * SECTOR > length:
        raise ValueError("disk-check %r: N journal records need N * 512 bytes" % arg)
    return Check(offset, length, want, line)


def bench_block(block):
    """Returns the 4 KiB of block @block of the bench pattern."""
    return struct.pack("<Q", ((block + 1) * BENCH_TAG_MULT) & _MASK64) + _BENCH_TAIL


def sector_bytes(sector):
    """Returns the 512 bytes of sector @sector of the sector pattern."""
    tail = bytes((7 * sector + 13 * k) & 0xFF for k in range(8, SECTOR))
    return struct.pack("<Q", (sector ^ SECTOR_MAGIC) & _MASK64) + tail


def pattern_bytes(pattern, offset, length):
    """Returns bytes [@offset, @offset + @length) of an image filled with @pattern."""
    if pattern == "zero":
        return bytes(length)
    unit, make = (BENCH_BLOCK, bench_block) if pattern == "bench" else (SECTOR, sector_bytes)
    first, last = offset // unit, (offset + length - 1) // unit
    data = b"".join(make(n) for n in range(first, last + 1))
    start = offset - first * unit
    return data[start:start + length]


def create(disk, path):
    """Writes @disk's fresh raw image at @path (replacing any), filled with its pattern."""
    with open(path, "wb") as f:
        if disk.fill == "zero":
            f.truncate(disk.size)
            return
        chunk = 1 << 20
        for offset in range(0, disk.size, chunk):
            f.write(pattern_bytes(disk.fill, offset, min(chunk, disk.size - offset)))


def _blockdev(disk, path, image=None):
    """Returns the -blockdev JSON of @disk's image at @path: raw over the file (or over the
    node @image, e.g. wcache's NBD server), with a blkdebug layer between them when sectors
    must fail. cache=writeback (no O_DIRECT, flushes reach the file) and aio=threads: they
    work on any host file system."""
    image = image or {"driver": "file", "filename": path, "aio": "threads"}
    node = image
    if disk.errors:
        rules = [{"event": event, "sector": sector, "errno": errno}
                 for sector, errno in disk.errors for event in ("read_aio", "write_aio")]
        node = {"driver": "blkdebug", "image": image, "inject-error": rules}
    return json.dumps({"driver": "raw", "node-name": NODE, "file": node,
                       "cache": {"direct": False, "no-flush": False}})


def qemu_flags(disk, path, image=None):
    """Returns QEMU's flags that attach @disk's image @path (through the -blockdev node
    @image if given: a volatile write cache's NBD server): the IOMMU first (QEMU wants it
    before the devices behind it), then the virtio-blk function, modern-only, its DMA
    translated by the IOMMU.

    With failing sectors, request-merging=off: QEMU's virtio-blk otherwise merges adjacent
    requests into one I/O, and blkdebug's error then fails every request merged with the one
    that touches the sector (the device's verdict, not the driver's), so a test could not
    say which requests must fail."""
    device = "virtio-blk-pci,drive=%s,addr=%s,disable-legacy=on,iommu_platform=on" % (
        NODE, PCI_ADDR)
    if disk.errors:
        device += ",request-merging=off"
    return ["-device", "intel-iommu,aw-bits=48", "-blockdev", _blockdev(disk, path, image),
            "-device", device]


def journal_record_ok(sector, seq):
    """Is the 512-byte @sector an intact journal record number @seq? Written from the format
    in apps/journal/journal_rec.h, independently of the guest's code."""
    magic, length, got_seq = struct.unpack_from("<IIQ", sector)
    (crc,) = struct.unpack_from("<I", sector, SECTOR - 4)
    return (magic == JREC_MAGIC and length <= JREC_TEXT and got_seq == seq and
            crc == zlib.crc32(sector[:SECTOR - 4]) & 0xFFFFFFFF)


def journal_count(data):
    """Counts the intact records 0, 1, ... at the start of @data, up to the first that is not."""
    n = 0
    while (n + 1) * SECTOR <= len(data) and \
            journal_record_ok(data[n * SECTOR:(n + 1) * SECTOR], n):
        n += 1
    return n


def journal_record(seq, text):
    """Returns the 512 bytes of an intact journal record @seq holding @text (ASCII), in the
    format of apps/journal/journal_rec.h."""
    body = struct.pack("<IIQ", JREC_MAGIC, len(text), seq) + text.encode("ascii")
    body = body.ljust(SECTOR - 4, b"\0")
    return body + struct.pack("<I", zlib.crc32(body) & 0xFFFFFFFF)


def acked(lines, domain):
    """Returns the highest record number that serial @lines say @domain flushed
    (`DOMAIN: journal: record N flushed`), or -1 if none."""
    flushed = re.compile(_FLUSHED % re.escape(domain))
    found = [int(m.group(1)) for m in map(flushed.match, lines) if m]
    return max(found, default=-1)


def _read(path, offset, length):
    """Returns bytes [@offset, @offset + @length) of image @path (fewer if it is shorter)."""
    with open(path, "rb") as f:
        f.seek(offset)
        return f.read(length)


def verify_acked(check, path, lines):
    """Runs a `journal-acked` @check on image @path against the serial @lines of the boot
    before it. Returns (None or the reason, C: the intact records found)."""
    found = journal_count(_read(path, check.offset, check.length))
    last = acked(lines, check.domain)
    if found >= last + 1:
        return None, found
    return "%r: %d intact journal records, but %s said record %d was flushed" % (
        check, found, check.domain, last), found


def tear(step, path):
    """Performs @step (a Tear) on image @path: over the sector after the C intact records,
    the first TEAR_BYTES of record C, the rest left as it was. Returns (None or the reason
    why it could not, C)."""
    found = journal_count(_read(path, step.offset, step.length))
    at = step.offset + found * SECTOR
    if at + SECTOR > step.offset + step.length:
        return "%r: the journal is full, no sector to tear" % step, found
    old = _read(path, at, SECTOR)
    new = journal_record(found, "record %d, torn by the host" % found)[:TEAR_BYTES]
    if journal_record_ok(new + old[TEAR_BYTES:], found):
        return "%r: the torn record %d would be intact" % (step, found), found
    with open(path, "r+b") as f:
        f.seek(at)
        f.write(new)
    return None, found


def _first_difference(got, want):
    """Returns the index of the first byte where @got and @want differ."""
    return next(i for i, (a, b) in enumerate(zip(got, want)) if a != b)


def verify(check, path, lines=()):
    """Checks the bytes of image @path that @check names (a `journal-acked` check against
    serial @lines). Returns None if they are right, else the reason (the first wrong byte,
    or the SHA-256 found)."""
    if check.want == ACKED:
        return verify_acked(check, path, lines)[0]
    got = _read(path, check.offset, check.length)
    if len(got) != check.length:
        return "%r: the image is shorter" % check
    match = _JOURNAL.match(check.want)
    if match:
        found, wanted = journal_count(got), int(match.group(1))
        return None if found == wanted else "%r: %d intact journal records, not %d" % (
            check, found, wanted)
    if check.want not in PATTERNS:
        digest = hashlib.sha256(got).hexdigest()
        return None if digest == check.want else "%r: the bytes hash to %s" % (check, digest)
    want = pattern_bytes(check.want, check.offset, check.length)
    if got == want:
        return None
    at = _first_difference(got, want)
    return "%r: byte at offset %d is 0x%02x, not 0x%02x" % (check, check.offset + at, got[at],
                                                            want[at])


def verify_all(disk, path):
    """Runs every check of @disk on image @path. Returns None if all pass, else the first
    failure's reason."""
    for check in disk.checks:
        reason = verify(check, path)
        if reason:
            return reason
    return None


def image_path(workdir):
    """Returns where a test's disk image lives: in its work directory, so a fresh run
    starts from a fresh image and every boot of one run shares it."""
    return os.path.join(workdir, "disk.img")
