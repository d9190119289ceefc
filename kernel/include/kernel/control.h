/* Domain control: stop, resume, restart and replace a domain; faults reach its supervisor. */
#ifndef KERNEL_CONTROL_H
#define KERNEL_CONTROL_H

#include <stdint.h>

#include <bulkhead/abi/plan.h>
#include <kernel/domain.h>
#include <kernel/types.h>

/**
 * Routes each target's faults as the checked plan @h says: its supervisor,
 * the fault page (region at @region_pa) and the bit.
 * Needs: boot time, domains built. Returns: nothing.
 */
void control_init(const struct bp_header *h, const paddr_t *region_pa);

/**
 * The hook of every stop (domain_on_stop): cuts @d's devices off and, for a
 * fault or exit @f of a supervised @d, writes the record into the
 * supervisor's fault page and sets its bit. Needs: interrupts off.
 */
void control_halted(struct domain *d, const struct domain_fault *f);

/* Perform functions of the domain-control hypercalls; hypercall.c checked cap and state. */

/** Stops the live @d at once (BH_HC_DOMAIN_STOP). Needs: @d live. */
void control_stop(struct domain *d);

/** Runs the held @d on (BH_HC_DOMAIN_RESUME). Needs: @d held by a controller. */
void control_resume(struct domain *d);

/**
 * A fresh instance of @d from image @image (BH_HC_DOMAIN_RESTART): stopped
 * first if live, its devices granted again (bus mastering off, interrupt
 * masked until it turns bus mastering on), then runnable.
 * Needs: @d not refused, @image < @d->n_images. Returns: nothing; cannot fail.
 */
void control_restart(struct domain *d, uint32_t image);

/** Returns: @d's BH_HC_DOMAIN_STATE word (abi/hypercall.h). */
uint64_t control_state(const struct domain *d);

#endif
