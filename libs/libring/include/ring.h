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
	RING_EMPTY = 1,   /* nothing to receive */
	RING_FULL = 2,    /* no free slot to send */
	RING_EINVAL = 3,  /* bad argument from the caller (length, geometry) */
	RING_BROKEN = 4,  /* the peer wrote impossible indices; ring unusable */
};

enum ring_role { RING_ROLE_CLIENT = 1, RING_ROLE_SERVER = 2 };

/* One end's private view of a ring. Never lives in shared memory. */
struct ring {
	volatile struct ring_queue *tx;    /* queue this end produces into */
	volatile struct ring_queue *rx;    /* queue this end consumes from */
	volatile struct ring_msg *tx_slots;
	volatile struct ring_msg *rx_slots;
	volatile uint8_t *tx_data;         /* this end's half of the data area */
	volatile uint8_t *rx_data;         /* the peer's half */
	uint32_t nslots;                   /* power of two */
	uint32_t data_half;                /* bytes in each data half */
	uint32_t tx_prod;                  /* private producer index (may run ahead) */
	uint32_t tx_published;             /* tx_prod as last published to the peer */
	uint32_t tx_limit;                 /* tx_prod may grow to this without a fresh look */
	uint32_t rx_cons;                  /* private consumer index (may run ahead) */
	uint32_t rx_released;              /* rx_cons as last published to the peer */
	uint32_t rx_limit;                 /* rx_cons may grow to this without a fresh look */
	bool broken;
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

/**
 * Batching: writes a message like ring_send but does not publish it yet;
 * ring_publish() makes every message put so far visible at once, with one
 * barrier and one event check (the peer's view of free space is read only
 * when the last view says full). Returns: as ring_send.
 */
enum ring_status ring_put(struct ring *r, uint16_t type, uint16_t flags, uint64_t tag,
			  const void *buf, uint32_t len);

/** Publishes the messages put so far. Sets *@notify when the peer should be signalled. */
void ring_publish(struct ring *r, bool *notify);

/**
 * Batching: receives like ring_recv but keeps the slot; ring_release()
 * hands every slot taken so far back to the peer at once.
 * Returns: as ring_recv.
 */
enum ring_status ring_take(struct ring *r, struct ring_msg *out);

/** Releases the slots taken so far. Sets *@notify when the peer waits for space. */
void ring_release(struct ring *r, bool *notify);

/**
 * Asks the peer to signal when a message arrives, then re-checks.
 * Returns: true if a message is already there (do not sleep), else false.
 */
bool ring_rx_arm(struct ring *r);

/**
 * Asks the peer to signal when a tx slot frees up, then re-checks.
 * Returns: true if a slot is already free (do not sleep), else false.
 */
bool ring_tx_arm(struct ring *r);

/**
 * Returns a pointer into this end's tx data half for [@off, @off+@len), or
 * NULL if the span is out of bounds.
 */
volatile uint8_t *ring_tx_data(struct ring *r, uint32_t off, uint32_t len);

/**
 * Returns a pointer into the peer's data half for the span @ref names, or
 * NULL if out of bounds (the reference came from the peer: hostile).
 */
volatile const uint8_t *ring_rx_data(struct ring *r, const struct ring_data_ref *ref);

#endif
