/* vswitch system test's clients: frames between two ports, a stalled port, spoofing, garbage. */
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include <bh.h>
#include <net_proto.h>

#include "verdict.h"

/*
 * One image, four roles by domain name (manifest tests/system/vswitch):
 *   vsa  sends: waits for vsb's broadcast, pings vsb, floods the stalled port then pings
 *        again, sends a frame as vsb (spoofed), bad descriptors, an ARP request for QEMU's
 *        gateway through the uplink; then signals the switch to print its counters.
 *   vsb  answers every ping of vsa (a pong saying whether a spoofed frame arrived).
 *   vss  stalls: never gives the switch a receive buffer.
 *   vsh  hostile: one good INFO, then an impossible ring index.
 * Frames of the test carry ethertype 0x88b5 (local experimental) and a one-byte kind.
 */
#define BUF_STRIDE 2048u
#define BUF_LEN 1600u
#define N_RX 16u
#define TX_AT (40u * BUF_STRIDE + 64u)
#define ETH_TEST 0x88b5u
#define FLOOD 300u
#define PINGS 50u
#define MAX_MSGS 4096u

enum kind { K_HELLO = 1, K_PING, K_PONG, K_SPOOF, K_FLOOD };

static struct bh_ring ring;
static uint8_t *data;
static uint64_t data_size;
static struct net_resp info;
static uint64_t next_tag = 100;
static uint8_t my_mac[6];
static const uint8_t mac_a[6] = {2, 0, 0, 0, 0, 0x10}, mac_b[6] = {2, 0, 0, 0, 0, 0x11},
		     mac_s[6] = {2, 0, 0, 0, 0, 0x12},
		     bcast[6] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};

static uint64_t send_req(uint32_t op, uint64_t offset, uint64_t length)
{
	static struct net_req r;
	uint64_t tag = next_tag++;

	r = (struct net_req){op, 0, offset, length};
	(void)bh_ring_put(&ring, NET_MSG_REQ, tag, &r, sizeof(r));
	bh_ring_flush(&ring);
	return tag;
}

/* The next answer from the switch, into *@resp with its tag. False if the ring fails. */
static bool next_answer(uint64_t *tag, struct net_resp *resp)
{
	struct ring_msg m = {0};

	if (bh_ring_take(&ring, &m) != RING_OK || m.len != sizeof(*resp) || m.type != NET_MSG_RESP)
		return false;
	memcpy(resp, m.data, sizeof(*resp));
	*tag = m.tag;
	bh_ring_release(&ring);
	return true;
}

static uint64_t rx_offset(uint32_t i)
{
	return (uint64_t)i * BUF_STRIDE + 64u;
}

/* Waits for the answer to @tag; a received test frame meanwhile is dropped (its buffer given
 * back). Returns the answer's status, or NET_STATUS_COUNT if none came. */
static uint32_t wait_status(uint64_t tag)
{
	struct net_resp r;
	uint64_t got;

	for (uint32_t i = 0; i < MAX_MSGS && next_answer(&got, &r); i++) {
		if (got == tag)
			return r.status;
		if (r.op == NET_OP_RX)
			(void)send_req(NET_OP_RX, r.offset, BUF_LEN);
	}
	return NET_STATUS_COUNT;
}

/* Waits for a frame of ethertype @type (and test kind @kind if a test frame); copies it into
 * @out (up to 64 bytes). Returns its length, or 0 if none came. */
static uint32_t recv_frame(uint16_t type, uint8_t kind, uint8_t *out)
{
	struct net_resp r;
	uint64_t got;

	for (uint32_t i = 0; i < MAX_MSGS && next_answer(&got, &r); i++) {
		if (r.op != NET_OP_RX || r.status != NET_OK)
			continue;
		const uint8_t *f = data + r.offset;
		uint32_t len = r.length;
		bool match = len >= 15 && (uint16_t)(f[12] << 8 | f[13]) == type &&
		             (type != ETH_TEST || f[14] == kind);
		memcpy(out, f, len < 64 ? len : 64);
		(void)send_req(NET_OP_RX, r.offset, BUF_LEN);
		if (match)
			return len;
	}
	return 0;
}

