/* Fuzz target `vswitch`: the switch's descriptor checks, routing and queues (services/net/vsw.c). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <vsw.h>

/*
 * Input: a switch of four ports (the uplink and three clients), then a sequence of steps:
 *   byte k: bits 0-1 the port, bits 2-3 the step:
 *     0  a ring message from that port: the next 40 bytes are its header (type, flags, len) and
 *        payload, checked by vsw_req_take against a 64 KiB data region; an accepted TX is
 *        then taken into the switch from a copy of the region's bytes
 *     1  a frame from that port: the next 2 bytes its length (any value up to 65535), then
 *        the frame (missing bytes zero); its source MAC is the port's own when bit 4 is set
 *     2  the oldest frame queued for that port is taken (the client read it)
 *     3  everything queued for that port is dropped (its client broke its ring)
 * After every step the pool and queues must agree (every slot free or held, references = queued
 * frames, no queue past its share); an accepted descriptor lies inside the region with its
 * headroom; a frame queued for a port is 14..1514 bytes from a unicast source; a frame is never
 * queued back to the port it came from.
 */
#define REGION 65536u
#define N_PORTS 4u

/**
 * libFuzzer's entry: runs the steps in the @size bytes at @data.
 * Returns: 0; abort()s (after a line naming the broken rule) on any inconsistency.
 */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct vsw sw;
static uint8_t region[REGION];

static void broken(const char *rule)
{
	fprintf(stderr, "fuzz_vswitch: %s\n", rule);
	abort();
}

static void check_pool(void)
{
	uint32_t refs = 0, queued = 0, live = 0;

	for (uint32_t s = 0; s < VSW_POOL; s++) {
		refs += sw.pool[s].refs;
		live += sw.pool[s].refs > 0;
	}
	for (uint32_t p = 0; p < sw.n_ports; p++) {
		if (sw.port[p].q_n > VSW_SHARE)
			broken("a queue holds more than its share");
		queued += sw.port[p].q_n;
	}
	if (refs != queued || live + sw.n_free != VSW_POOL)
		broken("the pool's references do not match the queues");
}

static void check_head(uint32_t p)
{
	uint32_t len = 0;
	const uint8_t *f = vsw_peek(&sw, p, &len);

	if (!f)
		return;
	if (len < NET_FRAME_MIN || len > NET_FRAME_MAX)
		broken("a queued frame of an impossible length");
	if ((f[6] & 1u) != 0)
		broken("a queued frame from a group address");
}

static void step_msg(uint32_t p, const uint8_t *in, size_t n)
{
	struct ring_msg m;
	struct net_req r;

	memset(&m, 0, sizeof(m));
	memcpy(&m, in, n < 40 ? n : 40);
	if (m.len > RING_INLINE_MAX)
		m.len = RING_INLINE_MAX;
	if (vsw_req_take(&m, REGION, &r) != NET_OK || r.op == NET_OP_INFO)
		return;
	if (r.offset < NET_HEADROOM || r.offset + r.length > REGION ||
	    r.offset + r.length < r.offset)
		broken("an accepted buffer outside the region");
	if (r.op == NET_OP_TX && p > 0)
		(void)vsw_input(&sw, p, region + r.offset, r.length);
}

static size_t step_frame(uint32_t p, uint8_t ctl, const uint8_t *in, size_t n)
{
	static uint8_t f[65536];
	uint32_t len = n >= 2 ? (uint32_t)(in[0] | in[1] << 8) : 0;
	size_t used = n >= 2 ? 2 : n;
	size_t body = n - used < len ? n - used : len;

	memset(f, 0, len);
	memcpy(f, in + used, body);
	if ((ctl & 0x10u) && len >= 12)
		memcpy(f + 6, sw.port[p].mac, 6);
	uint32_t before = sw.port[p].q_n;
	(void)vsw_input(&sw, p, f, len);
	if (sw.port[p].q_n != before)
		broken("a frame was queued back to its sender");
	return used + body;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint8_t macs[N_PORTS][6] = {{0x52, 0x54, 0, 0x12, 0x34, 0x56},
	                                         {2, 0, 0, 0, 0, 0x10},
	                                         {2, 0, 0, 0, 0, 0x11},
	                                         {2, 0, 0, 0, 0, 0x12}};
	size_t i = 0;

	vsw_init(&sw);
	for (uint32_t p = 0; p < N_PORTS; p++)
		(void)vsw_port_add(&sw, macs[p]);
	for (uint32_t k = 0; k < REGION; k++)
		region[k] = (uint8_t)(k * 7u);
	while (i < size) {
		uint8_t ctl = data[i++];
		uint32_t p = ctl & 3u;
		switch ((ctl >> 2) & 3u) {
		case 0:
			step_msg(p, data + i, size - i);
			i += size - i < 40 ? size - i : 40;
			break;
		case 1:
			i += step_frame(p, ctl, data + i, size - i);
			break;
		case 2:
			check_head(p);
			if (vsw_peek(&sw, p, &(uint32_t){0}))
				vsw_pop(&sw, p);
			break;
		default:
			vsw_port_flush(&sw, p);
		}
		check_pool();
	}
	return 0;
}
