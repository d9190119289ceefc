/* isolation test, witness: once every faulting domain has armed, shows the system goes on. */
#include <bh.h>

#include "verdict.h"

#define ISO_FAULTERS 4
#define ISO_WORK 100000u

/* Every channel this domain holds leads to one faulting domain. */
static uint64_t faulter_bits(int *count)
{
	const struct bh_start_info *info = bh_info();
	uint64_t mask = 0;

	*count = 0;
	for (uint32_t i = 0; i < info->n_entries && i < BH_INFO_MAX_ENTRIES; i++) {
		if (info->entries[i].kind == BH_RES_CHANNEL && info->entries[i].bit < 64) {
			mask |= 1ull << info->entries[i].bit;
			(*count)++;
		}
	}
	return mask;
}

/* Work the witness can check: the sum of squares below @n, computed the slow way. */
static uint64_t work(uint32_t n)
{
	volatile uint64_t acc = 0;

	for (uint64_t i = 0; i < n; i++)
		acc += i * i;
	return acc;
}

int main(void)
{
	int count;
	uint64_t want = faulter_bits(&count), seen = 0;

	if (count != ISO_FAULTERS) {
		verdict("isolation.others_run", false, "%d channels to faulters, expected %d",
		        count, ISO_FAULTERS);
		return 1;
	}
	while (seen != want)
		seen |= bh_wait_for(want & ~seen);
	uint64_t n = ISO_WORK, expected = (n - 1) * n * (2 * n - 1) / 6;
	uint64_t got = work(ISO_WORK);
	verdict("isolation.others_run", got == expected, "faulters=%d work=%llu", count,
	        (unsigned long long)got);
	return 0;
}