/* Sends a frame to @dst from @src of ethertype @type with @body; waits for its answer. */
static uint32_t send_frame(const uint8_t *dst, const uint8_t *src, uint16_t type,
                           const uint8_t *body, uint32_t n)
{
	uint8_t *f = data + TX_AT;

	memset(f, 0, 60);
	memcpy(f, dst, 6);
	memcpy(f + 6, src, 6);
	f[12] = (uint8_t)(type >> 8);
	f[13] = (uint8_t)type;
	memcpy(f + 14, body, n);
	return wait_status(send_req(NET_OP_TX, TX_AT, 14u + n < 60u ? 60u : 14u + n));
}

static bool open_port(const char *name)
{
	const struct bh_info_entry *p = bh_lookup(name, BH_RES_PORT);
	const struct bh_info_entry *map = p ? bh_lookup(p->peer, BH_RES_MAP) : NULL;

	if (!map || !bh_ring_open(name, &ring))
		return false;
	data = (uint8_t *)(uintptr_t)map->vaddr;
	data_size = map->size;
	for (uint32_t i = 0; i < 6; i++)
		my_mac[i] = (uint8_t)(p->vaddr >> (40u - 8u * i));
	uint64_t tag = send_req(NET_OP_INFO, 0, 0);
	struct net_resp r;
	if (!next_answer(&tag, &r))
		return false;
	info = r;
	return r.status == NET_OK && memcmp(r.mac, my_mac, 6) == 0 && r.region_size == data_size;
}

static void post_rx(void)
{
	for (uint32_t i = 0; i < N_RX; i++)
		(void)send_req(NET_OP_RX, rx_offset(i), BUF_LEN);
}

/* Pings vsb with sequence @seq; returns true if its pong came back. *@spoof_seen from it. */
static bool ping(uint8_t seq, uint8_t *spoof_seen)
{
	uint8_t body[2] = {K_PING, seq}, f[64];

	if (send_frame(mac_b, my_mac, ETH_TEST, body, 2) != NET_OK)
		return false;
	if (!recv_frame(ETH_TEST, K_PONG, f) || f[15] != seq)
		return false;
	*spoof_seen = f[16];
	return memcmp(f + 6, mac_b, 6) == 0;
}

static uint32_t pings(uint32_t n, uint8_t *spoof_seen)
{
	uint32_t ok = 0;

	for (uint32_t i = 0; i < n; i++)
		ok += ping((uint8_t)i, spoof_seen);
	return ok;
}

static void test_stalled(void)
{
	uint8_t body[1] = {K_FLOOD}, seen = 0;
	uint32_t sent = 0;

	for (uint32_t i = 0; i < FLOOD; i++)
		sent += send_frame(mac_s, my_mac, ETH_TEST, body, 1) == NET_OK;
	uint32_t ok = pings(PINGS, &seen);
	verdict("vswitch.stalled", sent == FLOOD && ok == PINGS,
	        "%u of %u pings answered after %u frames to a port that does not read", ok, PINGS,
	        sent);
}

static void test_spoof(void)
{
	uint8_t body[1] = {K_SPOOF}, seen = 1;
	uint32_t st = send_frame(mac_b, mac_b, ETH_TEST, body, 1);
	bool ok = ping(200, &seen);

	verdict("vswitch.spoof", st == NET_OK && ok && seen == 0, "a frame sent as vsb %s vsb",
	        ok && seen == 0 ? "did not reach" : "reached");
}

/* Bad descriptors, each answered with its status; then a ping still goes through. */
static void test_hostile(void)
{
	static const struct {
		uint32_t op;
		uint64_t off, len;
		uint32_t want;
	} bad[] = {
		{NET_OP_TX, TX_AT, 13, NET_EINVAL},
		{NET_OP_TX, TX_AT, 1515, NET_EINVAL},
		{NET_OP_TX, TX_AT, 0, NET_EINVAL},
		{NET_OP_TX, 1ull << 40, 60, NET_EFAULT},
		{NET_OP_TX, 8, 60, NET_EFAULT},
		{NET_OP_RX, 20u * BUF_STRIDE + 64u, 100, NET_EINVAL},
		{NET_OP_RX, ~0ull - 100, 1514, NET_EFAULT},
		{9, TX_AT, 60, NET_EINVAL},
	};
	uint32_t right = 0, n = sizeof(bad) / sizeof(bad[0]);
	uint8_t seen;

	for (uint32_t i = 0; i < n; i++)
		right += wait_status(send_req(bad[i].op, bad[i].off, bad[i].len)) == bad[i].want;
	static const uint8_t junk[8] = {1, 2, 3};
	(void)bh_ring_put(&ring, NET_MSG_RESP, 77, junk, sizeof(junk));
	right += wait_status(77) == NET_EINVAL;
	bool ok = ping(201, &seen);
	verdict("vswitch.hostile", right == n + 1 && ok,
	        "%u of %u bad descriptors answered with their status; ping after them %s", right,
	        n + 1, ok ? "answered" : "lost");
}

