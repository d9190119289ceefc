/* Fuzz target `plan`: the kernel's boot-plan checker (kernel/plan.c) on arbitrary plans. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <kernel/crc32.h>
#include <kernel/plan.h>

#include "plan_walk.h"

/*
 * Input: one mode byte, then the plan bytes as the loader would hand them over.
 * Mode bit 0 (FIX_CRC): before the check, store the correct CRC-32 in the
 * header (when total_size lets it be computed), so that mutations get past
 * the checksum and reach the table and record checks. Bit 1 (FIX_SIZE): first
 * set total_size to the plan's length. Mode 0 checks the bytes untouched, so the
 * header and checksum checks are fuzzed too. The other bits are ignored.
 */
#define MODE_FIX_CRC 0x1u
#define MODE_FIX_SIZE 0x2u
#define ERR_LEN 256u

/**
 * libFuzzer's entry: checks the plan in the @size bytes at @data (mode byte first).
 * Returns: 0; abort()s when a refused plan has no named class or no one-line
 * reason, or an accepted one has an index the kernel would follow out of range
 * (plan_walk).
 */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Why the checker's verdict breaks its contract: print and abort. */
static void contract(const char *what, const char *err)
{
	fprintf(stderr, "fuzz_plan: %s (reason: \"%s\")\n", what, err);
	abort();
}

/* The CRC the checker expects: the first total_size bytes, checksum field as zero. */
static void fix_crc(uint8_t *plan, size_t len)
{
	struct bp_header *h = (struct bp_header *)plan;

	if (len < sizeof(*h) || h->total_size < sizeof(*h) || h->total_size > len)
		return;
	h->checksum = 0;
	h->checksum = crc32_update(0, plan, h->total_size);
}

static void fix_size(uint8_t *plan, size_t len)
{
	if (len >= sizeof(struct bp_header) && len <= UINT32_MAX)
		((struct bp_header *)plan)->total_size = (uint32_t)len;
}

/* An accepted plan is walked from a copy of exactly total_size bytes: the kernel's view. */
static void walk_accepted(const uint8_t *plan)
{
	uint32_t total = ((const struct bp_header *)plan)->total_size;
	void *copy = malloc(total);

	if (!copy)
		abort();
	memcpy(copy, plan, total);
	volatile unsigned long sink = plan_walk(copy, total);
	(void)sink;
	free(copy);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size == 0)
		return 0;
	size_t len = size - 1;
	uint8_t *plan = malloc(len ? len : 1); /* malloc: 16-byte aligned, ASan-fenced at len */
	char *err = malloc(ERR_LEN);

	if (!plan || !err)
		abort();
	memcpy(plan, data + 1, len);
	if (data[0] & MODE_FIX_SIZE)
		fix_size(plan, len);
	if (data[0] & MODE_FIX_CRC)
		fix_crc(plan, len);
	memset(err, 0, ERR_LEN);
	enum plan_err e = plan_check(plan, len, err, ERR_LEN);
	if (e == PLAN_OK)
		walk_accepted(plan);
	else if ((unsigned)e >= PLAN_N_ERRS)
		contract("a refused plan must come with one of the named classes", err);
	else if (err[0] == '\0' || strchr(err, '\n') || strnlen(err, ERR_LEN) == ERR_LEN)
		contract("a refused plan must come with a one-line reason", err);
	free(err);
	free(plan);
	return 0;
}
