/* xfer: a checksummed TCP transfer both ways between two machines (tests/system/net_relay). */
#include <stdio.h>

#include <net_port.h>

/*
 * Built twice from this file (apps/meson.build): XFER_CLIENT connects from 10.0.9.1 to
 * 10.0.9.2 port XFER_PORT, sends XFER_BYTES bytes of pattern A and ends its half; the other
 * build listens on 10.0.9.2, reads the stream to its end, checks it against pattern A, sends
 * as many bytes of pattern B back and closes. The client checks pattern B. Each end prints
 * the CRC-32 of what it sent and received, the rate, and libnet's loss counters, then keeps
 * its stack running (late ACKs, TIME-WAIT) until the machine is stopped.
 */
#ifndef XFER_BYTES
#define XFER_BYTES (8u << 20)
#endif
#ifdef XFER_CLIENT
#define XFER_ROLE_CLIENT 1
#define XFER_IP 0x0a000901u   /* 10.0.9.1 */
#define XFER_PEER 0x0a000902u /* 10.0.9.2 */
#else
#define XFER_ROLE_CLIENT 0
#define XFER_IP 0x0a000902u
#define XFER_PEER 0x0a000901u
#endif
#define XFER_PORT 9u
#define XFER_MASK 0xffffff00u
#define XFER_SEED_A 0x9e3779b9u /* client to server */
#define XFER_SEED_B 0x85ebca6bu /* server to client */
#define XFER_BLOCK 4096u
#define XFER_CONNECT_TRIES 30u

/* One direction's stream as either end sees it: a pattern, how far it went, its CRC-32. */
struct stream {
	uint32_t seed;
	uint64_t done;      /* bytes sent or received */
	uint64_t bad;       /* received bytes that differ from the pattern */
	uint64_t first_bad; /* offset of the first such byte */
	uint32_t crc;       /* running CRC-32 (inverted) */
	uint64_t started_ms, ended_ms;
	uint64_t block_no; /* the block in @block (UINT64_MAX: none yet) */
	uint8_t block[XFER_BLOCK];
};

static struct net_stack stack;
static struct net_port port;
static uint32_t crc_table[256];
static uint8_t inbuf[XFER_BLOCK];

static void crc_init(void)
{
	for (uint32_t i = 0; i < 256; i++) {
		uint32_t c = i;
		for (int k = 0; k < 8; k++)
			c = (c >> 1) ^ (0xedb88320u & (0u - (c & 1u)));
		crc_table[i] = c;
	}
}

static uint32_t crc_update(uint32_t crc, const uint8_t *p, size_t len)
{
	for (size_t i = 0; i < len; i++)
		crc = crc_table[(crc ^ p[i]) & 0xffu] ^ (crc >> 8);
	return crc;
}

/* A 32-bit mix of a word index and the stream's seed (no period a transfer could reach). */
static uint32_t mix(uint64_t word, uint32_t seed)
{
	uint32_t x = (uint32_t)word ^ seed ^ (uint32_t)(word >> 32) * 0x27d4eb2fu;
	x ^= x >> 16;
	x *= 0x7feb352du;
	x ^= x >> 15;
	x *= 0x846ca68bu;
	x ^= x >> 16;
	return x;
}

/* Returns the pattern's bytes from @off to the end of its block (and how many in @len). */
static const uint8_t *pattern_at(struct stream *st, uint64_t off, uint32_t *len)
{
	uint64_t no = off / XFER_BLOCK;

	if (st->block_no != no) {
		for (uint32_t w = 0; w < XFER_BLOCK / 4u; w++) {
			uint32_t v = mix(no * (XFER_BLOCK / 4u) + w, st->seed);
			for (uint32_t b = 0; b < 4u; b++)
				st->block[w * 4u + b] = (uint8_t)(v >> (8u * b));
		}
		st->block_no = no;
	}
	*len = XFER_BLOCK - (uint32_t)(off % XFER_BLOCK);
	return st->block + off % XFER_BLOCK;
}

static void stream_start(struct stream *st, uint32_t seed)
{
	st->seed = seed;
	st->done = st->bad = st->first_bad = 0;
	st->crc = 0xffffffffu;
	st->block_no = UINT64_MAX;
	st->started_ms = bh_now_ms();
}

