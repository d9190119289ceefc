/* ABI hypercall numbers and calling convention. */
#ifndef BULKHEAD_ABI_HYPERCALL_H
#define BULKHEAD_ABI_HYPERCALL_H

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
	BH_HC_DEVICE_BAR = 8,       /* (slot, bar) rdx = vaddr | log2(size) of memory BAR @bar */
	BH_HC_DEVICE_CFG_READ = 9,  /* (slot, offset, width 1/2/4) rdx = config value */
	BH_HC_DEVICE_CFG_WRITE = 10, /* (slot, offset, width, value) only what a driver needs */
	BH_HC_DEVICE_ACK = 11,      /* (slot) re-enables the interrupt after its bit arrived */
	BH_HC_DMA_ADDR = 12,        /* (slot, vaddr) rdx = the address the device uses for it */
	BH_HC_WAIT_UNTIL = 13,      /* (deadline) BH_HC_WAIT until bits are pending or the TSC
	                             * reaches @deadline; rdx = bits, 0 at the deadline (at once
	                             * if it has passed) */
	BH_HC_COUNT
};

/*
 * The floor: a number the entry stub answers at once with sysret, without
 * saving any state. Only benchmarks use it; it returns rax unchanged.
 */
#define BH_HC_FLOOR 0x7fffffffu

#endif
