/* Host tests for the virtual switch's pure part: routing, anti-spoofing, queues, descriptors. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "vsw.h"

static const uint8_t mac_up[6] = {0x52, 0x54, 0, 0x12, 0x34, 0x56};
static const uint8_t mac_a[6] = {2, 0, 0, 0, 0, 0x10};
static const uint8_t mac_b[6] = {2, 0, 0, 0, 0, 0x11};
static const uint8_t mac_c[6] = {2, 0, 0, 0, 0, 0x12};
static const uint8_t mac_gw[6] = {0x52, 0x55, 10, 0, 2, 2};
static const uint8_t bcast[6] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
static const uint8_t mcast[6] = {0x01, 0x00, 0x5e, 0, 0, 1};

static struct vsw sw; /* large: static */

/* The uplink (port 0) and clients a, b, c (ports 1, 2, 3). */
static int setup(void **state)
{
	(void)state;
	vsw_init(&sw);
	assert_int_equal(vsw_port_add(&sw, mac_up), 0);
	assert_int_equal(vsw_port_add(&sw, mac_a), 1);
	assert_int_equal(vsw_port_add(&sw, mac_b), 2);
	assert_int_equal(vsw_port_add(&sw, mac_c), 3);
	return 0;
}

/* A frame from @src to @dst (IPv4 type); every byte after the header is @fill. */
static uint8_t *frame(const uint8_t *dst, const uint8_t *src, uint8_t fill)
{
	static uint8_t f[NET_FRAME_MAX + 64];

	memset(f, fill, sizeof(f));
	memcpy(f, dst, 6);
	memcpy(f + 6, src, 6);
	f[12] = 0x08;
	f[13] = 0x00;
	return f;
}

static uint32_t queued(uint32_t p)
{
	return sw.port[p].q_n;
}

static void test_unicast(void **state)
{
	(void)state;
	uint32_t len = 0;

	assert_int_equal(vsw_input(&sw, 1, frame(mac_b, mac_a, 0xab), 100), 1);
	assert_int_equal(queued(2), 1);
	assert_int_equal(queued(0) + queued(1) + queued(3), 0);
	const uint8_t *f = vsw_peek(&sw, 2, &len);
	assert_non_null(f);
	assert_int_equal(len, 100);
	assert_memory_equal(f, frame(mac_b, mac_a, 0xab), 100);
	vsw_pop(&sw, 2);
	assert_null(vsw_peek(&sw, 2, &len));
	assert_int_equal(sw.port[1].c.rx_frames, 1);
	assert_int_equal(sw.port[1].c.rx_bytes, 100);
	assert_int_equal(sw.port[2].c.tx_frames, 1);
	assert_int_equal(sw.port[2].c.tx_bytes, 100);
	assert_int_equal(sw.n_free, VSW_POOL);
}

static void test_unknown_goes_up(void **state)
{
	(void)state;
	/* From a client: a MAC of no client port lies beyond the uplink. */
	assert_int_equal(vsw_route(&sw, 3, frame(mac_gw, mac_c, 0), 60), 1u << VSW_UPLINK);
	/* From the uplink: a MAC of no client port goes nowhere (no flooding to clients). */
	assert_int_equal(vsw_route(&sw, 0, frame(mac_gw, mac_up, 0), 60), 0);
	assert_int_equal(sw.port[0].c.drops[VSW_DROP_NODEST], 1);
	/* From the uplink to a client: delivered; the source is learned. */
	assert_int_equal(vsw_route(&sw, 0, frame(mac_a, mac_gw, 0), 60), 1u << 1);
	assert_true(vsw_learned(&sw, mac_gw));
	assert_false(vsw_learned(&sw, mac_a));
	/* A client to itself: nowhere. */
	assert_int_equal(vsw_route(&sw, 1, frame(mac_a, mac_a, 0), 60), 0);
	assert_int_equal(sw.port[1].c.drops[VSW_DROP_NODEST], 1);
}

