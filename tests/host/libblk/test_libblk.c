/* Host tests for libblk: INFO, local refusals, async submit/complete, waits that keep others. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <libblk.h>

#define RING_BYTES 65536u
#define SECTORS 256u
#define DATA_BYTES 65536u
#define BAD_SECTOR 13u /* the simulated server fails I/O on this sector */

/* A simulated server on the other end of the ring: a RAM disk, answering in its own order. */
struct sim {
	uint8_t *mem;
	struct ring client, server;
	uint8_t disk[SECTORS * BLK_SECTOR_SIZE];
	uint8_t data[DATA_BYTES];
	uint32_t ro;
	bool reverse; /* answer each batch last first */
	bool junk;    /* also send an answer to a tag nobody used */
	unsigned waits, signals;
	bool woken; /* the client signalled since the server last slept */
};

static void sim_io(struct sim *s, const struct blk_req *q, struct blk_resp *a)
{
	uint8_t *d = s->disk + q->sector * BLK_SECTOR_SIZE, *b = s->data + q->offset;

	if (q->sector <= BAD_SECTOR && BAD_SECTOR < q->sector + q->count)
		a->status = BLK_IOERR;
	else if (q->op == BLK_OP_READ)
		memcpy(b, d, q->length);
	else
		memcpy(d, b, q->length);
}

static void sim_answer(struct sim *s, const struct ring_msg *m)
{
	struct blk_req q;
	struct blk_resp a;

	memcpy(&q, m->data, sizeof(q));
	memset(&a, 0, sizeof(a));
	a.op = q.op;
	if (q.op == BLK_OP_INFO) {
		a.capacity = SECTORS;
		a.block_size = 512;
		a.flags = s->ro | BLK_INFO_FLUSH;
		a.max_requests = 8;
		a.max_sectors = 64;
		a.n_regions = 1;
		a.region_size = DATA_BYTES;
		strcpy(a.region_name, "vol-data");
	} else if (q.op != BLK_OP_FLUSH) {
		sim_io(s, &q, &a);
	}
	assert_int_equal(ring_put(&s->server, BLK_MSG_RESP, 0, m->tag, &a, sizeof(a)), RING_OK);
}

/*
 * The client sleeps: the server, if the client woke it, serves everything in the ring, then
 * publishes and sleeps again, armed. A client that sleeps without having woken a sleeping
 * server would sleep forever: that fails the test.
 */
static void sim_wait(void *ctx)
{
	struct sim *s = ctx;
	struct ring_msg batch[64];
	uint32_t n = 0;
	bool notify;

	s->waits++;
	if (!s->woken)
		fail_msg("the client sleeps, but never woke the server: both would sleep forever");
	s->woken = false;
	while (n < 64 && ring_take(&s->server, &batch[n]) == RING_OK)
		n++;
	for (uint32_t i = 0; i < n; i++)
		sim_answer(s, &batch[s->reverse ? n - 1 - i : i]);
	if (s->junk) {
		struct blk_resp a = {0};
		assert_int_equal(ring_put(&s->server, BLK_MSG_RESP, 0, 9999, &a, sizeof(a)),
		                 RING_OK);
	}
	ring_release(&s->server, &notify);
	ring_publish(&s->server, &notify);
	ring_rx_arm(&s->server);
}

static void sim_signal(void *ctx)
{
	((struct sim *)ctx)->signals++;
	((struct sim *)ctx)->woken = true;
}

static int setup(void **state)
{
	struct sim *s = calloc(1, sizeof(*s));

	s->mem = aligned_alloc(4096, RING_BYTES);
	memset(s->mem, 0, RING_BYTES);
	assert_int_equal(ring_attach(&s->client, s->mem, RING_BYTES, RING_ROLE_CLIENT), RING_OK);
	assert_int_equal(ring_attach(&s->server, s->mem, RING_BYTES, RING_ROLE_SERVER), RING_OK);
	ring_rx_arm(&s->server); /* the server asks to be signalled for requests */
	*state = s;
	return 0;
}

static int teardown(void **state)
{
	struct sim *s = *state;

	free(s->mem);
	free(s);
	return 0;
}

static struct blk_vol *attached(struct sim *s)
{
	static struct blk_vol v;

	assert_int_equal(blk_attach(&v, &s->client, sim_wait, sim_signal, s), BLK_OK);
	return &v;
}

static void test_attach_info(void **state)
{
	struct sim *s = *state;
	struct blk_vol *v = attached(s);

	assert_int_equal(v->sectors, SECTORS);
	assert_int_equal(v->block_size, 512);
	assert_int_equal(v->max_sectors, 64);
	assert_int_equal(v->data_size, DATA_BYTES);
	assert_string_equal(v->data_name, "vol-data");
	assert_false(v->ro);
	assert_true(v->has_flush);
	assert_true(s->waits > 0);
}

