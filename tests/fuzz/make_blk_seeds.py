#!/usr/bin/env python3
"""Writes the seeds of the `blk` fuzz target (tests/fuzz/fuzz_blk.c) into a directory.

Each seed is a limits header (22 bytes) and one ring message (a 16-byte header, then a
struct blk_req): valid requests of every op, and one of each kind the decoder must refuse.
Usage: make_blk_seeds.py DIRECTORY
"""

import os
import struct
import sys

MSG_REQ = 0x0B01
READ, WRITE, FLUSH, INFO = 1, 2, 3, 4


def limits(ro=0, block_shift=0, regions=2, capacity=4096, sizes=(1 << 20, 65536, 4096),
           writable=0b011):
    """The header fuzz_blk.c reads: flags, capacity, three region sizes, writable bits."""
    flags = ro | (block_shift << 1) | (regions << 4)
    return (bytes([flags]) + struct.pack("<Q", capacity) + struct.pack("<3I", *sizes)
            + bytes([writable]))


def request(op, region=0, sector=0, count=0, reserved=0, offset=0, length=None,
            msg_type=MSG_REQ, flags=0, tag=1, msg_len=40):
    """A ring message holding a struct blk_req (length defaults to count * 512)."""
    if length is None:
        length = count * 512
    body = struct.pack("<IIQIIQQ", op, region, sector, count, reserved, offset, length)
    return struct.pack("<IHHQ", msg_len, msg_type, flags, tag) + body


SEEDS = {
    "read-ok": limits() + request(READ, 0, 100, 8, offset=4096),
    "write-ok": limits() + request(WRITE, 1, 0, 8),
    "flush-ok": limits() + request(FLUSH),
    "info-ok": limits() + request(INFO, region=1),
    "read-4k-blocks": limits(block_shift=3) + request(READ, 0, 8, 8),
    "write-ro-disk": limits(ro=1) + request(WRITE, 0, 0, 1),
    "read-into-ro-region": limits() + request(READ, 1, 0, 1),
    "past-the-end": limits() + request(READ, 0, 4095, 2),
    "sector-wraps": limits() + request(READ, 0, (1 << 64) - 8, 8),
    "offset-wraps": limits() + request(WRITE, 0, 0, 8, offset=(1 << 64) - 512),
    "length-mismatch": limits() + request(READ, 0, 0, 1, length=511),
    "bad-type": limits() + request(READ, 0, 0, 1, msg_type=7),
    "short-message": limits() + request(READ, 0, 0, 1, msg_len=39),
    "more-flag": limits() + request(READ, 0, 0, 1, flags=1),
    "no-regions": limits(regions=0) + request(READ, 0, 0, 1),
}


def write_seeds(argv, seeds):
    """Writes @seeds ({name: bytes}) into argv[1]; argv[0] names the script for its usage
    line. Also used by make_storage_seeds.py. Returns the exit status."""
    if len(argv) != 2:
        print("usage: %s DIRECTORY" % os.path.basename(argv[0]), file=sys.stderr)
        return 2
    os.makedirs(argv[1], exist_ok=True)
    for name, data in seeds.items():
        with open(os.path.join(argv[1], name), "wb") as f:
            f.write(data)
    return 0


def main(argv):
    """Writes every seed into argv[1]. Returns the exit status."""
    return write_seeds(argv, SEEDS)


if __name__ == "__main__":
    sys.exit(main(sys.argv))
