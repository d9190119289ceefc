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
 * gaps is the time it ran. "Short" is under METER_FACTOR times the shortest gap seen
 * while warming up. The loop is a dozen instructions, so the threshold is about 10 us
 * at any cycle rate: above the hiccups of TCG and the kernel's timer interrupts, far
 * below the spinner's 100 us slice and the 100 us the low domain waits for it.
 */
#define METER_WARMUP 4096u
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

/* Finds the shortest gap of the loop and starts counting from zero. */
static inline void meter_start(struct meter *m)
{
	uint64_t shortest = UINT64_MAX, prev = bh_rdtsc();

	for (uint32_t i = 0; i < METER_WARMUP; i++) {
		uint64_t t = bh_rdtsc();
		if (t - prev < shortest)
			shortest = t - prev;
		prev = t;
	}
	m->threshold = (shortest ? shortest : 1) * METER_FACTOR;
	m->last = prev;
	m->ran = 0;
}

/* Reads the cycle counter once and counts the gap since the last read. */
static inline void meter_step(struct meter *m)
{
	uint64_t t = bh_rdtsc(), gap = t - m->last;

	m->last = t;
	if (gap < m->threshold)
		m->ran += gap;
}

#endif
