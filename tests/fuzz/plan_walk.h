/* Plan walk: reads an accepted boot plan the way the kernel builds a system from it. */
#ifndef FUZZ_PLAN_WALK_H
#define FUZZ_PLAN_WALK_H

#include <stddef.h>

/**
 * Follows every index of the plan at @buf (@len bytes) as kernel/main.c and
 * kernel/domain.c do when they build the system: each domain's maps and their
 * regions, its caps and the channel ends they name, its ioports, its start-info
 * page, the kernel log. Under AddressSanitizer any read outside @buf aborts;
 * an index the kernel would use to reach into one of its static tables
 * (domains, regions, capability slots, channel bits) that is out of range,
 * or a name the kernel prints that is unterminated or holds a byte outside
 * printable ASCII, aborts with a message on stderr; so does a plan that breaks
 * a rule that keeps domains apart (a period or budget out of bounds, a reserved
 * domain name, a map reaching into the top page, an executable map of a region
 * another map may write without the code-sharing flag, a port of the kernel's
 * own devices, a machine port without the machine flag, an executable DMA map
 * or one above BH_DMA_LIMIT, a device cap of another domain's device, a device
 * outside the device area, without DMA memory or sharing an irq bit).
 * Needs: plan_check() accepted @buf; @buf holds exactly @len bytes.
 * Returns: a number that depends on every byte read (so nothing is optimised away).
 */
unsigned long plan_walk(const void *buf, size_t len);

#endif
