/* A fake backend for the control domain's API logic: domains in memory, kernel-like rules. */
#include <stdio.h>
#include <string.h>

#include <bulkhead/abi/caps.h>
#include <bulkhead/abi/hypercall.h>

#include "ctl_fake.h"

#define ALL_RIGHTS 0x1ffu

uint64_t ctl_fake_word(uint32_t state, uint32_t image, uint32_t restarts, uint32_t generation)
{
	uint32_t r = restarts > 0xffffu ? 0xffffu : restarts;

	return (uint64_t)state | (uint64_t)image << 8 | (uint64_t)r << 16 |
	       (uint64_t)generation << 32;
}

void ctl_fake_set_state(struct fake_domain *d, uint32_t state)
{
	d->stats.state = (d->stats.state & ~0xffull) | state;
	d->stats.halt = state == BH_DSTATE_RUNNING ? BH_HALT_LIVE :
	                state == BH_DSTATE_STOPPED ? BH_HALT_HELD :
	                state == BH_DSTATE_FAULTED ? BH_HALT_FAULTED :
	                state == BH_DSTATE_EXITED  ? BH_HALT_EXITED :
	                state == BH_DSTATE_REFUSED ? BH_HALT_REFUSED :
	                                             BH_HALT_DESTROYED;
	if (state != BH_DSTATE_RUNNING)
		d->stats.waiting = 0;
}

static struct fake *self(void *ctx)
{
	return ctx;
}

static const char *be_system_name(void *ctx)
{
	return self(ctx)->system;
}

static uint32_t be_count(void *ctx)
{
	return self(ctx)->count;
}

static const char *be_name(void *ctx, uint32_t i)
{
	return self(ctx)->d[i].name;
}

static uint32_t be_rights(void *ctx, uint32_t i)
{
	return self(ctx)->d[i].rights;
}

static enum bh_err be_stats(void *ctx, uint32_t i, struct bh_domain_stats *out)
{
	const struct fake_domain *d = &self(ctx)->d[i];

	if (d->stats_err != BH_OK)
		return d->stats_err;
	*out = d->stats;
	return BH_OK;
}

/* A fresh instance of @d running image @image (held: stopped). */
static void restart(struct fake_domain *d, uint32_t image, bool held)
{
	uint32_t gen = BH_DSTATE_GENERATION(d->stats.state) + 1u;

	d->stats.restarts++;
	d->stats.state = ctl_fake_word(held ? BH_DSTATE_STOPPED : BH_DSTATE_RUNNING, image,
	                               (uint32_t)d->stats.restarts, gen);
	ctl_fake_set_state(d, BH_DSTATE_STATE(d->stats.state));
}

/* The kernel's rules (and the save volume's) for @op on @d. */
static enum bh_err perform(struct fake_domain *d, enum ctl_op op, uint32_t arg)
{
	uint32_t st = BH_DSTATE_STATE(d->stats.state);

	switch (op) {
	case CTL_OP_PAUSE:
		if (st != BH_DSTATE_RUNNING)
			return BH_ERR_STATE;
		ctl_fake_set_state(d, BH_DSTATE_STOPPED);
		return BH_OK;
	case CTL_OP_RESUME:
		if (st != BH_DSTATE_STOPPED)
			return BH_ERR_STATE;
		ctl_fake_set_state(d, BH_DSTATE_RUNNING);
		return BH_OK;
	case CTL_OP_RESTART:
		restart(d, 0, false);
		return BH_OK;
	case CTL_OP_REPLACE:
		if (arg == 0 || arg > d->alternatives)
			return BH_ERR_INVALID;
		restart(d, arg, false);
		return BH_OK;
	case CTL_OP_DESTROY:
		if (st == BH_DSTATE_DESTROYED)
			return BH_ERR_STATE;
		ctl_fake_set_state(d, BH_DSTATE_DESTROYED);
		return BH_OK;
	case CTL_OP_SAVE:
		if (st != BH_DSTATE_RUNNING && st != BH_DSTATE_STOPPED)
			return BH_ERR_STATE;
		ctl_fake_set_state(d, BH_DSTATE_STOPPED);
		d->saved = true;
		return BH_OK;
	case CTL_OP_RESTORE:
		if (!d->saved)
			return BH_ERR_INVALID;
		restart(d, BH_DSTATE_IMAGE(d->stats.state), false);
		return BH_OK;
	default:
		return BH_ERR_BAD_CALL;
	}
}

