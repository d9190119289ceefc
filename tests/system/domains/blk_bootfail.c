/* virtio-blk driver, test build (storage_bootfail): every instance faults in its start-up. */
#include <bh.h>

#include "blk_chaos.h"

/*
 * The image virtio-blk-bootfail is the virtio-blk driver with these hooks in place of
 * blk_chaos.c (built with BLK_CHAOS). Each instance resets its device and does the handshake
 * with the storage service like any other, then, before it serves a request, writes to an
 * unmapped address: a driver that cannot come up. Its supervisor restarts it with growing
 * backoff and then gives up; nothing else in the system may notice more than its absence.
 */
#define FAULT_ADDR 0x7ead0000ull /* nothing is mapped there */

bool blk_chaos_abandon(struct blk *b, bool irq)
{
	(void)b;
	(void)irq;
	return false;
}

bool blk_chaos_abandon_hello(void)
{
	return false;
}

bool blk_chaos_connected(struct blk *b)
{
	(void)b;
	*(volatile uint64_t *)(uintptr_t)FAULT_ADDR = 0;
	return false;
}
