/* Host tests: budget arithmetic (saturation, releases without loops, exact charging). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

/* cmocka needs the headers above first. */
#include <cmocka.h>

#include <kernel/budget.h>

#define NEVER BUDGET_NEVER

/* A budget of @budget cycles every @period cycles, started at @now. */
static struct budget_acct acct(uint64_t budget, uint64_t period, uint64_t now)
{
	struct budget_acct a = {.budget = budget, .period = period};
	budget_start(&a, now);
	return a;
}

static void add_sub_saturate(void **state)
{
	(void)state;
	assert_int_equal(budget_add(2, 3), 5);
	assert_int_equal(budget_add(NEVER - 1, 1), NEVER);
	assert_int_equal(budget_add(NEVER - 1, 2), NEVER);
	assert_int_equal(budget_add(1ull << 63, 1ull << 63), NEVER);
	assert_int_equal(budget_sub(5, 3), 2);
	assert_int_equal(budget_sub(3, 5), 0);
}

/* The plan's microseconds times the measured rate: a product that wraps saturates. */
static void cycles_saturate(void **state)
{
	(void)state;
	assert_int_equal(budget_cycles(1000, 2600), 2600000);
	assert_int_equal(budget_cycles(0, 2600), 0);
	assert_int_equal(budget_cycles(NEVER, 0), 0);
	/* 2^54 us at 1024 cycles/us is 2^64: it used to wrap to 0. */
	assert_int_equal(budget_cycles(1ull << 54, 1024), NEVER);
	assert_int_equal(budget_cycles(NEVER, 2), NEVER);
	assert_int_equal(budget_cycles(NEVER / 3, 3), NEVER / 3 * 3);
}

/* A budget that limits nothing (0, or not below its period) becomes unlimited. */
static void start_normalises(void **state)
{
	(void)state;
	struct budget_acct a = acct(100, 1000, 50);
	assert_int_equal(a.left, 100);
	assert_int_equal(a.release, 1050);
	a = acct(0, 1000, 50);
	assert_int_equal(a.budget, 0);
	assert_int_equal(a.period, 0);
	a = acct(1000, 1000, 50);
	assert_int_equal(a.budget, 0);
	a = acct(2000, 1000, 50);
	assert_int_equal(a.budget, 0);
	a = acct(100, 0, 50);
	assert_int_equal(a.budget, 0);
	/* A period that saturated: the first release never comes, nothing wraps. */
	a = acct(100, budget_cycles(1ull << 54, 1024), 50);
	assert_int_equal(a.budget, 100);
	assert_int_equal(a.release, NEVER);
	a = acct(100, 1ull << 62, 3ull << 62);
	assert_int_equal(a.release, NEVER);
}

static void next_release(void **state)
{
	(void)state;
	assert_int_equal(budget_next_release(1000, 100, 999), 1000);
	assert_int_equal(budget_next_release(1000, 100, 1000), 1100);
	assert_int_equal(budget_next_release(1000, 100, 1099), 1100);
	assert_int_equal(budget_next_release(1000, 100, 1100), 1200);
	assert_int_equal(budget_next_release(1000, 100, 123456), 123500);
	assert_int_equal(budget_next_release(1000, 0, 2000), NEVER);
}

/* 2^63 missed periods of one cycle: one division, where the old loop ran 2^63 times. */
static void next_release_no_loop(void **state)
{
	(void)state;
	assert_int_equal(budget_next_release(1, 1, 1ull << 63), (1ull << 63) + 1);
	assert_int_equal(budget_next_release(0, 3, NEVER - 1), NEVER);
	assert_int_equal(budget_next_release(NEVER - 10, 100, NEVER - 5), NEVER);
	assert_int_equal(budget_next_release(5, NEVER - 1, NEVER - 1), NEVER);
	/* The largest release that fits is still given. */
	assert_int_equal(budget_next_release(NEVER - 200, 100, NEVER - 150), NEVER - 100);
}

static void charge_within_budget(void **state)
{
	(void)state;
	struct budget_acct a = acct(100, 1000, 0);
	assert_false(budget_charge(&a, 10, 40));
	assert_int_equal(a.left, 70);
	assert_false(budget_charge(&a, 500, 569));
	assert_int_equal(a.left, 1);
	assert_int_equal(a.release, 1000);
}

/* Spending the budget exactly throttles with nothing owed; running over owes the excess. */
static void charge_spends(void **state)
{
	(void)state;
	struct budget_acct a = acct(100, 1000, 0);
	assert_true(budget_charge(&a, 0, 100));
	assert_int_equal(a.left, 0);
	a = acct(100, 1000, 0);
	assert_true(budget_charge(&a, 0, 130));
	assert_int_equal(a.left, 30);
	budget_owe(&a, 5);
	assert_int_equal(a.left, 35);
	budget_owe(&a, NEVER);
	assert_int_equal(a.left, NEVER);
}

