/* Storage restart tests' client: writes and verifies its volume through the service while the driver restarts. */
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include <bh.h>
#include <libblk.h>

#include "blk_pattern.h"
#include "verdict.h"

/*
 * Built twice (tests/system/meson.build): stor_churn_a on volume vol-a (disk sector
 * CHURN_FIRST = 2048) and stor_churn_b on vol-b (4096). Each pass writes the whole volume in
 * 4 KiB chunks, DEPTH requests in flight, a FLUSH after every FLUSH_EVERY chunks, then reads
 * it all back and compares. Pass p writes the sector pattern (blk_pattern.h, absolute disk
 * sectors) xor mask(p), so that a write lost in one pass shows as the previous pass's bytes.
 * It runs passes until the driver says (region "chaos": [0] restarts so far, [1] the target)
 * that it restarted the last time, then a final pass with mask 0: the plain sector pattern,
 * which the host checks in the image afterwards. Any status but BLK_OK is an error. Where it
 * may write "chaos", it counts its requests answered in word [4 + CHURN_INDEX] after every
 * batch (the chaos domain of storage_restart_kill restarts the driver only after progress),
 * and writes 1 to word [2 + CHURN_INDEX] when done.
 */
#ifndef CHURN_VOL
#define CHURN_VOL "vol-a"
#endif
#ifndef CHURN_FIRST
#define CHURN_FIRST 2048u
#endif
#ifndef CHURN_INDEX
#define CHURN_INDEX 0u
#endif
#define DEPTH 16u
#define CHUNK 4096u
#define CHUNK_SECTORS (CHUNK / BLK_SECTOR_SIZE)
#define FLUSH_EVERY 32u
#define READ_AT ((uint64_t)DEPTH * CHUNK) /* read buffers after the write buffers */
#define MAX_PASSES 10000u

static struct blk_vol vol;
static uint8_t *data;
static const volatile uint64_t *chaos;
static volatile uint64_t *progress; /* words [2 + CHURN_INDEX] and [4 + CHURN_INDEX], if mine */
static uint64_t requests, errors, mismatches;
static uint32_t first_bad_status;
static uint64_t first_bad_sector = UINT64_MAX;

static uint8_t mask(uint32_t pass)
{
	return pass == 0 ? 0 : (uint8_t)(1u + (pass * 97u) % 255u);
}

static void fill(uint8_t *buf, uint64_t chunk, uint32_t pass)
{
	for (uint32_t s = 0; s < CHUNK_SECTORS; s++)
		for (uint32_t k = 0; k < BLK_SECTOR_SIZE; k++)
			buf[s * BLK_SECTOR_SIZE + k] =
				blk_pattern_byte(CHURN_FIRST + chunk * CHUNK_SECTORS + s, k) ^
				mask(pass);
}

static void check(const uint8_t *buf, uint64_t chunk, uint32_t pass)
{
	uint8_t want[CHUNK];

	fill(want, chunk, pass);
	if (memcmp(buf, want, CHUNK) == 0)
		return;
	if (mismatches++ == 0)
		first_bad_sector = chunk * CHUNK_SECTORS;
}

static void count(uint32_t st)
{
	requests++;
	if (st == BLK_OK)
		return;
	if (errors++ == 0)
		first_bad_status = st;
}

/* Submits @n (<= DEPTH) chunks from @chunk, each with its own buffer, and waits for them all.
 * A write fills its buffer with pass @pass first; a read is compared with it after. */
static void batch(uint32_t op, uint64_t chunk, uint32_t n, uint32_t pass)
{
	uint64_t tags[DEPTH];
	uint32_t sent = 0;

	for (uint32_t i = 0; i < n; i++) {
		uint64_t off = (op == BLK_OP_READ ? READ_AT : 0) + (uint64_t)i * CHUNK;
		if (op == BLK_OP_WRITE)
			fill(data + off, chunk + i, pass);
		uint32_t st = blk_submit(&vol, op, (chunk + i) * CHUNK_SECTORS, CHUNK_SECTORS, off,
		                         &tags[sent]);
		if (st == BLK_OK)
			sent++;
		else
			count(st);
	}
	blk_kick(&vol);
	for (uint32_t i = 0; i < sent; i++)
		count(blk_wait_tag(&vol, tags[i]));
	for (uint32_t i = 0; op == BLK_OP_READ && i < n; i++)
		check(data + READ_AT + (uint64_t)i * CHUNK, chunk + i, pass);
	if (progress)
		progress[4 + CHURN_INDEX] = requests;
}

static void one_pass(uint32_t pass)
{
	uint64_t chunks = vol.sectors / CHUNK_SECTORS;

	for (uint64_t c = 0; c < chunks; c += DEPTH) {
		batch(BLK_OP_WRITE, c, (uint32_t)(chunks - c < DEPTH ? chunks - c : DEPTH), pass);
		if ((c + DEPTH) % FLUSH_EVERY == 0 || c + DEPTH >= chunks)
			count(blk_flush(&vol));
	}
	for (uint64_t c = 0; c < chunks; c += DEPTH)
		batch(BLK_OP_READ, c, (uint32_t)(chunks - c < DEPTH ? chunks - c : DEPTH), pass);
}

/* Whether the driver restarted the last time (the test's target). */
static bool restarts_done(void)
{
	return chaos && chaos[1] != 0 && chaos[0] >= chaos[1];
}

int main(void)
{
	const struct bh_info_entry *e = bh_lookup("chaos", BH_RES_MAP);
	uint32_t pass = 1;

	chaos = e ? (const volatile uint64_t *)(uintptr_t)e->vaddr : NULL;
	progress = e && (e->flags & BH_RIGHT_WRITE) ? (volatile uint64_t *)(uintptr_t)e->vaddr :
	                                              NULL;
	uint32_t st = blk_open(CHURN_VOL, &vol, (void **)&data);
	if (st != BLK_OK || vol.data_size < READ_AT + (uint64_t)DEPTH * CHUNK) {
		verdict("churn." CHURN_VOL, false, "cannot open the volume: status %u", st);
		return 1;
	}
	while (pass < MAX_PASSES && !restarts_done())
		one_pass(pass++);
	one_pass(0); /* the plain sector pattern, for the host */
	bool ok = errors == 0 && mismatches == 0 && restarts_done();
	if (errors || mismatches)
		say("churn: first error status %u; first wrong chunk at volume sector %llu\n",
		    first_bad_status, (unsigned long long)first_bad_sector);
	verdict("churn." CHURN_VOL, ok,
	        "%u passes, %llu requests, %llu errors, %llu chunks wrong, driver restarts %llu",
	        pass, (unsigned long long)requests, (unsigned long long)errors,
	        (unsigned long long)mismatches, (unsigned long long)(chaos ? chaos[0] : 0));
	if (progress)
		progress[2 + CHURN_INDEX] = 1;
	return 0;
}
