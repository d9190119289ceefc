/* Event channels: seL4-notification semantics on one pending word per domain. */
#ifndef KERNEL_CHANNEL_H
#define KERNEL_CHANNEL_H

#include <kernel/domain.h>

/**
 * Sets @bits on @peer; if @peer waits, hands it the pending bits as the
 * result of its wait and makes it runnable.
 * Needs: interrupts off. Returns: nothing; cannot fail.
 */
void channel_signal(struct domain *peer, uint64_t bits);

/**
 * Ends the wait of @waiter with @bits (and whatever was pending) as its
 * result and marks it runnable, without queueing it: channel_signal queues
 * it, the signal-and-wait fastpath switches to it directly.
 * Needs: @waiter waiting, interrupts off. Returns: nothing; cannot fail.
 */
void channel_wake(struct domain *waiter, uint64_t bits);

/**
 * Returns and clears @d's pending bits if any; otherwise blocks @d until a
 * signal arrives (the signaller delivers the result).
 * Needs: @d current, interrupts off. Returns: true if @d got bits now.
 */
bool channel_wait(struct domain *d);

#endif
