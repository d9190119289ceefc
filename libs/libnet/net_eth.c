/* libnet: Ethernet II framing - checks on the way in, header and padding on the way out. */
#include <string.h>

#include "net_internal.h"

static const uint8_t broadcast[6] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};

void net_eth_input(struct net_stack *s, const uint8_t *f, size_t len)
{
	uint16_t type;

	if (len < NET_ETH_HLEN) {
		s->cnt.eth_runt++;
		return;
	}
	if (memcmp(f, s->cfg.mac, 6) != 0 && memcmp(f, broadcast, 6) != 0) {
		s->cnt.eth_not_ours++;
		return;
	}
	if (f[6] & 1u) { /* a group address is never a source */
		s->cnt.eth_bad_src++;
		return;
	}
	type = net_get16(f + 12);
	if (type == NET_ETH_IP)
		net_ip_input(s, f + NET_ETH_HLEN, len - NET_ETH_HLEN);
	else if (type == NET_ETH_ARP)
		net_arp_input(s, f + NET_ETH_HLEN, len - NET_ETH_HLEN);
	else
		s->cnt.eth_unknown_type++;
}

void net_eth_send(struct net_stack *s, uint8_t *f, size_t len, const uint8_t dst[6], uint16_t type)
{
	memcpy(f, dst, 6);
	memcpy(f + 6, s->cfg.mac, 6);
	net_put16(f + 12, type);
	if (len < NET_ETH_MIN) {
		memset(f + len, 0, NET_ETH_MIN - len);
		len = NET_ETH_MIN;
	}
	s->cnt.tx_frames++;
	s->cfg.send(s->cfg.ctx, f, len);
}
