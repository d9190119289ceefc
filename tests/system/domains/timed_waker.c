/* timedwait test, waker: answers the sleeper's signal at once, then sleeps past its old deadline. */
#include <bh.h>

#include "verdict.h"

#define TW_SLEEP_MS 1500u /* past the sleeper's 1000 ms deadline */

int main(void)
{
	struct bh_channel ch;

	if (!bh_channel_open("tw", &ch)) {
		verdict("timedwait.sleep", false, "no channel \"tw\"");
		return 1;
	}
	bh_wait_for(ch.bit);
	bh_signal(ch.slot); /* the sleeper is blocked in its timed wait by now */
	uint64_t deadline = bh_deadline_ms(TW_SLEEP_MS), start_ms = bh_now_ms();
	uint64_t got = bh_wait_until(ch.bit, deadline);
	uint64_t now = bh_rdtsc();
	verdict("timedwait.sleep",
	        got == 0 && now >= deadline && bh_now_ms() >= start_ms + TW_SLEEP_MS,
	        "bits 0x%llx, %s the deadline", (unsigned long long)got,
	        now >= deadline ? "after" : "BEFORE");
	bh_signal(ch.slot); /* ends the sleeper's plain wait */
	return 0;
}
