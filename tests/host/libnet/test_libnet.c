/* Host tests of libnet over the simulated link: ARP, ping, UDP echo, TCP transfers with and
 * without faults, FIN and RST paths, zero-window probing, a small peer window. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "sim_link.h"

#define PORT 5001u
#define MIB ((uint64_t)1024u * 1024u)

static struct net_stack stack_a, stack_b;

static int sim_setup(void **state)
{
	struct sim *sim = calloc(1, sizeof(*sim));

	sim_init(sim, &stack_a, &stack_b, 42);
	*state = sim;
	return 0;
}

static int sim_teardown(void **state)
{
	sim_fini(*state);
	free(*state);
	return 0;
}

/* Runs the link until @done(@arg) or until nothing moves; fails after @max_ms. */
static void run_until(struct sim *sim, bool (*done)(void *), void *arg, uint64_t max_ms)
{
	uint64_t end = sim->now + max_ms;

	while (!done(arg) && sim->now < end)
		if (!sim_step(sim))
			break;
	assert_true(done(arg));
}

/* ---- ARP ---- */

static bool b_has_datagram(void *arg)
{
	return net_ready(&stack_b, *(int *)arg) & NET_READABLE;
}

static void arp_resolution(void **state)
{
	struct sim *sim = *state;
	int ub = net_udp_bind(&stack_b, 7), ua = net_udp_bind(&stack_a, 0);
	uint8_t buf[64];
	uint32_t ip;
	uint16_t port;

	assert_true(ub >= 0 && ua >= 0);
	assert_int_equal(net_udp_sendto(&stack_a, ua, SIM_IP_B, 7, "hello", 5), 5);
	assert_int_equal(stack_a.cnt.arp_requests_sent, 1); /* the datagram waits for the answer */
	run_until(sim, b_has_datagram, &ub, 100);
	assert_int_equal(stack_b.cnt.arp_replies_sent, 1);
	assert_int_equal(net_udp_recvfrom(&stack_b, ub, buf, sizeof(buf), &ip, &port), 5);
	assert_memory_equal(buf, "hello", 5);
	assert_int_equal(ip, SIM_IP_A);
	/* B learned A from A's request: its answer needs no request of its own. */
	assert_int_equal(net_udp_sendto(&stack_b, ub, ip, port, "back", 4), 4);
	assert_int_equal(stack_b.cnt.arp_requests_sent, 0);
}

static void arp_retry_and_give_up(void **state)
{
	struct sim *sim = *state;
	int ua = net_udp_bind(&stack_a, 0);

	assert_int_equal(net_udp_sendto(&stack_a, ua, 0x0a000009u, 9, "x", 1), 1);
	sim_run_for(sim, 10000);
	assert_int_equal(stack_a.cnt.arp_requests_sent, 3);
	assert_int_equal(stack_a.cnt.arp_retries, 2);
	assert_int_equal(stack_a.cnt.arp_failed, 1);
}

/* A gratuitous ARP from a moved stack (new MAC) updates the peer's entry. */
static void arp_announce_updates_peer(void **state)
{
	struct sim *sim = *state;
	int ub = net_udp_bind(&stack_b, 7), ua = net_udp_bind(&stack_a, 0);
	struct net_config c = stack_a.cfg;
	uint64_t before;

	net_udp_sendto(&stack_a, ua, SIM_IP_B, 7, "1", 1);
	sim_run_for(sim, 50);
	c.mac[5] = 0x77;
	assert_int_equal(net_init(&stack_a, &c, sim->now), 0);
	ua = net_udp_bind(&stack_a, 1000);
	net_arp_announce(&stack_a);
	sim_run_for(sim, 50);
	before = stack_a.cnt.eth_not_ours;
	assert_int_equal(net_udp_sendto(&stack_b, ub, SIM_IP_A, 1000, "2", 1), 1);
	sim_run_for(sim, 50);
	assert_int_equal(stack_a.cnt.eth_not_ours, before);
	assert_true(net_ready(&stack_a, ua) & NET_READABLE);
	assert_int_equal(stack_b.cnt.arp_requests_sent, 0);
}

/* ---- ICMP, UDP ---- */

static bool a_has_reply(void *arg)
{
	return stack_a.cnt.icmp_echo_replies >= *(uint64_t *)arg;
}

