/* Host tests of libnet against crafted frames: every layer drops bad ones and counts the
 * cause, a live connection carries on afterwards, a peer's SYN options are honoured. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "sim_link.h"

#define CNT(field) offsetof(struct net_counters, field)
#define NONE ((size_t)-1)

static struct net_stack stack_a, stack_b;
static struct sim sim;
static int udp_b, listen_b, conn_a, conn_b;
static uint8_t f[4096]; /* the frame being crafted */

static const uint8_t mac_a[6] = {2, 0, 0, 0, 0, 1}, mac_b[6] = {2, 0, 0, 0, 0, 2};

/* ---- building frames (independently of libnet) ---- */

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

static uint16_t csum(uint32_t sum, const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		sum += i & 1u ? p[i] : (uint32_t)p[i] << 8;
	while (sum >> 16)
		sum = (sum & 0xffffu) + (sum >> 16);
	return (uint16_t)~sum;
}

static uint32_t pseudo(uint8_t proto, size_t len)
{
	return (SIM_IP_A >> 16) + (SIM_IP_A & 0xffffu) + (SIM_IP_B >> 16) + (SIM_IP_B & 0xffffu) +
	       proto + (uint32_t)len;
}

static void eth(uint16_t type)
{
	memcpy(f, mac_b, 6);
	memcpy(f + 6, mac_a, 6);
	put16(f + 12, type);
}

/* An IPv4 packet from A to B with @l4len payload bytes (already at f + 34). */
static size_t ip(uint8_t proto, size_t l4len)
{
	uint8_t *p = f + 14;

	eth(0x0800);
	memset(p, 0, 20);
	p[0] = 0x45;
	put16(p + 2, (uint32_t)(20 + l4len));
	p[8] = 64;
	p[9] = proto;
	put32(p + 12, SIM_IP_A);
	put32(p + 16, SIM_IP_B);
	put16(p + 10, csum(0, p, 20));
	return 34 + l4len;
}

static void ip_reseal(void)
{
	put16(f + 24, 0);
	put16(f + 24, csum(0, f + 14, (size_t)(f[14] & 0xfu) * 4u));
}

static size_t udp(uint16_t dport, size_t dlen)
{
	uint8_t *u = f + 34;

	put16(u, 1234);
	put16(u + 2, dport);
	put16(u + 4, (uint32_t)(8 + dlen));
	put16(u + 6, 0);
	memset(u + 8, 0x5a, dlen);
	put16(u + 6, csum(pseudo(17, 8 + dlen), u, 8 + dlen));
	return ip(17, 8 + dlen);
}

struct tcp_spec {
	uint16_t sport, dport;
	uint32_t seq, ack;
	uint8_t flags;
	const uint8_t *opt;
	size_t optlen, dlen;
};

static size_t tcp(const struct tcp_spec *t)
{
	uint8_t *h = f + 34;
	size_t hl = 20 + t->optlen, len = hl + t->dlen;

	memset(h, 0, 20);
	put16(h, t->sport);
	put16(h + 2, t->dport);
	put32(h + 4, t->seq);
	put32(h + 8, t->ack);
	h[12] = (uint8_t)(hl / 4 << 4);
	h[13] = t->flags;
	put16(h + 14, 8192);
	if (t->optlen)
		memcpy(h + 20, t->opt, t->optlen);
	memset(h + hl, 0x33, t->dlen);
	put16(h + 16, csum(pseudo(6, len), h, len));
	return ip(6, len);
}

static void tcp_reseal(size_t len)
{
	put16(f + 50, 0);
	put16(f + 50, csum(pseudo(6, len - 34), f + 34, len - 34));
}

/* A segment on the live connection (A's side toward B), in B's receive window. */
static struct tcp_spec live(uint8_t flags, size_t dlen)
{
	const struct net_socket *a = &stack_a.sock[conn_a];
	struct tcp_spec t = {a->lport, a->rport, a->u.tcb.snd_nxt, a->u.tcb.rcv_nxt, flags, NULL,
	                     0,        dlen};

