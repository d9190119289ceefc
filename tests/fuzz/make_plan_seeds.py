#!/usr/bin/env python3
# Plan seeds: turns boot plans written by `bhc compile` into seeds of the `plan` fuzz target.
"""Usage: make_plan_seeds.py OUTDIR PLAN...

Writes into OUTDIR, for each PLAN (a boot plan from `bhc compile`), named after
the plan's file name:
  valid-NAME    mode byte 0x01 (checksum re-fixed) + the valid plan
and, from the first PLAN only, broken variants that reach the checker's early
exits (see tests/fuzz/fuzz_plan.c for the mode byte):
  raw-valid           mode 0x00 + the valid plan (the checksum is already right)
  raw-empty, raw-one  no plan bytes / one byte
  raw-header-short    the header minus its last byte
  raw-header-only     just the header
  raw-half            the first half of the plan, total_size unchanged
  raw-bad-magic, raw-bad-version, raw-bad-crc
  fix-half-size       mode 0x03: the first half, total_size and checksum re-fixed
  fix-table-outside   mode 0x01: the caps table moved past the end
  fix-tables-overlap  mode 0x01: the regions table moved onto the domains table
"""
import os
import struct
import sys

HEADER = 144
# Offsets in struct bp_header (abi/include/bulkhead/abi/plan.h).
VERSION, TOTAL, CHECKSUM = 8, 16, 20
DOMAINS, REGIONS, CAPS = 64, 72, 96


def patch32(data, offset, value):
    """@data with the little-endian u32 at @offset replaced by @value."""
    return data[:offset] + struct.pack("<I", value) + data[offset + 4:]


def variants(plan):
    """The broken variants of @plan: {name: seed bytes}."""
    half = plan[:len(plan) // 2]
    domains_offset = struct.unpack_from("<I", plan, DOMAINS)[0]
    return {
        "raw-valid": b"\x00" + plan,
        "raw-empty": b"\x00",
        "raw-one": b"\x00" + plan[:1],
        "raw-header-short": b"\x00" + plan[:HEADER - 1],
        "raw-header-only": b"\x00" + plan[:HEADER],
        "raw-half": b"\x00" + half,
        "raw-bad-magic": b"\x00" + b"X" + plan[1:],
        "raw-bad-version": b"\x00" + patch32(plan, VERSION, 1),
        "raw-bad-crc": b"\x00" + patch32(plan, CHECKSUM, struct.unpack_from(
            "<I", plan, CHECKSUM)[0] ^ 1),
        "fix-half-size": b"\x03" + half,
        "fix-table-outside": b"\x01" + patch32(plan, CAPS, len(plan)),
        "fix-tables-overlap": b"\x01" + patch32(plan, REGIONS, domains_offset + 8),
    }


def main():
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    seeds = {}
    for i, path in enumerate(sys.argv[2:]):
        with open(path, "rb") as f:
            plan = f.read()
        seeds["valid-" + os.path.splitext(os.path.basename(path))[0]] = b"\x01" + plan
        if i == 0:
            seeds.update(variants(plan))
    for name, data in sorted(seeds.items()):
        with open(os.path.join(out, name), "wb") as f:
            f.write(data)


if __name__ == "__main__":
    main()
