/* supervise_fault test, target: its first instance faults; the restarted one says which it is. */
#include <bh.h>

#include "verdict.h"

int main(void)
{
	const struct bh_start_info *info = bh_info();
	uint32_t gen = info->generation;

	say("generation %u image %u starts\n", gen, info->image_index);
	if (gen == 0) {
		volatile uint64_t *null = (volatile uint64_t *)0;
		// NOLINTNEXTLINE(clang-analyzer-core.NullDereference): the fault is the point
		*null = 1; /* page fault at address 0: the supervisor restarts us */
		verdict("supervise.fault", false, "writing to address 0 did not fault");
		return 1;
	}
	verdict("supervise.fault", gen == 1 && info->image_index == 0,
	        "running again at generation %u image %u", gen, info->image_index);
	for (;;)
		bh_wait(); /* stays up: an exit would be a fault record too */
}
