/* Host tests for the storage service: request checks and translation, fairness, the in-flight table. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "stor.h"

#define FIRST 2048u   /* the volume's first sector on the disk */
#define SECTORS 1024u /* its length */
#define DATA 65536u

static const struct stor_volume vol = {FIRST, SECTORS, DATA, 3, false, "a-data"};
static const struct stor_volume vol_ro = {FIRST, SECTORS, DATA, 3, true, "a-data"};
static const struct stor_disk disk = {1u << 20, 512, 256, BLK_INFO_FLUSH};
static const struct stor_disk disk4k = {1u << 20, 4096, 256, 0};

static struct ring_msg msg(uint32_t op, uint64_t sector, uint32_t count, uint64_t offset)
{
	struct ring_msg m;
	struct blk_req r = {op, 0, sector, count, 0, offset, (uint64_t)count * BLK_SECTOR_SIZE};

	memset(&m, 0, sizeof(m));
	m.type = BLK_MSG_REQ;
	m.len = sizeof(r);
	m.tag = 77;
	memcpy(m.data, &r, sizeof(r));
	return m;
}

/* Rewrites the request inside @m with @edit applied. */
static struct ring_msg with(struct ring_msg m, void (*edit)(struct blk_req *))
{
	struct blk_req r;

	memcpy(&r, m.data, sizeof(r));
	edit(&r);
	memcpy(m.data, &r, sizeof(r));
	return m;
}

static enum blk_status check(const struct ring_msg *m, const struct stor_volume *v,
                             const struct stor_disk *d)
{
	struct blk_req out;

	return stor_req_check(m, v, d, &out);
}

/* ---- volumes against the disk ---- */

static void test_fit(void **state)
{
	(void)state;
	struct stor_volume v = vol;
	struct stor_disk d = {FIRST + SECTORS, 512, 256, 0};

	assert_int_equal(stor_volume_fit(&v, &d), STOR_FIT_OK); /* ends on the last sector */
	d.capacity--;
	assert_int_equal(stor_volume_fit(&v, &d), STOR_FIT_END);
	v.first = UINT64_MAX - 1; /* first + sectors wraps: still past the end */
	assert_int_equal(stor_volume_fit(&v, &d), STOR_FIT_END);
	v = vol;
	d = disk4k;
	assert_int_equal(stor_volume_fit(&v, &d), STOR_FIT_OK);
	v.first = FIRST + 1;
	assert_int_equal(stor_volume_fit(&v, &d), STOR_FIT_ALIGN);
	v.first = FIRST;
	v.sectors = SECTORS + 4;
	assert_int_equal(stor_volume_fit(&v, &d), STOR_FIT_ALIGN);
}

/* ---- good requests and their translation ---- */

static void test_read_write_translated(void **state)
{
	(void)state;
	struct ring_msg m = msg(BLK_OP_WRITE, SECTORS - 8, 8, DATA - 4096);
	struct blk_req out;

	assert_int_equal(stor_req_check(&m, &vol, &disk, &out), BLK_OK);
	assert_int_equal(out.op, BLK_OP_WRITE);
	assert_int_equal(out.region, 3); /* the driver's index of the data region */
	assert_int_equal(out.sector, FIRST + SECTORS - 8);
	assert_int_equal(out.count, 8);
	assert_int_equal(out.offset, DATA - 4096);
	assert_int_equal(out.length, 4096);
	m = msg(BLK_OP_READ, 0, 1, 0);
	assert_int_equal(stor_req_check(&m, &vol_ro, &disk, &out), BLK_OK); /* ro may read */
	assert_int_equal(out.sector, FIRST);
}

static void test_flush_and_info(void **state)
{
	(void)state;
	struct ring_msg m = msg(BLK_OP_FLUSH, 0, 0, 0);
	struct blk_req out;
	struct blk_resp resp;

	assert_int_equal(stor_req_check(&m, &vol, &disk, &out), BLK_OK);
	assert_int_equal(out.op, BLK_OP_FLUSH);
	assert_int_equal(out.sector, 0);
	m = msg(BLK_OP_INFO, 0, 0, 0);
	assert_int_equal(stor_req_check(&m, &vol_ro, &disk, &out), BLK_OK);
	stor_req_info(&out, &vol_ro, &disk, 42, &resp);
	assert_int_equal(resp.status, BLK_OK);
	assert_int_equal(resp.capacity, SECTORS); /* the volume's, not the disk's */
	assert_int_equal(resp.flags, BLK_INFO_RO | BLK_INFO_FLUSH);
	assert_int_equal(resp.n_regions, 1);
	assert_int_equal(resp.region_size, DATA);
	assert_string_equal(resp.region_name, "a-data");
	assert_int_equal(resp.max_requests, 42); /* the client's share */
	out.region = 1;                          /* a region the client does not have */
	stor_req_info(&out, &vol, &disk, 42, &resp);
	assert_int_equal(resp.flags, BLK_INFO_FLUSH);
	assert_int_equal(resp.region_size, 0);
	assert_string_equal(resp.region_name, "");
}

