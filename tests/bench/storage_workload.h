/* Storage benchmark workload: the disk's fill pattern, the seeded PRNG and the requests every system runs. */
#ifndef BULKHEAD_STORAGE_WORKLOAD_H
#define BULKHEAD_STORAGE_WORKLOAD_H

/*
 * Written once for both sides of `bulkhead bench`: the Linux program
 * (tests/bench/linux/blkbench.c) and the Bulkhead storage client include this
 * header; tools/bulkhead/linuxbench.py fills the disk image with the same
 * pattern (make_disk) and lists the same workload names (STORAGE_WORKLOADS,
 * checked against this file by its unit test). Freestanding: <stdint.h> only.
 *
 * The disk: SW_DISK_BYTES, raw. Every 4 KiB block b starts with the 64-bit
 * little-endian tag sw_tag(b); byte k (8 <= k < 4096) of a block holds k & 0xff.
 * The workloads touch only the first SW_SPAN_BYTES, so a volume that starts at
 * sector 0 and holds at least SW_SPAN_BYTES sees the same data and requests.
 */

#include <stdint.h>

#define SW_DISK_BYTES (256ULL << 20)
#define SW_SPAN_BYTES (128ULL << 20)
#define SW_BLOCK_BYTES 4096U
#define SW_SEED 0x426c6b6865616431ULL /* "Blkhead1" */
#define SW_TAG_MULT 0x9e3779b97f4a7c15ULL

enum sw_op { SW_READ, SW_WRITE };
enum sw_pattern { SW_RANDOM, SW_SEQUENTIAL };

/* One workload: @count requests of @bytes each, at most @depth in flight. */
struct sw_workload {
	const char *name; /* BENCH lines print NAME_req and NAME_byte_milli */
	enum sw_op op;
	enum sw_pattern pattern;
	uint32_t bytes;
	uint32_t depth;
	uint32_t count;
};

/*
 * In this order: the reads run before the writes change the disk. The counts
 * keep each workload near a second of wall time or more under TCG (the host
 * times it); a sequential workload past SW_SPAN_BYTES starts again at 0.
 */
static const struct sw_workload sw_workloads[] = {
	{"blk_rand4k_qd1", SW_READ, SW_RANDOM, 4096, 1, 2048},
	{"blk_rand4k_qd32", SW_READ, SW_RANDOM, 4096, 32, 4096},
	{"blk_seqread64k_qd1", SW_READ, SW_SEQUENTIAL, 65536, 1, 1024},
	{"blk_seqread64k_qd32", SW_READ, SW_SEQUENTIAL, 65536, 32, 4096},
	{"blk_seqwrite64k_qd1", SW_WRITE, SW_SEQUENTIAL, 65536, 1, 1024},
	{"blk_seqwrite64k_qd32", SW_WRITE, SW_SEQUENTIAL, 65536, 32, 4096},
};

#define SW_WORKLOAD_COUNT (sizeof(sw_workloads) / sizeof(sw_workloads[0]))

/* The PRNG (splitmix64): returns the next value and advances @state. */
static inline uint64_t sw_next(uint64_t *state)
{
	uint64_t z = (*state += 0x9e3779b97f4a7c15ULL);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/*
 * Returns the byte offset of request @index of @w. Needs: @state set to
 * SW_SEED before request 0, and the requests asked for in order 0, 1, 2, ...
 * (a random workload draws one PRNG value per request).
 */
static inline uint64_t sw_offset(const struct sw_workload *w, uint64_t *state, uint32_t index)
{
	uint64_t slots = SW_SPAN_BYTES / w->bytes;

	if (w->pattern == SW_RANDOM)
		return (sw_next(state) % slots) * w->bytes;
	return (index % slots) * w->bytes;
}

/* Returns the tag that starts 4 KiB block @block of the disk. */
static inline uint64_t sw_tag(uint64_t block)
{
	return (block + 1) * SW_TAG_MULT;
}

#endif
