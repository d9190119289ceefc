/* Event channels: signal sets bits on the peer's pending word; wait takes them. */
#include <bulkhead/abi/hypercall.h>
#include <kernel/channel.h>
#include <kernel/sched.h>

/* Makes @bits plus everything pending the result of @d's wait, and clears them. */
static void deliver(struct domain *d, uint64_t bits)
{
	d->regs.rax = BH_OK;
	d->regs.rdx = d->pending | bits;
	d->pending = 0;
}

void channel_signal(struct domain *peer, uint64_t bits)
{
	if (peer->state == DOMAIN_WAITING) {
		peer->signals_recv++;
		deliver(peer, bits);
		sched_wake(peer);
	} else if (peer->state == DOMAIN_RUNNABLE || peer->halt == DOMAIN_HELD) {
		peer->signals_recv++;
		peer->pending |= bits; /* a held domain finds them when resumed */
	}
}

void channel_send(struct domain *d, struct domain *peer, uint64_t bits)
{
	d->signals_sent++;
	channel_signal(peer, bits);
}

void channel_wait(struct domain *d)
{
	if (d->pending)
		deliver(d, 0);
	else
		sched_block(d);
}

void channel_wait_until(struct domain *d, uint64_t deadline)
{
	if (d->pending || !sched_block_until(d, deadline))
		deliver(d, 0); /* the bits, or none: the deadline has passed */
}

void channel_resume(struct domain *d, bool waiting)
{
	if (!waiting) {
		sched_wake(d);
	} else if (d->pending) {
		deliver(d, 0);
		sched_wake(d);
	} else if (d->regs.rax != BH_HC_WAIT_UNTIL) {
		sched_block(d);
	} else if (!sched_block_until(d, d->wake_at)) {
		deliver(d, 0); /* its deadline passed while it was held */
		sched_wake(d);
	}
}

uint64_t channel_poll(struct domain *d)
{
	uint64_t bits = d->pending;
	d->pending = 0;
	return bits;
}

void channel_signal_wait(struct domain *d, struct domain *peer, uint64_t bits)
{
	d->signals_sent++;
	if (!d->pending && peer->state == DOMAIN_WAITING && sched_direct_ok(peer)) {
		/* Fastpath (seL4-style): hand the CPU straight to the waiter. */
		peer->signals_recv++;
		deliver(peer, bits);
		sched_handoff(d, peer);
	}
	channel_signal(peer, bits);
	channel_wait(d);
}
