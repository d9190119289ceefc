/* Domains: the kernel object for one isolated program and its state. */
#ifndef KERNEL_DOMAIN_H
#define KERNEL_DOMAIN_H

#include <stdint.h>

#include <arch_regs.h>
#include <bulkhead/abi/plan.h>
#include <kernel/boot.h>
#include <kernel/cap.h>
#include <kernel/types.h>

enum domain_state {
	DOMAIN_RUNNABLE = 0, /* current, or in its run queue (unless throttled) */
	DOMAIN_WAITING = 1,  /* blocked in BH_HC_WAIT until a bit is pending (or a deadline) */
	DOMAIN_STOPPED = 2,  /* ended (exit or fault); never runs again */
};

struct domain {
	/* Saved user registers: the entry path writes them here directly, so
	 * this must stay the first member (see arch entry code). */
	struct arch_regs regs;
	struct arch_fpu fpu;
	char name[BP_NAME_LEN];
	uint32_t index;
	uint8_t priority;        /* 0..255: the plan checker guarantees it */
	enum domain_state state; /* written only by sched.c */
	bool throttled;          /* budget exhausted in this period */
	bool started;            /* has run at least once */
	bool ssbd;               /* speculative store bypass disabled while it runs */
	uint64_t pending;        /* channel bits not yet returned by wait */
	struct cap_table caps;
	paddr_t as;              /* address-space root */
	struct arch_domain arch; /* arch: selectors, KPTI page tables */
	const struct bp_ioport *ioports;
	uint32_t n_ioports;
	/* Temporal isolation: budget per period, in cycles; 0 = unlimited. */
	uint64_t budget;
	uint64_t period;
	uint64_t budget_left;
	uint64_t next_release;
	/* Run-queue links. */
	struct domain *rq_next, *rq_prev;
	/* BH_HC_WAIT_UNTIL: the TSC deadline of its last timed wait (sched.c). */
	uint64_t wake_at;
} __attribute__((aligned(4096))); /* its own pages: with KPTI its entry window maps them */

extern struct domain domains[BP_MAX_DOMAINS];
extern uint32_t n_domains;

/* Why a domain could not be built. */
enum domain_err {
	DOMAIN_OK = 0,
	DOMAIN_ERR_NO_IMAGE,   /* the plan names an image that is not a boot module */
	DOMAIN_ERR_IMAGE_HASH, /* the image differs from the one the plan was compiled with */
	DOMAIN_ERR_BAD_ELF,    /* the image is not a loadable ELF (enum elf_err says why) */
	DOMAIN_ERR_OVERLAP,    /* a mapping overlaps another */
	DOMAIN_ERR_BAD_ADDR,   /* a mapping lies outside the user half */
	DOMAIN_ERR_NO_MEMORY,  /* no pages left */
};

/**
 * Builds domain @i from the checked plan @h: address space, image, stack,
 * heap, start info, maps of the regions in @region_pa, capabilities, I/O;
 * its image is the boot module of @bi the plan names, checked against the
 * plan's SHA-256. Needs: boot time, plan checked, regions allocated.
 * Returns: DOMAIN_OK, or why not, with a report line's text in @why.
 */
enum domain_err domain_build(const struct bp_header *h, uint32_t i, const paddr_t *region_pa,
                             const struct boot_info *bi, char *why, size_t whylen);

/**
 * Stops @d for good after a fault or exit, and reports @why (NULL: no report).
 * Needs: interrupts off. Returns: nothing; @d never runs again.
 */
void domain_stop(struct domain *d, const char *why);

/**
 * Sets @hook, which domain_stop calls after stopping a domain (main.c passes
 * device_owner_stopped: the stopped driver's devices are cut off). Boot time.
 */
void domain_on_stop(void (*hook)(struct domain *d));

/**
 * Ends @d at its own request (BH_HC_EXIT), reporting @code.
 * Needs: interrupts off. Returns: nothing; @d never runs again.
 */
void domain_exit(struct domain *d, int64_t code);

#endif
