/* Host tests: the virtio-net driver's frame path between a client port and the simulated network device. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <net.h>

#include "sim_dev.h"

#define T_DATA_SIZE (1u << 20)
#define T_RING_SIZE (128u << 10) /* 128 slots each way */
#define T_MAX_PASSES 10000u
#define T_BUF 2048u
#define T_RX_LEN 1600u
#define T_TX_AREA 0x80000u
#define T_FEATURES                                                                               \
	(VIRTIO_F_VERSION_1 | VIRTIO_F_ACCESS_PLATFORM | VIRTIO_F_EVENT_IDX | VIRTIO_NET_F_MAC | \
	 VIRTIO_NET_F_STATUS)

static const uint8_t mac[6] = {0x52, 0x54, 0x00, 0xab, 0xcd, 0xef};

/* Everything one test needs: device, memory, the port's two ends, the driver. */
struct t {
	struct sim_dev *sim;
	uint8_t *vq, *data, *ringmem;
	struct ring client, server;
	struct net *n;
	bool client_signalled; /* the driver asked to hear about a request and one came */
	uint64_t next_tag;
};

static void *page_alloc(size_t size)
{
	void *p = aligned_alloc(4096, (size + 4095) & ~(size_t)4095);

	assert_non_null(p);
	memset(p, 0, size);
	return p;
}

static struct t *t_new_sim(struct sim_dev *sim)
{
	struct t *t = calloc(1, sizeof(*t));

	t->sim = sim;
	t->vq = page_alloc(net_dev_mem_size());
	t->data = page_alloc(T_DATA_SIZE);
	t->ringmem = page_alloc(T_RING_SIZE);
	t->n = calloc(1, sizeof(*t->n));
	sim_dma_add(sim, t->vq, net_dev_mem_size(), true);
	sim_dma_add(sim, t->data, T_DATA_SIZE, true);
	t->n->region = (struct net_region){t->data, T_DATA_SIZE, (uintptr_t)t->data};
	assert_int_equal(ring_attach(&t->client, t->ringmem, T_RING_SIZE, RING_ROLE_CLIENT),
	                 RING_OK);
	assert_int_equal(ring_attach(&t->server, t->ringmem, T_RING_SIZE, RING_ROLE_SERVER),
	                 RING_OK);
	t->next_tag = 100;
	return t;
}

static struct t *t_new(uint64_t features, uint16_t q_max)
{
	return t_new_sim(sim_net_new(mac, features, q_max));
}

static enum net_dev_err t_start(struct t *t)
{
	assert_int_equal(net_dev_open(&t->n->dev, &t->sim->ops, t->vq, net_dev_mem_size()),
	                 NET_DEV_OK);
	return net_serve_init(t->n, &t->server);
}

/* A fresh test, started: the driver serves. */
static struct t *t_up(void)
{
	struct t *t = t_new(T_FEATURES, 256);

	assert_int_equal(t_start(t), NET_DEV_OK);
	return t;
}

static void t_free(struct t *t)
{
	assert_int_equal(t->sim->dma_faults, 0);
	assert_int_equal(t->sim->bad_mmio, 0);
	assert_int_equal(t->sim->bad_chains, 0);
	free(t->vq);
	free(t->data);
	free(t->ringmem);
	free(t->n);
	sim_free(t->sim);
	free(t);
}

static void t_send_raw(struct t *t, uint16_t type, uint64_t tag, const void *buf, uint32_t len)
{
	bool notify = false;

	assert_int_equal(ring_send(&t->client, type, 0, tag, buf, len, &notify), RING_OK);
	t->client_signalled |= notify;
}

static uint64_t t_send(struct t *t, uint32_t op, uint64_t offset, uint64_t length)
{
	struct net_req r = {op, 0, offset, length};
	uint64_t tag = t->next_tag++;

	t_send_raw(t, NET_MSG_REQ, tag, &r, sizeof(r));
	return tag;
}

