/* Supervisor: restarts the domains it controls on faults and hangs, one console line per event. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <bh.h>

#include "sup_policy.h"

#define SUP_MAX_TARGETS 16u

/* A domain this supervisor holds a BH_CAP_DOMAIN capability on. */
struct watched {
	char name[BH_INFO_NAME_LEN + 1];
	uint32_t slot, rights;
	const volatile struct bh_fault_page *faults; /* NULL without the faults right */
	uint64_t fault_mask;                         /* its fault bit */
	uint64_t fault_seen;                         /* records handled so far */
	const volatile uint64_t *heartbeat;          /* NULL without a watchdog */
	bool supervised;                             /* it has a usable BH_RES_POLICY entry */
	struct sup_target t;
};

static struct watched targets[SUP_MAX_TARGETS];
static uint32_t n_targets;
static uint64_t fault_mask_all;

static uint64_t now_us(void)
{
	return bh_rdtsc() / bh_cycles_per_us();
}

static uint64_t us_to_tsc(uint64_t us)
{
	uint64_t rate = bh_cycles_per_us();

	return us > UINT64_MAX / rate ? UINT64_MAX : us * rate;
}

static uint64_t ms(uint64_t us)
{
	return us / 1000u;
}

/* The target's BH_DSTATE_* word (0 when the kernel does not answer). */
static uint64_t state_of(const struct watched *w)
{
	uint64_t word = 0;

	return bh_domain_state(w->slot, &word) == BH_OK ? word : 0;
}

static uint64_t heartbeat_of(const struct watched *w)
{
	return w->heartbeat ? *w->heartbeat : 0;
}

/* ---- start-up: the BH_RES_DOMAIN and BH_RES_POLICY entries ---- */

static struct watched *find_target(const char name[BH_INFO_NAME_LEN])
{
	for (uint32_t i = 0; i < n_targets; i++)
		if (strncmp(targets[i].name, name, BH_INFO_NAME_LEN) == 0)
			return &targets[i];
	return NULL;
}

static void add_target(const struct bh_info_entry *e)
{
	struct watched *w = &targets[n_targets];

	if (n_targets == SUP_MAX_TARGETS) {
		bh_say("%.32s not watched: more than %u targets", e->name, SUP_MAX_TARGETS);
		return;
	}
	memcpy(w->name, e->name, BH_INFO_NAME_LEN);
	w->slot = e->slot;
	w->rights = e->flags;
	if ((e->flags & BH_RIGHT_FAULTS) && e->bit < 64 && e->vaddr != 0 &&
	    e->size >= sizeof(struct bh_fault_page)) {
		w->faults = (const volatile struct bh_fault_page *)(uintptr_t)e->vaddr;
		w->fault_mask = 1ull << e->bit;
		fault_mask_all |= w->fault_mask;
	}
	n_targets++;
}

/* The heartbeat word of @e's policy: the holder's map named in `peer`. */
static const volatile uint64_t *find_heartbeat(const struct bh_info_entry *e)
{
	char name[BH_INFO_NAME_LEN + 1];
	const struct bh_info_entry *map;

	memcpy(name, e->peer, BH_INFO_NAME_LEN);
	name[BH_INFO_NAME_LEN] = '\0';
	map = bh_lookup(name, BH_RES_MAP);
	if (!map || map->vaddr == 0 || map->size < sizeof(uint64_t))
		return NULL;
	return (const volatile uint64_t *)(uintptr_t)map->vaddr;
}

/* Whether @w's capability carries what @pol needs; says what is missing otherwise. */
static const char *rights_missing(const struct watched *w, const struct sup_policy *pol)
{
	if (!(w->rights & BH_RIGHT_RESTART))
		return "no restart right";
	if (pol->on_fault && !w->faults)
		return "no fault page";
	if (pol->replace_us && !(w->rights & BH_RIGHT_REPLACE))
		return "no replace right";
	return NULL;
}

static void add_policy(const struct bh_info_entry *e)
{
	struct watched *w = find_target(e->name);
	struct sup_policy pol;
	const char *why = w ? sup_policy_decode(e, &pol) : "no control of it";

	if (!why)
		why = rights_missing(w, &pol);
	if (!why && pol.on_hang && !(w->heartbeat = find_heartbeat(e)))
		why = "its heartbeat region is not mapped";
	if (why) {
		bh_say("%.32s not supervised: %s", e->name, why);
		return;
	}
	sup_target_init(&w->t, &pol, now_us(), BH_DSTATE_GENERATION(state_of(w)));
	w->t.hb_last = heartbeat_of(w);
	w->supervised = true;
}

static void read_entries(void)
{
	const struct bh_start_info *info = bh_info();
	uint32_t n = info->n_entries < BH_INFO_MAX_ENTRIES ? info->n_entries : BH_INFO_MAX_ENTRIES;

	for (uint32_t i = 0; i < n; i++)
		if (info->entries[i].kind == BH_RES_DOMAIN)
			add_target(&info->entries[i]);
	for (uint32_t i = 0; i < n; i++)
		if (info->entries[i].kind == BH_RES_POLICY)
			add_policy(&info->entries[i]);
}