/* Needs: @op one of the operations (the API never asks for CTL_OP_READ). */
static enum bh_err be_op(void *ctx, uint32_t i, enum ctl_op o, uint32_t arg)
{
	struct fake *f = self(ctx);
	struct fake_domain *d = &f->d[i];

	if (o == CTL_OP_READ || o >= CTL_OP_COUNT)
		return BH_ERR_BAD_CALL;
	if (d->force != BH_OK)
		return d->force;
	enum bh_err e = perform(d, o, arg);
	if (e == BH_OK) {
		f->ops++;
		f->last_op = o;
		f->last_dom = i;
		f->last_arg = arg;
	}
	return e;
}

static enum bh_err be_console(void *ctx, uint32_t i, uint32_t nlines, ctl_line_fn fn, void *arg)
{
	struct fake *f = self(ctx);
	const struct fake_domain *d = &f->d[i];

	if (f->console_err != BH_OK)
		return f->console_err;
	uint32_t first = d->nlines > nlines ? d->nlines - nlines : 0;
	for (uint32_t k = first; k < d->nlines; k++)
		fn(arg, d->lines[k], d->line_len[k] ? d->line_len[k] : strlen(d->lines[k]));
	return BH_OK;
}

static enum ctl_op be_underway(void *ctx, uint32_t i)
{
	return self(ctx)->d[i].underway;
}

static bool be_self_cycles(void *ctx, uint64_t *cycles)
{
	*cycles = self(ctx)->self_cycles;
	return self(ctx)->self_cycles != 0;
}

static bool be_fault_rip(void *ctx, uint32_t i, uint64_t *rip)
{
	const struct fake_domain *d = &self(ctx)->d[i];

	*rip = d->rip;
	return d->has_rip;
}

struct fake_domain *ctl_fake_add(struct fake *f, const char *n, uint32_t r)
{
	struct fake_domain *d = &f->d[f->count++];

	memset(d, 0, sizeof(*d));
	snprintf(d->name, sizeof(d->name), "%s", n);
	d->rights = r;
	d->underway = CTL_OP_NONE;
	d->stats.state = ctl_fake_word(BH_DSTATE_RUNNING, 0, 0, 0);
	return d;
}

/* counter's 30 console lines: "tick 1" .. "tick 30". */
static void counter_lines(struct fake_domain *d)
{
	static char text[30][16];

	for (uint32_t k = 0; k < 30; k++) {
		snprintf(text[k], sizeof(text[k]), "tick %u", k + 1u);
		d->lines[d->nlines++] = text[k];
	}
}

void ctl_fake_init(struct fake *f)
{
	memset(f, 0, sizeof(*f));
	snprintf(f->system, sizeof(f->system), "demo");
	struct fake_domain *d = ctl_fake_add(f, "counter", ALL_RIGHTS);
	d->alternatives = 2;
	d->stats = (struct bh_domain_stats){.state = ctl_fake_word(BH_DSTATE_RUNNING, 0, 0, 0),
	                                    .cycles = 123456789,
	                                    .overruns = 2,
	                                    .faults = 0,
	                                    .restarts = 0,
	                                    .signals_sent = 11,
	                                    .signals_recv = 12,
	                                    .ring_sent = 13,
	                                    .ring_recv = 14};
	counter_lines(d);
	d = ctl_fake_add(f, "worker", BH_RIGHT_STOP | BH_RIGHT_RESUME | BH_RIGHT_RESTART);
	d->stats.waiting = 1;
	d = ctl_fake_add(f, "crashy", ALL_RIGHTS);
	d->stats.state = ctl_fake_word(BH_DSTATE_FAULTED, 1, 3, 3);
	d->stats.restarts = 3, d->stats.faults = 4, d->stats.last_code = 14;
	d->has_rip = true, d->rip = 0x401234;
	d = ctl_fake_add(f, "done", ALL_RIGHTS);
	ctl_fake_set_state(d, BH_DSTATE_EXITED);
	d->stats.last_code = 1;
	d = ctl_fake_add(f, "gone", ALL_RIGHTS);
	ctl_fake_set_state(d, BH_DSTATE_DESTROYED);
	d = ctl_fake_add(f, "absent", ALL_RIGHTS);
	ctl_fake_set_state(d, BH_DSTATE_REFUSED);
	f->be = (struct ctl_backend){.ctx = f,
	                             .system_name = be_system_name,
	                             .count = be_count,
	                             .name = be_name,
	                             .rights = be_rights,
	                             .stats = be_stats,
	                             .op = be_op,
	                             .console = be_console,
	                             .underway = be_underway,
	                             .fault_rip = be_fault_rip,
	                             .self_cycles = be_self_cycles};
}
