/* Check: the meaning of a manifest - names, references, overlaps, channel ids, the console. */
#ifndef BHC_CHECK_H
#define BHC_CHECK_H

#include "manifest.h"

/**
 * Resolves every reference in @m (map regions, channel ends, ring ends, the
 * console) and reports what does not hold: duplicate or reserved names,
 * undeclared domains and regions, maps outside the user half, over reserved
 * areas or over each other, shared I/O ports, reused channel ids, channels and
 * rings that loop back to one domain, a second console, too many domains, and
 * <no-flow> rules naming unknown domains, one domain twice or a guard that is an end.
 * Needs: @m loaded by manifest_load. Returns: nothing; errors go to m->diag.
 */
void check_manifest(struct manifest *m);

#endif
