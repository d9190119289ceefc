/* ABI hypercall numbers and calling convention. */
#ifndef BULKHEAD_ABI_HYPERCALL_H
#define BULKHEAD_ABI_HYPERCALL_H

#include <stdint.h>

/*
 * Calling convention: `syscall` with the number in rax and arguments in
 * rdi, rsi, rdx, r10, r8, r9. The kernel returns an enum bh_err in rax and a
 * value in rdx; rcx and r11 are clobbered (syscall uses them), every other
 * register is preserved.
 */
enum bh_hypercall {
	BH_HC_NULL = 0,        /* () -> BH_OK; does nothing (benchmarks) */
	BH_HC_SIGNAL = 1,      /* (slot) sets the peer's bit on a channel */
	BH_HC_WAIT = 2,        /* () blocks until bits are pending; rdx = bits */
	BH_HC_POLL = 3,        /* () rdx = pending bits (maybe 0), never blocks */
	BH_HC_SIGNAL_WAIT = 4, /* (slot) signal, then wait, in one call */
	BH_HC_YIELD = 5,       /* () lets other domains of equal priority run */
	BH_HC_EXIT = 6,        /* (code) stops the calling domain for good */
	BH_HC_CAP_INFO = 7,    /* (slot) rdx = type | rights << 16 */
	/* Devices (slot = a BH_CAP_DEVICE capability); see docs/devices.md. */
	BH_HC_DEVICE_BAR = 8,        /* (slot, bar) rdx = vaddr | log2(size) of memory BAR @bar */
	BH_HC_DEVICE_CFG_READ = 9,   /* (slot, offset, width 1/2/4) rdx = config value */
	BH_HC_DEVICE_CFG_WRITE = 10, /* (slot, offset, width, value) only what a driver needs */
	BH_HC_DEVICE_ACK = 11,       /* (slot) re-enables the interrupt after its bit arrived */
	BH_HC_DMA_ADDR = 12,         /* (slot, vaddr) rdx = the address the device uses for it */
	BH_HC_WAIT_UNTIL = 13,       /* (deadline) BH_HC_WAIT until bits are pending or the TSC
	                             * reaches @deadline; rdx = bits, 0 at the deadline (at once
	                             * if it has passed) */
	/* Domain control (slot = a BH_CAP_DOMAIN capability); see docs/control.md. */
	BH_HC_DOMAIN_STOP = 14,    /* (slot) the target stops at once; its devices are cut off */
	BH_HC_DOMAIN_RESUME = 15,  /* (slot) a target stopped by STOP runs on */
	BH_HC_DOMAIN_RESTART = 16, /* (slot, image) a fresh instance: image 0 = its own,
	                            * 1..n = its alternatives (needs REPLACE) */
	BH_HC_DOMAIN_STATE = 17,   /* (slot) rdx = BH_DSTATE_* word (below) */
	/* Management and state export (issue 11; docs/control.md "State export"). */
	BH_HC_DOMAIN_DESTROY = 18,   /* (slot) stops the target for good and zeroes its private
	                              * memory; only RESTART starts it again */
	BH_HC_DOMAIN_STATS = 19,     /* (slot, buf) writes struct bh_domain_stats at @buf; slot
	                              * BH_NO_SLOT (info.h): the caller's own, no cap needed */
	BH_HC_DOMAIN_LAYOUT = 20,    /* (slot, buf, count) writes up to @count struct bh_mem_span
	                              * (the target's private memory) at @buf; rdx = spans in all */
	BH_HC_DOMAIN_MEM_READ = 21,  /* (slot, vaddr, buf, len) copies @len bytes of a target that
	                              * is not running, from its @vaddr, to the caller's @buf */
	BH_HC_DOMAIN_MEM_WRITE = 22, /* (slot, vaddr, buf, len) the other way */
	BH_HC_DOMAIN_VCPU_GET = 23,  /* (slot, buf) struct bh_vcpu_state of a target not running */
	BH_HC_DOMAIN_VCPU_SET = 24,  /* (slot, buf) loads it, sanitised; anything the kernel would
	                              * not load itself is BH_ERR_INVALID */
	BH_HC_ENTROPY = 25,          /* () rdx = 64 random bits (RDSEED, else RDRAND);
	                              * BH_ERR_UNAVAILABLE when the CPU gives none */
	BH_HC_SET_FSBASE = 26, /* (vaddr) the caller's FS base (TLS, stack canary at fs:0x28) */
	BH_HC_COUNT
};

/*
 * The word BH_HC_DOMAIN_STATE returns in rdx:
 *   bits 0..7    enum bh_domain_state
 *   bits 8..15   image running: 0 = its own, k = alternative k
 *   bits 16..31  restarts so far (saturates at 0xffff)
 *   bits 32..63  generation: 0 at boot, +1 per restart
 */
enum bh_domain_state {
	BH_DSTATE_RUNNING = 1,   /* runnable or waiting */
	BH_DSTATE_STOPPED = 2,   /* stopped by a controller; RESUME runs it on */
	BH_DSTATE_FAULTED = 3,   /* stopped by a fault; only RESTART runs it again */
	BH_DSTATE_EXITED = 4,    /* called BH_HC_EXIT; only RESTART runs it again */
	BH_DSTATE_REFUSED = 5,   /* never started (its device is absent, ...) */
	BH_DSTATE_DESTROYED = 6, /* BH_HC_DOMAIN_DESTROY: memory wiped; only RESTART runs it */
};
#define BH_DSTATE_STATE(w) ((uint32_t)((w)&0xffu))
#define BH_DSTATE_IMAGE(w) ((uint32_t)(((w) >> 8) & 0xffu))
#define BH_DSTATE_RESTARTS(w) ((uint32_t)(((w) >> 16) & 0xffffu))
#define BH_DSTATE_GENERATION(w) ((uint32_t)((w) >> 32))

/*
 * BH_HC_DOMAIN_RESTART's @image may carry this flag: the fresh instance is
 * left stopped (BH_DSTATE_STOPPED) instead of runnable, so that its controller
 * can write memory and vCPU state into it (restore) and then RESUME it.
 */
#define BH_RESTART_HELD 0x100u

/*
 * The floor: a number the entry stub answers at once with sysret, without
 * saving any state. Only benchmarks use it; it returns rax unchanged.
 */
#define BH_HC_FLOOR 0x7fffffffu

#endif
