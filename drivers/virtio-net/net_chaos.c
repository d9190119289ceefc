/* virtio-net driver, chaos build: simulated restarts at pseudo-random points of the frame path. */
#include <stdio.h>

#include <bh.h>

#include "net.h"

/*
 * What the kernel's restart does to the driver, done from inside: at a chaos point the
 * instance is abandoned where it stands (answers put but not published, requests taken but
 * not released, buffers at the device, a handshake half done) and main starts again through
 * the path a fresh instance takes. The first restart comes after CHAOS_WARMUP frames plus a
 * pseudo-random number (so not before the traffic of a test started), each further one after
 * 1..2*CHAOS_MEAN frames and then 0..CHAOS_SPREAD more points; about one in CHAOS_QUICK
 * restarts again at once, inside the next instance's handshake (before the switch answered it,
 * or after: both are possible). After CHAOS_RESTARTS it stops.
 * Only this file survives a simulated restart (it stands for the kernel).
 */
#define CHAOS_RESTARTS 20u
#define CHAOS_WARMUP 300u
#define CHAOS_MEAN 250u
#define CHAOS_SPREAD 16u
#define CHAOS_QUICK 6u

jmp_buf net_chaos_jmp;
static uint64_t seed;
static uint64_t frames_left = UINT64_MAX; /* until the first frame sets the schedule */
static uint32_t points_left, restarts;

/* xorshift64: the pseudo-random sequence, seeded from the cycle counter (printed). */
static uint64_t next_random(uint64_t bound)
{
	seed ^= seed << 13;
	seed ^= seed >> 7;
	seed ^= seed << 17;
	return seed % bound;
}

/* Chooses when the next restart comes. */
static void schedule(uint64_t base)
{
	bool quick = restarts > 0 && next_random(CHAOS_QUICK) == 0;

	frames_left = quick ? 0 : base + 1u + next_random(2ull * CHAOS_MEAN);
	points_left = quick ? 0 : (uint32_t)next_random(CHAOS_SPREAD + 1u); /* quick: handshake */
}

void net_chaos_frame(void)
{
	if (frames_left == UINT64_MAX) {
		seed = bh_rdtsc() | 1u;
		printf("virtio-net: chaos: %u restarts to come, seed %llx\n", CHAOS_RESTARTS,
		       (unsigned long long)seed);
		schedule(CHAOS_WARMUP);
	}
	if (frames_left > 0)
		frames_left--;
}

void net_chaos_point(const char *site)
{
	if (restarts >= CHAOS_RESTARTS || frames_left > 0)
		return;
	if (points_left > 0) {
		points_left--;
		return;
	}
	restarts++;
	printf("virtio-net: chaos: restart %u of %u at %s\n", restarts, CHAOS_RESTARTS, site);
	bh_flush();
	if (restarts < CHAOS_RESTARTS)
		schedule(0);
	longjmp(net_chaos_jmp, 1);
}
