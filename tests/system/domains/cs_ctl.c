/*
 * System test control_state: the controller. It checks every refusal of the state-export calls
 * (missing right, bad buffer, running target, ranges outside the spans, lengths over the limit,
 * vCPU values the kernel must not load), that the statistics move, destroy and restart, and a
 * save and restore it does itself: stop, layout, memory, vCPU, restart held, write everything
 * back, resume. It also checks entropy, the FS base and the boot wall clock.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <bh.h>
#include <bulkhead/abi/domain.h>
#include <bulkhead/abi/layout.h>

#include "verdict.h"

#ifndef CS_SKIP
#define CS_SKIP 0 /* 1: the restore skips the memory, 2: the vCPU (the test must then fail) */
#endif

#define CHUNK 0x10000u
#define MAX_SPANS 64u
#define KERNEL_ADDR 0xffffffff80000000ull
#define NONCANONICAL 0x0000800000000000ull
#define UNMAPPED 0x0000700000000000ull
#define TPRIV 0x50000000ull
#define UNIX_2020 1577836800ull

struct ctl {
	const struct bh_info_entry *target, *sleeper, *other;
	struct bh_channel tick, wake;
	const volatile uint64_t *count;
	uint64_t ro; /* a page ctl maps read-only */
};

/* A domain's state as a save holds it. */
struct saved {
	struct bh_mem_span spans[MAX_SPANS];
	uint32_t n;
	uint8_t *bytes;
	uint64_t total, sum;
	struct bh_vcpu_state vcpu;
};

static uint8_t chunk[CHUNK];

static void pause_ms(uint64_t ms)
{
	(void)bh_wait_until(0, bh_deadline_ms(ms));
}

static uint64_t dstate(uint32_t slot)
{
	uint64_t w = 0;

	return bh_domain_state(slot, &w) == BH_OK ? w : 0;
}

static bool open_all(struct ctl *c)
{
	const struct bh_info_entry *count = bh_lookup("count", BH_RES_MAP);
	const struct bh_info_entry *ro = bh_lookup("ro", BH_RES_MAP);

	c->target = bh_domain_find("target");
	c->sleeper = bh_domain_find("sleeper");
	c->other = bh_domain_find("other");
	if (!count || !ro || !c->target || !c->sleeper || !c->other ||
	    !bh_channel_open("tick", &c->tick) || !bh_channel_open("wake", &c->wake))
		return false;
	c->count = (const volatile uint64_t *)(uintptr_t)count->vaddr;
	c->ro = ro->vaddr;
	return true;
}

/* FNV-1a, folded over @n bytes of @p into @h. */
static uint64_t fold(uint64_t h, const uint8_t *p, uint64_t n)
{
	for (uint64_t i = 0; i < n; i++)
		h = (h ^ p[i]) * 0x100000001b3ull;
	return h;
}

/* ---- entropy, FS base, wall clock ---- */

static uint64_t read_fs0(void)
{
	uint64_t v;

	__asm__ volatile("mov %%fs:0, %0" : "=r"(v));
	return v;
}

static void prerequisites(void)
{
	static uint64_t tls[2] = {0x7e57f5ba5e000001ull, 0};
	uint64_t a = 0, b = 0;
	enum bh_err ea = bh_entropy(&a), eb = bh_entropy(&b);

	verdict("control_state.entropy", ea == BH_OK && eb == BH_OK && a && b && a != b,
	        "%d %d: 0x%llx 0x%llx", ea, eb, (unsigned long long)a, (unsigned long long)b);
	enum bh_err e1 = bh_set_fsbase((void *)(uintptr_t)KERNEL_ADDR);
	enum bh_err e2 = bh_set_fsbase((void *)(uintptr_t)NONCANONICAL);
	verdict("control_state.fsbase_refused", e1 == BH_ERR_INVALID && e2 == BH_ERR_INVALID,
	        "kernel address %d, non-canonical %d", e1, e2);
	enum bh_err e3 = bh_set_fsbase(tls);
	uint64_t now = read_fs0();
	pause_ms(5); /* other domains run: the switch back must load it again */
	uint64_t later = read_fs0();
	verdict("control_state.fsbase", e3 == BH_OK && now == tls[0] && later == tls[0],
	        "%d: fs:0 = 0x%llx, after a switch 0x%llx", e3, (unsigned long long)now,
	        (unsigned long long)later);
	const struct bh_start_info *info = bh_info();
	uint64_t wall = bh_wall_time();
	verdict("control_state.wall_clock",
	        info->boot_unix > UNIX_2020 && info->boot_tsc && wall >= info->boot_unix &&
	                wall < info->boot_unix + 3600,
	        "boot %llu, now %llu", (unsigned long long)info->boot_unix,
	        (unsigned long long)wall);
}

