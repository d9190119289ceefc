/* libbh: hypercall wrappers (signal, yield, raw calls); a leaf: it calls nothing else in libbh. */
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

enum bh_err bh_entropy(uint64_t *out)
{
	uint64_t val = 0;
	enum bh_err err = (enum bh_err)bh_hc0(BH_HC_ENTROPY, &val);

	*out = err == BH_OK ? val : 0;
	return err;
}

enum bh_err bh_set_fsbase(void *base)
{
	uint64_t val;

	return (enum bh_err)bh_hc1(BH_HC_SET_FSBASE, (uint64_t)(uintptr_t)base, &val);
}
