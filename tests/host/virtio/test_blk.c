/* Host tests for the virtio-blk driver: bring-up, the request path, device errors, bad requests. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "blk_harness.h"

#define OK_FEATURES                                                                                \
	(VIRTIO_F_VERSION_1 | VIRTIO_F_ACCESS_PLATFORM | VIRTIO_F_EVENT_IDX | VIRTIO_BLK_F_FLUSH | \
	 VIRTIO_BLK_F_BLK_SIZE | VIRTIO_BLK_F_SEG_MAX | VIRTIO_BLK_F_RO)

static struct h *started(uint64_t features)
{
	struct h *h = h_new(features, 256, H_RING_SIZE);

	assert_int_equal(h_start(h), BLK_DEV_OK);
	return h;
}

/* ---- bring-up ---- */

static void test_init_accepts_only_implemented(void **state)
{
	(void)state;
	struct h *h = started(~0ull); /* every bit offered: MQ, DISCARD, packed rings, ... */

	assert_int_equal(h->sim->accepted, OK_FEATURES);
	assert_true(h->sim->status & VIRTIO_STATUS_DRIVER_OK);
	assert_int_equal(h->sim->resets, 1); /* a reset first, always */
	assert_int_equal(h->b->dev.capacity, H_CAPACITY);
	assert_true(h->b->dev.ro);
	assert_true(h->b->dev.flush);
	assert_true(h->b->max_reqs >= 64);
	h_free(h);
}

static void test_init_refuses_without_version_1(void **state)
{
	(void)state;
	struct h *h = h_new(H_FEATURES & ~VIRTIO_F_VERSION_1, 256, H_RING_SIZE);
	struct blk_resp r;
	uint64_t id;

	assert_int_equal(h_start(h), BLK_DEV_VIRTIO);
	assert_int_equal(h->b->dev.virtio_err, VIRTIO_ERR_FEATURES);
	assert_true(h->sim->status & VIRTIO_STATUS_FAILED);
	assert_false(h->sim->status & VIRTIO_STATUS_DRIVER_OK);
	uint64_t rd = h_send(h, BLK_OP_READ, 0, 0, 8, 0);
	h_drive(h);
	h_expect(h, rd, BLK_IOERR); /* answered, never hung */
	assert_int_equal(h->sim->requests, 0);
	uint64_t info = h_send(h, BLK_OP_INFO, 0, 0, 0, 0);
	h_drive(h);
	assert_true(h_recv(h, &id, &r));
	assert_int_equal(id, info);
	assert_int_equal(r.status, BLK_OK);
	h_free(h);
}

static void test_init_refuses_bad_geometry(void **state)
{
	(void)state;
	static const uint32_t bad[][2] = {{1000, 126}, {256, 126}, {131072, 126}, {512, 0}};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct h *h = h_new(H_FEATURES, 256, H_RING_SIZE);
		sim_set_geometry(h->sim, bad[i][0], bad[i][1]);
		assert_int_equal(h_start(h), BLK_DEV_CONFIG);
		assert_true(h->sim->status & VIRTIO_STATUS_FAILED);
		h_free(h);
	}
}

static void test_init_small_queue(void **state)
{
	(void)state;
	struct h *h = h_new(H_FEATURES, 2, H_RING_SIZE);

	assert_int_equal(h_start(h), BLK_DEV_VIRTIO); /* two descriptors hold no request */
	assert_int_equal(h->b->dev.virtio_err, VIRTIO_ERR_QUEUE);
	h_free(h);
}

/* ---- the request path ---- */

static void test_write_read_roundtrip(void **state)
{
	(void)state;
	struct h *h = started(H_FEATURES);

	h_pattern(h->data, 4096, 1);
	uint64_t w = h_send(h, BLK_OP_WRITE, 0, 100, 8, 0);
	h_drive(h);
	h_expect(h, w, BLK_OK);
	assert_memory_equal(sim_sector(h->sim, 100), h->data, 4096); /* on the disk itself */
	uint64_t r = h_send(h, BLK_OP_READ, 0, 100, 8, 65536);
	h_drive(h);
	h_expect(h, r, BLK_OK);
	assert_memory_equal(h->data + 65536, h->data, 4096);
	uint64_t last = h_send(h, BLK_OP_READ, 0, H_CAPACITY - 8, 8, H_DATA_SIZE - 4096);
	h_drive(h);
	h_expect(h, last, BLK_OK); /* the last sectors, into the last bytes of the region */
	assert_int_equal(h->sim->requests, 3);
	h_free(h);
}

