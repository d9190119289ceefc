#!/usr/bin/env python3
"""Writes seeds for the fuzz target `save` into tests/fuzz/corpus/save/: slots of a save
volume as services/control/ctl_save.h lays them out, for the simulated target of
fuzz_save.c (three spans of 1, 2 and 1 pages): a whole valid save, the same with its data
cut short, a wiped slot and another domain's save."""

import hashlib
import os
import struct

PAGE = 4096
SPANS = [(0x400000, PAGE, 2), (0x800000, 2 * PAGE, 1), (0x900000, PAGE, 1)]
MAGIC = 0x31564153484B4842
OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "corpus", "save")


def header(name, data, digest=b"\0" * 32):
    """The 4096-byte header of a save of @name holding @data."""
    h = struct.pack("<QII32sIIQQ32s56x", MAGIC, 1, len(SPANS), name.encode(), 0, 0,
                    len(data), 0, digest)
    for vaddr, size, flags in SPANS:
        h += struct.pack("<QQII", vaddr, size, flags, 0)
    h += b"\0" * (64 - len(SPANS)) * 24
    h += b"\0" * 768  # the vCPU state
    return h + b"\0" * (4096 - len(h))


def save(name):
    """A valid slot: the header with its SHA-256 over itself (hash zero) and the data."""
    data = bytes((i * 7 + 3) & 0xFF for i in range(sum(s[1] for s in SPANS)))
    digest = hashlib.sha256(header(name, data) + data).digest()
    return header(name, data, digest) + data


def main():
    """Writes the seeds."""
    os.makedirs(OUT, exist_ok=True)
    seeds = {"valid": save("counter"), "short": save("counter")[:4096 + PAGE + 100],
             "wiped": b"\0" * 4096, "other": save("echo")}
    for name, blob in seeds.items():
        with open(os.path.join(OUT, name), "wb") as f:
            f.write(blob)


if __name__ == "__main__":
    main()
