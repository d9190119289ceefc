/* Host tests for libring: ordering, full/empty, wraparound, events, data refs, streams, threads. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <pthread.h>
#include <sched.h>
#include <time.h>

#include <ring.h>

#include "ring_pair.h"

static void fill_pattern(uint8_t *buf, uint32_t len, uint64_t seed)
{
	for (uint32_t i = 0; i < len; i++)
		buf[i] = (uint8_t)((uint64_t)seed * 31 + (uint64_t)i * 7 + (seed >> 8));
}

static void test_geometry(void **state)
{
	(void)state;
	uint32_t n, half;

	assert_false(ring_geometry(0, &n, &half));
	assert_false(ring_geometry(100, &n, &half));
	assert_false(ring_geometry(PAGE + 1, &n, &half));
	assert_false(ring_geometry(PAGE - 1, &n, &half));
	/* The ABI comment's rule: largest power of two with 128 + 2*N*128 <= S/2. */
	assert_true(ring_geometry(4096, &n, &half));
	assert_int_equal(n, 4);
	assert_int_equal(half, (4096 - 128 - 2 * 4 * 128) / 2);
	assert_true(ring_geometry(8192, &n, &half));
	assert_int_equal(n, 8);
	for (size_t s = PAGE; s <= (size_t)64 * PAGE; s += PAGE) {
		assert_true(ring_geometry(s, &n, &half));
		assert_int_equal(n & (n - 1), 0);
		assert_true(n >= RING_MIN_SLOTS);
		assert_true(RING_HDR_SIZE + 2ull * n * RING_SLOT_SIZE <= s / 2);
		assert_true(RING_HDR_SIZE + 4ull * n * RING_SLOT_SIZE > s / 2);
		assert_true(RING_HDR_SIZE + 2ull * n * RING_SLOT_SIZE + 2ull * half <= s);
		assert_true(half > 0);
	}
}

static void test_attach_rejects(void **state)
{
	struct pair *p = *state;
	struct ring r;

	assert_int_equal(ring_attach(&r, p->base + 64, PAGE, RING_ROLE_CLIENT), RING_EINVAL);
	assert_int_equal(ring_attach(&r, p->base, PAGE + 8, RING_ROLE_CLIENT), RING_EINVAL);
	assert_int_equal(ring_attach(&r, p->base, PAGE, (enum ring_role)0), RING_EINVAL);
	assert_int_equal(ring_attach(&r, p->base, PAGE, (enum ring_role)3), RING_EINVAL);
	assert_int_equal(ring_attach(&r, NULL, PAGE, RING_ROLE_SERVER), RING_EINVAL);
	/* The two ends see opposite queues and data halves. */
	assert_ptr_equal(p->client.tx, p->server.rx);
	assert_ptr_equal(p->client.rx, p->server.tx);
	assert_ptr_equal(p->client.tx_data, p->server.rx_data);
	assert_ptr_equal(p->client.rx_data, p->server.tx_data);
	assert_true(p->client.tx_data != p->client.rx_data);
	assert_ptr_equal(p->client.tx, req_q(p));
	assert_true((uint8_t *)(p->client.rx_data + p->client.data_half) <= p->base + p->size);
}
static void test_order_and_content(void **state)
{
	struct pair *p = *state;
	uint8_t buf[RING_INLINE_MAX];
	struct ring_msg m;
	bool notify;

	for (uint32_t round = 0; round < 40; round++) {
		uint32_t batch = 1 + round % p->client.nslots;
		for (uint32_t i = 0; i < batch; i++) {
			uint32_t len = (round * 13 + i * 29) % (RING_INLINE_MAX + 1);
			fill_pattern(buf, len, round * 100 + i);
			send_ok(&p->client, (uint16_t)(round + i), RING_MSG_MORE, round * 100 + i,
			        buf, len);
		}
		for (uint32_t i = 0; i < batch; i++) {
			uint32_t len = (round * 13 + i * 29) % (RING_INLINE_MAX + 1);
			memset(&m, 0xee, sizeof(m));
			assert_int_equal(ring_recv(&p->server, &m, &notify), RING_OK);
			assert_int_equal(m.len, len);
			assert_int_equal(m.type, (uint16_t)(round + i));
			assert_int_equal(m.flags, RING_MSG_MORE);
			assert_int_equal(m.tag, round * 100 + i);
			fill_pattern(buf, len, round * 100 + i);
			assert_memory_equal(m.data, buf, len);
			/* Exactly header + len bytes were copied. */
			if (len < RING_INLINE_MAX)
				assert_int_equal(m.data[len], 0xee);
		}
		assert_int_equal(ring_recv(&p->server, &m, &notify), RING_EMPTY);
		/* Responses flow the other way, independently. */
		send_ok(&p->server, 7, 0, round, &round, sizeof(round));
		assert_int_equal(ring_recv(&p->client, &m, &notify), RING_OK);
		assert_int_equal(m.tag, round);
		assert_int_equal(ring_recv(&p->client, &m, &notify), RING_EMPTY);
	}
}

