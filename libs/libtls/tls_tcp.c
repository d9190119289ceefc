/* libtls: a connection's transport over a libnet TCP socket (pure code, no hypercalls). */
#include <libnet.h>

#include "libtls.h"

static int tcp_send(void *ctx, const void *buf, size_t len)
{
	struct tls_conn *c = ctx;
	int n = net_tcp_send(c->net, c->sock, buf, len);

	return n == NET_EAGAIN ? 0 : n;
}

static int tcp_recv(void *ctx, void *buf, size_t cap)
{
	struct tls_conn *c = ctx;
	int n = net_tcp_recv(c->net, c->sock, buf, cap);

	return n == NET_EAGAIN ? TLS_EAGAIN : n < 0 ? -2 : n;
}

int tls_conn_start_tcp(struct tls_conn *c, const struct tls_keys *k, struct net_stack *stack,
                       int sock, uint64_t now_unix, const uint8_t seed[32])
{
	const struct tls_io io = {.send = tcp_send, .recv = tcp_recv, .ctx = c};

	c->net = stack;
	c->sock = sock;
	return tls_conn_start(c, k, &io, now_unix, seed);
}

void tls_conn_end_tcp(struct tls_conn *c, bool abort)
{
	if (c->state == TLS_FREE)
		return;
	if (!abort)
		tls_conn_close(c);
	if (abort)
		(void)net_tcp_abort(c->net, c->sock);
	else
		(void)net_tcp_close(c->net, c->sock);
	c->state = TLS_FREE;
	c->net = NULL;
	c->sock = -1;
}
