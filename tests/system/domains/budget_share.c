/* budget.fraction test, low: measures the share of the CPU it gets beside a budgeted spinner. */
#include <bh.h>

#include "budget_meter.h"
#include "verdict.h"

/* Periods to judge (at least 50), and how many to look at before giving up. */
#define CLEAN_PERIODS 100u
#define MAX_PERIODS 10000u
/* The spinner may use 10% of the time, so the low domain should get about 90%. */
#define MIN_LOW_PERCENT 80u

/*
 * One period as the low domain sees it: from one run of the spinner to the next.
 * Its time is the low domain's runs plus its long gaps ("away"): the spinner's run,
 * the kernel's interrupts and switches, and, under TCG without -icount, the host not
 * running QEMU, or running it slowly (a switch costs tens of microseconds of host
 * time there). The budget counts host time as time, so in a period the host mostly
 * took, the low domain cannot get its share: a period where neither domain ran for
 * half the time or more is counted, not judged. The judgement is the low domain's
 * share of the time the two ran: about 90% when the budget holds, whatever the
 * kernel's and the host's overhead; under -icount the overhead is about 1%.
 */
struct period {
	uint64_t low, spin, away;
};

/* The sums over the undisturbed periods, and how many periods were seen. */
struct tally {
	uint64_t low, spin, total;
	uint32_t clean, seen;
	uint64_t threshold; /* the meter's, for the report */
};

static void add(struct tally *t, const struct period *p)
{
	uint64_t total = p->low + p->away;
	uint64_t neither = p->away > p->spin ? p->away - p->spin : 0;

	t->seen++;
	if (neither * 2 >= total)
		return;
	t->clean++;
	t->low += p->low;
	t->spin += p->spin;
	t->total += total;
}

static unsigned percent(uint64_t part, uint64_t whole)
{
	return whole ? (unsigned)(part * 100u / whole) : 0u;
}

/* Runs until CLEAN_PERIODS undisturbed periods (or MAX_PERIODS in all) are tallied. */
static void measure(const volatile struct meter_page *page, struct tally *t)
{
	struct meter m;
	struct period p = {0, 0, 0};
	bool started = false;

	meter_start(&m);
	t->threshold = m.threshold;
	uint64_t spin_seen = page->ran;
	while (t->clean < CLEAN_PERIODS && t->seen < MAX_PERIODS) {
		uint64_t gap = meter_step(&m);
		if (gap < m.threshold) {
			p.low += gap;
			continue;
		}
		uint64_t spin = page->ran - spin_seen;
		spin_seen += spin;
		if (!spin) { /* the kernel or the host: same period */
			p.away += gap;
			continue;
		}
		if (started) /* the spinner ran: a period ends, the next begins */
			add(t, &p);
		started = true;
		p = (struct period){.low = 0, .spin = spin, .away = gap};
	}
}

int main(void)
{
	const struct bh_info_entry *e = bh_lookup("meter", BH_RES_MAP);
	struct tally t = {0, 0, 0, 0, 0, 0};

	if (!e) {
		verdict("budget.fraction", false,
		        "no map \"meter\" in the low domain's manifest entry");
		return 1;
	}
	say("start\n");
	measure((const volatile struct meter_page *)(uintptr_t)e->vaddr, &t);
	unsigned low = percent(t.low, t.low + t.spin);
	verdict("budget.fraction", t.clean >= CLEAN_PERIODS && low >= MIN_LOW_PERCENT,
	        "low=%u%% spinner=%u%% of the time the two ran (want low >= %u%%), over %u "
	        "periods; of their whole time low %u%%, spinner %u%%; %u of %u periods not judged "
	        "(mostly host time); gaps of %llu cycles or more count as not running",
	        low, percent(t.spin, t.low + t.spin), MIN_LOW_PERCENT, t.clean,
	        percent(t.low, t.total), percent(t.spin, t.total), t.seen - t.clean, t.seen,
	        (unsigned long long)t.threshold);
	return 0;
}
