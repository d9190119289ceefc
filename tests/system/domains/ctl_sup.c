/*
 * System test control: the controller. It checks every refusal of the domain-control calls,
 * stops, resumes, restarts and replaces the victim, and reads the faulter's fault records.
 */
#include <stdint.h>

#include <bh.h>
#include <bulkhead/abi/fault.h>

#include "verdict.h"

#define EMPTY_SLOT 63u
#define PAUSE_MS 20u

struct targets {
	const struct bh_info_entry *victim, *faulter, *ghost;
	struct bh_channel vready, fready;
	const volatile uint64_t *count, *fshare;
};

static bool open_all(struct targets *t)
{
	const struct bh_info_entry *count = bh_lookup("count", BH_RES_MAP);
	const struct bh_info_entry *fshare = bh_lookup("fshare", BH_RES_MAP);

	t->victim = bh_domain_find("victim");
	t->faulter = bh_domain_find("faulter");
	t->ghost = bh_domain_find("ghost");
	if (!count || !fshare || !t->victim || !t->faulter || !t->ghost ||
	    !bh_channel_open("vready", &t->vready) || !bh_channel_open("fready", &t->fready))
		return false;
	t->count = (const volatile uint64_t *)(uintptr_t)count->vaddr;
	t->fshare = (const volatile uint64_t *)(uintptr_t)fshare->vaddr;
	return true;
}

static uint64_t state(uint32_t slot)
{
	uint64_t w = 0;

	return bh_domain_state(slot, &w) == BH_OK ? w : 0;
}

static void pause_ms(uint64_t ms)
{
	(void)bh_wait_until(0, bh_deadline_ms(ms));
}

/* Every refusal that needs no particular state of the target. */
static void refusals(const struct targets *t)
{
	struct bh_channel ch = t->vready;
	enum bh_err e;

	e = bh_domain_stop(EMPTY_SLOT);
	verdict("control.no_cap", e == BH_ERR_NO_CAP, "stop on an empty slot: %d", e);
	e = bh_domain_restart(BH_MAX_CAPS, 0);
	verdict("control.bad_slot", e == BH_ERR_BAD_SLOT, "restart on slot 64: %d", e);
	e = bh_domain_stop(ch.slot);
	verdict("control.wrong_type", e == BH_ERR_WRONG_TYPE, "stop on a channel: %d", e);
	e = bh_domain_stop(t->ghost->slot);
	verdict("control.no_right_stop", e == BH_ERR_NO_RIGHT, "stop without the right: %d", e);
	e = bh_domain_resume(t->ghost->slot);
	verdict("control.no_right_resume", e == BH_ERR_NO_RIGHT, "resume without the right: %d", e);
	e = bh_domain_restart(t->faulter->slot, 1);
	verdict("control.no_right_replace", e == BH_ERR_NO_RIGHT, "replace without the right: %d",
	        e);
	e = bh_domain_restart(t->victim->slot, 2);
	verdict("control.bad_image", e == BH_ERR_INVALID, "image 2 of 1 alternative: %d", e);
	e = bh_domain_restart(t->ghost->slot, 0);
	uint64_t w = state(t->ghost->slot);
	verdict("control.refused", e == BH_ERR_STATE && BH_DSTATE_STATE(w) == BH_DSTATE_REFUSED,
	        "restart of a domain never started: %d, state %u", e, BH_DSTATE_STATE(w));
}

/* Stop holds the victim (its counter stands still); resume runs it on. */
static void stop_resume(const struct targets *t)
{
	uint32_t slot = t->victim->slot;
	uint64_t w = state(slot);

	verdict("control.state_running",
	        BH_DSTATE_STATE(w) == BH_DSTATE_RUNNING && BH_DSTATE_GENERATION(w) == 0 &&
	                BH_DSTATE_RESTARTS(w) == 0 && BH_DSTATE_IMAGE(w) == 0,
	        "state word 0x%llx", (unsigned long long)w);
	enum bh_err e = bh_domain_resume(slot);
	verdict("control.resume_running", e == BH_ERR_STATE, "resume of a running domain: %d", e);
	pause_ms(PAUSE_MS); /* the victim counts meanwhile */
	e = bh_domain_stop(slot);
	uint64_t before = *t->count;
	pause_ms(PAUSE_MS);
	uint64_t after = *t->count;
	enum bh_err again = bh_domain_stop(slot);
	w = state(slot);
	verdict("control.stop",
	        e == BH_OK && before && before == after && again == BH_ERR_STATE &&
	                BH_DSTATE_STATE(w) == BH_DSTATE_STOPPED,
	        "stop %d, counter %llu then %llu, stop again %d, state %u", e,
	        (unsigned long long)before, (unsigned long long)after, again, BH_DSTATE_STATE(w));
	e = bh_domain_resume(slot);
	pause_ms(PAUSE_MS);
	verdict("control.resume", e == BH_OK && *t->count != after, "resume %d, counter %llu", e,
	        (unsigned long long)*t->count);
}

