/* Supervisor: the restart policy (backoff, window, give-up, watchdog, scheduled replace). */
#include <stdio.h>
#include <string.h>

#include "sup_policy.h"

#define FAULT_READ_TRIES 4u

/* ---- the policy entry ---- */

const char *sup_policy_decode(const struct bh_info_entry *e, struct sup_policy *out)
{
	memset(out, 0, sizeof(*out));
	out->watchdog_us = e->vaddr;
	out->window_us = e->size;
	out->backoff_us = e->slot;
	out->replace_us = (uint64_t)e->bit * 1000u;
	out->max_restarts = BH_POLICY_MAX_RESTARTS(e->flags);
	out->on_fault = (e->flags & BH_POLICY_ON_FAULT) != 0;
	out->on_hang = (e->flags & BH_POLICY_ON_HANG) != 0;
	if (out->on_hang && out->watchdog_us < 5u * (uint64_t)BH_HEARTBEAT_US)
		return "on hang needs a watchdog of at least 5 heartbeat intervals";
	if (out->on_hang && memchr(e->peer, '\0', BH_INFO_NAME_LEN) == e->peer)
		return "on hang needs a heartbeat region";
	if (out->window_us == 0)
		return "no restart window";
	if (!out->on_fault && !out->on_hang && out->replace_us == 0)
		return "nothing to act on";
	return NULL;
}

void sup_target_init(struct sup_target *t, const struct sup_policy *pol, uint64_t now_us,
                     uint32_t generation)
{
	memset(t, 0, sizeof(*t));
	t->pol = *pol;
	t->phase = SUP_WATCHING;
	t->start_us = now_us;
	t->generation = generation;
	t->hb_seen_us = now_us;
}

/* ---- restarts: the window, the backoff, giving up ---- */

/* The delay before restart @n (1-based) of a window: the first backoff, doubled each time. */
static uint64_t backoff(const struct sup_policy *pol, uint32_t n)
{
	uint64_t d = pol->backoff_us;

	for (uint32_t i = 1; i < n && d < SUP_MAX_BACKOFF_US; i++)
		d *= 2u;
	return d < SUP_MAX_BACKOFF_US ? d : SUP_MAX_BACKOFF_US;
}

/* Counts one more restart at @now_us in the current window (a new one if it has passed). */
static struct sup_decision count_restart(struct sup_target *t, uint64_t now_us)
{
	struct sup_decision d = {SUP_RESTART, 0, t->pol.max_restarts, 0};

	if (t->in_window == 0 || now_us - t->window_start_us >= t->pol.window_us) {
		t->window_start_us = now_us;
		t->in_window = 0;
	}
	if (t->in_window >= t->pol.max_restarts) {
		t->phase = SUP_GIVEN_UP;
		d.action = SUP_GIVE_UP;
		d.n = t->in_window;
		return d;
	}
	d.n = ++t->in_window;
	d.delay_us = backoff(&t->pol, d.n);
	t->phase = SUP_BACKOFF;
	t->due_us = now_us + d.delay_us;
	return d;
}

struct sup_decision sup_fault(struct sup_target *t, uint64_t now_us, uint32_t generation)
{
	struct sup_decision none = {SUP_IGNORE, 0, t->pol.max_restarts, 0};

	if (t->phase != SUP_WATCHING || generation < t->generation || !t->pol.on_fault)
		return none;
	return count_restart(t, now_us);
}

struct sup_decision sup_hang(struct sup_target *t, uint64_t now_us)
{
	struct sup_decision none = {SUP_IGNORE, 0, t->pol.max_restarts, 0};

	if (t->phase != SUP_WATCHING || !t->pol.on_hang)
		return none;
	return count_restart(t, now_us);
}

bool sup_restart_due(const struct sup_target *t, uint64_t now_us)
{
	return t->phase == SUP_BACKOFF && now_us >= t->due_us;
}

void sup_restarted(struct sup_target *t, uint64_t now_us, uint32_t generation, uint64_t hb)
{
	t->phase = SUP_WATCHING;
	t->generation = generation;
	t->hb_last = hb;
	t->hb_seen_us = now_us;
}

void sup_restart_failed(struct sup_target *t)
{
	t->phase = SUP_GIVEN_UP;
}

/* ---- the watchdog ---- */

