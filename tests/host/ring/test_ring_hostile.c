/* Host tests for libring against a hostile peer: impossible indices and messages, fuzzing. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <ring.h>

#include "ring_pair.h"

/*
 * Once an end saw something impossible, every operation on it fails cleanly, and writing
 * sane indices back into the shared page does not bring it back (only a fresh attach does).
 */
static void expect_broken_forever(struct pair *p, struct ring *r)
{
	struct ring_data_ref ref = {0, 1};
	struct ring_msg m;
	bool notify = true;
	uint8_t before[RING_HDR_SIZE];

	memcpy(before, p->base, sizeof(before));
	assert_true(ring_is_broken(r));
	assert_int_equal(ring_recv(r, &m, &notify), RING_BROKEN);
	assert_false(notify);
	assert_int_equal(ring_take(r, &m), RING_BROKEN);
	assert_int_equal(ring_send(r, 1, 0, 0, NULL, 0, &notify), RING_BROKEN);
	assert_int_equal(ring_put(r, 1, 0, 0, NULL, 0), RING_BROKEN);
	assert_int_equal(ring_tx_refresh(r), RING_BROKEN);
	assert_int_equal(ring_rx_refresh(r), RING_BROKEN);
	ring_publish(r, &notify);
	assert_false(notify);
	ring_release(r, &notify);
	assert_false(notify);
	assert_true(ring_rx_arm(r)); /* never sleep on a broken ring */
	assert_true(ring_tx_arm(r));
	assert_int_equal(ring_rx_park(r), RING_PARK_READY); /* do not sleep, do not signal */
	assert_null(ring_tx_data(r, 0, 1));
	assert_null(ring_rx_data(r, &ref));
	assert_memory_equal(before, p->base, sizeof(before)); /* no index written any more */
	assert_true(ring_is_broken(r));
}

/* ring_rx_park's own look refuses what ring_recv refuses, after its release, and says "do
 * not sleep" so the caller's next take reports RING_BROKEN. */
static void test_hostile_prod_ahead_park(void **state)
{
	struct pair *p = *state;
	struct ring_msg m;

	send_ok(&p->client, 1, 0, 0, NULL, 0);
	assert_int_equal(ring_take(&p->server, &m), RING_OK); /* held until the park */
	req_q(p)->prod = p->server.rx_cons + p->server.nslots + 1;
	assert_true(ring_rx_park(&p->server) & RING_PARK_READY);
	assert_int_equal(req_q(p)->cons, p->server.rx_cons); /* the release went out first */
	assert_int_equal(ring_take(&p->server, &m), RING_BROKEN);
	expect_broken_forever(p, &p->server);
	/* Exactly nslots beyond the release is legal (a full ring). */
	pair_attach(p);
	req_q(p)->prod = p->server.rx_cons + p->server.nslots;
	assert_int_equal(ring_rx_park(&p->server), RING_PARK_READY);
	assert_false(ring_is_broken(&p->server));
}

/* Event indices only decide whether to signal: any value the peer writes is safe. */
static void test_hostile_events_park(void **state)
{
	struct pair *p = *state;
	struct ring_msg m;
	bool notify;
	uint64_t seed = 12345;

	for (uint64_t i = 0; i < 1000; i++) {
		seed = seed * 6364136223846793005ull + 1442695040888963407ull;
		send_ok(&p->client, 1, 0, i, NULL, 0);
		assert_int_equal(ring_take(&p->server, &m), RING_OK);
		assert_int_equal(ring_put(&p->server, 2, 0, i, NULL, 0), RING_OK);
		rsp_q(p)->prod_event = (uint32_t)(seed >> 32);
		req_q(p)->cons_event = (uint32_t)seed;
		assert_int_equal(ring_rx_park(&p->server) & RING_PARK_READY, 0);
		assert_false(ring_is_broken(&p->server));
		assert_int_equal(ring_recv(&p->client, &m, &notify), RING_OK);
		assert_int_equal(m.tag, i);
	}
}

static void test_hostile_prod_ahead(void **state)
{
	struct pair *p = *state;
	struct ring_msg m;
	bool notify;

	req_q(p)->prod = p->server.rx_cons + p->server.nslots + 1;
	assert_int_equal(ring_recv(&p->server, &m, &notify), RING_BROKEN);
	req_q(p)->prod = p->server.rx_cons; /* repairing it does not help */
	expect_broken_forever(p, &p->server);
	/* Exactly nslots ahead is legal (a full ring). */
	pair_attach(p);
	req_q(p)->prod = p->server.rx_cons + p->server.nslots;
	assert_int_equal(ring_recv(&p->server, &m, &notify), RING_OK);
}

