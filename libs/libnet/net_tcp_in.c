/* libnet: TCP input (RFC 9293 3.10.7) - parsing, demultiplexing, LISTEN and SYN-SENT. */
#include <stddef.h>
#include <string.h>

#include "net_tcp_in.h"

#define TCP_HLEN 20u
#define FLAG_MASK 0x3fu

/* Options are read only on a SYN; every option's length is checked before it is read. */
static bool parse_options(struct net_seg *g, const uint8_t *o, size_t len)
{
	size_t i = 0;

	while (i < len) {
		uint8_t kind = o[i], olen;

		if (kind == 0)
			break;
		if (kind == 1) {
			i++;
			continue;
		}
		if (i + 1 >= len || o[i + 1] < 2 || o[i + 1] > len - i)
			return false;
		olen = o[i + 1];
		if (kind == 2 && olen == 4)
			g->mss = net_get16(o + i + 2);
		else if (kind == 3 && olen == 3)
			g->ws = o[i + 2] > 14 ? 14 : (int)o[i + 2]; /* RFC 7323 2.3 */
		else if (kind == 2 || kind == 3)
			return false;
		i += olen;
	}
	return true;
}

static bool check_flags(unsigned f, uint16_t sport, uint16_t dport)
{
	if ((f & NET_TH_SYN) && (f & (NET_TH_FIN | NET_TH_RST)))
		return false;
	return sport != 0 && dport != 0;
}

/* Fills @g from the segment; returns false (counted) if it is malformed. */
static bool parse(struct net_stack *s, struct net_seg *g, const uint8_t *p, size_t len)
{
	size_t off;

	if (len < TCP_HLEN) {
		s->cnt.tcp_runt++;
		return false;
	}
	off = (size_t)(p[12] >> 4) * 4u;
	if (off < TCP_HLEN || off > len) {
		s->cnt.tcp_bad_offset++;
		return false;
	}
	if (net_csum_fold(
		    net_csum_add(net_csum_pseudo(g->src, g->dst, NET_PROTO_TCP, len), p, len))) {
		s->cnt.tcp_bad_csum++;
		return false;
	}
	g->sport = net_get16(p);
	g->dport = net_get16(p + 2);
	g->seq = net_get32(p + 4);
	g->ack = net_get32(p + 8);
	g->flags = p[13] & FLAG_MASK;
	g->wnd = net_get16(p + 14);
	g->data = p + off;
	g->dlen = (uint32_t)(len - off);
	g->mss = 536;
	g->ws = -1;
	if (!check_flags(g->flags, g->sport, g->dport)) {
		s->cnt.tcp_bad_flags++;
		return false;
	}
	if ((g->flags & NET_TH_SYN) && !parse_options(g, p + TCP_HLEN, off - TCP_HLEN)) {
		s->cnt.tcp_bad_options++;
		return false;
	}
	return true;
}

static struct net_socket *lookup(struct net_stack *s, const struct net_seg *g)
{
	struct net_socket *listener = NULL;
	unsigned i;

	for (i = 0; i < NET_SOCKETS; i++) {
		struct net_socket *so = &s->sock[i];

		if (so->kind != NET_SOCK_TCP || so->lport != g->dport)
			continue;
		if (so->u.tcb.state == NET_TCP_LISTEN)
			listener = so;
		else if (so->u.tcb.state != NET_TCP_CLOSED && so->rport == g->sport &&
		         so->rip == g->src)
			return so;
	}
	return listener;
}

static void reset_for(struct net_stack *s, const struct net_seg *g)
{
	uint32_t len =
		g->dlen + ((g->flags & NET_TH_SYN) ? 1u : 0u) + ((g->flags & NET_TH_FIN) ? 1u : 0u);

	net_tcp_out_reset(s, g->src, g->dst, g->sport, g->dport, g->seq, g->ack, len, g->flags);
}

/* The peer's SYN options: its MSS, and window scaling if both sides offered it. */
static void take_syn_options(struct net_tcb *t, const struct net_seg *g)
{
	uint32_t mss = g->mss < NET_TCP_MSS ? g->mss : NET_TCP_MSS;

	t->mss = (uint16_t)(mss < 64u ? 64u : mss);
	if (g->ws >= 0) {
		t->snd_ws = (uint8_t)g->ws;
	} else {
		t->snd_ws = 0;
		t->rcv_ws = 0;
	}
	t->irs = g->seq;
	t->rcv_nxt = g->seq + 1u;
	t->rcv_adv = t->rcv_nxt;
	t->snd_wnd = g->wnd; /* never scaled in a SYN */
	t->snd_wl1 = g->seq;
}

