/* libnet: TCP sockets for programs - listen, accept, connect, send, recv, close - and their TCBs. */
#include <stddef.h>
#include <string.h>

#include "net_internal.h"

#define TCP_SSTHRESH_START 0x7fffffffu

static bool is_conn(const struct net_stack *s, int sock)
{
	return net_sock_ok(s, sock, NET_SOCK_TCP) && s->sock[sock].u.tcb.state != NET_TCP_LISTEN;
}

static bool is_listener(const struct net_stack *s, int sock)
{
	return net_sock_ok(s, sock, NET_SOCK_TCP) && s->sock[sock].u.tcb.state == NET_TCP_LISTEN;
}

static uint32_t mix(uint32_t x)
{
	x ^= x >> 16;
	x *= 0x7feb352du;
	x ^= x >> 15;
	x *= 0x846ca68bu;
	return x ^ (x >> 16);
}

uint32_t net_tcp_iss(struct net_stack *s, const struct net_socket *so)
{
	uint32_t f = mix(s->cfg.seed ^ mix(so->rip ^ mix((uint32_t)so->lport << 16 | so->rport)));

	s->isn_count++;
	return f + (uint32_t)(s->now * 250u) + s->isn_count * 64000u; /* RFC 6528's shape */
}

static uint8_t wscale_for(uint32_t bytes)
{
	uint8_t ws = 0;

	while ((bytes >> ws) > 0xffffu)
		ws++;
	return ws;
}

void net_tcp_tcb_init(struct net_stack *s, struct net_socket *so, uint32_t rcv_limit)
{
	struct net_tcb *t = &so->u.tcb;

	memset(t, 0, offsetof(struct net_tcb, sbuf));
	t->rcv_ws = wscale_for(NET_TCP_BUF);
	t->mss = 536; /* RFC 9293 3.7.1: until the peer says otherwise */
	t->rto = 1000;
	t->ssthresh = TCP_SSTHRESH_START;
	t->rcv_limit = rcv_limit;
	t->iss = net_tcp_iss(s, so);
	t->snd_una = t->iss;
	t->snd_nxt = t->iss;
	t->snd_max = t->iss;
	t->recover = t->iss;
	t->rto_at = NET_NEVER;
	t->ack_at = NET_NEVER;
	t->persist_at = NET_NEVER;
	t->tw_at = NET_NEVER;
}

void net_tcp_drop(struct net_stack *s, struct net_socket *so, int err)
{
	struct net_tcb *t = &so->u.tcb;

	(void)s;
	t->state = NET_TCP_CLOSED;
	t->err = err;
	t->rto_at = NET_NEVER;
	t->ack_at = NET_NEVER;
	t->persist_at = NET_NEVER;
	t->tw_at = NET_NEVER;
	if (!so->user)
		so->kind = NET_SOCK_FREE;
}

static bool listening_on(const struct net_stack *s, uint16_t port)
{
	unsigned i;

	for (i = 0; i < NET_SOCKETS; i++)
		if (s->sock[i].kind == NET_SOCK_TCP && s->sock[i].lport == port &&
		    s->sock[i].u.tcb.state == NET_TCP_LISTEN)
			return true;
	return false;
}

/* Takes a socket slot for a TCP socket on @lport; returns its index or NET_ENOSOCK. */
static int tcp_alloc(struct net_stack *s, uint16_t lport, bool user)
{
	int i = net_udp_alloc(s);
	struct net_socket *so;

	if (i < 0)
		return i;
	so = &s->sock[i];
	so->kind = NET_SOCK_TCP;
	so->user = user;
	so->accepted = false;
	so->parent = -1;
	so->lport = lport;
	so->rport = 0;
	so->rip = 0;
	so->backlog = 0;
	return i;
}

int net_tcp_listen(struct net_stack *s, uint16_t port, unsigned backlog)
{
	int i;

	if (port == 0 || backlog == 0)
		return NET_EINVAL;
	if (listening_on(s, port))
		return NET_EADDRINUSE;
	i = tcp_alloc(s, port, true);
	if (i < 0)
		return i;
	net_tcp_tcb_init(s, &s->sock[i], NET_TCP_BUF);
	s->sock[i].u.tcb.state = NET_TCP_LISTEN;
	s->sock[i].backlog = (uint16_t)(backlog < NET_SOCKETS ? backlog : NET_SOCKETS);
	return i;
}

