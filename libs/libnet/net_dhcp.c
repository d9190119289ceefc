/* libnet: the DHCP client (RFC 2131) - DISCOVER, REQUEST, the lease, renewal, rebinding, expiry. */
#include <string.h>

#include "net_internal.h"

/*
 * States and messages (RFC 2131 4.4): SELECTING broadcasts DISCOVER until an OFFER; REQUESTING
 * broadcasts REQUEST (server id, requested address) until ACK (bound) or NAK (start over);
 * BOUND waits for T1; RENEWING sends REQUEST to the server (unicast, ciaddr set); REBINDING,
 * from T2, broadcasts it; at the lease's end the address is dropped and it starts over.
 * Only replies with our xid and MAC count. Retransmission: 4 s doubling to 64 s, less a
 * jitter of up to a second; while renewing or rebinding half the time left, at least 60 s.
 */
#define FIRST_MS 4000u
#define LAST_MS 64000u
#define REQUEST_TRIES 4u /* REQUESTs for one offer before DISCOVER again */
#define NAK_WAIT_MS 1000u
#define RENEW_MIN_MS 60000u
#define INFINITE 0xffffffffu

static uint32_t mix(uint32_t x)
{
	x ^= x >> 16;
	x *= 0x7feb352du;
	x ^= x >> 15;
	x *= 0x846ca68bu;
	return x ^ (x >> 16);
}

/* A fresh transaction id: the seed, the MAC, the clock and a count, mixed. */
static void new_xid(struct net_stack *s)
{
	uint32_t x = s->cfg.seed ^ (uint32_t)s->now ^ (++s->dhcp.count * 0x9e3779b9u);

	x ^= net_get32(s->cfg.mac) ^ ((uint32_t)net_get16(s->cfg.mac + 4) << 8);
	s->dhcp.xid = mix(x);
	s->dhcp.tries = 0;
}

/* The delay before retransmission number @tries: doubling, capped, less a jitter. */
static uint64_t backoff(const struct net_stack *s)
{
	uint32_t shift = s->dhcp.tries < 4u ? s->dhcp.tries : 4u;
	uint32_t ms = FIRST_MS << shift;

	return (ms > LAST_MS ? LAST_MS : ms) - mix(s->dhcp.xid + s->dhcp.tries) % 1000u;
}

/* Sends message @type; to @dst by unicast, or broadcast when @dst is 0. */
static void send_msg(struct net_stack *s, uint8_t type, uint32_t dst)
{
	struct net_dhcp *d = &s->dhcp;
	struct net_dhcp_req r = {type, d->xid, 0, {0}, 0, 0, 0};
	uint8_t *udp = s->tx + NET_L4_OFF;
	uint64_t secs = (s->now - d->started_at) / 1000u;

	r.secs = (uint16_t)(secs > 0xffffu ? 0xffffu : secs);
	memcpy(r.mac, s->cfg.mac, 6);
	if (d->state == NET_DHCP_REQUESTING) {
		r.requested = d->offered;
		r.server = d->server;
	} else if (type == NET_DHCP_REQUEST) {
		r.ciaddr = s->cfg.ip;
	}
	size_t n = net_dhcp_msg_build(udp + 8, NET_FRAME_MAX - NET_L4_OFF - 8u, &r) + 8u;
	uint32_t to = dst ? dst : 0xffffffffu;
	net_put16(udp, NET_DHCP_CLIENT_PORT);
	net_put16(udp + 2, NET_DHCP_SERVER_PORT);
	net_put16(udp + 4, (uint32_t)n);
	net_put16(udp + 6, 0);
	uint16_t c = net_csum_fold(
		net_csum_add(net_csum_pseudo(s->cfg.ip, to, NET_PROTO_UDP, n), udp, n));
	net_put16(udp + 6, c ? c : 0xffffu);
	s->cnt.dhcp_sent++;
	if (dst)
		(void)net_ip_send(s, dst, NET_PROTO_UDP, n);
	else
		net_ip_send_broadcast(s, NET_PROTO_UDP, n);
}

static void unbind(struct net_stack *s)
{
	s->cfg.ip = s->cfg.netmask = s->cfg.gateway = 0;
	memset(&s->dhcp.lease, 0, sizeof(s->dhcp.lease));
}