/* ---- bad requests ---- */

static void test_message_shape(void **state)
{
	(void)state;
	struct ring_msg m = msg(BLK_OP_READ, 0, 1, 0);

	m.type = BLK_MSG_RESP;
	assert_int_equal(check(&m, &vol, &disk), BLK_EINVAL);
	m = msg(BLK_OP_READ, 0, 1, 0);
	m.flags = 1;
	assert_int_equal(check(&m, &vol, &disk), BLK_EINVAL);
	m = msg(BLK_OP_READ, 0, 1, 0);
	m.len = sizeof(struct blk_req) - 1;
	assert_int_equal(check(&m, &vol, &disk), BLK_EINVAL);
	m = msg(9, 0, 1, 0);
	assert_int_equal(check(&m, &vol, &disk), BLK_EINVAL);
	m = msg(0, 0, 1, 0);
	assert_int_equal(check(&m, &vol, &disk), BLK_EINVAL);
}

static void set_reserved(struct blk_req *r)
{
	r->reserved = 1;
}
static void set_region1(struct blk_req *r)
{
	r->region = 1;
}
static void set_length_short(struct blk_req *r)
{
	r->length -= 512;
}
static void set_sector1(struct blk_req *r)
{
	r->sector = 1;
}

static void test_shape(void **state)
{
	(void)state;
	struct ring_msg m = with(msg(BLK_OP_READ, 0, 8, 0), set_reserved);

	assert_int_equal(check(&m, &vol, &disk), BLK_EINVAL);
	m = with(msg(BLK_OP_READ, 0, 8, 0), set_length_short);
	assert_int_equal(check(&m, &vol, &disk), BLK_EINVAL);
	m = msg(BLK_OP_READ, 0, 0, 0);
	assert_int_equal(check(&m, &vol, &disk), BLK_EINVAL);
	m = msg(BLK_OP_READ, 0, 257, 0); /* over max_sectors */
	assert_int_equal(check(&m, &vol, &disk), BLK_EINVAL);
	m = msg(BLK_OP_READ, 0, 8, 100); /* offset not a multiple of 512 */
	assert_int_equal(check(&m, &vol, &disk), BLK_EINVAL);
	m = msg(BLK_OP_READ, 1, 8, 0); /* 4 KiB blocks: sector 1 is not on a block */
	assert_int_equal(check(&m, &vol, &disk4k), BLK_EINVAL);
	m = msg(BLK_OP_READ, 8, 4, 0); /* half a block */
	assert_int_equal(check(&m, &vol, &disk4k), BLK_EINVAL);
	m = with(msg(BLK_OP_FLUSH, 0, 0, 0), set_sector1);
	assert_int_equal(check(&m, &vol, &disk), BLK_EINVAL);
	m = with(msg(BLK_OP_INFO, 0, 0, 0), set_sector1);
	assert_int_equal(check(&m, &vol, &disk), BLK_EINVAL);
}

static void test_range(void **state)
{
	(void)state;
	struct ring_msg m = msg(BLK_OP_READ, SECTORS, 1, 0); /* one past the end */

	assert_int_equal(check(&m, &vol, &disk), BLK_ERANGE);
	m = msg(BLK_OP_READ, SECTORS - 1, 2, 0); /* straddles the end */
	assert_int_equal(check(&m, &vol, &disk), BLK_ERANGE);
	m = msg(BLK_OP_WRITE, UINT64_MAX - 1, 2, 0); /* sector + count wraps */
	assert_int_equal(check(&m, &vol, &disk), BLK_ERANGE);
	m = msg(BLK_OP_READ, UINT64_MAX - FIRST + 1, 1, 0); /* first + sector wraps to 0 */
	assert_int_equal(check(&m, &vol, &disk), BLK_ERANGE);
}