static void test_hostile_cons_beyond_prod(void **state)
{
	struct pair *p = *state;
	bool notify;

	send_ok(&p->client, 1, 0, 0, NULL, 0);
	/* Beyond anything the producer will have published when it next looks:
	 * it looks at cons again only when its last view says full, so the lie
	 * is caught within one ring's worth of sends and never used. */
	req_q(p)->cons = p->client.tx_prod + p->client.nslots + 5;
	enum ring_status st = RING_OK;
	for (uint32_t i = 0; i <= p->client.nslots && st == RING_OK; i++)
		st = ring_send(&p->client, 1, 0, 0, NULL, 0, &notify);
	assert_int_equal(st, RING_BROKEN);
	expect_broken_forever(p, &p->client);
	pair_attach(p);
	req_q(p)->cons = p->client.tx_prod - p->client.nslots - 1;
	assert_true(ring_tx_arm(&p->client)); /* impossible space: refuse, do not sleep */
	assert_true(ring_is_broken(&p->client));
}

static void test_hostile_messages(void **state)
{
	struct pair *p = *state;
	struct ring_msg m;
	bool notify;
	struct {
		uint32_t len;
		uint16_t flags;
	} bad[] = {
		{RING_INLINE_MAX + 1, 0},
		{UINT32_MAX, 0},
		{0x80000010u, 0},
		{4, 0x4},
		{4, 0x8000},
		{4, RING_MSG_DATA},
		{0, RING_MSG_DATA | RING_MSG_MORE},
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		pair_attach(p);
		uint32_t idx = p->client.tx_prod;
		send_ok(&p->client, 1, 0, 0, NULL, 0);
		req_slot(p, idx)->len = bad[i].len;
		req_slot(p, idx)->flags = bad[i].flags;
		memset(&m, 0, sizeof(m));
		assert_int_equal(ring_recv(&p->server, &m, &notify), RING_BROKEN);
		expect_broken_forever(p, &p->server);
		/* Skip the bad slot for the next case. */
		req_q(p)->cons = idx + 1;
	}
}

/*
 * The consumer lies that it consumed less than it had already reported. The producer has
 * refilled the slots the first report freed, partly without publishing yet (batching), so
 * its next look would let it run past every unconsumed slot. It must mark the ring broken
 * before it writes, and the oldest unconsumed message must still be in its slot.
 */
static void cons_backwards_case(struct pair *p, uint32_t start)
{
	struct ring *c = &p->client;
	struct ring_msg m;
	bool notify;
	uint32_t n = c->nslots;

	req_q(p)->prod = req_q(p)->cons = start;
	pair_attach(p);
	for (uint32_t i = 0; i < n; i++)
		send_ok(c, 1, 0, i, NULL, 0);
	for (uint32_t i = 0; i < 3; i++)
		assert_int_equal(ring_recv(&p->server, &m, &notify), RING_OK);
	uint32_t seen = start + 3;
	send_ok(c, 1, 0, n, NULL, 0); /* the producer looks and accepts seen */
	assert_int_equal(ring_put(c, 1, 0, n + 1, NULL, 0), RING_OK);
	assert_int_equal(ring_put(c, 1, 0, n + 2, NULL, 0), RING_OK);
	req_q(p)->cons = seen - 2; /* backwards: hostile */
	assert_int_equal(ring_put(c, 1, 0, 99, NULL, 0), RING_BROKEN);
	assert_int_equal(req_slot(p, seen)->tag, 3); /* not overwritten */
	expect_broken_forever(p, c);
}

static void test_hostile_cons_backwards(void **state)
{
	cons_backwards_case(*state, 0);
}

/* The same lie where the indices wrap: the last accepted index is 1, the lie 0xffffffff. */
static void test_hostile_cons_backwards_wrapped(void **state)
{
	cons_backwards_case(*state, 0xfffffffeu);
}