	return t;
}

/* ---- the checks ---- */

static bool allowed(size_t off)
{
	return off == CNT(rx_frames) || off == CNT(tx_frames) || off == CNT(tcp_segs_in) ||
	       off == CNT(tcp_segs_out) || off == CNT(tcp_rst_sent);
}

/* Injects the frame into B: @want1 and @want2 (or NONE) go up by one, no other drop cause. */
static void expect(size_t len, size_t want1, size_t want2)
{
	struct net_counters before;
	const uint64_t *b = (const uint64_t *)&before, *a = (const uint64_t *)&stack_b.cnt;

	sim_run_for(&sim, 200); /* past the answers' rate limit; earlier answers delivered */
	before = stack_b.cnt;
	sim_inject(&sim, 1, f, len);
	for (size_t i = 0; i < sizeof(before) / 8u; i++) {
		size_t off = i * 8u;
		uint64_t d = a[i] - b[i];

		if (off == want1 || off == want2)
			assert_int_equal(d, 1);
		else if (!allowed(off) && d)
			fail_msg("counter at offset %zu changed by %llu", off,
			         (unsigned long long)d);
	}
	assert_int_equal(stack_b.cnt.rx_frames, before.rx_frames + 1);
	assert_false(net_ready(&stack_b, udp_b) & NET_READABLE);
	assert_false(net_ready(&stack_b, conn_b) & NET_READABLE);
}

static bool accepted(void *arg)
{
	(void)arg;
	conn_b = net_tcp_accept(&stack_b, listen_b);
	return conn_b >= 0;
}

static int setup(void **state)
{
	(void)state;
	sim_init(&sim, &stack_a, &stack_b, 7);
	udp_b = net_udp_bind(&stack_b, 7);
	listen_b = net_tcp_listen(&stack_b, 80, 2);
	conn_a = net_tcp_connect(&stack_a, SIM_IP_B, 80);
	while (!accepted(NULL) && sim_step(&sim))
		continue;
	assert_true(conn_b >= 0);
	sim_run_for(&sim, 100);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	sim_fini(&sim);
	return 0;
}

/* The connection still carries data both ways. */
static void still_alive(void)
{
	uint8_t buf[16];

	assert_int_equal(net_tcp_send(&stack_a, conn_a, "ping", 4), 4);
	assert_int_equal(net_tcp_send(&stack_b, conn_b, "pong", 4), 4);
	sim_run_for(&sim, 200);
	assert_int_equal(net_tcp_recv(&stack_b, conn_b, buf, sizeof(buf)), 4);
	assert_memory_equal(buf, "ping", 4);
	assert_int_equal(net_tcp_recv(&stack_a, conn_a, buf, sizeof(buf)), 4);
	assert_memory_equal(buf, "pong", 4);
}

static void bad_ethernet(void **state)
{
	(void)state;
	eth(0x0800);
	expect(0, CNT(eth_runt), NONE);
	expect(13, CNT(eth_runt), NONE);
	f[0] = 0x44;
	expect(60, CNT(eth_not_ours), NONE);
	eth(0x0800);
	f[6] = 0x01;
	expect(60, CNT(eth_bad_src), NONE);
	eth(0x86dd);
	expect(60, CNT(eth_unknown_type), NONE);
	still_alive();
}

static size_t arp(uint16_t op, uint32_t tpa)
{
	uint8_t *p = f + 14;

	eth(0x0806);
	put16(p, 1);
	put16(p + 2, 0x0800);
	p[4] = 6;
	p[5] = 4;
	put16(p + 6, op);
	memcpy(p + 8, mac_a, 6);
	put32(p + 14, SIM_IP_A);
	memset(p + 18, 0, 6);
	put32(p + 24, tpa);
	return 42;
}

