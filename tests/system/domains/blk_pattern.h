/* Block system tests: the sector pattern the client writes and the host checks (disk.py "sector"). */
#ifndef TESTS_BLK_PATTERN_H
#define TESTS_BLK_PATTERN_H

#include <stdint.h>

/*
 * Sector s of the disk holds, once blk_client wrote it: bytes 0-7 the 64-bit little-endian
 * s ^ BLK_PATTERN_MAGIC, byte k (8 <= k < 512) (7 * s + 13 * k) & 0xff. tools/bulkhead/disk.py
 * computes the same bytes for `disk-check ... sector` (its unit test reads this file).
 */
#define BLK_PATTERN_MAGIC 0x626c6b5f73656374ULL /* "blk_sect" */

/* Returns byte @k (0 <= k < 512) of the pattern of sector @sector. */
static inline uint8_t blk_pattern_byte(uint64_t sector, uint32_t k)
{
	if (k < 8)
		return (uint8_t)((sector ^ BLK_PATTERN_MAGIC) >> (8 * k));
	return (uint8_t)((7u * sector + 13u * (uint64_t)k) & 0xffu);
}

#endif
