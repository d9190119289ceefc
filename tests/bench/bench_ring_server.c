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
	/* Take stream messages in batches (slots go back when the ring runs
	 * dry). An answer goes out with bh_ring_call, which publishes it,
	 * releases the slots taken and wakes the client as it goes to sleep for
	 * the next request, in one hypercall. */
	enum ring_status st = bh_ring_take(&r, &m);
	while (st == RING_OK && m.type != RB_QUIT) {
		if (m.type == RB_RTT || m.type == RB_STREAM_END)
			st = bh_ring_call(&r, m.type, m.tag, m.data, m.len, &m);
		else
			st = bh_ring_take(&r, &m);
	}
	bh_ring_release(&r);
	return 0;
}