/* A step back found while arming is refused too, not taken for "full, go to sleep". */
static void test_hostile_cons_backwards_arm(void **state)
{
	struct pair *p = *state;
	struct ring *c = &p->client;
	struct ring_msg m;
	bool notify;

	for (uint32_t i = 0; i < c->nslots; i++)
		send_ok(c, 1, 0, i, NULL, 0);
	assert_int_equal(ring_recv(&p->server, &m, &notify), RING_OK);
	assert_int_equal(ring_recv(&p->server, &m, &notify), RING_OK);
	send_ok(c, 1, 0, c->nslots, NULL, 0); /* accepts cons 2 */
	req_q(p)->cons = 1;
	assert_true(ring_tx_arm(c));
	expect_broken_forever(p, c);
}

/*
 * The consumer claims a message the producer has put but not yet published: it cannot have
 * seen it. Found while arming, where the producer keeps an unpublished batch.
 */
static void test_hostile_cons_past_published(void **state)
{
	struct pair *p = *state;
	struct ring *c = &p->client;
	uint32_t n = c->nslots;

	for (uint32_t i = 0; i + 1 < n; i++)
		send_ok(c, 1, 0, i, NULL, 0);
	assert_int_equal(ring_put(c, 1, 0, n - 1, NULL, 0), RING_OK);
	req_q(p)->cons = n; /* one past the published n - 1 */
	assert_true(ring_tx_arm(c));
	expect_broken_forever(p, c);
	/* Consuming exactly what was published is fine. */
	memset(p->base, 0, p->size);
	pair_attach(p);
	for (uint32_t i = 0; i < n; i++)
		send_ok(c, 1, 0, i, NULL, 0);
	req_q(p)->cons = n;
	assert_true(ring_tx_arm(c));
	assert_false(ring_is_broken(c));
	assert_int_equal(ring_put(c, 1, 0, n, NULL, 0), RING_OK);
}

/* The producer index moves back below messages the consumer already accepted. */
static void test_hostile_prod_backwards(void **state)
{
	struct pair *p = *state;
	struct ring *s = &p->server;
	struct ring_msg m;
	bool notify;

	for (uint32_t i = 0; i < 5; i++)
		send_ok(&p->client, 1, 0, i, NULL, 0);
	assert_int_equal(ring_recv(s, &m, &notify), RING_OK); /* accepts prod 5 */
	assert_int_equal(ring_recv(s, &m, &notify), RING_OK);
	req_q(p)->prod = 3;
	assert_true(ring_rx_arm(s));
	expect_broken_forever(p, s);
}

/*
 * The producer index moves forward over slots the consumer has taken but not released yet:
 * the producer cannot have refilled them.
 */
static void test_hostile_prod_over_held(void **state)
{
	struct pair *p = *state;
	struct ring *s = &p->server;
	struct ring_msg m;
	uint32_t n = s->nslots;

	for (uint32_t i = 0; i < 3; i++)
		send_ok(&p->client, 1, 0, i, NULL, 0);
	for (uint32_t i = 0; i < 3; i++)
		assert_int_equal(ring_take(s, &m), RING_OK); /* held, not released */
	/* Producing n + 1 would have needed slots 0 and 1 back. */
	req_q(p)->prod = n + 1;
	assert_true(ring_rx_arm(s));
	expect_broken_forever(p, s);
	/* Up to the last held slot is fine. */
	memset(p->base, 0, p->size);
	pair_attach(p);
	for (uint32_t i = 0; i < 3; i++)
		send_ok(&p->client, 1, 0, i, NULL, 0);
	for (uint32_t i = 0; i < 3; i++)
		assert_int_equal(ring_take(s, &m), RING_OK);
	req_q(p)->prod = n;
	assert_true(ring_rx_arm(s));
	assert_false(ring_is_broken(s));
}

