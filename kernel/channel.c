/* Event channels: signal sets bits on the peer's pending word; wait takes them. */
#include <kernel/channel.h>
#include <kernel/sched.h>

/* Makes @bits plus everything pending the result of @d's wait, and clears them. */
static void deliver(struct domain *d, uint64_t bits)
{
	d->regs.rax = BH_OK;
	d->regs.rdx = d->pending | bits;
	d->pending = 0;
}

void channel_wake(struct domain *waiter, uint64_t bits)
{
	deliver(waiter, bits);
	waiter->state = DOMAIN_RUNNABLE;
}

void channel_signal(struct domain *peer, uint64_t bits)
{
	if (peer->state == DOMAIN_WAITING) {
		channel_wake(peer, bits);
		sched_make_runnable(peer);
	} else if (peer->state == DOMAIN_RUNNABLE) {
		peer->pending |= bits;
	}
}

bool channel_wait(struct domain *d)
{
	if (d->pending) {
		deliver(d, 0);
		return true;
	}
	d->state = DOMAIN_WAITING;
	sched_remove(d);
	return false;
}