static void ping(void **state)
{
	struct sim *sim = *state;
	uint64_t want;
	uint16_t i;

	for (i = 1; i <= 10; i++) {
		assert_int_equal(net_icmp_echo(&stack_a, SIM_IP_B, 0x42, i, (size_t)56u * i), 0);
		want = i;
		run_until(sim, a_has_reply, &want, 100);
		assert_int_equal(stack_a.echo.seq, i);
		assert_int_equal(stack_a.echo.id, 0x42);
		assert_int_equal(stack_a.echo.from, SIM_IP_B);
	}
	assert_int_equal(stack_b.cnt.icmp_echo_replied, 10);
	assert_int_equal(net_icmp_echo(&stack_a, SIM_IP_B, 1, 1, 1481), NET_EINVAL);
}

static void udp_echo(void **state)
{
	struct sim *sim = *state;
	int ub = net_udp_bind(&stack_b, 7), ua = net_udp_bind(&stack_a, 0), n, i;
	uint8_t out[NET_UDP_MAX], in[NET_UDP_MAX];
	uint32_t ip;
	uint16_t port;

	assert_int_equal(net_udp_bind(&stack_b, 7), NET_EADDRINUSE);
	assert_int_equal(net_udp_sendto(&stack_a, ua, SIM_IP_B, 7, out, NET_UDP_MAX + 1),
	                 NET_EINVAL);
	for (i = 0; i < 200; i++) {
		size_t len = (size_t)(sim_rand(sim) % (NET_UDP_MAX + 1u));

		for (size_t k = 0; k < len; k++)
			out[k] = (uint8_t)sim_rand(sim);
		assert_int_equal(net_udp_sendto(&stack_a, ua, SIM_IP_B, 7, out, len), (int)len);
		run_until(sim, b_has_datagram, &ub, 100);
		n = net_udp_recvfrom(&stack_b, ub, in, sizeof(in), &ip, &port);
		assert_int_equal(n, (int)len);
		net_udp_sendto(&stack_b, ub, ip, port, in, (size_t)n);
		sim_run_for(sim, 5);
		assert_int_equal(net_udp_recvfrom(&stack_a, ua, in, sizeof(in), NULL, NULL),
		                 (int)len);
		assert_memory_equal(in, out, len);
	}
	assert_int_equal(net_udp_recvfrom(&stack_a, ua, in, sizeof(in), NULL, NULL), NET_EAGAIN);
}

/* ---- TCP: two flows over one connection ---- */

struct flow {
	struct net_stack *st;
	int sock;
	uint64_t seed;            /* of the bytes this end sends */
	uint64_t peer_seed;       /* of the bytes it receives */
	uint64_t to_send, sent;   /* bytes */
	uint64_t received, wrong; /* bytes, and bytes unlike what the peer sent */
	uint64_t sum_tx, sum_rx;  /* FNV-1a of each direction's stream */
	bool eof, shut, reader;   /* reader: false while the program does not read */
};

static uint8_t stream_byte(uint64_t seed, uint64_t pos)
{
	uint64_t z = seed ^ ((pos / 8u) * 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 31)) * 0xbf58476d1ce4e5b9ull;
	return (uint8_t)(z >> (8u * (pos % 8u)));
}

static uint64_t fnv(uint64_t h, const uint8_t *p, size_t n)
{
	while (n--)
		h = (h ^ *p++) * 0x100000001b3ull;
	return h;
}

static void flow_send(struct flow *f)
{
	uint8_t buf[8192];
	size_t n, i;
	int r;

	while (f->sent < f->to_send && (net_ready(f->st, f->sock) & NET_WRITABLE)) {
		n = f->to_send - f->sent < sizeof(buf) ? (size_t)(f->to_send - f->sent) :
		                                         sizeof(buf);
		for (i = 0; i < n; i++)
			buf[i] = stream_byte(f->seed, f->sent + i);
		r = net_tcp_send(f->st, f->sock, buf, n);
		assert_true(r > 0);
		f->sum_tx = fnv(f->sum_tx, buf, (size_t)r);
		f->sent += (uint64_t)r;
	}
	if (f->sent == f->to_send && !f->shut) {
		assert_int_equal(net_tcp_shutdown(f->st, f->sock), 0);
		f->shut = true;
	}
}

