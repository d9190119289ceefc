/* libnet: TCP output - segments within the windows, retransmissions, ACKs, resets, probes. */
#include <string.h>

#include "net_internal.h"

#define TCP_HLEN 20u
#define PERSIST_MIN_MS 200u

struct seg_out {
	uint16_t lport, rport;
	uint32_t rip, seq, ack;
	unsigned flags;
	uint16_t wnd;
};

/* Writes the header at s->tx (MSS on a SYN, window scale @syn_ws if >= 0); returns its length. */
static size_t put_header(struct net_stack *s, const struct seg_out *o, int syn_ws)
{
	uint8_t *p = s->tx + NET_L4_OFF;
	size_t hlen = TCP_HLEN;

	net_put16(p, o->lport);
	net_put16(p + 2, o->rport);
	net_put32(p + 4, o->seq);
	net_put32(p + 8, o->ack);
	net_put16(p + 14, o->wnd);
	net_put32(p + 16, 0); /* checksum, urgent pointer */
	if (o->flags & NET_TH_SYN) {
		p[hlen] = 2; /* MSS */
		p[hlen + 1] = 4;
		net_put16(p + hlen + 2, NET_TCP_MSS);
		hlen += 4;
	}
	if (syn_ws >= 0) {
		p[hlen] = 1; /* NOP, then window scale */
		p[hlen + 1] = 3;
		p[hlen + 2] = 3;
		p[hlen + 3] = (uint8_t)syn_ws;
		hlen += 4;
	}
	p[12] = (uint8_t)(hlen / 4u << 4);
	p[13] = (uint8_t)o->flags;
	return hlen;
}

static void finish(struct net_stack *s, uint32_t rip, size_t len)
{
	uint8_t *p = s->tx + NET_L4_OFF;
	uint32_t sum = net_csum_pseudo(s->cfg.ip, rip, NET_PROTO_TCP, len);

	net_put16(p + 16, net_csum_fold(net_csum_add(sum, p, len)));
	s->cnt.tcp_segs_out++;
	net_ip_send(s, rip, NET_PROTO_TCP, len);
}

uint32_t net_tcp_out_window(const struct net_socket *so)
{
	const struct net_tcb *t = &so->u.tcb;
	uint32_t free = t->rcv_limit > t->r_len ? t->rcv_limit - t->r_len : 0;
	uint32_t max = 0xffffu << t->rcv_ws;

	return free < max ? free : max;
}

/* The window field of a segment of @so; notes the right edge it advertises. */
static uint16_t advertise(struct net_socket *so, bool syn)
{
	struct net_tcb *t = &so->u.tcb;
	uint32_t w = net_tcp_out_window(so), field;

	if (syn) {
		w = w > 0xffffu ? 0xffffu : w;
		if (net_seq_lt(t->rcv_adv, t->rcv_nxt + w))
			t->rcv_adv = t->rcv_nxt + w;
		return (uint16_t)w;
	}
	field = w >> t->rcv_ws;
	if (net_seq_lt(t->rcv_nxt + (field << t->rcv_ws), t->rcv_adv)) /* never shrink it */
		field = (t->rcv_adv - t->rcv_nxt + (1u << t->rcv_ws) - 1u) >> t->rcv_ws;
	if (field > 0xffffu)
		field = 0xffffu;
	if (net_seq_lt(t->rcv_adv, t->rcv_nxt + (field << t->rcv_ws)))
		t->rcv_adv = t->rcv_nxt + (field << t->rcv_ws);
	return (uint16_t)field;
}

static struct seg_out seg_of(struct net_socket *so, uint32_t seq, unsigned flags)
{
	struct seg_out o;
	bool syn = flags & NET_TH_SYN;

	o.lport = so->lport;
	o.rport = so->rport;
	o.rip = so->rip;
	o.seq = seq;
	o.flags = flags;
	o.ack = flags & NET_TH_ACK ? so->u.tcb.rcv_nxt : 0;
	o.wnd = flags & NET_TH_RST ? 0 : advertise(so, syn);
	if (flags & NET_TH_ACK) {
		so->u.tcb.ack_segs = 0;
		so->u.tcb.ack_at = NET_NEVER;
	}
	return o;
}

void net_tcp_out_ctl(struct net_stack *s, struct net_socket *so, uint32_t seq, unsigned flags)
{
	struct seg_out o;
	int ws = -1;

	if (so->u.tcb.state != NET_TCP_SYN_SENT && so->u.tcb.state != NET_TCP_CLOSED &&
	    !(flags & NET_TH_RST))
		flags |= NET_TH_ACK;
	o = seg_of(so, seq, flags);
	if ((flags & NET_TH_SYN) && so->u.tcb.rcv_ws)
		ws = so->u.tcb.rcv_ws;
	if (flags & NET_TH_RST)
		s->cnt.tcp_rst_sent++;
	finish(s, so->rip, put_header(s, &o, ws));
}

void net_tcp_out_ack(struct net_stack *s, struct net_socket *so)
{
	/* snd_max, not snd_nxt: while we go back to resend, the peer may hold all we sent, and
	 * an ACK behind its rcv_nxt would be refused (as BSD does). */
	net_tcp_out_ctl(s, so, so->u.tcb.snd_max, NET_TH_ACK);
}

void net_tcp_out_reset(struct net_stack *s, uint32_t src, uint32_t dst, uint16_t sport,
                       uint16_t dport, uint32_t seg_seq, uint32_t seg_ack, uint32_t seg_len,
                       unsigned flags)
{
	struct seg_out o;

	(void)dst;
	if (flags & NET_TH_RST)
		return;
	o.lport = dport;
	o.rport = sport;
	o.rip = src;
	o.wnd = 0;
	if (flags & NET_TH_ACK) {
		o.seq = seg_ack;
		o.ack = 0;
		o.flags = NET_TH_RST;
	} else {
		o.seq = 0;
		o.ack = seg_seq + seg_len;
		o.flags = NET_TH_RST | NET_TH_ACK;
	}
	s->cnt.tcp_rst_sent++;
	finish(s, src, put_header(s, &o, -1));
}