/* Starts over: SELECTING, a DISCOVER at once, or after @wait_ms. */
static void discover(struct net_stack *s, uint64_t wait_ms)
{
	s->dhcp.state = NET_DHCP_SELECTING;
	s->dhcp.started_at = s->now;
	new_xid(s);
	if (wait_ms) {
		s->dhcp.next_at = s->now + wait_ms;
		return;
	}
	send_msg(s, NET_DHCP_DISCOVER, 0);
	s->dhcp.next_at = s->now + backoff(s);
}

int net_dhcp_start(struct net_stack *s)
{
	memset(&s->dhcp, 0, sizeof(s->dhcp));
	unbind(s);
	discover(s, 0);
	return 0;
}

enum net_dhcp_state net_dhcp_state(const struct net_stack *s, struct net_dhcp_lease *lease)
{
	if (lease && s->dhcp.state >= NET_DHCP_BOUND)
		*lease = s->dhcp.lease;
	return (enum net_dhcp_state)s->dhcp.state;
}

/* An address a lease may give: unicast, not 0, not in 127/8, not multicast or above. */
static bool unicast(uint32_t ip)
{
	return ip != 0 && ip >> 24 != 127u && ip >> 28 < 0xeu;
}

/* The lease @m describes, checked: address, contiguous mask (a /8 to /30 as given, else the
 * class's), router on the subnet (or none), times T1 <= T2 <= lease. Returns false if bad. */
static bool lease_of(const struct net_dhcp_msg *m, struct net_dhcp_lease *l)
{
	uint32_t mask = m->have & NET_DHCP_HAVE_MASK ? m->netmask :
	                m->yiaddr >> 31 == 0         ? 0xff000000u :
	                m->yiaddr >> 30 == 2u        ? 0xffff0000u :
	                                               0xffffff00u;
	uint32_t host = ~mask;

	if (!unicast(m->yiaddr) || !(m->have & NET_DHCP_HAVE_LEASE) || m->lease_s == 0 ||
	    (host & (host + 1u)) != 0 || mask < 0xff000000u || host < 3u ||
	    (m->yiaddr & host) == 0 || (m->yiaddr & host) == host)
		return false;
	l->ip = m->yiaddr;
	l->netmask = mask;
	l->router = m->have & NET_DHCP_HAVE_ROUTER ? m->router : 0;
	if (l->router &&
	    (!unicast(l->router) || ((l->router ^ l->ip) & mask) != 0 || l->router == l->ip))
		return false;
	l->server = m->server;
	l->lease_s = m->lease_s;
	l->t1_s = m->have & NET_DHCP_HAVE_T1 ? m->t1_s : m->lease_s / 2u;
	l->t2_s = m->have & NET_DHCP_HAVE_T2 ? m->t2_s : (uint32_t)((uint64_t)m->lease_s * 7u / 8u);
	if (l->t1_s > l->t2_s || l->t2_s > l->lease_s) {
		l->t1_s = m->lease_s / 2u;
		l->t2_s = (uint32_t)((uint64_t)m->lease_s * 7u / 8u);
	}
	return true;
}

static uint64_t after(const struct net_stack *s, uint32_t secs)
{
	return secs == INFINITE ? NET_NEVER : s->now + (uint64_t)secs * 1000u;
}

/* An ACK: takes the lease; the stack gets the address (announced if it is new). */
static void bind(struct net_stack *s, const struct net_dhcp_msg *m)
{
	struct net_dhcp *d = &s->dhcp;
	struct net_dhcp_lease l;

	if (!lease_of(m, &l) || (d->state == NET_DHCP_REQUESTING && l.ip != d->offered)) {
		s->cnt.dhcp_bad++;
		return;
	}
	if (!l.server)
		l.server = d->server;
	bool fresh = l.ip != s->cfg.ip;
	d->lease = l;
	d->state = NET_DHCP_BOUND;
	d->t1_at = after(s, l.t1_s);
	d->t2_at = after(s, l.t2_s);
	d->expire_at = after(s, l.lease_s);
	d->next_at = d->t1_at;
	s->cfg.ip = l.ip;
	s->cfg.netmask = l.netmask;
	s->cfg.gateway = l.router;
	s->cnt.dhcp_leases++;
	if (fresh)
		net_arp_announce(s);
}