/* One sleep of the driver: it wakes only for an interrupt or a signal from the client. */
static bool wake(struct t *t, bool *irq)
{
	*irq = sim_take_irq(t->sim);
	bool client = t->client_signalled;
	t->client_signalled = false;
	return *irq || client;
}

/* Runs the driver's loop as main.c does until it would sleep with no wake-up pending. */
static uint32_t t_drive(struct t *t)
{
	bool irq = false;

	for (uint32_t pass = 1; pass <= T_MAX_PASSES; pass++) {
		(void)net_pump(t->n, irq);
		irq = false;
		if (t->n->ring_broken)
			return pass;
		if (!(net_idle(t->n) & NET_READY) && !wake(t, &irq))
			return pass;
	}
	fail_msg("the driver never wanted to sleep");
	return T_MAX_PASSES;
}

/* Receives one message; false if there is none. */
static bool t_recv(struct t *t, uint16_t *type, uint64_t *tag, struct net_resp *r)
{
	struct ring_msg m;
	bool notify = false;

	if (ring_recv(&t->client, &m, &notify) != RING_OK)
		return false;
	t->client_signalled |= notify;
	assert_int_equal(m.len, sizeof(*r));
	memcpy(r, m.data, sizeof(*r));
	*type = m.type;
	*tag = m.tag;
	return true;
}

/* The next message must answer @tag with @st; returns the answer. */
static struct net_resp t_expect(struct t *t, uint64_t tag, enum net_status st)
{
	struct net_resp r = {0};
	uint16_t type = 0;
	uint64_t got = 0;

	if (!t_recv(t, &type, &got, &r))
		fail_msg("no answer to %llu", (unsigned long long)tag);
	assert_int_equal(type, NET_MSG_RESP);
	assert_int_equal(got, tag);
	if (r.status != st)
		fail_msg("request %llu: status %u, expected %u", (unsigned long long)tag, r.status,
		         st);
	return r;
}

static void t_no_message(struct t *t)
{
	struct net_resp r = {0};
	uint16_t type = 0;
	uint64_t tag = 0;

	assert_false(t_recv(t, &type, &tag, &r));
}

static uint64_t rx_off(uint32_t i)
{
	return 64u + (uint64_t)i * T_BUF;
}

static uint64_t tx_off(uint32_t i)
{
	return T_TX_AREA + 64u + (uint64_t)i * T_BUF;
}

/* A frame of @len bytes whose bytes follow @seed (the destination MAC is the driver's). */
static void make_frame(uint8_t *f, uint32_t len, uint32_t seed)
{
	for (uint32_t i = 0; i < len; i++)
		f[i] = (uint8_t)(seed * 31u + i * 7u);
	memcpy(f, mac, 6);
}

/* ---- negotiation ---- */

/* Offered everything: only what the driver implements is accepted; INFO tells the client. */
static void test_negotiation(void **state)
{
	(void)state;
	uint64_t extra = VIRTIO_NET_F_CSUM | VIRTIO_NET_F_GUEST_CSUM | VIRTIO_NET_F_MRG_RXBUF |
	                 VIRTIO_NET_F_CTRL_VQ | VIRTIO_NET_F_MQ | VIRTIO_NET_F_MTU |
	                 VIRTIO_F_INDIRECT_DESC | VIRTIO_F_RING_PACKED;
	struct t *t = t_new(T_FEATURES | extra, 256);

	assert_int_equal(t_start(t), NET_DEV_OK);
	assert_int_equal(t->sim->accepted, T_FEATURES);
	assert_memory_equal(t->n->dev.mac, mac, 6);
	uint64_t tag = t_send(t, NET_OP_INFO, 0, 0);
	t_drive(t);
	struct net_resp r = t_expect(t, tag, NET_OK);
	assert_memory_equal(r.mac, mac, 6);
	assert_int_equal(r.op, NET_OP_INFO);
	assert_int_equal(r.flags, NET_LINK_UP);
	assert_int_equal(r.mtu, NET_MTU);
	assert_int_equal(r.max_rx, 256);
	assert_int_equal(r.max_tx, 256);
	assert_int_equal(r.headroom, NET_HEADROOM);
	assert_int_equal(r.region_size, T_DATA_SIZE);
	assert_int_equal(r.ipv4, 0); /* a driver has no address to give */
	assert_int_equal(r.reserved, 0);
	t_free(t);
}

