/* Benchmark signal_wake, sender: stamps rdtsc into shared memory, then wakes the receiver. */
#include <bh.h>

#include "bench.h"
#include "wake.h"

/*
 * Runs at a lower priority than the receiver (bench_wake_rx.c), which waits. Each
 * sample: read the TSC, store it in "stamp", signal the receiver and wait for its
 * acknowledgement in one call. The receiver, higher in priority, runs as soon as the
 * kernel lets it and computes the delta; the acknowledgement only paces the samples.
 */
int main(void)
{
	const struct bh_info_entry *m = bh_lookup("stamp", BH_RES_MAP);
	struct bh_channel ch;

	if (!m || !(m->flags & BH_RIGHT_WRITE) || !bh_channel_open("wake", &ch)) {
		printf("no map \"stamp\" (rw) or channel \"wake\" in the manifest\n");
		return 1;
	}
	volatile uint64_t *stamp = (volatile uint64_t *)(uintptr_t)m->vaddr;
	for (uint32_t i = 0; i < WAKE_WARMUP + WAKE_SAMPLES; i++) {
		*stamp = bh_rdtsc();
		bench_signal_wait(ch.slot, ch.bit);
	}
	return 0;
}