static void test_flush(void **state)
{
	(void)state;
	struct h *h = started(H_FEATURES);

	uint64_t f = h_send(h, BLK_OP_FLUSH, 0, 0, 0, 0);
	h_drive(h);
	h_expect(h, f, BLK_OK);
	assert_int_equal(h->sim->flushes, 1);
	h->sim->flush_unsupp = true;
	f = h_send(h, BLK_OP_FLUSH, 0, 0, 0, 0);
	h_drive(h);
	h_expect(h, f, BLK_UNSUPP); /* the device's word, passed up */
	h_free(h);
	h = started(H_FEATURES & ~VIRTIO_BLK_F_FLUSH);
	f = h_send(h, BLK_OP_FLUSH, 0, 0, 0, 0);
	h_drive(h);
	h_expect(h, f, BLK_OK); /* no write cache: nothing to flush */
	assert_int_equal(h->sim->requests, 0);
	h_free(h);
}

static void test_64_in_flight(void **state)
{
	(void)state;
	struct h *h = started(H_FEATURES);
	uint64_t ids[64];
	uint8_t seen[64] = {0};

	h->sim->hold = true;
	for (uint32_t i = 0; i < 64; i++) {
		h_pattern(h->data + (size_t)i * 4096, 4096, i);
		ids[i] = h_send(h, BLK_OP_WRITE, 0, i * 8ull, 8, i * 4096ull);
	}
	h_drive(h);
	assert_int_equal(sim_fetch(h->sim), 64); /* the device holds all 64 at once */
	assert_int_equal(h->b->n_busy, 64);
	assert_int_equal(sim_complete(h->sim, 64, true), 64); /* newest first */
	h_drive(h);
	for (uint32_t i = 0; i < 64; i++) {
		struct blk_resp r;
		uint64_t id;
		assert_true(h_recv(h, &id, &r));
		assert_int_equal(r.status, BLK_OK);
		assert_int_equal(r.op, BLK_OP_WRITE);
		assert_true(id >= ids[0] && id <= ids[63]);
		seen[id - ids[0]]++;
	}
	for (uint32_t i = 0; i < 64; i++) {
		assert_int_equal(seen[i], 1);
		assert_memory_equal(sim_sector(h->sim, i * 8ull), h->data + (size_t)i * 4096, 4096);
	}
	h_free(h);
}

/* Interrupts only when the driver sleeps waiting for one; one notification per batch. */
static void test_event_suppression(void **state)
{
	(void)state;
	struct h *h = started(H_FEATURES);
	uint64_t ids[10];

	h->sim->hold = true;
	uint64_t a = h_send(h, BLK_OP_READ, 0, 0, 1, 0);
	h_drive(h);
	assert_int_equal(h->sim->kicks, 1);
	assert_int_equal(sim_fetch(h->sim), 1);
	sim_complete(h->sim, 1, false);
	assert_int_equal(h->sim->irqs, 1); /* the driver sleeps: it asked for this one */
	h_drive(h);
	h_expect(h, a, BLK_OK);
	for (uint32_t i = 0; i < 10; i++)
		ids[i] = h_send(h, BLK_OP_READ, 0, i, 1, i * 512ull);
	h_drive(h);
	assert_int_equal(h->sim->kicks, 2); /* ten requests, one notification */
	assert_int_equal(sim_fetch(h->sim), 10);
	sim_complete(h->sim, 5, false);
	assert_int_equal(h->sim->irqs, 2);
	sim_complete(h->sim, 5, false);
	assert_int_equal(h->sim->irqs, 2); /* not asked for again before the driver looked */
	h_drive(h);
	for (uint32_t i = 0; i < 10; i++)
		h_expect(h, ids[i], BLK_OK);
	h_free(h);
}

/* Without EVENT_IDX the avail ring's flag does the suppression: off while the driver works,
 * on again before it sleeps. */