static void flow_recv(struct flow *f)
{
	uint8_t buf[5000];
	int r, i;

	while (f->reader && !f->eof && (net_ready(f->st, f->sock) & NET_READABLE)) {
		r = net_tcp_recv(f->st, f->sock, buf, sizeof(buf));
		assert_true(r >= 0);
		if (r == 0)
			f->eof = true;
		for (i = 0; i < r; i++)
			f->wrong += buf[i] != stream_byte(f->peer_seed, f->received + (uint64_t)i);
		f->sum_rx = fnv(f->sum_rx, buf, (size_t)r);
		f->received += (uint64_t)r;
	}
}

struct pair {
	struct sim *sim;
	struct flow f[2]; /* [0] on A (the client), [1] on B (the server) */
};

static bool pair_done(void *arg)
{
	struct pair *p = arg;
	int i;

	for (i = 0; i < 2; i++) {
		flow_send(&p->f[i]);
		flow_recv(&p->f[i]);
	}
	return p->f[0].eof && p->f[1].eof;
}

static bool b_acceptable(void *arg)
{
	return net_ready(&stack_b, *(int *)arg) & NET_ACCEPTABLE;
}

/* Connects A to a listener on B; @rcvbuf limits B's receive window (0: the default). */
static void pair_open(struct pair *p, struct sim *sim, uint64_t bytes_ab, uint64_t bytes_ba,
                      uint32_t rcvbuf)
{
	int l = net_tcp_listen(&stack_b, PORT, 4);

	assert_true(l >= 0);
	if (rcvbuf)
		assert_int_equal(net_tcp_set_rcvbuf(&stack_b, l, rcvbuf), 0);
	memset(p, 0, sizeof(*p));
	p->sim = sim;
	p->f[0].st = &stack_a;
	p->f[0].sock = net_tcp_connect(&stack_a, SIM_IP_B, PORT);
	assert_true(p->f[0].sock >= 0);
	run_until(sim, b_acceptable, &l, 60000);
	p->f[1].st = &stack_b;
	p->f[1].sock = net_tcp_accept(&stack_b, l);
	assert_true(p->f[1].sock >= 0);
	assert_int_equal(net_tcp_accept(&stack_b, l), NET_EAGAIN);
	assert_int_equal(net_tcp_close(&stack_b, l), 0);
	p->f[0].seed = p->f[1].peer_seed = 0x1234;
	p->f[1].seed = p->f[0].peer_seed = 0xabcd;
	p->f[0].to_send = bytes_ab;
	p->f[1].to_send = bytes_ba;
	p->f[0].reader = p->f[1].reader = true;
	p->f[0].sum_tx = p->f[0].sum_rx = p->f[1].sum_tx = p->f[1].sum_rx = 0xcbf29ce484222325ull;
}

static void pair_check(const struct pair *p)
{
	int i;

	for (i = 0; i < 2; i++) {
		assert_int_equal(p->f[i].received, p->f[1 - i].to_send);
		assert_int_equal(p->f[i].wrong, 0);
		assert_true(p->f[i].sum_rx == p->f[1 - i].sum_tx);
	}
}

/* Both ends closed: the handles go, the connections end in TIME-WAIT or CLOSED and free. */
static void pair_close(struct pair *p)
{
	assert_int_equal(net_tcp_close(&stack_a, p->f[0].sock), 0);
	assert_int_equal(net_tcp_close(&stack_b, p->f[1].sock), 0);
	sim_run_for(p->sim, 130000);
	for (unsigned i = 0; i < NET_SOCKETS; i++) {
		assert_int_equal(stack_a.sock[i].kind, 0);
		assert_int_equal(stack_b.sock[i].kind, 0);
	}
}

