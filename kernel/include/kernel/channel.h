/* Event channels: seL4-notification semantics on one pending word per domain. */
#ifndef KERNEL_CHANNEL_H
#define KERNEL_CHANNEL_H

#include <kernel/domain.h>

/**
 * Sets @bits on @peer; if @peer waits, hands it the pending bits as the
 * result of its wait and wakes it (sched_wake). A stopped @peer drops them,
 * unless a controller holds it (they wait for its resume).
 * Needs: interrupts off. Returns: nothing; cannot fail.
 */
void channel_signal(struct domain *peer, uint64_t bits);

/**
 * channel_signal for a domain's BH_HC_SIGNAL: counts the call as @d's.
 * Needs: interrupts off. Returns: nothing.
 */
void channel_send(struct domain *d, struct domain *peer, uint64_t bits);

/**
 * Hands @d its pending bits as the result of its wait, if any; otherwise
 * blocks @d (sched_block) until a signal arrives, whose signaller delivers
 * the result. Needs: @d current, interrupts off. Returns: nothing.
 */
void channel_wait(struct domain *d);

/**
 * As channel_wait, but the wait also ends when the TSC reaches @deadline
 * (sched_block_until), with no bits; at once if @deadline has passed.
 * Needs: @d current, interrupts off. Returns: nothing.
 */
void channel_wait_until(struct domain *d, uint64_t deadline);

/**
 * Runs the held @d on: runnable if it was not @waiting; if it was, its wait
 * ends at once when bits are pending (or its timed wait's deadline passed),
 * else it waits again. Needs: @d stopped by its controller, interrupts off.
 * Returns: nothing.
 */
void channel_resume(struct domain *d, bool waiting);

/**
 * Takes @d's pending bits without blocking.
 * Needs: interrupts off. Returns: the bits (0 if none); they are cleared.
 */
uint64_t channel_poll(struct domain *d);

/**
 * Signals @peer with @bits, then waits as channel_wait(@d). When @d has
 * nothing pending and @peer waits and may run now, the CPU goes straight to
 * @peer (sched_handoff) and this does not return.
 * Needs: @d current, interrupts off. Returns: only when @d did not hand off.
 */
void channel_signal_wait(struct domain *d, struct domain *peer, uint64_t bits);

#endif