static void bad_arp(void **state)
{
	(void)state;
	expect(arp(1, SIM_IP_B) - 1, CNT(arp_bad), NONE);
	arp(1, SIM_IP_B);
	f[15] = 6;
	expect(42, CNT(arp_bad), NONE);
	arp(1, SIM_IP_B);
	f[18] = 8;
	expect(42, CNT(arp_bad), NONE);
	expect(arp(3, SIM_IP_B), CNT(arp_bad), NONE);
	arp(2, SIM_IP_B);
	f[22] = 0x01; /* a group sender address */
	expect(42, CNT(arp_bad), NONE);
	expect(arp(1, 0x0a000063u), CNT(arp_not_ours), NONE);
	still_alive();
}

static void bad_ipv4(void **state)
{
	size_t n;

	(void)state;
	n = udp(7, 10);
	expect(14 + 19, CNT(ip_runt), NONE);
	f[14] = 0x65;
	expect(n, CNT(ip_bad_version), NONE);
	udp(7, 10);
	f[14] = 0x44;
	expect(n, CNT(ip_bad_header_len), NONE);
	udp(7, 10);
	f[14] = 0x4f; /* 60-byte header in a 38-byte packet */
	expect(n, CNT(ip_bad_header_len), NONE);
	udp(7, 10);
	put16(f + 16, 200);
	ip_reseal();
	expect(n, CNT(ip_bad_total_len), NONE);
	udp(7, 10);
	put16(f + 16, 19);
	ip_reseal();
	expect(n, CNT(ip_bad_total_len), NONE);
	udp(7, 10);
	f[25] ^= 0x40;
	expect(n, CNT(ip_bad_csum), NONE);
	udp(7, 10);
	put16(f + 20, 0x2000); /* more fragments */
	ip_reseal();
	expect(n, CNT(ip_fragment), NONE);
	udp(7, 10);
	put16(f + 20, 0x0010); /* a later fragment */
	ip_reseal();
	expect(n, CNT(ip_fragment), NONE);
	udp(7, 10);
	put32(f + 30, 0x0a000063u);
	ip_reseal();
	expect(n, CNT(ip_not_ours), NONE);
	udp(7, 10);
	put32(f + 26, 0xffffffffu);
	ip_reseal();
	expect(n, CNT(ip_bad_src), NONE);
	udp(7, 10);
	f[23] = 99;
	ip_reseal();
	expect(n, CNT(ip_unknown_proto), NONE);
	expect(udp(7, 2000), CNT(ip_bad_total_len), NONE); /* a giant frame */
	still_alive();
}

static void bad_icmp(void **state)
{
	uint8_t *m = f + 34;

	(void)state;
	memset(m, 0, 8);
	m[0] = 8;
	put16(m + 2, csum(0, m, 4));
	expect(ip(1, 4), CNT(icmp_runt), NONE);
	memset(m, 0, 16);
	m[0] = 8;
	put16(m + 2, 0x1234);
	expect(ip(1, 16), CNT(icmp_bad_csum), NONE);
	memset(m, 0, 16);
	m[0] = 13;
	put16(m + 2, csum(0, m, 16));
	expect(ip(1, 16), CNT(icmp_other), NONE);
	still_alive();
}

static void bad_udp(void **state)
{
	size_t n;

	(void)state;
	n = udp(7, 10);
	expect(ip(17, 7), CNT(udp_runt), NONE);
	udp(7, 10);
	put16(f + 38, 7);
	expect(n, CNT(udp_bad_len), NONE);
	udp(7, 10);
	put16(f + 38, 19);
	expect(n, CNT(udp_bad_len), NONE);
	udp(7, 10);
	f[45] ^= 1;
	expect(n, CNT(udp_bad_csum), NONE);
	udp(7, 10);
	put16(f + 34, 0); /* source port 0 */
	put16(f + 40, 0);
	expect(n, CNT(udp_bad_len), NONE);
	expect(udp(9, 10), CNT(udp_no_port), NONE);
	for (unsigned i = 0; i < NET_UDP_QUEUE; i++)
		sim_inject(&sim, 1, f, udp(7, i));
	sim_inject(&sim, 1, f, udp(7, 10));
	assert_int_equal(stack_b.cnt.udp_queue_full, 1);
	for (int i = 0; i < (int)NET_UDP_QUEUE; i++) /* the first four stay, in order */
		assert_int_equal(net_udp_recvfrom(&stack_b, udp_b, f, sizeof(f), NULL, NULL), i);
	assert_int_equal(net_udp_recvfrom(&stack_b, udp_b, f, sizeof(f), NULL, NULL), NET_EAGAIN);
}

