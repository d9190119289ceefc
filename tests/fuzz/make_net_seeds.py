#!/usr/bin/env python3
"""Writes the seeds of the `net` fuzz target (tests/fuzz/fuzz_net.c) into a directory.

Each seed is a mode byte and records: ring messages (type, flags, length, a struct net_req),
frames arriving, transmit completions and link changes: a valid exchange of every op, and one
request of each kind the driver must refuse.
Usage: make_net_seeds.py DIRECTORY
"""

import struct
import sys

from make_blk_seeds import write_seeds

MSG_REQ, MSG_RESP = 0x0E01, 0x0E02
INFO, RX, TX = 1, 2, 3


def message(op, offset=0, length=0, reserved=0, msg_type=MSG_REQ, flags=0, size=24):
    """A kind-0 record: a ring message holding a struct net_req (cut or padded to @size)."""
    body = struct.pack("<IIQQ", op, reserved, offset, length)
    body = (body + bytes(size))[:size]
    return bytes([0]) + struct.pack("<HHB", msg_type, flags, size) + body


def frame(length):
    """A kind-1 record: a frame of @length bytes arrives."""
    return bytes([1]) + struct.pack("<H", length)


TX_DONE, LINK = bytes([2]), bytes([3])
RX_BUFS = b"".join(message(RX, 64 + i * 2048, 1600) for i in range(4))

SEEDS = {
    "info": bytes([0]) + message(INFO),
    "rx-frames": bytes([0]) + RX_BUFS + frame(60) + frame(1514) + frame(14),
    "tx-frames": bytes([0]) + message(TX, 0x8000, 60) + message(TX, 0x9000, 1514),
    "tx-held": bytes([2]) + message(TX, 0x8000, 60) + message(TX, 0x9000, 100) + TX_DONE,
    "no-event-index": bytes([1]) + RX_BUFS + frame(100) + message(TX, 0x8000, 60),
    "link": bytes([0]) + LINK + message(INFO) + LINK,
    "runt-frame": bytes([0]) + RX_BUFS + frame(10),
    "no-headroom": bytes([0]) + message(TX, 8, 60),
    "past-the-region": bytes([0]) + message(TX, 0x10000 - 59, 60),
    "wrapping-span": bytes([0]) + message(RX, (1 << 64) - 100, 2000),
    "giant-frame": bytes([0]) + message(TX, 0x8000, 1515),
    "short-rx-buffer": bytes([0]) + message(RX, 0x8000, 1513),
    "reserved-set": bytes([0]) + message(TX, 0x8000, 60, reserved=1),
    "unknown-op": bytes([0]) + message(9, 0x8000, 60),
    "wrong-type": bytes([0]) + message(TX, 0x8000, 60, msg_type=MSG_RESP),
    "short-message": bytes([0]) + message(TX, 0x8000, 60, size=23),
    "more-flag": bytes([0]) + message(TX, 0x8000, 60, flags=1),
    "over-limit": bytes([2]) + b"".join(message(TX, 0x8000, 60) for _ in range(70)) + TX_DONE,
}


def main(argv):
    """Writes every seed into argv[1]. Returns the exit status."""
    return write_seeds(argv, SEEDS)


if __name__ == "__main__":
    sys.exit(main(sys.argv))
