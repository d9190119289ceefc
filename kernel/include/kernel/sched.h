/* Scheduler: fixed priority, preemptive, with budget and period per domain. */
#ifndef KERNEL_SCHED_H
#define KERNEL_SCHED_H

#include <kernel/domain.h>

/* The domain whose state the CPU holds (NULL while idle). */
extern struct domain *sched_current;

/** Puts the runnable @d into its run queue. Needs: interrupts off. */
void sched_make_runnable(struct domain *d);

/** Removes @d from scheduling (waiting or stopped). Needs: interrupts off. */
void sched_remove(struct domain *d);

/** Accounts time and handles budgets and round-robin on a timer tick. */
void sched_tick(void);

/** Moves the current domain behind its equals (BH_HC_YIELD). */
void sched_yield(void);

/**
 * Leaves the kernel: picks the domain to run (the current one if it is still
 * the best), switches to it and returns to user mode; idles while none is
 * runnable. Needs: interrupts off. Never returns.
 */
__attribute__((noreturn)) void sched_exit_kernel(void);

/**
 * Fastpath test: may the current domain, about to block, hand the CPU
 * straight to @to (no queued domain has a higher priority)?
 * Needs: interrupts off. Returns: true if sched_direct_switch(@to) is right.
 */
bool sched_direct_ok(const struct domain *to);

/**
 * Fastpath: runs @to now, skipping the run queues. The current domain must
 * already be waiting or stopped, and sched_direct_ok(@to) true.
 * Needs: interrupts off, @to runnable and not queued. Never returns.
 */
__attribute__((noreturn)) void sched_direct_switch(struct domain *to);

/** Sets up budgets and queues for every built domain. */
void sched_init(void);

#endif
