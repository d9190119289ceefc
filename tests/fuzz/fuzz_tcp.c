/* Fuzz target `tcp`: libnet's TCP input - arbitrary segments against a live connection. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libnet.h>

/*
 * Two stacks, A (10.0.0.1) and B (10.0.0.2), joined by a loss-free link, open a connection
 * (A to B's listener on port 80); each has queued 3000 bytes, and B's answers are still in
 * flight. Then the input, as records: a mode byte, a 2-byte big-endian length, and that many
 * bytes of a TCP segment (header and payload) that reach B as if A sent them.
 *   mode bit 0: the ports are set to the connection's      bit 1: seq += B's rcv_nxt
 *   mode bit 2: ack += B's snd_una                          bit 3: keep a bad checksum
 *   mode bit 4: let B's pending frames reach A first       bits 5-7: clock step (x 100 ms)
 * After each record B's connection must keep its invariants: buffers within bounds,
 * snd_una <= snd_nxt <= snd_max, in-flight data no more than what is buffered (plus SYN and
 * FIN), a state of the enum. At the end both programs read, write and close, and the clock
 * runs on until every timer has fired.
 */
#define IP_A 0x0a000001u
#define IP_B 0x0a000002u
#define LINK_FRAMES 512u

/**
 * libFuzzer's entry: runs the segments in the @size bytes at @data against a fresh connection.
 * Returns: 0; abort()s (after a line naming the broken rule) on any inconsistency.
 */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct net_stack st[2];
static struct link {
	uint16_t len[LINK_FRAMES];
	uint8_t to[LINK_FRAMES];
	uint8_t f[LINK_FRAMES][NET_FRAME_MAX];
	unsigned n;
} link;
static int sock_a, sock_b;
static uint64_t now;

static void broken(const char *rule)
{
	fprintf(stderr, "fuzz_tcp: %s\n", rule);
	abort();
}

static void link_send(void *ctx, const uint8_t *f, size_t len)
{
	int from = ctx == &st[0] ? 0 : 1;

	if (len > NET_FRAME_MAX)
		broken("a frame longer than 1514 bytes");
	if (link.n == LINK_FRAMES)
		return;
	memcpy(link.f[link.n], f, len);
	link.len[link.n] = (uint16_t)len;
	link.to[link.n++] = (uint8_t)(1 - from);
}

/* Delivers queued frames (only those to A if @to_a_only) until the link is quiet. */
static void deliver(int to_a_only)
{
	static uint8_t f[NET_FRAME_MAX];

	for (unsigned rounds = 0; link.n && rounds < 4 * LINK_FRAMES; rounds++) {
		unsigned i = 0, len;
		int to;

		while (to_a_only && i < link.n && link.to[i] != 0)
			i++;
		if (i == link.n)
			return;
		to = link.to[i];
		len = link.len[i];
		memcpy(f, link.f[i], len);
		memmove(&link.f[i], &link.f[i + 1], (size_t)(link.n - i - 1) * NET_FRAME_MAX);
		memmove(&link.len[i], &link.len[i + 1], (size_t)(link.n - i - 1) * 2u);
		memmove(&link.to[i], &link.to[i + 1], (size_t)(link.n - i - 1));
		link.n--;
		net_input(&st[to], f, len);
	}
}

static void init_stack(int i)
{
	struct net_config c;

	memset(&c, 0, sizeof(c));
	memcpy(c.mac, "\x02\x00\x00\x00\x00", 5);
	c.mac[5] = (uint8_t)(i + 1);
	c.ip = i ? IP_B : IP_A;
	c.netmask = 0xffffff00u;
	c.seed = 3;
	c.send = link_send;
	c.ctx = &st[i];
	if (net_init(&st[i], &c, 0) != 0)
		broken("net_init refused");
}

static void open_connection(void)
{
	static uint8_t bytes[3000];
	int l;

	link.n = 0;
	now = 0;
	init_stack(0);
	init_stack(1);
	l = net_tcp_listen(&st[1], 80, 1);
	sock_a = net_tcp_connect(&st[0], IP_B, 80);
	deliver(0);
	sock_b = net_tcp_accept(&st[1], l);
	if (l < 0 || sock_a < 0 || sock_b < 0)
		broken("the connection did not open");
	memset(bytes, 'a', sizeof(bytes));
	net_tcp_send(&st[0], sock_a, bytes, sizeof(bytes));
	deliver(0);
	memset(bytes, 'b', sizeof(bytes));
	net_tcp_send(&st[1], sock_b, bytes, sizeof(bytes)); /* in flight: not delivered */
}

