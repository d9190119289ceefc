/* ABI records of domain management: statistics, memory spans and vCPU state (issue 11). */
#ifndef BULKHEAD_ABI_DOMAIN_H
#define BULKHEAD_ABI_DOMAIN_H

#include <stdint.h>

/*
 * BH_HC_DOMAIN_STATS writes one of these into the caller's memory. Counters
 * only grow (a restart does not reset them); `state` is the word
 * BH_HC_DOMAIN_STATE returns. Any holder of a BH_CAP_DOMAIN capability on the
 * target may read them.
 */
struct bh_domain_stats {
	uint64_t state;        /* BH_DSTATE_* word (hypercall.h) */
	uint64_t cycles;       /* TSC cycles it has run, kernel entries included */
	uint64_t overruns;     /* times its budget ran out inside a period */
	uint64_t faults;       /* CPU faults, DMA faults of its devices, exits */
	uint64_t restarts;     /* restarts and replaces (not saturated) */
	uint64_t signals_sent; /* BH_HC_SIGNAL and _SIGNAL_WAIT calls that set a bit */
	uint64_t signals_recv; /* bits set on it by peers, devices and the kernel */
	uint64_t ring_sent;    /* messages it produced on its rings (from the ring headers) */
	uint64_t ring_recv;    /* messages it consumed on its rings */
	uint32_t waiting;      /* 1: blocked in BH_HC_WAIT or _WAIT_UNTIL */
	uint32_t halt;         /* why it is not running: enum bh_domain_halt */
	uint64_t last_code;    /* exit code of the last exit, or the last fault's vector */
	uint64_t reserved[5];  /* 0 */
};
_Static_assert(sizeof(struct bh_domain_stats) == 128, "domain stats ABI");

/* Why a domain is not running (bh_domain_stats.halt). */
enum bh_domain_halt {
	BH_HALT_LIVE = 0,      /* running or waiting */
	BH_HALT_HELD = 1,      /* stopped by a controller (pause) */
	BH_HALT_FAULTED = 2,   /* a CPU or DMA fault stopped it */
	BH_HALT_EXITED = 3,    /* it called BH_HC_EXIT */
	BH_HALT_REFUSED = 4,   /* never started (its device is absent, ...) */
	BH_HALT_DESTROYED = 5, /* BH_HC_DOMAIN_DESTROY */
};

/*
 * One span of a domain's private memory (BH_HC_DOMAIN_LAYOUT): its image
 * segments, bss, stack, heap and the regions only it maps, each page of it
 * exactly once, in rising address order. Shared regions, rings, device
 * windows, the start-info page and kernel-written pages are not private: a
 * save leaves them to their other holders.
 */
struct bh_mem_span {
	uint64_t vaddr; /* page aligned */
	uint64_t size;  /* bytes, a page multiple */
	uint32_t flags; /* BH_SPAN_* */
	uint32_t reserved;
};
_Static_assert(sizeof(struct bh_mem_span) == 24, "memory span ABI");

#define BH_SPAN_WRITABLE 0x1u /* the domain may write it (else: read-only image text) */
#define BH_SPAN_IMAGE 0x2u    /* part of the image area (segments and bss) */

/*
 * A domain's vCPU as BH_HC_DOMAIN_VCPU_GET gives it and _SET takes it. The
 * kernel sanitises every _SET: rip canonical and in the user half, rflags with
 * only the arithmetic flags, DF, TF off, IF on and IOPL 0, fs_base a
 * canonical user address, gs_base 0 (a domain cannot set one), mxcsr within
 * the CPU's MXCSR mask, `wait` one of BH_VCPU_*, reserved and pad 0; anything
 * else is BH_ERR_INVALID and nothing is loaded. The FXSAVE image's reserved
 * bytes are loaded as zero. A waiting vCPU's rax is the waiting call's number.
 * Segment selectors are never exported: they are always the user ones.
 */
struct bh_vcpu_state {
	uint64_t rax, rbx, rcx, rdx, rsi, rdi, rbp, rsp;
	uint64_t r8, r9, r10, r11, r12, r13, r14, r15;
	uint64_t rip, rflags, fs_base, gs_base;
	uint64_t pending;  /* channel bits pending */
	uint64_t deadline; /* BH_VCPU_WAIT_UNTIL: TSC deadline of the wait */
	uint32_t wait;     /* BH_VCPU_* */
	uint32_t reserved; /* 0 */
	uint64_t pad[9];
	uint8_t fxsave[512]; /* FXSAVE64 image of its x87/SSE state */
};
_Static_assert(sizeof(struct bh_vcpu_state) == 768, "vCPU state ABI");

#define BH_VCPU_RUNNING 0u    /* runnable: resumes at rip with every register as given */
#define BH_VCPU_WAIT 1u       /* blocked in BH_HC_WAIT: resumes when a bit is pending */
#define BH_VCPU_WAIT_UNTIL 2u /* blocked in BH_HC_WAIT_UNTIL until `deadline` */

#endif
