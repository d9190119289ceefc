/* Summary: what `bhc check` prints - each domain's resources and who can signal whom. */
#ifndef BHC_SUMMARY_H
#define BHC_SUMMARY_H

#include <stdio.h>

#include "layout.h"
#include "manifest.h"

/**
 * Writes a human summary of the compiled system to @f: per domain its
 * priority, budget and period, the memory it uses, its maps (DMA maps marked),
 * channels, rings, ioports, devices and kernel log; then one line per
 * signalling permission (a device's irq included).
 * Needs: @l built from @m without errors.
 */
void summary_print(FILE *f, const struct manifest *m, const struct layout *l);

#endif