static void test_data_region(void **state)
{
	(void)state;
	struct ring_msg m = with(msg(BLK_OP_READ, 0, 1, 0), set_region1);

	assert_int_equal(check(&m, &vol, &disk), BLK_EFAULT);
	m = msg(BLK_OP_READ, 0, 1, DATA); /* starts at the end */
	assert_int_equal(check(&m, &vol, &disk), BLK_EFAULT);
	m = msg(BLK_OP_READ, 0, 8, DATA - 512); /* runs past the end */
	assert_int_equal(check(&m, &vol, &disk), BLK_EFAULT);
	m = msg(BLK_OP_READ, 0, 8, UINT64_MAX - 511); /* offset + length wraps */
	assert_int_equal(check(&m, &vol, &disk), BLK_EFAULT);
}

static void test_read_only(void **state)
{
	(void)state;
	struct ring_msg m = msg(BLK_OP_WRITE, 0, 1, 0);

	assert_int_equal(check(&m, &vol_ro, &disk), BLK_EROFS);
	assert_int_equal(check(&m, &vol, &disk), BLK_OK);
}

/* ---- fairness ---- */

static void test_round_robin(void **state)
{
	(void)state;
	struct stor_sched s;

	assert_false(stor_sched_init(&s, STOR_MAX_CLIENTS + 1, 0, 85));
	assert_true(stor_sched_init(&s, 3, 3, 85));
	assert_int_equal(stor_sched_next(&s, 0), 0);
	assert_int_equal(stor_sched_next(&s, 0), 1);
	assert_int_equal(stor_sched_next(&s, 0), 2);
	assert_int_equal(stor_sched_next(&s, 0), 0);
	assert_int_equal(stor_sched_next(&s, 1u << 1), 2); /* client 1 has nothing to read */
	assert_int_equal(stor_sched_next(&s, 7), -1);
	s.barrier[0] = true; /* client 0 waits for its flush */
	assert_int_equal(stor_sched_next(&s, 0), 1);
	assert_int_equal(stor_sched_next(&s, 0), 2);
	assert_int_equal(stor_sched_next(&s, 0), 1);
}

/*
 * Client 0 always has work; client 1 gets one request every tenth pick. Each time, client 1
 * is served before client 0 is picked twice: a flood cannot starve it.
 */
static void test_flood_cannot_starve(void **state)
{
	(void)state;
	struct stor_sched s;
	unsigned served1 = 0, waited = 0;
	bool pending = false;

	assert_true(stor_sched_init(&s, 2, 2, 16));
	for (int pick = 0; pick < 200; pick++) {
		pending = pending || pick % 10 == 0;
		int c = stor_sched_next(&s, pending ? 0 : 1u << 1);
		if (c == 1) {
			assert_true(pending);
			served1++;
			pending = false;
			waited = 0;
			continue;
		}
		assert_int_equal(c, 0);
		waited += pending;
		assert_true(waited <= 1);
		s.inflight[0] = (s.inflight[0] + 1) % s.share; /* answers come back */
	}
	assert_int_equal(served1, 20);
}

static void test_inflight_bound(void **state)
{
	(void)state;
	struct stor_sched s;

	assert_true(stor_sched_init(&s, 2, 2, 16));
	s.inflight[0] = s.share;
	assert_int_equal(stor_sched_next(&s, 0), 1);
	assert_int_equal(stor_sched_next(&s, 0), 1);
	assert_int_equal(stor_sched_next(&s, 1u << 1), -1);
	s.inflight[0]--;
	assert_int_equal(stor_sched_next(&s, 1u << 1), 0);
}

/*
 * The share: the driver's depth split evenly (one client gets all of it, two half each), at
 * most the table's size, never 0; the shares together stay within the driver's depth.
 */
