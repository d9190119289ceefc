/* libbh: hypercall wrappers (signal, yield, exit, raw calls). */
#include <bh.h>
#include <bh_hypercall.h>

struct bh_ret bh_hypercall(uint64_t nr, uint64_t a0, uint64_t a1, uint64_t a2)
{
	struct bh_ret r;

	r.err = bh_hc4(nr, a0, a1, a2, 0, &r.val);
	return r;
}

enum bh_err bh_signal(uint32_t slot)
{
	uint64_t val;

	return (enum bh_err)bh_hc1(BH_HC_SIGNAL, slot, &val);
}

void bh_yield(void)
{
	uint64_t val;

	(void)bh_hc0(BH_HC_YIELD, &val);
}

void bh_exit(int code)
{
	uint64_t val;

	bh_flush();
	(void)bh_hc1(BH_HC_EXIT, (uint64_t)(int64_t)code, &val);
	for (;;)
		__asm__ volatile("ud2"); /* the kernel refused: fault, which also stops us */
}