static void bad_tcp_headers(void **state)
{
	static const uint8_t zero_len[] = {2, 0, 0, 0}, too_long[] = {1, 1, 3, 9},
			     mss_short[] = {2, 3, 5, 0};
	struct tcp_spec t = {1234, 80, 1000, 0, 0x02, NULL, 0, 0};
	size_t n;

	(void)state;
	n = tcp(&t);
	expect(ip(6, 10), CNT(tcp_runt), NONE);
	tcp(&t);
	f[46] = 0x40;
	tcp_reseal(n);
	expect(n, CNT(tcp_bad_offset), NONE);
	tcp(&t);
	f[46] = 0xf0;
	tcp_reseal(n);
	expect(n, CNT(tcp_bad_offset), NONE);
	tcp(&t);
	f[40] ^= 0x10;
	expect(n, CNT(tcp_bad_csum), NONE);
	t.opt = zero_len;
	t.optlen = 4;
	expect(tcp(&t), CNT(tcp_bad_options), NONE);
	t.opt = too_long;
	expect(tcp(&t), CNT(tcp_bad_options), NONE);
	t.opt = mss_short;
	expect(tcp(&t), CNT(tcp_bad_options), NONE);
	t.optlen = 0;
	t.flags = 0x03; /* SYN and FIN */
	expect(tcp(&t), CNT(tcp_bad_flags), NONE);
	t.flags = 0x02;
	t.sport = 0;
	expect(tcp(&t), CNT(tcp_bad_flags), NONE);
	t.sport = 1234;
	t.dport = 81;
	t.flags = 0x10;
	expect(tcp(&t), CNT(tcp_no_socket), NONE);
	assert_int_equal(stack_b.cnt.tcp_rst_sent, 1);
	still_alive();
}

static void bad_tcp_segments(void **state)
{
	struct tcp_spec t;

	(void)state;
	t = live(0x18, 100);
	t.seq += 200000; /* far beyond the window */
	expect(tcp(&t), CNT(tcp_out_of_window), NONE);
	t = live(0x18, 100);
	t.seq -= 1000; /* all old */
	expect(tcp(&t), CNT(tcp_out_of_window), NONE);
	t = live(0x18, 100);
	t.seq += 10; /* in the window, after a hole */
	expect(tcp(&t), CNT(tcp_out_of_order), NONE);
	t = live(0x10, 0);
	t.ack += 5000; /* acknowledges what B never sent */
	expect(tcp(&t), CNT(tcp_bad_ack), NONE);
	t = live(0x04, 0);
	t.seq += 10; /* a reset in the window but not at rcv_nxt */
	expect(tcp(&t), CNT(tcp_rst_rx), CNT(tcp_challenge_acks));
	t = live(0x02, 0);
	expect(tcp(&t), CNT(tcp_challenge_acks), NONE);
	t = live(0x18, 0);
	t.flags = 0x08; /* no ACK flag */
	expect(tcp(&t), NONE, NONE);
	still_alive();
}

/* Data A never sent makes B's idea of A's stream run ahead: from then on each refuses the
 * other's segments and answers them. The answers are rate-limited, so the two ends do not
 * ping-pong ACKs at full speed (an ACK storm); the steps are bounded so a storm fails here. */