static void test_interrupt_flag(void **state)
{
	(void)state;
	struct h *h = started(H_FEATURES & ~VIRTIO_F_EVENT_IDX);
	uint64_t ids[10];

	assert_false(h->b->dev.q.event_idx);
	h->sim->hold = true;
	for (uint32_t i = 0; i < 10; i++)
		ids[i] = h_send(h, BLK_OP_READ, 0, i, 1, i * 512ull);
	h_drive(h);
	assert_int_equal(sim_fetch(h->sim), 10);
	for (uint32_t round = 0; round < 2; round++) {
		uint32_t irqs = h->sim->irqs;
		sim_complete(h->sim, 5, false);
		assert_int_equal(h->sim->irqs, irqs + 1);
		h_drive(h);
		for (uint32_t i = 0; i < 5; i++)
			h_expect(h, ids[round * 5 + i], BLK_OK);
	}
	h_free(h);
}

/* A device that finishes a chain without writing its status byte: the request failed. */
static void test_status_not_written(void **state)
{
	(void)state;
	struct h *h = started(H_FEATURES);

	uint64_t a = h_send(h, BLK_OP_READ, 0, 0, 1, 0);
	h_drive(h);
	h_expect(h, a, BLK_OK); /* leaves a status byte of OK behind */
	h->sim->skip_status = true;
	uint64_t b = h_send(h, BLK_OP_READ, 0, 0, 1, 0); /* same descriptors, same status byte */
	h_drive(h);
	h_expect(h, b, BLK_IOERR);
	h_free(h);
}

/* More requests than the driver takes at once: the rest wait in the ring, none is lost. */
static void test_backpressure(void **state)
{
	(void)state;
	struct h *h = h_new(H_FEATURES, 16, H_RING_SIZE); /* 16 descriptors: 5 requests */
	uint64_t first = 0;

	assert_int_equal(h_start(h), BLK_DEV_OK);
	assert_int_equal(h->b->max_reqs, 5);
	for (uint32_t i = 0; i < 40; i++) {
		uint64_t id = h_send(h, BLK_OP_READ, 0, i, 1, i * 512ull);
		first = i == 0 ? id : first;
	}
	h_drive(h);
	for (uint32_t i = 0; i < 40; i++)
		h_expect(h, first + i, BLK_OK);
	h_free(h);
}

static void test_ioerr_only_for_failing_sectors(void **state)
{
	(void)state;
	struct h *h = started(H_FEATURES);

	h->sim->ioerr_first = 200;
	h->sim->ioerr_count = 8;
	uint64_t a = h_send(h, BLK_OP_READ, 0, 100, 8, 0);
	uint64_t b = h_send(h, BLK_OP_READ, 0, 204, 8, 4096);
	uint64_t c = h_send(h, BLK_OP_WRITE, 0, 300, 8, 8192);
	uint64_t d = h_send(h, BLK_OP_WRITE, 0, 192, 16, 8192);
	h_drive(h);
	h_expect(h, a, BLK_OK);
	h_expect(h, b, BLK_IOERR);
	h_expect(h, c, BLK_OK);
	h_expect(h, d, BLK_IOERR);
	assert_int_equal(h->b->resets, 0); /* an I/O error is not a broken device */
	h_free(h);
}

static void test_answers_wait_for_room(void **state)
{
	(void)state;
	struct h *h = h_new(H_FEATURES, 256, 4096); /* 4 slots each way */
	uint64_t first = 0;

	assert_int_equal(h_start(h), BLK_DEV_OK);
	for (uint32_t round = 0; round < 3; round++) {
		for (uint32_t i = 0; i < 4; i++) {
			uint64_t id = h_send(h, BLK_OP_READ, 0, i, 1, i * 512ull);
			first = round == 0 && i == 0 ? id : first;
		}
		h_drive(h); /* the answers fill the ring, then wait in the driver */
	}
	assert_int_equal(h->b->n_answers, 8);
	for (uint32_t i = 0; i < 12; i++) {
		h_expect_next(h, first + i, BLK_OK); /* in the order they were answered */
		h_drive(h);
	}
	h_free(h);
}

/* ---- a device that breaks the queue protocol or stops ---- */

/* Two reads held by the device; @breakit damages its answer; both requests get answered,
 * the device is reset once and serves again. */