/* Takes @n received bytes at @buf: CRC and comparison with the pattern. */
static void stream_take(struct stream *st, const uint8_t *buf, uint32_t n)
{
	st->crc = crc_update(st->crc, buf, n);
	for (uint32_t i = 0; i < n;) {
		uint32_t len;
		const uint8_t *want = pattern_at(st, st->done + i, &len);
		for (uint32_t k = 0; k < len && i + k < n; k++)
			if (want[k] != buf[i + k] && st->bad++ == 0)
				st->first_bad = st->done + i + k;
		i += len;
	}
	st->done += n;
}

/* One turn of the event loop; a broken port ends the program. */
static void step(void)
{
	int r = net_port_run_once(&stack, &port);
	if (r < 0) {
		printf("xfer: the port broke (error %d)\n", r);
		bh_flush();
		for (;;)
			bh_wait();
	}
}

/* Sends @total bytes of @st's pattern on @sock. Returns 0 or the connection's error. */
static int send_all(int sock, struct stream *st, uint64_t total)
{
	while (st->done < total) {
		uint32_t len;
		const uint8_t *p = pattern_at(st, st->done, &len);
		if (len > total - st->done)
			len = (uint32_t)(total - st->done);
		int n = net_tcp_send(&stack, sock, p, len);
		if (n < 0) {
			st->ended_ms = bh_now_ms();
			return n;
		}
		st->crc = crc_update(st->crc, p, (uint32_t)n);
		st->done += (uint32_t)n;
		if (n == 0)
			step();
	}
	st->ended_ms = bh_now_ms();
	return 0;
}

/* Reads @sock to the end of its stream into @st. Returns 0 or the connection's error. */
static int recv_all(int sock, struct stream *st)
{
	for (;;) {
		int n = net_tcp_recv(&stack, sock, inbuf, sizeof(inbuf));
		if (n == 0)
			break;
		if (n == NET_EAGAIN) {
			step();
			continue;
		}
		if (n < 0) {
			st->ended_ms = bh_now_ms();
			return n;
		}
		stream_take(st, inbuf, (uint32_t)n);
	}
	st->ended_ms = bh_now_ms();
	return 0;
}

/* Runs the stack until every byte sent on @sock is acknowledged. Returns 0, or the
 * connection's error if it ended first. */
static int wait_acked(int sock)
{
	struct net_tcp_info info;

	while (net_tcp_info(&stack, sock, &info) == 0 && (info.unsent || info.unacked)) {
		if (net_ready(&stack, sock) & NET_ERROR) {
			int err = net_tcp_recv(&stack, sock, inbuf, 0);
			return err < 0 ? err : NET_EINVAL;
		}
		step();
	}
	return 0;
}

/* Prints what @st sent and the verdict @name: @want bytes sent and acknowledged, no error. */
static void print_sent(const char *name, const char *dir, const struct stream *st, uint64_t want,
                       int err)
{
	uint64_t ms = st->ended_ms > st->started_ms ? st->ended_ms - st->started_ms : 1u;
	printf("xfer: %s sent %llu bytes, crc32 %08x, %llu ms, %llu KiB/s\n", dir,
	       (unsigned long long)st->done, ~st->crc, (unsigned long long)ms,
	       (unsigned long long)(st->done * 1000u / ms / 1024u));
	printf("TEST %s %s %llu of %llu bytes, error %d\n", name,
	       err == 0 && st->done == want ? "PASS" : "FAIL", (unsigned long long)st->done,
	       (unsigned long long)want, err);
	bh_flush();
}

/* Prints what @st received and the verdict @name: exactly @want bytes of the pattern. */
static void print_received(const char *name, const char *dir, const struct stream *st,
                           uint64_t want, int err)
{
	uint64_t ms = st->ended_ms > st->started_ms ? st->ended_ms - st->started_ms : 1u;
	printf("xfer: %s received %llu bytes, crc32 %08x, %llu ms, %llu KiB/s\n", dir,
	       (unsigned long long)st->done, ~st->crc, (unsigned long long)ms,
	       (unsigned long long)(st->done * 1000u / ms / 1024u));
	bool ok = err == 0 && st->done == want && st->bad == 0;
	printf("TEST %s %s %llu of %llu bytes, %llu differ from the pattern (first at %llu), "
	       "error %d\n",
	       name, ok ? "PASS" : "FAIL", (unsigned long long)st->done, (unsigned long long)want,
	       (unsigned long long)st->bad, (unsigned long long)st->first_bad, err);
	bh_flush();
}

