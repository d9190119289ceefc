/* libbh: one request/response over a ring (its own file: only the domains that use it link it). */
#include <bh.h>

#include "bh_ring_sleep.h"

/* bh_ring_call when the last view of the peer's consumer index says the ring is full (rare:
 * out of line, built from the slow paths, so the fast path stays small). */
static __attribute__((noinline)) enum ring_status call_full(struct bh_ring *r, uint16_t type,
                                                            uint64_t tag, const void *buf,
                                                            uint32_t len, struct ring_msg *out)
{
	enum ring_status st = bh_ring_put_wait(r, type, tag, buf, len);
	return st == RING_OK ? bh_ring_take_wait(r, out) : st;
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
