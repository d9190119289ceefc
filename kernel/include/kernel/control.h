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
 * The notify hook of a fault or exit (domain_on_stop): for a supervised @d,
 * writes the record @f into the supervisor's fault page (seq last) and sets
 * its bit. Needs: interrupts off. Returns: nothing.
 */
void control_notify(struct domain *d, const struct domain_fault *f);

/* Perform functions of the domain-control hypercalls; hypercall.c checked cap and state. */

/** Stops the live @d at once (BH_HC_DOMAIN_STOP). Needs: @d live. */
void control_stop(struct domain *d);

/** Runs the held @d on (BH_HC_DOMAIN_RESUME). Needs: @d held by a controller. */
void control_resume(struct domain *d);

/**
 * A fresh instance of @d from image @image (BH_HC_DOMAIN_RESTART): stopped
 * first if live, its devices granted again (bus mastering off, interrupt
 * masked until it turns bus mastering on), then runnable, or with @held
 * (BH_RESTART_HELD) held until RESUME.
 * Needs: @d not refused, @image < @d->n_images. Returns: nothing; cannot fail.
 */
void control_restart(struct domain *d, uint32_t image, bool held);

/** Ends @d for good (BH_HC_DOMAIN_DESTROY; domain_destroy). Needs: @d not refused. */
void control_destroy(struct domain *d);

/**
 * For decode: is [@v, @v + @n) inside one private span of @t (domain_spans)?
 * Returns: true with the physical address of @v in *@at, else false.
 */
bool control_span_at(const struct domain *t, uint64_t v, uint64_t n, paddr_t *at);

/**
 * Writes @t's struct bh_domain_stats at @buf in @caller's memory.
 * Needs: arch_as_user_ok(caller->as, @buf, its size, true). Returns: nothing.
 */
void control_stats(const struct domain *caller, const struct domain *t, uint64_t buf);

/**
 * Writes the first @max of @t's private spans (struct bh_mem_span) at @buf in
 * @caller's memory. Needs: @max spans' bytes writable there.
 * Returns: the number of spans @t has.
 */
uint32_t control_layout(const struct domain *caller, const struct domain *t, uint64_t buf,
                        uint32_t max);

/**
 * Copies @len bytes of a stopped target at physical @at (control_span_at) to
 * @buf in @caller's memory (MEM_READ), or from there (MEM_WRITE).
 * Needs: @buf's bytes checked with arch_as_user_ok. Returns: nothing.
 */
void control_mem_read(const struct domain *caller, paddr_t at, uint64_t buf, uint64_t len);
void control_mem_write(const struct domain *caller, paddr_t at, uint64_t buf, uint64_t len);

/**
 * Writes the stopped @t's struct bh_vcpu_state (its wait and pending bits
 * included) at @buf in @caller's memory. Needs: @buf checked writable.
 */
void control_vcpu_get(const struct domain *caller, const struct domain *t, uint64_t buf);

/** Loads @s (arch_vcpu_ok) into the stopped @t, its wait and pending bits included. */
void control_vcpu_set(struct domain *t, const struct bh_vcpu_state *s);

/** Returns: @d's BH_HC_DOMAIN_STATE word (abi/hypercall.h). */
uint64_t control_state(const struct domain *d);

#endif
