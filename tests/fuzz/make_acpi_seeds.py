#!/usr/bin/env python3
"""Writes the seeds of the `acpi` fuzz target: ACPI tables as QEMU's q35 firmware
builds them (RSDP, XSDT, RSDT, MCFG, DMAR), and a few richer DMARs, each as
a mode byte (see tests/fuzz/fuzz_acpi.c) followed by the table.

Usage: tests/fuzz/make_acpi_seeds.py tests/fuzz/corpus/acpi
"""

import os
import struct
import sys

RSDP, ROOT, MCFG, DMAR = 0, 1, 2, 3
XSDT_BIT, RESEAL_BIT = 4, 8


def checksum(data, at):
    """Returns @data with byte @at set so that all bytes sum to 0 (mod 256)."""
    data = bytearray(data)
    data[at] = 0
    data[at] = (-sum(data)) & 0xff
    return bytes(data)


def table(sig, body):
    """A table: the 36-byte header (length and checksum filled in), then @body."""
    head = sig + struct.pack("<IBB6s8sI4sI", 36 + len(body), 1, 0, b"BOCHS ", b"BXPC    ", 1,
                             b"BXPC", 1)
    return checksum(head + body, 9)


def rsdp_v1(rsdt):
    """An ACPI 1.0 RSDP (revision 0, 20 bytes)."""
    return checksum(struct.pack("<8sB6sBI", b"RSD PTR ", 0, b"BOCHS ", 0, rsdt), 8)


def rsdp(rsdt, xsdt):
    """An ACPI 2.0 RSDP (revision 2, 36 bytes): both checksums filled in."""
    first = checksum(struct.pack("<8sB6sBI", b"RSD PTR ", 0, b"BOCHS ", 2, rsdt), 8)
    return checksum(first + struct.pack("<IQB3s", 36, xsdt, 0, b""), 32)


def scope(kind, bus, path):
    """A DMAR device scope: @kind from @bus through the (device, function) pairs @path."""
    steps = b"".join(struct.pack("<BB", d, f) for d, f in path)
    return struct.pack("<BBHBB", kind, 6 + len(steps), 0, 0, bus) + steps


def drhd(flags, base, scopes=b"", segment=0, size=0):
    """A DRHD structure."""
    return struct.pack("<HHBBHQ", 0, 16 + len(scopes), flags, size, segment, base) + scopes


def dmar(haw, flags, structures):
    """A DMAR table."""
    return table(b"DMAR", struct.pack("<BB10s", haw, flags, b"") + structures)


def seeds():
    """Returns {name: bytes} of every seed."""
    mcfg = table(b"MCFG", bytes(8) + struct.pack("<QHBBI", 0xb0000000, 0, 0, 255, 0))
    xsdt = table(b"XSDT", struct.pack("<QQQQ", 0x1ffe1000, 0x1ffe2000, 0x1ffe3000, 0x1ffe4000))
    rsdt = table(b"RSDT", struct.pack("<IIII", 0x1ffe1000, 0x1ffe2000, 0x1ffe3000, 0))
    ioapic = scope(3, 0xff, [(0, 0)])
    rmrr = struct.pack("<HHHHQQ", 1, 24 + 8, 0, 0, 0xe0000, 0xeffff) + scope(1, 0, [(0x1d, 0)])
    atsr = struct.pack("<HHBBH", 2, 8, 1, 0, 0)
    rich = (drhd(0, 0xfed91000, scope(1, 0, [(0x1c, 0), (0, 1)]) + scope(2, 0, [(0x1c, 1)]),
                 size=1)
            + rmrr + atsr + drhd(1, 0xfed90000, ioapic))
    return {
        "rsdp-v2": bytes([RSDP]) + rsdp(0x1ffe1000, 0x1ffe2000),
        "rsdp-v2-reseal": bytes([RSDP | RESEAL_BIT]) + rsdp(0x1ffe1000, 0x1ffe2000),
        "rsdp-v1": bytes([RSDP]) + rsdp_v1(0x1ffe1000),
        "xsdt": bytes([ROOT | XSDT_BIT]) + xsdt,
        "xsdt-reseal": bytes([ROOT | XSDT_BIT | RESEAL_BIT]) + xsdt,
        "rsdt": bytes([ROOT]) + rsdt,
        "mcfg-q35": bytes([MCFG]) + mcfg,
        "mcfg-q35-reseal": bytes([MCFG | RESEAL_BIT]) + mcfg,
        "dmar-qemu": bytes([DMAR]) + dmar(38, 0, drhd(1, 0xfed90000)),
        "dmar-qemu-intremap": bytes([DMAR]) + dmar(47, 1, drhd(1, 0xfed90000, ioapic)),
        "dmar-qemu-reseal": bytes([DMAR | RESEAL_BIT]) + dmar(38, 1, drhd(1, 0xfed90000, ioapic)),
        "dmar-scopes": bytes([DMAR]) + dmar(45, 1, rich),
        "dmar-scopes-reseal": bytes([DMAR | RESEAL_BIT]) + dmar(45, 1, rich),
    }


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    os.makedirs(sys.argv[1], exist_ok=True)
    for name, data in sorted(seeds().items()):
        with open(os.path.join(sys.argv[1], name), "wb") as f:
            f.write(data)


if __name__ == "__main__":
    main()
