/* libring: the one ring protocol (SPSC request/response queues with event suppression). */
#ifndef LIBRING_RING_H
#define LIBRING_RING_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <bulkhead/abi/ring.h>

/* Results of ring operations. */
enum ring_status {
	RING_OK = 0,
	RING_EMPTY = 1,  /* nothing to receive */
	RING_FULL = 2,   /* no free slot to send */
	RING_EINVAL = 3, /* bad argument from the caller (length, geometry) */
	RING_BROKEN = 4, /* the peer wrote impossible indices; ring unusable */
};

enum ring_role { RING_ROLE_CLIENT = 1, RING_ROLE_SERVER = 2 };

/* One end's private view of a ring. Never lives in shared memory. */
struct ring {
	volatile struct ring_queue *tx; /* queue this end produces into */
	volatile struct ring_queue *rx; /* queue this end consumes from */
	volatile struct ring_msg *tx_slots;
	volatile struct ring_msg *rx_slots;
	volatile uint8_t *tx_data; /* this end's half of the data area */
	volatile uint8_t *rx_data; /* the peer's half */
	uint32_t nslots;           /* power of two */
	uint32_t data_half;        /* bytes in each data half */
	uint32_t tx_prod;          /* private producer index (may run ahead) */
	uint32_t tx_published;     /* tx_prod as last published to the peer */
	uint32_t tx_limit;         /* tx_prod may grow to this without a fresh look: the
	                              peer's consumer index as last accepted + nslots */
	uint32_t rx_cons;          /* private consumer index (may run ahead) */
	uint32_t rx_released;      /* rx_cons as last published to the peer */
	uint32_t rx_limit;         /* rx_cons may grow to this without a fresh look: the
	                              peer's producer index as last accepted */
	bool broken; /* the peer broke the protocol: every operation fails from now on */
};

/**
 * Computes the geometry of a ring region of @size bytes.
 * Needs: nothing. Returns: false if @size is too small or not a page multiple;
 * otherwise fills @nslots and @data_half.
 */
bool ring_geometry(size_t size, uint32_t *nslots, uint32_t *data_half);

/**
 * Attaches @r to the shared region @base of @size bytes as @role.
 * Needs: @base page aligned, zero or previously used by the same protocol.
 * Returns: RING_OK or RING_EINVAL (bad geometry or role).
 */
enum ring_status ring_attach(struct ring *r, void *base, size_t size, enum ring_role role);

/**
 * Copies a message of @len bytes (<= RING_INLINE_MAX) into the next tx slot
 * and publishes it. Sets *@notify when the peer asked to be signalled.
 * Returns: RING_OK, RING_FULL, RING_EINVAL (len), RING_BROKEN.
 */
enum ring_status ring_send(struct ring *r, uint16_t type, uint16_t flags, uint64_t tag,
                           const void *buf, uint32_t len, bool *notify);

/**
 * Copies the next rx message into @out (one read of the slot) and validates
 * it. Sets *@notify when the peer waits for space and should be signalled.
 * Returns: RING_OK, RING_EMPTY, RING_BROKEN (bad index or length).
 */
enum ring_status ring_recv(struct ring *r, struct ring_msg *out, bool *notify);

/*
 * The per-message fast paths, ring_put() and ring_take(), are inline (as
 * Xen's ring macros are): a 64-byte message then costs a few dozen
 * instructions on each side. Their slow paths live in ring.c.
 */
#define RING_KNOWN_FLAGS (RING_MSG_MORE | RING_MSG_DATA)

/** Slow path: looks at the peer's consumer index again. Returns RING_OK, RING_FULL, RING_BROKEN. */
enum ring_status ring_tx_refresh(struct ring *r);
/** Slow path: looks at the peer's producer index again. Returns RING_OK, RING_EMPTY, RING_BROKEN. */
enum ring_status ring_rx_refresh(struct ring *r);
/** Marks @r unusable for good (the peer broke the protocol). Returns RING_BROKEN. */
enum ring_status ring_mark_broken(struct ring *r);

/**
 * Needs: @r attached. Returns: true once the peer wrote an impossible index or message;
 * from then on every operation on @r fails (RING_BROKEN, NULL) until it is attached again.
 */
static inline bool ring_is_broken(const struct ring *r)
{
	return r->broken;
}

/* Copies @len (<= RING_INLINE_MAX) bytes: whole 16-byte blocks (one SSE load
 * and store each, unrolled), then the tail. */
