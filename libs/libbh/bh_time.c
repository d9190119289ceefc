/* libbh: time from the cycle counter, at the rate the kernel measured at boot. */
#include <bh.h>

uint64_t bh_cycles_per_us(void)
{
	const struct bh_start_info *info = bh_info();
	uint64_t rate = info ? info->cycles_per_us : 0;

	return rate ? rate : 1; /* a kernel that did not say: count cycles as microseconds */
}

uint64_t bh_now_ms(void)
{
	return bh_rdtsc() / (bh_cycles_per_us() * 1000u);
}

uint64_t bh_deadline_ms(uint64_t ms)
{
	uint64_t per_ms = bh_cycles_per_us() * 1000u, now = bh_rdtsc();

	if (ms > (UINT64_MAX - now) / per_ms)
		return UINT64_MAX;
	return now + ms * per_ms;
}

uint64_t bh_wall_time(void)
{
	const struct bh_start_info *info = bh_info();

	if (!info || !info->boot_unix)
		return 0;
	uint64_t now = bh_rdtsc(), since = now > info->boot_tsc ? now - info->boot_tsc : 0;
	return info->boot_unix + since / bh_cycles_per_us() / 1000000u;
}
