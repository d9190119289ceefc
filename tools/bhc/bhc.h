/* bhc: the manifest compiler as a library - manifest in, checked boot plan out. */
#ifndef BHC_BHC_H
#define BHC_BHC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "diag.h"
#include "layout.h"
#include "manifest.h"

struct bhc_options {
	const char *manifest;          /* path of the manifest */
	const char *const *image_dirs; /* where NAME.elf programs are looked up, in order */
	size_t n_image_dirs;
	uint64_t memory; /* machine RAM when <system> gives none */
	uint32_t flags;  /* BP_FLAG_* for the plan header */
};

struct bhc_result {
	struct diag diag; /* every error, sorted by line */
	struct manifest m;
	struct layout l;
	void *plan; /* the serialised plan, or NULL if there were errors */
	size_t plan_size;
};

/**
 * Compiles one manifest: reads and validates it, checks its meaning and its
 * images, lays out the plan, checks its information-flow policy (<no-flow>),
 * serialises it and runs the kernel's own plan_check over the result as a last
 * guard. When only the policy fails, @r->m and @r->l are still complete.
 * Needs: @r zeroed. Returns: true if @r->plan holds a plan and there is no error;
 * false with the errors in @r->diag otherwise. Free @r with bhc_result_free either way.
 */
bool bhc_compile(const struct bhc_options *o, struct bhc_result *r);

/** Frees everything bhc_compile put into @r. */
void bhc_result_free(struct bhc_result *r);

#endif
