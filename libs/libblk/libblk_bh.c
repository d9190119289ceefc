/* libblk in a domain: opens a volume's ring by name and sleeps on its channel. */
#include <bh.h>
#include <libblk.h>

#define BLK_MAX_OPEN 4u /* volumes one domain opens */

static struct bh_ring rings[BLK_MAX_OPEN];
static uint32_t n_open;

/* The ring was armed and re-checked just before: sleep for a bit delivered from now on. */
static void ring_wait(void *ctx)
{
	struct bh_ring *r = ctx;

	(void)bh_wait_new(r->bit);
}

static void ring_signal(void *ctx)
{
	struct bh_ring *r = ctx;

	(void)bh_signal(r->slot);
}

uint32_t blk_open(const char *name, struct blk_vol *v, void **data)
{
	struct bh_ring *r = &rings[n_open];

	if (n_open == BLK_MAX_OPEN || !bh_ring_open(name, r))
		return BLK_EPROTO;
	n_open++;
	uint32_t st = blk_attach(v, &r->ring, ring_wait, ring_signal, r);
	if (st != BLK_OK || !data)
		return st;
	const struct bh_info_entry *e = bh_lookup(v->data_name, BH_RES_MAP);
	if (!e || e->size < v->data_size)
		return BLK_EPROTO;
	*data = (void *)(uintptr_t)e->vaddr;
	return BLK_OK;
}