/* One fuzz step: the peer scribbles on the region in one of several ways. */
static void scribble(struct pair *p, struct ring *victim, uint64_t *seed)
{
	uint64_t x = rng_next(seed);
	switch (x % 4) {
	case 0: /* random bytes over the whole region */
		for (size_t i = 0; i < p->size; i += 8) {
			uint64_t v = rng_next(seed);
			memcpy(p->base + i, &v, 8);
		}
		break;
	case 1: /* a few random bytes anywhere */
		for (int i = 0; i < 8; i++)
			p->base[rng_next(seed) % p->size] = (uint8_t)rng_next(seed);
		break;
	default: { /* plausible peer indices, random slot contents */
		uint32_t n = victim->nslots;
		victim->rx->prod = victim->rx_cons + (uint32_t)(rng_next(seed) % (n + 3));
		victim->tx->cons = victim->tx_prod - (uint32_t)(rng_next(seed) % (n + 3));
		victim->rx->prod_event = (uint32_t)rng_next(seed);
		victim->tx->cons_event = (uint32_t)rng_next(seed);
		struct ring_msg *s =
			(struct ring_msg *)&victim->rx_slots[victim->rx_cons & (n - 1)];
		s->len = (uint32_t)(rng_next(seed) % (RING_INLINE_MAX + 3));
		s->flags = (uint16_t)(rng_next(seed) % 6);
		uint64_t v = rng_next(seed);
		memcpy(s->data, &v, 8);
		break;
	}
	}
}

/* Runs one fuzzed operation on @victim and checks it stayed within its contract. */
static void victim_step(struct ring *victim, uint64_t *seed)
{
	struct ring_msg m;
	uint8_t buf[RING_INLINE_MAX] = {0};
	bool notify;
	enum ring_status st;

	switch (rng_next(seed) % 5) {
	case 0:
		st = ring_recv(victim, &m, &notify);
		if (st == RING_OK) {
			assert_true(m.len <= RING_INLINE_MAX);
			assert_int_equal(m.flags & ~(RING_MSG_MORE | RING_MSG_DATA), 0);
			struct ring_data_ref ref;
			memcpy(&ref, m.data, sizeof(ref));
			volatile const uint8_t *d = ring_rx_data(victim, &ref);
			if (d && ref.length)
				(void)d[ref.length - 1];
		}
		break;
	case 1:
		st = ring_send(victim, 1, 0, 0, buf, (uint32_t)(rng_next(seed) % 113), &notify);
		break;
	case 2:
		st = RING_OK;
		(void)ring_rx_arm(victim);
		break;
	case 3:
		st = RING_OK;
		(void)ring_tx_arm(victim);
		break;
	default:
		st = RING_OK;
		if (ring_take(victim, &m) == RING_OK)
			assert_true(m.len <= RING_INLINE_MAX);
		(void)ring_rx_park(victim);
		break;
	}
	assert_true(st == RING_OK || st == RING_EMPTY || st == RING_FULL || st == RING_BROKEN);
}

static void fuzz_victim(struct pair *p, struct ring *victim, enum ring_role role)
{
	uint64_t seed = 0x9e3779b97f4a7c15ull ^ (uint64_t)role;
	unsigned broken = 0;

	for (unsigned it = 0; it < 100000; it++) {
		scribble(p, victim, &seed);
		victim_step(victim, &seed);
		victim_step(victim, &seed);
		if (ring_is_broken(victim)) {
			broken++;
			assert_int_equal(ring_attach(victim, p->base, p->size, role), RING_OK);
		}
	}
	/* The fuzzer did exercise both the refusal and the accepting paths. */
	assert_true(broken > 1000);
	assert_true(broken < 100000);
}

static void test_hostile_fuzz(void **state)
{
	struct pair *p = *state;

	fuzz_victim(p, &p->server, RING_ROLE_SERVER);
	fuzz_victim(p, &p->client, RING_ROLE_CLIENT);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_hostile_prod_ahead, setup, teardown),
		cmocka_unit_test_setup_teardown(test_hostile_prod_ahead_park, setup, teardown),
		cmocka_unit_test_setup_teardown(test_hostile_events_park, setup, teardown),
		cmocka_unit_test_setup_teardown(test_hostile_cons_beyond_prod, setup, teardown),
		cmocka_unit_test_setup_teardown(test_hostile_messages, setup, teardown),
		cmocka_unit_test_setup_teardown(test_hostile_cons_backwards, setup, teardown),
		cmocka_unit_test_setup_teardown(test_hostile_cons_backwards_wrapped, setup,
	                                        teardown),
		cmocka_unit_test_setup_teardown(test_hostile_cons_backwards_arm, setup, teardown),
		cmocka_unit_test_setup_teardown(test_hostile_cons_past_published, setup, teardown),
		cmocka_unit_test_setup_teardown(test_hostile_prod_backwards, setup, teardown),
		cmocka_unit_test_setup_teardown(test_hostile_prod_over_held, setup, teardown),
		cmocka_unit_test_setup_teardown(test_hostile_fuzz, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
