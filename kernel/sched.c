/* Scheduler: fixed-priority preemptive run queues; exact budgets on a one-shot timer. */
#include <stddef.h>

#include <bulkhead/abi/err.h>
#include <bulkhead/abi/hypercall.h>
#include <kernel/arch.h>
#include <kernel/assert.h>
#include <kernel/budget.h>
#include <kernel/klog.h>
#include <kernel/sched.h>

#define NPRIO 256
#define TICK_US 1000u /* round-robin among equal priorities */

struct domain *sched_current;
static struct domain *rq_head[NPRIO];
static uint64_t rq_bits[NPRIO / 64];
static uint64_t rq_summary; /* bit w: rq_bits[w] is non-zero */
static bool rotate;         /* a tick or yield asks equals to take turns */
static bool need_resched;   /* something happened that may change who runs */
static uint32_t n_started;
static uint32_t n_startable; /* domains not held at boot */

/*
 * Time. The timer is one-shot, armed for the earliest of three events: the
 * next round-robin tick, the earliest release of a throttled domain, and the
 * end of the running domain's budget. It may be armed earlier than that (a
 * deadline that moved later is left alone; the early interrupt re-arms), never
 * later. Without any budgeted domain only ticks exist: sched_tick re-arms for
 * the next one and the switch paths never read the clock.
 */
static bool timed;                       /* some domain has a budget */
static uint64_t tick_cycles;             /* TICK_US in cycles */
static uint64_t tick_at;                 /* the next round-robin tick */
static uint64_t release_at;              /* earliest release of a throttled domain */
static uint64_t timer_at;                /* when the armed timer fires; BUDGET_NEVER: not armed */
static uint64_t last_account;            /* when timed: the current domain is charged up to here */
static uint64_t wake_min = BUDGET_NEVER; /* no timed wait ends before this */

/*
 * Per-domain cycles: each domain keeps the low 32 bits of the TSC when it
 * last began to run (`ran_since`). A switch charges the time since to the
 * domain that leaves and stamps the one that comes (four instructions on
 * the hand-off); every tick charges and stamps the current domain, so far
 * fewer than 2^32 cycles pass between a stamp and its charge and the 32-bit
 * difference is exact. Idle time is nobody's.
 */
static inline void hand_cycles(struct domain *from, struct domain *to)
{
	uint32_t now = arch_cycles_low();
	to->ran_since = now;
	from->cycles += (uint32_t)(now - from->ran_since);
}

/* Makes @next the current domain (NULL: idle), charging the one that leaves. */
static inline void set_current(struct domain *next)
{
	uint32_t now = arch_cycles_low();
	if (sched_current)
		sched_current->cycles += (uint32_t)(now - sched_current->ran_since);
	if (next)
		next->ran_since = now;
	sched_current = next;
}

/* From sched_init: cycles at kernel entry and whether to halt when all end. */
static uint64_t boot_cycles;
static bool exit_when_idle;

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

/* Queues the runnable @d unless it runs, is throttled or is queued already. */
static void make_runnable(struct domain *d)
{
	if (d == sched_current || d->throttled || queued(d))
		return;
	enqueue(d, false);
	if (!sched_current || d->priority >= sched_current->priority)
		need_resched = true;
}

static void unqueue(struct domain *d)
{
	if (queued(d))
		dequeue(d);
}

/*
 * The run states. Only these functions (and sched_init) write d->state; the
 * channel code calls them, and the stop path of domain.c calls sched_stop.
 */
void sched_wake(struct domain *d)
{
	d->state = DOMAIN_RUNNABLE;
	make_runnable(d);
}

void sched_block(struct domain *d)
{
	d->state = DOMAIN_WAITING;
	unqueue(d);
}

void sched_stop(struct domain *d)
{
	d->state = DOMAIN_STOPPED;
	unqueue(d);
}

static uint64_t earliest(uint64_t a, uint64_t b)
{
	return a < b ? a : b;
}

static struct budget_acct acct_of(const struct domain *d)
{
	return (struct budget_acct){.budget = d->budget,
	                            .period = d->period,
	                            .left = d->budget_left,
	                            .release = d->next_release};
}

static void acct_store(struct domain *d, const struct budget_acct *a)
{
	d->budget = a->budget;
	d->period = a->period;
	d->budget_left = a->left;
	d->next_release = a->release;
}

/* Arms the timer for @when unless it already fires at or before then. */
static void arm(uint64_t when)
{
	if (when >= timer_at)
		return;
	timer_at = when;
	arch_timer_set(when);
}

bool sched_block_until(struct domain *d, uint64_t deadline)
{
	if (deadline <= arch_cycles())
		return false;
	d->wake_at = deadline;
	sched_block(d);
	wake_min = earliest(wake_min, deadline);
	arm(deadline);
	return true;
}

/*
 * Arms the timer for the next event while @d runs (NULL: idle). @d's budget is
 * refilled first if its period ended while it did not run.
 */
static void arm_for(struct domain *d)
{
	uint64_t when = earliest(tick_at, release_at);
	if (d && d->budget) {
		struct budget_acct a = acct_of(d);
		budget_charge(&a, last_account, last_account); /* charges nothing */
		acct_store(d, &a);
		when = earliest(when, budget_add(last_account, a.left));
	}
	arm(when);
}

