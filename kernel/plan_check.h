/* Boot-plan checker internals shared by plan.c and plan_control.c (not an interface). */
#ifndef KERNEL_PLAN_CHECK_H
#define KERNEL_PLAN_CHECK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <kernel/plan.h>

#define MSG_LEN 160u

struct checker {
	const struct bp_header *h;
	size_t len; /* bytes loaded */
	char *err;
	size_t errlen;
	struct plan_tables t;              /* filled once the table bounds are checked */
	uint64_t bits[BP_MAX_DOMAINS];     /* channel bits taken per domain (device irq bits too) */
	uint64_t device_caps;              /* bit i: a cap of device i was seen */
	uint32_t controls[BP_MAX_DOMAINS]; /* bit t: domain i holds a domain cap on t */
	uint32_t restarts[BP_MAX_DOMAINS]; /* bit t: domain i may restart or replace t */
	uint8_t alternatives[BP_MAX_DOMAINS]; /* alternative images per domain */
};

/**
 * Writes @msg as @c's reason. Needs: nothing.
 * Returns: @e, the class of the problem.
 */
enum plan_err plan_fail(struct checker *c, enum plan_err e, const char *msg);

/**
 * As plan_fail(), the reason prefixed with domain @d.
 * Needs: domain @d in range, its name found terminated. Returns: @e.
 */
enum plan_err plan_fail_domain(struct checker *c, enum plan_err e, uint32_t d, const char *msg);

/** Returns: whether @name is non-empty and NUL-terminated within BP_NAME_LEN. */
bool plan_name_ok(const char *name);

/** Needs: plan_name_ok(@name). Returns: whether every byte is printable ASCII, no space. */
bool plan_name_printable(const char *name);

/** Needs: both names NUL-terminated within BP_NAME_LEN. Returns: whether they are equal. */
bool plan_same_name(const char *a, const char *b);

/**
 * The alternative images (struct bp_image): names, owner, numbering 1, 2, ...
 * consecutive per domain, at most BP_MAX_ALTERNATIVES, never the domain's own
 * image or one image twice. Fills @c->alternatives.
 * Needs: domains checked. Returns: PLAN_OK or PLAN_ERR_IMAGE.
 */
enum plan_err plan_control_images(struct checker *c);

/**
 * Checks a BH_CAP_DOMAIN capability @cap of domain @d: rights within
 * BH_DOMAIN_RIGHTS_ALL, a target that exists and is not @d, at most one cap
 * of @d per target, REPLACE only on a target with alternatives. Records it
 * for plan_control_faults and plan_control_cycles.
 * Needs: images checked. Returns: NULL, or why the cap is refused.
 */
const char *plan_control_cap_problem(struct checker *c, uint32_t d, const struct bp_cap *cap);

/**
 * No cycle of restart (or replace) rights: no domain may, through any chain
 * of holders, restart itself. Needs: every cap checked.
 * Returns: PLAN_OK or PLAN_ERR_CAP.
 */
enum plan_err plan_control_cycles(struct checker *c);

/**
 * The fault records (struct bp_fault) and the BP_REGION_FAULT regions: one
 * record per target, a supervisor holding FAULTS on it, a one-page fault
 * region mapped read-only by that supervisor alone, a free channel bit; and
 * every FAULTS right has its record. Needs: caps, maps, channels and devices
 * checked. Returns: PLAN_OK or PLAN_ERR_FAULT.
 */
enum plan_err plan_control_faults(struct checker *c);

#endif