static void test_full_empty(void **state)
{
	struct pair *p = *state;
	struct ring_msg m;
	bool notify;
	uint32_t n = p->client.nslots;

	assert_int_equal(ring_recv(&p->server, &m, &notify), RING_EMPTY);
	for (uint32_t i = 0; i < n; i++)
		send_ok(&p->client, 1, 0, i, NULL, 0);
	assert_int_equal(ring_send(&p->client, 1, 0, 99, NULL, 0, &notify), RING_FULL);
	/* The response queue is unaffected. */
	send_ok(&p->server, 2, 0, 0, NULL, 0);
	assert_int_equal(ring_recv(&p->server, &m, &notify), RING_OK);
	assert_int_equal(m.tag, 0);
	send_ok(&p->client, 1, 0, n, NULL, 0);
	assert_int_equal(ring_send(&p->client, 1, 0, 99, NULL, 0, &notify), RING_FULL);
	for (uint32_t i = 1; i <= n; i++) {
		assert_int_equal(ring_recv(&p->server, &m, &notify), RING_OK);
		assert_int_equal(m.tag, i);
	}
	assert_int_equal(ring_recv(&p->server, &m, &notify), RING_EMPTY);
	/* Bad arguments from the caller. */
	assert_int_equal(ring_send(&p->client, 1, 0, 0, &m, RING_INLINE_MAX + 1, &notify),
	                 RING_EINVAL);
	assert_int_equal(ring_send(&p->client, 1, 0x80, 0, NULL, 0, &notify), RING_EINVAL);
	assert_false(p->client.broken);
}

static void test_wraparound(void **state)
{
	struct pair *p = *state;
	struct ring_msg m;
	bool notify;
	uint32_t start = 0xfffffff0u - 3;

	req_q(p)->prod = req_q(p)->cons = start;
	rsp_q(p)->prod = rsp_q(p)->cons = start + 1;
	pair_attach(p);
	uint64_t sent = 0, got = 0;
	for (uint32_t round = 0; round < 20; round++) {
		while (ring_send(&p->client, 3, 0, sent, &sent, sizeof(sent), &notify) == RING_OK)
			sent++;
		assert_int_equal(sent - got, p->client.nslots);
		uint32_t take = 1 + round % p->client.nslots;
		for (uint32_t i = 0; i < take; i++) {
			assert_int_equal(ring_recv(&p->server, &m, &notify), RING_OK);
			assert_int_equal(m.tag, got);
			assert_memory_equal(m.data, &got, sizeof(got));
			got++;
		}
		send_ok(&p->server, 4, 0, round, NULL, 0);
		assert_int_equal(ring_recv(&p->client, &m, &notify), RING_OK);
		assert_int_equal(m.tag, round);
	}
	assert_true(req_q(p)->prod < start); /* the index really wrapped */
	assert_true(rsp_q(p)->cons < start);
	while (ring_recv(&p->server, &m, &notify) == RING_OK)
		assert_int_equal(m.tag, got++);
	assert_int_equal(got, sent);
	assert_false(p->server.broken || p->client.broken);
}

static void test_event_suppression(void **state)
{
	struct pair *p = *state;
	struct ring_msg m;
	bool notify;
	uint32_t n = p->client.nslots;

	/* Nobody armed: no signal either way. */
	assert_int_equal(ring_send(&p->client, 1, 0, 0, NULL, 0, &notify), RING_OK);
	assert_false(notify);
	assert_int_equal(ring_recv(&p->server, &m, &notify), RING_OK);
	assert_false(notify);
	/* The consumer arms on an empty ring: the next send signals exactly once. */
	assert_false(ring_rx_arm(&p->server));
	assert_int_equal(ring_send(&p->client, 1, 0, 1, NULL, 0, &notify), RING_OK);
	assert_true(notify);
	for (int i = 0; i < 3; i++) {
		assert_int_equal(ring_send(&p->client, 1, 0, 2, NULL, 0, &notify), RING_OK);
		assert_false(notify);
	}
	while (ring_recv(&p->server, &m, &notify) == RING_OK)
		assert_false(notify);
	/* Arming with a message already there says "do not sleep". */
	assert_int_equal(ring_send(&p->client, 1, 0, 3, NULL, 0, &notify), RING_OK);
	assert_false(notify);
	assert_true(ring_rx_arm(&p->server));
	assert_int_equal(ring_recv(&p->server, &m, &notify), RING_OK);
	/* Free-space events: the producer arms on a full ring. */
	for (uint32_t i = 0; i < n; i++)
		assert_int_equal(ring_send(&p->client, 1, 0, i, NULL, 0, &notify), RING_OK);
	assert_false(ring_tx_arm(&p->client));
	assert_int_equal(ring_recv(&p->server, &m, &notify), RING_OK);
	assert_true(notify);
	assert_int_equal(ring_recv(&p->server, &m, &notify), RING_OK);
	assert_false(notify);
	assert_true(ring_tx_arm(&p->client)); /* space exists: do not sleep */
	while (ring_recv(&p->server, &m, &notify) == RING_OK)
		assert_false(notify);
}

