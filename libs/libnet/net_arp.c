/* libnet: ARP (RFC 826) - the cache, resolution with one queued frame, replies, announcements. */
#include <stddef.h>
#include <string.h>

#include "net_internal.h"

#define ARP_LEN 28u
#define ARP_FREE 0u
#define ARP_RESOLVING 1u
#define ARP_RESOLVED 2u
#define ARP_REQUEST 1u
#define ARP_REPLY 2u

static const uint8_t broadcast[6] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};

static struct net_arp_entry *find(struct net_stack *s, uint32_t ip)
{
	unsigned i;

	for (i = 0; i < NET_ARP_ENTRIES; i++)
		if (s->arp[i].state != ARP_FREE && s->arp[i].ip == ip)
			return &s->arp[i];
	return NULL;
}

/* A free entry, else the resolved one that expires first; NULL if all are resolving. */
static struct net_arp_entry *victim(struct net_stack *s)
{
	struct net_arp_entry *best = NULL;
	unsigned i;

	for (i = 0; i < NET_ARP_ENTRIES; i++) {
		struct net_arp_entry *e = &s->arp[i];

		if (e->state == ARP_FREE)
			return e;
		if (e->state == ARP_RESOLVED && (!best || e->expires_at < best->expires_at))
			best = e;
	}
	return best;
}

static void send_arp(struct net_stack *s, unsigned op, const uint8_t tha[6], uint32_t tpa,
                     const uint8_t *dst)
{
	uint8_t *p = s->tx + NET_ETH_HLEN;

	net_put16(p, 1);
	net_put16(p + 2, NET_ETH_IP);
	p[4] = 6;
	p[5] = 4;
	net_put16(p + 6, op);
	memcpy(p + 8, s->cfg.mac, 6);
	net_put32(p + 14, s->cfg.ip);
	memcpy(p + 18, tha, 6);
	net_put32(p + 24, tpa);
	net_eth_send(s, s->tx, NET_ETH_HLEN + ARP_LEN, dst, NET_ETH_ARP);
}

static void request(struct net_stack *s, uint32_t ip)
{
	static const uint8_t zero[6];

	s->cnt.arp_requests_sent++;
	send_arp(s, ARP_REQUEST, zero, ip, broadcast);
}

void net_arp_announce(struct net_stack *s)
{
	if (s->cfg.ip != 0) /* no address yet (DHCP): nothing to announce */
		request(s, s->cfg.ip);
}

/* The entry of @ip learned @mac: remember it and send the frame that waited for it. */
static void learn(struct net_stack *s, struct net_arp_entry *e, uint32_t ip, const uint8_t *mac)
{
	e->ip = ip;
	memcpy(e->mac, mac, 6);
	e->state = ARP_RESOLVED;
	e->expires_at = s->now + NET_ARP_TTL_MS;
	if (e->queued_len) {
		size_t n = e->queued_len;

		e->queued_len = 0;
		net_eth_send(s, e->queued, n, e->mac, NET_ETH_IP);
	}
}

static bool well_formed(const uint8_t *p, size_t len)
{
	unsigned op;

	if (len < ARP_LEN || net_get16(p) != 1 || net_get16(p + 2) != NET_ETH_IP || p[4] != 6 ||
	    p[5] != 4)
		return false;
	op = net_get16(p + 6);
	return (op == ARP_REQUEST || op == ARP_REPLY) && !(p[8] & 1u);
}

void net_arp_input(struct net_stack *s, const uint8_t *p, size_t len)
{
	uint32_t spa, tpa;
	struct net_arp_entry *e;
	bool for_us;

	if (!well_formed(p, len)) {
		s->cnt.arp_bad++;
		return;
	}
	spa = net_get32(p + 14);
	tpa = net_get32(p + 24);
	for_us = tpa == s->cfg.ip && spa != s->cfg.ip && tpa != 0;
	e = find(s, spa);
	if (!e && for_us && spa != 0)
		e = victim(s);
	if (e && spa != 0)
		learn(s, e, spa, p + 8);
	else if (for_us && spa != 0)
		s->cnt.arp_cache_full++;
	if (!for_us) {
		s->cnt.arp_not_ours++;
		return;
	}
	if (net_get16(p + 6) == ARP_REQUEST) {
		s->cnt.arp_replies_sent++;
		send_arp(s, ARP_REPLY, p + 8, spa, p + 8);
	}
}

static void queue(struct net_stack *s, struct net_arp_entry *e, const uint8_t *f, size_t len)
{
	if (e->queued_len)
		s->cnt.arp_queue_replaced++;
	memcpy(e->queued, f, len);
	e->queued_len = (uint16_t)len;
}

void net_arp_output(struct net_stack *s, uint32_t hop, uint8_t *f, size_t len)
{
	struct net_arp_entry *e = find(s, hop);

	if (e && e->state == ARP_RESOLVED) {
		net_eth_send(s, f, len, e->mac, NET_ETH_IP);
		return;
	}
	if (!e) {
		e = victim(s);
		if (!e) {
			s->cnt.arp_cache_full++;
			return;
		}
		memset(e, 0, offsetof(struct net_arp_entry, queued));
		e->ip = hop;
		e->state = ARP_RESOLVING;
		e->tries = 1;
		e->expires_at = s->now + NET_ARP_RETRY_MS;
		queue(s, e, f, len); /* before the request: @f may be s->tx, which it reuses */
		request(s, hop);
		return;
	}
	queue(s, e, f, len);
}

static void age(struct net_stack *s, struct net_arp_entry *e)
{
	if (e->state == ARP_RESOLVED || e->tries >= NET_ARP_TRIES) {
		if (e->state == ARP_RESOLVING)
			s->cnt.arp_failed++;
		e->state = ARP_FREE;
		e->queued_len = 0;
		return;
	}
	e->tries++;
	e->expires_at = s->now + NET_ARP_RETRY_MS;
	s->cnt.arp_retries++;
	request(s, e->ip);
}

uint64_t net_arp_poll(struct net_stack *s)
{
	uint64_t next = NET_NEVER;
	unsigned i;

	for (i = 0; i < NET_ARP_ENTRIES; i++) {
		struct net_arp_entry *e = &s->arp[i];

		if (e->state != ARP_FREE && e->expires_at <= s->now)
			age(s, e);
		if (e->state != ARP_FREE)
			next = net_min64(next, e->expires_at);
	}
	return next;
}
