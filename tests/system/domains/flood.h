/* ringflood test: the message stream both ends compute from a seed and a sequence number. */
#ifndef TESTS_FLOOD_H
#define TESTS_FLOOD_H

#include <stdint.h>
#include <string.h>

#include <ring.h>

#include "prng.h"

#define FLOOD_COUNT 1000000u
#define FLOOD_SEED 0x0b01dface5eedull
#define FLOOD_TYPE_DATA 1u /* tag = sequence number, payload from flood_make() */
#define FLOOD_TYPE_END 2u  /* tag = messages sent, payload = the client's checksum */
#define FLOOD_CHECKSUM_INIT 0xcbf29ce484222325ull

/* Buffer for one payload, padded to whole words. */
typedef uint8_t flood_buf[RING_INLINE_MAX + 8];

/*
 * Writes the payload of message @seq into @buf and returns its length, 1..RING_INLINE_MAX.
 * Both ends call it: the server recomputes what the client must have sent.
 */
static inline uint32_t flood_make(uint64_t seq, uint8_t *buf)
{
	uint64_t s = prng_mix(FLOOD_SEED ^ seq) | 1;
	uint32_t len = 1 + (uint32_t)(prng_next(&s) % RING_INLINE_MAX);

	for (uint32_t i = 0; i < len; i += 8) {
		uint64_t w = prng_next(&s);
		memcpy(buf + i, &w, 8);
	}
	return len;
}

/* Folds message @seq's @len bytes at @buf into the running checksum @sum. */
static inline uint64_t flood_sum(uint64_t sum, uint64_t seq, const uint8_t *buf, uint32_t len)
{
	uint64_t w;

	sum = (sum ^ seq ^ ((uint64_t)len << 56)) * 0x100000001b3ull;
	for (uint32_t i = 0; i < len; i += 8) {
		uint32_t n = len - i < 8 ? len - i : 8;
		w = 0;
		memcpy(&w, buf + i, n);
		sum = ((sum << 5 | sum >> 59) ^ w) * 0x100000001b3ull;
	}
	return sum;
}

#endif
