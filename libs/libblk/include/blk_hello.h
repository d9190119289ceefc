/* libblk: the reconnect handshake that starts every block driver instance's use of its ring. */
#ifndef LIBBLK_BLK_HELLO_H
#define LIBBLK_BLK_HELLO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <ring.h>

/*
 * A block driver may be replaced by a fresh instance at any instruction (docs/storage.md,
 * "A new driver instance"): the ring then holds whatever the old one left, half-published
 * answers and requests taken but never answered. So no instance touches the ring's queues
 * before its client has reset them for it:
 *
 * 1. The instance writes a hello at offset 0 of its own data half of the ring (the data area,
 *    which the block protocol does not use otherwise): BLK_HELLO_MAGIC and its incarnation, a
 *    number no earlier instance of this ring used (the driver: start-info generation << 32,
 *    plus 1). Then it signals the client and waits, touching nothing else.
 * 2. The client sees an incarnation other than the last one it answered: it zeroes both queues
 *    (every index and event word), attaches its end again, and only then writes its answer
 *    at offset 0 of its own data half: BLK_HELLO_ACK and the same incarnation. It signals.
 * 3. The instance sees its own incarnation answered, attaches its end (every index now 0),
 *    and serves.
 *
 * Neither side trusts the other: each reads the peer's words once, into a local, and a wrong
 * value only delays the handshake; the ring's own checks still hold afterwards. The storage
 * service then sends every request that had not completed again, with new tags, and drops
 * answers that carry an old one.
 */
#define BLK_HELLO_MAGIC 0x6f6c6c65686b6c62ull /* "blkhello" */
#define BLK_HELLO_ACK 0x6b63616b6b6c6232ull   /* "2blkack" (with its high byte) */

/* One side's word pair at offset 0 of its data half. */
struct blk_hello {
	uint64_t magic;       /* BLK_HELLO_MAGIC (the driver) or BLK_HELLO_ACK (the client) */
	uint64_t incarnation; /* the driver's: never 0; the client's: the one it answered */
};
_Static_assert(sizeof(struct blk_hello) == 16, "block protocol");

/** The incarnation of driver instance @local (0 for a real one) of start-info @generation. */
static inline uint64_t blk_hello_incarnation(uint32_t generation, uint32_t local)
{
	return ((uint64_t)generation << 32 | local) + 1;
}

/* The word pair at offset 0 of this end's data half (@mine) or of the peer's. */
static inline volatile struct blk_hello *blk_hello_mine(const struct ring *r)
{
	return (volatile struct blk_hello *)(void *)r->tx_data;
}

static inline const volatile struct blk_hello *blk_hello_peer(const struct ring *r)
{
	return (const volatile struct blk_hello *)(const void *)r->rx_data;
}

/* Writes @magic and @inc to this end's pair: the magic first, the incarnation last (release). */
static inline void blk_hello_write(const struct ring *r, uint64_t magic, uint64_t inc)
{
	volatile struct blk_hello *h = blk_hello_mine(r);

	__atomic_store_n(&h->incarnation, 0, __ATOMIC_RELAXED);
	__atomic_store_n(&h->magic, magic, __ATOMIC_RELEASE);
	__atomic_store_n(&h->incarnation, inc, __ATOMIC_RELEASE);
}

/* Reads the peer's pair once: its incarnation if its magic is @magic, else 0. */
static inline uint64_t blk_hello_read(const struct ring *r, uint64_t magic)
{
	const volatile struct blk_hello *h = blk_hello_peer(r);
	uint64_t inc = __atomic_load_n(&h->incarnation, __ATOMIC_ACQUIRE);

	return __atomic_load_n(&h->magic, __ATOMIC_ACQUIRE) == magic ? inc : 0;
}

/**
 * Driver, step 1: announces incarnation @inc on @r (attached as server; nothing else of
 * the ring is touched). Needs: @inc != 0. Returns: nothing; signal the client next.
 */
static inline void blk_hello_announce(const struct ring *r, uint64_t inc)
{
	blk_hello_write(r, BLK_HELLO_MAGIC, inc);
}

/**
 * Driver, step 3: whether the client answered incarnation @inc.
 * Needs: @r attached as server. Returns: true once it did: attach the ring again then.
 */
static inline bool blk_hello_answered(const struct ring *r, uint64_t inc)
{
	return blk_hello_read(r, BLK_HELLO_ACK) == inc;
}

/**
 * Client: the incarnation the driver announces if it is not @known (a new instance waits
 * for the client), else 0. Needs: @r attached as client. Returns: the new incarnation or 0.
 */
static inline uint64_t blk_hello_new(const struct ring *r, uint64_t known)
{
	uint64_t inc = blk_hello_read(r, BLK_HELLO_MAGIC);

	return inc != known ? inc : 0;
}

/**
 * Client, step 2: zeroes both queues of the ring region @base (@size bytes) that @r is
 * attached to as client, attaches @r again (every index 0, not broken) and answers
 * incarnation @inc. Needs: @inc from blk_hello_new. Returns: RING_OK, or ring_attach's
 * RING_EINVAL (bad geometry: the caller's mistake).
 */
static inline enum ring_status blk_hello_accept(struct ring *r, void *base, size_t size,
                                                uint64_t inc)
{
	volatile struct ring_queue *q = (volatile struct ring_queue *)base;

	for (int i = 0; i < 2; i++) {
		__atomic_store_n(&q[i].prod, 0, __ATOMIC_RELAXED);
		__atomic_store_n(&q[i].prod_event, 0, __ATOMIC_RELAXED);
		__atomic_store_n(&q[i].cons, 0, __ATOMIC_RELAXED);
		__atomic_store_n(&q[i].cons_event, 0, __ATOMIC_RELAXED);
	}
	enum ring_status st = ring_attach(r, base, size, RING_ROLE_CLIENT);
	if (st == RING_OK)
		blk_hello_write(r, BLK_HELLO_ACK, inc); /* after the zeroes (release) */
	return st;
}

#endif