/* ---- refusals ---- */

/* `other` is held with the stop right only: statistics yes, everything else NO_RIGHT. */
static void no_right(const struct ctl *c)
{
	static struct bh_vcpu_state v;
	struct bh_domain_stats s;
	struct bh_mem_span span;
	uint32_t n, slot = c->other->slot;
	enum bh_err e[6] = {
		bh_domain_destroy(slot),
		bh_domain_layout(slot, &span, 1, &n),
		bh_domain_mem_read(slot, TPRIV, chunk, 8),
		bh_domain_mem_write(slot, TPRIV, chunk, 8),
		bh_domain_vcpu_get(slot, &v),
		bh_domain_vcpu_set(slot, &v),
	};
	bool all = true;
	for (int i = 0; i < 6; i++)
		all = all && e[i] == BH_ERR_NO_RIGHT;
	verdict("control_state.no_right", all,
	        "destroy %d layout %d read %d write %d get %d set %d", e[0], e[1], e[2], e[3], e[4],
	        e[5]);
	enum bh_err es = bh_domain_stats(slot, &s);
	verdict("control_state.stats_any_right", es == BH_OK && s.halt == BH_HALT_LIVE,
	        "stats with the stop right only: %d, halt %u", es, s.halt);
}

/* Buffers outside ctl's own writable memory: a kernel address, nothing, a read-only page. */
static void bad_buffers(const struct ctl *c)
{
	uint32_t slot = c->target->slot, n;
	const uint64_t bad[4] = {KERNEL_ADDR, UNMAPPED, c->ro, BH_INFO_VADDR};
	bool all = true;

	for (int i = 0; i < 4; i++) {
		enum bh_err es = bh_domain_stats(slot, (struct bh_domain_stats *)(uintptr_t)bad[i]);
		enum bh_err el =
			bh_domain_layout(slot, (struct bh_mem_span *)(uintptr_t)bad[i], 4, &n);
		enum bh_err eg =
			bh_domain_vcpu_get(slot, (struct bh_vcpu_state *)(uintptr_t)bad[i]);
		enum bh_err er = bh_domain_mem_read(slot, TPRIV, (void *)(uintptr_t)bad[i], 64);
		if (es != BH_ERR_INVALID || el != BH_ERR_INVALID || eg != BH_ERR_INVALID ||
		    er != BH_ERR_INVALID) {
			say("buffer 0x%llx: stats %d layout %d get %d read %d\n",
			    (unsigned long long)bad[i], es, el, eg, er);
			all = false;
		}
	}
	const struct bh_start_info *info = bh_info();
	uint64_t edge = info->heap_base + info->heap_size - 64; /* half past the heap's end */
	enum bh_err es = bh_domain_stats(slot, (struct bh_domain_stats *)(uintptr_t)edge);
	verdict("control_state.bad_buffer", all && es == BH_ERR_INVALID,
	        "kernel, unmapped, read-only, start-info, past the heap: all refused (last %d)",
	        es);
	enum bh_err ev =
		bh_domain_vcpu_set(slot, (const struct bh_vcpu_state *)(uintptr_t)KERNEL_ADDR);
	verdict("control_state.bad_buffer_set", ev == BH_ERR_INVALID,
	        "vcpu_set from the kernel: %d", ev);
}

