/* Check: the meaning of a manifest - names, references, overlaps, channel ids, the console. */
#ifndef BHC_CHECK_H
#define BHC_CHECK_H

#include "manifest.h"

/**
 * Resolves every reference in @m (map regions, channel ends, ring ends, the
 * console) and reports what does not hold: duplicate or reserved names (a
 * domain called bulkhead or kernel), undeclared domains and regions, maps past
 * BH_USER_MAP_END, over reserved areas or over each other, a region executable
 * in one domain and writable in another without code-sharing, shared I/O
 * ports, ports of the kernel's own devices, machine ports without
 * machine="yes", reused channel ids, channels and
 * rings that loop back to one domain, a second console, too many domains,
 * DMA maps that execute or end above BH_DMA_LIMIT, the device rules of
 * device_check, and <no-flow> rules naming unknown domains, one domain twice
 * or a guard that is an end.
 * Needs: @m loaded by manifest_load. Returns: nothing; errors go to m->diag.
 */
void check_manifest(struct manifest *m);

#endif