/* A device without MAC, without ACCESS_PLATFORM, or a block device, is refused. */
static void test_negotiation_refused(void **state)
{
	(void)state;
	struct t *t = t_new(T_FEATURES & ~VIRTIO_NET_F_MAC, 256);
	assert_int_equal(t_start(t), NET_DEV_CONFIG);
	assert_true(t->sim->status & VIRTIO_STATUS_FAILED);
	t_free(t);

	t = t_new(T_FEATURES & ~VIRTIO_F_ACCESS_PLATFORM, 256);
	assert_int_equal(t_start(t), NET_DEV_VIRTIO);
	assert_int_equal(t->n->dev.virtio_err, VIRTIO_ERR_FEATURES);
	t_free(t);

	t = t_new(T_FEATURES, 8); /* queues below NET_MIN_QUEUE */
	assert_int_equal(t_start(t), NET_DEV_CONFIG);
	t_free(t);

	struct sim_dev *blk = sim_new(64, T_FEATURES, 256);
	uint8_t *mem = page_alloc(net_dev_mem_size());
	struct net_dev d;
	sim_dma_add(blk, mem, net_dev_mem_size(), true);
	assert_int_equal(net_dev_open(&d, &blk->ops, mem, net_dev_mem_size()), NET_DEV_NOT_NET);
	free(mem);
	sim_free(blk);
}

/* A dead device: every buffer is answered EIO at once, INFO still works. */
static void test_dead_device(void **state)
{
	(void)state;
	struct t *t = t_new(T_FEATURES & ~VIRTIO_NET_F_MAC, 256);

	assert_int_equal(t_start(t), NET_DEV_CONFIG);
	uint64_t a = t_send(t, NET_OP_RX, rx_off(0), T_RX_LEN);
	uint64_t b = t_send(t, NET_OP_TX, tx_off(0), 60);
	uint64_t c = t_send(t, NET_OP_INFO, 0, 0);
	t_drive(t);
	t_expect(t, a, NET_EIO);
	t_expect(t, b, NET_EIO);
	t_expect(t, c, NET_OK);
	t_free(t);
}

/* ---- the frame path ---- */

/* Frames land in the oldest buffers, answered with their lengths; the header goes in the
 * headroom and nothing before it is touched; a frame with no buffer is dropped by the device. */
static void test_rx(void **state)
{
	(void)state;
	struct t *t = t_up();
	uint8_t f[1514];
	uint64_t tags[4];
	const uint32_t lens[3] = {60, 1514, 14};

	memset(t->data, 0x5a, 4 * (size_t)T_BUF);
	for (uint32_t i = 0; i < 4; i++)
		tags[i] = t_send(t, NET_OP_RX, rx_off(i), T_RX_LEN);
	t_drive(t);
	t_no_message(t);
	for (uint32_t i = 0; i < 3; i++) {
		make_frame(f, lens[i], i);
		assert_true(sim_net_receive(t->sim, f, lens[i]));
	}
	t_drive(t);
	for (uint32_t i = 0; i < 3; i++) {
		struct net_resp r = t_expect(t, tags[i], NET_OK);
		assert_int_equal(r.op, NET_OP_RX);
		assert_int_equal(r.offset, rx_off(i));
		assert_int_equal(r.length, lens[i]);
		make_frame(f, lens[i], i);
		assert_memory_equal(t->data + rx_off(i), f, lens[i]);
		for (uint64_t k = (uint64_t)i * T_BUF; k < rx_off(i) - NET_VHDR_LEN; k++)
			assert_int_equal(t->data[k], 0x5a);
	}
	t_no_message(t);
	assert_int_equal(t->n->stats.rx_frames, 3);
	t_free(t);
}

