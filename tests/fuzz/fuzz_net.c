/* Fuzz target `net`: the virtio-net driver's port-message decoding and request path. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <net.h>
#include <sim_dev.h>

/*
 * Input: one mode byte, then records, each a kind byte and its bytes (missing bytes are zero):
 *   kind 0  a ring message from the client: type (le16), flags (le16), length (1 byte, at most
 *           112), then that many payload bytes; its tag is its number in the input
 *   kind 1  a frame of length (le16, at most 2000) arrives at the device
 *   kind 2  the device finishes every frame it holds for transmit
 *   kind 3  the link goes down or up
 * Mode: bit 0 a device without EVENT_IDX; bit 1 a device that holds transmitted frames until
 * a kind 2 record. The driver (drivers/virtio-net: net_req.c, net_serve.c, net_dev.c) runs
 * between the client's end of a port and the simulated device of tests/host/virtio, as its
 * main.c loop does. Checked: every message's decoding against the protocol's rules (written
 * again here in 128-bit arithmetic); every answer names a request and comes once; in the end
 * (the device lets go of everything) every request got exactly one answer; the device never
 * touched memory outside the queue memory and the data region, and never saw a bad chain.
 */
#define DATA_SIZE (64u << 10)
#define RING_SIZE (32u << 10)
#define MAX_MSGS 512u
#define MAX_PASSES 4096u
#define FEATURES                                                                                 \
	(VIRTIO_F_VERSION_1 | VIRTIO_F_ACCESS_PLATFORM | VIRTIO_F_EVENT_IDX | VIRTIO_NET_F_MAC | \
	 VIRTIO_NET_F_STATUS)

/**
 * libFuzzer's entry: runs the records in the @size bytes at @data.
 * Returns: 0; abort()s (after a line naming the broken rule) on any inconsistency.
 */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void broken(const char *rule)
{
	fprintf(stderr, "fuzz_net: %s\n", rule);
	abort();
}

/* ---- the decoder's rules ---- */

static void check_span(const struct net_req *r, const struct net_io *io)
{
	unsigned __int128 end = (unsigned __int128)r->offset + r->length;

	if (r->offset < NET_HEADROOM || end > DATA_SIZE)
		broken("accepted a buffer or headroom outside the region");
	if (r->op == NET_OP_TX && (r->length < NET_FRAME_MIN || r->length > NET_FRAME_MAX))
		broken("accepted a frame of an impossible length");
	if (r->op == NET_OP_RX && (r->length < NET_FRAME_MAX || r->length > NET_BUF_MAX))
		broken("accepted a receive buffer of an impossible length");
	if (io->offset != r->offset || io->length != r->length)
		broken("the decoded buffer is not the request's");
}

static void check_decode(const struct ring_msg *m)
{
	struct net_io io;
	struct net_req r;
	enum net_status st = net_req_decode(m, DATA_SIZE, &io);
	bool readable = m->type == NET_MSG_REQ && m->flags == 0 && m->len == sizeof(r);

	memcpy(&r, m->data, sizeof(r));
	if (st != NET_OK) {
		if (st >= NET_STATUS_COUNT || (st != NET_EINVAL && st != NET_EFAULT))
			broken("refused with a status the decoder may not give");
		if (io.op != (readable ? r.op : 0u))
			broken("a refusal does not carry the request's op (or 0 if unreadable)");
		return;
	}
	if (!readable || r.reserved != 0 || io.op != r.op)
		broken("accepted a malformed message");
	if (r.op == NET_OP_INFO && (r.offset | r.length) != 0)
		broken("accepted an INFO with fields set");
	else if (r.op == NET_OP_RX || r.op == NET_OP_TX)
		check_span(&r, &io);
	else if (r.op != NET_OP_INFO)
		broken("accepted an unknown op");
}

/* ---- the driver against the device ---- */

struct run {
	struct sim_dev *sim;
	uint8_t *vq, *region, *ringmem;
	struct ring client, server;
	struct net n;
	bool signalled;
	uint32_t sent, answers[MAX_MSGS];
};

static struct run run;

static void *zalloc(size_t size)
{
	void *p = aligned_alloc(4096, (size + 4095) & ~(size_t)4095);

	if (!p)
		abort();
	memset(p, 0, size);
	return p;
}

static void setup(uint8_t mode)
{
	static const uint8_t mac[6] = {0x52, 0x54, 0, 1, 2, 3};
	uint64_t features = (mode & 1) ? FEATURES & ~VIRTIO_F_EVENT_IDX : FEATURES;

	memset(&run, 0, sizeof(run));
	run.sim = sim_net_new(mac, features, 64);
	run.sim->hold = (mode & 2) != 0;
	run.vq = zalloc(net_dev_mem_size());
	run.region = zalloc(DATA_SIZE);
	run.ringmem = zalloc(RING_SIZE);
	sim_dma_add(run.sim, run.vq, net_dev_mem_size(), true);
	sim_dma_add(run.sim, run.region, DATA_SIZE, true);
	run.n.region = (struct net_region){run.region, DATA_SIZE, (uintptr_t)run.region};
	if (ring_attach(&run.client, run.ringmem, RING_SIZE, RING_ROLE_CLIENT) != RING_OK ||
	    ring_attach(&run.server, run.ringmem, RING_SIZE, RING_ROLE_SERVER) != RING_OK ||
	    net_dev_open(&run.n.dev, &run.sim->ops, run.vq, net_dev_mem_size()) != NET_DEV_OK ||
	    net_serve_init(&run.n, &run.server) != NET_DEV_OK)
		broken("the set-up failed");
}

