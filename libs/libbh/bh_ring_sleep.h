/* libbh: how a ring end sleeps (shared by bh_ring.c and bh_ring_call.c, not domain API). */
#ifndef LIBBH_BH_RING_SLEEP_H
#define LIBBH_BH_RING_SLEEP_H

#include <bh.h>

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

#endif