static void test_sync_round_trip(void **state)
{
	struct sim *s = *state;
	struct blk_vol *v = attached(s);

	memset(s->data, 0xab, 4096);
	assert_int_equal(blk_write(v, 40, 8, 0), BLK_OK);
	assert_int_equal(blk_flush(v), BLK_OK);
	assert_int_equal(s->disk[(size_t)40 * 512], 0xab); /* the server's disk has it */
	memset(s->data, 0, sizeof(s->data));
	assert_int_equal(blk_read(v, 40, 8, 8192), BLK_OK);
	assert_int_equal(s->data[8192], 0xab);
	assert_int_equal(s->data[8192 + 4095], 0xab);
	assert_int_equal(blk_read(v, BAD_SECTOR, 1, 0), BLK_IOERR); /* the server's verdict */
	assert_int_equal(v->n_inflight, 0);
}

static void test_local_refusals(void **state)
{
	struct sim *s = *state;
	struct blk_vol *v = attached(s);
	uint64_t tag;

	assert_int_equal(blk_submit(v, BLK_OP_READ, SECTORS - 1, 2, 0, &tag), BLK_ERANGE);
	assert_int_equal(blk_submit(v, BLK_OP_READ, UINT64_MAX, 1, 0, &tag), BLK_ERANGE);
	assert_int_equal(blk_submit(v, BLK_OP_READ, 0, 1, DATA_BYTES, &tag), BLK_EFAULT);
	assert_int_equal(blk_submit(v, BLK_OP_READ, 0, 1, 100, &tag), BLK_EINVAL);
	assert_int_equal(blk_submit(v, BLK_OP_READ, 0, 0, 0, &tag), BLK_EINVAL);
	assert_int_equal(blk_submit(v, BLK_OP_READ, 0, 65, 0, &tag), BLK_EINVAL);
	assert_int_equal(blk_submit(v, BLK_OP_INFO, 0, 0, 0, &tag), BLK_EINVAL);
	v->ro = true;
	assert_int_equal(blk_submit(v, BLK_OP_WRITE, 0, 1, 0, &tag), BLK_EROFS);
	assert_int_equal(v->n_inflight, 0); /* none of them was sent */
}

static void test_async_out_of_order(void **state)
{
	struct sim *s = *state;
	struct blk_vol *v = attached(s);
	uint64_t tags[5];
	struct blk_done d;
	unsigned seen = 0;

	s->reverse = true;
	s->junk = true; /* an answer to no request: dropped */
	for (uint32_t i = 0; i < 5; i++)
		assert_int_equal(blk_submit(v, BLK_OP_WRITE, 16 + i * 8, 8, (uint64_t)i * 4096,
		                            &tags[i]),
		                 BLK_OK);
	assert_false(blk_complete(v, &d)); /* not published yet: nothing can be there */
	/* Waiting for the first keeps the four answered before it. */
	assert_int_equal(blk_wait_tag(v, tags[0]), BLK_OK);
	assert_int_equal(v->n_done, 4);
	while (blk_complete(v, &d)) {
		assert_int_equal(d.status, BLK_OK);
		assert_int_equal(d.op, BLK_OP_WRITE);
		assert_true(d.tag > tags[0] && d.tag <= tags[4]);
		seen++;
	}
	assert_int_equal(seen, 4);
	assert_int_equal(v->n_inflight, 0);
}

static void test_busy(void **state)
{
	struct sim *s = *state;
	struct blk_vol *v = attached(s);
	uint64_t tag;

	for (uint32_t i = 0; i < BLK_MAX_INFLIGHT; i++)
		assert_int_equal(blk_submit(v, BLK_OP_READ, 0, 1, 0, &tag), BLK_OK);
	assert_int_equal(blk_submit(v, BLK_OP_READ, 0, 1, 0, &tag), BLK_EBUSY);
	assert_int_equal(blk_wait_tag(v, tag), BLK_OK); /* the last, keeping the others */
	assert_int_equal(v->n_done, BLK_MAX_INFLIGHT - 1);
	assert_int_equal(blk_submit(v, BLK_OP_READ, 0, 1, 0, &tag), BLK_OK);
	assert_int_equal(blk_submit(v, BLK_OP_READ, 0, 1, 0, &tag), BLK_EBUSY); /* kept count */
	struct blk_done d;
	assert_true(blk_complete(v, &d));
	assert_int_equal(blk_submit(v, BLK_OP_READ, 0, 1, 0, &tag), BLK_OK);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_attach_info, setup, teardown),
		cmocka_unit_test_setup_teardown(test_sync_round_trip, setup, teardown),
		cmocka_unit_test_setup_teardown(test_local_refusals, setup, teardown),
		cmocka_unit_test_setup_teardown(test_async_out_of_order, setup, teardown),
		cmocka_unit_test_setup_teardown(test_busy, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
