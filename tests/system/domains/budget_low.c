/* budget test, low: a low-priority domain that can only progress if the spinner's budget holds. */
#include <bh.h>

#include "verdict.h"

#define LOW_PHASES 4u
#define LOW_SPINS 2000000u

int main(void)
{
	volatile uint64_t count = 0;

	say("start\n");
	for (uint32_t phase = 1; phase <= LOW_PHASES; phase++) {
		for (uint32_t i = 0; i < LOW_SPINS; i++)
			count++;
		say("phase %u of %u done\n", phase, LOW_PHASES);
	}
	verdict("budget.low_runs", count == (uint64_t)LOW_PHASES * LOW_SPINS, "count=%llu",
	        (unsigned long long)count);
	return 0;
}