static void check_recovery(void (*breakit)(struct h *h), enum blk_status first)
{
	struct h *h = started(H_FEATURES);

	h->sim->hold = true;
	uint64_t a = h_send(h, BLK_OP_READ, 0, 0, 8, 0);
	uint64_t b = h_send(h, BLK_OP_READ, 0, 8, 8, 4096);
	h_drive(h);
	assert_int_equal(sim_fetch(h->sim), 2);
	breakit(h);
	h_drive(h);
	h_expect(h, a, first);
	h_expect(h, b, BLK_IOERR); /* the device held it when it was reset */
	assert_int_equal(h->b->resets, 1);
	assert_int_equal(h->sim->resets, 2);
	assert_false(h->b->dead);
	h->sim->hold = false;
	uint64_t c = h_send(h, BLK_OP_READ, 0, 16, 8, 0);
	h_drive(h);
	h_expect(h, c, BLK_OK);
	h_free(h);
}

static void bogus_then_one(struct h *h)
{
	h->sim->bogus_ids = 1;
	assert_int_equal(sim_complete(h->sim, 1, false), 1);
}

static void wild_index(struct h *h)
{
	h->sim->wild_idx = true;
	assert_int_equal(sim_complete(h->sim, 1, false), 1);
}

static void needs_reset(struct h *h)
{
	assert_int_equal(sim_complete(h->sim, 1, false), 1);
	sim_needs_reset(h->sim);
}

static void test_bogus_used_id(void **state)
{
	(void)state;
	check_recovery(bogus_then_one, BLK_OK); /* the real entry after the bogus one counts */
}

static void test_wild_used_index(void **state)
{
	(void)state;
	check_recovery(wild_index, BLK_IOERR); /* nothing the device wrote is believed */
}

static void test_needs_reset(void **state)
{
	(void)state;
	check_recovery(needs_reset, BLK_OK);
}

/* The device cannot be brought back: every request is still answered. */
static void test_dead_device_answers(void **state)
{
	(void)state;
	struct h *h = started(H_FEATURES);

	h->sim->hold = true;
	uint64_t a = h_send(h, BLK_OP_WRITE, 0, 0, 8, 0);
	h_drive(h);
	assert_int_equal(sim_fetch(h->sim), 1);
	h->sim->reset_stuck = true;
	sim_needs_reset(h->sim);
	h_drive(h);
	h_expect(h, a, BLK_IOERR);
	assert_true(h->b->dead);
	assert_int_equal(h->b->last_err, BLK_DEV_VIRTIO);
	assert_int_equal(h->b->dev.virtio_err, VIRTIO_ERR_RESET);
	for (uint32_t i = 0; i < 100; i++) {
		uint64_t id = h_send(h, BLK_OP_READ, 0, 0, 1, 0);
		h_drive(h);
		h_expect(h, id, BLK_IOERR);
	}
	h_free(h);
}

/* A fresh instance takes over a device another left with requests in flight. */
static void test_takeover(void **state)
{
	(void)state;
	struct h *h = started(H_FEATURES);

	h->sim->hold = true;
	for (uint32_t i = 0; i < 5; i++)
		h_send(h, BLK_OP_READ, 0, i, 1, 0);
	h_drive(h);
	assert_int_equal(sim_fetch(h->sim), 5);
	memset(h->b, 0, sizeof(*h->b)); /* the old instance is gone; a new one starts */
	struct blk_region g = {h->data, H_DATA_SIZE, (uintptr_t)h->data, true, "data"};
	h->b->regions[h->b->n_regions++] = g;
	memset(h->vq, 0x5a, blk_dev_mem_size()); /* whatever the queue memory holds */
	assert_int_equal(ring_attach(&h->server, h->ringmem, h->ring_size, RING_ROLE_SERVER),
	                 RING_OK);
	uint32_t resets = h->sim->resets;
	assert_int_equal(h_start(h), BLK_DEV_OK);
	assert_int_equal(h->sim->resets, resets + 1);
	assert_int_equal(h->sim->vq[0].n_held,
	                 0); /* the old requests are forgotten by the device */
	h->sim->hold = false;
	h_pattern(h->data, 512, 9);
	uint64_t w = h_send(h, BLK_OP_WRITE, 0, 7, 1, 0);
	h_drive(h);
	h_expect(h, w, BLK_OK); /* the old ones were taken, never answered: the client resends */
	assert_memory_equal(sim_sector(h->sim, 7), h->data, 512);
	h_free(h);
}

/* ---- requests the driver refuses before they reach the device ---- */

