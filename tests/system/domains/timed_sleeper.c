/* timedwait test, sleeper: BH_HC_WAIT_UNTIL ends at its deadline, at once past it, or at a signal. */
#include <bh_hypercall.h>

#include "verdict.h"

#define TW_SHORT_MS 20u  /* a wait nobody signals */
#define TW_LONG_MS 1000u /* a wait the waker ends early (it signals at once) */

static struct bh_channel ch;

/* One raw timed wait; *@bits gets the result's bits. */
static enum bh_err wait_until(uint64_t deadline, uint64_t *bits)
{
	return (enum bh_err)bh_hc1(BH_HC_WAIT_UNTIL, deadline, bits);
}

/* The kernel gave the TSC rate in the start-info page (libbh's clocks need it). */
static void check_clock(void)
{
	uint64_t rate = bh_info()->cycles_per_us;

	verdict("timedwait.clock", rate != 0, "cycles_per_us %s", rate ? "given" : "missing");
}

/* Deadlines that have passed (0, and one cycle ago) return at once with no bits. */
static void check_past(void)
{
	uint64_t b0 = 1, b1 = 1;
	enum bh_err e0 = wait_until(0, &b0), e1 = wait_until(bh_rdtsc() - 1, &b1);

	verdict("timedwait.past", e0 == BH_OK && e1 == BH_OK && !b0 && !b1,
	        "err %d/%d bits 0x%llx/0x%llx", (int)e0, (int)e1, (unsigned long long)b0,
	        (unsigned long long)b1);
}

/* Nobody signals: the wait ends at its deadline, not before, with no bits. */
static void check_deadline(void)
{
	uint64_t bits = 1, deadline = bh_deadline_ms(TW_SHORT_MS);
	enum bh_err e = wait_until(deadline, &bits);
	uint64_t now = bh_rdtsc();

	verdict("timedwait.deadline", e == BH_OK && !bits && now >= deadline,
	        "err %d bits 0x%llx %s the deadline", (int)e, (unsigned long long)bits,
	        now >= deadline ? "after" : "BEFORE");
}

/* The waker (lower priority: it runs once we block) signals at once: the wait ends early. */
static void check_signal(void)
{
	uint64_t bits = 0, deadline;
	enum bh_err e = bh_signal(ch.slot);

	deadline = bh_deadline_ms(TW_LONG_MS);
	if (e == BH_OK)
		e = wait_until(deadline, &bits);
	verdict("timedwait.signal", e == BH_OK && bits == ch.bit,
	        "err %d bits 0x%llx (want 0x%llx)", (int)e, (unsigned long long)bits,
	        (unsigned long long)ch.bit);
}

/*
 * A plain wait after a timed wait that a signal ended: the old deadline passes while we wait
 * (the waker sleeps past it) and must not end this wait; the waker's signal does.
 */
static void check_stale(void)
{
	uint64_t bits = 0;
	enum bh_err e = (enum bh_err)bh_hc0(BH_HC_WAIT, &bits);

	verdict("timedwait.stale", e == BH_OK && bits == ch.bit, "err %d bits 0x%llx (want 0x%llx)",
	        (int)e, (unsigned long long)bits, (unsigned long long)ch.bit);
}

int main(void)
{
	if (!bh_channel_open("tw", &ch)) {
		verdict("timedwait.clock", false, "no channel \"tw\"");
		return 1;
	}
	check_clock();
	check_past();
	check_deadline();
	check_signal();
	check_stale();
	uint64_t got = bh_wait_until(ch.bit, bh_rdtsc() - 1);
	verdict("timedwait.done", got == 0, "libbh past deadline gave 0x%llx",
	        (unsigned long long)got);
	return 0;
}
