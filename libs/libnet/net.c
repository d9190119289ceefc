/* libnet: the stack's entry points - set-up, frames in, the clock and readiness. */
#include <string.h>

#include "net_internal.h"

int net_init(struct net_stack *s, const struct net_config *cfg, uint64_t now_ms)
{
	if (!cfg->send || cfg->ip == 0xffffffffu)
		return NET_EINVAL;
	memset(s, 0, sizeof(*s));
	s->cfg = *cfg;
	s->now = now_ms;
	s->next_port = NET_PORT_EPHEMERAL;
	return 0;
}

void net_input(struct net_stack *s, const uint8_t *frame, size_t len)
{
	s->cnt.rx_frames++;
	net_eth_input(s, frame, len);
}

uint64_t net_poll(struct net_stack *s, uint64_t now_ms)
{
	uint64_t next;

	if (now_ms > s->now)
		s->now = now_ms;
	next = net_min64(net_dhcp_poll(s), net_arp_poll(s));
	return net_min64(next, net_tcp_timer_poll(s));
}

static unsigned tcp_ready(const struct net_socket *so)
{
	const struct net_tcb *t = &so->u.tcb;
	unsigned r = 0;

	if (t->state == NET_TCP_LISTEN)
		return 0;
	if (t->r_len || t->fin_rcvd || t->err)
		r |= NET_READABLE;
	if (t->state >= NET_TCP_ESTABLISHED && t->state != NET_TCP_TIME_WAIT)
		r |= NET_CONNECTED;
	if ((t->state == NET_TCP_ESTABLISHED || t->state == NET_TCP_CLOSE_WAIT) && !t->fin_queued &&
	    t->s_len < NET_TCP_BUF)
		r |= NET_WRITABLE;
	if (t->err)
		r |= NET_ERROR;
	if (t->state == NET_TCP_CLOSED || t->state == NET_TCP_TIME_WAIT)
		r |= NET_CLOSED;
	return r;
}

static bool has_child(const struct net_stack *s, int sock)
{
	unsigned i;

	for (i = 0; i < NET_SOCKETS; i++) {
		const struct net_socket *c = &s->sock[i];

		if (c->kind == NET_SOCK_TCP && c->parent == sock && !c->accepted &&
		    c->u.tcb.state >= NET_TCP_ESTABLISHED)
			return true;
	}
	return false;
}

unsigned net_ready(const struct net_stack *s, int sock)
{
	const struct net_socket *so;

	if (net_sock_ok(s, sock, NET_SOCK_UDP))
		return NET_WRITABLE | (s->sock[sock].u.udp.count ? NET_READABLE : 0u);
	if (!net_sock_ok(s, sock, NET_SOCK_TCP))
		return 0;
	so = &s->sock[sock];
	if (so->u.tcb.state == NET_TCP_LISTEN)
		return has_child(s, sock) ? NET_ACCEPTABLE : 0u;
	return tcp_ready(so);
}