static void test_share(void **state)
{
	(void)state;
	struct stor_sched s;

	assert_true(stor_sched_init(&s, 1, 1, 85));
	assert_int_equal(s.share, 85);
	assert_true(stor_sched_init(&s, 2, 2, 85));
	assert_int_equal(s.share, 42);
	assert_true(stor_sched_init(&s, 16, 16, 85));
	assert_int_equal(s.share, 5);
	assert_true(stor_sched_init(&s, 1, 1, 100000)); /* a driver that claims too much */
	assert_int_equal(s.share, STOR_TABLE_SIZE);
	assert_true(stor_sched_init(&s, 3, 3, 2)); /* more clients than the depth */
	assert_int_equal(s.share, 1);
	assert_true(stor_sched_init(&s, 2, 2, 0)); /* a driver that claims nothing */
	assert_int_equal(s.share, 1);
	assert_true(stor_sched_init(&s, 0, 0, 85));
	assert_int_equal(s.share, 1);
	/* Refused volumes take no part of the depth: 3 clients, 1 served, gets it all. */
	assert_true(stor_sched_init(&s, 3, 1, 85));
	assert_int_equal(s.share, 85);
	assert_false(stor_sched_init(&s, 2, 3, 85));
	for (uint32_t n = 1; n <= STOR_MAX_CLIENTS; n++)
		for (uint32_t depth = n; depth <= 2 * STOR_TABLE_SIZE; depth++) {
			assert_true(stor_sched_init(&s, n, n, depth));
			assert_true(s.share >= 1 && s.share * n <= depth);
			assert_true(s.share * n <= STOR_TABLE_SIZE);
		}
}

/* A client with all of a single client's share in flight takes nothing more; one answer
 * lets it take one. */
static void test_whole_depth_to_one(void **state)
{
	(void)state;
	struct stor_sched s;

	assert_true(stor_sched_init(&s, 1, 1, 32));
	for (uint32_t i = 0; i < 32; i++) {
		assert_int_equal(stor_sched_next(&s, 0), 0);
		s.inflight[0]++;
	}
	assert_int_equal(stor_sched_next(&s, 0), -1);
	s.inflight[0]--;
	assert_int_equal(stor_sched_next(&s, 0), 0);
}

/* ---- the in-flight table ---- */

static void test_table(void **state)
{
	(void)state;
	static struct stor_table t;
	struct blk_req r = {BLK_OP_READ, 3, FIRST, 1, 0, 0, 512};
	uint64_t tag, old;

	stor_table_init(&t);
	assert_true(stor_table_add(&t, 1, 42, &r, &tag));
	const struct stor_entry *e = stor_table_find(&t, tag);
	assert_non_null(e);
	assert_int_equal(e->client, 1);
	assert_int_equal(e->client_tag, 42);
	assert_int_equal(e->req.sector, FIRST);
	assert_int_equal(t.n_used, 1);
	stor_table_remove(&t, tag);
	assert_int_equal(t.n_used, 0);
	assert_null(stor_table_find(&t, tag)); /* answered: a second answer is not taken */
	old = tag;
	assert_true(stor_table_add(&t, 2, 43, &r, &tag));
	assert_int_equal(tag & 0xffffffffu, old & 0xffffffffu); /* the same entry again */
	assert_null(stor_table_find(&t, old));                  /* a stale answer */
	assert_non_null(stor_table_find(&t, tag));
	assert_null(stor_table_find(&t, STOR_TABLE_SIZE));
	assert_null(stor_table_find(&t, UINT64_MAX));
}

/* Entries freed out of order are used again, the one freed last first; no entry is handed
 * out twice while in use. */
static void test_table_reuse(void **state)
{
	(void)state;
	static struct stor_table t;
	struct blk_req r = {BLK_OP_FLUSH, 0, 0, 0, 0, 0, 0};
	uint64_t tags[4], tag;

	stor_table_init(&t);
	for (uint32_t i = 0; i < 4; i++) {
		assert_true(stor_table_add(&t, 0, i, &r, &tags[i]));
		assert_int_equal(tags[i] & 0xffffffffu, i);
	}
	stor_table_remove(&t, tags[1]);
	stor_table_remove(&t, tags[3]);
	assert_true(stor_table_add(&t, 0, 10, &r, &tag));
	assert_int_equal(tag & 0xffffffffu, 3);
	assert_true(stor_table_add(&t, 0, 11, &r, &tag));
	assert_int_equal(tag & 0xffffffffu, 1);
	assert_true(stor_table_add(&t, 0, 12, &r, &tag));
	assert_int_equal(tag & 0xffffffffu, 4);
	assert_int_equal(stor_table_find(&t, tags[0])->client_tag, 0);
	assert_int_equal(stor_table_find(&t, tags[2])->client_tag, 2);
	assert_int_equal(t.n_used, 5);
}