bool sup_watch(struct sup_target *t, uint64_t now_us, uint64_t hb, bool running,
               uint64_t *elapsed_us)
{
	*elapsed_us = 0;
	if (t->phase != SUP_WATCHING || !t->pol.on_hang)
		return false;
	if (!running || hb != t->hb_last) { /* a stopped target is not late; a change re-arms */
		t->hb_last = hb;
		t->hb_seen_us = now_us;
		return false;
	}
	if (now_us - t->hb_seen_us < t->pol.watchdog_us)
		return false;
	*elapsed_us = now_us - t->hb_seen_us;
	return true;
}

/* ---- the scheduled replace ---- */

enum sup_replace sup_replace_due(struct sup_target *t, uint64_t now_us)
{
	if (t->pol.replace_us == 0 || t->replaced || now_us - t->start_us < t->pol.replace_us)
		return SUP_REPLACE_NOT_YET;
	t->replaced = true;
	if (t->phase == SUP_GIVEN_UP)
		return SUP_REPLACE_SKIP;
	return SUP_REPLACE_NOW;
}

void sup_replaced(struct sup_target *t, uint64_t now_us, uint32_t generation, uint64_t hb)
{
	t->image = 1;
	sup_restarted(t, now_us, generation, hb);
}

static uint64_t earlier(uint64_t a, uint64_t b)
{
	return a < b ? a : b;
}

uint64_t sup_next_deadline(const struct sup_target *t)
{
	uint64_t next = SUP_NO_DEADLINE;

	if (t->phase == SUP_GIVEN_UP)
		return next;
	if (t->phase == SUP_BACKOFF)
		next = t->due_us;
	if (t->phase == SUP_WATCHING && t->pol.on_hang)
		next = earlier(next, t->hb_seen_us + t->pol.watchdog_us);
	if (t->pol.replace_us != 0 && !t->replaced)
		next = earlier(next, t->start_us + t->pol.replace_us);
	return next;
}

/* ---- fault records ---- */

bool sup_fault_read(const volatile struct bh_fault_page *page, uint64_t *seen,
                    struct bh_fault_page *out)
{
	for (uint32_t i = 0; i < FAULT_READ_TRIES; i++) {
		uint64_t seq = page->seq;
		if (seq == *seen)
			return false;
		__atomic_thread_fence(__ATOMIC_ACQUIRE); /* the record after seq, as written */
		out->seq = seq;
		out->kind = page->kind;
		out->vector = page->vector;
		out->rip = page->rip;
		out->addr = page->addr;
		out->error_code = page->error_code;
		out->generation = page->generation;
		out->tsc = page->tsc;
		__atomic_thread_fence(__ATOMIC_ACQUIRE);
		if (page->seq == seq) {
			*seen = seq;
			return true;
		}
	}
	return false;
}

static const char *kind_name(uint32_t kind)
{
	static const char *const names[] = {
		[BH_FAULT_PAGE] = "page fault",
		[BH_FAULT_GP] = "general protection",
		[BH_FAULT_UD] = "invalid opcode",
		[BH_FAULT_MATH] = "CPU exception",
	};
	return kind < sizeof(names) / sizeof(names[0]) && names[kind] ? names[kind] : NULL;
}

char *sup_fault_text(const struct bh_fault_page *rec, char *buf, size_t len)
{
	unsigned long long rip = rec->rip, addr = rec->addr, code = rec->error_code;
	unsigned gen = rec->generation;
	const char *name = kind_name(rec->kind);

	if (rec->kind == BH_FAULT_EXIT)
		snprintf(buf, len, "exited (code %lld gen %u)", (long long)code, gen);
	else if (rec->kind == BH_FAULT_DMA)
		snprintf(buf, len, "faulted (DMA fault addr 0x%llx reason %llu gen %u)", addr, code,
		         gen);
	else if (rec->kind == BH_FAULT_KILLED)
		snprintf(buf, len, "was killed (rip 0x%llx gen %u)", rip, gen);
	else if (name)
		snprintf(buf, len, "faulted (%s rip 0x%llx addr 0x%llx gen %u)", name, rip, addr,
		         gen);
	else
		snprintf(buf, len, "faulted (kind %u rip 0x%llx gen %u)", rec->kind, rip, gen);
	return buf;
}
