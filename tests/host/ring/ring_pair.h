/* Host tests for libring: two ends of one ring on a private buffer, shared by the test files. */
#ifndef TESTS_HOST_RING_PAIR_H
#define TESTS_HOST_RING_PAIR_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <ring.h>

#define REGION_SIZE 8192u
#define PAGE 4096u

/* Two ends of one ring on a private, page-aligned, exactly sized buffer. */
struct pair {
	uint8_t *base;
	size_t size;
	struct ring client, server;
};

static inline volatile struct ring_queue *req_q(struct pair *p)
{
	return (volatile struct ring_queue *)p->base;
}

static inline volatile struct ring_queue *rsp_q(struct pair *p)
{
	return (volatile struct ring_queue *)(p->base + sizeof(struct ring_queue));
}

static inline struct ring_msg *req_slot(struct pair *p, uint32_t idx)
{
	struct ring_msg *slots = (struct ring_msg *)(p->base + RING_HDR_SIZE);
	return &slots[idx & (p->client.nslots - 1)];
}

static inline void pair_attach(struct pair *p)
{
	assert_int_equal(ring_attach(&p->client, p->base, p->size, RING_ROLE_CLIENT), RING_OK);
	assert_int_equal(ring_attach(&p->server, p->base, p->size, RING_ROLE_SERVER), RING_OK);
}

static inline struct pair *pair_new(size_t size)
{
	struct pair *p = calloc(1, sizeof(*p));
	assert_non_null(p);
	p->base = aligned_alloc(PAGE, size);
	assert_non_null(p->base);
	memset(p->base, 0, size);
	p->size = size;
	pair_attach(p);
	return p;
}

static inline void pair_free(struct pair *p)
{
	free(p->base);
	free(p);
}

static inline int setup(void **state)
{
	*state = pair_new(REGION_SIZE);
	return 0;
}

static inline int teardown(void **state)
{
	pair_free(*state);
	return 0;
}

/* xorshift64*: a fixed-seed generator so every run sees the same bytes. */
static inline uint64_t rng_next(uint64_t *s)
{
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * 0x2545f4914f6cdd1dull;
}

static inline void send_ok(struct ring *r, uint16_t type, uint16_t flags, uint64_t tag,
                           const void *b, uint32_t len)
{
	bool notify = true;
	assert_int_equal(ring_send(r, type, flags, tag, b, len, &notify), RING_OK);
}

#endif