/* Charges the current domain for the cycles up to @now; throttles it when its budget is spent. */
static void charge(uint64_t now)
{
	struct domain *d = sched_current;
	if (d && d->budget) {
		struct budget_acct a = acct_of(d);
		bool spent = false;
		if (d->throttled) /* not yet switched away: the time adds to what it owes */
			budget_owe(&a, budget_sub(now, last_account));
		else
			spent = budget_charge(&a, last_account, now);
		acct_store(d, &a);
		if (spent) {
			d->overruns++;
			d->throttled = need_resched = true;
			release_at = earliest(release_at, d->next_release);
		}
	}
	last_account = now;
}

/* Charges the current domain up to now, when some domain has a budget. */
static void account(void)
{
	if (timed)
		charge(arch_cycles());
}

/* Gives throttled @d its next budget at @now, if its debt leaves any. */
static void release(struct domain *d, uint64_t now)
{
	struct budget_acct a = acct_of(d);
	bool runs = budget_release(&a, now);
	acct_store(d, &a);
	if (!runs)
		return;
	d->throttled = false;
	if (d->state == DOMAIN_RUNNABLE)
		make_runnable(d);
}

/* Releases every throttled domain whose release has come by @now. */
static void release_due(uint64_t now)
{
	uint64_t next = BUDGET_NEVER;
	for (uint32_t i = 0; i < n_domains; i++) {
		struct domain *d = &domains[i];
		if (d->throttled && now >= d->next_release)
			release(d, now);
		if (d->throttled)
			next = earliest(next, d->next_release);
	}
	release_at = next;
}

/*
 * A domain still in its timed wait: blocked, with the call's number still in
 * its saved rax. Every wake-up writes a result there (channel.c's deliver, or
 * wake_due), so a deadline left over from an earlier wait that a signal ended
 * never wakes a later wait, and neither the wake paths nor the fastpath
 * hand-off need to clear anything.
 */
static bool in_timed_wait(const struct domain *d)
{
	return d->state == DOMAIN_WAITING && d->regs.rax == BH_HC_WAIT_UNTIL;
}

/* Ends the timed waits due by @now (result: BH_OK, no bits); wake_min = the next. */
static void wake_due(uint64_t now)
{
	uint64_t next = BUDGET_NEVER;
	for (uint32_t i = 0; i < n_domains; i++) {
		struct domain *d = &domains[i];
		if (!in_timed_wait(d))
			continue;
		if (now < d->wake_at) {
			next = earliest(next, d->wake_at);
			continue;
		}
		d->regs.rax = BH_OK;
		d->regs.rdx = 0;
		sched_wake(d);
	}
	wake_min = next;
}

void sched_tick(void)
{
	uint64_t now = arch_cycles();
	set_current(sched_current); /* charged and stamped: no difference reaches 2^32 */
	timer_at = BUDGET_NEVER;    /* the one-shot has fired */
	if (timed) {
		charge(now);
		if (now >= release_at)
			release_due(now);
	}
	if (now >= tick_at) {
		rotate = true;
		tick_at = budget_add(tick_at, tick_cycles);
		if (tick_at <= now) /* ticks missed: none is made up */
			tick_at = budget_add(now, tick_cycles);
	}
	if (now >= wake_min)
		wake_due(now);
	need_resched = true;
	if (!timed)
		arm(tick_at);
	arm(wake_min); /* the exit path arms only ticks, releases and budgets */
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
	if (++n_started == n_startable)
		kprintf("bulkhead: all %u domains running after %lu cycles", n_startable,
		        arch_cycles() - boot_cycles);
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
			if (exit_when_idle)
				arch_halt(0);
		}
		account();
		set_current(NULL);
		if (timed)
			arm_for(NULL);
		arch_idle();
		next = pick();
	}
	return next;
}

/* Returns to @d in user mode, with the timer armed for @d's next event. */
static __attribute__((noreturn)) void resume(struct domain *d)
{
	if (timed)
		arm_for(d);
	arch_return_to_user(d);
}

/* The exit path when the current domain may not simply continue. */
static __attribute__((noreturn, noinline)) void exit_slow(void)
{
	for (;;) {
		struct domain *cur = sched_current;
		if (keep_current(cur))
			resume(cur);
		account();
		struct domain *next = pick_or_idle();
		set_current(next);
		arch_switch(next);
		if (next->started)
			resume(next);
		first_run(next);
		if (top_priority() <= (int)next->priority)
			resume(next);
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

/* sched_handoff when some domain has a budget: charge, switch, re-arm. */
static __attribute__((noreturn, noinline)) void direct_switch_timed(struct domain *to)
{
	charge(arch_cycles());
	set_current(to);
	arch_switch(to);
	resume(to);
}

void sched_handoff(struct domain *from, struct domain *to)
{
	from->state = DOMAIN_WAITING;
	to->state = DOMAIN_RUNNABLE;
	if (timed)
		direct_switch_timed(to);
	hand_cycles(from, to);
	sched_current = to;
	arch_switch(to);
	arch_return_to_user(to);
}

void sched_init(uint64_t entry_cycles, bool halt_when_idle)
{
	uint64_t now = arch_cycles();
	boot_cycles = entry_cycles;
	exit_when_idle = halt_when_idle;
	tick_cycles = budget_cycles(TICK_US, arch_cycles_per_us);
	tick_at = budget_add(now, tick_cycles);
	release_at = timer_at = wake_min = BUDGET_NEVER;
	last_account = now;
	for (uint32_t i = 0; i < n_domains; i++) {
		struct domain *d = &domains[i];
		if (d->state == DOMAIN_STOPPED) /* held at boot: never started */
			continue;
		n_startable++;
		struct budget_acct a = acct_of(d);
		if (budget_start(&a, now))
			timed = true;
		acct_store(d, &a);
		enqueue(d, false);
	}
	arm(tick_at);
}
