/* Scheduler: fixed-priority preemptive run queues with budget/period enforcement. */
#include <stddef.h>

#include <kernel/arch.h>
#include <kernel/assert.h>
#include <kernel/klog.h>
#include <kernel/sched.h>

#define NPRIO 256

struct domain *sched_current;
static struct domain *rq_head[NPRIO];
static uint64_t rq_bits[NPRIO / 64];
static uint64_t rq_summary; /* bit w: rq_bits[w] is non-zero */
static uint64_t last_account;
static bool rotate;       /* a tick or yield asks equals to take turns */
static bool need_resched; /* something happened that may change who runs */
static uint32_t n_started;

/* Set by main.c: cycles at kernel entry and whether to halt when all end. */
uint64_t sched_boot_cycles;
bool sched_exit_when_idle;

static bool queued(const struct domain *d)
{
	return d->rq_next != NULL;
}

static void enqueue(struct domain *d, bool at_head)
{
	DEBUG_ASSERT(!queued(d));
	struct domain **h = &rq_head[d->priority];
	if (!*h) {
		d->rq_next = d->rq_prev = d;
		*h = d;
		rq_bits[d->priority / 64] |= 1ull << (d->priority % 64);
		rq_summary |= 1ull << (d->priority / 64);
		return;
	}
	d->rq_next = *h;
	d->rq_prev = (*h)->rq_prev;
	d->rq_prev->rq_next = d;
	(*h)->rq_prev = d;
	if (at_head)
		*h = d;
}

static void dequeue(struct domain *d)
{
	struct domain **h = &rq_head[d->priority];
	if (d->rq_next == d) {
		*h = NULL;
		rq_bits[d->priority / 64] &= ~(1ull << (d->priority % 64));
		if (!rq_bits[d->priority / 64])
			rq_summary &= ~(1ull << (d->priority / 64));
	} else {
		d->rq_prev->rq_next = d->rq_next;
		d->rq_next->rq_prev = d->rq_prev;
		if (*h == d)
			*h = d->rq_next;
	}
	d->rq_next = d->rq_prev = NULL;
}

/* Returns the highest priority with a queued domain, or -1. */
static int top_priority(void)
{
	if (!rq_summary)
		return -1;
	int w = 63 - __builtin_clzll(rq_summary);
	return w * 64 + 63 - __builtin_clzll(rq_bits[w]);
}

void sched_make_runnable(struct domain *d)
{
	if (d == sched_current || d->throttled || queued(d))
		return;
	enqueue(d, false);
	if (!sched_current || d->priority >= sched_current->priority)
		need_resched = true;
}

void sched_remove(struct domain *d)
{
	if (queued(d))
		dequeue(d);
}

/* Charges the cycles since the last call to the current domain's budget. */
static void account(void)
{
	uint64_t now = arch_cycles();
	struct domain *d = sched_current;
	if (d && d->budget) {
		uint64_t used = now - last_account;
		d->budget_left = used < d->budget_left ? d->budget_left - used : 0;
		if (!d->budget_left)
			d->throttled = need_resched = true;
	}
	last_account = now;
}

static void replenish(uint64_t now)
{
	for (uint32_t i = 0; i < n_domains; i++) {
		struct domain *d = &domains[i];
		if (!d->budget || now < d->next_release)
			continue;
		while (d->next_release <= now)
			d->next_release += d->period;
		d->budget_left = d->budget;
		if (d->throttled) {
			d->throttled = false;
			if (d->state == DOMAIN_RUNNABLE)
				sched_make_runnable(d);
		}
	}
}

void sched_tick(void)
{
	account();
	replenish(last_account);
	rotate = need_resched = true;
}

void sched_yield(void)
{
	rotate = need_resched = true;
}

/* Decides whether the current domain keeps the CPU. */
static bool keep_current(struct domain *cur)
{
	if (!cur || cur->state != DOMAIN_RUNNABLE || cur->throttled)
		return false;
	if (!need_resched)
		return true;
	need_resched = false;
	int top = top_priority();
	bool again = rotate && top == (int)cur->priority;
	rotate = false;
	if (top < (int)cur->priority || (top == (int)cur->priority && !again))
		return true;
	enqueue(cur, !again); /* preempted: first in line; rotated: last */
	return false;
}

static struct domain *pick(void)
{
	int top = top_priority();
	if (top < 0)
		return NULL;
	struct domain *d = rq_head[top];
	dequeue(d);
	return d;
}

static void first_run(struct domain *d)
{
	d->started = true;
	if (++n_started == n_domains)
		kprintf("bulkhead: all %u domains running after %lu cycles", n_domains,
		        arch_cycles() - sched_boot_cycles);
}

static bool any_alive(void)
{
	for (uint32_t i = 0; i < n_domains; i++)
		if (domains[i].state != DOMAIN_STOPPED)
			return true;
	return false;
}

static struct domain *pick_or_idle(void)
{
	static bool reported;
	struct domain *next = pick();
	while (!next) {
		if (!reported && !any_alive()) {
			reported = true;
			kprintf("bulkhead: every domain has stopped");
			if (sched_exit_when_idle)
				arch_halt(0);
		}
		account();
		sched_current = NULL;
		arch_idle();
		next = pick();
	}
	return next;
}

/* The exit path when the current domain may not simply continue. */
static __attribute__((noreturn, noinline)) void exit_slow(void)
{
	for (;;) {
		struct domain *cur = sched_current;
		if (keep_current(cur))
			arch_return_to_user(cur);
		account();
		struct domain *next = pick_or_idle();
		sched_current = next;
		arch_switch(next);
		if (next->started)
			arch_return_to_user(next);
		first_run(next);
		if (top_priority() <= (int)next->priority)
			arch_return_to_user(next);
		/* The boot report woke a better domain: decide again. */
	}
}

void sched_exit_kernel(void)
{
	struct domain *cur = sched_current;
	/* Fast path (every hypercall that does not block): nothing happened
	 * that could change who runs, so the current domain continues. */
	if (cur && cur->state == DOMAIN_RUNNABLE && !cur->throttled && !need_resched)
		arch_return_to_user(cur);
	exit_slow();
}

bool sched_direct_ok(const struct domain *to)
{
	return to->started && !to->throttled && (int)to->priority >= top_priority();
}

void sched_direct_switch(struct domain *to)
{
	account();
	sched_current = to;
	arch_switch(to);
	arch_return_to_user(to);
}

void sched_init(void)
{
	last_account = arch_cycles();
	for (uint32_t i = 0; i < n_domains; i++) {
		struct domain *d = &domains[i];
		d->budget_left = d->budget;
		d->next_release = last_account + d->period;
		enqueue(d, false);
	}
}