/* An OFFER while selecting: request it (broadcast, naming the server). */
static void take_offer(struct net_stack *s, const struct net_dhcp_msg *m)
{
	struct net_dhcp *d = &s->dhcp;

	if (!unicast(m->yiaddr) || !(m->have & NET_DHCP_HAVE_SERVER) || !unicast(m->server)) {
		s->cnt.dhcp_bad++;
		return;
	}
	d->offered = m->yiaddr;
	d->server = m->server;
	d->state = NET_DHCP_REQUESTING;
	d->tries = 0;
	send_msg(s, NET_DHCP_REQUEST, 0);
	d->next_at = s->now + backoff(s);
}

/* A NAK: the address (if any) is gone; DISCOVER again after a pause. */
static void nak(struct net_stack *s)
{
	s->cnt.dhcp_naks++;
	unbind(s);
	discover(s, NAK_WAIT_MS);
}

bool net_dhcp_input(struct net_stack *s, const uint8_t *p, size_t len)
{
	struct net_dhcp *d = &s->dhcp;
	struct net_dhcp_msg m;
	bool asking = d->state == NET_DHCP_REQUESTING || d->state == NET_DHCP_RENEWING ||
	              d->state == NET_DHCP_REBINDING;

	if (d->state == NET_DHCP_OFF)
		return false;
	if (net_dhcp_msg_parse(p, len, &m) != 0) {
		s->cnt.dhcp_bad++;
		return true;
	}
	bool ours = m.xid == d->xid && memcmp(m.chaddr, s->cfg.mac, 6) == 0;
	bool from_chosen = d->state != NET_DHCP_REQUESTING || !(m.have & NET_DHCP_HAVE_SERVER) ||
	                   m.server == d->server;
	if (ours && d->state == NET_DHCP_SELECTING && m.type == NET_DHCP_OFFER)
		take_offer(s, &m);
	else if (ours && asking && from_chosen && m.type == NET_DHCP_ACK)
		bind(s, &m);
	else if (ours && asking && from_chosen && m.type == NET_DHCP_NAK)
		nak(s);
	else
		s->cnt.dhcp_not_ours++;
	return true;
}

/* Renewing or rebinding: the next REQUEST in half the time to @until, at least RENEW_MIN_MS
 * (never past @until). */
static void ask_again(struct net_stack *s, uint32_t dst, uint64_t until)
{
	uint64_t half = until > s->now ? (until - s->now) / 2u : 0;

	send_msg(s, NET_DHCP_REQUEST, dst);
	s->dhcp.next_at = s->now + (half > RENEW_MIN_MS ? half : RENEW_MIN_MS);
	if (s->dhcp.next_at > until)
		s->dhcp.next_at = until;
}

/* What is due while the address is ours: renewal from T1, rebinding from T2, expiry. */
static void leased(struct net_stack *s)
{
	struct net_dhcp *d = &s->dhcp;

	if (s->now >= d->expire_at) {
		s->cnt.dhcp_expired++;
		unbind(s);
		discover(s, 0);
	} else if (s->now >= d->t2_at && d->state != NET_DHCP_REBINDING) {
		d->state = NET_DHCP_REBINDING;
		new_xid(s);
		ask_again(s, 0, d->expire_at);
	} else if (s->now >= d->t1_at && d->state == NET_DHCP_BOUND) {
		d->state = NET_DHCP_RENEWING;
		d->started_at = s->now; /* secs counts from the renewal's start */
		new_xid(s);
		ask_again(s, d->lease.server, d->t2_at);
	} else if (s->now >= d->next_at && d->state != NET_DHCP_BOUND) {
		ask_again(s, d->state == NET_DHCP_RENEWING ? d->lease.server : 0,
		          d->state == NET_DHCP_RENEWING ? d->t2_at : d->expire_at);
	}
}

uint64_t net_dhcp_poll(struct net_stack *s)
{
	struct net_dhcp *d = &s->dhcp;

	if (d->state == NET_DHCP_OFF)
		return NET_NEVER;
	if (d->state >= NET_DHCP_BOUND) {
		leased(s);
	} else if (s->now >= d->next_at && d->state == NET_DHCP_REQUESTING &&
	           d->tries + 1u >= REQUEST_TRIES) {
		discover(s, 0);
	} else if (s->now >= d->next_at) {
		d->tries++;
		send_msg(s, d->state == NET_DHCP_SELECTING ? NET_DHCP_DISCOVER : NET_DHCP_REQUEST,
		         0);
		d->next_at = s->now + backoff(s);
	}
	return d->next_at;
}