struct bad {
	const char *what;
	struct blk_req req;
	enum blk_status st;
};

#define RD BLK_OP_READ
#define WR BLK_OP_WRITE
static const struct bad bad_reqs[] = {
	{"unknown op", {9, 0, 0, 1, 0, 0, 512}, BLK_EINVAL},
	{"op zero", {0, 0, 0, 1, 0, 0, 512}, BLK_EINVAL},
	{"count zero", {RD, 0, 0, 0, 0, 0, 0}, BLK_EINVAL},
	{"length not count * 512", {RD, 0, 0, 1, 0, 0, 511}, BLK_EINVAL},
	{"length overflowing", {RD, 0, 0, 1, 0, 0, (1ull << 63) + 512}, BLK_EINVAL},
	{"too long",
         {RD, 0, 0, BLK_MAX_SECTORS + 8, 0, 0, (BLK_MAX_SECTORS + 8ull) * 512},
         BLK_EINVAL},
	{"reserved set", {RD, 0, 0, 1, 1, 0, 512}, BLK_EINVAL},
	{"offset unaligned", {RD, 0, 0, 1, 0, 100, 512}, BLK_EINVAL},
	{"past the end", {RD, 0, H_CAPACITY - 1, 2, 0, 0, 1024}, BLK_ERANGE},
	{"sector huge", {RD, 0, ~0ull - 7, 8, 0, 0, 4096}, BLK_ERANGE},
	{"unknown region", {RD, 2, 0, 1, 0, 0, 512}, BLK_EFAULT},
	{"region huge", {RD, 0xffffffffu, 0, 1, 0, 0, 512}, BLK_EFAULT},
	{"span past region", {WR, 0, 0, 8, 0, H_DATA_SIZE - 2048, 4096}, BLK_EFAULT},
	{"offset past region", {WR, 0, 0, 1, 0, H_DATA_SIZE, 512}, BLK_EFAULT},
	{"offset wraps", {WR, 0, 0, 8, 0, ~0ull - 511, 4096}, BLK_EFAULT},
	{"read into read-only region", {RD, 1, 0, 1, 0, 0, 512}, BLK_EFAULT},
	{"flush with a sector", {BLK_OP_FLUSH, 0, 1, 0, 0, 0, 0}, BLK_EINVAL},
	{"flush with a region", {BLK_OP_FLUSH, 1, 0, 0, 0, 0, 0}, BLK_EINVAL},
	{"info with a length", {BLK_OP_INFO, 0, 0, 0, 0, 0, 512}, BLK_EINVAL},
};

static void expect_refused(struct h *h, const struct bad *b)
{
	uint64_t id = h->next_id++;
	struct blk_resp r;
	uint64_t got;

	h_send_raw(h, BLK_MSG_REQ, 0, id, &b->req, sizeof(b->req));
	h_drive(h);
	assert_true(h_recv(h, &got, &r));
	assert_int_equal(got, id);
	if (r.status != b->st)
		fail_msg("%s: status %u, expected %u", b->what, r.status, b->st);
	assert_int_equal(r.op, b->req.op);
}

static void test_bad_requests(void **state)
{
	(void)state;
	struct h *h = started(H_FEATURES);

	for (size_t i = 0; i < sizeof(bad_reqs) / sizeof(bad_reqs[0]); i++)
		expect_refused(h, &bad_reqs[i]);
	assert_int_equal(h->sim->requests, 0);             /* none reached the device */
	uint64_t ok = h_send(h, BLK_OP_WRITE, 1, 0, 1, 0); /* a write from read-only is fine */
	h_drive(h);
	h_expect(h, ok, BLK_OK);
	h_free(h);
}

static void test_bad_messages(void **state)
{
	(void)state;
	struct h *h = started(H_FEATURES);
	struct blk_req r = {BLK_OP_READ, 0, 0, 1, 0, 0, 512};
	struct ring_data_ref ref = {0, 40};

	h_send_raw(h, 7, 0, 1, &r, sizeof(r));                           /* wrong type */
	h_send_raw(h, BLK_MSG_REQ, 0, 2, &r, sizeof(r) - 1);             /* short */
	h_send_raw(h, BLK_MSG_REQ, 0, 3, &r, 0);                         /* empty */
	h_send_raw(h, BLK_MSG_REQ, RING_MSG_MORE, 4, &r, sizeof(r));     /* split */
	h_send_raw(h, BLK_MSG_REQ, RING_MSG_DATA, 5, &ref, sizeof(ref)); /* by reference */
	h_drive(h);
	for (uint64_t id = 1; id <= 5; id++)
		h_expect(h, id, BLK_EINVAL);
	assert_int_equal(h->sim->requests, 0);
	h_free(h);
}

