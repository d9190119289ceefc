/* Storage restart tests' chaos domain: restarts the virtio-blk driver through the kernel at pseudo-random moments. */
#include <stdint.h>

#include <bh.h>

#include "prng.h"
#include "verdict.h"

/*
 * Built twice (tests/system/meson.build): stor_killer restarts the domain blkdrv KILL_RESTARTS
 * = 20 times, stor_killer_long (`bulkhead test --long`) 100 times, each once the clients
 * answered more requests since the last one (so that every restart comes under load, never
 * in a row while the system starts) and after a further delay drawn from a generator seeded
 * with the cycle counter (KILL_MIN_US .. KILL_MAX_US), with its
 * <control rights="restart replace">: the last one replaces it by its alternative image 1
 * (virtio-blk-v2), the others restart its own image. The count goes to region "chaos" ([0] restarts so far, [1] the
 * target), which the clients (stor_churn.c) read to know when to stop; they write [2] and [3]
 * when done, [4] and [5] their requests answered so far. Then, the driver idle, its heartbeat (map "hb-blk": it is supervised) must go on:
 * a supervised driver sleeps at most BH_HEARTBEAT_US (10 ms) at a time.
 */
#ifndef KILL_RESTARTS
#define KILL_RESTARTS 20u
#endif
#define KILL_MIN_US 200u
#define KILL_MAX_US 20000u

#define IDLE_MS 100u /* ten heartbeat intervals */

static void pause_us(uint64_t us)
{
	(void)bh_wait_until(0, bh_rdtsc() + us * bh_cycles_per_us());
}

/* Waits until the clients answered more than @seen requests in all. Returns the new total. */
static uint64_t await_progress(const volatile uint64_t *status, uint64_t seen)
{
	while (status[4] + status[5] <= seen)
		pause_us(1000u);
	return status[4] + status[5];
}

/* Waits until both clients are done, then checks that the idle driver's heartbeat moves. */
static void check_heartbeat(const volatile uint64_t *status)
{
	const struct bh_info_entry *hb = bh_lookup("hb-blk", BH_RES_MAP);

	if (!hb) {
		verdict("restart.heartbeat", false, "no map \"hb-blk\"");
		return;
	}
	const volatile uint64_t *beats = (const volatile uint64_t *)(uintptr_t)hb->vaddr;
	while (!status[2] || !status[3])
		pause_us((uint64_t)IDLE_MS * 1000u);
	uint64_t before = *beats;
	pause_us((uint64_t)IDLE_MS * 1000u);
	uint64_t after = *beats;
	verdict("restart.heartbeat", after > before,
	        "the idle driver beat %llu times in %u ms (%llu in all)",
	        (unsigned long long)(after - before), IDLE_MS, (unsigned long long)after);
}

int main(void)
{
	const struct bh_info_entry *drv = bh_domain_find("blkdrv");
	const struct bh_info_entry *page = bh_lookup("chaos", BH_RES_MAP);
	uint64_t seed = prng_mix(bh_rdtsc()) | 1;

	if (!drv || !page || !(page->flags & BH_RIGHT_WRITE)) {
		verdict("restart.kill", false,
		        "no <control> of blkdrv, or no writable map \"chaos\"");
		return 1;
	}
	volatile uint64_t *status = (volatile uint64_t *)(uintptr_t)page->vaddr;
	say("chaos: %u restarts of blkdrv, seed %llx\n", KILL_RESTARTS, (unsigned long long)seed);
	status[1] = KILL_RESTARTS;
	uint64_t seen = 0;
	for (uint32_t n = 1; n <= KILL_RESTARTS; n++) {
		seen = await_progress(status, seen);
		pause_us(KILL_MIN_US + prng_next(&seed) % (KILL_MAX_US - KILL_MIN_US));
		enum bh_err err = bh_domain_restart(drv->slot, n == KILL_RESTARTS ? 1 : 0);
		if (err != BH_OK) {
			verdict("restart.kill", false, "restart %u of blkdrv: error %d", n, err);
			return 1;
		}
		status[0] = n;
	}
	verdict("restart.kill", true, "%u restarts of blkdrv, the last one by virtio-blk-v2",
	        KILL_RESTARTS);
	check_heartbeat(status);
	return 0;
}