static void transfer(struct sim *sim, uint64_t bytes, uint64_t max_ms)
{
	struct pair p;
	struct net_tcp_info ia, ib;

	pair_open(&p, sim, bytes, bytes, 0);
	run_until(sim, pair_done, &p, max_ms);
	pair_check(&p);
	assert_int_equal(net_tcp_info(&stack_a, p.f[0].sock, &ia), 0);
	assert_int_equal(net_tcp_info(&stack_b, p.f[1].sock, &ib), 0);
	assert_int_equal(ia.snd_wscale, 1);
	assert_int_equal(ib.snd_wscale, 1);
	assert_int_equal(ia.mss, NET_TCP_MSS);
	print_message(
		"  %llu bytes each way in %llu ms; retransmits %llu/%llu (timeouts %llu/%llu, "
		"fast %llu/%llu); link lost %llu, dup %llu, reordered %llu, corrupted %llu\n",
		(unsigned long long)bytes, (unsigned long long)sim->now,
		(unsigned long long)ia.retransmits, (unsigned long long)ib.retransmits,
		(unsigned long long)stack_a.cnt.tcp_timeouts,
		(unsigned long long)stack_b.cnt.tcp_timeouts,
		(unsigned long long)stack_a.cnt.tcp_fast_retransmits,
		(unsigned long long)stack_b.cnt.tcp_fast_retransmits, (unsigned long long)sim->lost,
		(unsigned long long)sim->duplicated, (unsigned long long)sim->reordered,
		(unsigned long long)sim->corrupted);
	if (sim->lost == 0) {
		assert_int_equal(ia.retransmits + ib.retransmits, 0);
	} else {
		assert_true(ia.retransmits > 0);
		assert_true(ib.retransmits > 0);
	}
	pair_close(&p);
}

static void tcp_transfer_clean(void **state)
{
	transfer(*state, 4u * MIB, 600000);
}

static void tcp_transfer_lossy(void **state)
{
	struct sim *sim = *state;

	sim->loss_pm = 50;
	sim->reorder_pm = 50;
	sim->dup_pm = 10;
	sim->corrupt_pm = 10;
	transfer(sim, 4u * MIB, 3600000);
	assert_true(stack_a.cnt.tcp_bad_csum + stack_b.cnt.tcp_bad_csum + stack_a.cnt.ip_bad_csum +
	                    stack_b.cnt.ip_bad_csum >
	            0);
	assert_true(stack_a.cnt.tcp_out_of_order + stack_b.cnt.tcp_out_of_order > 0);
}

/* ---- TCP: FIN and RST ---- */

static bool sock_flag(struct net_stack *st, int sock, unsigned flag)
{
	return net_ready(st, sock) & flag;
}

static bool a_error(void *arg)
{
	return sock_flag(&stack_a, *(int *)arg, NET_ERROR);
}

static void tcp_refused(void **state)
{
	struct sim *sim = *state;
	int s = net_tcp_connect(&stack_a, SIM_IP_B, 99);

	assert_true(s >= 0);
	run_until(sim, a_error, &s, 1000);
	assert_int_equal(net_tcp_recv(&stack_a, s, NULL, 0), NET_ECONNREFUSED);
	assert_int_equal(net_tcp_send(&stack_a, s, "x", 1), NET_ECONNREFUSED);
	assert_int_equal(stack_b.cnt.tcp_no_socket, 1);
	assert_int_equal(net_tcp_close(&stack_a, s), 0);
	assert_int_equal(stack_a.sock[s].kind, 0);
}

static bool b_error(void *arg)
{
	return sock_flag(&stack_b, *(int *)arg, NET_ERROR);
}

static void tcp_abort_resets_peer(void **state)
{
	struct sim *sim = *state;
	struct pair p;
	uint8_t buf[16];

	pair_open(&p, sim, 0, 0, 0);
	assert_int_equal(net_tcp_abort(&stack_a, p.f[0].sock), 0);
	run_until(sim, b_error, &p.f[1].sock, 1000);
	assert_int_equal(net_tcp_recv(&stack_b, p.f[1].sock, buf, sizeof(buf)), NET_ECONNRESET);
	assert_int_equal(stack_b.cnt.tcp_rst_rx, 1);
	assert_int_equal(net_tcp_close(&stack_b, p.f[1].sock), 0);
	assert_int_equal(stack_b.sock[p.f[1].sock].kind, 0);
}

/* Closing with unread data resets the connection instead of a FIN. */
static void tcp_close_unread_resets(void **state)
{
	struct sim *sim = *state;
	struct pair p;

	pair_open(&p, sim, 0, 0, 0);
	assert_int_equal(net_tcp_send(&stack_a, p.f[0].sock, "data", 4), 4);
	sim_run_for(sim, 100);
	assert_true(sock_flag(&stack_b, p.f[1].sock, NET_READABLE));
	assert_int_equal(net_tcp_close(&stack_b, p.f[1].sock), 0);
	run_until(sim, a_error, &p.f[0].sock, 1000);
	assert_int_equal(net_tcp_recv(&stack_a, p.f[0].sock, NULL, 0), NET_ECONNRESET);
	net_tcp_close(&stack_a, p.f[0].sock);
}