static void test_broadcast(void **state)
{
	(void)state;
	uint32_t len;

	assert_int_equal(vsw_route(&sw, 2, frame(bcast, mac_b, 0), 60), 0xfu & ~(1u << 2));
	assert_int_equal(vsw_route(&sw, 0, frame(mcast, mac_gw, 0), 60), 0xeu);
	assert_int_equal(vsw_input(&sw, 2, frame(bcast, mac_b, 7), 42), 3);
	assert_int_equal(sw.n_free, VSW_POOL - 1); /* one copy for three ports */
	for (uint32_t p = 0; p < 4; p++) {
		assert_int_equal(queued(p), p == 2 ? 0 : 1);
		if (p != 2) {
			assert_non_null(vsw_peek(&sw, p, &len));
			vsw_pop(&sw, p);
		}
	}
	assert_int_equal(sw.n_free, VSW_POOL);
}

static void test_spoof(void **state)
{
	(void)state;
	/* Client a sends as b, as the uplink, as broadcast: each dropped and counted on a. */
	assert_int_equal(vsw_input(&sw, 1, frame(mac_b, mac_b, 0), 60), 0);
	assert_int_equal(vsw_input(&sw, 1, frame(mac_gw, mac_gw, 0), 60), 0);
	assert_int_equal(vsw_input(&sw, 1, frame(mac_b, bcast, 0), 60), 0);
	assert_int_equal(sw.port[1].c.drops[VSW_DROP_SPOOF], 3);
	assert_int_equal(sw.port[1].c.rx_frames, 0);
	/* The outside sends as a client port, or from a group address. */
	assert_int_equal(vsw_input(&sw, 0, frame(mac_b, mac_a, 0), 60), 0);
	assert_int_equal(vsw_input(&sw, 0, frame(mac_b, mcast, 0), 60), 0);
	assert_int_equal(sw.port[0].c.drops[VSW_DROP_SPOOF], 2);
	assert_int_equal(queued(2), 0);
	assert_int_equal(sw.n_free, VSW_POOL);
}

static void test_runt_giant(void **state)
{
	(void)state;
	assert_int_equal(vsw_input(&sw, 1, frame(mac_b, mac_a, 0), 13), 0);
	assert_int_equal(vsw_input(&sw, 1, frame(mac_b, mac_a, 0), 0), 0);
	assert_int_equal(vsw_input(&sw, 1, frame(mac_b, mac_a, 0), 1515), 0);
	assert_int_equal(vsw_input(&sw, 1, frame(mac_b, mac_a, 0), UINT64_MAX), 0);
	assert_int_equal(sw.port[1].c.drops[VSW_DROP_RUNT], 2);
	assert_int_equal(sw.port[1].c.drops[VSW_DROP_GIANT], 2);
	/* The bounds themselves pass. */
	assert_int_equal(vsw_input(&sw, 1, frame(mac_b, mac_a, 0), 14), 1);
	assert_int_equal(vsw_input(&sw, 1, frame(mac_b, mac_a, 0), 1514), 1);
	assert_int_equal(queued(2), 2);
}

/* Client b stops reading: it holds VSW_SHARE frames, no more; c is served in full. */
static void test_stalled_port(void **state)
{
	(void)state;
	uint32_t len;

	for (uint32_t i = 0; i < 10u * VSW_SHARE; i++) {
		(void)vsw_input(&sw, 1, frame(mac_b, mac_a, (uint8_t)i), 60);
		assert_int_equal(vsw_input(&sw, 1, frame(mac_c, mac_a, (uint8_t)i), 60), 1);
		assert_non_null(vsw_peek(&sw, 3, &len));
		vsw_pop(&sw, 3);
	}
	assert_int_equal(queued(2), VSW_SHARE);
	assert_int_equal(sw.port[2].c.drops[VSW_DROP_FULL], 9u * VSW_SHARE);
	assert_int_equal(sw.port[3].c.tx_frames, 10u * VSW_SHARE);
	assert_int_equal(sw.port[3].c.drops[VSW_DROP_FULL], 0);
	assert_int_equal(sw.n_free, VSW_POOL - VSW_SHARE);
	/* Broadcasts too: b's share is full, the others still get them. */
	assert_int_equal(vsw_input(&sw, 1, frame(bcast, mac_a, 1), 60), 2);
	vsw_port_flush(&sw, 2);
	assert_int_equal(queued(2), 0);
	assert_int_equal(sw.port[2].c.tx_frames, 0);
}

