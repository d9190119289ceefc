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

/** Sets up budgets and queues for every built domain. */
void sched_init(void);

#endif
