/* Benchmark signal_wake, receiver: cycles from the sender's rdtsc to this domain running. */
#include <bh.h>

#include "bench.h"
#include "wake.h"

static uint64_t samples[WAKE_SAMPLES];

int main(void)
{
	const struct bh_info_entry *m = bh_lookup("stamp", BH_RES_MAP);
	struct bh_channel ch;

	if (!m || !bh_channel_open("wake", &ch)) {
		printf("no map \"stamp\" or channel \"wake\" in the manifest\n");
		return 1;
	}
	volatile const uint64_t *stamp = (volatile const uint64_t *)(uintptr_t)m->vaddr;
	bench_wait_bit(ch.bit, 0);
	for (uint32_t i = 0; i < WAKE_WARMUP + WAKE_SAMPLES; i++) {
		uint64_t t1 = bh_rdtsc();
		if (i >= WAKE_WARMUP)
			samples[i - WAKE_WARMUP] = t1 - *stamp;
		if (i + 1 < WAKE_WARMUP + WAKE_SAMPLES)
			bench_signal_wait(ch.slot, ch.bit); /* acknowledge, wait for the next */
	}
	(void)bh_signal(ch.slot); /* the sender's last wait */
	bench_report("signal_wake", bench_median(samples, WAKE_SAMPLES));
	return 0;
}
