/* Benchmark fault_notify, target: stamps rdtsc into shared memory, then faults at once. */
#include <bh.h>

#define FAULT_ADDR 0x7ead0000ull /* nothing is mapped there */

/*
 * Every instance (the supervisor restarts it for each sample) does the same: the
 * stamp, then a write to an unmapped page. Its supervisor (bench_fault_sup.c)
 * measures from the stamp to the kernel's time in the fault record.
 */
int main(void)
{
	const struct bh_info_entry *m = bh_lookup("fstamp", BH_RES_MAP);

	if (!m || !(m->flags & BH_RIGHT_WRITE))
		return 1;
	volatile uint64_t *stamp = (volatile uint64_t *)(uintptr_t)m->vaddr;
	*stamp = bh_rdtsc();
	*(volatile uint64_t *)(uintptr_t)FAULT_ADDR = 0;
	return 0;
}
