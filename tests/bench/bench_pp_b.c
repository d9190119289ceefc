/* Benchmark pingpong, responder: answers every signal of the initiator with signal-and-wait. */
#include <bh.h>

#include "bench.h"

int main(void)
{
	struct bh_channel ch;

	if (!bh_channel_open("pp", &ch)) {
		printf("no channel \"pp\" in the manifest\n");
		return 1;
	}
	bench_wait_bit(ch.bit, 0);
	for (uint32_t i = 1; i < BENCH_BATCHES * BENCH_PP_ITERS; i++)
		bench_signal_wait(ch.slot, ch.bit);
	(void)bh_signal(ch.slot); /* the initiator's last wait */
	return 0;
}
