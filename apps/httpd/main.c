/* httpd: a minimal HTTP/1.1 server on TCP port 80 of a network port (docs/network.md). */
#include <stdio.h>
#include <string.h>

#include <net_port.h>

#include "http_req.h"

/*
 * The port is the domain's switch port (else ring "net" with map "net-data"); the address is
 * the port's from the manifest (INFO's), there is no fallback. Up to HTTPD_CONNS connections are served at once,
 * each with its own bounded buffers: the head of one request (HTTP_HEAD_MAX) and one answer
 * (HTTPD_OUT_MAX). A connection is read only when its previous answer went out, so a client
 * that does not read holds those two buffers and nothing more; one that stays silent for
 * HTTPD_IDLE_MS is closed, and one silent for HTTPD_EVICT_MS gives its slot to a new client
 * when every slot is taken. Connections are persistent (HTTP/1.1's default, or HTTP/1.0 with
 * "Connection: keep-alive") until "Connection: close" or an error; every answer has a
 * Content-Length. GET and HEAD of "/" answer a text/plain status page.
 */
#define HTTPD_PORT 80u
#define HTTPD_CONNS 6u /* NET_SOCKETS less the listener and one for a connection finishing */
#define HTTPD_OUT_MAX 2048u
#define HTTPD_PAGE_MAX 1024u
#define HTTPD_IDLE_MS 30000u
#define HTTPD_EVICT_MS 2000u
#define HTTPD_TURN_STEPS 16u /* answers and reads of one connection per turn: then the others' */

enum conn_state {
	CONN_FREE = 0,
	CONN_OPEN,     /* reading requests, answering them */
	CONN_DRAINING, /* last answer sent and our half closed: reading until the peer closes */
};

struct conn {
	enum conn_state state;
	int sock;
	bool closing;     /* close once the answer went out */
	uint32_t in_len;  /* bytes of the next request in @in */
	uint32_t skip;    /* body bytes still to discard */
	uint32_t out_len; /* bytes of the answer in @out, @out_sent of them sent */
	uint32_t out_sent;
	uint64_t last_ms; /* the last time the connection moved */
	char in[HTTP_HEAD_MAX];
	char out[HTTPD_OUT_MAX];
};

static struct net_stack stack;
static struct net_port port;
static struct conn conns[HTTPD_CONNS];
static uint64_t served, started_ms;
static char page[HTTPD_PAGE_MAX];
static char scratch[512];

/* ---- answers ---- */

static uint32_t open_conns(void)
{
	uint32_t n = 0;

	for (uint32_t i = 0; i < HTTPD_CONNS; i++)
		n += conns[i].state != CONN_FREE;
	return n;
}

/* The status page: the system, the domain, and what is live. Returns its length. */
static uint32_t status_page(void)
{
	const struct bh_start_info *info = bh_info();
	uint64_t up = bh_now_ms() - started_ms;
	uint32_t ip = stack.cfg.ip;
	const uint8_t *m = port.mac;
	int n = snprintf(page, sizeof(page),
	                 "Bulkhead system %.*s, domain %.*s\n"
	                 "uptime %llu.%03llu s\n"
	                 "requests served %llu\n"
	                 "connections open %u of %u\n"
	                 "address %u.%u.%u.%u port %u, mac %02x:%02x:%02x:%02x:%02x:%02x\n",
	                 BH_INFO_NAME_LEN, info->system_name, BH_INFO_NAME_LEN, info->domain_name,
	                 (unsigned long long)(up / 1000u), (unsigned long long)(up % 1000u),
	                 (unsigned long long)served, open_conns(), HTTPD_CONNS, ip >> 24,
	                 (ip >> 16) & 0xffu, (ip >> 8) & 0xffu, ip & 0xffu, HTTPD_PORT, m[0], m[1],
	                 m[2], m[3], m[4], m[5]);
	return n < 0 ? 0u : (uint32_t)n < sizeof(page) ? (uint32_t)n : (uint32_t)sizeof(page) - 1u;
}

