/* Benchmark helpers: `BENCH name cycles` lines and robust summaries of rdtsc samples. */
#ifndef BENCH_BENCH_H
#define BENCH_BENCH_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include <bh.h>
#include <bh_hypercall.h>

/*
 * Benchmarks print numbers and never judge them. An amortized measurement runs
 * BENCH_BATCHES batches of many iterations and reports the smallest per-iteration
 * average (the batch least disturbed by timer interrupts and the console); a
 * per-event measurement reports the median of its samples.
 */
#define BENCH_BATCHES 10u

/* Round trips per batch of the pingpong benchmark (both ends must agree). */
#define BENCH_PP_ITERS 1000u

/* Prints `BENCH @name @cycles` and pushes it to the console at once. */
static inline void bench_report(const char *name, uint64_t cycles)
{
	printf("BENCH %s %llu\n", name, (unsigned long long)cycles);
	bh_flush();
}

static inline int bench_cmp(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* The median of @n samples (sorts @v in place). */
static inline uint64_t bench_median(uint64_t *v, size_t n)
{
	qsort(v, n, sizeof(*v), bench_cmp);
	return v[n / 2];
}

/*
 * Waits until @bits (the result of the caller's last wait, or 0) holds @bit. Raw
 * hypercalls: no libbh bookkeeping on a measured path. Other bits (the stdout ring)
 * are dropped; libbh re-checks its ring before it sleeps, so it loses nothing.
 */
static inline void bench_wait_bit(uint64_t bit, uint64_t bits)
{
	while (!(bits & bit))
		(void)bh_hc0(BH_HC_WAIT, &bits);
}

/* Signals @slot and waits for @bit, in one hypercall unless other bits come first. */
static inline void bench_signal_wait(uint32_t slot, uint64_t bit)
{
	uint64_t bits;

	(void)bh_hc1(BH_HC_SIGNAL_WAIT, slot, &bits);
	bench_wait_bit(bit, bits);
}

/* Smallest per-iteration cost over BENCH_BATCHES runs of @fn(@iters). */
static inline uint64_t bench_amortized(void (*fn)(uint32_t iters), uint32_t iters)
{
	uint64_t best = UINT64_MAX;

	for (uint32_t b = 0; b < BENCH_BATCHES; b++) {
		uint64_t t0 = bh_rdtsc();
		fn(iters);
		uint64_t per = (bh_rdtsc() - t0) / iters;
		if (per < best)
			best = per;
	}
	return best;
}

#endif
