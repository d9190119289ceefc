/* net_driver system test's client: speaks the port protocol straight to the virtio-net driver. */
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include <bh.h>
#include <net_proto.h>

#include "verdict.h"

/*
 * Over ring "net", with frames in map "net-data": INFO; receive buffers posted; an ARP request
 * for QEMU's gateway 10.0.2.2 from 10.0.2.15 sent, and the gateway's reply checked; bad requests
 * each answered with their status (then a good frame still goes out); one buffer past max_rx
 * refused; the device wrote nothing outside the buffers it was given (a canary fills the
 * rest of the region); the link goes down and up (the expect file's monitor lines).
 */
#define DATA_MAP "net-data"
#define BUF_STRIDE 2048u
#define BUF_LEN (BUF_STRIDE - 64u)
#define RX_FIRST 32u   /* receive buffers posted before the ARP request */
#define TX_AT 0xc0040u /* the transmit buffer */
#define CANARY 0xa5u
#define MAX_WAIT_MSGS 512u /* messages read while waiting for one answer */

static struct bh_ring ring;
static volatile uint8_t *data;
static uint64_t data_size;
static struct net_resp info;
static uint64_t next_tag = 1;
static uint32_t rx_out; /* receive buffers at the driver */
static const uint8_t my_ip[4] = {10, 0, 2, 15}, gw_ip[4] = {10, 0, 2, 2};

static uint64_t send_req(uint32_t op, uint64_t offset, uint64_t length)
{
	static struct net_req r; /* static: every byte defined, as the analyzer can see */
	uint64_t tag = next_tag++;

	r = (struct net_req){op, 0, offset, length};
	(void)bh_ring_put(&ring, NET_MSG_REQ, tag, &r, sizeof(r));
	return tag;
}

/* Takes the next message from the driver. Returns its type, or 0 if the ring fails or the
 * message is malformed. */
static uint16_t next_msg(uint64_t *tag, struct net_resp *resp)
{
	struct ring_msg m = {0};

	bh_ring_flush(&ring);
	if (bh_ring_take(&ring, &m) != RING_OK || m.len != sizeof(*resp) ||
	    (m.type != NET_MSG_RESP && m.type != NET_MSG_LINK)) {
		say("bad message from the driver (type 0x%x, len %u)\n", m.type, m.len);
		return 0;
	}
	memcpy(resp, m.data, sizeof(*resp));
	*tag = m.tag;
	bh_ring_release(&ring);
	return m.type;
}

/* Takes the next answer (a link notice is skipped). Returns false on a bad message. */
static bool next_answer(uint64_t *tag, struct net_resp *resp)
{
	for (;;) {
		uint16_t type = next_msg(tag, resp);
		if (type != NET_MSG_LINK)
			return type == NET_MSG_RESP;
		say("link notice: %s\n", (resp->flags & NET_LINK_UP) ? "up" : "down");
	}
}

/* Waits for the answer to @tag; receive buffers answered meanwhile are counted back. */
static bool wait_for(uint64_t tag, struct net_resp *resp)
{
	uint64_t got;

	for (uint32_t i = 0; i < MAX_WAIT_MSGS; i++) {
		if (!next_answer(&got, resp))
			return false;
		if (got == tag)
			return true;
		if (resp->op == NET_OP_RX)
			rx_out--;
	}
	say("no answer to request %llu\n", (unsigned long long)tag);
	return false;
}

static void test_info(void)
{
	uint64_t tag = send_req(NET_OP_INFO, 0, 0);
	bool ok = wait_for(tag, &info) && info.status == NET_OK && info.op == NET_OP_INFO;
	const uint8_t *m = info.mac;

	ok = ok && info.mtu == NET_MTU && info.headroom == NET_HEADROOM &&
	     info.region_size == data_size && info.max_rx >= 256 && info.max_tx >= 256 &&
	     (m[0] & 1u) == 0 && (m[0] | m[1] | m[2] | m[3] | m[4] | m[5]) != 0;
	verdict("net.info", ok,
	        "mac %02x:%02x:%02x:%02x:%02x:%02x link %s mtu %u max_rx %u max_tx %u "
	        "region %llu",
	        m[0], m[1], m[2], m[3], m[4], m[5], (info.flags & NET_LINK_UP) ? "up" : "down",
	        info.mtu, info.max_rx, info.max_tx, (unsigned long long)info.region_size);
}

static uint64_t rx_offset(uint32_t i)
{
	return (uint64_t)i * BUF_STRIDE + 64u;
}

static void post_rx(uint32_t first, uint32_t n)
{
	for (uint32_t i = first; i < first + n; i++)
		send_req(NET_OP_RX, rx_offset(i), BUF_LEN);
	rx_out += n;
}

