/* bhc: the manifest compiler as a library - manifest in, checked boot plan out. */
#include "bhc.h"

#include <stdlib.h>
#include <string.h>

#include <kernel/plan.h>

#include "check.h"
#include "flow.h"
#include "image.h"
#include "planwriter.h"

/* The compiler must never hand the kernel a plan the kernel would refuse. */
static void self_check(struct bhc_result *r)
{
	char why[256];

	if (plan_check(r->plan, r->plan_size, why, sizeof(why)) == PLAN_OK)
		return;
	diag_error(&r->diag, 0,
	           "internal error: the kernel's plan check refuses the compiled "
	           "plan (%s); please report this with the manifest",
	           why);
	free(r->plan);
	r->plan = NULL;
}

bool bhc_compile(const struct bhc_options *o, struct bhc_result *r)
{
	diag_init(&r->diag, o->manifest);
	if (manifest_load(&r->m, o->manifest, o->memory, &r->diag)) {
		check_manifest(&r->m);
		image_check_all(&r->m, o->image_dirs, o->n_image_dirs);
	}
	/* Whole-system checks (ids, start-info capacity, memory) need a sound system. */
	if (r->diag.n == 0) {
		layout_build(&r->m, &r->l, o->flags);
	}
	/* Information-flow policy: over the whole system, stdout rings included. */
	if (r->diag.n == 0)
		flow_check_policy(&r->m, &r->l);
	if (r->diag.n == 0) {
		r->plan = planwriter_serialize(&r->m, &r->l, &r->plan_size);
		self_check(r);
	}
	diag_sort(&r->diag);
	return r->diag.n == 0;
}

void bhc_result_free(struct bhc_result *r)
{
	free(r->plan);
	layout_free(&r->l);
	manifest_free(&r->m);
	diag_free(&r->diag);
	memset(r, 0, sizeof(*r));
}
