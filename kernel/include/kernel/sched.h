/* Scheduler: fixed priority, preemptive, with an exact budget and period per domain. */
#ifndef KERNEL_SCHED_H
#define KERNEL_SCHED_H

#include <kernel/domain.h>

/* The domain whose state the CPU holds (NULL while idle). */
extern struct domain *sched_current;

/*
 * The owner of every run-state transition (struct domain's state): nothing
 * outside sched.c writes it.
 */

/** Makes the waiting @d runnable and queues it. Needs: interrupts off. */
void sched_wake(struct domain *d);

/** Blocks @d (waiting for a channel bit). Needs: interrupts off. */
void sched_block(struct domain *d);

/**
 * Blocks @d (BH_HC_WAIT_UNTIL, nothing pending) until a signal wakes it or the
 * TSC reaches @deadline; then the timer interrupt makes it runnable with the
 * result BH_OK and no bits. The timer is armed for it now.
 * Needs: @d current, its saved rax still BH_HC_WAIT_UNTIL, interrupts off.
 * Returns: false (and @d keeps running) if @deadline has passed.
 */
bool sched_block_until(struct domain *d, uint64_t deadline);

/** Ends @d for good: it is never scheduled again. Needs: interrupts off. */
void sched_stop(struct domain *d);

/**
 * Handles a timer interrupt: charges the running domain's budget (throttling
 * it when spent), releases throttled domains whose period has begun, and at a
 * round-robin tick lets equals take turns, wakes timed waits that are due and
 * arms the timer for the next one. The exit path re-arms the rest.
 * Needs: interrupts off. Returns: nothing.
 */
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
 * Needs: interrupts off. Returns: true if sched_handoff(current, @to) is right.
 */
bool sched_direct_ok(const struct domain *to);

/**
 * Fastpath: blocks @from (the current domain) and runs @to now, skipping the
 * run queues. Needs: interrupts off, @to waiting with its wait result already
 * delivered, not queued, and sched_direct_ok(@to) true. Never returns.
 */
__attribute__((noreturn)) void sched_handoff(struct domain *from, struct domain *to);

/**
 * Sets up budgets and queues for every built domain and arms the timer for
 * the first tick. @entry_cycles is the cycle counter at kernel entry (the boot
 * report measures from it); with @halt_when_idle the machine halts once every
 * domain has ended. Needs: arch_timer_init done, domains built, interrupts off.
 */
void sched_init(uint64_t entry_cycles, bool halt_when_idle);

#endif
