/* control: the management API (docs/management.md) over HTTPS with client certificates. */
#include <stdio.h>
#include <string.h>

#include <bh.h>
#include <http_req.h>
#include <libtls.h>
#include <net_port.h>

#include "ctl_api.h"
#include "ctl_backend.h"
#include "ctl_role.h"

/*
 * One listener on CTL_PORT of the domain's switch port; up to CTL_CONNS connections at once,
 * each a TLS session (libtls: the client's certificate must chain to the keys module's CA)
 * carrying HTTP/1.1 requests, answered one at a time by ctl_api_handle. A connection is read
 * only when its previous answer has gone out, so a client that does not read holds its own
 * buffers and nothing more; one silent for CTL_IDLE_MS is closed, and when every slot is taken
 * one silent for CTL_EVICT_MS gives its slot to a new client. Every request and every refused
 * handshake is one audit line on the console. Save and restore run to the end inside one
 * request: the other connections wait meanwhile (docs/management.md says how long).
 */
#define CTL_PORT 443u
#define CTL_CONNS 8u
#define CTL_IN_MAX (HTTP_HEAD_MAX + CTL_BODY_MAX)
#define CTL_IDLE_MS 60000u
#define CTL_EVICT_MS 5000u
#define CTL_TURN_STEPS 8u /* requests of one connection per turn: then the others' */

enum conn_state { CONN_FREE = 0, CONN_OPEN };

struct conn {
	enum conn_state state;
	bool known;       /* the handshake is done and @who is filled */
	bool closing;     /* close once the answer went out */
	uint32_t in_len;  /* bytes received, not yet answered */
	uint32_t out_len; /* bytes of the answer in @out, @out_sent of them sent */
	uint32_t out_sent;
	uint64_t last_ms;
	struct ctl_caller who;
	struct tls_conn tls;
	char in[CTL_IN_MAX];
	char out[CTL_HEAD_MAX + CTL_REPLY_MAX];
};

static struct net_stack stack;
static struct net_port port;
static struct tls_keys keys;
static struct ctl_api api;
static struct conn conns[CTL_CONNS];
static char body[CTL_REPLY_MAX];

static void conn_free(struct conn *c, bool abort)
{
	tls_conn_end_tcp(&c->tls, abort);
	c->state = CONN_FREE;
}

/* Puts the HTTP answer @r (head and body) into @c->out and prints its audit line. */
static void put_answer(struct conn *c, const struct ctl_reply *r)
{
	size_t head = ctl_api_head(r, !c->closing, c->out, CTL_HEAD_MAX);

	memcpy(c->out + head, r->body, r->len);
	c->out_len = (uint32_t)(head + r->len);
	c->out_sent = 0;
	bh_say("%s", r->audit);
}

static void refuse(struct conn *c, int status)
{
	struct ctl_reply r = {.body = body, .cap = sizeof(body)};

	c->closing = true;
	ctl_api_refuse(&api, &c->who, status, &r);
	put_answer(c, &r);
}

/* Answers the whole request at the start of @c->in (head and @req->body_len bytes of body). */
static void answer(struct conn *c, const struct http_req *req, bool body_read)
{
	struct ctl_reply r = {.body = body, .cap = sizeof(body)};
	const char *b = body_read ? c->in + req->head_len : NULL;

	c->closing = !req->keep_alive;
	ctl_api_handle(&api, &c->who, req, b, body_read ? req->body_len : 0, &r);
	c->closing = c->closing || r.close;
	put_answer(c, &r);
}

/* Looks for a whole request in @c->in and answers it. Returns: true if it answered one. */
static bool take_request(struct conn *c)
{
	struct http_req req;
	int st = http_req_parse(c->in, c->in_len, &req);
	uint32_t used;

	if (st == HTTP_REQ_MORE) {
		if (c->in_len == sizeof(c->in))
			refuse(c, 431);
		return c->in_len == sizeof(c->in);
	}
	if (st != HTTP_REQ_DONE) {
		refuse(c, st);
		return true;
	}
	if (req.body_len > CTL_BODY_MAX) {
		answer(c, &req, false); /* 413; the body is never read: close */
		c->closing = true;
		return true;
	}
	if (c->in_len - req.head_len < req.body_len)
		return false;
	answer(c, &req, true);
	used = req.head_len + req.body_len;
	memmove(c->in, c->in + used, c->in_len - used);
	c->in_len -= used;
	return true;
}

/* Sends what is left of the answer. Returns: true once all of it is out. */
static bool send_out(struct conn *c)
{
	while (c->out_sent < c->out_len) {
		int n = tls_conn_write(&c->tls, c->out + c->out_sent, c->out_len - c->out_sent);
		if (n <= 0)
			return false;
		c->out_sent += (uint32_t)n;
		c->last_ms = bh_now_ms();
	}
	c->out_len = c->out_sent = 0;
	return true;
}

