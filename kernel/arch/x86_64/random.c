/* x86_64 entropy: RDSEED, else RDRAND, each retried a bounded number of times. */
#include <kernel/arch.h>
#include <x86.h>

#define TRIES 64u

static bool have_rdseed, have_rdrand;

void random_init(void)
{
	have_rdrand = (cpuid(1, 0).c & (1u << 30)) != 0;
	have_rdseed = cpuid(0, 0).a >= 7 && (cpuid(7, 0).b & (1u << 18)) != 0;
}

/* One RDSEED: true with *@v only if the CPU set CF (the value is valid). */
static bool rdseed64(uint64_t *v)
{
	uint64_t x;
	uint8_t ok;
	__asm__ volatile("rdseed %0\n\tsetc %1" : "=r"(x), "=qm"(ok) : : "cc");
	*v = x;
	return ok;
}

static bool rdrand64(uint64_t *v)
{
	uint64_t x;
	uint8_t ok;
	__asm__ volatile("rdrand %0\n\tsetc %1" : "=r"(x), "=qm"(ok) : : "cc");
	*v = x;
	return ok;
}

/* Up to TRIES draws of RDSEED (@seed) or RDRAND; an all-zero value counts as a failed draw. */
static bool draw_valid(bool seed, uint64_t *out)
{
	for (uint32_t i = 0; i < TRIES; i++) {
		uint64_t v = 0;
		if ((seed ? rdseed64(&v) : rdrand64(&v)) && v) {
			*out = v;
			return true;
		}
	}
	return false;
}

bool arch_random64(uint64_t *out)
{
	if (have_rdseed && draw_valid(true, out))
		return true;
	return have_rdrand && draw_valid(false, out);
}
