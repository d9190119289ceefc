/* Bystander of supervise_giveup and storage_bootfail: counts; its neighbour stays given up. */
#include <bh.h>

#include "verdict.h"

#define TICK_MS 100u
#define LAST_GEN 3u     /* the manifest's max-restarts: the last instance the supervisor starts */
#define WATCH_TICKS 10u /* how long the last instance must stay down (five backoffs and more) */
#ifndef SUP_TARGET
#define SUP_TARGET "bootfail" /* the neighbour it watches (storage_bootfail: "blkdrv") */
#endif

/* Whether the neighbour's state word @w says its last instance died and nothing runs. */
static bool given_up(uint64_t w)
{
	return BH_DSTATE_STATE(w) == BH_DSTATE_FAULTED && BH_DSTATE_GENERATION(w) == LAST_GEN;
}

int main(void)
{
	const struct bh_info_entry *e = bh_domain_find(SUP_TARGET);
	uint64_t down_since = 0, w = 0;

	if (!e) {
		verdict("supervise.giveup", false,
		        "no control of " SUP_TARGET " (to read its state)");
		return 1;
	}
	for (uint64_t n = 1;; n++) {
		(void)bh_wait_until(0, bh_deadline_ms(TICK_MS));
		say("tick %llu\n", (unsigned long long)n);
		if (bh_domain_state(e->slot, &w) != BH_OK || BH_DSTATE_GENERATION(w) > LAST_GEN) {
			verdict("supervise.giveup", false, SUP_TARGET " at generation %u",
			        BH_DSTATE_GENERATION(w));
			return 1;
		}
		down_since = given_up(w) ? (down_since ? down_since : n) : 0;
		if (down_since && n == down_since + WATCH_TICKS)
			verdict("supervise.giveup", true,
			        SUP_TARGET
			        " left stopped at generation %u for %u ticks; counted %llu",
			        LAST_GEN, WATCH_TICKS, (unsigned long long)n);
	}
}