static void teardown(void)
{
	free(run.vq);
	free(run.region);
	free(run.ringmem);
	sim_free(run.sim);
}

/* Takes every message the driver answered; each must name a request, once. */
static void take_answers(void)
{
	struct ring_msg m;
	bool notify = false;

	while (ring_recv(&run.client, &m, &notify) == RING_OK) {
		run.signalled |= notify;
		if (m.len != sizeof(struct net_resp))
			broken("an answer of the wrong size");
		if (m.type == NET_MSG_LINK && m.tag == 0)
			continue;
		if (m.type != NET_MSG_RESP || m.tag >= run.sent || run.answers[m.tag]++ != 0)
			broken("an answer to no request, or a second answer");
	}
}

/* The driver's loop, until it would sleep with nothing pending. */
static void drive(void)
{
	bool irq = false;

	for (uint32_t pass = 0; pass < MAX_PASSES; pass++) {
		(void)net_pump(&run.n, irq);
		take_answers();
		if (run.n.ring_broken)
			broken("the driver says the client broke the ring");
		irq = sim_take_irq(run.sim);
		bool client = run.signalled;
		run.signalled = false;
		if (!(net_idle(&run.n) & NET_READY) && !irq && !client && !sim_take_irq(run.sim))
			return;
	}
	broken("the driver never wanted to sleep");
}

static void send_message(const uint8_t *p, size_t n)
{
	uint8_t rec[117] = {0};
	struct ring_msg m;
	bool notify = false;

	memcpy(rec, p, n < sizeof(rec) ? n : sizeof(rec));
	memset(&m, 0, sizeof(m));
	memcpy(&m.type, rec, 2);
	memcpy(&m.flags, rec + 2, 2);
	m.len = rec[4] > RING_INLINE_MAX ? RING_INLINE_MAX : rec[4];
	memcpy(m.data, rec + 5, m.len);
	m.flags &= RING_KNOWN_FLAGS;
	if ((m.flags & RING_MSG_DATA) && m.len < sizeof(struct ring_data_ref))
		m.flags = 0; /* libring itself refuses it: the ring would break, not the decoder */
	m.tag = run.sent;
	check_decode(&m);
	if (ring_send(&run.client, m.type, m.flags, m.tag, m.data, m.len, &notify) != RING_OK)
		broken("the request queue is full although the driver was driven");
	run.signalled |= notify;
	run.sent++;
}

/* Runs one record at @p; returns the bytes it used. */
static size_t record(const uint8_t *p, size_t n)
{
	uint8_t f[2000];
	uint16_t len = 0;

	if (n < 1)
		return n;
	memcpy(&len, p + 1, n >= 3 ? 2 : 0);
	switch (p[0] % 4) {
	case 0:
		if (run.sent < MAX_MSGS)
			send_message(p + 1, n - 1);
		return n >= 6 ? 6u + (p[5] > RING_INLINE_MAX ? RING_INLINE_MAX : p[5]) : n;
	case 1:
		memset(f, 0x42, sizeof(f));
		(void)sim_net_receive(run.sim, f, len % sizeof(f));
		return 3;
	case 2:
		sim_fetch_q(run.sim, VIRTIO_NET_TXQ);
		sim_complete_q(run.sim, VIRTIO_NET_TXQ, SIM_MAX_HELD, false);
		return 1;
	default:
		sim_net_set_link(run.sim, !(run.sim->devcfg[VIRTIO_NET_CFG_STATUS] & 1u));
		return 1;
	}
}

/* The device lets go of everything: every request must then have its one answer. */
static void finish(void)
{
	uint8_t f[60] = {0};

	run.sim->hold = false;
	for (uint32_t i = 0; i <= MAX_MSGS; i++) {
		sim_fetch_q(run.sim, VIRTIO_NET_TXQ);
		sim_complete_q(run.sim, VIRTIO_NET_TXQ, SIM_MAX_HELD, false);
		if (!sim_net_receive(run.sim, f, sizeof(f)) && run.n.n_tx == 0)
			break;
		drive();
	}
	drive();
	for (uint32_t t = 0; t < run.sent; t++)
		if (run.answers[t] != 1)
			broken("a request got no answer");
	if (run.sim->dma_faults || run.sim->bad_mmio || run.sim->bad_chains)
		broken("the device was given memory outside the maps, or a bad chain");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size == 0)
		return 0;
	setup(data[0]);
	drive();
	for (size_t at = 1; at < size;) {
		at += record(data + at, size - at);
		drive();
	}
	finish();
	teardown();
	return 0;
}