/* A running target: memory and vCPU calls are BH_ERR_STATE, but bad arguments come first. */
static void running(const struct ctl *c)
{
	static struct bh_vcpu_state v;
	uint32_t slot = c->target->slot;
	enum bh_err er = bh_domain_mem_read(slot, TPRIV, chunk, 64);
	enum bh_err ew = bh_domain_mem_write(slot, TPRIV, chunk, 64);
	enum bh_err eg = bh_domain_vcpu_get(slot, &v);

	verdict("control_state.running",
	        er == BH_ERR_STATE && ew == BH_ERR_STATE && eg == BH_ERR_STATE,
	        "read %d write %d get %d", er, ew, eg);
	enum bh_err eo = bh_domain_mem_read(slot, TPRIV, chunk, CHUNK + 1);
	verdict("control_state.invalid_before_state", eo == BH_ERR_INVALID, "too long, running: %d",
	        eo);
}

/* Ranges outside the target's private spans, or too long; the target is stopped. */
static void bad_ranges(const struct ctl *c, const struct saved *s)
{
	uint32_t slot = c->target->slot;
	const struct bh_mem_span *last = &s->spans[s->n - 1];
	struct {
		uint64_t v, len;
	} bad[] = {
		{0x48000000, 8},                   /* the shared count page: not private */
		{BH_INFO_VADDR, 8},                /* the start-info page */
		{0x1000, 8},                       /* nothing */
		{KERNEL_ADDR, 8},                  /* the kernel */
		{TPRIV, 0},                        /* empty */
		{TPRIV, CHUNK + 1},                /* over the limit */
		{TPRIV + 0x2000 - 8, 16},          /* across the end of tpriv */
		{last->vaddr + last->size - 4, 8}, /* across the end of the last span */
		{UINT64_MAX - 3, 8},               /* wraps */
	};
	bool all = true;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		enum bh_err er = bh_domain_mem_read(slot, bad[i].v, chunk, bad[i].len);
		enum bh_err ew = bh_domain_mem_write(slot, bad[i].v, chunk, bad[i].len);
		if (er != BH_ERR_INVALID || ew != BH_ERR_INVALID) {
			say("range 0x%llx+%llu: read %d write %d\n", (unsigned long long)bad[i].v,
			    (unsigned long long)bad[i].len, er, ew);
			all = false;
		}
	}
	enum bh_err eo = bh_domain_mem_read(slot, TPRIV, (void *)(uintptr_t)c->ro, 8);
	verdict("control_state.bad_range", all && eo == BH_ERR_INVALID,
	        "outside the spans, empty, too long, across an end, wrapping: refused");
}

/* Returns @good with one field made insane by @i (0 ..), or false when @i is past the last. */
static bool insane(const struct bh_vcpu_state *good, int i, struct bh_vcpu_state *v,
                   const char **what)
{
	static const char *const names[] = {
		"non-canonical rip", "kernel rip",     "IOPL 3",  "TF",     "IF clear",
		"bad MXCSR",         "kernel fs_base", "gs_base", "wait 3", "reserved"};
	uint32_t mxcsr = 0xffffffffu;

	if (i >= (int)(sizeof(names) / sizeof(names[0])))
		return false;
	*v = *good;
	*what = names[i];
	uint64_t *fields[] = {&v->rip, &v->rip,     &v->rflags,  &v->rflags, &v->rflags,
	                      NULL,    &v->fs_base, &v->gs_base, NULL,       NULL};
	const uint64_t values[] = {NONCANONICAL, KERNEL_ADDR, 0x3202, 0x302, 0x2, 0,
	                           KERNEL_ADDR,  0x1000,      0,      0};
	if (fields[i])
		*fields[i] = values[i];
	if (i == 5)
		memcpy(&v->fxsave[24], &mxcsr, sizeof(mxcsr));
	if (i == 8)
		v->wait = 3;
	if (i == 9)
		v->reserved = 1;
	return true;
}

