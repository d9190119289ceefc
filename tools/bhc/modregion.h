/* Module regions: <region module="NAME"> filled at boot from a boot module of that name. */
#ifndef BHC_MODREGION_H
#define BHC_MODREGION_H

#include "layout.h"
#include "manifest.h"

/**
 * Checks every <region module> of @m: the module's name is a safe name and the
 * region's own (the kernel finds the boot module by the region's name), not the
 * name of an image or of the plan, no code-sharing, and every map of the region
 * is read-only (perms="r", no dma).
 * Needs: @m loaded, maps resolved (region_idx). Returns: nothing; errors go to m->diag.
 */
void modregion_check(struct manifest *m);

/**
 * Formats the list of data modules the system needs: one line per module
 * region, "NAME\tSIZE\n" (SIZE: the region's bytes, the largest module that fits).
 * Returns: a malloc'd string (caller frees), "" if there is none.
 */
char *modregion_list(const struct layout *l);

#endif