static bool b_eof(void *arg)
{
	struct pair *p = arg;

	pair_done(p);
	return p->f[1].eof;
}

/* An orderly close both ways: A's FIN first, B's after A's EOF; A ends in TIME-WAIT. */
static void tcp_orderly_close(void **state)
{
	struct sim *sim = *state;
	struct pair p;
	struct net_tcp_info i;

	pair_open(&p, sim, 3000, 0, 0);
	p.f[1].shut = true; /* B's program closes when it has read A's EOF */
	run_until(sim, b_eof, &p, 10000);
	sim_run_for(sim, 100); /* B's ACK of the FIN reaches A */
	assert_int_equal(net_tcp_info(&stack_b, p.f[1].sock, &i), 0);
	assert_int_equal(i.state, NET_TCP_CLOSE_WAIT);
	assert_int_equal(net_tcp_info(&stack_a, p.f[0].sock, &i), 0);
	assert_int_equal(i.state, NET_TCP_FIN_WAIT_2);
	assert_int_equal(net_tcp_shutdown(&stack_b, p.f[1].sock), 0);
	run_until(sim, pair_done, &p, 10000);
	sim_run_for(sim, 100);
	pair_check(&p);
	assert_int_equal(net_tcp_info(&stack_a, p.f[0].sock, &i), 0);
	assert_int_equal(i.state, NET_TCP_TIME_WAIT);
	assert_true(sock_flag(&stack_a, p.f[0].sock, NET_CLOSED));
	assert_int_equal(net_tcp_info(&stack_b, p.f[1].sock, &i), 0);
	assert_int_equal(i.state, NET_TCP_CLOSED);
	assert_int_equal(net_tcp_recv(&stack_b, p.f[1].sock, NULL, 0), 0);
	assert_int_equal(net_tcp_send(&stack_b, p.f[1].sock, "x", 1), NET_EINVAL);
	pair_close(&p);
}

/* Both ends close at once (simultaneous close): both go through CLOSING to TIME-WAIT. */
static void tcp_simultaneous_close(void **state)
{
	struct sim *sim = *state;
	struct pair p;
	struct net_tcp_info i;

	pair_open(&p, sim, 0, 0, 0);
	assert_int_equal(net_tcp_shutdown(&stack_a, p.f[0].sock), 0);
	assert_int_equal(net_tcp_shutdown(&stack_b, p.f[1].sock), 0);
	p.f[0].shut = p.f[1].shut = true;
	run_until(sim, pair_done, &p, 10000);
	sim_run_for(sim, 100);
	assert_int_equal(net_tcp_info(&stack_a, p.f[0].sock, &i), 0);
	assert_int_equal(i.state, NET_TCP_TIME_WAIT);
	assert_int_equal(net_tcp_info(&stack_b, p.f[1].sock, &i), 0);
	assert_int_equal(i.state, NET_TCP_TIME_WAIT);
	pair_close(&p);
}

/* The peer's FIN is lost again and again: retransmissions still end the connection. */
static void tcp_fin_retransmitted(void **state)
{
	struct sim *sim = *state;
	struct pair p;

	pair_open(&p, sim, 100, 100, 0);
	sim->loss_pm = 300;
	run_until(sim, pair_done, &p, 600000);
	pair_check(&p);
	sim->loss_pm = 0;
	pair_close(&p);
}

/* A peer that stops answering: retransmissions back off, then the connection times out. */
static void tcp_timeout(void **state)
{
	struct sim *sim = *state;
	struct pair p;
	struct net_tcp_info i;

	pair_open(&p, sim, 0, 0, 0);
	sim->cut[1] = true;
	assert_int_equal(net_tcp_send(&stack_a, p.f[0].sock, "lost", 4), 4);
	sim_run_for(sim, 30000);
	assert_int_equal(net_tcp_info(&stack_a, p.f[0].sock, &i), 0);
	assert_true(i.rto_ms >= 3200); /* doubled at least four times from 200 ms */
	run_until(sim, a_error, &p.f[0].sock, (uint64_t)20u * 60000u);
	assert_int_equal(net_tcp_recv(&stack_a, p.f[0].sock, NULL, 0), NET_ETIMEDOUT);
	assert_int_equal(stack_a.cnt.tcp_timeouts, 13);
}

