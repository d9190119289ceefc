/* virtio-blk driver, bench build: faults on the request the client armed it for (benchmark recover). */
#include <bh.h>

#include "blk_chaos.h"
#include "recover.h"

/*
 * The image virtio-blk-fault is the virtio-blk driver with these hooks in place
 * of blk_chaos.c (built with BLK_CHAOS; tests/bench/storage_recover.xml). At each pass of
 * its serving loop it looks at the shared page of recover.h: once armed (the client armed it
 * just before it sent a request, so the pass is that request's), it disarms it, stamps the
 * TSC and writes to an unmapped address. The supervisor restarts it; the new instance serves the request
 * the storage service sends again.
 */
#define FAULT_ADDR 0x7ead0000ull /* nothing is mapped there */

static volatile struct recover_page *page; /* found once per instance */
static bool looked;

/* The shared page, if the manifest maps it writable. */
static volatile struct recover_page *shared(void)
{
	if (!looked) {
		const struct bh_info_entry *e = bh_lookup(RECOVER_MAP, BH_RES_MAP);
		looked = true;
		if (e && (e->flags & BH_RIGHT_WRITE) && e->size >= sizeof(struct recover_page))
			page = (volatile struct recover_page *)(uintptr_t)e->vaddr;
	}
	return page;
}

bool blk_chaos_abandon(struct blk *b, bool irq)
{
	volatile struct recover_page *p = shared();

	(void)b;
	(void)irq;
	if (!p || !p->arm)
		return false;
	p->arm = 0;
	p->faults = p->faults + 1;
	p->fault_tsc = bh_rdtsc();
	*(volatile uint64_t *)(uintptr_t)FAULT_ADDR = 0;
	return false;
}

bool blk_chaos_abandon_hello(void)
{
	return false;
}

bool blk_chaos_connected(struct blk *b)
{
	(void)b;
	return false;
}
