/* Budget arithmetic: cycles from microseconds, charging, releases; pure and saturating. */
#include <kernel/budget.h>

uint64_t budget_add(uint64_t a, uint64_t b)
{
	return a > BUDGET_NEVER - b ? BUDGET_NEVER : a + b;
}

uint64_t budget_sub(uint64_t a, uint64_t b)
{
	return a > b ? a - b : 0;
}

uint64_t budget_cycles(uint64_t us, uint64_t cycles_per_us)
{
	if (cycles_per_us && us > BUDGET_NEVER / cycles_per_us)
		return BUDGET_NEVER;
	return us * cycles_per_us;
}

bool budget_start(struct budget_acct *a, uint64_t now)
{
	if (!a->budget || a->budget >= a->period)
		a->budget = a->period = 0;
	a->left = a->budget;
	a->release = a->budget ? budget_add(now, a->period) : BUDGET_NEVER;
	return a->budget != 0;
}

uint64_t budget_next_release(uint64_t release, uint64_t period, uint64_t now)
{
	if (now < release)
		return release;
	if (!period)
		return BUDGET_NEVER;
	uint64_t k = (now - release) / period + 1; /* periods that ended by @now */
	if (k > (BUDGET_NEVER - release) / period)
		return BUDGET_NEVER;
	return release + k * period;
}

bool budget_charge(struct budget_acct *a, uint64_t from, uint64_t now)
{
	if (now >= a->release) {
		uint64_t next = budget_next_release(a->release, a->period, now);
		uint64_t start = next - a->period; /* the release that began this period */
		if (next != BUDGET_NEVER && start > from)
			from = start;
		a->release = next;
		a->left = a->budget;
	}
	uint64_t used = budget_sub(now, from);
	if (used < a->left) {
		a->left -= used;
		return false;
	}
	a->left = used - a->left;
	return true;
}

void budget_owe(struct budget_acct *a, uint64_t cycles)
{
	a->left = budget_add(a->left, cycles);
}

bool budget_release(struct budget_acct *a, uint64_t now)
{
	uint64_t next = budget_next_release(a->release, a->period, now);
	/* Every period that began since pays one budget of the debt. */
	uint64_t periods = next == BUDGET_NEVER ? 1 : (next - a->release) / a->period;
	uint64_t paid = budget_cycles(periods, a->budget);
	a->release = next;
	if (a->left >= paid) {
		a->left -= paid;
		return false;
	}
	uint64_t credit = paid - a->left;
	a->left = credit < a->budget ? credit : a->budget;
	return true;
}

uint64_t budget_scale(uint64_t cycles, uint64_t ratio_q32, uint64_t max)
{
	unsigned __int128 t = (unsigned __int128)cycles * ratio_q32 + 0xffffffffu;
	t >>= 32;
	return t > max ? max : (uint64_t)t;
}
