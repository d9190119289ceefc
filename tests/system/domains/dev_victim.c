/* System test device: a page a malicious driver's device tries to overwrite by DMA. */
#include <stdint.h>

#include <bh.h>

#include "verdict.h"

#define SECRET ((volatile uint64_t *)0x50000000ull)
#define WORDS 512u

int main(void)
{
	struct bh_channel ready;
	if (!bh_channel_open("ready", &ready)) {
		verdict("device.victim", false, "no channel");
		return 1;
	}
	for (uint32_t i = 0; i < WORDS; i++)
		SECRET[i] = 0x5ec7e7000000ull + i;
	bh_signal(ready.slot);
	/* Runs again only once the higher-priority driver is stopped (or waits for ever). */
	uint32_t bad = 0;
	for (uint32_t i = 0; i < WORDS; i++)
		bad += SECRET[i] != 0x5ec7e7000000ull + i;
	verdict("device.victim_intact", bad == 0, "%u of %u words changed", bad, WORDS);
	return 0;
}
