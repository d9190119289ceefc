/* Devices: the rules for <device> elements - count, names, PCI addresses, DMA memory, irq ids. */
#ifndef BHC_DEVICE_H
#define BHC_DEVICE_H

#include "manifest.h"

/**
 * Checks every <device> of @m: at most BP_MAX_DEVICES in the system, names
 * unique among devices and distinct from every domain name (devices are nodes
 * of the flow graph beside the domains), each PCI address given once in the
 * system, a domain with a device has a DMA map (dma="yes"), and an irq id is a
 * channel id no channel end or other device of the domain uses.
 * Needs: @m loaded, its channels checked; @id_lines holds, for domain d and
 * channel id i, at [d * BP_MAX_CHANNEL_BITS + i] the line that took it, or 0.
 * Returns: nothing; errors go to m->diag and the irq ids are added to @id_lines.
 */
void device_check(struct manifest *m, int *id_lines);

/** Returns the number of <device>s of every domain of @m together. */
size_t device_count(const struct manifest *m);

/**
 * Returns the index of the device named @name among all devices of @m in
 * document order (the order of the plan's device table), or -1.
 */
int device_find(const struct manifest *m, const char *name);

#endif
