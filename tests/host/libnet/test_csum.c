/* Host test of libnet's Internet checksum (net_csum.c) against RFC 1071's word-at-a-time sum. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "net_internal.h"

/* The checksum as RFC 1071 writes it: big-endian 16-bit words, one at a time. */
static uint32_t csum_reference(uint32_t sum, const uint8_t *p, size_t len)
{
	for (size_t i = 0; i + 1 < len; i += 2) {
		sum += (uint32_t)p[i] << 8 | p[i + 1];
		sum = (sum & 0xffffu) + (sum >> 16);
	}
	if (len & 1u)
		sum += (uint32_t)p[len - 1] << 8;
	return sum;
}

/* net_csum_add (eight bytes at a time) gives the reference's checksum for every length,
 * alignment and starting sum, for all-zero and all-ones data, and in even pieces. */
static void csum_matches_reference(void **state)
{
	(void)state;
	static uint8_t buf[2048 + 8];
	uint32_t seed = 7;

	for (size_t i = 0; i < sizeof(buf); i++) {
		seed = seed * 1103515245u + 12345u;
		buf[i] = (uint8_t)(seed >> 16);
	}
	for (size_t len = 0; len <= 2048; len += len < 80 ? 1 : 37)
		for (size_t off = 0; off < 8; off++) {
			uint32_t start = (uint32_t)(len * 7919u + off) & 0x1ffffu;
			assert_int_equal(net_csum_fold(net_csum_add(start, buf + off, len)),
			                 net_csum_fold(csum_reference(start, buf + off, len)));
		}
	uint8_t ones[1500], zeros[1500];
	memset(ones, 0xff, sizeof(ones));
	memset(zeros, 0, sizeof(zeros));
	for (size_t len = 0; len <= sizeof(ones); len += 13) {
		assert_int_equal(net_csum_fold(net_csum_add(0, ones, len)),
		                 net_csum_fold(csum_reference(0, ones, len)));
		assert_int_equal(net_csum_fold(net_csum_add(0, zeros, len)), 0xffff);
	}
	uint32_t pieces = net_csum_add(net_csum_add(net_csum_add(0, buf, 20), buf + 20, 1000),
	                               buf + 1020, 475);
	assert_int_equal(net_csum_fold(pieces), net_csum_fold(csum_reference(0, buf, 1495)));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(csum_matches_reference),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
