/* Host tests for the reconnect handshake (blk_hello.h) on a host ring a former instance left dirty. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <blk_hello.h>
#include <blk_proto.h>

#define RING_BYTES 65536u

struct pair {
	uint8_t *mem;
	struct ring client, server;
};

static int setup(void **state)
{
	struct pair *p = calloc(1, sizeof(*p));

	p->mem = aligned_alloc(4096, RING_BYTES);
	memset(p->mem, 0, RING_BYTES);
	assert_int_equal(ring_attach(&p->client, p->mem, RING_BYTES, RING_ROLE_CLIENT), RING_OK);
	assert_int_equal(ring_attach(&p->server, p->mem, RING_BYTES, RING_ROLE_SERVER), RING_OK);
	*state = p;
	return 0;
}

static int teardown(void **state)
{
	struct pair *p = *state;

	free(p->mem);
	free(p);
	return 0;
}

static void send(struct ring *r, uint16_t type, uint64_t tag)
{
	uint8_t body[40] = {0};

	assert_int_equal(ring_send(r, type, 0, tag, body, sizeof(body), NULL), RING_OK);
}

/* What an instance stopped at any instruction leaves: requests taken and not released, an
 * answer published, another put and not published. */
static void leave_dirty(struct pair *p)
{
	struct ring_msg m;

	for (uint64_t t = 1; t <= 5; t++)
		send(&p->client, BLK_MSG_REQ, t);
	assert_int_equal(ring_take(&p->server, &m), RING_OK);
	assert_int_equal(ring_take(&p->server, &m), RING_OK);
	send(&p->server, BLK_MSG_RESP, 1);
	assert_int_equal(ring_put(&p->server, BLK_MSG_RESP, 0, 2, "x", 1), RING_OK);
}

static void assert_queues_zero(const uint8_t *mem)
{
	const struct ring_queue *q = (const struct ring_queue *)(const void *)mem;

	for (int i = 0; i < 2; i++) {
		assert_int_equal(q[i].prod, 0);
		assert_int_equal(q[i].prod_event, 0);
		assert_int_equal(q[i].cons, 0);
		assert_int_equal(q[i].cons_event, 0);
	}
}

static void test_incarnation(void **state)
{
	(void)state;
	assert_int_equal(blk_hello_incarnation(0, 0), 1); /* never 0: 0 is "nobody" */
	assert_int_equal(blk_hello_incarnation(0, 1), 2);
	assert_int_equal(blk_hello_incarnation(1, 0), (1ull << 32) + 1);
	assert_true(blk_hello_incarnation(1, 0) != blk_hello_incarnation(0, 1));
}

/* A fresh ring: nobody announced; the client waits. */
static void test_nobody(void **state)
{
	struct pair *p = *state;

	assert_int_equal(blk_hello_new(&p->client, 0), 0);
	assert_false(blk_hello_answered(&p->server, 1));
}

/* The handshake on a dirty ring: afterwards both ends start at 0 and a round trip works,
 * and nothing the old instance left (its answers) reaches the client. */
static void test_handshake_resets(void **state)
{
	struct pair *p = *state;
	uint64_t inc = blk_hello_incarnation(3, 0);
	struct ring_msg m;

	leave_dirty(p);
	blk_hello_announce(&p->server, inc);
	assert_false(blk_hello_answered(&p->server, inc));
	assert_int_equal(blk_hello_new(&p->client, 0), inc);
	assert_int_equal(blk_hello_accept(&p->client, p->mem, RING_BYTES, inc), RING_OK);
	assert_queues_zero(p->mem);
	assert_true(blk_hello_answered(&p->server, inc));
	assert_int_equal(ring_attach(&p->server, p->mem, RING_BYTES, RING_ROLE_SERVER), RING_OK);
	assert_int_equal(ring_take(&p->client, &m), RING_EMPTY); /* the old answer is gone */
	assert_int_equal(ring_take(&p->server, &m), RING_EMPTY); /* so are its requests */
	send(&p->client, BLK_MSG_REQ, 77);
	assert_int_equal(ring_recv(&p->server, &m, NULL), RING_OK);
	assert_int_equal(m.tag, 77);
	send(&p->server, BLK_MSG_RESP, 77);
	assert_int_equal(ring_recv(&p->client, &m, NULL), RING_OK);
	assert_int_equal(m.tag, 77);
	assert_int_equal(blk_hello_new(&p->client, inc), 0); /* answered: not new again */
}

/* A second instance after the first: seen as new, answered with its own number; the first
 * instance's answer does not count for it. */
static void test_second_instance(void **state)
{
	struct pair *p = *state;
	uint64_t one = blk_hello_incarnation(0, 0), two = blk_hello_incarnation(0, 1);

	blk_hello_announce(&p->server, one);
	assert_int_equal(blk_hello_accept(&p->client, p->mem, RING_BYTES, one), RING_OK);
	leave_dirty(p);
	blk_hello_announce(&p->server, two);
	assert_false(blk_hello_answered(&p->server, two)); /* the ack still names one */
	assert_int_equal(blk_hello_new(&p->client, one), two);
	assert_int_equal(blk_hello_accept(&p->client, p->mem, RING_BYTES, two), RING_OK);
	assert_queues_zero(p->mem);
	assert_true(blk_hello_answered(&p->server, two));
}

/* Words that are not a hello or an answer are nobody's: a wrong magic, an answer of the
 * wrong kind (a driver's hello copied into the client's pair), a bad geometry. */
static void test_wrong_words(void **state)
{
	struct pair *p = *state;
	volatile struct blk_hello *drv = blk_hello_mine(&p->server);

	drv->magic = BLK_HELLO_ACK; /* an answer where a hello belongs */
	drv->incarnation = 9;
	assert_int_equal(blk_hello_new(&p->client, 0), 0);
	drv->magic = BLK_HELLO_MAGIC;
	assert_int_equal(blk_hello_new(&p->client, 0), 9);
	blk_hello_write(&p->client, BLK_HELLO_MAGIC, 9); /* a hello where the answer belongs */
	assert_false(blk_hello_answered(&p->server, 9));
	assert_int_equal(blk_hello_accept(&p->client, p->mem, 1000, 9), RING_EINVAL);
	assert_false(blk_hello_answered(&p->server, 9)); /* no answer without the reset */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_incarnation),
		cmocka_unit_test_setup_teardown(test_nobody, setup, teardown),
		cmocka_unit_test_setup_teardown(test_handshake_resets, setup, teardown),
		cmocka_unit_test_setup_teardown(test_second_instance, setup, teardown),
		cmocka_unit_test_setup_teardown(test_wrong_words, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
