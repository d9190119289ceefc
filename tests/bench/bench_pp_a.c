/* Benchmark pingpong, initiator: signal-and-wait round trips between two equal-priority domains. */
#include <bh.h>

#include "bench.h"

static struct bh_channel ch;

static void round_trips(uint32_t n)
{
	for (uint32_t i = 0; i < n; i++)
		bench_signal_wait(ch.slot, ch.bit);
}

int main(void)
{
	if (!bh_channel_open("pp", &ch)) {
		printf("no channel \"pp\" in the manifest\n");
		return 1;
	}
	bench_report("pingpong", bench_amortized(round_trips, BENCH_PP_ITERS));
	return 0;
}