static void identify(struct conn *c)
{
	size_t n = strnlen(c->tls.cn, sizeof(c->tls.cn));

	if (n > CTL_USER_MAX)
		n = CTL_USER_MAX;
	memcpy(c->who.user, c->tls.cn, n);
	c->who.user[n] = '\0';
	c->who.role = ctl_role_from_ou(c->tls.ou, strnlen(c->tls.ou, sizeof(c->tls.ou)));
	c->known = true;
}

/* One turn of an open TLS session: answers, then reads. Returns: false if it ended. */
static bool serve_open(struct conn *c)
{
	if (!c->known)
		identify(c);
	for (uint32_t step = 0; step < CTL_TURN_STEPS; step++) {
		if (!send_out(c))
			return true;
		if (c->closing)
			return tls_conn_flushed(&c->tls) ? (conn_free(c, false), false) : true;
		int n = tls_conn_read(&c->tls, c->in + c->in_len, sizeof(c->in) - c->in_len);
		if (n > 0) {
			c->in_len += (uint32_t)n;
			c->last_ms = bh_now_ms();
		} else if (n == 0 || n == TLS_EDONE) {
			conn_free(c, false);
			return false;
		}
		if (!take_request(c))
			return true;
	}
	return true;
}

static void serve_conn(struct conn *c)
{
	enum tls_state st = tls_conn_pump(&c->tls);

	if (st == TLS_FAILED) {
		bh_say("audit: tls refused (%s)", tls_error_text(c->tls.error));
		conn_free(c, true);
	} else if (st == TLS_CLOSED) {
		conn_free(c, false);
	} else if (st == TLS_OPEN) {
		(void)serve_open(c);
	}
}

static struct conn *free_slot(uint64_t now)
{
	struct conn *oldest = NULL;

	for (uint32_t i = 0; i < CTL_CONNS; i++) {
		if (conns[i].state == CONN_FREE)
			return &conns[i];
		if (!oldest || conns[i].last_ms < oldest->last_ms)
			oldest = &conns[i];
	}
	if (!oldest || now - oldest->last_ms < CTL_EVICT_MS)
		return NULL;
	conn_free(oldest, true);
	return oldest;
}

static void accept_all(int listener)
{
	int s;

	while ((s = net_tcp_accept(&stack, listener)) >= 0) {
		uint64_t now = bh_now_ms();
		struct conn *c = free_slot(now);
		if (!c) {
			(void)net_tcp_abort(&stack, s);
			continue;
		}
		memset(&c->who, 0, sizeof(c->who));
		c->known = c->closing = false;
		c->in_len = c->out_len = c->out_sent = 0;
		c->last_ms = now;
		c->state = CONN_OPEN;
		if (tls_accept(&c->tls, &keys, &stack, s) != 0) {
			bh_say("audit: tls refused (%s)", tls_error_text(c->tls.error));
			conn_free(c, true);
		}
	}
}

static void reap_idle(void)
{
	uint64_t now = bh_now_ms();

	for (uint32_t i = 0; i < CTL_CONNS; i++)
		if (conns[i].state != CONN_FREE && now - conns[i].last_ms >= CTL_IDLE_MS)
			conn_free(&conns[i], true);
}

static int serve(int listener)
{
	for (;;) {
		int r = net_port_run_once(&stack, &port);
		if (r < 0)
			return r;
		accept_all(listener);
		for (uint32_t i = 0; i < CTL_CONNS; i++)
			if (conns[i].state != CONN_FREE)
				serve_conn(&conns[i]);
		reap_idle();
		net_port_flush(&port);
	}
}

static void idle_forever(void)
{
	for (;;)
		(void)bh_wait();
}

int main(void)
{
	struct net_config cfg = {0};
	uint64_t seed = 0;
	int listener, err;

	ctl_api_init(&api, ctl_backend_open());
	if (tls_setup(&keys) != 0) {
		bh_say("control: no TLS, so no API; the managed domains run on");
		idle_forever();
	}
	(void)bh_entropy(&seed);
	cfg.seed = (uint32_t)seed;
	err = net_port_open(&port, &stack, NULL, NULL, &cfg);
	if (err) {
		bh_say("control: no network port or no address (error %d)", err);
		idle_forever();
	}
	listener = net_tcp_listen(&stack, CTL_PORT, CTL_CONNS);
	uint32_t ip = stack.cfg.ip;
	bh_say("control: https on %u.%u.%u.%u port %u, %u connections at once, %u domains",
	       ip >> 24, (ip >> 16) & 0xffu, (ip >> 8) & 0xffu, ip & 0xffu, CTL_PORT, CTL_CONNS,
	       api.backend->count(api.backend->ctx));
	if (listener < 0)
		idle_forever();
	bh_say("control: the port broke (error %d)", serve(listener));
	idle_forever();
}
