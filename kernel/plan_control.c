/* Boot-plan checker, domain control: alternative images, domain caps, fault records. */
#include <stdio.h>
#include <string.h>

#include <bulkhead/abi/caps.h>
#include <bulkhead/abi/layout.h>

#include "plan_check.h"

/* ---- alternative images ---- */

/* Image @i against the records before it: numbering and duplicates. Needs: its domain valid. */
static const char *image_order_problem(const struct checker *c, uint32_t i)
{
	const struct bp_image *img = &c->t.images[i];
	const struct bp_image *prev = i ? &c->t.images[i - 1] : NULL;

	if (img->index != (prev && prev->domain == img->domain ? prev->index + 1 : 1))
		return "is not numbered 1, 2, ... right after its domain's previous alternative";
	/* A record that does not continue its predecessor's domain starts that domain's run. */
	for (uint32_t j = 0; j < i && !(prev && prev->domain == img->domain); j++)
		if (c->t.images[j].domain == img->domain)
			return "follows another domain's alternatives (a domain's records are consecutive)";
	for (uint32_t j = 0; j < i; j++)
		if (c->t.images[j].domain == img->domain &&
		    plan_same_name(c->t.images[j].image, img->image))
			return "names an image its domain already has as an alternative";
	return NULL;
}

static const char *image_problem(const struct checker *c, uint32_t i)
{
	const struct bp_image *img = &c->t.images[i];

	if (!plan_name_ok(img->image))
		return "image is empty or not NUL-terminated within 32 bytes";
	if (!plan_name_printable(img->image))
		return "image has a byte that is not printable ASCII (0x21-0x7e)";
	if (img->domain >= c->h->domains.count)
		return "names a domain that does not exist";
	if (img->index < 1 || img->index > BP_MAX_ALTERNATIVES)
		return "index is not 1 .. BP_MAX_ALTERNATIVES";
	if (plan_same_name(c->t.domains[img->domain].image, img->image))
		return "is its domain's own image";
	return image_order_problem(c, i);
}

enum plan_err plan_control_images(struct checker *c)
{
	char m[MSG_LEN];

	for (uint32_t i = 0; i < c->h->images.count; i++) {
		const char *bad = image_problem(c, i);
		if (bad) {
			snprintf(m, sizeof(m), "image %u: %s", i, bad);
			return plan_fail(c, PLAN_ERR_IMAGE, m);
		}
		c->alternatives[c->t.images[i].domain]++;
	}
	return PLAN_OK;
}

/* ---- domain capabilities ---- */

const char *plan_control_cap_problem(struct checker *c, uint32_t d, const struct bp_cap *cap)
{
	if (cap->rights & ~BH_DOMAIN_RIGHTS_ALL)
		return "rights not valid for a domain";
	if (cap->object >= c->h->domains.count)
		return "names a domain that does not exist";
	if (cap->object == d)
		return "controls its own domain";
	if (cap->end)
		return "end must be zero";
	if (c->controls[d] & (1u << cap->object))
		return "names a domain another cap of this domain already controls";
	if ((cap->rights & BH_RIGHT_REPLACE) && !c->alternatives[cap->object])
		return "has the replace right on a domain without alternative images";
	c->controls[d] |= 1u << cap->object;
	if (cap->rights & (BH_RIGHT_RESTART | BH_RIGHT_REPLACE))
		c->restarts[d] |= 1u << cap->object;
	return NULL;
}

/* The domains @d can reach through restart rights, in any number of steps. */
static uint32_t restart_reach(const struct checker *c, uint32_t d)
{
	uint32_t reach = c->restarts[d];

	for (uint32_t step = 0; step < BP_MAX_DOMAINS; step++) {
		uint32_t next = reach;
		for (uint32_t t = 0; t < c->h->domains.count; t++)
			if (reach & (1u << t))
				next |= c->restarts[t];
		if (next == reach)
			break;
		reach = next;
	}
	return reach;
}

enum plan_err plan_control_cycles(struct checker *c)
{
	for (uint32_t d = 0; d < c->h->domains.count; d++)
		if (restart_reach(c, d) & (1u << d))
			return plan_fail_domain(
				c, PLAN_ERR_CAP, d,
				"can restart itself through a cycle of restart rights");
	return PLAN_OK;
}

/* ---- fault records ---- */