int net_tcp_accept(struct net_stack *s, int sock)
{
	unsigned i;

	if (!is_listener(s, sock))
		return NET_EINVAL;
	for (i = 0; i < NET_SOCKETS; i++) {
		struct net_socket *c = &s->sock[i];

		if (c->kind == NET_SOCK_TCP && c->parent == sock && !c->accepted &&
		    c->u.tcb.state >= NET_TCP_ESTABLISHED) {
			c->accepted = true;
			c->user = true;
			c->parent = -1;
			return (int)i;
		}
	}
	return NET_EAGAIN;
}

int net_tcp_connect(struct net_stack *s, uint32_t ip, uint16_t port)
{
	struct net_socket *so;
	int i;

	if (port == 0)
		return NET_EINVAL;
	if (!net_ip_routable(s, ip))
		return NET_ENOROUTE;
	i = tcp_alloc(s, 0, true);
	if (i < 0)
		return i;
	so = &s->sock[i];
	so->lport = net_udp_ephemeral(s, NET_SOCK_TCP);
	so->rip = ip;
	so->rport = port;
	net_tcp_tcb_init(s, so, NET_TCP_BUF);
	so->u.tcb.state = NET_TCP_SYN_SENT;
	net_tcp_out_ctl(s, so, so->u.tcb.iss, NET_TH_SYN);
	so->u.tcb.snd_nxt = so->u.tcb.iss + 1u;
	so->u.tcb.snd_max = so->u.tcb.snd_nxt;
	net_tcp_timer_arm(s, &so->u.tcb, true);
	return i;
}

static bool may_queue(unsigned state)
{
	return state == NET_TCP_SYN_SENT || state == NET_TCP_SYN_RCVD ||
	       state == NET_TCP_ESTABLISHED || state == NET_TCP_CLOSE_WAIT;
}

int net_tcp_send(struct net_stack *s, int sock, const void *data, size_t len)
{
	struct net_tcb *t;
	uint32_t n, tail, first;

	if (!is_conn(s, sock))
		return NET_EINVAL;
	t = &s->sock[sock].u.tcb;
	if (t->err)
		return t->err;
	if (!may_queue(t->state) || t->fin_queued)
		return NET_EINVAL;
	n = NET_TCP_BUF - t->s_len;
	n = len < n ? (uint32_t)len : n;
	tail = (t->s_head + t->s_len) % NET_TCP_BUF;
	first = NET_TCP_BUF - tail < n ? NET_TCP_BUF - tail : n;
	memcpy(t->sbuf + tail, data, first);
	memcpy(t->sbuf, (const uint8_t *)data + first, n - first);
	t->s_len += n;
	net_tcp_out_push(s, &s->sock[sock]);
	return (int)n;
}

/* After the program read: tell the peer when the window opened by enough (RFC 9293 3.8.6.2.2). */
static void window_update(struct net_stack *s, struct net_socket *so)
{
	const struct net_tcb *t = &so->u.tcb;
	uint32_t edge = t->rcv_nxt + net_tcp_out_window(so);
	uint32_t need = t->rcv_limit / 2u < 2u * NET_TCP_MSS ? t->rcv_limit / 2u : 2u * NET_TCP_MSS;

	if (t->state < NET_TCP_ESTABLISHED || t->state == NET_TCP_TIME_WAIT)
		return;
	if (net_seq_le(t->rcv_adv + (need ? need : 1u), edge))
		net_tcp_out_ack(s, so);
}

int net_tcp_recv(struct net_stack *s, int sock, void *buf, size_t cap)
{
	struct net_tcb *t;
	uint32_t n, first;

	if (!is_conn(s, sock))
		return NET_EINVAL;
	t = &s->sock[sock].u.tcb;
	if (cap == 0 && t->r_len)
		return NET_EINVAL; /* 0 would read as the end of the stream */
	if (!t->r_len) {
		if (t->err)
			return t->err;
		return t->fin_rcvd || t->state == NET_TCP_CLOSED ? 0 : NET_EAGAIN;
	}
	n = cap < t->r_len ? (uint32_t)cap : t->r_len;
	first = NET_TCP_BUF - t->r_head < n ? NET_TCP_BUF - t->r_head : n;
	memcpy(buf, t->rbuf + t->r_head, first);
	memcpy((uint8_t *)buf + first, t->rbuf, n - first);
	t->r_head = (t->r_head + n) % NET_TCP_BUF;
	t->r_len -= n;
	window_update(s, &s->sock[sock]);
	return (int)n;
}

