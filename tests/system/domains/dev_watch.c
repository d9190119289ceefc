/* System test device_quiesce: after the edu driver exited, its pending DMA must never land. */
#include <stdint.h>

#include <bh.h>

#include "verdict.h"

#define PAGE 4096ull
#define WAIT_COPIES 5u /* wait as long as this many copies take before looking */

struct report {
	uint64_t dma_cycles;
};

int main(void)
{
	const struct bh_info_entry *dma = bh_lookup("dma", BH_RES_MAP);
	struct bh_channel go;
	if (!dma || !bh_channel_open("go", &go)) {
		verdict("quiesce.dma_cut", false, "no map dma or channel go");
		return 1;
	}
	bh_wait_for(go.bit);
	/* The driver (higher priority) has exited by the time we run again. */
	const volatile uint8_t *mem = (const volatile uint8_t *)dma->vaddr;
	uint64_t cycles = ((const volatile struct report *)(mem + 3 * PAGE))->dma_cycles;
	uint64_t until = bh_rdtsc() + WAIT_COPIES * cycles;
	while (cycles && bh_rdtsc() < until)
		bh_yield();
	uint32_t landed = 0;
	for (uint32_t i = 0; i < PAGE; i++)
		landed += mem[2 * PAGE + i] != 0;
	verdict("quiesce.dma_cut", cycles && landed == 0,
	        "%u of the %llu bytes of page 2 changed after %u copy times (%lu cycles each)",
	        landed, PAGE, WAIT_COPIES, (unsigned long)cycles);
	return 0;
}