/* Puts the answer @code with @body (@len bytes; @head_only: HEAD, no body) into @c->out. */
static void put_answer(struct conn *c, int code, const char *body, uint32_t len, bool head_only)
{
	int n = snprintf(c->out, sizeof(c->out),
	                 "HTTP/1.1 %d %s\r\n"
	                 "Server: bulkhead-httpd\r\n"
	                 "Content-Type: text/plain; charset=utf-8\r\n"
	                 "Content-Length: %u\r\n"
	                 "%s"
	                 "Connection: %s\r\n\r\n",
	                 code, http_req_reason(code), len,
	                 code == 405 ? "Allow: GET, HEAD\r\n" : "",
	                 c->closing ? "close" : "keep-alive");
	uint32_t head = n < 0 ? 0u : (uint32_t)n;
	if (head_only || head + len > sizeof(c->out))
		len = 0;
	memcpy(c->out + head, body, len);
	c->out_len = head + len;
	c->out_sent = 0;
}

/* An error answer: "CODE Reason" as its body. */
static void put_error(struct conn *c, int code, bool head_only)
{
	int n = snprintf(scratch, sizeof(scratch), "%d %s\n", code, http_req_reason(code));

	put_answer(c, code, scratch, n < 0 ? 0u : (uint32_t)n, head_only);
}

/* The path of @target: up to a '?', if any, compared with "/". */
static bool is_root(const char *target)
{
	return target[0] == '/' && (target[1] == '\0' || target[1] == '?');
}

/* Answers the well-formed request @r. */
static void answer(struct conn *c, const struct http_req *r)
{
	bool head = r->method == HTTP_HEAD;

	served++;
	c->closing = !r->keep_alive;
	if (r->method != HTTP_GET && !head)
		put_error(c, 405, false);
	else if (!is_root(r->target))
		put_error(c, 404, head);
	else
		put_answer(c, 200, page, status_page(), head);
}

/* ---- connections ---- */

static void conn_free(struct conn *c, bool abort)
{
	if (abort)
		(void)net_tcp_abort(&stack, c->sock);
	else
		(void)net_tcp_close(&stack, c->sock);
	c->state = CONN_FREE;
	c->sock = -1;
}

static void consume(struct conn *c, uint32_t n)
{
	memmove(c->in, c->in + n, c->in_len - n);
	c->in_len -= n;
}

/* Drops body bytes still to skip from the start of @c->in. */
static void skip_body(struct conn *c)
{
	uint32_t n = c->skip < c->in_len ? c->skip : c->in_len;

	consume(c, n);
	c->skip -= n;
}

/* Parses what @c holds. Returns true if an answer was made (or the buffer changed). */
static bool take_request(struct conn *c)
{
	struct http_req r;

	skip_body(c);
	if (c->skip || c->in_len == 0)
		return false;
	int st = http_req_parse(c->in, c->in_len, &r);
	if (st == HTTP_REQ_MORE)
		return false;
	if (st != HTTP_REQ_DONE) {
		c->closing = true;
		put_error(c, st, false);
		c->in_len = 0;
		return true;
	}
	consume(c, r.head_len);
	c->skip = r.body_len;
	answer(c, &r);
	return true;
}

/* Sends what is left of the answer. Returns 1 when all of it went, 0 if the rest must wait,
 * -1 if the connection failed. */
static int send_out(struct conn *c)
{
	while (c->out_sent < c->out_len) {
		int n = net_tcp_send(&stack, c->sock, c->out + c->out_sent,
		                     c->out_len - c->out_sent);
		if (n == 0 || n == NET_EAGAIN)
			return 0;
		if (n < 0)
			return -1;
		c->out_sent += (uint32_t)n;
		c->last_ms = bh_now_ms();
	}
	return 1;
}

/* Reads into @c->in (while draining, over what was there). Returns 1 if bytes came, 0 if none
 * are there, -1 when the connection ended (the peer's end of stream or an error). */