static void print_counters(int sock)
{
	const struct net_counters *c = &stack.cnt;
	struct net_tcp_info info = {0};

	(void)net_tcp_info(&stack, sock, &info);
	printf("xfer: tcp: %llu retransmitted (%llu fast, %llu timeouts), %llu out of order in, "
	       "%llu duplicate or out of window in, %llu segments in, %llu out\n",
	       (unsigned long long)c->tcp_retransmits, (unsigned long long)c->tcp_fast_retransmits,
	       (unsigned long long)c->tcp_timeouts, (unsigned long long)c->tcp_out_of_order,
	       (unsigned long long)c->tcp_out_of_window, (unsigned long long)c->tcp_segs_in,
	       (unsigned long long)c->tcp_segs_out);
	printf("xfer: checksum failures dropped: ip %llu, tcp %llu, udp %llu, icmp %llu; "
	       "srtt %u ms, rto %u ms, cwnd %u\n",
	       (unsigned long long)c->ip_bad_csum, (unsigned long long)c->tcp_bad_csum,
	       (unsigned long long)c->udp_bad_csum, (unsigned long long)c->icmp_bad_csum,
	       info.srtt_ms, info.rto_ms, info.cwnd);
	printf("xfer: port: %llu frames in, %llu out, %llu not sent (no transmit buffer), "
	       "%llu transmit errors\n",
	       (unsigned long long)port.cnt.rx_frames, (unsigned long long)port.cnt.tx_frames,
	       (unsigned long long)port.cnt.tx_no_buffer, (unsigned long long)port.cnt.tx_errors);
	bh_flush();
}

/* Connects to the server, trying again while it is not up yet. Returns the socket or -1. */
static int connect_peer(void)
{
	for (uint32_t i = 0; i < XFER_CONNECT_TRIES; i++) {
		int sock = net_tcp_connect(&stack, XFER_PEER, XFER_PORT);
		if (sock < 0)
			return -1;
		while (!(net_ready(&stack, sock) & (NET_CONNECTED | NET_ERROR)))
			step();
		if (net_ready(&stack, sock) & NET_CONNECTED)
			return sock;
		(void)net_tcp_abort(&stack, sock);
		uint64_t until = bh_now_ms() + 1000u;
		while (bh_now_ms() < until)
			step();
	}
	return -1;
}

static struct stream out, in;

static void client(void)
{
	int sock = connect_peer();
	if (sock < 0) {
		printf("TEST xfer.connect FAIL no connection to 10.0.9.2 port %u\n", XFER_PORT);
		return;
	}
	stream_start(&out, XFER_SEED_A);
	int err = send_all(sock, &out, XFER_BYTES);
	if (!err)
		err = net_tcp_shutdown(&stack, sock);
	if (!err)
		err = wait_acked(sock);
	print_sent("xfer.a_sent", "a->b", &out, XFER_BYTES, err);
	stream_start(&in, XFER_SEED_B);
	if (!err)
		err = recv_all(sock, &in);
	print_received("xfer.b_to_a", "b->a", &in, XFER_BYTES, err);
	print_counters(sock);
}

static void server(void)
{
	int listener = net_tcp_listen(&stack, XFER_PORT, 1), sock;

	while ((sock = net_tcp_accept(&stack, listener)) == NET_EAGAIN)
		step();
	if (sock < 0) {
		printf("TEST xfer.accept FAIL error %d\n", sock);
		return;
	}
	stream_start(&in, XFER_SEED_A);
	int err = recv_all(sock, &in);
	print_received("xfer.a_to_b", "a->b", &in, XFER_BYTES, err);
	stream_start(&out, XFER_SEED_B);
	if (!err)
		err = send_all(sock, &out, in.done);
	if (!err)
		err = net_tcp_shutdown(&stack, sock);
	if (!err)
		err = wait_acked(sock);
	print_sent("xfer.b_sent", "b->a", &out, in.done, err);
	print_counters(sock);
}

int main(void)
{
	struct net_config cfg = {.ip = XFER_IP, .netmask = XFER_MASK};

	cfg.seed = (uint32_t)bh_rdtsc();
	crc_init();
	int err = net_port_open(&port, &stack, "net", "net-data", &cfg);
	if (err) {
		printf("xfer: no network port (error %d)\n", err);
		return 1;
	}
	const uint8_t *m = port.mac;
	printf("xfer: %s 10.0.9.%u, mac %02x:%02x:%02x:%02x:%02x:%02x, %llu bytes each way\n",
	       XFER_ROLE_CLIENT ? "client" : "server", XFER_IP & 0xffu, m[0], m[1], m[2], m[3],
	       m[4], m[5], (unsigned long long)XFER_BYTES);
	bh_flush();
	if (XFER_ROLE_CLIENT)
		client();
	else
		server();
	for (;;)
		step();
}