static void test_table_full(void **state)
{
	(void)state;
	static struct stor_table t;
	struct blk_req r = {BLK_OP_FLUSH, 0, 0, 0, 0, 0, 0};
	uint64_t tag = 0;

	stor_table_init(&t);
	for (uint32_t i = 0; i < STOR_TABLE_SIZE; i++)
		assert_true(stor_table_add(&t, i % 4, i, &r, &tag));
	assert_false(stor_table_add(&t, 0, 999, &r, &tag));
	for (uint32_t i = 0; i < STOR_TABLE_SIZE; i++) {
		const struct stor_entry *e = stor_table_find(&t, (uint64_t)1 << 32 | i);
		assert_non_null(e);
		assert_int_equal(e->client_tag, i); /* each request kept, for a re-send */
	}
}

/* A new driver instance: every request in flight gets a new tag, in the order the service
 * took them (not the entries' order), and no tag of the old instance names anything. */
static void test_table_reconnect(void **state)
{
	(void)state;
	static struct stor_table t;
	struct blk_req w = {BLK_OP_WRITE, 0, FIRST, 1, 0, 0, 512};
	struct blk_req f = {BLK_OP_FLUSH, 0, 0, 0, 0, 0, 0};
	uint64_t old[5], fresh[STOR_TABLE_SIZE];
	const uint64_t want[4] = {100, 102, 103, 104}; /* client tags, in the order taken */

	stor_table_init(&t);
	assert_true(stor_table_add(&t, 0, 100, &w, &old[0]));
	assert_true(stor_table_add(&t, 1, 101, &w, &old[1]));
	assert_true(stor_table_add(&t, 0, 102, &f, &old[2])); /* client 0's flush, a barrier */
	assert_true(stor_table_add(&t, 1, 103, &w, &old[3]));
	stor_table_remove(&t, old[1]);
	assert_true(stor_table_add(&t, 1, 104, &w, &old[4])); /* entry 1 again, taken last */
	assert_int_equal(stor_table_reconnect(&t, fresh), 4);
	for (uint32_t k = 0; k < 4; k++) {
		const struct stor_entry *e = stor_table_find(&t, fresh[k]);
		assert_non_null(e);
		assert_int_equal(e->client_tag, want[k]);
	}
	assert_int_equal(stor_table_find(&t, fresh[1])->req.op, BLK_OP_FLUSH);
	for (uint32_t k = 0; k < 5; k++)
		assert_null(stor_table_find(&t, old[k])); /* a late answer of the old instance */
	stor_table_remove(&t, fresh[0]);
	assert_int_equal(t.n_used, 3);
	assert_int_equal(stor_table_reconnect(&t, fresh), 3); /* and again: a third instance */
	assert_int_equal(stor_table_find(&t, fresh[0])->client_tag, 102);
	assert_null(stor_table_find(&t, old[2]));
}

/* A reconnect with nothing in flight hands out no tag; entries added later carry the new
 * epoch, and an old instance's tag of the same entry and generation is still refused. */
static void test_table_reconnect_empty(void **state)
{
	(void)state;
	static struct stor_table t;
	struct blk_req r = {BLK_OP_READ, 0, FIRST, 1, 0, 0, 512};
	uint64_t tag, again, fresh[STOR_TABLE_SIZE];

	stor_table_init(&t);
	assert_true(stor_table_add(&t, 0, 1, &r, &tag));
	stor_table_remove(&t, tag);
	assert_int_equal(stor_table_reconnect(&t, fresh), 0);
	assert_true(stor_table_add(&t, 0, 2, &r, &again));
	assert_int_equal(again & 0xffu, tag & 0xffu); /* the same entry */
	assert_true(again != tag);
	assert_null(stor_table_find(&t, tag));
	assert_null(stor_table_find(&t, (again & ~0xffffff00ull))); /* epoch 0: stale */
	assert_non_null(stor_table_find(&t, again));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fit),
		cmocka_unit_test(test_read_write_translated),
		cmocka_unit_test(test_flush_and_info),
		cmocka_unit_test(test_message_shape),
		cmocka_unit_test(test_shape),
		cmocka_unit_test(test_range),
		cmocka_unit_test(test_data_region),
		cmocka_unit_test(test_read_only),
		cmocka_unit_test(test_round_robin),
		cmocka_unit_test(test_flood_cannot_starve),
		cmocka_unit_test(test_inflight_bound),
		cmocka_unit_test(test_share),
		cmocka_unit_test(test_whole_depth_to_one),
		cmocka_unit_test(test_table),
		cmocka_unit_test(test_table_reuse),
		cmocka_unit_test(test_table_full),
		cmocka_unit_test(test_table_reconnect),
		cmocka_unit_test(test_table_reconnect_empty),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