/* The rights of @d's domain cap on @target, or 0 if it has none. */
static uint32_t control_rights(const struct checker *c, uint32_t d, uint32_t target)
{
	const struct bp_domain *dom = &c->t.domains[d];

	for (uint32_t k = 0; k < dom->n_caps; k++) {
		const struct bp_cap *cap = &c->t.caps[dom->first_cap + k];
		if (cap->type == BH_CAP_DOMAIN && cap->object == target)
			return cap->rights;
	}
	return 0;
}

/* Is region @r mapped by @d alone, read-only, exactly once? */
static bool mapped_by_only(const struct checker *c, uint32_t r, uint32_t d)
{
	uint32_t own = 0;

	for (uint32_t e = 0; e < c->h->domains.count; e++) {
		const struct bp_domain *dom = &c->t.domains[e];
		for (uint32_t k = 0; k < dom->n_maps; k++) {
			const struct bp_map *mp = &c->t.maps[dom->first_map + k];
			if (mp->region != r)
				continue;
			if (e != d || mp->rights != BH_RIGHT_READ || (mp->flags & BP_MAP_DMA))
				return false;
			own++;
		}
	}
	return own == 1;
}

/* Is region @r named by a fault record before record @i? */
static bool region_taken(const struct checker *c, uint32_t r, uint32_t i)
{
	for (uint32_t j = 0; j < i; j++)
		if (c->t.faults[j].region == r)
			return true;
	return false;
}

/* Fault record @i's fields. Needs: caps, maps, channels and devices checked. */
static const char *fault_problem(const struct checker *c, uint32_t i)
{
	const struct bp_fault *f = &c->t.faults[i];

	if (f->target >= c->h->domains.count || f->supervisor >= c->h->domains.count)
		return "names a domain that does not exist";
	if (f->target == f->supervisor)
		return "has the target as its own supervisor";
	for (uint32_t j = 0; j < i; j++)
		if (c->t.faults[j].target == f->target)
			return "names a target that another fault record names";
	if (!(control_rights(c, f->supervisor, f->target) & BH_RIGHT_FAULTS))
		return "supervisor holds no domain cap with the faults right on the target";
	if (f->region >= c->h->regions.count ||
	    !(c->t.regions[f->region].flags & BP_REGION_FAULT) || region_taken(c, f->region, i))
		return "region is not a fault region of its own (BP_REGION_FAULT, one record each)";
	if (!mapped_by_only(c, f->region, f->supervisor))
		return "region is not mapped read-only by the supervisor alone, once";
	if (f->bit >= BP_MAX_CHANNEL_BITS)
		return "bit is not below 64";
	if (c->bits[f->supervisor] & (1ull << f->bit))
		return "bit is already taken in the supervisor";
	return NULL;
}

/* Every FAULTS right has its record, and every fault region its record. */
static enum plan_err check_fault_coverage(struct checker *c)
{
	char m[MSG_LEN];

	for (uint32_t d = 0; d < c->h->domains.count; d++) {
		for (uint32_t t = 0; t < c->h->domains.count; t++) {
			bool found = false;
			for (uint32_t i = 0; i < c->h->faults.count && !found; i++)
				found = c->t.faults[i].supervisor == d &&
				        c->t.faults[i].target == t;
			if (!(control_rights(c, d, t) & BH_RIGHT_FAULTS) || found)
				continue;
			snprintf(m, sizeof(m),
			         "holds the faults right on domain %u without its fault record", t);
			return plan_fail_domain(c, PLAN_ERR_FAULT, d, m);
		}
	}
	for (uint32_t r = 0; r < c->h->regions.count; r++) {
		if (!(c->t.regions[r].flags & BP_REGION_FAULT) ||
		    region_taken(c, r, c->h->faults.count))
			continue;
		snprintf(m, sizeof(m), "region %u: a fault region that no fault record names", r);
		return plan_fail(c, PLAN_ERR_FAULT, m);
	}
	return PLAN_OK;
}

enum plan_err plan_control_faults(struct checker *c)
{
	char m[MSG_LEN];

	for (uint32_t i = 0; i < c->h->faults.count; i++) {
		const char *bad = fault_problem(c, i);
		if (bad) {
			snprintf(m, sizeof(m), "fault %u: %s", i, bad);
			return plan_fail(c, PLAN_ERR_FAULT, m);
		}
		c->bits[c->t.faults[i].supervisor] |= 1ull << c->t.faults[i].bit;
	}
	return check_fault_coverage(c);
}
