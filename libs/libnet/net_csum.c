/* libnet: the Internet checksum (RFC 1071) and the IPv4 pseudo-header. */
#include "net_internal.h"

uint32_t net_csum_add(uint32_t sum, const uint8_t *p, size_t len)
{
	size_t i;

	for (i = 0; i + 1 < len; i += 2) {
		sum += net_get16(p + i);
		sum = (sum & 0xffffu) + (sum >> 16);
	}
	if (len & 1u)
		sum += (uint32_t)p[len - 1] << 8;
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
