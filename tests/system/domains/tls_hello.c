/* tls_basic: a tiny HTTPS server on port 443 that names its client's certificate (libtls). */
#include <stdio.h>
#include <string.h>

#include <libtls.h>
#include <net_port.h>

/*
 * One listener and up to HELLO_CONNS connections, each a libtls slot. Every request (a head
 * ending in an empty line; a body is not expected) is answered with a keep-alive 200 whose body
 * names the client: "hello CN (OU) over TLS 1.2". A handshake that fails prints
 * "tls refused (REASON)" once and frees the slot; the server goes on. For the measurements of
 * docs/tls.md, the cycles spent in libtls on a connection's behalf (pump, read, write) are
 * counted: up to the end of the handshake, and per request from its first byte to its answer
 * handed to TCP; both are printed.
 */
#define HELLO_PORT 443u
#define HELLO_CONNS 8u
#define HELLO_HEAD_MAX 2048u

struct hello {
	struct tls_conn tls;
	uint32_t in_len;
	uint64_t cycles; /* in libtls for the handshake, then for the request under way */
	uint64_t requests;
	char in[HELLO_HEAD_MAX];
};

static struct net_stack stack;
static struct net_port port;
static struct tls_keys keys;
static struct hello conns[HELLO_CONNS];
static uint64_t refused;

static const char *suite_name(const struct tls_conn *c)
{
	switch (c->sc.eng.session.cipher_suite) {
	case BR_TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256:
		return "ECDHE-ECDSA-AES128-GCM-SHA256";
	case BR_TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384:
		return "ECDHE-ECDSA-AES256-GCM-SHA384";
	case BR_TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256:
		return "ECDHE-ECDSA-CHACHA20-POLY1305";
	default:
		return "?";
	}
}

/* Pumps @h's connection, counting the cycles. Returns its state. */
static enum tls_state pump(struct hello *h)
{
	uint64_t t0 = bh_rdtsc();
	enum tls_state st = tls_conn_pump(&h->tls);

	h->cycles += bh_rdtsc() - t0;
	return st;
}

static void answer(struct hello *h, uint64_t t0)
{
	char out[512];
	char body[200];
	int b = snprintf(body, sizeof(body), "hello %s (%s) over TLS 1.2, %s, request %llu\n",
	                 h->tls.cn, h->tls.ou, suite_name(&h->tls),
	                 (unsigned long long)++h->requests);
	int n = snprintf(out, sizeof(out),
	                 "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: %d\r\n"
	                 "Connection: keep-alive\r\n\r\n%s",
	                 b, body);
	(void)tls_conn_write(&h->tls, out, (size_t)n); /* small: the engine takes it all */
	h->cycles += bh_rdtsc() - t0;
	printf("tlsd: answered %s request %llu in %llu cycles\n", h->tls.cn,
	       (unsigned long long)h->requests, (unsigned long long)h->cycles);
	h->cycles = 0;
}

/* Reads what came; answers each complete request head. */
static void serve(struct hello *h)
{
	for (;;) {
		uint64_t t0 = bh_rdtsc();
		int n = tls_conn_read(&h->tls, h->in + h->in_len, sizeof(h->in) - 1 - h->in_len);
		h->cycles += bh_rdtsc() - t0;
		if (n <= 0)
			return;
		h->in_len += (uint32_t)n;
		h->in[h->in_len] = '\0';
		char *end = strstr(h->in, "\r\n\r\n");
		if (!end && h->in_len == sizeof(h->in) - 1)
			h->in_len = 0; /* an endless head: dropped */
		if (!end)
			continue;
		uint32_t used = (uint32_t)(end + 4 - h->in);
		memmove(h->in, end + 4, h->in_len - used);
		h->in_len -= used;
		answer(h, bh_rdtsc());
	}
}

static void finish(struct hello *h)
{
	if (h->tls.state == TLS_FAILED && h->requests == 0 && h->tls.cn[0] == '\0') {
		refused++;
		printf("tlsd: tls refused (%s), %llu so far\n", tls_error_text(h->tls.error),
		       (unsigned long long)refused);
	}
	tls_conn_end_tcp(&h->tls, h->tls.state == TLS_FAILED);
}

static void turn(struct hello *h)
{
	enum tls_state before = h->tls.state;
	enum tls_state st = pump(h);

	if (before == TLS_HANDSHAKE && st == TLS_OPEN) {
		printf("tlsd: client %s (%s) authenticated, %s, handshake %llu cycles\n", h->tls.cn,
		       h->tls.ou, suite_name(&h->tls), (unsigned long long)h->cycles);
		h->cycles = 0;
	}
	if (st == TLS_OPEN)
		serve(h);
	if (h->tls.state == TLS_CLOSED || h->tls.state == TLS_FAILED)
		finish(h);
}

static void accept_all(int listener)
{
	int s;

	while ((s = net_tcp_accept(&stack, listener)) >= 0) {
		struct hello *h = NULL;
		for (uint32_t i = 0; i < HELLO_CONNS && !h; i++)
			if (conns[i].tls.state == TLS_FREE)
				h = &conns[i];
		if (!h) {
			(void)net_tcp_abort(&stack, s);
			continue;
		}
		h->in_len = 0;
		h->requests = 0;
		uint64_t t0 = bh_rdtsc();
		int err = tls_accept(&h->tls, &keys, &stack, s);
		h->cycles = bh_rdtsc() - t0;
		if (err)
			finish(h);
	}
}

int main(void)
{
	struct net_config cfg = {.seed = (uint32_t)bh_rdtsc()};

	if (tls_setup(&keys) != 0)
		return 1;
	if (net_port_open(&port, &stack, NULL, NULL, &cfg) != 0) {
		printf("tlsd: no network port\n");
		return 1;
	}
	int listener = net_tcp_listen(&stack, HELLO_PORT, HELLO_CONNS);
	uint32_t ip = stack.cfg.ip;
	printf("tlsd: %u.%u.%u.%u port %u (https), %u connections at once\n", ip >> 24,
	       (ip >> 16) & 0xffu, (ip >> 8) & 0xffu, ip & 0xffu, HELLO_PORT, HELLO_CONNS);
	if (listener < 0)
		return 1;
	for (;;) {
		if (net_port_run_once(&stack, &port) < 0)
			return 1;
		accept_all(listener);
		for (uint32_t i = 0; i < HELLO_CONNS; i++)
			if (conns[i].tls.state != TLS_FREE)
				turn(&conns[i]);
		net_port_flush(&port);
	}
}