/* An ARP request for 10.0.2.2 from 10.0.2.16 through the switch's uplink. */
static void test_arp(void)
{
	uint8_t body[28] = {0, 1, 8, 0, 6, 4, 0, 1}, f[64];
	static const uint8_t me[4] = {10, 0, 2, 16}, gw[4] = {10, 0, 2, 2};

	memcpy(body + 8, my_mac, 6);
	memcpy(body + 14, me, 4);
	memcpy(body + 24, gw, 4);
	uint32_t st = send_frame(bcast, my_mac, 0x0806, body, 28);
	uint32_t len = recv_frame(0x0806, 0, f);
	bool ok = st == NET_OK && len >= 42 && f[21] == 2 && memcmp(f + 28, gw, 4) == 0 &&
	          memcmp(f, my_mac, 6) == 0;
	verdict("vswitch.uplink_arp", ok, "10.0.2.2 is at %02x:%02x:%02x:%02x:%02x:%02x", f[22],
	        f[23], f[24], f[25], f[26], f[27]);
}

static void run_a(void)
{
	uint8_t f[64], seen = 1;
	struct bh_channel stats;

	post_rx();
	bool hello = recv_frame(ETH_TEST, K_HELLO, f) && memcmp(f, bcast, 6) == 0 &&
	             memcmp(f + 6, mac_b, 6) == 0;
	verdict("vswitch.broadcast", hello, "vsb's broadcast %s", hello ? "came" : "did not come");
	bool one = ping(1, &seen);
	verdict("vswitch.unicast", one, "ping to vsb %s", one ? "answered" : "lost");
	test_stalled();
	test_spoof();
	test_hostile();
	test_arp();
	if (bh_channel_open("stats", &stats))
		(void)bh_signal(stats.slot);
	verdict("vswitch.done", true, "counters asked for");
}

/* vsb: announces itself by broadcast, then answers pings; remembers a spoofed frame. */
static void run_b(void)
{
	uint8_t hello[1] = {K_HELLO}, f[64], spoofed = 0;

	post_rx();
	(void)send_frame(bcast, my_mac, ETH_TEST, hello, 1);
	for (;;) {
		struct net_resp r;
		uint64_t got;
		if (!next_answer(&got, &r))
			return;
		if (r.op != NET_OP_RX || r.status != NET_OK)
			continue;
		memcpy(f, data + r.offset, 64);
		(void)send_req(NET_OP_RX, r.offset, BUF_LEN);
		spoofed |= f[12] == 0x88 && f[13] == 0xb5 && f[14] == K_SPOOF;
		if (f[12] == 0x88 && f[13] == 0xb5 && f[14] == K_PING) {
			uint8_t body[3] = {K_PONG, f[15], spoofed};
			(void)send_frame(mac_a, my_mac, ETH_TEST, body, 3);
		}
	}
}

/** Runs the role named by this domain's name. Returns: 0, or 1 if its port cannot be opened. */
int main(void)
{
	const char *me = bh_name();
	const char *port = strcmp(me, "vsa") == 0 ? "p-a" :
	                   strcmp(me, "vsb") == 0 ? "p-b" :
	                   strcmp(me, "vss") == 0 ? "p-s" :
	                                            "p-h";

	if (!open_port(port)) {
		verdict("vswitch.open", false, "port %s cannot be opened", port);
		return 1;
	}
	say("port %s open\n", port);
	if (strcmp(me, "vsa") == 0)
		run_a();
	else if (strcmp(me, "vsb") == 0)
		run_b();
	else if (strcmp(me, "vsh") == 0) {
		ring.ring.tx->prod += 100000u; /* an index no ring of this size can have */
		(void)bh_signal(ring.slot);
		verdict("vswitch.garbage_sent", true, "an impossible ring index");
	}
	for (;;)
		(void)bh_wait();
}
