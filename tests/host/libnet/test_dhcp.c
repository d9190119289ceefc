/* Host tests for libnet's DHCP client: the reply parser on good and hostile messages, the states. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include <libnet.h>

/*
 * The stack under test sends into `out` (the frames it sent, in order); the test plays the
 * server 10.0.2.2 (MAC 52:55:0a:00:02:02) and answers ARP requests for it on its own.
 */
#define OUT_MAX 64u
#define SRV_IP 0x0a000202u
#define OFFER_IP 0x0a00020fu
#define ANY 0xffffffffu

static const uint8_t mac[6] = {2, 0, 0, 0, 0, 0x0f}, srv_mac[6] = {0x52, 0x55, 10, 0, 2, 2};
static struct net_stack st;
static uint8_t out[OUT_MAX][NET_FRAME_MAX];
static size_t out_len[OUT_MAX];
static unsigned n_out, n_seen;
static uint64_t now;

/* What the client sent: from its frame, the fields a server looks at. */
struct sent {
	bool broadcast; /* Ethernet and IP destination all ones */
	uint32_t ip_src, ip_dst, xid, ciaddr, requested, server;
	uint8_t type;
};

static void capture(void *ctx, const uint8_t *frame, size_t len)
{
	(void)ctx;
	assert_true(n_out < OUT_MAX);
	assert_true(len <= NET_FRAME_MAX);
	memcpy(out[n_out], frame, len);
	out_len[n_out++] = len;
}

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static void put16(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void put32(uint8_t *p, uint32_t v)
{
	put16(p, v >> 16);
	put16(p + 2, v);
}

static uint16_t csum(const uint8_t *p, size_t n)
{
	uint32_t sum = 0;

	for (size_t i = 0; i + 1 < n; i += 2)
		sum += (uint32_t)p[i] << 8 | p[i + 1];
	if (n & 1u)
		sum += (uint32_t)p[n - 1] << 8;
	while (sum >> 16)
		sum = (sum & 0xffffu) + (sum >> 16);
	return (uint16_t)~sum;
}

/* ---- the server's side ---- */

/* Answers an ARP request for the server from frame @f. */
static void answer_arp(const uint8_t *f)
{
	uint8_t r[60] = {0};

	memcpy(r, f + 6, 6);
	memcpy(r + 6, srv_mac, 6);
	put16(r + 12, 0x0806);
	memcpy(r + 14, f + 14, 6); /* htype, ptype, hlen, plen */
	put16(r + 20, 2);
	memcpy(r + 22, srv_mac, 6);
	put32(r + 28, SRV_IP);
	memcpy(r + 32, f + 22, 10); /* the requester's MAC and address */
	net_input(&st, r, sizeof(r));
}

/* Reads the client's DHCP message in frame @i into *@s. Returns false if it is not one. */
static bool read_sent(unsigned i, struct sent *s)
{
	const uint8_t *f = out[i], *d = f + 42;

	if (out_len[i] < 42 + 240 || f[12] != 0x08 || f[23] != 17 || get32(f + 34) >> 16 != 68)
		return false;
	memset(s, 0, sizeof(*s));
	s->broadcast = memcmp(f, "\xff\xff\xff\xff\xff\xff", 6) == 0 && get32(f + 30) == ANY;
	s->ip_src = get32(f + 26);
	s->ip_dst = get32(f + 30);
	assert_int_equal(d[0], 1);
	assert_memory_equal(d + 28, mac, 6);
	s->xid = get32(d + 4);
	s->ciaddr = get32(d + 12);
	for (size_t o = 240; o + 1 < out_len[i] - 42 && d[o] != 255;
	     o += d[o] ? 2u + d[o + 1] : 1u) {
		if (d[o] == 53)
			s->type = d[o + 2];
		if (d[o] == 50)
			s->requested = get32(d + o + 2);
		if (d[o] == 54)
			s->server = get32(d + o + 2);
	}
	return true;
}

/* The next DHCP message the client sent since the last call (ARP for the server answered on
 * the way). Returns false if none. */
static bool next_sent(struct sent *s)
{
	while (n_seen < n_out) {
		unsigned i = n_seen++;
		if (out[i][12] == 0x08 && out[i][13] == 0x06 && get32(out[i] + 38) == SRV_IP)
			answer_arp(out[i]);
		else if (read_sent(i, s))
			return true;
	}
	return false;
}

/* Counts the DHCP messages sent since the last look (consuming them). */
static unsigned count_sent(void)
{
	struct sent s = {0};
	unsigned n = 0;

	while (next_sent(&s))
		n++;
	return n;
}

/* A BOOTREPLY of @type for @xid with the usual options; @opts more raw options (may be NULL). */
static size_t reply(uint8_t *d, uint8_t type, uint32_t xid, uint32_t yiaddr, const uint8_t *opts,
                    size_t n_opts)
{
	size_t o = 240;

	memset(d, 0, 400);
	d[0] = 2;
	d[1] = 1;
	d[2] = 6;
	put32(d + 4, xid);
	put32(d + 16, yiaddr);
	memcpy(d + 28, mac, 6);
	put32(d + 236, 0x63825363u);
	d[o++] = 53;
	d[o++] = 1;
	d[o++] = type;
	if (n_opts)
		memcpy(d + o, opts, n_opts);
	o += n_opts;
	d[o++] = 255;
	return o;
}

/* The options of a normal lease: mask /24, router .2, server .2, 100 s, T1 50, T2 87. */
static const uint8_t lease_opts[] = {1,  4, 255, 255, 255, 0,  3,  4, 10, 0, 2, 2,
                                     54, 4, 10,  0,   2,   2,  51, 4, 0,  0, 0, 100,
                                     58, 4, 0,   0,   0,   50, 59, 4, 0,  0, 0, 87};

/* Sends DHCP payload @d (@n bytes) from the server to the client, broadcast. */
static void deliver(const uint8_t *d, size_t n)
{
	static uint8_t f[NET_FRAME_MAX];
	size_t udp = 8 + n, total = 20 + udp;

	memset(f, 0xff, 6);
	memcpy(f + 6, srv_mac, 6);
	put16(f + 12, 0x0800);
	memset(f + 14, 0, 20);
	f[14] = 0x45;
	put16(f + 16, (uint32_t)total);
	f[22] = 64;
	f[23] = 17;
	put32(f + 26, SRV_IP);
	put32(f + 30, ANY);
	put16(f + 24, csum(f + 14, 20));
	put16(f + 34, 67);
	put16(f + 36, 68);
	put16(f + 38, (uint32_t)udp);
	put16(f + 40, 0); /* no UDP checksum */
	memcpy(f + 42, d, n);
	net_input(&st, f, 14 + total);
}

static void send_reply(uint8_t type, uint32_t xid, uint32_t yiaddr, const uint8_t *opts,
                       size_t n_opts)
{
	uint8_t d[400];

	deliver(d, reply(d, type, xid, yiaddr, opts, n_opts));
}

/* Moves the clock to @ms and runs the stack's timers. */
static void at(uint64_t ms)
{
	now = ms;
	(void)net_poll(&st, now);
}

static int setup(void **state)
{
	struct net_config cfg = {.seed = 7, .send = capture};

	(void)state;
	memcpy(cfg.mac, mac, 6);
	n_out = n_seen = 0;
	now = 1000;
	assert_int_equal(net_init(&st, &cfg, now), 0);
	return 0;
}

/* Started: DISCOVER broadcast from 0.0.0.0; an OFFER answered with a REQUEST. Returns the
 * REQUEST's xid. */
static uint32_t to_requesting(void)
{
	struct sent s = {0};

	assert_int_equal(net_dhcp_start(&st), 0);
	assert_true(next_sent(&s));
	assert_int_equal(s.type, NET_DHCP_DISCOVER);
	assert_true(s.broadcast);
	assert_int_equal(s.ip_src, 0);
	send_reply(NET_DHCP_OFFER, s.xid, OFFER_IP, lease_opts, sizeof(lease_opts));
	assert_true(next_sent(&s));
	assert_int_equal(s.type, NET_DHCP_REQUEST);
	assert_true(s.broadcast);
	assert_int_equal(s.requested, OFFER_IP);
	assert_int_equal(s.server, SRV_IP);
	assert_int_equal(s.ciaddr, 0);
	assert_int_equal(net_dhcp_state(&st, NULL), NET_DHCP_REQUESTING);
	return s.xid;
}

/* ---- the parser ---- */

static void test_parse_good(void **state)
{
	(void)state;
	uint8_t d[400];
	struct net_dhcp_msg m;
	static const uint8_t more[] = {0, 0, 200, 3, 1, 2, 3,  52, 1, 3,
	                               3, 8, 10,  0, 2, 1, 10, 0,  2, 9};
	size_t n = reply(d, NET_DHCP_ACK, 0x1234, OFFER_IP, lease_opts, sizeof(lease_opts));

	assert_int_equal(net_dhcp_msg_parse(d, n, &m), 0);
	assert_int_equal(m.type, NET_DHCP_ACK);
	assert_int_equal(m.xid, 0x1234);
	assert_int_equal(m.yiaddr, OFFER_IP);
	assert_memory_equal(m.chaddr, mac, 6);
	assert_int_equal(m.netmask, 0xffffff00u);
	assert_int_equal(m.router, SRV_IP);
	assert_int_equal(m.server, SRV_IP);
	assert_int_equal(m.lease_s, 100);
	assert_int_equal(m.t1_s, 50);
	assert_int_equal(m.t2_s, 87);
	/* pads, an unknown option, overload (ignored), a router list: the first router counts */
	n = reply(d, NET_DHCP_OFFER, 1, OFFER_IP, more, sizeof(more));
	static const uint8_t in_file[] = {53, 1, NET_DHCP_ACK, 255};
	memcpy(d + 108, in_file, sizeof(in_file)); /* options in the file field: never read */
	assert_int_equal(net_dhcp_msg_parse(d, n, &m), 0);
	assert_int_equal(m.type, NET_DHCP_OFFER);
	assert_true(m.have & NET_DHCP_HAVE_OVERLOAD);
	assert_int_equal(m.router, 0x0a000201u);
	assert_false(m.have & NET_DHCP_HAVE_LEASE);
	/* the builder's messages are requests: the reply parser refuses them */
	struct net_dhcp_req r = {NET_DHCP_DISCOVER, 9, 0, {2, 0, 0, 0, 0, 0x0f}, 0, 0, 0};
	n = net_dhcp_msg_build(d, sizeof(d), &r);
	assert_int_equal(n, NET_DHCP_MIN_LEN);
	assert_int_equal(net_dhcp_msg_parse(d, n, &m), NET_DHCP_EHEADER);
	assert_int_equal(net_dhcp_msg_build(d, NET_DHCP_MIN_LEN - 1, &r), 0);
}

/* Message @n bytes of @d, with byte @at set to @v, must be refused with @err. */
static void refused(const uint8_t *d, size_t n, size_t at, uint8_t v, int err)
{
	uint8_t c[400];
	struct net_dhcp_msg m;

	memcpy(c, d, n);
	if (at < n)
		c[at] = v;
	assert_int_equal(net_dhcp_msg_parse(c, n, &m), err);
}

static void test_parse_hostile(void **state)
{
	(void)state;
	uint8_t d[400];
	struct net_dhcp_msg m;
	static const uint8_t lease_cut[] = {51, 4, 0, 0};
	size_t n = reply(d, NET_DHCP_ACK, 1, OFFER_IP, lease_opts, sizeof(lease_opts));

	assert_int_equal(net_dhcp_msg_parse(d, 239, &m), NET_DHCP_ESHORT);
	assert_int_equal(net_dhcp_msg_parse(d, 0, &m), NET_DHCP_ESHORT);
	refused(d, n, 0, 1, NET_DHCP_EHEADER);  /* a request */
	refused(d, n, 1, 6, NET_DHCP_EHEADER);  /* not Ethernet */
	refused(d, n, 2, 16, NET_DHCP_EHEADER); /* address length */
	refused(d, n, 239, 0x64, NET_DHCP_ECOOKIE);
	refused(d, n, 241, 2, NET_DHCP_EOPTION);   /* message type of 2 bytes */
	refused(d, n, 244, 3, NET_DHCP_EOPTION);   /* netmask of 3 bytes */
	refused(d, n, 250, 5, NET_DHCP_EOPTION);   /* router of 5 bytes */
	refused(d, n, 250, 0, NET_DHCP_EOPTION);   /* router of 0 bytes */
	refused(d, n, 244, 255, NET_DHCP_EOPTION); /* a length past the end */
	refused(d, n, n - 1, 0, NET_DHCP_ENOEND);  /* pad instead of end */
	refused(d, n, 242, 9, NET_DHCP_ENOTYPE);   /* type 9 */
	refused(d, n, 242, 0, NET_DHCP_ENOTYPE);   /* type 0 */
	refused(d, n, 240, 0, NET_DHCP_EOPTION);   /* type's code padded away: "1" is a code */
	refused(d, n - 1, n, 0, NET_DHCP_ENOEND);  /* cut before the end option */
	n = reply(d, NET_DHCP_ACK, 1, OFFER_IP, lease_cut, sizeof(lease_cut));
	assert_int_equal(net_dhcp_msg_parse(d, n - 1, &m),
	                 NET_DHCP_EOPTION); /* 51 runs past the end */
	d[240] = 255;                       /* end at once: no message type */
	assert_int_equal(net_dhcp_msg_parse(d, n, &m), NET_DHCP_ENOTYPE);
	d[240] = 53;
	d[241] = 1;
	assert_int_equal(net_dhcp_msg_parse(d, 242, &m),
	                 NET_DHCP_EOPTION); /* the value is missing */
	assert_int_equal(net_dhcp_msg_parse(d, 241, &m), NET_DHCP_EOPTION); /* the length too */
}

/* ---- the client ---- */

static void test_dora(void **state)
{
	(void)state;
	struct net_dhcp_lease l;
	uint64_t arps = st.cnt.arp_requests_sent;

	assert_int_equal(net_dhcp_state(&st, NULL), NET_DHCP_OFF);
	assert_int_equal(net_udp_sendto(&st, net_udp_bind(&st, 9), SRV_IP, 9, "x", 1),
	                 NET_ENOROUTE);
	uint32_t xid = to_requesting();
	assert_int_equal(net_dhcp_state(&st, &l), NET_DHCP_REQUESTING);
	send_reply(NET_DHCP_ACK, xid, OFFER_IP, lease_opts, sizeof(lease_opts));
	assert_int_equal(net_dhcp_state(&st, &l), NET_DHCP_BOUND);
	assert_int_equal(l.ip, OFFER_IP);
	assert_int_equal(l.netmask, 0xffffff00u);
	assert_int_equal(l.router, SRV_IP);
	assert_int_equal(l.server, SRV_IP);
	assert_int_equal(l.lease_s, 100);
	assert_int_equal(l.t1_s, 50);
	assert_int_equal(l.t2_s, 87);
	assert_int_equal(st.cfg.ip, OFFER_IP);
	assert_int_equal(st.cfg.gateway, SRV_IP);
	assert_int_equal(st.cnt.dhcp_leases, 1);
	assert_int_equal(st.cnt.arp_requests_sent, arps + 1); /* the address announced */
	assert_int_equal(count_sent(), 0);
}

/* Replies for another xid or MAC, or of a type not due, change nothing. */
static void test_not_ours(void **state)
{
	(void)state;
	struct sent s = {0};
	uint8_t d[400];

	assert_int_equal(net_dhcp_start(&st), 0);
	assert_true(next_sent(&s));
	send_reply(NET_DHCP_OFFER, s.xid + 1, OFFER_IP, lease_opts, sizeof(lease_opts));
	size_t n = reply(d, NET_DHCP_OFFER, s.xid, OFFER_IP, lease_opts, sizeof(lease_opts));
	d[33] ^= 1; /* another client's MAC */
	deliver(d, n);
	send_reply(NET_DHCP_ACK, s.xid, OFFER_IP, lease_opts, sizeof(lease_opts)); /* no request */
	assert_int_equal(st.cnt.dhcp_not_ours, 3);
	assert_int_equal(net_dhcp_state(&st, NULL), NET_DHCP_SELECTING);
	assert_int_equal(count_sent(), 0);
	deliver(d, 100); /* too short: refused by the parser */
	assert_int_equal(st.cnt.dhcp_bad, 1);
	uint32_t xid = to_requesting();
	send_reply(NET_DHCP_ACK, xid ^ 0x100u, OFFER_IP, lease_opts, sizeof(lease_opts));
	send_reply(NET_DHCP_NAK, xid ^ 0x100u, 0, NULL, 0);
	assert_int_equal(st.cnt.dhcp_not_ours, 5);
	assert_int_equal(net_dhcp_state(&st, NULL), NET_DHCP_REQUESTING);
	assert_int_equal(st.cfg.ip, 0);
}

/* ACKs that make no sense: no lease time, another address than offered, a broadcast address,
 * a router off the subnet. */
static void test_bad_lease(void **state)
{
	(void)state;
	static const uint8_t no_lease[] = {1, 4, 255, 255, 255, 0, 54, 4, 10, 0, 2, 2};
	static const uint8_t far_router[] = {1, 4, 255, 255, 255, 0, 3, 4, 10,
	                                     0, 3, 2,   51,  4,   0, 0, 0, 9};
	uint32_t xid = to_requesting();

	send_reply(NET_DHCP_ACK, xid, OFFER_IP, no_lease, sizeof(no_lease));
	send_reply(NET_DHCP_ACK, xid, OFFER_IP + 1, lease_opts, sizeof(lease_opts));
	send_reply(NET_DHCP_ACK, xid, 0x0a0002ffu, lease_opts, sizeof(lease_opts));
	send_reply(NET_DHCP_ACK, xid, OFFER_IP, far_router, sizeof(far_router));
	assert_int_equal(st.cnt.dhcp_bad, 4);
	assert_int_equal(net_dhcp_state(&st, NULL), NET_DHCP_REQUESTING);
	assert_int_equal(st.cfg.ip, 0);
}

static void test_nak(void **state)
{
	(void)state;
	struct sent s = {0};
	uint32_t xid = to_requesting();

	send_reply(NET_DHCP_NAK, xid, 0, NULL, 0);
	assert_int_equal(st.cnt.dhcp_naks, 1);
	assert_int_equal(net_dhcp_state(&st, NULL), NET_DHCP_SELECTING);
	assert_int_equal(count_sent(), 0); /* a pause first */
	at(now + 999);
	assert_int_equal(count_sent(), 0);
	at(now + 1);
	assert_true(next_sent(&s));
	assert_int_equal(s.type, NET_DHCP_DISCOVER);
	assert_true(s.xid != xid);
}

/* No answer: DISCOVER again after 3-4 s, then 7-8 s, 15-16 s, ...; never more often. */
static void test_discover_backoff(void **state)
{
	(void)state;
	uint64_t last = now, want[] = {4000, 8000, 16000, 32000, 64000, 64000};

	assert_int_equal(net_dhcp_start(&st), 0);
	assert_int_equal(count_sent(), 1);
	for (unsigned k = 0; k < 6; k++) {
		while (count_sent() == 0)
			at(now + 100);
		assert_in_range(now - last, want[k] - 1000, want[k]);
		last = now;
	}
}

/* A REQUEST unanswered: sent 4 times in all, then DISCOVER again with a new xid. */
static void test_request_timeout(void **state)
{
	(void)state;
	struct sent s = {0};
	uint32_t xid = to_requesting();
	unsigned requests = 1;

	for (;;) {
		at(now + 100);
		if (!next_sent(&s))
			continue;
		if (s.type != NET_DHCP_REQUEST)
			break;
		assert_int_equal(s.xid, xid);
		requests++;
	}
	assert_int_equal(requests, 4);
	assert_int_equal(s.type, NET_DHCP_DISCOVER);
	assert_true(s.xid != xid);
}

/* Runs the clock to @until in steps of 500 ms; returns the first DHCP message sent, if any. */
static bool run_until(uint64_t until, struct sent *s)
{
	while (now < until) {
		at(now + 500);
		if (next_sent(s))
			return true;
	}
	return false;
}

/* Renewal at T1 to the server (unicast, ciaddr set); its ACK extends the lease. Then silence:
 * rebinding at T2 (broadcast), and at the end of the lease no address, DISCOVER again. */
static void test_renew_rebind_expire(void **state)
{
	(void)state;
	struct sent s = {0};
	uint32_t xid = to_requesting();
	uint64_t bound = now;

	send_reply(NET_DHCP_ACK, xid, OFFER_IP, lease_opts, sizeof(lease_opts));
	assert_false(run_until(bound + 49500, &s));
	assert_true(run_until(bound + 50000, &s));
	assert_int_equal(net_dhcp_state(&st, NULL), NET_DHCP_RENEWING);
	assert_int_equal(s.type, NET_DHCP_REQUEST);
	assert_false(s.broadcast);
	assert_int_equal(s.ip_dst, SRV_IP);
	assert_int_equal(s.ip_src, OFFER_IP);
	assert_int_equal(s.ciaddr, OFFER_IP);
	assert_int_equal(s.requested, 0);
	assert_int_equal(s.server, 0);
	send_reply(NET_DHCP_ACK, s.xid, OFFER_IP, lease_opts, sizeof(lease_opts));
	assert_int_equal(net_dhcp_state(&st, NULL), NET_DHCP_BOUND);
	bound = now;
	assert_true(run_until(bound + 50000, &s)); /* renewing again, unanswered */
	assert_false(run_until(bound + 86500, &s));
	assert_true(run_until(bound + 87000, &s));
	assert_int_equal(net_dhcp_state(&st, NULL), NET_DHCP_REBINDING);
	assert_true(s.broadcast);
	assert_int_equal(s.ciaddr, OFFER_IP);
	assert_false(run_until(bound + 99500, &s));
	assert_true(run_until(bound + 100000, &s));
	assert_int_equal(s.type, NET_DHCP_DISCOVER);
	assert_int_equal(st.cnt.dhcp_expired, 1);
	assert_int_equal(st.cfg.ip, 0);
	assert_int_equal(net_dhcp_state(&st, NULL), NET_DHCP_SELECTING);
}

/** Runs the DHCP tests. Returns: the number that failed. */
int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_parse_good, setup),
		cmocka_unit_test_setup(test_parse_hostile, setup),
		cmocka_unit_test_setup(test_dora, setup),
		cmocka_unit_test_setup(test_not_ours, setup),
		cmocka_unit_test_setup(test_bad_lease, setup),
		cmocka_unit_test_setup(test_nak, setup),
		cmocka_unit_test_setup(test_discover_backoff, setup),
		cmocka_unit_test_setup(test_request_timeout, setup),
		cmocka_unit_test_setup(test_renew_rebind_expire, setup),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
