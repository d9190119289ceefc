/* net_hostile system test: a hostile client of the switch beside echo, while the host transfers. */
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include <bh.h>
#include <net_proto.h>

#include "verdict.h"

/*
 * The domain's switch port (its BH_RES_PORT entry) is abused for ROUNDS rounds, PERIOD_MS
 * apart, while the host sends datagrams and a TCP stream through the same switch to echo. Each
 * round sends four frames the switch must refuse: one as echo (02:00:00:00:00:15) or as QEMU's
 * gateway (a spoofed source MAC), a runt (13 bytes, under NET_FRAME_MIN), a giant (1515 bytes,
 * over NET_FRAME_MAX) and one outside the data region; each is answered with its status (spoof:
 * NET_OK, dropped after the copy; the others NET_EINVAL or NET_EFAULT). The domain never gives
 * a receive buffer. Then it writes an impossible ring index (garbage), and signals the
 * switch's channel "stats": the counters must show spoof ROUNDS and bad 3 x ROUNDS on this
 * port (the switch counts a runt or giant descriptor as bad: it never becomes a frame), and
 * nothing of the kind on echo's.
 */
#define ROUNDS 500u
#define PERIOD_MS 40u
#define TX_AT (4u * 2048u + 64u)

static struct bh_ring ring;
static uint8_t *data;
static uint64_t next_tag = 1;

static const uint8_t echo_mac[6] = {2, 0, 0, 0, 0, 0x15}, gw_mac[6] = {0x52, 0x55, 10, 0, 2, 2};

static void send_req(uint32_t op, uint64_t offset, uint64_t length)
{
	static struct net_req r;

	r = (struct net_req){op, 0, offset, length};
	(void)bh_ring_put(&ring, NET_MSG_REQ, next_tag++, &r, sizeof(r));
}

/* Takes @n answers. Returns how many had status @want in turn: @want[i] for the i-th. */
static uint32_t take_answers(const uint32_t *want, uint32_t n)
{
	uint32_t right = 0;
	struct ring_msg m = {0};
	struct net_resp r;

	for (uint32_t i = 0; i < n; i++) {
		if (bh_ring_take(&ring, &m) != RING_OK || m.len != sizeof(r))
			return right;
		memcpy(&r, m.data, sizeof(r));
		bh_ring_release(&ring);
		right += r.status == want[i];
	}
	return right;
}

/* One round: a spoofed frame, a runt, a giant, a frame outside the region. */
static uint32_t round_once(uint32_t k)
{
	static const uint32_t want[4] = {NET_OK, NET_EINVAL, NET_EINVAL, NET_EFAULT};
	uint8_t *f = data + TX_AT;

	memset(f, 0xa5, 1600);
	memcpy(f, echo_mac, 6);
	memcpy(f + 6, k % 2 ? gw_mac : echo_mac, 6);
	f[12] = 0x08;
	f[13] = 0x00;
	send_req(NET_OP_TX, TX_AT, 60);
	send_req(NET_OP_TX, TX_AT, NET_FRAME_MIN - 1u);
	send_req(NET_OP_TX, TX_AT, NET_FRAME_MAX + 1u);
	send_req(NET_OP_TX, 1ull << 40, 60);
	bh_ring_flush(&ring);
	return take_answers(want, 4);
}

static bool open_port(void)
{
	const struct bh_start_info *info = bh_info();

	for (uint32_t i = 0; i < info->n_entries && i < BH_INFO_MAX_ENTRIES; i++) {
		const struct bh_info_entry *e = &info->entries[i];
		const struct bh_info_entry *map;
		if (e->kind != BH_RES_PORT || (e->flags & BH_PORT_SWITCH))
			continue;
		map = bh_lookup(e->peer, BH_RES_MAP);
		if (!map || !bh_ring_open(e->name, &ring))
			return false;
		data = (uint8_t *)(uintptr_t)map->vaddr;
		return map->size > TX_AT + 2048u;
	}
	return false;
}

/** Abuses the port, breaks its ring, asks for the counters. Returns: 1 if it has no port. */
int main(void)
{
	struct bh_channel stats;
	uint32_t right = 0;

	if (!open_port()) {
		verdict("net_hostile.open", false, "no switch port");
		return 1;
	}
	say("hostile: %u rounds of spoofed, runt, giant and outside frames\n", ROUNDS);
	for (uint32_t k = 0; k < ROUNDS; k++) {
		right += round_once(k);
		(void)bh_wait_until(0, bh_deadline_ms(PERIOD_MS));
	}
	verdict("net_hostile.descriptors", right == 4u * ROUNDS,
	        "%u of %u hostile descriptors answered with their status", right, 4u * ROUNDS);
	ring.ring.tx->prod += 100000u; /* an index no ring of this size can have */
	(void)bh_signal(ring.slot);
	if (bh_channel_open("stats", &stats))
		(void)bh_signal(stats.slot);
	verdict("net_hostile.done", true, "garbage index written, counters asked for");
	for (;;)
		(void)bh_wait();
}