static void put16(volatile uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void put_bytes(volatile uint8_t *p, const uint8_t *src, uint32_t n)
{
	for (uint32_t i = 0; i < n; i++)
		p[i] = src[i];
}

/* An ARP request "who has 10.0.2.2? tell 10.0.2.15", padded to 60 bytes. Returns its length. */
static uint32_t build_arp(volatile uint8_t *f)
{
	static const uint8_t bcast[6] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff}, zero[6] = {0};

	for (uint32_t i = 0; i < 60; i++)
		f[i] = 0;
	put_bytes(f, bcast, 6);
	put_bytes(f + 6, info.mac, 6);
	put16(f + 12, 0x0806);
	put16(f + 14, 1);      /* Ethernet */
	put16(f + 16, 0x0800); /* IPv4 */
	f[18] = 6;
	f[19] = 4;
	put16(f + 20, 1); /* request */
	put_bytes(f + 22, info.mac, 6);
	put_bytes(f + 28, my_ip, 4);
	put_bytes(f + 32, zero, 6);
	put_bytes(f + 38, gw_ip, 4);
	return 60;
}

static bool same(const volatile uint8_t *p, const uint8_t *want, uint32_t n)
{
	for (uint32_t i = 0; i < n; i++)
		if (p[i] != want[i])
			return false;
	return true;
}

/* Is the frame at @f (@len bytes) the gateway's ARP reply to us? Fills @gw_mac. */
static bool is_arp_reply(const volatile uint8_t *f, uint32_t len, uint8_t gw_mac[6])
{
	if (len < 42 || f[12] != 0x08 || f[13] != 0x06 || f[20] != 0 || f[21] != 2)
		return false;
	if (!same(f, info.mac, 6) || !same(f + 28, gw_ip, 4) || !same(f + 32, info.mac, 6) ||
	    !same(f + 38, my_ip, 4))
		return false;
	for (uint32_t i = 0; i < 6; i++)
		gw_mac[i] = f[22 + i];
	return true;
}

/* Sends the ARP request and waits for its TX answer and for the reply among received frames. */
static void test_arp(void)
{
	uint32_t len = build_arp(data + TX_AT);
	uint64_t tx = send_req(NET_OP_TX, TX_AT, len), got;
	bool sent = false, replied = false;
	uint8_t gw_mac[6] = {0};
	struct net_resp r;

	for (uint32_t i = 0; i < MAX_WAIT_MSGS && !(sent && replied); i++) {
		if (!next_answer(&got, &r))
			break;
		if (got == tx)
			sent = r.status == NET_OK && r.op == NET_OP_TX && r.length == len;
		if (r.op != NET_OP_RX || r.status != NET_OK)
			continue;
		rx_out--;
		replied |= r.offset < data_size && is_arp_reply(data + r.offset, r.length, gw_mac);
		send_req(NET_OP_RX, r.offset, BUF_LEN); /* the buffer goes back */
		rx_out++;
	}
	verdict("net.arp", sent && replied,
	        "request sent %s; 10.0.2.2 is at %02x:%02x:%02x:%02x:%02x:%02x",
	        sent ? "ok" : "FAILED", gw_mac[0], gw_mac[1], gw_mac[2], gw_mac[3], gw_mac[4],
	        gw_mac[5]);
}

/* One bad request: what is sent and the status its answer must carry. */
struct bad {
	const char *what;
	uint16_t type;
	uint32_t len;
	struct net_req req;
	uint32_t want;
};

static bool bad_request(const struct bad *b)
{
	uint64_t tag = next_tag++;
	struct net_resp r;

	(void)bh_ring_put(&ring, b->type, tag, &b->req, b->len);
	if (!wait_for(tag, &r))
		return false;
	if (r.status == b->want)
		return true;
	say("%s: status %u, want %u\n", b->what, r.status, b->want);
	return false;
}

#define REQ(op, res, off, len)            \
	{                                 \
		(op), (res), (off), (len) \
	}
static const struct bad bads[] = {
	{"unknown op", NET_MSG_REQ, 24, REQ(9, 0, 4096, 60), NET_EINVAL},
	{"op 0", NET_MSG_REQ, 24, REQ(0, 0, 4096, 60), NET_EINVAL},
	{"reserved field", NET_MSG_REQ, 24, REQ(NET_OP_TX, 1, 4096, 60), NET_EINVAL},
	{"runt frame", NET_MSG_REQ, 24, REQ(NET_OP_TX, 0, 4096, 13), NET_EINVAL},
	{"giant frame", NET_MSG_REQ, 24, REQ(NET_OP_TX, 0, 4096, 1515), NET_EINVAL},
	{"short rx buffer", NET_MSG_REQ, 24, REQ(NET_OP_RX, 0, 4096, 1513), NET_EINVAL},
	{"huge rx buffer", NET_MSG_REQ, 24, REQ(NET_OP_RX, 0, 4096, NET_BUF_MAX + 1), NET_EINVAL},
	{"no headroom", NET_MSG_REQ, 24, REQ(NET_OP_TX, 0, 8, 60), NET_EFAULT},
	{"past the region", NET_MSG_REQ, 24, REQ(NET_OP_TX, 0, 0xfffd0, 60), NET_EFAULT},
	{"offset 2^63", NET_MSG_REQ, 24, REQ(NET_OP_RX, 0, 1ull << 63, 2048), NET_EFAULT},
	{"wrapping span", NET_MSG_REQ, 24, REQ(NET_OP_TX, 0, UINT64_MAX - 20, 60), NET_EFAULT},
	{"INFO with fields", NET_MSG_REQ, 24, REQ(NET_OP_INFO, 0, 64, 0), NET_EINVAL},
	{"short message", NET_MSG_REQ, 16, REQ(NET_OP_TX, 0, 4096, 60), NET_EINVAL},
	{"wrong type", 0x0b01, 24, REQ(NET_OP_TX, 0, 4096, 60), NET_EINVAL},
};
#define N_BADS (sizeof(bads) / sizeof(bads[0]))

