/* Benchmarks ring_rtt and ring_msg, client: 64-byte round trips, then 64-byte streams. */
#include <string.h>

#include <bh.h>

#include "bench.h"
#include "ring_bench.h"

static struct bh_ring r;
static uint8_t payload[RB_MSG_LEN];
static uint64_t seq;
static bool failed;

static void send_msg(uint16_t type)
{
	if (bh_ring_send(&r, type, seq++, payload, RB_MSG_LEN) != RING_OK)
		failed = true;
}

/* Sends a request of @type and takes its answer (publish, wake and sleep in one hypercall). */
static void call(uint16_t type)
{
	struct ring_msg m;

	if (bh_ring_call(&r, type, seq, payload, RB_MSG_LEN, &m) != RING_OK || m.tag != seq)
		failed = true;
	seq++;
}

/* @n calls of type RB_RTT; as lean a loop as pingpong's, so the figure is the ring's. */
static void round_trips(uint32_t n)
{
	struct ring_msg m;
	uint64_t tag = seq;

	for (uint32_t i = 0; i < n; i++, tag++) {
		if (bh_ring_call(&r, RB_RTT, tag, payload, RB_MSG_LEN, &m) != RING_OK ||
		    m.tag != tag)
			failed = true;
	}
	seq = tag;
}

/*
 * Cycles per message of one stream, from the first send to the server's
 * answer. The stream is batched: messages are put and published in groups of
 * RB_BATCH (and whenever the ring fills), as a streaming producer would.
 */
static uint64_t stream(void)
{
	uint64_t t0 = bh_rdtsc();

	for (uint32_t i = 0; i < RB_STREAM_MSGS; i++) {
		if (bh_ring_put(&r, RB_STREAM, seq++, payload, RB_MSG_LEN) != RING_OK)
			failed = true;
		if (i % RB_BATCH == RB_BATCH - 1)
			bh_ring_flush(&r);
	}
	call(RB_STREAM_END);
	return (bh_rdtsc() - t0) / RB_STREAM_MSGS;
}

int main(void)
{
	uint64_t best = UINT64_MAX;

	if (!bh_ring_open("bench", &r)) {
		printf("no ring \"bench\" in the manifest\n");
		return 1;
	}
	memset(payload, 0xa5, sizeof(payload));
	bench_report("ring_rtt", bench_amortized(round_trips, RB_RTT_ITERS));
	for (uint32_t run = 0; run < RB_STREAM_RUNS; run++) {
		uint64_t c = stream();
		best = c < best ? c : best;
	}
	bench_report("ring_msg", best);
	send_msg(RB_QUIT);
	if (failed)
		printf("a ring operation failed; the numbers above are not valid\n");
	return failed;
}