static void ack_storm_bounded(void **state)
{
	struct tcp_spec t = live(0x18, 100);
	uint64_t sent, end;
	unsigned steps = 0;

	(void)state;
	sim_inject(&sim, 1, f, tcp(&t)); /* taken: B expects 100 bytes more than A sent */
	assert_int_equal(net_tcp_recv(&stack_b, conn_b, f, sizeof(f)), 100);
	sent = sim.sent;
	assert_int_equal(net_tcp_send(&stack_a, conn_a, "x", 1), 1);
	end = sim.now + 1000;
	while (sim.now < end && steps++ < 100000 && sim_step(&sim))
		continue;
	print_message("  %llu frames in 1 s, %llu answers held back\n",
	              (unsigned long long)(sim.sent - sent),
	              (unsigned long long)(stack_a.cnt.tcp_answers_limited +
	                                   stack_b.cnt.tcp_answers_limited));
	assert_true(sim.now >= end);
	assert_true(sim.sent - sent < 100);
}

/* What B sends: the last SYN-ACK, and the longest TCP payload. */
static struct {
	uint8_t synack[NET_FRAME_MAX];
	uint32_t max_data, segments;
} seen;

static void watch_b(struct sim *s, int from, const uint8_t *fr, size_t len)
{
	const uint8_t *h = fr + 34;
	uint32_t dlen;

	(void)s;
	if (from != 1 || len < 54 || fr[23] != 6)
		return;
	dlen = ((uint32_t)fr[16] << 8 | fr[17]) - 20u - (uint32_t)(h[12] >> 4) * 4u;
	if ((h[13] & 0x12) == 0x12)
		memcpy(seen.synack, fr, len);
	if (dlen) {
		seen.segments++;
		seen.max_data = dlen > seen.max_data ? dlen : seen.max_data;
	}
}

/* A SYN with MSS 1000 and no window scale: the SYN-ACK offers no scaling, and B's segments
 * are at most 1000 bytes. */
static void syn_options_honoured(void **state)
{
	static const uint8_t mss1000[] = {2, 4, 0x03, 0xe8};
	static uint8_t data[5000];
	struct tcp_spec t = {40000, 80, 5000, 0, 0x02, mss1000, 4, 0};
	struct net_tcp_info info;
	uint32_t iss;
	int c;

	(void)state;
	memset(&seen, 0, sizeof(seen));
	sim.watch = watch_b;
	sim_inject(&sim, 1, f, tcp(&t));
	assert_int_equal(seen.synack[46] >> 4, 6); /* 24-byte header: the MSS option alone */
	assert_int_equal(seen.synack[54], 2);
	iss = (uint32_t)seen.synack[38] << 24 | (uint32_t)seen.synack[39] << 16 |
	      (uint32_t)seen.synack[40] << 8 | seen.synack[41];
	t = (struct tcp_spec){40000, 80, 5001, iss + 1u, 0x10, NULL, 0, 0};
	sim_inject(&sim, 1, f, tcp(&t));
	c = net_tcp_accept(&stack_b, listen_b);
	assert_true(c >= 0);
	assert_int_equal(net_tcp_info(&stack_b, c, &info), 0);
	assert_int_equal(info.mss, 1000);
	assert_int_equal(info.snd_wscale, 0);
	assert_int_equal(info.rcv_wscale, 0);
	assert_int_equal(info.snd_wnd, 8192);
	assert_int_equal(net_tcp_send(&stack_b, c, data, sizeof(data)), (int)sizeof(data));
	assert_int_equal(seen.max_data, 1000);
	assert_int_equal(seen.segments, 5);
	sim.watch = NULL;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(bad_ethernet, setup, teardown),
		cmocka_unit_test_setup_teardown(bad_arp, setup, teardown),
		cmocka_unit_test_setup_teardown(bad_ipv4, setup, teardown),
		cmocka_unit_test_setup_teardown(bad_icmp, setup, teardown),
		cmocka_unit_test_setup_teardown(bad_udp, setup, teardown),
		cmocka_unit_test_setup_teardown(bad_tcp_headers, setup, teardown),
		cmocka_unit_test_setup_teardown(bad_tcp_segments, setup, teardown),
		cmocka_unit_test_setup_teardown(ack_storm_bounded, setup, teardown),
		cmocka_unit_test_setup_teardown(syn_options_honoured, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
