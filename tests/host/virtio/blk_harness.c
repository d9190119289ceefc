/* Host tests: the virtio-blk driver's request path between a client ring end and the simulated device. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "blk_harness.h"

#define H_MAX_PASSES 10000u

static void *page_alloc(size_t size)
{
	void *p = aligned_alloc(4096, (size + 4095) & ~(size_t)4095);

	assert_non_null(p);
	memset(p, 0, size);
	return p;
}

static void add_region(struct h *h, uint8_t *base, uint64_t size, bool writable, const char *name)
{
	struct blk_region *g = &h->b->regions[h->b->n_regions++];

	g->base = base;
	g->size = size;
	g->daddr = (uintptr_t)base;
	g->writable = writable;
	strncpy(g->name, name, sizeof(g->name) - 1);
	sim_dma_add(h->sim, base, size, writable);
}

struct h *h_new(uint64_t features, uint16_t q_max, uint32_t ring_size)
{
	struct h *h = calloc(1, sizeof(*h));

	h->sim = sim_new(H_CAPACITY, features, q_max);
	h->vq = page_alloc(blk_dev_mem_size());
	h->data = page_alloc(H_DATA_SIZE);
	h->rodata = page_alloc(H_RO_SIZE);
	h->ring_size = ring_size;
	h->ringmem = page_alloc(ring_size);
	h->b = calloc(1, sizeof(*h->b));
	sim_dma_add(h->sim, h->vq, blk_dev_mem_size(), true);
	add_region(h, h->data, H_DATA_SIZE, true, "data");
	add_region(h, h->rodata, H_RO_SIZE, false, "ro");
	assert_int_equal(ring_attach(&h->client, h->ringmem, ring_size, RING_ROLE_CLIENT), RING_OK);
	assert_int_equal(ring_attach(&h->server, h->ringmem, ring_size, RING_ROLE_SERVER), RING_OK);
	h->next_id = 1000;
	return h;
}

enum blk_dev_err h_start(struct h *h)
{
	assert_int_equal(blk_dev_open(&h->b->dev, &h->sim->ops, h->vq, blk_dev_mem_size()),
	                 BLK_DEV_OK);
	return blk_serve_init(h->b, &h->server);
}

void h_free(struct h *h)
{
	assert_int_equal(h->sim->dma_faults, 0);
	assert_int_equal(h->sim->bad_mmio, 0);
	free(h->vq);
	free(h->data);
	free(h->rodata);
	free(h->ringmem);
	free(h->b);
	sim_free(h->sim);
	free(h);
}

void h_send_raw(struct h *h, uint16_t type, uint16_t flags, uint64_t tag, const void *buf,
                uint32_t len)
{
	bool notify = false;

	assert_int_equal(ring_send(&h->client, type, flags, tag, buf, len, &notify), RING_OK);
	h->client_signalled |= notify;
}

uint64_t h_send(struct h *h, uint32_t op, uint32_t region, uint64_t sector, uint32_t count,
                uint64_t offset)
{
	struct blk_req r = {op, region, sector, count, 0, offset, (uint64_t)count * 512u};
	uint64_t id = h->next_id++;

	if (op == BLK_OP_FLUSH || op == BLK_OP_INFO)
		r.length = 0;
	h_send_raw(h, BLK_MSG_REQ, 0, id, &r, sizeof(r));
	return id;
}

/* One sleep of the driver: it wakes only for an interrupt or a signal from the client. */
static bool wake(struct h *h, bool *irq)
{
	*irq = sim_take_irq(h->sim);
	bool client = h->client_signalled;
	h->client_signalled = false;
	return *irq || client;
}

uint32_t h_drive(struct h *h)
{
	bool irq = false;

	for (uint32_t pass = 1; pass <= H_MAX_PASSES; pass++) {
		h->driver_signalled |= (blk_pump(h->b, irq) & BLK_NOTIFY) != 0;
		irq = false;
		if (h->b->ring_broken)
			return pass;
		unsigned idle = blk_idle(h->b);
		h->driver_signalled |= (idle & BLK_NOTIFY) != 0;
		if (!(idle & BLK_READY) && !wake(h, &irq))
			return pass;
	}
	fail_msg("the driver never wanted to sleep");
	return H_MAX_PASSES;
}

bool h_recv(struct h *h, uint64_t *id, struct blk_resp *resp)
{
	struct ring_msg m;
	bool notify = false;

	if (ring_recv(&h->client, &m, &notify) != RING_OK)
		return false;
	h->client_signalled |= notify;
	assert_int_equal(m.type, BLK_MSG_RESP);
	assert_int_equal(m.len, sizeof(*resp));
	memcpy(resp, m.data, sizeof(*resp));
	*id = m.tag;
	return true;
}

void h_expect_next(struct h *h, uint64_t id, enum blk_status st)
{
	struct blk_resp r = {0};
	uint64_t got = 0;

	assert_true(h_recv(h, &got, &r));
	assert_int_equal(got, id);
	assert_int_equal(r.status, st);
}

void h_pattern(uint8_t *p, uint32_t len, uint32_t seed)
{
	for (uint32_t i = 0; i < len; i++)
		p[i] = (uint8_t)(seed * 131u + i * 7u + (i >> 9));
}

/* The answer to @id among those already received, or received now. */
static struct blk_resp find(struct h *h, uint64_t id)
{
	for (;;) {
		for (uint32_t i = 0; i < h->n_got; i++) {
			if (h->got[i].id != id)
				continue;
			struct blk_resp r = h->got[i].resp;
			h->got[i] = h->got[--h->n_got];
			return r;
		}
		assert_true(h->n_got < H_MAX_GOT);
		struct h_got *g = &h->got[h->n_got];
		if (!h_recv(h, &g->id, &g->resp))
			fail_msg("no answer to request %llu", (unsigned long long)id);
		h->n_got++;
	}
}

void h_expect(struct h *h, uint64_t id, enum blk_status st)
{
	struct blk_resp r = find(h, id);

	if (r.status != st)
		fail_msg("request %llu: status %u, expected %u", (unsigned long long)id, r.status,
		         st);
}