/* Frames go out with the lengths and bytes the client wrote, each answered when done. */
static void test_tx(void **state)
{
	(void)state;
	struct t *t = t_up();
	uint64_t tags[5];

	for (uint32_t i = 0; i < 5; i++) {
		make_frame(t->data + tx_off(i), 60u + i * 300u, 10u + i);
		tags[i] = t_send(t, NET_OP_TX, tx_off(i), 60u + i * 300u);
	}
	t_drive(t);
	assert_int_equal(t->sim->n_wire, 5);
	for (uint32_t i = 0; i < 5; i++) {
		uint8_t f[SIM_WIRE_KEEP];
		struct net_resp r = t_expect(t, tags[i], NET_OK);
		assert_int_equal(r.op, NET_OP_TX);
		assert_int_equal(r.length, 60u + i * 300u);
		assert_int_equal(t->sim->wire[i].len, 60u + i * 300u);
		make_frame(f, SIM_WIRE_KEEP, 10u + i);
		assert_memory_equal(t->sim->wire[i].bytes, f, 60); /* 60 <= SIM_WIRE_KEEP */
	}
	assert_int_equal(t->n->stats.tx_frames, 5);
	t_free(t);
}

/* The device says it wrote less than a header and an Ethernet header, or more than the buffer:
 * the frame is dropped and the buffer goes back to the device, unanswered. */
static void test_rx_bad_length(void **state)
{
	(void)state;
	struct t *t = t_up();
	uint8_t f[T_RX_LEN + 100];

	uint64_t tag = t_send(t, NET_OP_RX, rx_off(0), NET_FRAME_MAX);
	t_drive(t);
	make_frame(f, 10, 1);
	assert_true(sim_net_receive(t->sim, f, 10)); /* a runt */
	t_drive(t);
	t_no_message(t);
	assert_int_equal(t->n->stats.rx_dropped, 1);
	assert_int_equal(t->n->n_rx, 1); /* given back to the device */
	make_frame(f, 100, 2);
	assert_true(sim_net_receive(t->sim, f, 100));
	t_drive(t);
	struct net_resp r = t_expect(t, tag, NET_OK);
	assert_int_equal(r.length, 100);
	t_free(t);
}

/* ---- ring full, limits ---- */

/* The device holds every frame: max_tx go out, one more is refused; max_rx buffers are taken,
 * one more is refused; when the device lets go, every held frame is answered once. */
static void test_full(void **state)
{
	(void)state;
	struct t *t = t_up();
	uint64_t tags[257];

	t->sim->hold = true;
	for (uint32_t i = 0; i < 257; i++) {
		tags[i] = t_send(t, NET_OP_TX, tx_off(i % 64), 60);
		if (i % 64 == 63)
			t_drive(t); /* the request queue holds 128 */
	}
	t_drive(t);
	t_expect(t, tags[256], NET_ELIMIT);
	t_no_message(t);
	assert_int_equal(t->n->n_tx, 256);
	uint64_t rx[257];
	for (uint32_t i = 0; i < 257; i++) {
		rx[i] = t_send(t, NET_OP_RX, rx_off(i % 200), T_RX_LEN);
		if (i % 64 == 63)
			t_drive(t);
	}
	t_drive(t);
	t_expect(t, rx[256], NET_ELIMIT);
	assert_int_equal(sim_fetch_q(t->sim, VIRTIO_NET_TXQ), 256);
	assert_int_equal(sim_complete_q(t->sim, VIRTIO_NET_TXQ, 256, true), 256);
	t_drive(t);
	for (uint32_t i = 0; i < 256; i++) {
		uint16_t type = 0;
		uint64_t tag = 0;
		struct net_resp r = {0};
		if (!t_recv(t, &type, &tag, &r)) {
			t_drive(t); /* the rest wait in the driver for room in the response queue */
			assert_true(t_recv(t, &type, &tag, &r));
		}
		assert_int_equal(r.status, NET_OK);
		assert_true(tag >= tags[0] && tag < tags[256]);
	}
	t_no_message(t);
	assert_int_equal(t->sim->n_wire, 256);
	t_free(t);
}