/* A fresh instance (the victim checks itself), then the alternative image. */
static void restart_replace(const struct targets *t)
{
	uint32_t slot = t->victim->slot;
	enum bh_err e = bh_domain_restart(slot, 0);
	uint64_t w = state(slot);

	verdict("control.restart",
	        e == BH_OK && BH_DSTATE_GENERATION(w) == 1 && BH_DSTATE_RESTARTS(w) == 1 &&
	                BH_DSTATE_IMAGE(w) == 0,
	        "restart %d, state word 0x%llx", e, (unsigned long long)w);
	bh_wait_for(t->vready.bit);
	e = bh_domain_restart(slot, 1);
	w = state(slot);
	verdict("control.replace_state",
	        e == BH_OK && BH_DSTATE_GENERATION(w) == 2 && BH_DSTATE_IMAGE(w) == 1,
	        "replace %d, state word 0x%llx", e, (unsigned long long)w);
	bh_wait_for(t->vready.bit);
}

/* Waits for fault record @seq, then copies it; false if the page never got it. */
static bool take_record(const struct targets *t, uint64_t seq, struct bh_fault_page *out)
{
	const volatile struct bh_fault_page *page =
		(const volatile struct bh_fault_page *)(uintptr_t)t->faulter->vaddr;

	for (uint32_t tries = 0; tries < 100 && page->seq < seq; tries++)
		(void)bh_wait_until(1ull << t->faulter->bit, bh_deadline_ms(PAUSE_MS));
	out->seq = page->seq;
	out->kind = page->kind;
	out->vector = page->vector;
	out->rip = page->rip;
	out->addr = page->addr;
	out->error_code = page->error_code;
	out->generation = page->generation;
	return out->seq == seq;
}

/* The faulter's page fault, then (restarted) its exit, as the supervisor's records say. */
static void faults(const struct targets *t)
{
	uint32_t slot = t->faulter->slot;
	struct bh_fault_page r;

	bh_wait_for(t->fready.bit);
	bool got = take_record(t, 1, &r);
	verdict("control.fault_record",
	        got && r.kind == BH_FAULT_PAGE && r.vector == 14 && r.rip == t->fshare[0] &&
	                r.addr == t->fshare[1] && (r.error_code & 0x6) == 0x6 && r.generation == 0,
	        "seq %llu kind %u vector %u rip 0x%llx (want 0x%llx) addr 0x%llx error 0x%llx gen %u",
	        (unsigned long long)r.seq, r.kind, r.vector, (unsigned long long)r.rip,
	        (unsigned long long)t->fshare[0], (unsigned long long)r.addr,
	        (unsigned long long)r.error_code, r.generation);
	enum bh_err e = bh_domain_resume(slot);
	uint64_t w = state(slot);
	verdict("control.resume_faulted",
	        e == BH_ERR_STATE && BH_DSTATE_STATE(w) == BH_DSTATE_FAULTED,
	        "resume of a faulted domain: %d, state %u", e, BH_DSTATE_STATE(w));
	e = bh_domain_restart(slot, 0);
	got = take_record(t, 2, &r);
	w = state(slot);
	verdict("control.exit_record",
	        e == BH_OK && got && r.kind == BH_FAULT_EXIT && r.error_code == 7 &&
	                r.generation == 1 && BH_DSTATE_STATE(w) == BH_DSTATE_EXITED,
	        "restart %d, seq %llu kind %u code %llu gen %u, state %u", e,
	        (unsigned long long)r.seq, r.kind, (unsigned long long)r.error_code, r.generation,
	        BH_DSTATE_STATE(w));
}

int main(void)
{
	struct targets t;

	if (!open_all(&t)) {
		verdict("control.setup", false, "a control entry, map or channel is missing");
		return 1;
	}
	refusals(&t);
	bh_wait_for(t.vready.bit);
	stop_resume(&t);
	restart_replace(&t);
	faults(&t);
	say("control: done\n");
	for (;;)
		(void)bh_wait();
}
