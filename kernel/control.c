/* Domain control: the perform side of BH_HC_DOMAIN_* and the fault records of supervisors. */
#include <bulkhead/abi/fault.h>
#include <bulkhead/abi/hypercall.h>
#include <kernel/arch.h>
#include <kernel/channel.h>
#include <kernel/control.h>
#include <kernel/device.h>
#include <kernel/plan.h>

void control_init(const struct bp_header *h, const paddr_t *region_pa)
{
	const struct bp_fault *f = plan_table(h, h->faults);
	for (uint32_t i = 0; i < h->faults.count; i++) {
		struct domain *t = &domains[f[i].target];
		t->fault_page = arch_phys_to_virt(region_pa[f[i].region]);
		t->supervisor = &domains[f[i].supervisor];
		t->fault_bits = 1ull << f[i].bit;
	}
}

/* Writes @f for the supervisor of @d: the record first, seq last, then the bit. */
static void tell_supervisor(const struct domain *d, const struct domain_fault *f)
{
	volatile struct bh_fault_page *p = d->fault_page;
	p->kind = f->kind;
	p->vector = f->vector;
	p->rip = f->rip;
	p->addr = f->addr;
	p->error_code = f->error;
	p->generation = d->generation;
	p->tsc = arch_cycles();
	__atomic_thread_fence(__ATOMIC_SEQ_CST); /* the record before its sequence number */
	p->seq = p->seq + 1;
	channel_signal(d->supervisor, d->fault_bits);
}

void control_notify(struct domain *d, const struct domain_fault *f)
{
	if (d->supervisor)
		tell_supervisor(d, f);
}

void control_stop(struct domain *d)
{
	domain_hold(d);
}

void control_resume(struct domain *d)
{
	domain_resume(d);
}

void control_restart(struct domain *d, uint32_t image)
{
	domain_reports_flush(); /* its fault's line is worded from the instance that faulted */
	if (d->halt == DOMAIN_LIVE)
		domain_hold(d);
	domain_reset(d, image);
	device_owner_restarted(d);
	domain_revive(d);
}

static uint64_t state_of(const struct domain *d)
{
	switch (d->halt) {
	case DOMAIN_HELD:
		return BH_DSTATE_STOPPED;
	case DOMAIN_FAULTED:
		return BH_DSTATE_FAULTED;
	case DOMAIN_EXITED:
		return BH_DSTATE_EXITED;
	case DOMAIN_REFUSED:
		return BH_DSTATE_REFUSED;
	default:
		return BH_DSTATE_RUNNING;
	}
}

uint64_t control_state(const struct domain *d)
{
	uint64_t restarts = d->restarts < 0xffff ? d->restarts : 0xffff;
	return state_of(d) | (uint64_t)d->image << 8 | restarts << 16 |
	       (uint64_t)d->generation << 32;
}
