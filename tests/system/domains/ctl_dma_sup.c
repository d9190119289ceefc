/*
 * System test control_dma: the controller of the edu driver. It stops the driver while a
 * copy is pending (the copy must never land), restarts it, and reads the fault record of the
 * new instance's refused DMA.
 */
#include <stdint.h>

#include <bh.h>
#include <bulkhead/abi/fault.h>

#include "verdict.h"

#define PAGE 4096ull
#define XFER 2048u
#define WAIT_COPIES 5u /* wait as long as this many copies take before looking */

struct report {
	uint64_t dma_cycles;
	uint64_t outside;
};

/* The bytes of page 2 the stopped driver's copy changed. */
static uint32_t landed(const volatile uint8_t *mem)
{
	uint32_t n = 0;

	for (uint32_t i = 0; i < PAGE; i++)
		n += mem[2 * PAGE + i] != 0;
	return n;
}

static void wait_cycles(uint64_t cycles)
{
	uint64_t until = bh_rdtsc() + cycles;

	while (bh_rdtsc() < until)
		(void)bh_wait_until(0, until);
}

/* Stop while a copy is pending: it never lands. */
static void stop_cuts(const struct bh_info_entry *drv, const volatile uint8_t *mem)
{
	enum bh_err e = bh_domain_stop(drv->slot);
	uint64_t cycles = ((const volatile struct report *)(mem + 3 * PAGE))->dma_cycles;

	wait_cycles(WAIT_COPIES * cycles);
	uint32_t n = landed(mem);
	verdict("control_dma.stop_cut", e == BH_OK && cycles && n == 0,
	        "stop %d; %u bytes of page 2 changed after %u copy times (%lu cycles each)", e, n,
	        WAIT_COPIES, (unsigned long)cycles);
}

/* The restarted driver's DMA outside its maps: a BH_FAULT_DMA record of generation 1. */
static void dma_fault(const struct bh_info_entry *drv, const volatile uint8_t *mem)
{
	const volatile struct bh_fault_page *page =
		(const volatile struct bh_fault_page *)(uintptr_t)drv->vaddr;
	uint64_t outside = ((const volatile struct report *)(mem + 3 * PAGE))->outside;

	for (uint32_t tries = 0; tries < 200 && page->seq < 1; tries++)
		(void)bh_wait_until(1ull << drv->bit, bh_deadline_ms(10));
	uint64_t w = 0;
	(void)bh_domain_state(drv->slot, &w);
	verdict("control_dma.fault_record",
	        page->seq == 1 && page->kind == BH_FAULT_DMA && page->addr == outside &&
	                page->generation == 1 && BH_DSTATE_STATE(w) == BH_DSTATE_FAULTED,
	        "seq %llu kind %u addr 0x%llx (want 0x%llx) reason 0x%llx gen %u state %u",
	        (unsigned long long)page->seq, page->kind, (unsigned long long)page->addr,
	        (unsigned long long)outside, (unsigned long long)page->error_code, page->generation,
	        BH_DSTATE_STATE(w));
}

int main(void)
{
	const struct bh_info_entry *drv = bh_domain_find("edudrv");
	const struct bh_info_entry *dma = bh_lookup("dma", BH_RES_MAP);
	struct bh_channel go;

	if (!drv || !dma || !bh_channel_open("go", &go)) {
		verdict("control_dma.setup", false, "no control of edudrv, map dma or channel go");
		return 1;
	}
	const volatile uint8_t *mem = (const volatile uint8_t *)(uintptr_t)dma->vaddr;
	bh_wait_for(go.bit);
	stop_cuts(drv, mem);
	enum bh_err e = bh_domain_restart(drv->slot, 0);
	verdict("control_dma.restart", e == BH_OK, "restart %d", e);
	bh_wait_for(go.bit);
	dma_fault(drv, mem);
	say("control_dma: done\n");
	for (;;)
		(void)bh_wait();
}