/* Every port stalled at its share: the pool is exactly used up, and still nothing breaks. */
static void test_pool_bound(void **state)
{
	(void)state;
	const uint8_t *dst[4] = {mac_gw, mac_a, mac_b, mac_c};

	for (uint32_t i = 0; i < 2u * VSW_SHARE; i++)
		for (uint32_t p = 0; p < 4; p++) {
			uint32_t src = p == 1 ? 2 : 1;
			const uint8_t *smac = src == 1 ? mac_a : mac_b;
			(void)vsw_input(&sw, src, frame(dst[p], smac, (uint8_t)i), 60);
		}
	for (uint32_t p = 0; p < 4; p++)
		assert_int_equal(queued(p), VSW_SHARE);
	assert_int_equal(sw.n_free, VSW_POOL - 4u * VSW_SHARE);
	assert_int_equal(vsw_input(&sw, 1, frame(bcast, mac_a, 0), 60), 0);
	assert_int_equal(sw.port[2].c.drops[VSW_DROP_FULL], VSW_SHARE + 1u);
}

/* The sink of the burst tests: room[p] buffers free at port p; what it took, in order. */
static struct {
	uint32_t room[VSW_MAX_PORTS];
	uint8_t fill[VSW_MAX_PORTS][128]; /* the first payload byte of each frame taken */
	uint32_t n[VSW_MAX_PORTS];
} sink_state;

static bool stub_sink(void *ctx, uint32_t p, const uint8_t *f, uint32_t len)
{
	assert_ptr_equal(ctx, &sink_state);
	assert_int_equal(len, 600);
	if (sink_state.room[p] == 0)
		return false;
	sink_state.room[p]--;
	sink_state.fill[p][sink_state.n[p]++] = f[14];
	return true;
}

/* A burst of @n frames from @src (MAC @smac) to @dst (port @p) through vsw_take, the sink
 * having @room buffers at @p: the buffers fill first, in order, then the queue; nothing is
 * dropped while both have room (a TCP window of 45 segments from the uplink to a client with
 * 24 receive buffers lost 13 when every frame was queued before any was handed on). */
static void burst(uint32_t src, const uint8_t *smac, const uint8_t *dst, uint32_t p, uint32_t room,
                  uint32_t n)
{
	memset(&sink_state, 0, sizeof(sink_state));
	sink_state.room[p] = room;
	for (uint32_t i = 0; i < n; i++)
		assert_int_equal(vsw_take(&sw, src, frame(dst, smac, (uint8_t)i), 600, stub_sink,
		                          &sink_state),
		                 1);
	assert_int_equal(sink_state.n[p], room);
	assert_int_equal(queued(p), n - room);
	assert_int_equal(sw.port[p].c.drops[VSW_DROP_FULL], 0);
	assert_int_equal(sw.port[p].c.tx_frames, room);
	/* The client posts more buffers: the rest follows, in order, and the pool is whole. */
	sink_state.room[p] = n;
	assert_int_equal(vsw_forward(&sw, p, stub_sink, &sink_state), n - room);
	assert_int_equal(queued(p), 0);
	assert_int_equal(sw.n_free, VSW_POOL);
	for (uint32_t i = 0; i < n; i++)
		assert_int_equal(sink_state.fill[p][i], (uint8_t)i);
}