static inline void ring_copy(volatile void *dst_v, const volatile void *src_v, uint32_t len)
{
	uint8_t *dst = (uint8_t *)dst_v;
	const uint8_t *src = (const uint8_t *)src_v;
	switch (len / 16) {
	case 7:
		__builtin_memcpy(dst + 96, src + 96, 16); /* fall through */
	case 6:
		__builtin_memcpy(dst + 80, src + 80, 16); /* fall through */
	case 5:
		__builtin_memcpy(dst + 64, src + 64, 16); /* fall through */
	case 4:
		__builtin_memcpy(dst + 48, src + 48, 16); /* fall through */
	case 3:
		__builtin_memcpy(dst + 32, src + 32, 16); /* fall through */
	case 2:
		__builtin_memcpy(dst + 16, src + 16, 16); /* fall through */
	case 1:
		__builtin_memcpy(dst, src, 16); /* fall through */
	default:
		break;
	}
	for (uint32_t i = len & ~15u; i < len; i++)
		dst[i] = src[i];
}

/**
 * Batching: writes a message like ring_send but does not publish it yet;
 * ring_publish() makes every message put so far visible at once, with one
 * barrier and one event check. The peer's consumer index is read only when
 * the last view of it says the ring is full.
 * Returns: RING_OK, RING_FULL, RING_EINVAL (len, flags), RING_BROKEN.
 */
static inline enum ring_status ring_put(struct ring *r, uint16_t type, uint16_t flags, uint64_t tag,
                                        const void *buf, uint32_t len)
{
	if (len > RING_INLINE_MAX || (flags & ~RING_KNOWN_FLAGS) != 0)
		return RING_EINVAL;
	if (r->tx_prod == r->tx_limit) {
		enum ring_status st = ring_tx_refresh(r);
		if (st != RING_OK)
			return st;
	}
	struct ring_msg *slot = (struct ring_msg *)&r->tx_slots[r->tx_prod & (r->nslots - 1)];
	slot->len = len;
	slot->type = type;
	slot->flags = flags;
	slot->tag = tag;
	ring_copy(slot->data, buf, len);
	r->tx_prod++;
	return RING_OK;
}

/**
 * Batching: receives like ring_recv but keeps the slot; ring_release()
 * hands every slot taken so far back to the peer at once. The header is
 * copied once and checked in private memory (no double fetch), then exactly
 * len payload bytes are copied.
 * Returns: RING_OK, RING_EMPTY, RING_BROKEN (bad index, length or flags).
 */
static inline enum ring_status ring_take(struct ring *r, struct ring_msg *out)
{
	if (r->rx_cons == r->rx_limit) {
		enum ring_status st = ring_rx_refresh(r);
		if (st != RING_OK)
			return st;
	}
	const volatile struct ring_msg *slot = &r->rx_slots[r->rx_cons & (r->nslots - 1)];
	__builtin_memcpy(out, (const void *)slot, offsetof(struct ring_msg, data));
	__asm__ volatile("" : : "r"(out) : "memory"); /* no re-read of the header */
	if (out->len > RING_INLINE_MAX || (out->flags & ~RING_KNOWN_FLAGS) != 0 ||
	    ((out->flags & RING_MSG_DATA) && out->len < sizeof(struct ring_data_ref)))
		return ring_mark_broken(r);
	ring_copy(out->data, slot->data, out->len);
	r->rx_cons++;
	return RING_OK;
}

/** Publishes the messages put so far. Sets *@notify when the peer should be signalled. */
void ring_publish(struct ring *r, bool *notify);

/** Releases the slots taken so far. Sets *@notify when the peer waits for space. */
void ring_release(struct ring *r, bool *notify);

/**
 * Asks the peer to signal when a message arrives, then re-checks.
 * Returns: true if a message is already there (do not sleep), else false.
 */
bool ring_rx_arm(struct ring *r);

#define RING_PARK_READY 1u  /* a message is there, or the ring is broken: do not sleep */
#define RING_PARK_NOTIFY 2u /* the peer asked for a message or for space: signal it */

/**
 * Before sleeping for a message: publishes the messages put, releases the slots taken and
 * asks the peer to signal when a message arrives, with one barrier for all three, then
 * re-checks. Needs: @r attached.
 * Returns: RING_PARK_READY and/or RING_PARK_NOTIFY (see above), or 0: sleep, no signal.
 */
unsigned ring_rx_park(struct ring *r);

/**
 * Asks the peer to signal when a tx slot frees up, then re-checks.
 * Returns: true if a slot is already free (do not sleep), else false.
 */
bool ring_tx_arm(struct ring *r);

/**
 * Returns a pointer into this end's tx data half for [@off, @off+@len), or
 * NULL if the span is out of bounds or the ring is broken.
 */
volatile uint8_t *ring_tx_data(struct ring *r, uint32_t off, uint32_t len);

/**
 * Returns a pointer into the peer's data half for the span @ref names, or
 * NULL if out of bounds (the reference came from the peer: hostile) or the
 * ring is broken.
 */
volatile const uint8_t *ring_rx_data(struct ring *r, const struct ring_data_ref *ref);

#endif