/* More answers than the response queue holds: they wait in order, none is lost. */
static void test_answers_wait(void **state)
{
	(void)state;
	struct t *t = t_up();
	uint64_t first = t->next_tag;

	for (uint32_t i = 0; i < 120; i++)
		(void)t_send(t, NET_OP_TX, tx_off(i), 60);
	t_drive(t);
	for (uint32_t i = 0; i < 120; i++)
		(void)t_send(t, 77, 0, 0);
	t_drive(t);
	for (uint32_t i = 0; i < 240; i++) {
		t_expect(t, first + i, i < 120 ? NET_OK : NET_EINVAL);
		t_drive(t);
	}
	t_no_message(t);
	t_free(t);
}

/* ---- a bad peer ---- */

struct bad {
	uint16_t type;
	uint32_t len;
	struct net_req req;
	enum net_status want;
};

/* Each bad request gets its status and reaches no device; then a good one is served. */
static void test_bad_requests(void **state)
{
	(void)state;
	static const struct bad bads[] = {
		{NET_MSG_REQ, 24, {0, 0, 4096, 60}, NET_EINVAL},
		{NET_MSG_REQ, 24, {NET_OP_LINK, 0, 4096, 60}, NET_EINVAL},
		{NET_MSG_REQ, 24, {NET_OP_TX, 1, 4096, 60}, NET_EINVAL},
		{NET_MSG_REQ, 24, {NET_OP_TX, 0, 4096, 13}, NET_EINVAL},
		{NET_MSG_REQ, 24, {NET_OP_TX, 0, 4096, 1515}, NET_EINVAL},
		{NET_MSG_REQ, 24, {NET_OP_RX, 0, 4096, 1513}, NET_EINVAL},
		{NET_MSG_REQ, 24, {NET_OP_RX, 0, 4096, NET_BUF_MAX + 1}, NET_EINVAL},
		{NET_MSG_REQ, 24, {NET_OP_TX, 0, NET_HEADROOM - 1, 60}, NET_EFAULT},
		{NET_MSG_REQ, 24, {NET_OP_TX, 0, T_DATA_SIZE - 59, 60}, NET_EFAULT},
		{NET_MSG_REQ, 24, {NET_OP_RX, 0, UINT64_MAX - 100, 2000}, NET_EFAULT},
		{NET_MSG_REQ, 24, {NET_OP_INFO, 0, 0, 1}, NET_EINVAL},
		{NET_MSG_REQ, 23, {NET_OP_TX, 0, 4096, 60}, NET_EINVAL},
		{NET_MSG_REQ, 25, {NET_OP_TX, 0, 4096, 60}, NET_EINVAL},
		{NET_MSG_RESP, 24, {NET_OP_TX, 0, 4096, 60}, NET_EINVAL},
	};
	struct t *t = t_up();
	uint8_t buf[32] = {0};

	for (uint32_t i = 0; i < sizeof(bads) / sizeof(bads[0]); i++) {
		memcpy(buf, &bads[i].req, sizeof(bads[i].req));
		t_send_raw(t, bads[i].type, 500 + i, buf, bads[i].len);
		t_drive(t);
		t_expect(t, 500 + i, bads[i].want);
	}
	assert_int_equal(t->sim->kicks, 0);
	assert_int_equal(t->sim->n_wire, 0);
	uint64_t ok = t_send(t, NET_OP_TX, T_DATA_SIZE - 60, 60); /* the last bytes: fine */
	t_drive(t);
	t_expect(t, ok, NET_OK);
	assert_int_equal(t->sim->n_wire, 1);
	t_free(t);
}

