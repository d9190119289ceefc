/* Domains: the kernel object for one isolated program and its state. */
#ifndef KERNEL_DOMAIN_H
#define KERNEL_DOMAIN_H

#include <stddef.h>
#include <stdint.h>

#include <arch_regs.h>
#include <bulkhead/abi/plan.h>
#include <kernel/boot.h>
#include <kernel/cap.h>
#include <kernel/elf.h>
#include <kernel/types.h>

enum domain_state {
	DOMAIN_RUNNABLE = 0, /* current, or in its run queue (unless throttled) */
	DOMAIN_WAITING = 1,  /* blocked in BH_HC_WAIT until a bit is pending (or a deadline) */
	DOMAIN_STOPPED = 2,  /* not scheduled: struct domain's `halt` says why */
};

/* Why a domain is stopped (docs/control.md); written only in domain.c. */
enum domain_halt {
	DOMAIN_LIVE = 0,      /* not stopped: runnable or waiting */
	DOMAIN_HELD = 1,      /* stopped by a controller: BH_HC_DOMAIN_RESUME runs it on */
	DOMAIN_FAULTED = 2,   /* stopped by a fault: only a restart runs it again */
	DOMAIN_EXITED = 3,    /* called BH_HC_EXIT: only a restart runs it again */
	DOMAIN_REFUSED = 4,   /* never started (its device is absent, ...): never runs */
	DOMAIN_DESTROYED = 5, /* BH_HC_DOMAIN_DESTROY: memory wiped; only a restart runs it */
};

/* What the kernel tells a supervisor about a stop (struct bh_fault_page's fields). */
struct domain_fault {
	uint32_t kind;   /* enum bh_fault_kind */
	uint32_t vector; /* CPU exception vector, or 0 */
	uint64_t rip, addr, error;
};

struct bh_fault_page;

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
	/* Domain control (domain.c, control.c; docs/control.md). */
	uint8_t halt;                     /* enum domain_halt */
	bool held_waiting;                /* held while it waited: resuming waits again */
	uint8_t image;                    /* the image running: 0 its own, k alternative k */
	uint8_t n_images;                 /* 1 + its alternatives */
	uint32_t generation;              /* 0 at boot, +1 per restart */
	uint32_t restarts;                /* restarts so far */
	struct bh_fault_page *fault_page; /* its supervisor's fault page, or NULL */
	struct domain *supervisor;        /* who hears of its faults, or NULL */
	uint64_t fault_bits;              /* the bit set on the supervisor */
	/* Statistics (BH_HC_DOMAIN_STATS); they only grow, a restart keeps them. */
	uint64_t cycles;          /* TSC cycles it ran (sched.c, at every switch) */
	uint32_t ran_since;       /* low 32 bits of the TSC when it last began to run (sched.c) */
	uint64_t overruns;        /* budgets spent inside a period (sched.c) */
	uint64_t faults;          /* faults and exits (domain.c) */
	uint64_t signals_sent;    /* SIGNAL and SIGNAL_WAIT calls (channel.c) */
	uint64_t signals_recv;    /* bits set on it while it could take them (channel.c) */
	uint64_t last_code;       /* exit code of its last exit, or its last fault's vector */
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
 * Builds the address space of every alternative image of the checked plan @h
 * (after domain_build and device_init): the domain's own address space but
 * for the image area, which gets the alternative's segments from its boot
 * module in @bi, checked against the plan's SHA-256.
 * Needs: boot time. Returns: DOMAIN_OK, or why not with a report line in @why.
 */
enum domain_err domain_build_images(const struct bp_header *h, const struct boot_info *bi,
                                    char *why, size_t whylen);

/**
 * Stops @d after a fault @f, reporting @why (NULL: no report): only a restart
 * runs it again. Its supervisor hears of it first, then comes the report
 * line, then its devices are cut off. Needs: interrupts off. Returns: nothing.
 */
void domain_fault(struct domain *d, const struct domain_fault *f, const char *why);

/* Words the report line of @d's fault @f in @buf (@n bytes); see domain_fault_later. */
typedef void (*domain_word_fn)(const struct domain *d, const struct domain_fault *f, char *buf,
                               size_t n);

/**
 * domain_fault for a caller whose report line is slow to word (trap.c decodes
 * the instruction): stops @d, tells its supervisor and cuts its devices off
 * now, and keeps @f for the line, which @word words later: in
 * domain_reports_flush, before any other kernel line and at the latest at the
 * next tick. Needs: interrupts off; @d's registers and memory stay those of
 * the fault until then (a restart flushes first). Returns: nothing.
 */