/* Copies @n bytes at offset @off of the send buffer behind the header. */
static void copy_data(struct net_stack *s, const struct net_tcb *t, size_t hlen, uint32_t off,
                      uint32_t n)
{
	uint8_t *p = s->tx + NET_L4_OFF + hlen;
	uint32_t at = (t->s_head + off) % NET_TCP_BUF;
	uint32_t first = NET_TCP_BUF - at < n ? NET_TCP_BUF - at : n;

	memcpy(p, t->sbuf + at, first);
	memcpy(p + first, t->sbuf, n - first);
}

/* Sends @n data bytes at sequence @seq, @fin: and FIN; @probe: a window probe (no resend). */
static void send_data(struct net_stack *s, struct net_socket *so, uint32_t seq, uint32_t n,
                      bool fin, bool probe)
{
	struct net_tcb *t = &so->u.tcb;
	unsigned flags = NET_TH_ACK | (n ? NET_TH_PSH : 0u) | (fin ? NET_TH_FIN : 0u);
	struct seg_out o = seg_of(so, seq, flags);
	size_t hlen = put_header(s, &o, -1);

	copy_data(s, t, hlen, seq - t->snd_una, n);
	if (net_seq_lt(seq, t->snd_max) && !probe) {
		t->retransmits++;
		s->cnt.tcp_retransmits++;
	}
	finish(s, so->rip, hlen + n);
}

static bool can_send(unsigned state)
{
	return state == NET_TCP_ESTABLISHED || state == NET_TCP_CLOSE_WAIT ||
	       state == NET_TCP_FIN_WAIT_1 || state == NET_TCP_CLOSING || state == NET_TCP_LAST_ACK;
}

/* Sends one segment if the windows allow; returns false when nothing more can go now. */
static bool send_one(struct net_stack *s, struct net_socket *so)
{
	struct net_tcb *t = &so->u.tcb;
	uint32_t inflight = t->snd_nxt - t->snd_una, off = inflight;
	uint32_t avail = off <= t->s_len ? t->s_len - off : 0;
	uint32_t lt = t->in_recovery || t->dupacks > 2u ? 0u : t->dupacks * t->mss; /* RFC 3042 */
	uint32_t wnd = t->snd_wnd < t->cwnd + lt ? t->snd_wnd : t->cwnd + lt;
	uint32_t n = wnd > inflight ? wnd - inflight : 0;
	bool fin;

	n = n < avail ? n : avail;
	n = n < t->mss ? n : t->mss;
	fin = t->fin_queued && off <= t->s_len && off + n == t->s_len;
	if (n == 0 && !fin)
		return false;
	if (!t->rtt_on && net_seq_le(t->snd_max, t->snd_nxt)) { /* time new data only */
		t->rtt_on = true;
		t->rtt_seq = t->snd_nxt;
		t->rtt_start = s->now;
	}
	send_data(s, so, t->snd_nxt, n, fin, false);
	t->snd_nxt += n + (fin ? 1u : 0u);
	if (net_seq_lt(t->snd_max, t->snd_nxt))
		t->snd_max = t->snd_nxt;
	net_tcp_timer_arm(s, t, false);
	return !fin;
}

/* Zero window with data waiting and nothing in flight: the persist timer takes over. */
static void persist_check(struct net_stack *s, struct net_tcb *t)
{
	bool waiting = t->s_len > t->snd_nxt - t->snd_una && t->snd_nxt == t->snd_una;

	if (t->snd_wnd == 0 && waiting) {
		t->rto_at = NET_NEVER;
		if (t->persist_at == NET_NEVER) {
			t->persist_ms = t->rto > PERSIST_MIN_MS ? t->rto : PERSIST_MIN_MS;
			t->persist_at = s->now + t->persist_ms;
		}
	} else {
		t->persist_at = NET_NEVER;
	}
}

void net_tcp_out_push(struct net_stack *s, struct net_socket *so)
{
	struct net_tcb *t = &so->u.tcb;
	unsigned guard = 0;

	if (!can_send(t->state))
		return;
	while (guard++ < NET_TCP_BUF / 536u + 2u && send_one(s, so))
		continue;
	persist_check(s, t);
}

void net_tcp_out_resend(struct net_stack *s, struct net_socket *so)
{
	struct net_tcb *t = &so->u.tcb;
	uint32_t n = t->s_len < t->mss ? t->s_len : t->mss;
	bool fin = t->fin_queued && n == t->s_len && t->snd_max - t->snd_una > t->s_len;

	if (!can_send(t->state) || (n == 0 && !fin) || t->snd_una == t->snd_max)
		return;
	send_data(s, so, t->snd_una, n, fin, false);
	if (t->snd_nxt == t->snd_una)
		t->snd_nxt += n + (fin ? 1u : 0u);
}

void net_tcp_out_probe(struct net_stack *s, struct net_socket *so)
{
	struct net_tcb *t = &so->u.tcb;

	if (t->s_len == 0 || t->snd_nxt != t->snd_una) {
		net_tcp_out_ack(s, so);
		return;
	}
	/* One byte at snd_una, snd_nxt kept: if the window opened, it is taken and ACKed. */
	send_data(s, so, t->snd_una, 1, false, true);
	if (net_seq_lt(t->snd_max, t->snd_una + 1u))
		t->snd_max = t->snd_una + 1u;
}