/* Every insane vCPU state is refused and nothing of it is loaded. */
static void insane_vcpu(const struct ctl *c, const struct bh_vcpu_state *good)
{
	static struct bh_vcpu_state v, after;
	uint32_t slot = c->target->slot;
	const char *what = "";
	bool all = true;

	for (int i = 0; insane(good, i, &v, &what); i++) {
		enum bh_err e = bh_domain_vcpu_set(slot, &v);
		if (e != BH_ERR_INVALID) {
			say("vcpu_set with %s: %d\n", what, e);
			all = false;
		}
	}
	enum bh_err eg = bh_domain_vcpu_get(slot, &after);
	verdict("control_state.vcpu_insane",
	        all && eg == BH_OK && memcmp(&after, good, sizeof(after)) == 0,
	        "each refused, nothing loaded (get %d)", eg);
}

/* ---- statistics ---- */

static void stats_move(const struct ctl *c)
{
	struct bh_domain_stats a, b;
	uint32_t slot = c->target->slot;
	enum bh_err ea = bh_domain_stats(slot, &a);

	pause_ms(150);
	enum bh_err eb = bh_domain_stats(slot, &b);
	verdict("control_state.stats_move",
	        ea == BH_OK && eb == BH_OK && b.cycles > a.cycles &&
	                b.signals_sent > a.signals_sent && b.ring_sent > a.ring_sent &&
	                BH_DSTATE_STATE(b.state) == BH_DSTATE_RUNNING && b.halt == BH_HALT_LIVE &&
	                !b.waiting,
	        "cycles %llu -> %llu, signals %llu -> %llu, ring messages %llu -> %llu",
	        (unsigned long long)a.cycles, (unsigned long long)b.cycles,
	        (unsigned long long)a.signals_sent, (unsigned long long)b.signals_sent,
	        (unsigned long long)a.ring_sent, (unsigned long long)b.ring_sent);
}

/* Its own statistics, without a capability (slot BH_NO_SLOT): the running slice is counted. */
static void stats_self(void)
{
	struct bh_domain_stats a, b;
	enum bh_err ea = bh_domain_stats(BH_NO_SLOT, &a);
	volatile uint64_t spin = 0;

	for (uint32_t i = 0; i < 100000u; i++)
		spin += i;
	enum bh_err eb = bh_domain_stats(BH_NO_SLOT, &b);
	verdict("control_state.stats_self",
	        ea == BH_OK && eb == BH_OK && b.cycles > a.cycles + 100000u &&
	                BH_DSTATE_STATE(b.state) == BH_DSTATE_RUNNING && !b.waiting,
	        "own cycles %llu -> %llu over a loop of 100000 turns", (unsigned long long)a.cycles,
	        (unsigned long long)b.cycles);
}

/* ---- save and restore ---- */

/* Reads (or with @write, writes) every span of @slot from/to @s->bytes in CHUNK pieces. */
static enum bh_err copy_spans(uint32_t slot, struct saved *s, bool write)
{
	uint64_t at = 0;

	for (uint32_t i = 0; i < s->n; i++)
		for (uint64_t off = 0; off < s->spans[i].size; off += CHUNK) {
			uint64_t len = s->spans[i].size - off < CHUNK ? s->spans[i].size - off :
			                                                CHUNK;
			uint64_t v = s->spans[i].vaddr + off;
			enum bh_err e = write ? bh_domain_mem_write(slot, v, s->bytes + at, len) :
			                        bh_domain_mem_read(slot, v, s->bytes + at, len);
			if (e != BH_OK)
				return e;
			at += len;
		}
	return BH_OK;
}

