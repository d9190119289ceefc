/* libnet: TCP timers - RFC 6298 retransmission timeout, delayed ACK, persist, TIME-WAIT. */
#include "net_internal.h"

#define RTO_MIN_MS 200u     /* below RFC 6298's 1 s, as most stacks do on short paths */
#define RTO_MAX_MS 60000u   /* RFC 6298 2.5 */
#define CLOCK_G_MS 1u       /* clock granularity */
#define MAX_BACKOFFS 12u    /* retransmissions of one segment before giving up */
#define SYN_BACKOFFS 6u     /* retransmissions of a SYN or SYN-ACK */
#define TIME_WAIT_MS 60000u /* 2 MSL */

static uint32_t clamp_rto(uint32_t rto)
{
	if (rto < RTO_MIN_MS)
		return RTO_MIN_MS;
	return rto > RTO_MAX_MS ? RTO_MAX_MS : rto;
}

void net_tcp_timer_sample(struct net_tcb *t, uint32_t ms)
{
	uint32_t diff, var;

	if (!t->srtt_valid) { /* RFC 6298 2.2 */
		t->srtt = ms;
		t->rttvar = ms / 2u;
		t->srtt_valid = true;
	} else { /* 2.3: beta 1/4, alpha 1/8 */
		diff = t->srtt > ms ? t->srtt - ms : ms - t->srtt;
		t->rttvar = (3u * t->rttvar + diff) / 4u;
		t->srtt = (7u * t->srtt + ms) / 8u;
	}
	var = 4u * t->rttvar > CLOCK_G_MS ? 4u * t->rttvar : CLOCK_G_MS;
	t->rto = clamp_rto(t->srtt + var);
}

void net_tcp_timer_arm(struct net_stack *s, struct net_tcb *t, bool restart)
{
	if (restart || t->rto_at == NET_NEVER)
		t->rto_at = s->now + t->rto;
}

void net_tcp_timer_time_wait(struct net_stack *s, struct net_socket *so)
{
	struct net_tcb *t = &so->u.tcb;

	t->state = NET_TCP_TIME_WAIT;
	t->rto_at = NET_NEVER;
	t->persist_at = NET_NEVER;
	t->tw_at = s->now + TIME_WAIT_MS;
}

/* The handshake timed out: send the SYN or SYN-ACK again. */
static void syn_timeout(struct net_stack *s, struct net_socket *so)
{
	struct net_tcb *t = &so->u.tcb;

	if (t->backoffs >= SYN_BACKOFFS) {
		net_tcp_drop(s, so, NET_ETIMEDOUT);
		return;
	}
	t->backoffs++;
	t->rto = clamp_rto(t->rto * 2u);
	t->rtt_on = false;
	t->retransmits++;
	s->cnt.tcp_retransmits++;
	net_tcp_out_ctl(s, so, t->iss,
	                t->state == NET_TCP_SYN_SENT ? NET_TH_SYN : NET_TH_SYN | NET_TH_ACK);
	net_tcp_timer_arm(s, t, true);
}

/* RFC 6298 5.4-5.7 with RFC 5681 3.1: back off, shrink the window, go back to snd_una. */
static void rto_expired(struct net_stack *s, struct net_socket *so)
{
	struct net_tcb *t = &so->u.tcb;
	uint32_t flight = t->snd_max - t->snd_una;

	t->rto_at = NET_NEVER;
	s->cnt.tcp_timeouts++;
	if (t->state == NET_TCP_SYN_SENT || t->state == NET_TCP_SYN_RCVD) {
		syn_timeout(s, so);
		return;
	}
	if (t->backoffs >= MAX_BACKOFFS) {
		net_tcp_out_ctl(s, so, t->snd_nxt, NET_TH_RST);
		net_tcp_drop(s, so, NET_ETIMEDOUT);
		return;
	}
	t->backoffs++;
	t->rto = clamp_rto(t->rto * 2u);
	t->ssthresh = flight / 2u > 2u * t->mss ? flight / 2u : 2u * t->mss;
	t->cwnd = t->mss;
	t->recover = t->snd_max - 1u;
	t->dupacks = 0;
	t->in_recovery = false;
	t->rtt_on = false;
	t->snd_nxt = t->snd_una;
	net_tcp_out_push(s, so);
	net_tcp_timer_arm(s, t, false);
}

static void persist_expired(struct net_stack *s, struct net_socket *so)
{
	struct net_tcb *t = &so->u.tcb;

	s->cnt.tcp_probes++;
	net_tcp_out_probe(s, so);
	t->persist_ms = clamp_rto(t->persist_ms * 2u);
	t->persist_at = s->now + t->persist_ms;
}

static void run(struct net_stack *s, struct net_socket *so)
{
	struct net_tcb *t = &so->u.tcb;

	if (t->tw_at <= s->now) {
		net_tcp_drop(s, so, 0);
		return;
	}
	if (t->ack_at <= s->now)
		net_tcp_out_ack(s, so);
	if (t->persist_at <= s->now)
		persist_expired(s, so);
	if (t->rto_at <= s->now)
		rto_expired(s, so);
}

static uint64_t next_of(const struct net_tcb *t)
{
	return net_min64(net_min64(t->rto_at, t->ack_at), net_min64(t->persist_at, t->tw_at));
}

uint64_t net_tcp_timer_poll(struct net_stack *s)
{
	uint64_t next = NET_NEVER;
	unsigned i;

	for (i = 0; i < NET_SOCKETS; i++) {
		struct net_socket *so = &s->sock[i];

		if (so->kind != NET_SOCK_TCP || so->u.tcb.state <= NET_TCP_LISTEN)
			continue;
		run(s, so);
		if (so->kind == NET_SOCK_TCP && so->u.tcb.state > NET_TCP_LISTEN)
			next = net_min64(next, next_of(&so->u.tcb));
	}
	return next;
}