static void check(void)
{
	const struct net_socket *so = &st[1].sock[sock_b];
	const struct net_tcb *t = &so->u.tcb;

	if (so->kind != 2)
		return; /* freed: nothing to check */
	if (t->state > NET_TCP_TIME_WAIT)
		broken("a state outside the enum");
	if (t->s_len > NET_TCP_BUF || t->r_len > NET_TCP_BUF || t->s_head >= NET_TCP_BUF ||
	    t->r_head >= NET_TCP_BUF)
		broken("a buffer out of bounds");
	if ((int32_t)(t->snd_nxt - t->snd_una) < 0 || (int32_t)(t->snd_max - t->snd_nxt) < 0)
		broken("snd_una <= snd_nxt <= snd_max broken");
	if (t->state >= NET_TCP_ESTABLISHED && t->snd_max - t->snd_una > t->s_len + 2u)
		broken("more in flight than buffered");
	if (t->mss < 64 || t->mss > NET_TCP_MSS || t->snd_ws > 14)
		broken("an MSS or window scale out of range");
}

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static void put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static uint32_t sum16(uint32_t sum, const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		sum += i & 1u ? p[i] : (uint32_t)p[i] << 8;
	return sum;
}

static uint16_t fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffffu) + (sum >> 16);
	return (uint16_t)~sum;
}

/* Wraps segment @seg (@len bytes, already adjusted) in IPv4 and Ethernet, into B. */
static void inject(uint8_t *seg, size_t len, unsigned mode)
{
	static uint8_t f[14 + 20 + NET_FRAME_MAX];
	uint8_t *ip = f + 14;
	uint32_t ps = (IP_A >> 16) + (IP_A & 0xffffu) + (IP_B >> 16) + (IP_B & 0xffffu) + 6u +
	              (uint32_t)len;

	if (len >= 18 && !(mode & 8u)) {
		seg[16] = seg[17] = 0;
		ps = fold(sum16(ps, seg, len));
		seg[16] = (uint8_t)(ps >> 8);
		seg[17] = (uint8_t)ps;
	}
	memcpy(f, st[1].cfg.mac, 6);
	memcpy(f + 6, st[0].cfg.mac, 6);
	f[12] = 0x08;
	f[13] = 0;
	memset(ip, 0, 20);
	ip[0] = 0x45;
	ip[2] = (uint8_t)((20 + len) >> 8);
	ip[3] = (uint8_t)(20 + len);
	ip[8] = 64;
	ip[9] = 6;
	put32(ip + 12, IP_A);
	put32(ip + 16, IP_B);
	ps = fold(sum16(0, ip, 20));
	ip[10] = (uint8_t)(ps >> 8);
	ip[11] = (uint8_t)ps;
	memcpy(ip + 20, seg, len);
	net_input(&st[1], f, 14 + 20 + len);
}

static void record(unsigned mode, const uint8_t *p, size_t len)
{
	static uint8_t seg[NET_FRAME_MAX];
	const struct net_socket *b = &st[1].sock[sock_b];

	memcpy(seg, p, len);
	if ((mode & 1u) && len >= 4) {
		seg[0] = (uint8_t)(b->rport >> 8);
		seg[1] = (uint8_t)b->rport;
		seg[2] = (uint8_t)(b->lport >> 8);
		seg[3] = (uint8_t)b->lport;
	}
	if ((mode & 2u) && len >= 8)
		put32(seg + 4, get32(seg + 4) + b->u.tcb.rcv_nxt);
	if ((mode & 4u) && len >= 12)
		put32(seg + 8, get32(seg + 8) + b->u.tcb.snd_una);
	if (mode & 16u)
		deliver(1);
	inject(seg, len, mode);
	now += (mode >> 5) * 100u;
	net_poll(&st[0], now);
	net_poll(&st[1], now);
	check();
}

static void finish(void)
{
	static uint8_t buf[4096];

	for (int i = 0; i < 2; i++) {
		int s = i ? sock_b : sock_a;

		net_tcp_recv(&st[i], s, buf, sizeof(buf));
		net_tcp_send(&st[i], s, buf, 100);
		net_tcp_close(&st[i], s);
	}
	for (int k = 0; k < 60; k++) {
		deliver(0);
		net_poll(&st[0], now += 3000);
		net_poll(&st[1], now);
		check();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	open_connection();
	while (size >= 3) {
		unsigned mode = data[0];
		size_t len = (size_t)data[1] << 8 | data[2];

		data += 3;
		size -= 3;
		len = len < size ? len : size;
		len = len < NET_FRAME_MAX - 34u ? len : NET_FRAME_MAX - 34u;
		record(mode, data, len);
		data += len;
		size -= len;
	}
	finish();
	return 0;
}
