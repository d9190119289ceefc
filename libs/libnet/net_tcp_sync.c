/* libnet: TCP input in synchronized states - acceptability, ACKs, data in order, FIN. */
#include <string.h>

#include "net_tcp_in.h"

#define FAST_RETRANSMIT_DUPACKS 3u
#define ANSWER_GAP_MS 100u

static uint32_t seg_len(const struct net_seg *g)
{
	return g->dlen + ((g->flags & NET_TH_SYN) ? 1u : 0u) + ((g->flags & NET_TH_FIN) ? 1u : 0u);
}

/* RFC 9293 3.10.7.4, first check: does any of the segment fall in our receive window? */
static bool acceptable(const struct net_tcb *t, const struct net_seg *g)
{
	uint32_t wnd = net_seq_lt(t->rcv_nxt, t->rcv_adv) ? t->rcv_adv - t->rcv_nxt : 0;
	uint32_t len = seg_len(g), last = g->seq + len - 1u;

	if (len == 0 && wnd == 0)
		return g->seq == t->rcv_nxt;
	if (len == 0)
		return g->seq - t->rcv_nxt < wnd;
	if (wnd == 0)
		return false;
	return g->seq - t->rcv_nxt < wnd || last - t->rcv_nxt < wnd;
}

/* Answers a segment we refuse (outside the window, a bad ACK, a challenge): SYN-RECEIVED with
 * its SYN-ACK again, later states with an ACK; at most one per ANSWER_GAP_MS, so that two
 * ends that disagree on the sequence space cannot ping-pong ACKs for ever. */
static void answer(struct net_stack *s, struct net_socket *so)
{
	if (s->now < so->u.tcb.answer_at) {
		s->cnt.tcp_answers_limited++;
		return;
	}
	so->u.tcb.answer_at = s->now + ANSWER_GAP_MS;
	if (so->u.tcb.state == NET_TCP_SYN_RCVD)
		net_tcp_out_ctl(s, so, so->u.tcb.iss, NET_TH_SYN | NET_TH_ACK);
	else
		net_tcp_out_ack(s, so);
}

static void rst_input(struct net_stack *s, struct net_socket *so, const struct net_seg *g)
{
	s->cnt.tcp_rst_rx++;
	if (g->seq != so->u.tcb.rcv_nxt) { /* RFC 5961 3.2 */
		s->cnt.tcp_challenge_acks++;
		answer(s, so);
		return;
	}
	net_tcp_drop(s, so, so->parent >= 0 ? 0 : NET_ECONNRESET);
}

/* Congestion window growth per RFC 5681 3.1 (slow start, then about one MSS per RTT). */
static void grow_cwnd(struct net_tcb *t, uint32_t acked)
{
	uint32_t inc;

	if (t->cwnd < t->ssthresh)
		inc = acked < t->mss ? acked : t->mss;
	else
		inc = (uint32_t)t->mss * t->mss / (t->cwnd ? t->cwnd : 1u);
	if (t->cwnd < 4u * NET_TCP_BUF)
		t->cwnd += inc ? inc : 1u;
}

/* Window changes of a new ACK: in fast recovery (RFC 6582 3.2 steps 3-4) a full ACK ends it,
 * a partial one deflates the window by what it acknowledged; else the window grows. */
static void ack_cwnd(struct net_tcb *t, uint32_t ack, uint32_t acked)
{
	if (!t->in_recovery) {
		grow_cwnd(t, acked);
	} else if (net_seq_lt(t->recover, ack)) {
		t->in_recovery = false;
		t->cwnd = t->ssthresh;
	} else {
		t->cwnd = (t->cwnd > acked ? t->cwnd - acked : 0u) + t->mss;
	}
}

/* A new cumulative ACK: free acknowledged data, time the RTT, restart or stop the RTO.
 * Returns true if it acknowledges our FIN too. */
static bool ack_new(struct net_stack *s, struct net_tcb *t, uint32_t ack)
{
	uint32_t acked = ack - t->snd_una, data = acked < t->s_len ? acked : t->s_len;

	t->s_head = (t->s_head + data) % NET_TCP_BUF;
	t->s_len -= data;
	t->snd_una = ack;
	if (net_seq_lt(t->snd_nxt, ack))
		t->snd_nxt = ack;
	if (t->rtt_on && net_seq_lt(t->rtt_seq, ack)) {
		net_tcp_timer_sample(t, (uint32_t)(s->now - t->rtt_start));
		t->rtt_on = false;
	}
	t->backoffs = 0;
	ack_cwnd(t, ack, acked);
	t->dupacks = 0;
	t->rto_at = NET_NEVER;
	if (t->snd_una != t->snd_max)
		net_tcp_timer_arm(s, t, true);
	return t->fin_queued && acked > data;
}

