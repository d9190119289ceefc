/* budget.fraction test, low: measures the share of the CPU it gets beside a budgeted spinner. */
#include <bh.h>

#include "budget_meter.h"
#include "verdict.h"

/*
 * The window: 2^28 cycles, at least 50 ms (50 of the spinner's periods) for any cycle
 * counter up to 5 GHz; 268 ms under -icount shift=0, where a cycle is a nanosecond.
 */
#define WINDOW_CYCLES (1ull << 28)
/* The spinner may use 10% of the time, so the low domain should get about 90%. */
#define MIN_LOW_PERCENT 80u

static unsigned percent(uint64_t part, uint64_t whole)
{
	return whole ? (unsigned)(part * 100u / whole) : 0u;
}

/*
 * Judges the share of the CPU time the two domains got that went to the low one; the
 * time neither ran (kernel, console, the host not running QEMU) is shown, not judged.
 */
static void report(uint64_t low, uint64_t spin, uint64_t total)
{
	unsigned share = percent(low, low + spin);

	verdict("budget.fraction", share >= MIN_LOW_PERCENT,
	        "low=%u%% spinner=%u%% of the time the two ran (want low >= %u%%); of the "
	        "%llu-cycle window low %u%%, spinner %u%%, neither %u%%",
	        share, percent(spin, low + spin), MIN_LOW_PERCENT, (unsigned long long)total,
	        percent(low, total), percent(spin, total), percent(total - low - spin, total));
}

int main(void)
{
	const struct bh_info_entry *e = bh_lookup("meter", BH_RES_MAP);
	struct meter m;

	if (!e) {
		verdict("budget.fraction", false,
		        "no map \"meter\" in the low domain's manifest entry");
		return 1;
	}
	const volatile struct meter_page *page =
		(const volatile struct meter_page *)(uintptr_t)e->vaddr;
	say("start\n");
	meter_start(&m);
	uint64_t t0 = m.last, spin0 = page->ran;
	while (m.last - t0 < WINDOW_CYCLES)
		meter_step(&m);
	report(m.ran, page->ran - spin0, m.last - t0);
	return 0;
}
