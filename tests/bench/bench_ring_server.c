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
	while (bh_ring_recv(&r, &m) == RING_OK && m.type != RB_QUIT) {
		if (m.type == RB_RTT || m.type == RB_STREAM_END)
			(void)bh_ring_send(&r, m.type, m.tag, m.data, m.len);
	}
	return 0;
}
