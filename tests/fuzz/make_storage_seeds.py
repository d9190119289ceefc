#!/usr/bin/env python3
"""Writes the seeds of the `storage` fuzz target (tests/fuzz/fuzz_storage.c) into a directory.

Each seed is a volume header (29 bytes) and one ring message (a 16-byte header, then a
struct blk_req): valid requests of every op, and one of each kind the checks must refuse.
Usage: make_storage_seeds.py DIRECTORY
"""

import struct
import sys

# The ring message and the block protocol's ops are those of the blk target's seeds.
from make_blk_seeds import FLUSH, INFO, READ, WRITE, request, write_seeds


def volume(ro=0, block_shift=0, first=2048, sectors=4096, data=65536, drv_region=2,
           max_sectors=256):
    """The header fuzz_storage.c reads: flags, first sector, sectors, data size, region, max."""
    return (bytes([ro | (block_shift << 1)]) + struct.pack("<QQIII", first, sectors, data,
                                                           drv_region, max_sectors))


SEEDS = {
    "read-ok": volume() + request(READ, 0, 100, 8, offset=4096),
    "write-ok": volume() + request(WRITE, 0, 4088, 8),
    "flush-ok": volume() + request(FLUSH),
    "info-ok": volume() + request(INFO),
    "read-4k-blocks": volume(block_shift=3) + request(READ, 0, 8, 8),
    "write-ro-volume": volume(ro=1) + request(WRITE, 0, 0, 1),
    "past-the-end": volume() + request(READ, 0, 4095, 2),
    "sector-wraps": volume() + request(READ, 0, (1 << 64) - 8, 8),
    "offset-wraps": volume() + request(WRITE, 0, 0, 8, offset=(1 << 64) - 512),
    "outside-data": volume() + request(READ, 0, 0, 8, offset=65536 - 512),
    "other-region": volume() + request(READ, 1, 0, 1),
    "too-long": volume() + request(READ, 0, 0, 257),
    "length-mismatch": volume() + request(READ, 0, 0, 1, length=511),
    "bad-type": volume() + request(READ, 0, 0, 1, msg_type=7),
    "short-message": volume() + request(READ, 0, 0, 1, msg_len=39),
    "volume-at-disk-end": volume(first=(1 << 64) - 4097, sectors=4096) + request(READ, 0, 4095, 1),
}


def main(argv):
    """Writes every seed into argv[1]. Returns the exit status."""
    return write_seeds(argv, SEEDS)


if __name__ == "__main__":
    sys.exit(main(sys.argv))