/* The checksum of every span of @slot as it is now. */
static uint64_t checksum_now(uint32_t slot, const struct saved *s, enum bh_err *err)
{
	uint64_t h = 0xcbf29ce484222325ull;

	*err = BH_OK;
	for (uint32_t i = 0; i < s->n && *err == BH_OK; i++)
		for (uint64_t off = 0; off < s->spans[i].size && *err == BH_OK; off += CHUNK) {
			uint64_t len = s->spans[i].size - off < CHUNK ? s->spans[i].size - off :
			                                                CHUNK;
			*err = bh_domain_mem_read(slot, s->spans[i].vaddr + off, chunk, len);
			h = fold(h, chunk, len);
		}
	return h;
}

/* Stops @slot and takes its layout, memory and vCPU state into @s. */
static enum bh_err save(uint32_t slot, struct saved *s)
{
	enum bh_err e = bh_domain_stop(slot);

	if (e == BH_OK)
		e = bh_domain_layout(slot, s->spans, MAX_SPANS, &s->n);
	if (e != BH_OK || !s->n || s->n > MAX_SPANS)
		return e != BH_OK ? e : BH_ERR_INVALID;
	s->total = 0;
	for (uint32_t i = 0; i < s->n; i++)
		s->total += s->spans[i].size;
	s->bytes = malloc(s->total);
	if (!s->bytes)
		return BH_ERR_INVALID;
	e = copy_spans(slot, s, false);
	s->sum = fold(0xcbf29ce484222325ull, s->bytes, s->total);
	return e == BH_OK ? bh_domain_vcpu_get(slot, &s->vcpu) : e;
}

/* A fresh instance of @slot, held; the state of @s written into it; *@sum its checksum then. */
static enum bh_err restore(uint32_t slot, struct saved *s, uint64_t *sum)
{
	enum bh_err e = bh_domain_restart(slot, BH_RESTART_HELD);
	uint64_t w = dstate(slot);

	if (e == BH_OK && BH_DSTATE_STATE(w) != BH_DSTATE_STOPPED)
		e = BH_ERR_STATE;
	if (e == BH_OK && CS_SKIP != 1)
		e = copy_spans(slot, s, true);
	if (e == BH_OK && CS_SKIP != 2)
		e = bh_domain_vcpu_set(slot, &s->vcpu);
	if (e == BH_OK)
		*sum = checksum_now(slot, s, &e);
	return e;
}

/*
 * The counter runs a while, is saved, checked against the refusals a stopped target gets,
 * restored into a fresh held instance and resumed: it counts on from where it stopped.
 */
static void save_restore_target(const struct ctl *c)
{
	static struct saved s;
	uint32_t slot = c->target->slot;
	uint64_t sum = 0;

	pause_ms(200); /* it counts for a while first: far more than after the restore */
	enum bh_err e = save(slot, &s);
	uint64_t stopped_at = *c->count;
	verdict("control_state.save", e == BH_OK && s.vcpu.wait == BH_VCPU_RUNNING,
	        "%d: %u spans, %llu bytes, stopped at %llu", e, s.n, (unsigned long long)s.total,
	        (unsigned long long)stopped_at);
	if (e != BH_OK)
		return;
	bad_ranges(c, &s);
	insane_vcpu(c, &s.vcpu);
	e = restore(slot, &s, &sum);
	verdict("control_state.restore_memory", e == BH_OK && sum == s.sum,
	        "%d: checksum 0x%llx, saved 0x%llx", e, (unsigned long long)sum,
	        (unsigned long long)s.sum);
	e = bh_domain_resume(slot);
	pause_ms(20);
	uint64_t now = *c->count;
	verdict("control_state.restore_continues", e == BH_OK && now > stopped_at,
	        "resume %d: stopped at %llu, now %llu", e, (unsigned long long)stopped_at,
	        (unsigned long long)now);
	free(s.bytes);
}

/*
 * The sleeper waits on a bit when it is saved: it exports BH_VCPU_WAIT, waits again after the
 * restore (without starting over: no new "ready" signal) and wakes on the bit.
 */
