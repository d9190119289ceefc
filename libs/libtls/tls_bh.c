/* libtls in a domain: the TLS block and its canary, entropy, the wall clock, the keys region. */
#include <stdio.h>
#include <string.h>

#include <bh.h>

#include "libtls.h"

/*
 * BearSSL's functions read their stack canary at fs:0x28 (the x86-64 ABI's TLS layout, which
 * Debian's build assumes). A domain has no TLS of its own, so tls_init makes one: a static
 * block whose first word points at itself (as a thread control block's does) and whose word
 * at 0x28 is 64 random bits with the low byte zero (glibc's choice: a string copy cannot
 * write the canary back), and makes it the FS base. Until then fs:0x28 would read whatever
 * the FS base points at (address 0: a page fault), so every BearSSL call must come after.
 */
#define TLS_CANARY_WORD (0x28u / sizeof(uint64_t))

static uint64_t tls_block[8] __attribute__((aligned(64)));
static bool tls_ready;

int tls_random(void *buf, size_t len)
{
	unsigned char *p = buf;

	while (len > 0) {
		uint64_t v;
		enum bh_err err = bh_entropy(&v);
		if (err != BH_OK)
			return (int)err;
		size_t n = len < sizeof(v) ? len : sizeof(v);
		memcpy(p, &v, n);
		p += n;
		len -= n;
	}
	return 0;
}

uint64_t tls_wall_time(void)
{
	return bh_wall_time();
}

int tls_init(void)
{
	uint64_t canary;

	if (tls_ready)
		return 0;
	enum bh_err err = bh_entropy(&canary);
	if (err != BH_OK) {
		printf("tls: no entropy from the CPU (error %d): no TLS\n", (int)err);
		return (int)err;
	}
	tls_block[0] = (uint64_t)(uintptr_t)tls_block;
	tls_block[TLS_CANARY_WORD] = canary & ~(uint64_t)0xff;
	err = bh_set_fsbase(tls_block);
	if (err != BH_OK) {
		printf("tls: cannot set the FS base (error %d): no TLS\n", (int)err);
		return (int)err;
	}
	tls_ready = true;
	return 0;
}

int tls_setup(struct tls_keys *k)
{
	if (tls_init() != 0)
		return -1;
	const struct bh_info_entry *e = bh_lookup(TLS_MODULE_NAME, BH_RES_MAP);
	if (!e) {
		printf("tls: no region \"%s\" mapped: the manifest needs "
		       "<region name=\"%s\" module=\"%s\"/> and a read-only map of it\n",
		       TLS_MODULE_NAME, TLS_MODULE_NAME, TLS_MODULE_NAME);
		return -1;
	}
	enum tls_keys_err err = tls_keys_load(k, (const void *)(uintptr_t)e->vaddr, e->size);
	if (err != TLS_KEYS_OK) {
		printf("tls: %s: no TLS (make the keys with `bulkhead keys`, then run again)\n",
		       tls_keys_error_text(err));
		return -1;
	}
	if (tls_wall_time() == 0)
		printf("tls: the kernel could not read the clock: every client will be refused\n");
	return 0;
}

int tls_accept(struct tls_conn *c, const struct tls_keys *k, struct net_stack *stack, int sock)
{
	uint8_t seed[32];

	c->net = stack;
	c->sock = sock;
	if (tls_random(seed, sizeof(seed)) != 0) {
		c->state = TLS_FAILED;
		c->error = BR_ERR_NO_RANDOM;
		return c->error;
	}
	int r = tls_conn_start_tcp(c, k, stack, sock, tls_wall_time(), seed);
	memset(seed, 0, sizeof(seed));
	return r;
}
