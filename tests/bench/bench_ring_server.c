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
	/* Take messages in batches; a slot goes back to the client when the
	 * ring runs dry (bh_ring_take releases before it waits) or before an
	 * answer, so the client sees its space and its answer together. */
	while (bh_ring_take(&r, &m) == RING_OK && m.type != RB_QUIT) {
		if (m.type == RB_RTT || m.type == RB_STREAM_END) {
			bh_ring_release(&r);
			(void)bh_ring_send(&r, m.type, m.tag, m.data, m.len);
		}
	}
	bh_ring_release(&r);
	return 0;
}
