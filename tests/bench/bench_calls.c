/* Benchmarks null and floor: the cost of a hypercall and of the bare syscall/sysret. */
#include <bh.h>
#include <bh_hypercall.h>

#include "bench.h"

#define CALLS_PER_BATCH 10000u

static void null_calls(uint32_t n)
{
	uint64_t val;

	for (uint32_t i = 0; i < n; i++)
		(void)bh_hc0(BH_HC_NULL, &val);
}

/* The floor: the entry stub answers at once with sysret, rax unchanged. */
static void floor_calls(uint32_t n)
{
	for (uint32_t i = 0; i < n; i++) {
		uint64_t rax = BH_HC_FLOOR;
		__asm__ volatile("syscall" : "+a"(rax) : : "rcx", "r11", "memory");
	}
}

static void empty_loop(uint32_t n)
{
	for (uint32_t i = 0; i < n; i++)
		__asm__ volatile("" : : : "memory");
}

int main(void)
{
	uint64_t loop = bench_amortized(empty_loop, CALLS_PER_BATCH);

	bench_report("null", bench_amortized(null_calls, CALLS_PER_BATCH));
	bench_report("floor", bench_amortized(floor_calls, CALLS_PER_BATCH));
	printf("loop overhead %llu cycles per iteration (included above)\n",
	       (unsigned long long)loop);
	return 0;
}
