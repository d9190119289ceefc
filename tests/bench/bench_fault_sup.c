/*
 * Benchmark fault_notify, supervisor: cycles from the target's last rdtsc before its page
 * fault to the moment the kernel wrote the fault record and set this domain's bit (the
 * record's tsc), and (fault_wake, the row judged against 1,300) to this domain running; the
 * kernel's report line of the fault comes later (docs/control.md).
 */
#include <bh.h>
#include <bulkhead/abi/fault.h>

#include "bench.h"

#define FAULT_WARMUP 5u
#define FAULT_SAMPLES 100u

static uint64_t notify[FAULT_SAMPLES], wake[FAULT_SAMPLES];

int main(void)
{
	const struct bh_info_entry *m = bh_lookup("fstamp", BH_RES_MAP);
	const struct bh_info_entry *t = bh_domain_find("fault");

	if (!m || !t || !t->vaddr || t->bit >= 64) {
		printf("no map \"fstamp\" or control of \"fault\" with faults in the manifest\n");
		return 1;
	}
	volatile const uint64_t *stamp = (volatile const uint64_t *)(uintptr_t)m->vaddr;
	volatile const struct bh_fault_page *page =
		(volatile const struct bh_fault_page *)(uintptr_t)t->vaddr;
	for (uint32_t i = 0; i < FAULT_WARMUP + FAULT_SAMPLES; i++) {
		bench_wait_bit(1ull << t->bit, 0);
		uint64_t now = bh_rdtsc();
		if (i >= FAULT_WARMUP) {
			notify[i - FAULT_WARMUP] = page->tsc - *stamp;
			wake[i - FAULT_WARMUP] = now - *stamp;
		}
		if (i + 1 < FAULT_WARMUP + FAULT_SAMPLES)
			(void)bh_domain_restart(t->slot, 0);
	}
	bench_report("fault_notify", bench_median(notify, FAULT_SAMPLES));
	bench_report("fault_wake", bench_median(wake, FAULT_SAMPLES));
	return 0;
}