static void test_burst_to_client(void **state)
{
	(void)state;
	burst(VSW_UPLINK, mac_gw, mac_a, 1, 24, 24 + VSW_SHARE);
}

static void test_burst_to_uplink(void **state)
{
	(void)state;
	burst(2, mac_b, mac_gw, VSW_UPLINK, 32, 32 + VSW_SHARE);
}

/* A sink that refuses stops vsw_forward at that frame; a full port still counts FULL. */
static void test_forward_refused(void **state)
{
	(void)state;
	memset(&sink_state, 0, sizeof(sink_state));
	for (uint32_t i = 0; i < VSW_SHARE + 3u; i++)
		(void)vsw_take(&sw, 2, frame(mac_a, mac_b, (uint8_t)i), 600, stub_sink,
		               &sink_state);
	assert_int_equal(sink_state.n[1], 0);
	assert_int_equal(queued(1), VSW_SHARE);
	assert_int_equal(sw.port[1].c.drops[VSW_DROP_FULL], 3);
	sink_state.room[1] = 5;
	assert_int_equal(vsw_forward(&sw, 1, stub_sink, &sink_state), 5);
	assert_int_equal(queued(1), VSW_SHARE - 5u);
	assert_int_equal(sink_state.fill[1][4], 4);
}

static struct ring_msg req_msg(uint32_t op, uint64_t offset, uint64_t length)
{
	struct ring_msg m;
	struct net_req r = {op, 0, offset, length};

	memset(&m, 0, sizeof(m));
	m.type = NET_MSG_REQ;
	m.len = sizeof(r);
	m.tag = 5;
	memcpy(m.data, &r, sizeof(r));
	return m;
}

static void test_descriptors(void **state)
{
	(void)state;
	struct net_req out;
	struct ring_msg m = req_msg(NET_OP_TX, 64, 60);

	assert_int_equal(vsw_req_take(&m, 4096, &out), NET_OK);
	assert_int_equal(out.offset, 64);
	assert_int_equal(out.length, 60);
	m.type = NET_MSG_RESP;
	assert_int_equal(vsw_req_take(&m, 4096, &out), NET_EINVAL);
	m = req_msg(NET_OP_TX, 64, 60);
	m.flags = 1;
	assert_int_equal(vsw_req_take(&m, 4096, &out), NET_EINVAL);
	m = req_msg(NET_OP_TX, 64, 60);
	m.len = sizeof(out) - 1;
	assert_int_equal(vsw_req_take(&m, 4096, &out), NET_EINVAL);
	m = req_msg(NET_OP_TX, 4096 - 59, 60);
	assert_int_equal(vsw_req_take(&m, 4096, &out), NET_EFAULT);
	m = req_msg(NET_OP_RX, UINT64_MAX - 100, 1514);
	assert_int_equal(vsw_req_take(&m, 4096, &out), NET_EFAULT);
	m = req_msg(NET_OP_TX, 8, 60); /* headroom outside */
	assert_int_equal(vsw_req_take(&m, 4096, &out), NET_EFAULT);
	m = req_msg(NET_OP_LINK, 0, 0);
	assert_int_equal(vsw_req_take(&m, 4096, &out), NET_EINVAL);
	m = req_msg(NET_OP_INFO, 0, 0);
	assert_int_equal(vsw_req_take(&m, 4096, &out), NET_OK);
}

/* A link notice from the driver, as a ring message (@type, @op, @flags as given). */
static struct ring_msg link_msg(uint16_t type, uint32_t op, uint32_t flags)
{
	struct net_resp r;
	struct ring_msg m;

	memset(&r, 0, sizeof(r));
	memset(&m, 0, sizeof(m));
	r.op = op;
	r.flags = flags;
	m.type = type;
	m.len = sizeof(r);
	memcpy(m.data, &r, sizeof(r));
	return m;
}

