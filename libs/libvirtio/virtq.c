/* libvirtio: a split virtqueue, driver side (free list, chains, event suppression, used ring). */
#include <string.h>

#include "virtq.h"

#define VIRTQ_ALIGN 64u  /* each part on its own cache line; the specification asks for 16/2/4 */
#define VIRTQ_PAGE 4096u /* no part crosses a page of device addresses (see place) */

static size_t align_up(size_t v)
{
	return (v + VIRTQ_ALIGN - 1) & ~(size_t)(VIRTQ_ALIGN - 1);
}

static size_t page_up(size_t v)
{
	return (v + VIRTQ_PAGE - 1) & ~(size_t)(VIRTQ_PAGE - 1);
}

static bool size_ok(uint16_t size)
{
	return size != 0 && size <= VIRTQ_MAX_SIZE && (size & (size - 1)) == 0;
}

/* Where a part of @len bytes goes at or after @off: on a cache line, and on the next page if
 * it would cross one. QEMU reaches each part behind an IOMMU through one translated page and
 * writes a used ring that crosses a page at a wrong address (a DMA fault at its offset). */
static size_t place(size_t off, size_t len)
{
	off = align_up(off);
	return (off & (VIRTQ_PAGE - 1)) + len > VIRTQ_PAGE ? page_up(off) : off;
}

static size_t avail_len(uint16_t size)
{
	return sizeof(struct virtq_avail) + (size_t)size * 2u + 2u;
}

static size_t used_len(uint16_t size)
{
	return sizeof(struct virtq_used) + (size_t)size * sizeof(struct virtq_used_elem) + 2u;
}

/* Offsets of the avail and used rings in the queue's memory. */
static size_t avail_off(uint16_t size)
{
	return place((size_t)size * sizeof(struct virtq_desc), avail_len(size));
}

static size_t used_off(uint16_t size)
{
	return place(avail_off(size) + avail_len(size), used_len(size));
}

size_t virtq_mem_size(uint16_t size)
{
	if (!size_ok(size))
		return 0;
	return page_up(used_off(size) + used_len(size)); /* the next queue starts on a page */
}

/* Store-store order before the device may see an index; full order before reading its reply. */
static inline void release_fence(void)
{
	__atomic_thread_fence(__ATOMIC_RELEASE);
}

static inline void full_fence(void)
{
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
}

static inline void acquire_fence(void)
{
	__atomic_thread_fence(__ATOMIC_ACQUIRE);
}

enum virtq_status virtq_init(struct virtq *q, uint16_t index, uint16_t size, void *mem,
                             uint64_t daddr, bool event_idx)
{
	uint8_t *base = mem;

	if (!size_ok(size) || ((uintptr_t)mem & (VIRTQ_ALIGN - 1)) || (daddr & (VIRTQ_ALIGN - 1)))
		return VIRTQ_EINVAL;
	memset(q, 0, sizeof(*q));
	memset(mem, 0, virtq_mem_size(size));
	q->desc = (volatile struct virtq_desc *)base;
	q->avail = (volatile struct virtq_avail *)(base + avail_off(size));
	q->used = (volatile struct virtq_used *)(base + used_off(size));
	q->desc_daddr = daddr;
	q->avail_daddr = daddr + avail_off(size);
	q->used_daddr = daddr + used_off(size);
	q->index = index;
	q->size = size;
	q->n_free = size;
	q->event_idx = event_idx;
	for (uint16_t i = 0; i < size; i++)
		q->next[i] = (uint16_t)((i + 1u) & (size - 1u));
	return VIRTQ_OK;
}

/* Writes descriptor @d of a chain; @more links it to the next one (the free list's order). */
static void write_desc(struct virtq *q, uint16_t d, const struct virtq_buf *b, bool more)
{
	volatile struct virtq_desc *desc = &q->desc[d];
	uint16_t flags = (uint16_t)((b->device_writes ? VIRTQ_DESC_F_WRITE : 0u) |
	                            (more ? VIRTQ_DESC_F_NEXT : 0u));

	desc->addr = b->daddr;
	desc->len = b->len;
	desc->flags = flags;
	desc->next = more ? q->next[d] : 0;
}

