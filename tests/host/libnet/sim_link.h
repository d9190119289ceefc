/* A simulated Ethernet link between two libnet stacks: latency, loss, duplicates, reordering,
 * corruption, all drawn from a seeded PRNG, and a virtual millisecond clock. */
#ifndef TESTS_LIBNET_SIM_LINK_H
#define TESTS_LIBNET_SIM_LINK_H

#include <libnet.h>

#define SIM_QUEUE 4096u /* frames in flight on the link; more are dropped (counted) */

struct sim;

/* Sees every frame a stack sends (@from: 0 or 1) before the link's faults apply. */
typedef void (*sim_watch_fn)(struct sim *sim, int from, const uint8_t *frame, size_t len);

struct sim_frame {
	uint64_t at, order;
	int to;
	uint16_t len;
	uint8_t data[NET_FRAME_MAX];
};

struct sim_end {
	struct sim *sim;
	int from;
};

struct sim {
	struct net_stack *st[2];
	struct sim_end end[2];
	struct sim_frame *q;
	unsigned n;
	uint64_t now, order, rng;
	uint64_t next_poll[2];
	unsigned latency_ms;
	unsigned loss_pm, dup_pm, reorder_pm, corrupt_pm; /* per mille of frames */
	unsigned reorder_ms;                              /* extra delay of a reordered frame */
	bool cut[2];                                      /* frames from this side are lost */
	uint64_t sent, lost, duplicated, reordered, corrupted, overflow;
	sim_watch_fn watch;
	void *user;
};

/**
 * Sets up two stacks on one /24 (10.0.0.1 and 10.0.0.2, MACs 02:00:00:00:00:01/02) joined by
 * @sim with @seed; no faults, 1 ms latency. The stacks are @a and @b.
 */
void sim_init(struct sim *sim, struct net_stack *a, struct net_stack *b, uint64_t seed);

/** Frees the link's queue. */
void sim_fini(struct sim *sim);

/**
 * Advances to the next event (a frame arriving or a timer of either stack) and runs it.
 * Returns: false if nothing at all is pending (the clock does not move).
 */
bool sim_step(struct sim *sim);

/** Runs events until the clock passes @ms more milliseconds (or nothing is pending). */
void sim_run_for(struct sim *sim, uint64_t ms);

/** Returns: a pseudo-random 64-bit number from the link's PRNG. */
uint64_t sim_rand(struct sim *sim);

/** Hands @len bytes at @frame to stack @to at once (a crafted frame), then polls it. */
void sim_inject(struct sim *sim, int to, const uint8_t *frame, size_t len);

#define SIM_IP_A 0x0a000001u
#define SIM_IP_B 0x0a000002u

#endif