static void test_link_notice(void **state)
{
	(void)state;
	bool up = false;
	struct ring_msg m = link_msg(NET_MSG_LINK, NET_OP_LINK, NET_LINK_UP);

	assert_true(vsw_link_notice(&m, &up));
	assert_true(up);
	m = link_msg(NET_MSG_LINK, NET_OP_LINK, 0);
	assert_true(vsw_link_notice(&m, &up));
	assert_false(up);
	m = link_msg(NET_MSG_RESP, NET_OP_LINK, NET_LINK_UP); /* an answer, not a notice */
	assert_false(vsw_link_notice(&m, &up));
	m = link_msg(NET_MSG_LINK, NET_OP_INFO, NET_LINK_UP);
	assert_false(vsw_link_notice(&m, &up));
	m = link_msg(NET_MSG_LINK, NET_OP_LINK, NET_LINK_UP | 0x80u); /* unknown flag */
	assert_false(vsw_link_notice(&m, &up));
	m = link_msg(NET_MSG_LINK, NET_OP_LINK, NET_LINK_UP);
	m.len--;
	assert_false(vsw_link_notice(&m, &up));
	m = link_msg(NET_MSG_LINK, NET_OP_LINK, NET_LINK_UP);
	m.flags = 1;
	assert_false(vsw_link_notice(&m, &up));
}

/* A change marks every client port once (not the uplink); a repeat marks none; a port that
 * has not taken its notice yet gets one, with the newest state. */
static void test_link_fanout(void **state)
{
	(void)state;
	assert_false(sw.link_up);
	assert_false(vsw_link_set(&sw, false));
	for (uint32_t p = 0; p < 4; p++)
		assert_false(vsw_link_take(&sw, p));
	assert_true(vsw_link_set(&sw, true));
	assert_true(sw.link_up);
	assert_false(vsw_link_take(&sw, VSW_UPLINK));
	assert_true(vsw_link_take(&sw, 1));
	assert_false(vsw_link_take(&sw, 1));
	assert_false(vsw_link_set(&sw, true));
	assert_false(vsw_link_take(&sw, 1));
	assert_true(vsw_link_set(&sw, false));
	assert_true(vsw_link_set(&sw, true));
	assert_true(sw.link_up);
	for (uint32_t p = 1; p < 4; p++) {
		assert_true(vsw_link_take(&sw, p));
		assert_false(vsw_link_take(&sw, p));
	}
}

static void test_names(void **state)
{
	(void)state;
	assert_string_equal(vsw_drop_name(VSW_DROP_SPOOF), "spoof");
	assert_string_equal(vsw_drop_name(VSW_DROP_NODEST), "nodest");
	assert_string_equal(vsw_drop_name(VSW_DROP_COUNT), "?");
	assert_int_equal(vsw_port_add(&sw, mac_a), 4);
	for (uint32_t p = 5; p < VSW_MAX_PORTS; p++)
		assert_int_equal(vsw_port_add(&sw, mac_a), (int)p);
	assert_int_equal(vsw_port_add(&sw, mac_a), -1);
}

/** Runs the switch tests. Returns: the number that failed. */
int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_unicast, setup),
		cmocka_unit_test_setup(test_unknown_goes_up, setup),
		cmocka_unit_test_setup(test_broadcast, setup),
		cmocka_unit_test_setup(test_spoof, setup),
		cmocka_unit_test_setup(test_runt_giant, setup),
		cmocka_unit_test_setup(test_stalled_port, setup),
		cmocka_unit_test_setup(test_pool_bound, setup),
		cmocka_unit_test_setup(test_burst_to_client, setup),
		cmocka_unit_test_setup(test_burst_to_uplink, setup),
		cmocka_unit_test_setup(test_forward_refused, setup),
		cmocka_unit_test_setup(test_descriptors, setup),
		cmocka_unit_test_setup(test_link_notice, setup),
		cmocka_unit_test_setup(test_link_fanout, setup),
		cmocka_unit_test_setup(test_names, setup),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
