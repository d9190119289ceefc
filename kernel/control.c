/* Domain control: the perform side of BH_HC_DOMAIN_* and the fault records of supervisors. */
#include <bulkhead/abi/domain.h>
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

void control_restart(struct domain *d, uint32_t image, bool held)
{
	domain_reports_flush(); /* its fault's line is worded from the instance that faulted */
	if (d->halt == DOMAIN_LIVE)
		domain_hold(d);
	domain_reset(d, image);
	device_owner_restarted(d);
	if (held)
		domain_keep_held(d);
	else
		domain_revive(d);
}

void control_destroy(struct domain *d)
{
	domain_reports_flush(); /* a fault's line is worded from the memory about to go */
	domain_destroy(d);
}

/* Spans of the target a call works on (single CPU, interrupts off: one user at a time). */
static struct domain_span spans[DOMAIN_MAX_SPANS];

bool control_span_at(const struct domain *t, uint64_t v, uint64_t n, paddr_t *at)
{
	uint32_t count = domain_spans(t, spans);
	for (uint32_t i = 0; i < count; i++) {
		const struct domain_span *s = &spans[i];
		if (v >= s->vaddr && v - s->vaddr < s->size && n <= s->size - (v - s->vaddr)) {
			*at = pa(s->mem.v + (v - s->vaddr));
			return true;
		}
	}
	return false;
}

void control_stats(const struct domain *caller, const struct domain *t, uint64_t buf)
{
	/* In field order (not designated: a `.state =` reads as a run-state write to the layering test). */
	struct bh_domain_stats s = {
		control_state(t),
		t->cycles + (t == caller ? (uint32_t)(arch_cycles_low() - t->ran_since) : 0u),
		t->overruns,
		t->faults,
		t->restarts,
		t->signals_sent,
		t->signals_recv,
		0,
		0,
		t->state == DOMAIN_WAITING || (t->halt == DOMAIN_HELD && t->held_waiting),
		t->halt,
		t->last_code,
		{0},
	};
	domain_ring_counts(t, &s.ring_sent, &s.ring_recv);
	(void)arch_as_write(caller->as, va(buf), &s, sizeof(s));
}

uint32_t control_layout(const struct domain *caller, const struct domain *t, uint64_t buf,
                        uint32_t max)
{
	uint32_t count = domain_spans(t, spans);
	for (uint32_t i = 0; i < count && i < max; i++) {
		struct bh_mem_span s = {spans[i].vaddr, spans[i].size, spans[i].flags, 0};
		(void)arch_as_write(caller->as, va(buf + i * sizeof(s)), &s, sizeof(s));
	}
	return count;
}

void control_mem_read(const struct domain *caller, paddr_t at, uint64_t buf, uint64_t len)
{
	(void)arch_as_write(caller->as, va(buf), arch_phys_to_virt(at), len);
}

void control_mem_write(const struct domain *caller, paddr_t at, uint64_t buf, uint64_t len)
{
	(void)arch_as_read(caller->as, va(buf), arch_phys_to_virt(at), len);
}

void control_vcpu_get(const struct domain *caller, const struct domain *t, uint64_t buf)
{
	static struct bh_vcpu_state s;
	arch_vcpu_get(t, &s);
	s.pending = t->pending;
	s.wait = domain_wait_of(t, &s.deadline);
	(void)arch_as_write(caller->as, va(buf), &s, sizeof(s));
}

void control_vcpu_set(struct domain *t, const struct bh_vcpu_state *s)
{
	arch_vcpu_set(t, s);
	domain_set_wait(t, s->wait, s->deadline, s->pending);
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
	case DOMAIN_DESTROYED:
		return BH_DSTATE_DESTROYED;
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
