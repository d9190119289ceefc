/* libbh: rings found by name, with blocking send and receive over their channel. */
#include <bh.h>

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

/*
 * Before it sleeps, an end publishes what it put and (waiting for a message) releases what it
 * took, so neither end ever waits for the other's batch. Then it arms the wake-up it needs
 * (rx: a message, tx: a free slot) and re-checks. If it must sleep and the peer asked to be
 * signalled, one SIGNAL_WAIT does both: the kernel hands the CPU straight to a waiting peer.
 * The sleep counts only bits the kernel delivers now: the ring was re-checked after arming,
 * so a bit kept from before says nothing. Both directions of a ring share one channel bit,
 * so the bit may also mean something to the application: bh_wait_new keeps it for the
 * application's next bh_wait().
 */
static inline void sleep_or_signal(const struct bh_ring *r, bool ready, bool notify)
{
	if (ready) {
		if (notify)
			(void)bh_signal(r->slot);
	} else if (notify) {
		(void)bh_wait_new_signal(r->slot, r->bit);
	} else {
		(void)bh_wait_new(r->bit);
	}
}

/* Waits for a message (see above). */
static inline void rx_sleep(struct bh_ring *r)
{
	unsigned park = ring_rx_park(&r->ring);
	sleep_or_signal(r, park & RING_PARK_READY, park & RING_PARK_NOTIFY);
}

/* Waits for a free tx slot (see above); taken slots stay taken. */
static void tx_sleep(struct bh_ring *r)
{
	bool notify;

	ring_publish(&r->ring, &notify);
	bool ready = ring_tx_arm(&r->ring);
	sleep_or_signal(r, ready, notify);
}

enum ring_status bh_ring_send_flags(struct bh_ring *r, uint16_t type, uint16_t flags, uint64_t tag,
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

/* Sleeps until a message comes, then takes it. */
static inline __attribute__((always_inline)) enum ring_status take_after_sleep(struct bh_ring *r,
                                                                               struct ring_msg *out)
{
	enum ring_status st = RING_EMPTY;

	while (st == RING_EMPTY) {
		rx_sleep(r);
		st = ring_take(&r->ring, out);
	}
	return st;
}

enum ring_status bh_ring_take_wait(struct bh_ring *r, struct ring_msg *out)
{
	return take_after_sleep(r, out);
}

/* bh_ring_call when the last view of the peer's consumer index says the ring is full. */
static __attribute__((noinline)) enum ring_status call_full(struct bh_ring *r, uint16_t type,
                                                            uint64_t tag, const void *buf,
                                                            uint32_t len, struct ring_msg *out)
{
	enum ring_status st = bh_ring_put(r, type, tag, buf, len);
	return st == RING_OK ? take_after_sleep(r, out) : st;
}

/*
 * No look before the park: it re-checks the rx queue itself, with the request already out.
 * The full case goes to call_full first, so the put below makes no call and the fast path
 * keeps only @r and @out across the sleep.
 */
enum ring_status bh_ring_call(struct bh_ring *r, uint16_t type, uint64_t tag, const void *buf,
                              uint32_t len, struct ring_msg *out)
{
	if (r->ring.tx_prod == r->ring.tx_limit)
		return call_full(r, type, tag, buf, len, out);
	enum ring_status st = ring_put(&r->ring, type, 0, tag, buf, len);
	return st == RING_OK ? take_after_sleep(r, out) : st;
}
