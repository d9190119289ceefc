/* virtio-blk driver: simulated restarts at random moments, for tests/system/storage_restart. */
#include <stdio.h>
#include <string.h>

#include <bh.h>

#include "blk_chaos.h"

/*
 * Everything here outlives a simulated restart on purpose (a real new instance knows nothing
 * of the old one): the generator, the count, and the tags the next instance replays.
 * The count goes to the word pair at offset 0 of the region "chaos", if the domain maps it
 * writable: [0] restarts so far, [1] the target, so that the test's clients keep working until
 * the last one.
 */
#ifndef BLK_CHAOS_RESTARTS
#define BLK_CHAOS_RESTARTS 100u
#endif
#define MAX_PASSES 32u /* an instance serves 0 .. MAX_PASSES - 1 passes */
#define MAX_STALE 8u

static uint64_t rng;
static uint32_t restarts, passes_left;
static uint64_t stale[MAX_STALE];
static uint32_t n_stale;
static volatile uint64_t *status;

/* xorshift64, seeded from the cycle counter on first use. */
static uint32_t rnd(uint32_t n)
{
	if (rng == 0) {
		rng = bh_rdtsc() | 1;
		const struct bh_info_entry *e = bh_lookup("chaos", BH_RES_MAP);
		if (e && (e->flags & BH_RIGHT_WRITE) && e->size >= 16)
			status = (volatile uint64_t *)(uintptr_t)e->vaddr;
		printf("virtio-blk: chaos: %u simulated restarts, seed %llx\n", BLK_CHAOS_RESTARTS,
		       (unsigned long long)rng);
	}
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (uint32_t)(rng % n);
}

static void keep_stale(uint64_t tag)
{
	if (n_stale < MAX_STALE)
		stale[n_stale++] = tag;
}

static void count_restart(void)
{
	restarts++;
	if (status) {
		status[1] = BLK_CHAOS_RESTARTS;
		status[0] = restarts;
	}
}

/*
 * Half of the time puts the answers of what the device completed into the ring without
 * publishing them (*@unsent: how many); takes up to 3 requests from the ring and drops them
 * (never answered, never released); keeps the tags of a few requests the device holds.
 * Returns how many requests it took.
 */
static uint32_t leave_mess(struct blk *b, bool irq, uint32_t *unsent)
{
	struct ring_msg m;
	uint32_t taken = 0, want = rnd(4), before = b->ring->tx_prod;

	if (rnd(2))
		blk_collect(b, irq);
	*unsent = b->ring->tx_prod - before;
	while (taken < want && !b->ring_broken && ring_take(b->ring, &m) == RING_OK) {
		keep_stale(m.tag);
		taken++;
	}
	for (uint32_t h = 0; h < VIRTQ_MAX_SIZE && n_stale < MAX_STALE; h++)
		if (b->slots[h].busy && rnd(2))
			keep_stale(b->slots[h].id);
	struct blk_resp r = {.status = BLK_IOERR, .op = BLK_OP_READ};
	for (uint32_t i = 0; i < n_stale && i < 2; i++) /* put, never published */
		(void)ring_put(b->ring, BLK_MSG_RESP, 0, stale[i], &r, sizeof(r));
	return taken;
}

bool blk_chaos_abandon(struct blk *b, bool irq)
{
	if (restarts >= BLK_CHAOS_RESTARTS)
		return false;
	if (passes_left > 0) {
		passes_left--;
		return false;
	}
	uint32_t unsent = 0, busy = b->n_busy, taken = leave_mess(b, irq, &unsent);
	count_restart();
	printf("virtio-blk: chaos: restart %u: %u requests at the device, %u answers not "
	       "published, %u taken and dropped\n",
	       restarts, busy, unsent, taken);
	return true;
}

bool blk_chaos_abandon_hello(void)
{
	if (restarts >= BLK_CHAOS_RESTARTS || rnd(16) != 0)
		return false;
	count_restart();
	printf("virtio-blk: chaos: restart %u: during the handshake\n", restarts);
	return true;
}

bool blk_chaos_connected(struct blk *b)
{
	struct blk_resp r = {.status = BLK_IOERR, .op = BLK_OP_READ};
	bool notify = false;

	for (uint32_t i = 0; i < n_stale; i++)
		(void)ring_put(b->ring, BLK_MSG_RESP, 0, stale[i], &r, sizeof(r));
	ring_publish(b->ring, &notify);
	n_stale = 0;
	passes_left = rnd(MAX_PASSES);
	return notify;
}