static void close_listener(struct net_stack *s, int sock)
{
	unsigned i;

	for (i = 0; i < NET_SOCKETS; i++) {
		struct net_socket *c = &s->sock[i];

		if (c->kind == NET_SOCK_TCP && c->parent == sock && !c->accepted) {
			net_tcp_out_ctl(s, c, c->u.tcb.snd_nxt, NET_TH_RST);
			net_tcp_drop(s, c, NET_ECONNRESET);
		}
	}
	s->sock[sock].user = false;
	net_tcp_drop(s, &s->sock[sock], 0);
}

/* Queues our FIN after the data: the half of the connection we send on ends. */
static void queue_fin(struct net_stack *s, struct net_socket *so)
{
	struct net_tcb *t = &so->u.tcb;

	if (t->fin_queued)
		return;
	if (t->state == NET_TCP_ESTABLISHED || t->state == NET_TCP_SYN_RCVD)
		t->state = NET_TCP_FIN_WAIT_1;
	else if (t->state == NET_TCP_CLOSE_WAIT)
		t->state = NET_TCP_LAST_ACK;
	else
		return;
	t->fin_queued = true;
	net_tcp_out_push(s, so);
}

int net_tcp_shutdown(struct net_stack *s, int sock)
{
	if (!is_conn(s, sock))
		return NET_EINVAL;
	if (s->sock[sock].u.tcb.state == NET_TCP_SYN_SENT)
		return net_tcp_abort(s, sock) == 0 ? 0 : NET_EINVAL;
	queue_fin(s, &s->sock[sock]);
	return 0;
}

int net_tcp_close(struct net_stack *s, int sock)
{
	struct net_socket *so;
	struct net_tcb *t;

	if (is_listener(s, sock)) {
		close_listener(s, sock);
		return 0;
	}
	if (!is_conn(s, sock))
		return NET_EINVAL;
	so = &s->sock[sock];
	t = &so->u.tcb;
	if (t->r_len) /* unread data would be lost: tell the peer (RFC 2525 2.17) */
		return net_tcp_abort(s, sock);
	so->user = false;
	if (t->state == NET_TCP_SYN_SENT || t->state == NET_TCP_CLOSED) {
		net_tcp_drop(s, so, t->err);
		return 0;
	}
	queue_fin(s, so);
	return 0;
}

int net_tcp_abort(struct net_stack *s, int sock)
{
	struct net_socket *so;

	if (!is_conn(s, sock))
		return NET_EINVAL;
	so = &s->sock[sock];
	if (so->u.tcb.state >= NET_TCP_SYN_RCVD)
		net_tcp_out_ctl(s, so, so->u.tcb.snd_nxt, NET_TH_RST);
	so->user = false;
	net_tcp_drop(s, so, NET_ECONNRESET);
	return 0;
}

int net_tcp_set_rcvbuf(struct net_stack *s, int sock, uint32_t bytes)
{
	if (!net_sock_ok(s, sock, NET_SOCK_TCP) || bytes == 0 || bytes > NET_TCP_BUF)
		return NET_EINVAL;
	s->sock[sock].u.tcb.rcv_limit = bytes;
	return 0;
}

int net_tcp_info(const struct net_stack *s, int sock, struct net_tcp_info *out)
{
	const struct net_tcb *t;

	if (!net_sock_ok(s, sock, NET_SOCK_TCP))
		return NET_EINVAL;
	t = &s->sock[sock].u.tcb;
	memset(out, 0, sizeof(*out));
	out->state = t->state;
	out->srtt_ms = t->srtt;
	out->rttvar_ms = t->rttvar;
	out->rto_ms = t->rto;
	out->cwnd = t->cwnd;
	out->snd_wnd = t->snd_wnd;
	out->mss = t->mss;
	out->snd_wscale = t->snd_ws;
	out->rcv_wscale = t->rcv_ws;
	out->retransmits = t->retransmits;
	out->unacked = t->snd_max - t->snd_una;
	out->unsent = t->s_len - (t->s_len < out->unacked ? t->s_len : out->unacked);
	out->rcv_queued = t->r_len;
	return 0;
}
