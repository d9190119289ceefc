/* budget.fraction test: how much of the time a domain ran, measured with the cycle counter. */
#ifndef TESTS_BUDGET_METER_H
#define TESTS_BUDGET_METER_H

#include <stdbool.h>
#include <stdint.h>

#include <bh.h>

/*
 * A domain that reads the cycle counter in a tight loop sees short gaps between two
 * reads while it runs, and a long gap whenever it lost the CPU: to another domain, to
 * the kernel, or to the host running something other than QEMU. The sum of the short
 * gaps is the time it ran. "Short" is under METER_FACTOR times the loop's cost, taken
 * as the lowest average gap over blocks of METER_BLOCK reads while warming up (a
 * block average hides a single odd read either way). The loop is a dozen
 * instructions, so the threshold is 10-20 us at any cycle rate: above the hiccups of
 * TCG and the kernel's timer interrupts, far below the spinner's 100 us slice and the
 * 100 us the low domain waits for it.
 */
#define METER_BLOCKS 64u
#define METER_BLOCK 64u
#define METER_FACTOR 1024u

/* The page the spinner shares with the low domain (region "meter"). */
struct meter_page {
	volatile uint64_t ran; /* cycles the spinner has run */
};

/* One domain's measurement. */
struct meter {
	uint64_t last;      /* the latest read of the cycle counter */
	uint64_t threshold; /* a gap this long or longer: the domain did not run */
	uint64_t ran;       /* sum of the short gaps */
};

/* Measures the loop's cost and starts counting from zero. */
static inline void meter_start(struct meter *m)
{
	uint64_t lowest = UINT64_MAX, prev = bh_rdtsc();

	for (uint32_t b = 0; b < METER_BLOCKS; b++) {
		uint64_t t = prev;
		for (uint32_t i = 0; i < METER_BLOCK; i++)
			t = bh_rdtsc();
		if ((t - prev) / METER_BLOCK < lowest)
			lowest = (t - prev) / METER_BLOCK;
		prev = t;
	}
	m->threshold = (lowest ? lowest : 1) * METER_FACTOR;
	m->last = prev;
	m->ran = 0;
}

/* Reads the cycle counter once; returns the gap since the last read, counted as run time if short. */
static inline uint64_t meter_step(struct meter *m)
{
	uint64_t t = bh_rdtsc(), gap = t - m->last;

	m->last = t;
	if (gap < m->threshold)
		m->ran += gap;
	return gap;
}

#endif
