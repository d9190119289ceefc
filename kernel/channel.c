/* Event channels: signal sets bits on the peer's pending word; wait takes them. */
#include <kernel/channel.h>
#include <kernel/sched.h>

void channel_signal(struct domain *peer, uint64_t bits)
{
	if (peer->state == DOMAIN_WAITING) {
		peer->regs.rax = BH_OK;
		peer->regs.rdx = peer->pending | bits;
		peer->pending = 0;
		peer->state = DOMAIN_RUNNABLE;
		sched_make_runnable(peer);
	} else if (peer->state == DOMAIN_RUNNABLE) {
		peer->pending |= bits;
	}
}

bool channel_wait(struct domain *d)
{
	if (d->pending) {
		d->regs.rax = BH_OK;
		d->regs.rdx = d->pending;
		d->pending = 0;
		return true;
	}
	d->state = DOMAIN_WAITING;
	sched_remove(d);
	return false;
}
