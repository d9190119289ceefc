/* stoporder test: fills its own stdout ring with random bytes, then faults at once. */
#include <stdint.h>
#include <string.h>

#include <bh.h>

#include "prng.h"

int main(void)
{
	const struct bh_info_entry *e = bh_lookup("stdout", BH_RES_RING);
	uint64_t seed = prng_mix(0x5709) | 1;

	if (!e)
		return 1; /* no stop line: the test misses its expects */
	/* Indices, events and slots alike: the console must refuse the ring, and go on. */
	for (uint64_t off = 0; off + sizeof(uint64_t) <= e->size; off += sizeof(uint64_t)) {
		uint64_t v = prng_next(&seed);
		memcpy((void *)(uintptr_t)(e->vaddr + off), &v, sizeof(v));
	}
	__builtin_trap();
}