/* ---- TCP: windows ---- */

static bool b_full(void *arg)
{
	struct pair *p = arg;
	struct net_tcp_info i;

	pair_done(p);
	net_tcp_info(&stack_a, p->f[0].sock, &i);
	return stack_b.sock[p->f[1].sock].u.tcb.r_len == NET_TCP_BUF && i.snd_wnd == 0;
}

/* B does not read: A fills B's window, probes the zero window, and finishes once B reads. */
static void tcp_zero_window(void **state)
{
	struct sim *sim = *state;
	struct pair p;
	struct net_tcp_info i;

	pair_open(&p, sim, 300000, 0, 0);
	p.f[1].reader = false;
	run_until(sim, b_full, &p, 10000);
	assert_int_equal(net_tcp_info(&stack_a, p.f[0].sock, &i), 0);
	assert_int_equal(i.snd_wnd, 0);
	assert_true(i.unsent > 0);
	sim_run_for(sim, 120000); /* two minutes of a closed window */
	assert_true(stack_a.cnt.tcp_probes >= 5);
	assert_true(stack_b.cnt.tcp_out_of_window >= 5); /* the probes, refused and answered */
	assert_int_equal(net_tcp_info(&stack_a, p.f[0].sock, &i), 0);
	assert_int_equal(i.state, NET_TCP_CLOSE_WAIT); /* B sends nothing: it shut at once */
	assert_false(net_ready(&stack_a, p.f[0].sock) & NET_ERROR);
	p.f[1].reader = true;
	run_until(sim, pair_done, &p, 60000);
	pair_check(&p);
	pair_close(&p);
}

/* Watches A's data segments against the right edge of the window B advertised. */
struct edge_watch {
	bool seen;
	uint32_t edge;
	uint32_t max_len, beyond;
};

static void watch_edges(struct sim *sim, int from, const uint8_t *f, size_t len)
{
	struct edge_watch *w = sim->user;
	const uint8_t *t = f + 34;
	uint32_t seq, ack, wnd, dlen, hl;

	if (len < 54 || f[23] != 6)
		return;
	hl = (uint32_t)(t[12] >> 4) * 4u;
	seq = (uint32_t)t[4] << 24 | (uint32_t)t[5] << 16 | (uint32_t)t[6] << 8 | t[7];
	ack = (uint32_t)t[8] << 24 | (uint32_t)t[9] << 16 | (uint32_t)t[10] << 8 | t[11];
	wnd = (uint32_t)t[14] << 8 | t[15];
	dlen = (uint32_t)(((uint32_t)f[16] << 8 | f[17]) - 20u - hl);
	if (from == 1 && (t[13] & 0x10) && !(t[13] & 0x02)) {
		wnd <<= stack_b.sock[1].u.tcb.rcv_ws;
		if (!w->seen || (int32_t)(ack + wnd - w->edge) > 0)
			w->edge = ack + wnd;
		w->seen = true;
	} else if (from == 0 && dlen > 0 && w->seen) {
		w->max_len = dlen > w->max_len ? dlen : w->max_len;
		if ((int32_t)(seq + dlen - w->edge) > 0 && dlen > 1)
			w->beyond++;
	}
}

static void tcp_small_peer_window(void **state)
{
	struct sim *sim = *state;
	struct edge_watch w;
	struct pair p;

	memset(&w, 0, sizeof(w));
	sim->user = &w;
	sim->watch = watch_edges;
	pair_open(&p, sim, 200000, 0, 700);
	assert_int_equal(p.f[1].sock, 1); /* watch_edges reads this slot's scale */
	run_until(sim, pair_done, &p, 600000);
	pair_check(&p);
	assert_true(w.seen);
	assert_true(w.max_len <= 700);
	assert_true(w.max_len > 0);
	assert_int_equal(w.beyond, 0);
	sim->watch = NULL;
	pair_close(&p);
}

/* ---- TCP: a loss right after fast recovery ---- */

struct loss_watch {
	int sock;       /* A's connection */
	int stage;      /* 0: first loss due, 1: its fast retransmit due, 2: second loss due, 3 */
	uint32_t first; /* the segment lost first */
	uint32_t next;  /* A's snd_max when fast recovery began: the segment lost second */
};

