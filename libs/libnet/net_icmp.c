/* libnet: ICMP (RFC 792) - echo replies to requests, and echo requests of our own. */
#include <string.h>

#include "net_internal.h"

#define ICMP_HLEN 8u
#define ICMP_ECHO_REPLY 0u
#define ICMP_ECHO 8u

static void send_echo(struct net_stack *s, uint32_t dst, unsigned type, size_t len)
{
	uint8_t *p = s->tx + NET_L4_OFF;

	p[0] = (uint8_t)type;
	p[1] = 0;
	net_put16(p + 2, 0);
	net_put16(p + 2, net_csum_fold(net_csum_add(0, p, len)));
	net_ip_send(s, dst, NET_PROTO_ICMP, len);
}

void net_icmp_input(struct net_stack *s, uint32_t src, const uint8_t *p, size_t len)
{
	if (len < ICMP_HLEN) {
		s->cnt.icmp_runt++;
		return;
	}
	if (net_csum_fold(net_csum_add(0, p, len)) != 0) {
		s->cnt.icmp_bad_csum++;
		return;
	}
	if (p[0] == ICMP_ECHO && p[1] == 0) {
		s->cnt.icmp_echo_replied++;
		memmove(s->tx + NET_L4_OFF, p, len); /* fits: p came in one frame */
		send_echo(s, src, ICMP_ECHO_REPLY, len);
	} else if (p[0] == ICMP_ECHO_REPLY && p[1] == 0) {
		s->cnt.icmp_echo_replies++;
		s->echo.from = src;
		s->echo.id = net_get16(p + 4);
		s->echo.seq = net_get16(p + 6);
	} else {
		s->cnt.icmp_other++;
	}
}

int net_icmp_echo(struct net_stack *s, uint32_t dst, uint16_t id, uint16_t seq, size_t len)
{
	uint8_t *p = s->tx + NET_L4_OFF;
	size_t i;

	if (len > NET_FRAME_MAX - NET_L4_OFF - ICMP_HLEN)
		return NET_EINVAL;
	if (!net_ip_routable(s, dst))
		return NET_ENOROUTE;
	net_put16(p + 4, id);
	net_put16(p + 6, seq);
	for (i = 0; i < len; i++)
		p[ICMP_HLEN + i] = (uint8_t)i;
	send_echo(s, dst, ICMP_ECHO, ICMP_HLEN + len);
	return 0;
}