/* A client that breaks the ring protocol (a wild producer index) stops the driver. */
static void test_broken_ring(void **state)
{
	(void)state;
	struct t *t = t_up();

	(void)t_send(t, NET_OP_RX, rx_off(0), T_RX_LEN);
	t_drive(t);
	t->client.tx->prod += 100000; /* the client's request queue */
	t->client_signalled = true;
	t_drive(t);
	assert_true(t->n->ring_broken);
	net_stop(t->n);
	assert_int_equal(t->sim->status, 0);
	t_free(t);
}

/* ---- the device ---- */

/* A fresh instance takes over a device another left running with buffers held. */
static void test_reset_takeover(void **state)
{
	(void)state;
	struct t *t = t_up();

	for (uint32_t i = 0; i < 10; i++)
		(void)t_send(t, NET_OP_RX, rx_off(i), T_RX_LEN);
	t_drive(t);
	assert_int_equal(sim_fetch_q(t->sim, VIRTIO_NET_RXQ), 10);
	uint32_t resets = t->sim->resets;
	/* the old instance vanishes; a new one starts on the same device and port memory */
	memset(t->ringmem, 0, T_RING_SIZE);
	assert_int_equal(ring_attach(&t->client, t->ringmem, T_RING_SIZE, RING_ROLE_CLIENT),
	                 RING_OK);
	assert_int_equal(ring_attach(&t->server, t->ringmem, T_RING_SIZE, RING_ROLE_SERVER),
	                 RING_OK);
	memset(t->n, 0, sizeof(*t->n));
	t->n->region = (struct net_region){t->data, T_DATA_SIZE, (uintptr_t)t->data};
	assert_int_equal(t_start(t), NET_DEV_OK);
	assert_int_equal(t->sim->resets, resets + 1);
	assert_int_equal(t->sim->vq[VIRTIO_NET_RXQ].n_held, 0);
	uint8_t f[60];
	make_frame(f, 60, 9);
	assert_false(sim_net_receive(t->sim, f, 60)); /* the old buffers are forgotten */
	uint64_t rx = t_send(t, NET_OP_RX, rx_off(20), T_RX_LEN);
	uint64_t tx = t_send(t, NET_OP_TX, tx_off(0), 60);
	t_drive(t);
	assert_true(sim_net_receive(t->sim, f, 60));
	t_drive(t);
	t_expect(t, tx, NET_OK);
	t_expect(t, rx, NET_OK);
	t_free(t);
}

/* A device that invents a used id: what it held comes back EIO, it is reset, and serves on. */
static void test_device_recovery(void **state)
{
	(void)state;
	struct t *t = t_up();
	uint64_t rx[3];

	for (uint32_t i = 0; i < 3; i++)
		rx[i] = t_send(t, NET_OP_RX, rx_off(i), T_RX_LEN);
	t_drive(t);
	t->sim->hold = true;
	uint64_t tx = t_send(t, NET_OP_TX, tx_off(0), 60);
	t_drive(t);
	t->sim->bogus_ids = 1;
	sim_fetch_q(t->sim, VIRTIO_NET_TXQ);
	sim_complete_q(t->sim, VIRTIO_NET_TXQ, 1, false);
	t_drive(t);
	assert_int_equal(t->n->stats.resets, 1);
	assert_false(t->n->dead);
	for (uint32_t i = 0; i < 4; i++) { /* answered EIO, in slot order */
		uint16_t type = 0;
		uint64_t tag = 0;
		struct net_resp r = {0};
		assert_true(t_recv(t, &type, &tag, &r));
		assert_int_equal(r.status, NET_EIO);
		assert_true(tag == tx || tag == rx[0] || tag == rx[1] || tag == rx[2]);
	}
	t->sim->hold = false;
	uint64_t again = t_send(t, NET_OP_TX, tx_off(1), 60);
	t_drive(t);
	t_expect(t, again, NET_OK);
	t_free(t);
}