/* The interleavings of arm and publish: either the arm sees the message or the send signals. */
static void test_arm_races(void **state)
{
	struct pair *p = *state;
	struct ring_msg m;
	bool notify;

	/* Producer published and read prod_event before the consumer armed. */
	assert_int_equal(ring_send(&p->client, 1, 0, 0, NULL, 0, &notify), RING_OK);
	assert_false(notify);
	assert_true(ring_rx_arm(&p->server));
	assert_int_equal(ring_recv(&p->server, &m, &notify), RING_OK);
	/* Consumer armed first: the send must signal. */
	assert_false(ring_rx_arm(&p->server));
	assert_int_equal(ring_send(&p->client, 1, 0, 1, NULL, 0, &notify), RING_OK);
	assert_true(notify);
	assert_int_equal(ring_recv(&p->server, &m, &notify), RING_OK);
	/* Same for space: a slot freed before the producer armed. */
	for (uint32_t i = 0; i < p->client.nslots; i++)
		send_ok(&p->client, 1, 0, i, NULL, 0);
	assert_int_equal(ring_recv(&p->server, &m, &notify), RING_OK);
	assert_false(notify);
	assert_true(ring_tx_arm(&p->client));
	send_ok(&p->client, 1, 0, 0, NULL, 0);
	assert_false(ring_tx_arm(&p->client));
	assert_int_equal(ring_recv(&p->server, &m, &notify), RING_OK);
	assert_true(notify);
}

/*
 * ring_rx_park, as libbh's request/response uses it: put, park (publish + release + arm in one
 * barrier), sleep, take. Each park signals exactly when the peer asked.
 */
static void test_park_round_trips(void **state)
{
	struct pair *p = *state;
	struct ring_msg m = {0};
	bool notify;

	assert_int_equal(ring_rx_park(&p->server), 0); /* empty, nobody waits: sleep, no signal */
	for (uint64_t i = 0; i < 3ull * p->client.nslots; i++) {
		assert_int_equal(ring_put(&p->client, 1, 0, i, &i, sizeof(i)), RING_OK);
		assert_int_equal(ring_rx_park(&p->client),
		                 RING_PARK_NOTIFY); /* the server sleeps */
		assert_int_equal(ring_take(&p->server, &m), RING_OK);
		assert_int_equal(m.tag, i);
		assert_int_equal(ring_put(&p->server, 2, 0, i, &i, sizeof(i)), RING_OK);
		assert_int_equal(ring_rx_park(&p->server),
		                 RING_PARK_NOTIFY); /* the client sleeps */
		assert_int_equal(ring_take(&p->client, &m), RING_OK);
		assert_int_equal(m.tag, i);
		assert_int_equal(m.type, 2);
	}
	/* Nothing new since the last park: no signal; a message already there: do not sleep. */
	assert_int_equal(ring_rx_park(&p->server), 0);
	send_ok(&p->client, 1, 0, 0, NULL, 0);
	assert_int_equal(ring_rx_park(&p->server), RING_PARK_READY);
	assert_int_equal(ring_recv(&p->server, &m, &notify), RING_OK);
	/* The release half signals a producer that waits for space. */
	for (uint32_t i = 0; i < p->client.nslots; i++)
		send_ok(&p->client, 1, 0, i, NULL, 0);
	assert_false(ring_tx_arm(&p->client));
	assert_int_equal(ring_take(&p->server, &m), RING_OK);
	assert_int_equal(ring_rx_park(&p->server), RING_PARK_READY | RING_PARK_NOTIFY);
	assert_true(ring_tx_arm(&p->client));
}

