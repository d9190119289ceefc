/* libvirtio: a split virtqueue, driver side, over memory the device reaches by DMA. */
#ifndef LIBVIRTIO_VIRTQ_H
#define LIBVIRTIO_VIRTQ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "virtio_spec.h"

#define VIRTQ_MAX_SIZE 256u /* descriptors per queue at most (the private tables below) */

enum virtq_status {
	VIRTQ_OK = 0,
	VIRTQ_EMPTY = 1,  /* no used entry to collect */
	VIRTQ_FULL = 2,   /* too few free descriptors for the chain */
	VIRTQ_EINVAL = 3, /* bad argument from the caller (size, chain length) */
	VIRTQ_BOGUS = 4,  /* a used entry named no chain in flight: it was consumed and ignored */
	VIRTQ_BROKEN = 5, /* the device wrote an impossible used index: the queue is dead */
};

/* One buffer of a chain: a span of device addresses, read or written by the device. */
struct virtq_buf {
	uint64_t daddr;
	uint32_t len;
	bool device_writes;
};

/*
 * The driver's private view of one split virtqueue. What the device writes (used ring, event
 * index, flags) is read once into locals and checked; the free list and the chains in flight
 * live here, never in the shared descriptor table, so a device scribbling over its rings can
 * make the driver ignore entries or give up the queue, never follow a wild link.
 */
struct virtq {
	volatile struct virtq_desc *desc;
	volatile struct virtq_avail *avail;
	volatile struct virtq_used *used;
	uint64_t desc_daddr, avail_daddr, used_daddr;
	uint64_t notify;     /* the transport's notify address for this queue */
	uint16_t index;      /* queue number on the device */
	uint16_t size;       /* power of two, <= VIRTQ_MAX_SIZE */
	uint16_t n_free;     /* descriptors on the free list */
	uint16_t free_head;  /* first free descriptor */
	uint16_t avail_idx;  /* private producer index of the avail ring */
	uint16_t published;  /* avail_idx as the device last saw it */
	uint16_t last_used;  /* next used entry to collect */
	uint16_t used_limit; /* the device's used index as last accepted */
	uint16_t in_flight;  /* chains the device holds */
	bool event_idx;      /* VIRTIO_F_EVENT_IDX negotiated */
	bool broken;         /* the device broke the protocol: every call fails from now on */
	uint32_t bogus;      /* used entries ignored since init */
	uint16_t next[VIRTQ_MAX_SIZE]; /* free-list and chain links */
	uint8_t chain[VIRTQ_MAX_SIZE]; /* descriptors of the chain headed here; 0: not in flight */
};

/**
 * Bytes of DMA memory a queue of @size descriptors needs (descriptor table, avail ring, used
 * ring, each aligned as the specification asks and none crossing a 4 KiB page when the memory
 * starts on one), a whole number of pages, so queues laid one after another each start on a
 * page. Returns: 0 if @size is not a power of two in [1, VIRTQ_MAX_SIZE].
 */
size_t virtq_mem_size(uint16_t size);

/**
 * Lays a queue of @size descriptors out in @mem (virtq_mem_size(size) bytes, 64-byte aligned,
 * zeroed here) that the device reaches at @daddr. Needs: @q writable; @daddr on a 4 KiB page
 * for a device that reaches each part through one page (QEMU behind an IOMMU).
 * Returns: VIRTQ_OK, or VIRTQ_EINVAL for a bad size or alignment.
 */
enum virtq_status virtq_init(struct virtq *q, uint16_t index, uint16_t size, void *mem,
                             uint64_t daddr, bool event_idx);

/**
 * Writes a chain of @n buffers into free descriptors and queues its head in the avail ring
 * (not yet visible to the device: see virtq_publish). Sets *@head to the chain's head, which is
 * virtq_next_head() at the call.
 * Returns: VIRTQ_OK, VIRTQ_FULL, VIRTQ_EINVAL (@n is 0 or larger than the queue), VIRTQ_BROKEN.
 */
enum virtq_status virtq_add(struct virtq *q, const struct virtq_buf *bufs, uint16_t n,
                            uint16_t *head);

/**
 * Makes every chain added so far visible to the device, with event suppression.
 * Returns: true when the device asked to be notified (then notify it through the transport).
 */
bool virtq_publish(struct virtq *q);

/**
 * Collects the next used entry: *@head is the chain the device finished, *@len the bytes it
 * says it wrote (untrusted); the chain's descriptors are free again.
 * Returns: VIRTQ_OK, VIRTQ_EMPTY, VIRTQ_BOGUS (an entry naming no chain in flight, consumed),
 * VIRTQ_BROKEN (the used index moved further than the chains in flight allow).
 */
enum virtq_status virtq_get(struct virtq *q, uint16_t *head, uint32_t *len);

/**
 * Collects at most one queue's worth of used entries of @q, calling @done(@ctx, head, len)
 * for each good one (see virtq_get). Sets *@bad when the device wrote an entry or index that
 * cannot be (a bogus entry, skipped, or a broken index, which ends the collection).
 * Returns: the number of bogus entries seen.
 */
uint32_t virtq_collect(struct virtq *q, void (*done)(void *ctx, uint16_t head, uint32_t len),
                       void *ctx, bool *bad);

/**
 * Asks the device to interrupt at its next used entry, then looks again.
 * Returns: true if an entry is already there or the queue is broken (do not sleep).
 */
bool virtq_arm(struct virtq *q);

/** Tells the device that no interrupt is needed now (a hint; without EVENT_IDX only). */
void virtq_disarm(struct virtq *q);

/** The head the next virtq_add will use (to fill per-request memory indexed by head first). */
static inline uint16_t virtq_next_head(const struct virtq *q)
{
	return q->free_head;
}

/** Needs: @q initialised. Returns: true once the device broke the protocol. */
static inline bool virtq_is_broken(const struct virtq *q)
{
	return q->broken;
}

/**
 * The event-index rule both sides apply: having moved an index from @old_idx to @new_idx, the
 * other side asked to hear about it if @event lies in [@old_idx, @new_idx).
 */
static inline bool virtq_need_event(uint16_t event, uint16_t new_idx, uint16_t old_idx)
{
	return (uint16_t)(new_idx - event - 1) < (uint16_t)(new_idx - old_idx);
}

/* Where the event indices live: after the last entry of the avail and used rings. */
static inline volatile uint16_t *virtq_used_event(const struct virtq *q)
{
	return &q->avail->ring[q->size];
}

static inline volatile uint16_t *virtq_avail_event(const struct virtq *q)
{
	volatile uint8_t *end = (volatile uint8_t *)q->used->ring;

	return (volatile uint16_t *)(end + (size_t)q->size * sizeof(struct virtq_used_elem));
}

#endif