/* RFC 5681 3.2 with RFC 6582's guard: the third duplicate ACK resends the first segment and
 * starts fast recovery, once per window of loss; later ones let new data out. */
static void dup_ack(struct net_stack *s, struct net_socket *so)
{
	struct net_tcb *t = &so->u.tcb;
	uint32_t flight = t->snd_max - t->snd_una;

	if (t->in_recovery) {
		t->cwnd += t->mss;
		return;
	}
	if (++t->dupacks != FAST_RETRANSMIT_DUPACKS || !net_seq_lt(t->recover, t->snd_una))
		return;
	s->cnt.tcp_fast_retransmits++;
	t->recover = t->snd_max - 1u;
	t->ssthresh = flight / 2u > 2u * t->mss ? flight / 2u : 2u * t->mss;
	t->cwnd = t->ssthresh + FAST_RETRANSMIT_DUPACKS * t->mss;
	t->in_recovery = true;
	t->rtt_on = false;
	net_tcp_out_resend(s, so);
	net_tcp_timer_arm(s, t, true);
}

/* Our FIN is acknowledged. */
static void fin_was_acked(struct net_stack *s, struct net_socket *so)
{
	struct net_tcb *t = &so->u.tcb;

	if (t->state == NET_TCP_FIN_WAIT_1)
		t->state = NET_TCP_FIN_WAIT_2;
	else if (t->state == NET_TCP_CLOSING)
		net_tcp_timer_time_wait(s, so);
	else if (t->state == NET_TCP_LAST_ACK)
		net_tcp_drop(s, so, 0);
}

/* SYN-RECEIVED: an ACK of our SYN completes the handshake; any other ACK gets a reset. */
static bool handshake_ack(struct net_stack *s, struct net_socket *so, const struct net_seg *g)
{
	struct net_tcb *t = &so->u.tcb;

	if (!net_seq_lt(t->iss, g->ack) || !net_seq_lt(t->snd_max, g->ack + 1u)) {
		net_tcp_out_reset(s, g->src, g->dst, g->sport, g->dport, g->seq, g->ack, seg_len(g),
		                  g->flags);
		return false;
	}
	net_tcp_in_established(s, so, g->ack);
	t->snd_wnd = (uint32_t)g->wnd << t->snd_ws;
	t->snd_wl1 = g->seq;
	t->snd_wl2 = g->ack;
	return true;
}

/* The ACK field (RFC 9293 3.10.7.4, fifth check). Returns false if the segment ends here. */
static bool ack_input(struct net_stack *s, struct net_socket *so, const struct net_seg *g)
{
	struct net_tcb *t = &so->u.tcb;
	uint32_t wnd = (uint32_t)g->wnd << t->snd_ws;
	bool fin = false;

	if (t->state == NET_TCP_SYN_RCVD && !handshake_ack(s, so, g))
		return false;
	if (net_seq_lt(t->snd_max, g->ack)) {
		s->cnt.tcp_bad_ack++;
		answer(s, so);
		return false;
	}
	if (net_seq_lt(t->snd_una, g->ack)) {
		fin = ack_new(s, t, g->ack);
		if (t->in_recovery) /* a partial ACK: the next hole goes out at once */
			net_tcp_out_resend(s, so);
	} else if (g->ack == t->snd_una && seg_len(g) == 0 && wnd == t->snd_wnd &&
	           t->snd_max != t->snd_una)
		dup_ack(s, so);
	if (net_seq_lt(t->snd_wl1, g->seq) ||
	    (t->snd_wl1 == g->seq && net_seq_le(t->snd_wl2, g->ack))) {
		t->snd_wnd = wnd;
		t->snd_wl1 = g->seq;
		t->snd_wl2 = g->ack;
	}
	if (fin)
		fin_was_acked(s, so);
	return so->kind == NET_SOCK_TCP && t->state != NET_TCP_CLOSED;
}

static bool takes_data(unsigned state)
{
	return state == NET_TCP_ESTABLISHED || state == NET_TCP_FIN_WAIT_1 ||
	       state == NET_TCP_FIN_WAIT_2;
}

