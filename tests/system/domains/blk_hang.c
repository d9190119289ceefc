/* virtio-blk driver, test build (storage_hang): its first instance hangs while it serves. */
#include <bh.h>

#include "blk_chaos.h"

/*
 * The image virtio-blk-hang is the virtio-blk driver with these hooks in place of
 * blk_chaos.c (built with BLK_CHAOS). The first instance (generation 0) serves HANG_PASS
 * passes of its loop, then stops answering: it spins forever without a fault and without a
 * heartbeat, with requests of both clients taken or pending. Only its supervisor's watchdog
 * can see that. Every instance writes its generation to word 0 of the region "chaos" and 1
 * (the restarts the clients wait for) to word 1, so the clients of storage_hang write and
 * verify until the replacing instance is up, then finish.
 */
#define HANG_PASS 400u

static volatile uint64_t *chaos; /* the region "chaos", or NULL */
static uint32_t passes;

/* Tells the clients which instance runs (word 0) and how many restarts they wait for (word 1). */
static void announce(void)
{
	const struct bh_info_entry *e = bh_lookup("chaos", BH_RES_MAP);

	if (!e || !(e->flags & BH_RIGHT_WRITE))
		return;
	chaos = (volatile uint64_t *)(uintptr_t)e->vaddr;
	chaos[1] = 1;
	chaos[0] = bh_info()->generation;
}

bool blk_chaos_abandon(struct blk *b, bool irq)
{
	(void)b;
	(void)irq;
	if (bh_info()->generation != 0 || ++passes < HANG_PASS)
		return false;
	for (;;)
		__asm__ volatile("pause");
}

bool blk_chaos_abandon_hello(void)
{
	return false;
}

bool blk_chaos_connected(struct blk *b)
{
	(void)b;
	if (!chaos)
		announce();
	return false;
}
