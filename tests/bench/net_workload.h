/* Network benchmark workload: the host peer's ports, the sizes and counts, the byte pattern and its CRC-32. */
#ifndef BULKHEAD_NET_WORKLOAD_H
#define BULKHEAD_NET_WORKLOAD_H

/*
 * Written once for both guests of `bulkhead bench`'s network rows: the Linux program
 * (tests/bench/linux/netbench.c) and the Bulkhead bench domain (tests/bench/bench_net.c).
 * tools/bulkhead/netbench.py runs the peer on the host's loopback and mirrors these numbers
 * (its unit test reads this file). Freestanding: <stdint.h> and <stddef.h> only.
 *
 * The guest is 10.0.2.15/24 on QEMU's user network; 10.0.2.2 is the host's loopback, so the
 * guest reaches the peer's ports on 127.0.0.1 by the same numbers:
 *  - NW_UDP_PORT: UDP echo, every datagram sent back to its sender as it came;
 *  - NW_SOURCE_PORT: TCP source: the guest sends an 8-byte little-endian count N, the peer
 *    sends N bytes of the pattern (stream byte i is nw_byte(i)) and closes;
 *  - NW_SINK_PORT: TCP sink: the guest sends the count N, then N bytes of the pattern; the
 *    peer reads them and answers the 4-byte little-endian CRC-32 of the N bytes, and closes.
 */

#include <stddef.h>
#include <stdint.h>

#define NW_GUEST_IP 0x0a00020fu /* 10.0.2.15 */
#define NW_PEER_IP 0x0a000202u  /* 10.0.2.2: the host's loopback */
#define NW_NETMASK 0xffffff00u
#define NW_UDP_PORT 47311u
#define NW_SOURCE_PORT 47312u
#define NW_SINK_PORT 47313u

#define NW_UDP_BYTES 64u        /* UDP payload of one round trip */
#define NW_UDP_COUNT 2000u      /* timed round trips */
#define NW_UDP_WARMUP 64u       /* untimed round trips first (ARP, caches) */
#define NW_TCP_BYTES (4u << 20) /* bytes of each TCP transfer */
#define NW_CHUNK 65536u         /* bytes per send or receive call at most */
#define NW_PERIOD 4093u         /* the pattern repeats every NW_PERIOD bytes */

/* Returns byte @i of the pattern. */
static inline uint8_t nw_byte(uint64_t i)
{
	uint32_t k = (uint32_t)(i % NW_PERIOD);

	return (uint8_t)((k * 2654435761u) >> 24);
}

/* Returns the CRC-32 (IEEE, reflected, as zlib's crc32) of @crc's stream continued by @len
 * bytes of @p; start with @crc = 0. Bitwise: it runs outside the measurements. */
static inline uint32_t nw_crc32(uint32_t crc, const uint8_t *p, size_t len)
{
	crc = ~crc;
	for (size_t i = 0; i < len; i++) {
		crc ^= p[i];
		for (int b = 0; b < 8; b++)
			crc = (crc >> 1) ^ (0xedb88320u & (0u - (crc & 1u)));
	}
	return ~crc;
}

/* Returns the CRC-32 of the first @n bytes of the pattern, from @src: at least NW_PERIOD
 * bytes of it (src[j] = nw_byte(j)). */
static inline uint32_t nw_pattern_crc(const uint8_t *src, uint64_t n)
{
	uint32_t crc = 0;

	for (uint64_t at = 0; at < n;) {
		uint64_t left = n - at, len = left < NW_PERIOD ? left : NW_PERIOD;
		crc = nw_crc32(crc, src, (size_t)len);
		at += len;
	}
	return crc;
}

#endif