static unsigned children(const struct net_stack *s, int listener)
{
	unsigned i, n = 0;

	for (i = 0; i < NET_SOCKETS; i++)
		if (s->sock[i].kind == NET_SOCK_TCP && s->sock[i].parent == listener &&
		    !s->sock[i].accepted)
			n++;
	return n;
}

static void listen_input(struct net_stack *s, struct net_socket *l, const struct net_seg *g)
{
	int li = (int)(l - s->sock), i;
	struct net_socket *c;

	if (g->flags & NET_TH_RST)
		return;
	if (g->flags & NET_TH_ACK) {
		reset_for(s, g);
		return;
	}
	if (!(g->flags & NET_TH_SYN))
		return;
	i = children(s, li) < l->backlog ? net_udp_alloc(s) : NET_ENOSOCK;
	if (i < 0) {
		s->cnt.tcp_backlog_full++;
		return;
	}
	c = &s->sock[i];
	memset(c, 0, offsetof(struct net_socket, u));
	c->kind = NET_SOCK_TCP;
	c->parent = (int8_t)li;
	c->lport = g->dport;
	c->rport = g->sport;
	c->rip = g->src;
	net_tcp_tcb_init(s, c, l->u.tcb.rcv_limit);
	take_syn_options(&c->u.tcb, g);
	c->u.tcb.state = NET_TCP_SYN_RCVD;
	net_tcp_out_ctl(s, c, c->u.tcb.iss, NET_TH_SYN | NET_TH_ACK);
	c->u.tcb.snd_nxt = c->u.tcb.iss + 1u;
	c->u.tcb.snd_max = c->u.tcb.snd_nxt;
	net_tcp_timer_arm(s, &c->u.tcb, true);
}

void net_tcp_in_established(struct net_stack *s, struct net_socket *so, uint32_t ack)
{
	struct net_tcb *t = &so->u.tcb;

	t->state = NET_TCP_ESTABLISHED;
	t->snd_una = t->iss + 1u;
	t->snd_wl2 = ack;
	t->backoffs = 0;
	t->rto_at = NET_NEVER;
	t->cwnd = 10u * t->mss; /* RFC 6928 */
	if (t->rtt_on) {
		net_tcp_timer_sample(t, (uint32_t)(s->now - t->rtt_start));
		t->rtt_on = false;
	}
}

static void syn_sent_input(struct net_stack *s, struct net_socket *so, const struct net_seg *g)
{
	struct net_tcb *t = &so->u.tcb;
	bool ack_ok = net_seq_lt(t->iss, g->ack) && net_seq_le(g->ack, t->snd_max);

	if ((g->flags & NET_TH_ACK) && !ack_ok) {
		reset_for(s, g);
		return;
	}
	if (g->flags & NET_TH_RST) {
		if (g->flags & NET_TH_ACK) {
			s->cnt.tcp_rst_rx++;
			net_tcp_drop(s, so, NET_ECONNREFUSED);
		}
		return;
	}
	if (!(g->flags & NET_TH_SYN))
		return;
	take_syn_options(t, g);
	if (!(g->flags & NET_TH_ACK)) { /* simultaneous open */
		t->state = NET_TCP_SYN_RCVD;
		net_tcp_out_ctl(s, so, t->iss, NET_TH_SYN | NET_TH_ACK);
		return;
	}
	net_tcp_in_established(s, so, g->ack);
	net_tcp_out_ack(s, so);
	net_tcp_out_push(s, so);
}

void net_tcp_in_segment(struct net_stack *s, uint32_t src, uint32_t dst, const uint8_t *p,
                        size_t len)
{
	struct net_seg g;
	struct net_socket *so;

	memset(&g, 0, sizeof(g));
	g.src = src;
	g.dst = dst;
	if (!parse(s, &g, p, len))
		return;
	s->cnt.tcp_segs_in++;
	so = lookup(s, &g);
	if (!so) {
		s->cnt.tcp_no_socket++;
		reset_for(s, &g);
	} else if (so->u.tcb.state == NET_TCP_LISTEN) {
		listen_input(s, so, &g);
	} else if (so->u.tcb.state == NET_TCP_SYN_SENT) {
		syn_sent_input(s, so, &g);
	} else {
		net_tcp_sync_input(s, so, &g);
	}
}