/* The device asks for a reset (a configuration interrupt), or throws its used index ahead: the
 * buffers it held come back EIO, it is reset and serves on. */
static void recovery_after(bool needs_reset)
{
	struct t *t = t_up();
	uint64_t rx = t_send(t, NET_OP_RX, rx_off(0), T_RX_LEN);

	t_drive(t);
	if (needs_reset) {
		sim_needs_reset(t->sim);
	} else {
		t->sim->wild_idx = true;
		sim_publish_used(t->sim, VIRTIO_NET_RXQ);
	}
	t_drive(t);
	t_expect(t, rx, NET_EIO);
	assert_int_equal(t->n->stats.resets, 1);
	assert_false(t->n->dead);
	uint8_t f[60];
	make_frame(f, sizeof(f), 3);
	rx = t_send(t, NET_OP_RX, rx_off(1), T_RX_LEN);
	t_drive(t);
	assert_true(sim_net_receive(t->sim, f, sizeof(f)));
	t_drive(t);
	assert_int_equal(t_expect(t, rx, NET_OK).length, sizeof(f));
	t_free(t);
}

static void test_needs_reset(void **state)
{
	(void)state;
	recovery_after(true);
}

static void test_wild_used_index(void **state)
{
	(void)state;
	recovery_after(false);
}

/* ---- event suppression, link ---- */

/* 100 frames arrive one by one while the driver is busy (it runs its pump after each, but does
 * not go to sleep): one interrupt, not one per frame; 100 frames sent in one batch: one
 * notification, and at most one interrupt for their completions. With the event index, or with
 * the avail ring's flag when the device has none. */
static void event_suppression(uint64_t features)
{
	struct t *t = t_new(features, 256);
	uint8_t f[100];

	assert_int_equal(t_start(t), NET_DEV_OK);
	for (uint32_t i = 0; i < 200; i++) {
		(void)t_send(t, NET_OP_RX, rx_off(i), T_RX_LEN);
		if (i % 64 == 63)
			t_drive(t); /* the request queue holds 128 */
	}
	t_drive(t);
	uint32_t irqs = t->sim->vq[VIRTIO_NET_RXQ].irqs;
	for (uint32_t i = 0; i < 100; i++) {
		make_frame(f, sizeof(f), i);
		assert_true(sim_net_receive(t->sim, f, sizeof(f)));
		(void)net_pump(t->n, sim_take_irq(t->sim));
		uint16_t type = 0;
		uint64_t tag = 0;
		struct net_resp r = {0};
		assert_true(t_recv(t, &type, &tag, &r)); /* the frame was answered at once */
	}
	assert_int_equal(t->sim->vq[VIRTIO_NET_RXQ].irqs, irqs + 1);
	t_drive(t);
	assert_int_equal(t->n->stats.rx_frames, 100);
	t->sim->hold = true;
	uint32_t kicks = t->sim->kicks;
	for (uint32_t i = 0; i < 100; i++)
		(void)t_send(t, NET_OP_TX, tx_off(i), 60);
	t_drive(t);
	assert_int_equal(t->sim->kicks, kicks + 1); /* one notification for the batch */
	sim_fetch_q(t->sim, VIRTIO_NET_TXQ);
	irqs = t->sim->vq[VIRTIO_NET_TXQ].irqs;
	for (uint32_t i = 0; i < 100; i++) {
		sim_complete_q(t->sim, VIRTIO_NET_TXQ, 1, false);
		(void)net_pump(t->n, sim_take_irq(t->sim));
	}
	assert_true(t->sim->vq[VIRTIO_NET_TXQ].irqs <= irqs + 1);
	t_drive(t);
	assert_int_equal(t->n->stats.tx_frames, 100);
	t_free(t);
}

static void test_event_suppression(void **state)
{
	(void)state;
	event_suppression(T_FEATURES);
}

static void test_event_suppression_flags(void **state)
{
	(void)state;
	event_suppression(T_FEATURES & ~VIRTIO_F_EVENT_IDX);
}

