#!/usr/bin/env python3
"""Writes the seeds of the `dhcp` fuzz target (fuzz_dhcp.c).

Each seed: the set-up byte (bit 0: replies made the client's own; bits 1-7: seconds between
replies), then length-prefixed DHCP replies from 10.0.2.2: an OFFER and an ACK (a lease),
then a NAK, renewal ACKs, a reply with pads, unknown options and overload, and a few broken
ones (short, bad cookie, an option past the end).
Usage: make_dhcp_seeds.py CORPUS_DIRECTORY   (writes CORPUS_DIRECTORY/dhcp)
"""

import os
import struct
import sys

MAC = bytes([2, 0, 0, 0, 0, 0x0F])
LEASE = bytes([1, 4, 255, 255, 255, 0, 3, 4, 10, 0, 2, 2, 54, 4, 10, 0, 2, 2,
               51, 4, 0, 0, 0, 100, 58, 4, 0, 0, 0, 50, 59, 4, 0, 0, 0, 87])


def reply(kind, options=LEASE, yiaddr=bytes([10, 0, 2, 15]), end=True):
    """A BOOTREPLY of DHCP type @kind (xid 0: the target writes the client's in)."""
    fixed = struct.pack("!BBBBIHH4s4s4s4s16s64s128s", 2, 1, 6, 0, 0, 0, 0, bytes(4), yiaddr,
                        bytes(4), bytes(4), MAC + bytes(10), bytes(64), bytes(128))
    return fixed + struct.pack("!I", 0x63825363) + bytes([53, 1, kind]) + options + \
        (b"\xff" if end else b"")


def record(data):
    """A length-prefixed reply."""
    return struct.pack("!H", len(data)) + data


SEEDS = {
    "lease": bytes([1 | 2 << 1]) + record(reply(2)) + record(reply(5)),
    "renew": bytes([1 | 60 << 1]) + record(reply(2)) + record(reply(5)) + record(reply(5)),
    "nak": bytes([1 | 1 << 1]) + record(reply(2)) + record(reply(6, b"")) + record(reply(2)),
    "odd": bytes([1]) + record(reply(2, b"\0\0" + bytes([200, 2, 1, 2, 52, 1, 3]) + LEASE)),
    "bad": bytes([1]) + record(reply(2)[:239]) + record(reply(2)[:236] + b"\0\0\0\0" + LEASE)
    + record(reply(2, bytes([51, 9, 0]))) + record(reply(5, LEASE, end=False)),
    "stranger": bytes([0]) + record(reply(2)) + record(reply(5)),
}


def main(argv):
    """Writes every seed into argv[1]/dhcp. Returns the exit status."""
    if len(argv) != 2:
        print(__doc__.strip().splitlines()[-1], file=sys.stderr)
        return 2
    out = os.path.join(argv[1], "dhcp")
    os.makedirs(out, exist_ok=True)
    for name, data in SEEDS.items():
        with open(os.path.join(out, name), "wb") as f:
            f.write(data)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