static int read_in(struct conn *c)
{
	if (c->state == CONN_DRAINING)
		c->in_len = 0;
	int n = net_tcp_recv(&stack, c->sock, c->in + c->in_len, sizeof(c->in) - c->in_len);
	if (n == NET_EAGAIN)
		return 0;
	if (n <= 0)
		return -1;
	c->in_len += (uint32_t)n;
	c->last_ms = bh_now_ms();
	return 1;
}

/* After an answer with "close": our half is shut once it went out; then wait for the peer's. */
static void start_draining(struct conn *c)
{
	(void)net_tcp_shutdown(&stack, c->sock);
	c->state = CONN_DRAINING;
	c->in_len = 0;
}

/* One turn of connection @c: at most HTTPD_TURN_STEPS answers or reads, then the others'. */
static void serve_conn(struct conn *c)
{
	for (uint32_t step = 0; step < HTTPD_TURN_STEPS; step++) {
		int sent = send_out(c);
		if (sent <= 0) {
			if (sent < 0)
				conn_free(c, true);
			return;
		}
		if (c->closing && c->state == CONN_OPEN)
			start_draining(c);
		if (c->state == CONN_OPEN && take_request(c))
			continue;
		int got = read_in(c);
		if (got < 0)
			conn_free(c, false);
		if (got <= 0)
			return;
	}
}

/* A free slot, or the one of a connection silent for HTTPD_EVICT_MS (aborted); NULL if none. */
static struct conn *free_slot(uint64_t now)
{
	struct conn *oldest = NULL;

	for (uint32_t i = 0; i < HTTPD_CONNS; i++) {
		if (conns[i].state == CONN_FREE)
			return &conns[i];
		if (!oldest || conns[i].last_ms < oldest->last_ms)
			oldest = &conns[i];
	}
	if (!oldest || now - oldest->last_ms < HTTPD_EVICT_MS)
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
		c->state = CONN_OPEN;
		c->sock = s;
		c->closing = false;
		c->in_len = c->skip = c->out_len = c->out_sent = 0;
		c->last_ms = now;
	}
}

/* Closes connections silent for HTTPD_IDLE_MS. */
static void reap_idle(void)
{
	uint64_t now = bh_now_ms();

	for (uint32_t i = 0; i < HTTPD_CONNS; i++)
		if (conns[i].state != CONN_FREE && now - conns[i].last_ms >= HTTPD_IDLE_MS)
			conn_free(&conns[i], true);
}

static int serve(int listener)
{
	for (;;) {
		int r = net_port_run_once(&stack, &port);
		if (r < 0)
			return r;
		accept_all(listener);
		for (uint32_t i = 0; i < HTTPD_CONNS; i++)
			if (conns[i].state != CONN_FREE)
				serve_conn(&conns[i]);
		reap_idle();
		net_port_flush(&port);
	}
}

int main(void)
{
	struct net_config cfg = {.seed = (uint32_t)bh_rdtsc()};

	started_ms = bh_now_ms();
	int err = net_port_open(&port, &stack, NULL, NULL, &cfg);
	if (err) {
		printf("httpd: no network port or no address (error %d)\n", err);
		return 1;
	}
	int listener = net_tcp_listen(&stack, HTTPD_PORT, HTTPD_CONNS);
	uint32_t ip = stack.cfg.ip;
	const uint8_t *m = port.mac;
	printf("httpd: %u.%u.%u.%u port %u (http), mac %02x:%02x:%02x:%02x:%02x:%02x, "
	       "%u connections at once\n",
	       ip >> 24, (ip >> 16) & 0xffu, (ip >> 8) & 0xffu, ip & 0xffu, HTTPD_PORT, m[0], m[1],
	       m[2], m[3], m[4], m[5], HTTPD_CONNS);
	if (listener < 0)
		return 1;
	int r = serve(listener);
	printf("httpd: the port broke (error %d)\n", r);
	return 1;
}
