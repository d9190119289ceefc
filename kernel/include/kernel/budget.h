/* Budget arithmetic: cycles from microseconds, charging, releases; pure and saturating. */
#ifndef KERNEL_BUDGET_H
#define KERNEL_BUDGET_H

#include <stdbool.h>
#include <stdint.h>

/*
 * Nothing here wraps: a sum or product that would pass UINT64_MAX gives
 * BUDGET_NEVER (a time that never comes), a difference that would go below
 * zero gives 0. Nothing loops. These functions touch no kernel state, so the
 * host tests build this file as it is (tests/host/budget).
 */
#define BUDGET_NEVER UINT64_MAX

/* One domain's budget, in cycles of the cycle counter. */
struct budget_acct {
	uint64_t budget;  /* cycles per period; 0 < budget < period */
	uint64_t period;  /* length of a period */
	uint64_t left;    /* running: cycles left in this period; throttled: cycles owed */
	uint64_t release; /* when this period ends and the next budget is given */
};

/** Returns @a + @b, or BUDGET_NEVER if the sum does not fit. */
uint64_t budget_add(uint64_t a, uint64_t b);

/** Returns @a - @b, or 0 if @b > @a. */
uint64_t budget_sub(uint64_t a, uint64_t b);

/** Returns @us * @cycles_per_us, or BUDGET_NEVER if the product does not fit. */
uint64_t budget_cycles(uint64_t us, uint64_t cycles_per_us);

/**
 * Starts @a at @now: full budget, first release one period later. A budget of 0
 * or not below its period would limit nothing (the plan checker refuses both,
 * but the kernel does not rely on it): both become 0, which means unlimited.
 * Returns: true if @a limits its domain.
 */
bool budget_start(struct budget_acct *a, uint64_t now);

/**
 * Returns the first time after @now on the grid @release + k * @period (k >= 0),
 * computed with one division however many periods passed; BUDGET_NEVER if it
 * does not fit or @period is 0.
 */
uint64_t budget_next_release(uint64_t release, uint64_t period, uint64_t now);

/**
 * Charges a running budget for the cycles from @from to @now. If its period
 * ended meanwhile, the budget is refilled first and only the cycles since the
 * last release count. Returns: true if the budget is spent; then @a->left holds
 * the cycles it ran over, owed to its next periods (see budget_owe).
 */
bool budget_charge(struct budget_acct *a, uint64_t from, uint64_t now);

/**
 * Adds @cycles to what a spent budget owes (saturating). The debt is paid in
 * full from the following periods, however long it is, so that over any run
 * of whole periods a domain gets at most its budget per period.
 */
void budget_owe(struct budget_acct *a, uint64_t cycles);

/**
 * Releases a throttled budget at @now (@now >= @a->release): the next release
 * moves past @now, and each period that began since then pays one budget of
 * the debt. Returns: true if budget is left to run in this period (@a->left);
 * false if the debt took it all (@a->left holds the rest of the debt and the
 * budget stays throttled until the next release).
 */
bool budget_release(struct budget_acct *a, uint64_t now);

/**
 * Scales @cycles by @ratio_q32 (a ratio times 2^32) and rounds up; returns at
 * most @max. Used to turn a time in cycles into timer ticks.
 */
uint64_t budget_scale(uint64_t cycles, uint64_t ratio_q32, uint64_t max);

#endif
