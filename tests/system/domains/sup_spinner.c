/* supervise_hang test, target: its first instance beats, then spins without a heartbeat. */
#include <bh.h>

#include "verdict.h"

#define BEAT_MS 5u     /* well under BH_HEARTBEAT_US */
#define HEALTHY_MS 300 /* the first instance beats this long before it hangs */
#define ALIVE_MS 1000  /* the restarted one beats this long, then says it was left alone */

/* Beats every BEAT_MS for @ms milliseconds. */
static void beat_for(uint64_t ms)
{
	uint64_t end = bh_now_ms() + ms;

	while (bh_now_ms() < end) {
		bh_heartbeat();
		(void)bh_wait_until(0, bh_deadline_ms(BEAT_MS));
	}
}

int main(void)
{
	const struct bh_start_info *info = bh_info();
	uint32_t gen = info->generation;

	say("generation %u starts\n", gen);
	if (gen == 0) {
		beat_for(HEALTHY_MS);
		say("spinning without a heartbeat\n");
		for (;;)
			__asm__ volatile("pause");
	}
	verdict("supervise.hang", gen == 1, "running again at generation %u", gen);
	beat_for(ALIVE_MS);
	verdict("supervise.alive", true, "beat for %u ms at generation %u without a restart",
	        ALIVE_MS, gen);
	for (;;)
		beat_for(ALIVE_MS);
}
