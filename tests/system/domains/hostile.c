/* hostile test: a million random hypercalls; every one must come back with a valid error. */
#include <bh.h>

#include "prng.h"
#include "verdict.h"

/*
 * Numbers are drawn from [0, BH_HC_COUNT + 16), with one call in 16 using a full
 * 64-bit number instead. Never drawn: BH_HC_EXIT (would end this domain),
 * BH_HC_WAIT, BH_HC_SIGNAL_WAIT and BH_HC_WAIT_UNTIL (would block it: nothing
 * signals it back, and a random deadline lies centuries ahead) and
 * BH_HC_FLOOR (answers rax unchanged by design). The first argument is a slot:
 * valid slots of this domain, small numbers, or any 64-bit value; the others are
 * random. Checks: every call returns an error below BH_ERR_COUNT, unknown numbers
 * give BH_ERR_BAD_CALL, BH_HC_NULL gives BH_OK. Signals on valid slots reach the
 * console (spurious wake-ups it must tolerate); polls only clear our own bits.
 */
#define HOSTILE_CALLS 1000000u
#define HOSTILE_SEED 0x6b6f7374696c6531ull
#define HOSTILE_PROGRESS 250000u

static uint64_t state = HOSTILE_SEED;
static uint32_t valid_slots[BH_INFO_MAX_ENTRIES];
static uint32_t n_valid;

static void collect_slots(void)
{
	const struct bh_start_info *info = bh_info();

	for (uint32_t i = 0; i < info->n_entries && i < BH_INFO_MAX_ENTRIES; i++)
		if (info->entries[i].slot != BH_NO_SLOT)
			valid_slots[n_valid++] = info->entries[i].slot;
}

static bool allowed(uint64_t nr)
{
	return nr != BH_HC_EXIT && nr != BH_HC_WAIT && nr != BH_HC_SIGNAL_WAIT &&
	       nr != BH_HC_WAIT_UNTIL && nr != BH_HC_FLOOR;
}

static uint64_t draw_number(void)
{
	uint64_t nr;

	do {
		uint64_t r = prng_next(&state);
		nr = (r & 15) == 0 ? prng_next(&state) : (r >> 4) % (BH_HC_COUNT + 16);
	} while (!allowed(nr));
	return nr;
}

static uint64_t draw_slot(void)
{
	uint64_t r = prng_next(&state);

	switch (r & 3) {
	case 0:
		return n_valid ? valid_slots[(r >> 2) % n_valid] : 0;
	case 1:
		return (r >> 2) % BH_MAX_CAPS;
	case 2:
		return BH_MAX_CAPS + (r >> 2) % 1024;
	default:
		return prng_next(&state);
	}
}

/* What call @nr must answer; -1 if any valid error will do. */
static int required_err(uint64_t nr)
{
	if (nr >= BH_HC_COUNT)
		return BH_ERR_BAD_CALL;
	if (nr == BH_HC_NULL)
		return BH_OK;
	return -1;
}

int main(void)
{
	uint32_t i;
	uint64_t nr = 0;
	struct bh_ret r = {0, 0};

	collect_slots();
	say("%u random hypercalls, %u valid slots to aim at\n", HOSTILE_CALLS, n_valid);
	for (i = 0; i < HOSTILE_CALLS; i++) {
		nr = draw_number();
		uint64_t slot = draw_slot(), a1 = prng_next(&state), a2 = prng_next(&state);
		r = bh_hypercall(nr, slot, a1, a2);
		int want = required_err(nr);
		if (r.err >= BH_ERR_COUNT || (want >= 0 && r.err != (uint64_t)want))
			break;
		if ((i + 1) % HOSTILE_PROGRESS == 0)
			say("%u calls\n", i + 1);
	}
	if (i == HOSTILE_CALLS)
		verdict("hostile.survived", true, "calls=%u", i);
	else
		verdict("hostile.survived", false, "call %u: nr=0x%llx returned err=%llu", i,
		        (unsigned long long)nr, (unsigned long long)r.err);
	return 0;
}
