/* x86_64 saved user state: the register frame and the FPU/SSE area. */
#ifndef ARCH_REGS_H
#define ARCH_REGS_H

#include <stdint.h>

/*
 * The order is the push order of entry.S, lowest address first: general
 * registers, then vector and error code, then the hardware interrupt frame.
 * TSS.rsp0 points just past this struct inside the current domain, so the
 * CPU and the entry stubs write a domain's state straight into its object.
 */
struct arch_regs {
	uint64_t r15, r14, r13, r12, r11, r10, r9, r8;
	uint64_t rbp, rdi, rsi, rdx, rcx, rbx, rax;
	uint64_t vector, error;
	uint64_t rip, cs, rflags, rsp, ss;
};
_Static_assert(sizeof(struct arch_regs) == 176, "entry.S frame layout");

/* FXSAVE area (x87, MMX, SSE): saved and restored on every domain switch. */
struct arch_fpu {
	uint8_t area[512];
} __attribute__((aligned(16)));

/* The rest of a domain's CPU state that only the switch touches. */
struct arch_domain {
	uint64_t user_cr3; /* its page-table register value in ring 3 (KPTI) */
	uint64_t fs_base;  /* BH_HC_SET_FSBASE: loaded on a switch to it (0 after a restart) */
	uint16_t sel[4];   /* ds, es, fs, gs as it left them */
	uint8_t extra;     /* ARCH_EXTRA_*: what a switch to or from it does beyond the usual */
};

/* A domain's extra switch work, tested once per switch in each direction. */
#define ARCH_EXTRA_IO 0x1u /* it has I/O ports: its bits in the TSS bitmap */
#define ARCH_EXTRA_FS 0x2u /* it has an FS base: loaded when it comes, cleared when it goes */

/* Per-CPU data reached through %gs in entry.S; offsets are fixed there. */
struct percpu {
	uint64_t user_rsp;   /* 0: scratch for the syscall entry */
	uint64_t frame_top;  /* 8: end of the current domain's arch_regs */
	uint64_t kstack_top; /* 16: this CPU's kernel stack */
	uint64_t self;       /* 24: address of this struct */
	uint64_t kernel_cr3; /* 32: KPTI: the kernel's page tables (with PCID bits) */
	uint64_t user_cr3;   /* 40: KPTI: the current domain's page tables (with PCID bits) */
	uint64_t reserved[2];
};
_Static_assert(sizeof(struct percpu) == 64, "entry.S percpu layout");

/* Segment selectors (gdt.c builds the table in this order). */
#define SEL_KCODE 0x08
#define SEL_KDATA 0x10
#define SEL_UCODE32 0x18
#define SEL_UDATA 0x23
#define SEL_UCODE 0x2b
#define SEL_TSS 0x30

/* Vector numbers entry.S stores for the two syscall entries (compat: stopped). */
#define VEC_SYSCALL 0x100
#define VEC_COMPAT 0x101

#endif
