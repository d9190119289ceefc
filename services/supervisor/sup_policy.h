/* Supervisor: the restart policy (backoff, window, give-up, watchdog, scheduled replace). */
#ifndef SUPERVISOR_SUP_POLICY_H
#define SUPERVISOR_SUP_POLICY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <bulkhead/abi/fault.h>
#include <bulkhead/abi/info.h>

/*
 * The pure part of the supervisor (docs/control.md, "Supervisor"): plain memory and
 * microseconds, no hypercalls, built for the domain and for the host tests
 * (tests/host/supervisor). main.c reads the clock, the fault pages and the heartbeat
 * words, asks these functions what to do and does it.
 */

#define SUP_MAX_BACKOFF_US 60000000ull /* a doubled backoff never grows past a minute */
#define SUP_NO_DEADLINE UINT64_MAX

/* One BH_RES_POLICY entry, decoded. */
struct sup_policy {
	uint64_t watchdog_us; /* the heartbeat must change this often (0 = no watchdog) */
	uint64_t window_us;   /* restarts are counted in windows this long */
	uint64_t backoff_us;  /* delay before the first restart of a window */
	uint64_t replace_us;  /* replace with alternative 1 this long after start (0 = never) */
	uint32_t max_restarts;
	bool on_fault, on_hang;
};

/* Where a supervised target stands. */
enum sup_phase {
	SUP_WATCHING = 1, /* running (or about to): faults and the watchdog count */
	SUP_BACKOFF = 2,  /* stopped; restarts when the backoff ends */
	SUP_GIVEN_UP = 3, /* stopped for good */
};

struct sup_target {
	struct sup_policy pol;
	enum sup_phase phase;
	uint64_t start_us;        /* when supervision began (the replace counts from it) */
	uint64_t window_start_us; /* first restart of the current window */
	uint32_t in_window;       /* restarts in the current window */
	uint64_t due_us;          /* SUP_BACKOFF: when the restart is due */
	uint32_t generation;      /* the instance we last saw start */
	uint32_t image;           /* the image a restart uses (1 after the replace) */
	bool replaced;            /* the scheduled replace has happened (or was skipped) */
	uint64_t hb_last;         /* heartbeat word when last read */
	uint64_t hb_seen_us;      /* when it was last seen to change (or the watch re-armed) */
};

/* What to do about a stop (a fault record or a hang). */
enum sup_action {
	SUP_IGNORE = 0,  /* not ours to act on (policy, stale record, already given up) */
	SUP_RESTART = 1, /* restart number @n of @max after @delay_us */
	SUP_GIVE_UP = 2, /* more than @max in the window: leave it stopped */
};

struct sup_decision {
	enum sup_action action;
	uint32_t n, max;
	uint64_t delay_us;
};

/* The scheduled replace, when sup_replace_due() is asked. */
enum sup_replace {
	SUP_REPLACE_NOT_YET = 0,
	SUP_REPLACE_NOW = 1,
	SUP_REPLACE_SKIP = 2, /* due, but the target was given up: never */
};

/**
 * Decodes the BH_RES_POLICY entry @e into *@out.
 * Needs: @e a policy entry from the start-info page (not trusted: checked here).
 * Returns: NULL when it is usable, else why not (hang without watchdog or heartbeat name,
 * a watchdog under 5 heartbeat intervals, no window, nothing to act on).
 */
const char *sup_policy_decode(const struct bh_info_entry *e, struct sup_policy *out);

/**
 * Starts supervising a target running instance @generation at @now_us under @pol.
 * Needs: @t writable, @pol decoded by sup_policy_decode. Returns: nothing.
 */
void sup_target_init(struct sup_target *t, const struct sup_policy *pol, uint64_t now_us,
                     uint32_t generation);

/**
 * The target stopped on a fault record of instance @generation at @now_us.
 * Returns: the decision (SUP_IGNORE for a stale record, a policy without on-fault, a target
 * already backing off or given up); SUP_RESTART and SUP_GIVE_UP change @t's phase.
 */
struct sup_decision sup_fault(struct sup_target *t, uint64_t now_us, uint32_t generation);

/**
 * The watchdog at @now_us: @hb is the heartbeat word just read, @running whether the target's
 * state is RUNNING. Needs: @elapsed_us writable.
 * Returns: true when the target is hung (no change for a watchdog period while running), with
 * the time since the last change in *@elapsed_us; the caller stops it and calls sup_hang().
 */
bool sup_watch(struct sup_target *t, uint64_t now_us, uint64_t hb, bool running,
               uint64_t *elapsed_us);

/**
 * The target was found hung at @now_us (and stopped).
 * Returns: the decision, as sup_fault's (SUP_IGNORE when the policy has no on-hang).
 */
struct sup_decision sup_hang(struct sup_target *t, uint64_t now_us);

/** Returns: whether @t backs off and its restart is due at @now_us. */
bool sup_restart_due(const struct sup_target *t, uint64_t now_us);

/**
 * A restart (or the replace) of @t started instance @generation at @now_us with the image the
 * caller used. Returns: nothing; @t watches again, heartbeat re-armed from @hb.
 */
void sup_restarted(struct sup_target *t, uint64_t now_us, uint32_t generation, uint64_t hb);

/**
 * A restart of @t failed (the kernel refused it). Returns: nothing; @t is given up.
 */
void sup_restart_failed(struct sup_target *t);

/**
 * Whether the scheduled replace of @t is due at @now_us; SUP_REPLACE_NOW and SUP_REPLACE_SKIP
 * mark it done (it happens once). After SUP_REPLACE_NOW the caller restarts the target with
 * alternative 1 and, if the kernel did it, calls sup_replaced(). Returns: the verdict.
 */
enum sup_replace sup_replace_due(struct sup_target *t, uint64_t now_us);

/**
 * The replace started instance @generation of alternative 1 at @now_us. Returns: nothing; as
 * sup_restarted(), and later restarts of @t use alternative 1 (a rolling upgrade stays done).
 */
void sup_replaced(struct sup_target *t, uint64_t now_us, uint32_t generation, uint64_t hb);

/**
 * Returns: the earliest time after which @t needs a look (restart due, watchdog period over,
 * replace due), or SUP_NO_DEADLINE.
 */
uint64_t sup_next_deadline(const struct sup_target *t);

/**
 * Copies the fault record of @page into *@out if its sequence number moved past *@seen
 * (copy, then re-read seq; at most a few tries against a writer). Needs: @page readable.
 * Returns: true with a consistent copy and *@seen updated, false when nothing new (or the
 * page kept changing).
 */
bool sup_fault_read(const volatile struct bh_fault_page *page, uint64_t *seen,
                    struct bh_fault_page *out);

/**
 * Formats what @rec says into @buf (e.g. "page fault rip 0x401234 addr 0x0 gen 0").
 * Needs: @buf of @len bytes. Returns: @buf.
 */
char *sup_fault_text(const struct bh_fault_page *rec, char *buf, size_t len);

#endif