/* Reads a TCP segment's sequence number and data length from Ethernet frame @f. */
static bool tcp_data_seg(const uint8_t *f, size_t len, uint32_t *seq, uint32_t *dlen)
{
	const uint8_t *t = f + 34;

	if (len < 54 || f[23] != 6)
		return false;
	*seq = (uint32_t)t[4] << 24 | (uint32_t)t[5] << 16 | (uint32_t)t[6] << 8 | t[7];
	*dlen = (uint32_t)(((uint32_t)f[16] << 8 | f[17]) - 20u - (uint32_t)(t[12] >> 4) * 4u);
	return *dlen > 0;
}

/* Loses A's first data segment past 20 MSS; once it is resent (fast recovery), loses the
 * first segment at the recovery point, A's snd_max of then, so that the next loss comes
 * right where the recovery ends. */
static void lose_at_recovery_end(struct sim *sim, int from, const uint8_t *f, size_t len)
{
	struct loss_watch *w = sim->user;
	const struct net_tcb *t = &stack_a.sock[w->sock].u.tcb;
	uint32_t seq, dlen;

	sim->cut[0] = false;
	if (from != 0 || !tcp_data_seg(f, len, &seq, &dlen))
		return;
	if (w->stage == 0 && (int32_t)(seq - t->iss - 1u - 20u * NET_TCP_MSS) >= 0) {
		w->first = seq;
		sim->cut[0] = true;
		w->stage = 1;
	} else if (w->stage == 1 && seq == w->first) {
		w->next = t->snd_max;
		w->stage = 2;
	} else if (w->stage == 2 && seq == w->next) {
		sim->cut[0] = true;
		w->stage = 3;
	}
}

/* RFC 6582: recover is the highest sequence number sent when recovery began; duplicate ACKs
 * whose cumulative ACK covers more than that start a new fast recovery. A loss of the first
 * segment after the old recovery point is repaired by fast retransmit, not by a timeout. */
static void tcp_loss_after_recovery(void **state)
{
	struct sim *sim = *state;
	struct loss_watch w;
	struct pair p;

	memset(&w, 0, sizeof(w));
	pair_open(&p, sim, 300000, 0, 0);
	w.sock = p.f[0].sock;
	sim->user = &w;
	sim->watch = lose_at_recovery_end;
	run_until(sim, pair_done, &p, 600000);
	pair_check(&p);
	assert_int_equal(w.stage, 3);
	assert_int_equal(stack_a.cnt.tcp_fast_retransmits, 2);
	assert_int_equal(stack_a.cnt.tcp_timeouts, 0);
	sim->watch = NULL;
	pair_close(&p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(arp_resolution, sim_setup, sim_teardown),
		cmocka_unit_test_setup_teardown(arp_retry_and_give_up, sim_setup, sim_teardown),
		cmocka_unit_test_setup_teardown(arp_announce_updates_peer, sim_setup, sim_teardown),
		cmocka_unit_test_setup_teardown(ping, sim_setup, sim_teardown),
		cmocka_unit_test_setup_teardown(udp_echo, sim_setup, sim_teardown),
		cmocka_unit_test_setup_teardown(tcp_transfer_clean, sim_setup, sim_teardown),
		cmocka_unit_test_setup_teardown(tcp_transfer_lossy, sim_setup, sim_teardown),
		cmocka_unit_test_setup_teardown(tcp_refused, sim_setup, sim_teardown),
		cmocka_unit_test_setup_teardown(tcp_abort_resets_peer, sim_setup, sim_teardown),
		cmocka_unit_test_setup_teardown(tcp_close_unread_resets, sim_setup, sim_teardown),
		cmocka_unit_test_setup_teardown(tcp_orderly_close, sim_setup, sim_teardown),
		cmocka_unit_test_setup_teardown(tcp_simultaneous_close, sim_setup, sim_teardown),
		cmocka_unit_test_setup_teardown(tcp_fin_retransmitted, sim_setup, sim_teardown),
		cmocka_unit_test_setup_teardown(tcp_timeout, sim_setup, sim_teardown),
		cmocka_unit_test_setup_teardown(tcp_zero_window, sim_setup, sim_teardown),
		cmocka_unit_test_setup_teardown(tcp_small_peer_window, sim_setup, sim_teardown),
		cmocka_unit_test_setup_teardown(tcp_loss_after_recovery, sim_setup, sim_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