static void test_data_refs(void **state)
{
	struct pair *p = *state;
	uint32_t half = p->client.data_half;
	struct ring_data_ref ref;
	struct ring_msg m;
	bool notify;

	assert_non_null(ring_tx_data(&p->client, 0, half));
	assert_non_null(ring_tx_data(&p->client, half, 0));
	assert_non_null(ring_tx_data(&p->client, half - 1, 1));
	assert_null(ring_tx_data(&p->client, half, 1));
	assert_null(ring_tx_data(&p->client, 1, half));
	assert_null(ring_tx_data(&p->client, half + 1, 0));
	assert_null(ring_tx_data(&p->client, UINT32_MAX, 2));
	assert_null(ring_tx_data(&p->client, 2, UINT32_MAX));
	assert_null(ring_tx_data(&p->client, 0x80000000u, 0x80000000u));

	struct ring_data_ref bad[] = {
		{half, 1},
		{1, half},
		{UINT32_MAX, 2},
		{2, UINT32_MAX},
		{0x80000000u, 0x80000000u},
		{half + 1, 0},
		{UINT32_MAX, UINT32_MAX},
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_null(ring_rx_data(&p->server, &bad[i]));

	/* A real transfer: client writes its half, sends a ref, server reads it. */
	volatile uint8_t *w = ring_tx_data(&p->client, 100, 1000);
	assert_non_null(w);
	for (uint32_t i = 0; i < 1000; i++)
		w[i] = (uint8_t)(i * 3);
	ref = (struct ring_data_ref){100, 1000};
	send_ok(&p->client, 5, RING_MSG_DATA, 1, &ref, sizeof(ref));
	assert_int_equal(ring_recv(&p->server, &m, &notify), RING_OK);
	assert_int_equal(m.flags, RING_MSG_DATA);
	memcpy(&ref, m.data, sizeof(ref));
	volatile const uint8_t *r = ring_rx_data(&p->server, &ref);
	assert_non_null(r);
	assert_ptr_equal(r, w);
	for (uint32_t i = 0; i < 1000; i++)
		assert_int_equal(r[i], (uint8_t)(i * 3));
	/* The server's own tx half is the client's rx half. */
	ref = (struct ring_data_ref){0, half};
	assert_ptr_equal(ring_rx_data(&p->client, &ref), ring_tx_data(&p->server, 0, half));
}

/* FNV-1a over a message as the application sees it. */
static uint64_t fnv(uint64_t h, const void *buf, size_t len)
{
	const uint8_t *b = buf;
	for (size_t i = 0; i < len; i++)
		h = (h ^ b[i]) * 0x100000001b3ull;
	return h;
}

static void test_stream(void **state)
{
	struct pair *p = *state;
	uint64_t tx_seed = 42, rx_seed = 42, batch_seed = 7;
	uint64_t tx_sum = 0xcbf29ce484222325ull, rx_sum = tx_sum;
	uint64_t sent = 0, got = 0, total = 1000000;
	uint8_t buf[RING_INLINE_MAX];
	struct ring_msg m;
	bool notify;

	while (got < total) {
		uint64_t batch = 1 + rng_next(&batch_seed) % (p->client.nslots + 2);
		for (uint64_t i = 0; i < batch && sent < total; i++) {
			uint64_t r = rng_next(&tx_seed);
			uint32_t len = (uint32_t)(r % (RING_INLINE_MAX + 1));
			for (uint32_t j = 0; j < len; j++)
				buf[j] = (uint8_t)(r >> (j % 56));
			assert_int_equal(ring_send(&p->client, (uint16_t)r, 0, sent, buf, len,
			                           &notify),
			                 RING_OK);
			tx_sum = fnv(tx_sum, buf, len);
			sent++;
			if (sent - got == p->client.nslots)
				break;
		}
		uint64_t take = 1 + rng_next(&batch_seed) % (p->client.nslots + 2);
		for (uint64_t i = 0; i < take; i++) {
			enum ring_status st = ring_recv(&p->server, &m, &notify);
			if (st == RING_EMPTY) {
				assert_int_equal(got, sent);
				break;
			}
			assert_int_equal(st, RING_OK);
			uint64_t r = rng_next(&rx_seed);
			assert_int_equal(m.tag, got);
			assert_int_equal(m.type, (uint16_t)r);
			assert_int_equal(m.len, r % (RING_INLINE_MAX + 1));
			rx_sum = fnv(rx_sum, m.data, m.len);
			got++;
		}
	}
	assert_int_equal(sent, total);
	assert_int_equal(got, total);
	assert_true(tx_sum == rx_sum);
}

/*
 * Two threads, each "sleeping" on a simulated channel exactly as libbh does: arm, re-check,
 * wait. The channel is a flag the waiter spins on, so the only ordering between arm and
 * re-check is the ring's own barrier: a missing one shows up as a lost wake-up, caught by a
 * generous deadline (the test fails instead of hanging).
 */
struct chan {
	volatile uint32_t pending;
};

struct duplex {
	struct pair *p;
	struct chan to_server, to_client;
	uint64_t total;
	volatile bool timed_out;
};

static void chan_signal(struct chan *c)
{
	__atomic_store_n(&c->pending, 1, __ATOMIC_RELEASE);
}

static bool chan_wait(struct chan *c)
{
	time_t deadline = time(NULL) + 30;

	for (uint64_t spins = 1;; spins++) {
		if (__atomic_exchange_n(&c->pending, 0, __ATOMIC_ACQUIRE))
			return true;
		if (spins % 1024 == 0)
			sched_yield(); /* make progress on a single CPU too */
		if (spins % (1u << 20) == 0 && time(NULL) > deadline)
			return false;
	}
}

static void *duplex_producer(void *arg)
{
	struct duplex *d = arg;
	bool notify;

	for (uint64_t i = 0; i < d->total && !d->timed_out;) {
		enum ring_status st = ring_send(&d->p->client, 1, 0, i, &i, sizeof(i), &notify);
		if (st == RING_OK) {
			if (notify)
				chan_signal(&d->to_server);
			i++;
		} else if (st == RING_FULL && !ring_tx_arm(&d->p->client)) {
			if (!chan_wait(&d->to_client))
				d->timed_out = true;
		}
	}
	return NULL;
}

static void test_threads_no_lost_wakeup(void **state)
{
	struct pair *p = *state;
	struct duplex d = {.p = p, .total = 200000};
	pthread_t th;
	struct ring_msg m;
	bool notify;
	uint64_t got = 0;

	assert_int_equal(pthread_create(&th, NULL, duplex_producer, &d), 0);
	while (got < d.total && !d.timed_out) {
		enum ring_status st = ring_recv(&p->server, &m, &notify);
		if (st == RING_OK) {
			if (notify)
				chan_signal(&d.to_client);
			assert_int_equal(m.tag, got);
			got++;
		} else if (st == RING_EMPTY && !ring_rx_arm(&p->server)) {
			if (!chan_wait(&d.to_server))
				d.timed_out = true;
		} else {
			assert_int_equal(st, RING_EMPTY);
		}
	}
	chan_signal(&d.to_client);
	pthread_join(th, NULL);
	assert_false(d.timed_out);
	assert_int_equal(got, d.total);
}

/* The consumer sleeps as bh_ring_take does: take until empty, then park (its only release). */
static void *park_consumer(void *arg)
{
	struct duplex *d = arg;
	struct ring_msg m;
	uint64_t got = 0;

	while (got < d->total && !d->timed_out) {
		enum ring_status st = ring_take(&d->p->server, &m);
		if (st == RING_OK) {
			if (m.tag != got)
				d->timed_out = true; /* reported below as a failure */
			got++;
			continue;
		}
		unsigned park = ring_rx_park(&d->p->server);
		if (park & RING_PARK_NOTIFY)
			chan_signal(&d->to_client);
		if (!(park & RING_PARK_READY) && !chan_wait(&d->to_server))
			d->timed_out = true;
	}
	(void)ring_rx_park(&d->p->server);
	chan_signal(&d->to_client);
	return NULL;
}

static void test_threads_park_no_lost_wakeup(void **state)
{
	struct pair *p = *state;
	struct duplex d = {.p = p, .total = 200000};
	pthread_t th;

	assert_int_equal(pthread_create(&th, NULL, park_consumer, &d), 0);
	duplex_producer(&d);
	pthread_join(th, NULL);
	assert_false(d.timed_out);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_geometry),
		cmocka_unit_test_setup_teardown(test_attach_rejects, setup, teardown),
		cmocka_unit_test_setup_teardown(test_order_and_content, setup, teardown),
		cmocka_unit_test_setup_teardown(test_full_empty, setup, teardown),
		cmocka_unit_test_setup_teardown(test_wraparound, setup, teardown),
		cmocka_unit_test_setup_teardown(test_event_suppression, setup, teardown),
		cmocka_unit_test_setup_teardown(test_arm_races, setup, teardown),
		cmocka_unit_test_setup_teardown(test_data_refs, setup, teardown),
		cmocka_unit_test_setup_teardown(test_stream, setup, teardown),
		cmocka_unit_test_setup_teardown(test_threads_no_lost_wakeup, setup, teardown),
		cmocka_unit_test_setup_teardown(test_park_round_trips, setup, teardown),
		cmocka_unit_test_setup_teardown(test_threads_park_no_lost_wakeup, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
