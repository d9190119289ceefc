/* System-test domain (net_restart_kernel): restarts the virtio-net driver while frames flow. */
#include <stdio.h>

#include <bh.h>

/*
 * The domain holds <control target="netdrv" rights="restart"> and maps the uplink's frames
 * region read-only. RESTARTS times it waits until the frames there keep changing (the host's
 * transfer runs: the last instance reconnected and TCP recovered), pauses a pseudo-random 0 to
 * PAUSE_SPREAD_MS, and restarts the driver through the kernel (BH_HC_DOMAIN_RESTART): the
 * driver stops wherever it is, and a fresh instance from its image resets the device and
 * reconnects to the switch. Frames that stop for TRAFFIC_WAIT_MS fail the test.
 */
#ifndef RESTARTS
#define RESTARTS 20u
#endif
#define SAMPLE_MS 2u
#define BUSY_SAMPLES 3u /* samples in a row with changed frames: the transfer runs */
#define TRAFFIC_WAIT_MS 60000u
#define PAUSE_SPREAD_MS 100u

static uint64_t seed;

/* xorshift64, seeded from the cycle counter (printed). */
static uint64_t next_random(uint64_t bound)
{
	seed ^= seed << 13;
	seed ^= seed >> 7;
	seed ^= seed << 17;
	return seed % bound;
}

static void sleep_ms(uint64_t ms)
{
	(void)bh_wait_until(0, bh_deadline_ms(ms));
}

/* A fingerprint of the frames region: one word of every 256 bytes. */
static uint64_t fingerprint(const struct bh_info_entry *frames)
{
	const volatile uint64_t *w = (const volatile uint64_t *)(uintptr_t)frames->vaddr;
	uint64_t sum = 0;

	for (uint64_t i = 0; i < frames->size / 8u; i += 32u)
		sum = sum * 31u + w[i];
	return sum;
}

/* Waits until the frames change BUSY_SAMPLES samples in a row. Returns false after
 * TRAFFIC_WAIT_MS without. */
static bool wait_for_traffic(const struct bh_info_entry *frames)
{
	uint64_t last = fingerprint(frames), deadline = bh_now_ms() + TRAFFIC_WAIT_MS;
	uint32_t busy = 0;

	while (busy < BUSY_SAMPLES && bh_now_ms() < deadline) {
		sleep_ms(SAMPLE_MS);
		uint64_t now = fingerprint(frames);
		busy = now != last ? busy + 1u : 0u;
		last = now;
	}
	return busy == BUSY_SAMPLES;
}

/* Restarts the driver RESTARTS times while frames flow. Returns false (and says why) if the
 * frames stopped or the kernel refused. */
static bool restart_all(uint32_t slot, const struct bh_info_entry *frames)
{
	for (uint32_t i = 1; i <= RESTARTS; i++) {
		if (!wait_for_traffic(frames)) {
			printf("TEST net_restart_kernel.traffic FAIL no frames crossed up-data for %u ms "
			       "after %u restarts\n",
			       TRAFFIC_WAIT_MS, i - 1u);
			return false;
		}
		sleep_ms(next_random(PAUSE_SPREAD_MS + 1u));
		enum bh_err err = bh_domain_restart(slot, 0);
		if (err != BH_OK) {
			printf("TEST net_restart_kernel.restarts FAIL restart %u refused: error %d\n",
			       i, (int)err);
			return false;
		}
		printf("chaos: restart %u of %u of netdrv\n", i, RESTARTS);
	}
	return true;
}

int main(void)
{
	const struct bh_info_entry *drv = bh_domain_find("netdrv");
	const struct bh_info_entry *frames = bh_lookup("up-data", BH_RES_MAP);

	if (!drv || !frames) {
		printf("TEST net_restart_kernel.setup FAIL no control of netdrv or no map up-data\n");
		return 1;
	}
	seed = bh_rdtsc() | 1u;
	printf("chaos: %u restarts of netdrv while frames flow, seed %llx\n", RESTARTS,
	       (unsigned long long)seed);
	if (!restart_all(drv->slot, frames))
		return 1;
	printf("TEST net_restart_kernel.restarts PASS %u restarts of netdrv, each while frames "
	       "flowed\n",
	       RESTARTS);
	return 0;
}
