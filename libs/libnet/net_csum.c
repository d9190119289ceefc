/* libnet: the Internet checksum (RFC 1071) and the IPv4 pseudo-header. */
#include <string.h>

#include "net_internal.h"

/* Eight bytes at a time in this CPU's byte order, then one swap (RFC 1071 section 2(B): the
 * sum does not depend on byte order); written for little-endian machines. */
_Static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__, "net_csum_add swaps for little-endian");

/* One's complement addition of 64-bit words: the carry out of bit 63 comes back in at bit 0
 * (2^64 = 1 modulo 0xffff, like 2^16). */
static uint64_t add64(uint64_t s, uint64_t w)
{
	s += w;
	return s + (s < w);
}

/* @s folded to 16 bits; 0 only if @s is 0. */
static uint32_t fold64(uint64_t s)
{
	s = (s & 0xffffffffu) + (s >> 32);
	s = (s & 0xffffu) + (s >> 16);
	s = (s & 0xffffu) + (s >> 16);
	return (uint32_t)((s & 0xffffu) + (s >> 16));
}

uint32_t net_csum_add(uint32_t sum, const uint8_t *p, size_t len)
{
	uint64_t s = 0, w;
	size_t i = 0;

	for (; i + 8 <= len; i += 8) {
		memcpy(&w, p + i, 8);
		s = add64(s, w);
	}
	if (i < len) { /* the tail, zero-padded: an odd last byte is a word's high byte */
		w = 0;
		memcpy(&w, p + i, len - i);
		s = add64(s, w);
	}
	uint32_t native = fold64(s);
	sum += ((native & 0xffu) << 8) | (native >> 8);
	return (sum & 0xffffu) + (sum >> 16);
}

uint16_t net_csum_fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffffu) + (sum >> 16);
	return (uint16_t)~sum;
}

uint32_t net_csum_pseudo(uint32_t src, uint32_t dst, uint8_t proto, size_t len)
{
	uint32_t sum = (src >> 16) + (src & 0xffffu) + (dst >> 16) + (dst & 0xffffu);

	return sum + proto + (uint32_t)len;
}