void domain_fault_later(struct domain *d, const struct domain_fault *f, domain_word_fn word);

/**
 * Prints the report line of every fault domain_fault_later kept, in domain
 * order. Needs: interrupts off; cheap when none is due. Returns: nothing.
 */
void domain_reports_flush(void);

/** Stops @d, which never started, for good (boot). Needs: interrupts off. */
void domain_refuse(struct domain *d);

/**
 * Sets the hooks of every stop: @notify(d, f) right after a fault or exit
 * (main.c passes control_notify: the supervisor gets the record), and
 * @cut(d) after the report line of every stop (device_owner_stopped: the
 * driver's devices are cut off). Boot time.
 */
void domain_on_stop(void (*notify)(struct domain *d, const struct domain_fault *f),
                    void (*cut)(struct domain *d));

/**
 * Ends @d at its own request (BH_HC_EXIT), reporting @code.
 * Needs: interrupts off. Returns: nothing; only a restart runs it again.
 */
void domain_exit(struct domain *d, int64_t code);

/**
 * Stops the live @d for its controller (BH_HC_DOMAIN_STOP): it stops at once,
 * remembering whether it waited. Needs: @d->halt == DOMAIN_LIVE, interrupts off.
 */
void domain_hold(struct domain *d);

/**
 * Runs the held @d on from where it stopped: runnable, or waiting again (its
 * pending bits, or a timed wait's passed deadline, end that wait at once).
 * Needs: @d->halt == DOMAIN_HELD, interrupts off. Returns: nothing.
 */
void domain_resume(struct domain *d);

/**
 * Makes the stopped @d a fresh instance of image @image (0 its own, k its
 * alternative k): segments copied again from the boot module, bss, stack,
 * heap and the regions only @d maps zeroed, start-info page rewritten with
 * generation + 1, registers and FPU reset, its address space that of @image
 * with its TLB entries gone, no pending bits. It stays stopped.
 * Needs: @d->state == DOMAIN_STOPPED, not refused, @image < @d->n_images,
 * interrupts off. Returns: nothing; cannot fail.
 */
void domain_reset(struct domain *d, uint32_t image);

/** Makes the reset @d live and runnable. Needs: domain_reset(@d) done. */
void domain_revive(struct domain *d);

/**
 * Leaves the reset @d held (BH_RESTART_HELD): stopped as if its controller had
 * stopped it before it ran, so RESUME starts it. Needs: domain_reset(@d) done.
 */
void domain_keep_held(struct domain *d);

/**
 * Ends @d for good (BH_HC_DOMAIN_DESTROY): held first if live (devices cut
 * off), then every private span zeroed, its pending bits, registers and FPU
 * state cleared; only a restart runs it again. Needs: @d not refused,
 * interrupts off. Returns: nothing; cannot fail.
 */
void domain_destroy(struct domain *d);

/* One span of a domain's private memory: where it sees it, where it lives. */
struct domain_span {
	uint64_t vaddr, size; /* page aligned */
	paddr_t mem;          /* contiguous physical pages */
	uint32_t flags;       /* BH_SPAN_* */
};
#define DOMAIN_MAX_SPANS (ELF_MAX_SEGMENTS + 2 + BP_MAX_MAPS)

/**
 * Fills @out (DOMAIN_MAX_SPANS entries) with @d's private memory (abi
 * domain.h, struct bh_mem_span): the segments of the image it runs, its
 * stack, its heap and the regions only it maps, in rising address order.
 * Returns: the number of spans.
 */
uint32_t domain_spans(const struct domain *d, struct domain_span *out);

/**
 * Sums the message counters of @d's rings from their headers (shared memory,
 * each read once): what it produced into *@sent, what it consumed into *@recv.
 */
void domain_ring_counts(const struct domain *d, uint64_t *sent, uint64_t *recv);

/**
 * The wait @d was in when it was held: BH_VCPU_RUNNING, _WAIT or _WAIT_UNTIL
 * (with its deadline in *@deadline). Needs: @d not live.
 */
uint32_t domain_wait_of(const struct domain *d, uint64_t *deadline);

/**
 * Makes the held @d wait again on RESUME as @wait (BH_VCPU_*) says, until
 * @deadline for BH_VCPU_WAIT_UNTIL, with @pending bits pending; its saved rax
 * becomes the waiting call's number (the result goes there).
 * Needs: @d not live, @wait valid. Returns: nothing.
 */
void domain_set_wait(struct domain *d, uint32_t wait, uint64_t deadline, uint64_t pending);

#endif