static void test_refuse(void)
{
	uint32_t ok = 0;

	for (uint32_t i = 0; i < N_BADS; i++)
		ok += bad_request(&bads[i]);
	struct net_resp r;
	uint32_t len = build_arp(data + TX_AT);
	uint64_t tag = send_req(NET_OP_TX, TX_AT, len);
	bool good = wait_for(tag, &r) && r.status == NET_OK;
	verdict("net.refuse", ok == N_BADS && good,
	        "%u of %u bad requests answered with their status, then a good frame %s", ok,
	        (unsigned)N_BADS, good ? "sent" : "NOT sent");
}

/* Fills the region up to max_rx receive buffers, then one more: it must be refused. */
static void test_limit(void)
{
	struct net_resp r = {0};
	uint32_t more = info.max_rx - rx_out;

	if (info.max_rx > 400 || rx_out > info.max_rx) {
		verdict("net.limit", false, "max_rx %u, %u at the driver", info.max_rx, rx_out);
		return;
	}
	post_rx(RX_FIRST, more);
	uint64_t tag = send_req(NET_OP_RX, rx_offset(RX_FIRST + more), BUF_LEN);
	bool ok = wait_for(tag, &r) && r.status == NET_ELIMIT;
	verdict("net.limit", ok, "buffer %u past max_rx %u answered %u", rx_out + 1, info.max_rx,
	        r.status);
}

/* Byte @i of the region lies in a buffer given out, or in the headroom before one. */
static bool given(uint64_t i, uint32_t n_rx)
{
	if (i >= TX_AT - NET_HEADROOM && i < TX_AT + 60u)
		return true;
	uint64_t k = i / BUF_STRIDE,
		 at = i % BUF_STRIDE; /* receive buffer k at k * BUF_STRIDE + 64 */
	return k < n_rx && at >= 64u - NET_HEADROOM;
}

/* Nothing outside the buffers given out changed: the device wrote only where it was told. */
static void test_confined(void)
{
	uint64_t changed = 0, first = 0;
	uint32_t n_rx = info.max_rx + 1;

	for (uint64_t i = 0; i < data_size; i++) {
		if (given(i, n_rx))
			continue;
		if (data[i] != CANARY && changed++ == 0)
			first = i;
	}
	verdict("net.dma_confined", changed == 0,
	        "%llu bytes outside the %u buffers given out changed (first at 0x%llx)",
	        (unsigned long long)changed, n_rx + 1, (unsigned long long)first);
}

/* Waits for a link notice saying @up (QEMU's monitor sets the link after the line below). */
static bool wait_link(bool up)
{
	struct net_resp r;
	uint64_t tag;

	say("waiting for the link to go %s\n", up ? "up" : "down");
	for (uint32_t i = 0; i < MAX_WAIT_MSGS; i++) {
		uint16_t type = next_msg(&tag, &r);
		if (type == 0)
			return false;
		if (type == NET_MSG_LINK && r.op == NET_OP_LINK && tag == 0 && r.status == NET_OK &&
		    ((r.flags & NET_LINK_UP) != 0) == up)
			return true;
	}
	return false;
}

/* The link goes down and up again (QEMU's set_link): a notice each time, and INFO agrees. */
static void test_link(void)
{
	struct net_resp r = {0};
	bool down = wait_link(false);
	uint64_t tag = send_req(NET_OP_INFO, 0, 0);
	bool info_down = down && wait_for(tag, &r) && !(r.flags & NET_LINK_UP);
	verdict("net.link_down", down && info_down, "notice %s, INFO says link %s",
	        down ? "came" : "never came", (r.flags & NET_LINK_UP) ? "up" : "down");
	bool up = wait_link(true);
	verdict("net.link_up", up, "notice %s", up ? "came" : "never came");
}

int main(void)
{
	const struct bh_info_entry *map = bh_lookup(DATA_MAP, BH_RES_MAP);

	if (!bh_ring_open("net", &ring) || !map) {
		verdict("net.setup", false, "no ring \"net\" or map \"" DATA_MAP "\"");
		return 1;
	}
	data = (volatile uint8_t *)(uintptr_t)map->vaddr;
	data_size = map->size;
	for (uint64_t i = 0; i < data_size; i++)
		data[i] = CANARY;
	test_info();
	post_rx(0, RX_FIRST);
	test_arp();
	test_refuse();
	test_limit();
	test_confined();
	test_link();
	verdict("net.done", true, "client finished");
	return 0;
}
