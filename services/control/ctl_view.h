/* Control domain: what the API shows of a domain: state and reason words, the JSON record D. */
#ifndef CONTROL_CTL_VIEW_H
#define CONTROL_CTL_VIEW_H

#include <stdbool.h>
#include <stdint.h>

#include "ctl_api.h"
#include "ctl_buf.h"

/* The state words of the API, in this order (the bulkhead_domain_state gauge's too). */
enum ctl_state {
	CTL_STATE_RUNNING = 0, /* runnable */
	CTL_STATE_WAITING,     /* blocked in BH_HC_WAIT or _WAIT_UNTIL */
	CTL_STATE_PAUSED,      /* held by a controller (BH_DSTATE_STOPPED) */
	CTL_STATE_STOPPED,     /* exited, destroyed or never started */
	CTL_STATE_FAULTED,     /* a fault stopped it */
	CTL_STATE_RESTARTING,  /* a restore is under way */
	CTL_STATE_COUNT,
};

#define CTL_REASON_MAX 96u

/* One domain as the backend gave it. */
struct ctl_view {
	uint32_t index;
	const char *name;
	uint32_t rights;              /* BH_RIGHT_* of the control capability */
	enum bh_err err;              /* of the stats call: if not BH_OK, @stats is all zero */
	struct bh_domain_stats stats; /* stats.state is the BH_DSTATE word */
	enum ctl_state state;
	char reason[CTL_REASON_MAX]; /* "" while it runs or waits */
};

/** The word for @s ("running", ...); @s < CTL_STATE_COUNT. */
const char *ctl_view_state_name(enum ctl_state s);

/**
 * The state of a domain whose BH_HC_DOMAIN_STATS gave @st, with @underway the operation
 * main.c has under way on it (CTL_OP_NONE if none). Returns: it.
 */
enum ctl_state ctl_view_state(const struct bh_domain_stats *st, enum ctl_op underway);

/**
 * Reads domain @i (< count) of @be into @v: name, rights, stats, state and reason.
 * Returns: nothing (a failed stats call shows in @v->err and @v->reason).
 */
void ctl_view_get(const struct ctl_backend *be, uint32_t i, struct ctl_view *v);

/**
 * Writes @v as the API's domain object D, with its "stats" object if @with_stats.
 * Returns: nothing.
 */
void ctl_view_json(struct ctl_buf *b, const struct ctl_view *v, bool with_stats);

/** Writes the name of @e ("BH_ERR_STATE"; "error N" if unknown). Returns: nothing. */
void ctl_view_err(struct ctl_buf *b, enum bh_err e);

#endif
