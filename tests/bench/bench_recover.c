/* Benchmark recover: a fault of the virtio-blk driver to the first client request completed by its next instance. */
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include <bh.h>
#include <libblk.h>

#include "bench.h"
#include "recover.h"
#include "storage_workload.h"

/*
 * Booted by `bulkhead bench` (--only recover) in tests/bench/storage_recover.xml, on the
 * bench disk: this client reads 4 KiB blocks at depth 1 from its volume (the storage
 * service, on the driver virtio-blk-fault). For each sample it arms the shared page
 * (recover.h) and reads: the driver stamps the TSC and faults on that request, the
 * supervisor restarts it, the new instance announces itself, the service sends the request
 * again and answers it. The sample runs from the driver's stamp to this client seeing the
 * answer. The client never sleeps (it polls at the lowest priority), so under -icount the
 * TSC counts every instruction of the recovery and never jumps to a timer while the CPU
 * would idle. Prints `BENCH recover N` (the median), `INFO recover ...` and `DONE`.
 */
#define WARMUP_READS 16u
#define FAULT_WARMUP 1u
#define FAULT_SAMPLES 9u
#define READS_BETWEEN 4u /* plain reads after each recovery: the new instance serves */

static struct bh_ring ring;
static struct blk_vol vol;
static volatile uint8_t *data;
static volatile struct recover_page *page;
static uint64_t next_block;
static bool failed;

/* libblk's wait: return at once, so that it polls the ring (the CPU never idles). */
static void spin(void *ctx)
{
	(void)ctx;
	__asm__ volatile("pause" ::: "memory");
}

static void kick(void *ctx)
{
	(void)bh_signal(((struct bh_ring *)ctx)->slot);
}

/* Reads the next 4 KiB block into offset 0 of the data region and checks its tag. */
static bool read_block(void)
{
	uint64_t block = next_block++ % (SW_SPAN_BYTES / SW_BLOCK_BYTES);
	uint32_t st = blk_read(&vol, block * (SW_BLOCK_BYTES / BLK_SECTOR_SIZE),
	                       SW_BLOCK_BYTES / BLK_SECTOR_SIZE, 0);
	uint64_t tag = 0;

	for (uint32_t k = 0; k < 8; k++)
		tag |= (uint64_t)data[k] << (8 * k);
	if (st == BLK_OK && tag == sw_tag(block))
		return true;
	if (!failed)
		bh_say("ERROR recover: block %llu: status %u, tag %llx", (unsigned long long)block,
		       st, (unsigned long long)tag);
	failed = true;
	return false;
}

/* One fault and its recovery; returns the cycles from the driver's stamp to the answer. */
static uint64_t one_recovery(void)
{
	uint64_t faults = page->faults;

	page->fault_tsc = 0;
	page->arm = 1;
	bool ok = read_block();
	uint64_t done = bh_rdtsc();
	if (page->faults != faults + 1 && !failed) {
		bh_say("ERROR recover: the driver did not fault on the armed request");
		failed = true;
	}
	for (uint32_t i = 0; i < READS_BETWEEN && ok; i++)
		ok = read_block();
	return done - page->fault_tsc;
}

/* Finds the volume, its data region and the shared page. */
static bool setup(void)
{
	const struct bh_info_entry *m = bh_lookup(RECOVER_MAP, BH_RES_MAP);

	if (!m || !(m->flags & BH_RIGHT_WRITE) || !bh_ring_open("blk", &ring)) {
		bh_say("ERROR recover: no ring \"blk\" or no writable map \"" RECOVER_MAP "\"");
		return false;
	}
	uint32_t st = blk_attach(&vol, &ring.ring, spin, kick, &ring);
	if (st != BLK_OK || vol.sectors * BLK_SECTOR_SIZE < SW_SPAN_BYTES) {
		bh_say("ERROR recover: the volume: status %u, %llu sectors", st,
		       (unsigned long long)vol.sectors);
		return false;
	}
	const struct bh_info_entry *d = bh_lookup(vol.data_name, BH_RES_MAP);
	if (!d || d->size < SW_BLOCK_BYTES) {
		bh_say("ERROR recover: no map of the data region %s", vol.data_name);
		return false;
	}
	page = (volatile struct recover_page *)(uintptr_t)m->vaddr;
	data = (volatile uint8_t *)(uintptr_t)d->vaddr;
	return true;
}

int main(void)
{
	static uint64_t samples[FAULT_SAMPLES];

	if (setup()) {
		for (uint32_t i = 0; i < WARMUP_READS && !failed; i++)
			(void)read_block();
		for (uint32_t i = 0; i < FAULT_WARMUP + FAULT_SAMPLES && !failed; i++) {
			uint64_t c = one_recovery();
			if (i >= FAULT_WARMUP)
				samples[i - FAULT_WARMUP] = c;
		}
	}
	if (!failed) {
		uint64_t median = bench_median(samples, FAULT_SAMPLES); /* sorts them */
		bh_say("INFO recover samples=%u min=%llu max=%llu", FAULT_SAMPLES,
		       (unsigned long long)samples[0],
		       (unsigned long long)samples[FAULT_SAMPLES - 1]);
		bh_say("BENCH recover %llu", (unsigned long long)median);
	}
	bh_say("DONE");
	return 0;
}
