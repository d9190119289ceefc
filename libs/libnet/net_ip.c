/* libnet: IPv4 (RFC 791) - header checks on the way in (no fragments), headers on the way out. */
#include "net_internal.h"

#define IP_MF 0x2000u
#define IP_OFFSET 0x1fffu

static bool is_broadcast(const struct net_stack *s, uint32_t dst)
{
	return dst == 0xffffffffu || dst == (s->cfg.ip | ~s->cfg.netmask);
}

/* Returns the header length if the header at @p is sound, else 0 (counted). */
static size_t check_header(struct net_stack *s, const uint8_t *p, size_t len)
{
	size_t hlen, total;

	if (len < NET_IP_HLEN) {
		s->cnt.ip_runt++;
		return 0;
	}
	if (p[0] >> 4 != 4) {
		s->cnt.ip_bad_version++;
		return 0;
	}
	hlen = (size_t)(p[0] & 0xfu) * 4u;
	total = net_get16(p + 2);
	if (hlen < NET_IP_HLEN || hlen > len) {
		s->cnt.ip_bad_header_len++;
		return 0;
	}
	if (total < hlen || total > len || total > NET_FRAME_MAX - NET_ETH_HLEN) {
		s->cnt.ip_bad_total_len++;
		return 0;
	}
	if (net_csum_fold(net_csum_add(0, p, hlen)) != 0) {
		s->cnt.ip_bad_csum++;
		return 0;
	}
	return hlen;
}

/* Before a DHCP lease (cfg.ip 0) a UDP datagram to any address may be an offer sent to the
 * address offered; net_udp_input lets only DHCP's through. */
static bool check_addresses(struct net_stack *s, uint32_t src, uint32_t dst, uint8_t proto)
{
	bool unbound_udp = s->cfg.ip == 0 && proto == NET_PROTO_UDP;

	if (dst == 0 || (dst != s->cfg.ip && !is_broadcast(s, dst) && !unbound_udp)) {
		s->cnt.ip_not_ours++;
		return false;
	}
	if (is_broadcast(s, src) || src >> 28 == 0xeu || src == s->cfg.ip) {
		s->cnt.ip_bad_src++;
		return false;
	}
	return true;
}

void net_ip_input(struct net_stack *s, const uint8_t *p, size_t len)
{
	size_t hlen = check_header(s, p, len), total;
	uint32_t src, dst;

	if (!hlen)
		return;
	total = net_get16(p + 2); /* frames may carry padding beyond it */
	if (net_get16(p + 6) & (IP_MF | IP_OFFSET)) {
		s->cnt.ip_fragment++;
		return;
	}
	src = net_get32(p + 12);
	dst = net_get32(p + 16);
	if (!check_addresses(s, src, dst, p[9]))
		return;
	if (p[9] == NET_PROTO_ICMP && dst == s->cfg.ip)
		net_icmp_input(s, src, p + hlen, total - hlen);
	else if (p[9] == NET_PROTO_UDP)
		net_udp_input(s, src, dst, p + hlen, total - hlen);
	else if (p[9] == NET_PROTO_TCP && dst == s->cfg.ip)
		net_tcp_in_segment(s, src, dst, p + hlen, total - hlen);
	else
		s->cnt.ip_unknown_proto++;
}

bool net_ip_routable(const struct net_stack *s, uint32_t dst)
{
	if (s->cfg.ip == 0 || dst == 0 || dst == s->cfg.ip || is_broadcast(s, dst))
		return false;
	return ((dst ^ s->cfg.ip) & s->cfg.netmask) == 0 || s->cfg.gateway != 0;
}

/* Writes the IPv4 header before the payload at s->tx + NET_L4_OFF. Returns the total length. */
static size_t header(struct net_stack *s, uint32_t dst, uint8_t proto, size_t l4len)
{
	uint8_t *p = s->tx + NET_ETH_HLEN;
	size_t total = NET_IP_HLEN + l4len;

	p[0] = 0x45;
	p[1] = 0;
	net_put16(p + 2, (uint32_t)total);
	net_put16(p + 4, s->ip_id++);
	net_put16(p + 6, 0x4000u); /* DF: we never fragment */
	p[8] = NET_TTL;
	p[9] = proto;
	net_put16(p + 10, 0);
	net_put32(p + 12, s->cfg.ip);
	net_put32(p + 16, dst);
	net_put16(p + 10, net_csum_fold(net_csum_add(0, p, NET_IP_HLEN)));
	return total;
}

int net_ip_send(struct net_stack *s, uint32_t dst, uint8_t proto, size_t l4len)
{
	uint32_t hop = ((dst ^ s->cfg.ip) & s->cfg.netmask) == 0 ? dst : s->cfg.gateway;

	if (!net_ip_routable(s, dst)) {
		s->cnt.ip_no_route++;
		return NET_ENOROUTE;
	}
	size_t total = header(s, dst, proto, l4len);
	net_arp_output(s, hop, s->tx, NET_ETH_HLEN + total);
	return 0;
}

void net_ip_send_broadcast(struct net_stack *s, uint8_t proto, size_t l4len)
{
	static const uint8_t all[6] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
	size_t total = header(s, 0xffffffffu, proto, l4len);

	net_eth_send(s, s->tx, NET_ETH_HLEN + total, all, NET_ETH_IP);
}