enum virtq_status virtq_add(struct virtq *q, const struct virtq_buf *bufs, uint16_t n,
                            uint16_t *head)
{
	if (q->broken)
		return VIRTQ_BROKEN;
	if (n == 0 || n > q->size || n > UINT8_MAX)
		return VIRTQ_EINVAL;
	if (n > q->n_free)
		return VIRTQ_FULL;
	uint16_t first = q->free_head, d = first;
	for (uint16_t i = 0; i < n; i++) {
		write_desc(q, d, &bufs[i], i + 1u < n);
		d = q->next[d];
	}
	q->free_head = d;
	q->n_free = (uint16_t)(q->n_free - n);
	q->chain[first] = (uint8_t)n;
	q->in_flight++;
	q->avail->ring[q->avail_idx & (q->size - 1u)] = first;
	q->avail_idx++;
	*head = first;
	return VIRTQ_OK;
}

bool virtq_publish(struct virtq *q)
{
	uint16_t old = q->published, now = q->avail_idx;

	if (q->broken || old == now)
		return false;
	release_fence();
	q->avail->idx = now;
	q->published = now;
	full_fence(); /* the index is out before the device's wish is read */
	if (q->event_idx)
		return virtq_need_event(*virtq_avail_event(q), now, old);
	return (q->used->flags & VIRTQ_USED_F_NO_NOTIFY) == 0;
}

/* Looks at the device's used index once: it may only move forward, by no more than the chains
 * in flight. Returns VIRTQ_OK (entries to collect), VIRTQ_EMPTY or VIRTQ_BROKEN. */
static enum virtq_status refresh_used(struct virtq *q)
{
	uint16_t idx = q->used->idx;

	acquire_fence(); /* the entries are read after the index that covers them */
	if ((uint16_t)(idx - q->last_used) > q->in_flight) {
		q->broken = true;
		return VIRTQ_BROKEN;
	}
	q->used_limit = idx;
	return idx == q->last_used ? VIRTQ_EMPTY : VIRTQ_OK;
}

/* Puts the @n descriptors of the chain at @head back on the free list (private links only). */
static void free_chain(struct virtq *q, uint16_t head, uint8_t n)
{
	uint16_t last = head;

	for (uint8_t i = 1; i < n; i++)
		last = q->next[last];
	q->next[last] = q->free_head;
	q->free_head = head;
	q->n_free = (uint16_t)(q->n_free + n);
	q->chain[head] = 0;
	q->in_flight--;
}

enum virtq_status virtq_get(struct virtq *q, uint16_t *head, uint32_t *len)
{
	if (q->broken)
		return VIRTQ_BROKEN;
	if (q->last_used == q->used_limit) {
		enum virtq_status st = refresh_used(q);
		if (st != VIRTQ_OK)
			return st;
	}
	const volatile struct virtq_used_elem *e = &q->used->ring[q->last_used & (q->size - 1u)];
	uint32_t id = e->id, n = e->len; /* one read each */
	q->last_used++;
	if (id >= q->size || q->chain[id] == 0) {
		q->bogus++;
		return VIRTQ_BOGUS;
	}
	free_chain(q, (uint16_t)id, q->chain[id]);
	*head = (uint16_t)id;
	*len = n;
	return VIRTQ_OK;
}

uint32_t virtq_collect(struct virtq *q, void (*done)(void *ctx, uint16_t head, uint32_t len),
                       void *ctx, bool *bad)
{
	uint32_t bogus = 0;
	uint16_t head;
	uint32_t len;

	for (uint32_t i = 0; i < q->size; i++) {
		enum virtq_status st = virtq_get(q, &head, &len);
		if (st == VIRTQ_EMPTY)
			break;
		if (st == VIRTQ_BROKEN) {
			*bad = true;
			break;
		}
		if (st == VIRTQ_BOGUS) {
			*bad = true;
			bogus++;
			continue;
		}
		done(ctx, head, len);
	}
	return bogus;
}

bool virtq_arm(struct virtq *q)
{
	if (q->broken || q->last_used != q->used_limit)
		return true;
	if (q->event_idx)
		*virtq_used_event(q) = q->last_used;
	else
		q->avail->flags = 0;
	full_fence(); /* the wish is out before the index is read again */
	return q->used->idx != q->last_used;
}

void virtq_disarm(struct virtq *q)
{
	if (!q->event_idx && !q->broken)
		q->avail->flags = VIRTQ_AVAIL_F_NO_INTERRUPT;
}