/* Data goes to the buffer: in order it becomes readable, beyond a hole it is held there.
 * Data beyond a hole is answered at once by a pure duplicate ACK (RFC 5681 4.2). Returns true
 * if an ACK should go at once (a hole filled, data trimmed, every second segment). */
static bool data_input(struct net_stack *s, struct net_socket *so, const struct net_seg *g)
{
	struct net_tcb *t = &so->u.tcb;
	uint32_t skip, off, n, room, wnd;
	bool filled = t->n_ooo > 0;

	if (g->dlen == 0 || !takes_data(t->state))
		return false;
	skip = net_seq_lt(g->seq, t->rcv_nxt) ? t->rcv_nxt - g->seq : 0;
	if (skip >= g->dlen)
		return false;
	off = g->seq + skip - t->rcv_nxt;
	n = g->dlen - skip;
	wnd = net_seq_lt(t->rcv_nxt, t->rcv_adv) ? t->rcv_adv - t->rcv_nxt : 0;
	room = NET_TCP_BUF - t->r_len < wnd ? NET_TCP_BUF - t->r_len : wnd;
	if (off + n > room) {
		s->cnt.tcp_rcv_trimmed++;
		n = off < room ? room - off : 0;
	}
	if (off)
		s->cnt.tcp_out_of_order++;
	if (!net_tcp_reasm_store(t, g->seq + skip, g->data + skip, n))
		s->cnt.tcp_ooo_dropped += n ? 1u : 0u;
	if (!so->user && so->parent < 0) { /* the program closed: nobody will read it */
		t->r_head = (t->r_head + t->r_len) % NET_TCP_BUF;
		t->r_len = 0;
	}
	if (off) { /* a duplicate ACK at once, alone: one riding on data would not count */
		net_tcp_out_ack(s, so);
		return false;
	}
	t->ack_segs++;
	return filled || n < g->dlen - skip || t->ack_segs >= 2;
}

/* A FIN right after the data we have (now, or once a hole filled) ends the peer's stream.
 * Returns true if it did. */
static bool fin_input(struct net_stack *s, struct net_socket *so, const struct net_seg *g)
{
	struct net_tcb *t = &so->u.tcb;
	uint32_t end = g->seq + g->dlen;

	if (!takes_data(t->state))
		return false;
	if ((g->flags & NET_TH_FIN) && net_seq_lt(t->rcv_nxt, end)) {
		t->ooo_fin = true; /* beyond a hole: it waits */
		t->ooo_fin_seq = end;
	}
	if (!((g->flags & NET_TH_FIN) && end == t->rcv_nxt) &&
	    !(t->ooo_fin && t->ooo_fin_seq == t->rcv_nxt))
		return false;
	t->ooo_fin = false;
	t->rcv_nxt++;
	t->fin_rcvd = true;
	if (t->state == NET_TCP_ESTABLISHED)
		t->state = NET_TCP_CLOSE_WAIT;
	else if (t->state == NET_TCP_FIN_WAIT_1)
		t->state = NET_TCP_CLOSING;
	else
		net_tcp_timer_time_wait(s, so);
	return true;
}

static void ack_later_or_now(struct net_stack *s, struct net_socket *so, bool now)
{
	struct net_tcb *t = &so->u.tcb;

	if (!t->ack_segs)
		return;
	if (now)
		net_tcp_out_ack(s, so);
	else if (t->ack_at == NET_NEVER)
		t->ack_at = s->now + NET_TCP_DELACK_MS;
}

void net_tcp_sync_input(struct net_stack *s, struct net_socket *so, const struct net_seg *g)
{
	struct net_tcb *t = &so->u.tcb;
	bool now;

	if (!acceptable(t, g)) {
		s->cnt.tcp_out_of_window++;
		if (!(g->flags & NET_TH_RST))
			answer(s, so);
		return;
	}
	if (g->flags & NET_TH_RST) {
		rst_input(s, so, g);
		return;
	}
	if (g->flags & NET_TH_SYN) { /* RFC 5961 4.2 */
		s->cnt.tcp_challenge_acks++;
		answer(s, so);
		return;
	}
	if (!(g->flags & NET_TH_ACK) || !ack_input(s, so, g))
		return;
	now = data_input(s, so, g);
	now = fin_input(s, so, g) || now;
	if (now && !t->ack_segs)
		t->ack_segs = 1;
	net_tcp_out_push(s, so);
	ack_later_or_now(s, so, now);
}