static void test_block_size_and_ro(void **state)
{
	(void)state;
	struct h *h = h_new(H_FEATURES | VIRTIO_BLK_F_RO, 256, H_RING_SIZE);

	sim_set_geometry(h->sim, 4096, 126);
	assert_int_equal(h_start(h), BLK_DEV_OK);
	uint64_t a = h_send(h, BLK_OP_READ, 0, 1, 8, 0); /* sector not on a block */
	uint64_t b = h_send(h, BLK_OP_READ, 0, 8, 4, 0); /* half a block */
	uint64_t c = h_send(h, BLK_OP_READ, 0, 8, 8, 0);
	uint64_t d = h_send(h, BLK_OP_WRITE, 0, 8, 8, 0); /* read-only disk */
	h_drive(h);
	h_expect(h, a, BLK_EINVAL);
	h_expect(h, b, BLK_EINVAL);
	h_expect(h, c, BLK_OK);
	h_expect(h, d, BLK_EROFS);
	assert_int_equal(h->sim->requests, 1);
	h_free(h);
}

static void test_info(void **state)
{
	(void)state;
	struct h *h = started(H_FEATURES);
	struct blk_resp r;
	uint64_t id;

	for (uint32_t region = 0; region < 3; region++) {
		uint64_t want = h_send(h, BLK_OP_INFO, region, 0, 0, 0);
		h_drive(h);
		assert_true(h_recv(h, &id, &r));
		assert_int_equal(id, want);
		assert_int_equal(r.status, BLK_OK);
		assert_int_equal(r.op, BLK_OP_INFO);
		assert_int_equal(r.capacity, H_CAPACITY);
		assert_int_equal(r.block_size, 512);
		assert_int_equal(r.flags, BLK_INFO_FLUSH);
		assert_int_equal(r.max_requests, h->b->max_reqs);
		assert_int_equal(r.max_sectors, BLK_MAX_SECTORS);
		assert_int_equal(r.n_regions, 2);
		assert_int_equal(r.region_size, region == 0 ? H_DATA_SIZE :
		                                region == 1 ? H_RO_SIZE :
		                                              0);
		assert_string_equal(r.region_name, region == 0 ? "data" : region == 1 ? "ro" : "");
	}
	h_free(h);
}

/* A client that writes an impossible index: the driver stops serving and stops the device. */
static void test_client_breaks_ring(void **state)
{
	(void)state;
	struct h *h = started(H_FEATURES);

	h->sim->hold = true;
	h_send(h, BLK_OP_READ, 0, 0, 8, 0);
	h_drive(h);
	assert_int_equal(sim_fetch(h->sim), 1);
	volatile struct ring_queue *req = (volatile struct ring_queue *)h->ringmem;
	req->prod += 1000;
	h->client_signalled = true;
	h_drive(h);
	assert_true(h->b->ring_broken);
	uint32_t resets = h->sim->resets;
	blk_stop(h->b);
	assert_int_equal(h->sim->resets, resets + 1); /* no more DMA into the client's region */
	assert_int_equal(h->sim->vq[0].n_held, 0);
	h_free(h);
}

/* ---- a long run against a device that misbehaves at random ---- */

#define STRESS_STEPS 3000u
#define STRESS_IDS 4096u

struct stress {
	struct h *h;
	uint32_t seed;
	uint32_t sent, answered;
	uint8_t answers[STRESS_IDS]; /* per id: how many answers came */
};

static uint32_t rnd(struct stress *st, uint32_t n)
{
	st->seed = st->seed * 1103515245u + 12345u;
	return (st->seed >> 8) % n;
}

