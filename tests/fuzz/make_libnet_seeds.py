#!/usr/bin/env python3
"""Writes the seeds of the `frames` and `tcp` fuzz targets (fuzz_frames.c, fuzz_tcp.c).

`net` seeds: a set-up byte, then length-prefixed frames from 10.0.0.1 (02:00:00:00:00:01) to
the stack at 10.0.0.2: an ARP request and reply, a ping, UDP datagrams to port 7, a TCP
handshake with data and FIN to port 80, and one frame of each kind the stack must drop.
`tcp` seeds: records (mode byte, length, TCP segment) for the live connection of fuzz_tcp.c.
Usage: make_libnet_seeds.py CORPUS_DIRECTORY   (writes CORPUS_DIRECTORY/frames and /tcp)
"""

import os
import struct
import sys

MAC_A = bytes([2, 0, 0, 0, 0, 1])
MAC_B = bytes([2, 0, 0, 0, 0, 2])
IP_A = bytes([10, 0, 0, 1])
IP_B = bytes([10, 0, 0, 2])


def csum(data):
    """The Internet checksum of @data."""
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


def eth(payload, ethertype=0x0800, dst=MAC_B):
    """An Ethernet frame from A."""
    return dst + MAC_A + struct.pack("!H", ethertype) + payload


def ipv4(proto, payload, frag=0):
    """An IPv4 packet from A to B."""
    hdr = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(payload), 1, frag, 64, proto, 0,
                      IP_A, IP_B)
    hdr = hdr[:10] + struct.pack("!H", csum(hdr)) + hdr[12:]
    return eth(hdr + payload)


def arp(op, tpa=IP_B):
    """An ARP packet from A."""
    body = struct.pack("!HHBBH6s4s6s4s", 1, 0x0800, 6, 4, op, MAC_A, IP_A, bytes(6), tpa)
    return eth(body, 0x0806, b"\xff" * 6 if op == 1 else MAC_B)


def pseudo(proto, length):
    """The IPv4 pseudo-header from A to B."""
    return IP_A + IP_B + struct.pack("!BBH", 0, proto, length)


def udp(dport, data):
    """A UDP datagram from A port 1234 with its checksum."""
    seg = struct.pack("!HHHH", 1234, dport, 8 + len(data), 0) + data
    c = csum(pseudo(17, len(seg)) + seg) or 0xFFFF
    return ipv4(17, seg[:6] + struct.pack("!H", c) + seg[8:])


def tcp_seg(seq, ack, flags, data=b"", opts=b"", sport=40000, dport=80, wnd=65535):
    """A TCP segment (header and data) without checksum."""
    off = (20 + len(opts)) // 4
    return struct.pack("!HHIIBBHHH", sport, dport, seq, ack, off << 4, flags, wnd, 0,
                       0) + opts + data


def tcp(seq, ack, flags, data=b"", opts=b""):
    """A TCP segment from A to B's port 80, with its checksum, in a frame."""
    seg = tcp_seg(seq, ack, flags, data, opts)
    c = csum(pseudo(6, len(seg)) + seg)
    return ipv4(6, seg[:16] + struct.pack("!H", c) + seg[18:])


def icmp_echo(data=b"abcdefgh"):
    """An ICMP echo request from A."""
    msg = struct.pack("!BBHHH", 8, 0, 0, 7, 1) + data
    return ipv4(1, msg[:2] + struct.pack("!H", csum(msg)) + msg[4:])


def frames(setup, *fs):
    """A `net` seed: the set-up byte and length-prefixed frames."""
    return bytes([setup]) + b"".join(struct.pack("!H", len(f)) + f for f in fs)


SYN_OPTS = bytes([2, 4, 5, 0xB4, 1, 3, 3, 7])
NET_SEEDS = {
    "arp": frames(0x04, arp(1), arp(2), arp(1, IP_A)),
    "ping": frames(0x04, arp(2), icmp_echo(), icmp_echo(bytes(1400))),
    "udp": frames(0x05, arp(2), udp(7, b"hello"), udp(9, b"nobody"), udp(7, bytes(1472))),
    # The ISN the stack picks is unknown here: the ACKs are refused, the fuzzer finds more.
    "tcp": frames(0x2A, arp(2), tcp(1000, 0, 0x02, opts=SYN_OPTS),
                  tcp(1001, 1, 0x10), tcp(1001, 1, 0x18, b"GET / HTTP/1.1\r\n\r\n"),
                  tcp(1019, 1, 0x11), tcp(5000, 0, 0x04)),
    "bad": frames(0x07, b"\x01" * 10, arp(1)[:30], ipv4(17, b"")[:20],
                  ipv4(17, b"\0" * 8, frag=0x2000), udp(7, b"x")[:-1] + b"\xff",
                  eth(bytes([0x46]) + bytes(30)), tcp(1, 0, 0x03)),
}

TCP_SEEDS = {
    # mode 0x07: ports, seq and ack made relative to the connection.
    "data": bytes([0x07]) + struct.pack("!H", 25) + tcp_seg(0, 0, 0x18, b"hello"),
    "ack-and-window": bytes([0x17]) + struct.pack("!H", 20) + tcp_seg(0, 3000, 0x10, wnd=0),
    "fin": bytes([0x07]) + struct.pack("!H", 20) + tcp_seg(0, 0, 0x11),
    "rst": bytes([0x07]) + struct.pack("!H", 20) + tcp_seg(0, 0, 0x04),
    "out-of-order": bytes([0x27]) + struct.pack("!H", 21) + tcp_seg(100, 0, 0x10, b"x"),
    "old-ack-syn": bytes([0x07]) + struct.pack("!H", 28) + tcp_seg(0, 0xFFFFF000, 0x12,
                                                                   opts=SYN_OPTS),
    "dupacks": (bytes([0x17]) + struct.pack("!H", 20) + tcp_seg(0, 100, 0x10)) * 4,
}


def main():
    """Writes every seed under sys.argv[1]/net and sys.argv[1]/tcp."""
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    for sub, seeds in (("frames", NET_SEEDS), ("tcp", TCP_SEEDS)):
        out = os.path.join(sys.argv[1], sub)
        os.makedirs(out, exist_ok=True)
        for name, data in seeds.items():
            with open(os.path.join(out, name), "wb") as f:
                f.write(data)


if __name__ == "__main__":
    main()
