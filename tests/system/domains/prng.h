/* Small deterministic generators for tests: xorshift64 and splitmix64 (fixed seeds). */
#ifndef TESTS_PRNG_H
#define TESTS_PRNG_H

#include <stdint.h>

/* Advances the xorshift64 state @s (never 0) and returns the new value. */
static inline uint64_t prng_next(uint64_t *s)
{
	uint64_t x = *s;

	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	*s = x;
	return x;
}

/* Mixes @x into a well-spread 64-bit value (splitmix64's finalizer). As an xorshift
 * seed, OR in 1: xorshift must not start at 0. */
static inline uint64_t prng_mix(uint64_t x)
{
	x += 0x9e3779b97f4a7c15ull;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
	return x ^ (x >> 31);
}

#endif