/* ---- events ---- */

/* Stops @w unless it already is (faulted, exited, stopped). */
static void leave_stopped(const struct watched *w)
{
	if (BH_DSTATE_STATE(state_of(w)) == BH_DSTATE_RUNNING)
		(void)bh_domain_stop(w->slot);
}

/* The one line for @d about @w, whose stop @what describes ("faulted (...)", "hung (...)"). */
static void report(const struct watched *w, const struct sup_decision *d, const char *what)
{
	if (d->action == SUP_RESTART) {
		bh_say("%s %s; restart %u/%u in %llu ms", w->name, what, d->n, d->max,
		       (unsigned long long)ms(d->delay_us));
	} else if (d->action == SUP_GIVE_UP) {
		leave_stopped(w);
		bh_say("%s gave up after %u restarts in %llu ms; left stopped; last: %s", w->name,
		       d->n, (unsigned long long)ms(w->t.pol.window_us), what);
	} else {
		bh_say("%s %s; left stopped (no restart on this)", w->name, what);
	}
}

static void on_fault_record(struct watched *w, const struct bh_fault_page *rec, uint64_t now)
{
	char what[96];

	sup_fault_text(rec, what, sizeof(what));
	if (!w->supervised) {
		bh_say("%s %s; not supervised", w->name, what);
		return;
	}
	if (rec->generation < w->t.generation)
		return; /* an instance already replaced: nothing to do */
	struct sup_decision d = sup_fault(&w->t, now, rec->generation);
	report(w, &d, what);
}

static void check_watchdog(struct watched *w, uint64_t now)
{
	uint64_t elapsed, hb = heartbeat_of(w);
	bool running = BH_DSTATE_STATE(state_of(w)) == BH_DSTATE_RUNNING;
	char what[64];

	if (!sup_watch(&w->t, now, hb, running, &elapsed))
		return;
	(void)bh_domain_stop(w->slot);
	snprintf(what, sizeof(what), "hung (no heartbeat for %llu ms)",
	         (unsigned long long)ms(elapsed));
	struct sup_decision d = sup_hang(&w->t, now);
	report(w, &d, what);
}

/* Restarts @w with @image. Returns: the new generation, or -1 (said so, given up). */
static int64_t restart(struct watched *w, uint32_t image)
{
	enum bh_err err = bh_domain_restart(w->slot, image);

	if (err != BH_OK) {
		bh_say("%s restart with image %u refused (error %d); left stopped", w->name, image,
		       (int)err);
		return -1;
	}
	return (int64_t)BH_DSTATE_GENERATION(state_of(w));
}

static void restart_due(struct watched *w)
{
	int64_t gen = restart(w, w->t.image);

	if (gen < 0) {
		sup_restart_failed(&w->t);
		return;
	}
	sup_restarted(&w->t, now_us(), (uint32_t)gen, heartbeat_of(w));
	bh_say("%s restarted (gen %u, image %u)", w->name, (uint32_t)gen, w->t.image);
}

static void replace_due(struct watched *w, uint64_t now)
{
	enum sup_replace r = sup_replace_due(&w->t, now);

	if (r == SUP_REPLACE_SKIP)
		bh_say("%s not replaced by alternative 1: given up", w->name);
	if (r != SUP_REPLACE_NOW)
		return;
	int64_t gen = restart(w, 1);
	if (gen < 0) {
		sup_restart_failed(&w->t);
		return;
	}
	sup_replaced(&w->t, now_us(), (uint32_t)gen, heartbeat_of(w));
	bh_say("%s replaced by alternative 1 (gen %u)", w->name, (uint32_t)gen);
}

/* Everything @w needs at @now: a new fault record, the watchdog, a due restart or replace. */
static void step(struct watched *w, uint64_t now)
{
	struct bh_fault_page rec;

	if (w->faults && sup_fault_read(w->faults, &w->fault_seen, &rec))
		on_fault_record(w, &rec, now);
	if (!w->supervised)
		return;
	if (w->t.phase == SUP_WATCHING && w->heartbeat &&
	    now >= w->t.hb_seen_us + w->t.pol.watchdog_us)
		check_watchdog(w, now);
	if (sup_restart_due(&w->t, now))
		restart_due(w);
	replace_due(w, now);
}

int main(void)
{
	read_entries();
	if (n_targets == 0) {
		bh_say("nothing to supervise");
		return 0;
	}
	for (;;) {
		uint64_t next = SUP_NO_DEADLINE;
		for (uint32_t i = 0; i < n_targets; i++) {
			step(&targets[i], now_us());
			if (targets[i].supervised) {
				uint64_t d = sup_next_deadline(&targets[i].t);
				next = d < next ? d : next;
			}
		}
		(void)bh_wait_until(fault_mask_all,
		                    next == SUP_NO_DEADLINE ? UINT64_MAX : us_to_tsc(next));
	}
}