/* Answers one frame of @len bytes (seed @seed) in the buffer at rx_off(@i): returns its index. */
static uint32_t take_rx_answer(struct t *t, uint32_t len, uint32_t seed)
{
	uint8_t f[T_RX_LEN];
	uint16_t type = 0;
	uint64_t tag = 0;
	struct net_resp r = {0};

	assert_true(t_recv(t, &type, &tag, &r));
	assert_int_equal(type, NET_MSG_RESP);
	assert_int_equal(r.status, NET_OK);
	assert_int_equal(r.length, len);
	make_frame(f, len, seed);
	assert_memory_equal(t->data + r.offset, f, len);
	assert_int_equal((r.offset - 64u) % T_BUF, 0);
	return (uint32_t)((r.offset - 64u) / T_BUF);
}

/* The client's pattern (libnet on a port): 30 receive buffers, each posted again under the
 * same offset as soon as its frame is read, with a frame sent between; 300 frames of changing
 * lengths go through without a DMA fault, each in a buffer the client gave. */
static void test_rx_repost(void **state)
{
	(void)state;
	struct t *t = t_up();
	uint8_t f[T_RX_LEN];

	for (uint32_t i = 0; i < 30; i++)
		(void)t_send(t, NET_OP_RX, rx_off(i), T_RX_LEN);
	t_drive(t);
	for (uint32_t k = 0; k < 300; k++) {
		uint32_t len = 60u + (k * 37u) % 1400u;
		make_frame(f, len, k);
		assert_true(sim_net_receive(t->sim, f, len));
		t_drive(t);
		uint32_t i = take_rx_answer(t, len, k);
		(void)t_send(t, NET_OP_RX, rx_off(i), T_RX_LEN);
		uint64_t tx = t_send(t, NET_OP_TX, tx_off(k % 100), len);
		t_drive(t);
		t_expect(t, tx, NET_OK);
	}
	assert_int_equal(t->n->stats.rx_frames, 300);
	assert_int_equal(t->n->n_rx, 30);
	t_free(t);
}

/* The link goes down and up: a notice each time (configuration interrupt), INFO agrees. */
static void test_link(void **state)
{
	(void)state;
	struct t *t = t_up();
	struct net_resp r = {0};
	uint16_t type = 0;
	uint64_t tag = 0;

	sim_net_set_link(t->sim, false);
	t_drive(t);
	assert_true(t_recv(t, &type, &tag, &r));
	assert_int_equal(type, NET_MSG_LINK);
	assert_int_equal(tag, 0);
	assert_int_equal(r.op, NET_OP_LINK);
	assert_int_equal(r.flags, 0);
	uint64_t info = t_send(t, NET_OP_INFO, 0, 0);
	t_drive(t);
	assert_int_equal(t_expect(t, info, NET_OK).flags, 0);
	sim_net_set_link(t->sim, true);
	t_drive(t);
	assert_true(t_recv(t, &type, &tag, &r));
	assert_int_equal(type, NET_MSG_LINK);
	assert_int_equal(r.flags, NET_LINK_UP);
	t_no_message(t);
	t_free(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_negotiation),
		cmocka_unit_test(test_negotiation_refused),
		cmocka_unit_test(test_dead_device),
		cmocka_unit_test(test_rx),
		cmocka_unit_test(test_tx),
		cmocka_unit_test(test_rx_bad_length),
		cmocka_unit_test(test_full),
		cmocka_unit_test(test_answers_wait),
		cmocka_unit_test(test_bad_requests),
		cmocka_unit_test(test_broken_ring),
		cmocka_unit_test(test_reset_takeover),
		cmocka_unit_test(test_device_recovery),
		cmocka_unit_test(test_needs_reset),
		cmocka_unit_test(test_wild_used_index),
		cmocka_unit_test(test_event_suppression),
		cmocka_unit_test(test_event_suppression_flags),
		cmocka_unit_test(test_link),
		cmocka_unit_test(test_rx_repost),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
