/* A fake backend for the control domain's API logic: domains in memory, kernel-like rules. */
#ifndef TESTS_CTL_FAKE_H
#define TESTS_CTL_FAKE_H

#include <stdbool.h>
#include <stdint.h>

#include <ctl_api.h>

#define FAKE_DOMAINS 40u
#define FAKE_LINES 128u

struct fake_domain {
	char name[40];
	uint32_t rights;              /* BH_RIGHT_* the "manifest" gives */
	struct bh_domain_stats stats; /* stats.state is the BH_DSTATE word */
	uint32_t alternatives;        /* images 1..this exist */
	bool saved;                   /* a save happened: restore works */
	enum bh_err force;            /* not BH_OK: every op answers this */
	enum bh_err stats_err;        /* not BH_OK: stats answers this */
	enum ctl_op underway;         /* CTL_OP_NONE, or an operation under way */
	bool has_rip;
	uint64_t rip;
	const char *lines[FAKE_LINES]; /* what it printed, oldest first */
	uint32_t line_len[FAKE_LINES]; /* 0: strlen */
	uint32_t nlines;
};

struct fake {
	char system[40];
	uint32_t count;
	struct fake_domain d[FAKE_DOMAINS];
	enum bh_err console_err;
	uint32_t ops; /* operations performed (op calls that returned BH_OK) */
	enum ctl_op last_op;
	uint32_t last_dom, last_arg;
	uint64_t self_cycles; /* the control domain's own cycles (0: the backend cannot tell) */
	struct ctl_backend be;
};

/*
 * Fills @f with the standard system "demo": counter (running, every right, 2 alternatives,
 * 30 console lines), worker (waiting; stop, resume, restart), crashy (page fault at rip
 * 0x401234), done (exited, code 1), gone (destroyed), absent (never started), and @f->be.
 */
void ctl_fake_init(struct fake *f);

/** The state word of @state, @image, @restarts, @generation. */
uint64_t ctl_fake_word(uint32_t state, uint32_t image, uint32_t restarts, uint32_t generation);

/** Sets domain @d's state (BH_DSTATE_*), keeping its image, restarts and generation. */
void ctl_fake_set_state(struct fake_domain *d, uint32_t state);

/** Adds a domain named @name with @rights, running. Returns: it. */
struct fake_domain *ctl_fake_add(struct fake *f, const char *name, uint32_t rights);

#endif