static void save_restore_sleeper(const struct ctl *c)
{
	static struct saved s;
	struct bh_domain_stats st;
	uint32_t slot = c->sleeper->slot;
	uint64_t sum = 0;

	(void)bh_wait_until(c->wake.bit, bh_deadline_ms(1000)); /* it said it is ready */
	enum bh_err e = save(slot, &s);
	verdict("control_state.save_waiting", e == BH_OK && s.vcpu.wait == BH_VCPU_WAIT,
	        "%d: wait %u", e, s.vcpu.wait);
	if (e != BH_OK)
		return;
	e = restore(slot, &s, &sum);
	if (e == BH_OK)
		e = bh_domain_resume(slot);
	pause_ms(20);
	uint64_t ready = bh_poll() & c->wake.bit;
	enum bh_err es = bh_domain_stats(slot, &st);
	verdict("control_state.restore_waiting",
	        e == BH_OK && es == BH_OK && st.waiting && !ready && sum == s.sum,
	        "%d %d: waiting %u, started over %s", e, es, st.waiting, ready ? "yes" : "no");
	uint64_t before = st.signals_recv;
	(void)bh_signal(c->wake.slot);
	pause_ms(5);
	es = bh_domain_stats(slot, &st);
	verdict("control_state.stats_received", es == BH_OK && st.signals_recv > before,
	        "signals received %llu -> %llu", (unsigned long long)before,
	        (unsigned long long)st.signals_recv);
	free(s.bytes);
}

/* Destroy: the target stops for good with its memory wiped; only a restart runs it again. */
static void destroy_restart(const struct ctl *c)
{
	struct bh_domain_stats st;
	uint32_t slot = c->target->slot, n = 0;
	static struct bh_mem_span spans[MAX_SPANS];
	enum bh_err e = bh_domain_destroy(slot);
	enum bh_err es = bh_domain_stats(slot, &st);

	verdict("control_state.destroy",
	        e == BH_OK && es == BH_OK && BH_DSTATE_STATE(st.state) == BH_DSTATE_DESTROYED &&
	                st.halt == BH_HALT_DESTROYED,
	        "%d: state %u, halt %u", e, BH_DSTATE_STATE(st.state), st.halt);
	uint64_t wiped = 0, restarts = st.restarts;
	e = bh_domain_layout(slot, spans, MAX_SPANS, &n);
	for (uint32_t i = 0; e == BH_OK && i < n && i < MAX_SPANS; i++)
		for (uint64_t off = 0; e == BH_OK && off < spans[i].size; off += 4096) {
			e = bh_domain_mem_read(slot, spans[i].vaddr + off, chunk, 4096);
			for (uint32_t k = 0; k < 4096; k++)
				wiped |= chunk[k];
		}
	enum bh_err er = bh_domain_resume(slot), eo = bh_domain_stop(slot);
	verdict("control_state.destroyed_wiped",
	        e == BH_OK && n && !wiped && er == BH_ERR_STATE && eo == BH_ERR_STATE,
	        "%d: %u spans all zero: %s; resume %d, stop %d", e, n, wiped ? "no" : "yes", er,
	        eo);
	e = bh_domain_restart(slot, 0);
	uint64_t before = *c->count;
	pause_ms(50);
	es = bh_domain_stats(slot, &st);
	verdict("control_state.destroy_restart",
	        e == BH_OK && es == BH_OK && BH_DSTATE_STATE(st.state) == BH_DSTATE_RUNNING &&
	                st.restarts == restarts + 1 && *c->count != before,
	        "%d: state %u, restarts %llu", e, BH_DSTATE_STATE(st.state),
	        (unsigned long long)st.restarts);
}

int main(void)
{
	struct ctl c;

	if (!open_all(&c)) {
		verdict("control_state.ctl", false,
		        "a map, a channel or a control entry is missing");
		return 1;
	}
	prerequisites();
	no_right(&c);
	bad_buffers(&c);
	running(&c);
	stats_move(&c);
	stats_self();
	save_restore_target(&c);
	save_restore_sleeper(&c);
	destroy_restart(&c);
	say("control_state: done\n");
	for (;;)
		(void)bh_wait();
}
