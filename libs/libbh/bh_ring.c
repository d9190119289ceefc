/* libbh: rings found by name, with blocking send and receive over their channel. */
#include <bh.h>

#include "bh_ring_sleep.h"

bool bh_ring_open_entry(const struct bh_info_entry *e, struct bh_ring *r)
{
	enum ring_role role;

	if (!e || e->kind != BH_RES_RING || e->bit >= 64)
		return false;
	if (e->flags == BH_RING_CLIENT)
		role = RING_ROLE_CLIENT;
	else if (e->flags == BH_RING_SERVER)
		role = RING_ROLE_SERVER;
	else
		return false;
	if (ring_attach(&r->ring, (void *)(uintptr_t)e->vaddr, e->size, role) != RING_OK)
		return false;
	r->slot = e->slot;
	r->bit = 1ull << e->bit;
	r->peer = e->peer;
	return true;
}

bool bh_ring_open(const char *name, struct bh_ring *r)
{
	return bh_ring_open_entry(bh_lookup(name, BH_RES_RING), r);
}

/* Waits for a free tx slot (see bh_ring_sleep.h); taken slots stay taken. */
static void tx_sleep(struct bh_ring *r)
{
	bool notify;

	ring_publish(&r->ring, &notify);
	bool ready = ring_tx_arm(&r->ring);
	sleep_or_signal(r, ready, notify);
}

/* Not inlined into bh_ring_send: every domain links this file, so its text stays small. */
__attribute__((noinline)) enum ring_status bh_ring_send_flags(struct bh_ring *r, uint16_t type,
                                                              uint16_t flags, uint64_t tag,
                                                              const void *buf, uint32_t len)
{
	enum ring_status st;
	bool notify;

	while ((st = ring_send(&r->ring, type, flags, tag, buf, len, &notify)) == RING_FULL)
		tx_sleep(r);
	if (st == RING_OK && notify)
		(void)bh_signal(r->slot);
	return st;
}

enum ring_status bh_ring_send(struct bh_ring *r, uint16_t type, uint64_t tag, const void *buf,
                              uint32_t len)
{
	return bh_ring_send_flags(r, type, 0, tag, buf, len);
}

enum ring_status bh_ring_recv(struct bh_ring *r, struct ring_msg *out)
{
	enum ring_status st;
	bool notify;

	while ((st = ring_recv(&r->ring, out, &notify)) == RING_EMPTY)
		rx_sleep(r);
	if (st == RING_OK && notify)
		(void)bh_signal(r->slot);
	return st;
}

void bh_ring_flush(struct bh_ring *r)
{
	bool notify;

	ring_publish(&r->ring, &notify);
	if (notify)
		(void)bh_signal(r->slot);
}

enum ring_status bh_ring_put_wait(struct bh_ring *r, uint16_t type, uint64_t tag, const void *buf,
                                  uint32_t len)
{
	enum ring_status st = RING_FULL;

	while (st == RING_FULL) {
		tx_sleep(r);
		st = ring_put(&r->ring, type, 0, tag, buf, len);
	}
	return st;
}

void bh_ring_release(struct bh_ring *r)
{
	bool notify;

	ring_release(&r->ring, &notify);
	if (notify)
		(void)bh_signal(r->slot);
}

enum ring_status bh_ring_take_wait(struct bh_ring *r, struct ring_msg *out)
{
	return take_after_sleep(r, out);
}