/* Sends a request of a random op, valid or not; false if the ring is full. */
static bool stress_send(struct stress *st)
{
	static const uint32_t ops[] = {BLK_OP_READ, BLK_OP_WRITE, BLK_OP_FLUSH, BLK_OP_READ, 7};
	uint32_t op = ops[rnd(st, 5)], count = 1 + rnd(st, 16);
	struct blk_req r = {op, rnd(st, 8) == 0,       rnd(st, H_CAPACITY + 8), count,
	                    0,  512ull * rnd(st, 128), count * 512ull};
	bool notify = false;

	if (op == BLK_OP_FLUSH)
		r = (struct blk_req){BLK_OP_FLUSH, 0, 0, 0, 0, 0, 0};
	if (st->sent == STRESS_IDS)
		return false;
	if (ring_send(&st->h->client, BLK_MSG_REQ, 0, st->sent, &r, sizeof(r), &notify) != RING_OK)
		return false;
	st->h->client_signalled |= notify;
	st->sent++;
	return true;
}

static void stress_receive(struct stress *st)
{
	struct blk_resp r;
	uint64_t id;

	while (h_recv(st->h, &id, &r)) {
		assert_true(id < st->sent);
		assert_true(r.status < BLK_STATUS_COUNT);
		st->answers[id]++;
		st->answered++;
	}
}

/* The device does something, good or bad. */
static void stress_device(struct stress *st)
{
	struct sim_dev *sim = st->h->sim;

	sim_fetch(sim);
	switch (rnd(st, 40)) {
	case 0:
		sim->bogus_ids = 1 + rnd(st, 3);
		break;
	case 1:
		sim->wild_idx = true;
		break;
	case 2:
		sim_needs_reset(sim);
		break;
	case 3:
		sim->skip_status = !sim->skip_status;
		break;
	case 4:
		sim->ioerr_first = rnd(st, H_CAPACITY);
		sim->ioerr_count = rnd(st, 64);
		break;
	default:
		break;
	}
	sim_complete(sim, rnd(st, 12), rnd(st, 2));
}

/* Every request gets exactly one answer, whatever the device did, and nothing hangs. */
static void test_random_faults(void **state)
{
	(void)state;
	struct stress *st = calloc(1, sizeof(*st));

	st->h = started(H_FEATURES);
	st->seed = 42;
	st->h->sim->hold = true;
	for (uint32_t step = 0; step < STRESS_STEPS; step++) {
		for (uint32_t n = rnd(st, 6); n > 0 && stress_send(st); n--)
			;
		h_drive(st->h);
		stress_device(st);
		h_drive(st->h);
		stress_receive(st);
	}
	struct sim_dev *sim = st->h->sim;
	sim->skip_status = false;
	for (uint32_t i = 0; i < 100 && st->answered < st->sent; i++) {
		sim_fetch(sim);
		sim_complete(sim, SIM_MAX_HELD, false);
		h_drive(st->h);
		stress_receive(st);
	}
	assert_int_equal(st->answered, st->sent);
	for (uint32_t id = 0; id < st->sent; id++)
		assert_int_equal(st->answers[id], 1);
	assert_true(st->h->b->resets > 0); /* the faults did happen */
	assert_false(st->h->b->dead);
	h_free(st->h);
	free(st);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_init_accepts_only_implemented),
		cmocka_unit_test(test_init_refuses_without_version_1),
		cmocka_unit_test(test_init_refuses_bad_geometry),
		cmocka_unit_test(test_init_small_queue),
		cmocka_unit_test(test_write_read_roundtrip),
		cmocka_unit_test(test_flush),
		cmocka_unit_test(test_64_in_flight),
		cmocka_unit_test(test_event_suppression),
		cmocka_unit_test(test_interrupt_flag),
		cmocka_unit_test(test_status_not_written),
		cmocka_unit_test(test_backpressure),
		cmocka_unit_test(test_ioerr_only_for_failing_sectors),
		cmocka_unit_test(test_answers_wait_for_room),
		cmocka_unit_test(test_bogus_used_id),
		cmocka_unit_test(test_wild_used_index),
		cmocka_unit_test(test_needs_reset),
		cmocka_unit_test(test_dead_device_answers),
		cmocka_unit_test(test_takeover),
		cmocka_unit_test(test_bad_requests),
		cmocka_unit_test(test_bad_messages),
		cmocka_unit_test(test_block_size_and_ro),
		cmocka_unit_test(test_info),
		cmocka_unit_test(test_client_breaks_ring),
		cmocka_unit_test(test_random_faults),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
