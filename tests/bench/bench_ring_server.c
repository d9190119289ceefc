/* Benchmarks ring_rtt and ring_msg, server: answers round trips, consumes streams. */
#include <stdio.h>

#include <bh.h>

#include "ring_bench.h"

int main(void)
{
	struct bh_ring r;
	struct ring_msg m;

	if (!bh_ring_open("bench", &r)) {
		printf("no ring \"bench\" in the manifest\n");
		return 1;
	}
	/* Take messages in batches and put the answers. When the ring runs dry,
	 * bh_ring_take publishes the answers, releases the slots taken and
	 * wakes the client as it goes to sleep, in one hypercall. */
	while (bh_ring_take(&r, &m) == RING_OK && m.type != RB_QUIT) {
		if (m.type == RB_RTT || m.type == RB_STREAM_END)
			(void)bh_ring_put(&r, m.type, m.tag, m.data, m.len);
	}
	bh_ring_release(&r);
	return 0;
}