/* A run across a release: only the cycles since the release count, on a full budget. */
static void charge_across_release(void **state)
{
	(void)state;
	struct budget_acct a = acct(100, 1000, 0);
	assert_false(budget_charge(&a, 0, 60));
	assert_false(budget_charge(&a, 960, 1030));
	assert_int_equal(a.left, 70);
	assert_int_equal(a.release, 2000);
	/* Many periods later (the domain waited): full budget, the run since the last release. */
	assert_true(budget_charge(&a, 1500, 7150));
	assert_int_equal(a.release, 8000);
	assert_int_equal(a.left, 50);
	/* A charge of nothing refills a budget whose period ended. */
	a = acct(100, 1000, 0);
	assert_false(budget_charge(&a, 0, 90));
	assert_false(budget_charge(&a, 3500, 3500));
	assert_int_equal(a.left, 100);
	assert_int_equal(a.release, 4000);
}

static void release_pays_debt(void **state)
{
	(void)state;
	struct budget_acct a = acct(100, 1000, 0);
	assert_true(budget_charge(&a, 0, 130)); /* owes 30 */
	assert_true(budget_release(&a, 1002));
	assert_int_equal(a.left, 70);
	assert_int_equal(a.release, 2000);
	/* A debt of 250 takes two whole periods and half of the third. */
	a = acct(100, 1000, 0);
	assert_true(budget_charge(&a, 0, 350));
	assert_false(budget_release(&a, 1000));
	assert_int_equal(a.left, 150);
	assert_false(budget_release(&a, 2000));
	assert_int_equal(a.left, 50);
	assert_true(budget_release(&a, 3000));
	assert_int_equal(a.left, 50);
	assert_int_equal(a.release, 4000);
}

/* A release handled late pays one budget for every period that began meanwhile. */
static void release_late(void **state)
{
	(void)state;
	struct budget_acct a = acct(100, 1000, 0);
	assert_true(budget_charge(&a, 0, 350));
	assert_true(budget_release(&a, 3500));
	assert_int_equal(a.left, 50);
	assert_int_equal(a.release, 4000);
	a = acct(100, 1000, 0);
	assert_true(budget_charge(&a, 0, 100));
	assert_true(budget_release(&a, 9999));
	assert_int_equal(a.left, 100);
	/* A saturated debt: released forever later, still no wrap. */
	budget_owe(&a, NEVER);
	assert_false(budget_release(&a, NEVER - 1));
	assert_int_equal(a.release, NEVER);
}

static void scale(void **state)
{
	(void)state;
	const uint64_t one = 1ull << 32, max = 0xffffffffu;
	assert_int_equal(budget_scale(1000, one, max), 1000);
	assert_int_equal(budget_scale(1000, one / 2, max), 500);
	assert_int_equal(budget_scale(1001, one / 2, max), 501); /* rounds up: never early */
	assert_int_equal(budget_scale(0, one, max), 0);
	assert_int_equal(budget_scale(1ull << 40, one, max), max);
	assert_int_equal(budget_scale(NEVER, NEVER, max), max);
	assert_int_equal(budget_scale(NEVER, one, NEVER), NEVER);
}

/*
 * A spinner on an exact timer: each period it runs from its release until the
 * timer stops it at its budget's end, late by up to 40 cycles. Over 1000 periods it
 * gets 1000 budgets, give or take one late interrupt: the debt pays for the rest.
 */
static void spinner_gets_its_budget(void **state)
{
	(void)state;
	const uint64_t budget = 1000, period = 10000, periods = 1000;
	struct budget_acct a = acct(budget, period, 0);
	uint64_t now = 0, ran = 0;
	for (uint64_t i = 0; i < periods; i++) {
		uint64_t start = now;
		now = start + a.left + (i * 7919) % 41; /* the timer's lateness */
		assert_true(budget_charge(&a, start, now));
		ran += now - start;
		while (!budget_release(&a, a.release))
			;
		now = a.release - period;
	}
	assert_true(ran <= periods * budget + 40);
	assert_true(ran >= periods * budget - 40);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(add_sub_saturate),
		cmocka_unit_test(cycles_saturate),
		cmocka_unit_test(start_normalises),
		cmocka_unit_test(next_release),
		cmocka_unit_test(next_release_no_loop),
		cmocka_unit_test(charge_within_budget),
		cmocka_unit_test(charge_spends),
		cmocka_unit_test(charge_across_release),
		cmocka_unit_test(release_pays_debt),
		cmocka_unit_test(release_late),
		cmocka_unit_test(scale),
		cmocka_unit_test(spinner_gets_its_budget),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
