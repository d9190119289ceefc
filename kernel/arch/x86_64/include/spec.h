/* x86_64 speculation mitigations: what the CPU reports and what the kernel turns on. */
#ifndef ARCH_SPEC_H
#define ARCH_SPEC_H

#include <stdbool.h>
#include <stdint.h>

/* Bits of arch_mitig_flags (entry.S reads MIT_KPTI and MIT_VERW). */
#define MIT_KPTI 0x1u       /* separate kernel page tables; domains see the entry window */
#define MIT_VERW 0x2u       /* VERW clears CPU buffers on every return to ring 3 (MDS, TAA) */
#define MIT_IBPB 0x4u       /* indirect branch predictor barrier on every domain switch */
#define MIT_RSB 0x8u        /* return stack refill on every domain switch */
#define MIT_RETPOLINE 0x10u /* the kernel's indirect branches go through retpolines */
#define MIT_EIBRS 0x20u     /* enhanced IBRS set once at boot instead */
#define MIT_SSBD 0x40u      /* speculative store bypass disabled for domains that ask */
#define MIT_FPU_SCRUB 0x80u /* x87 FIP/FDP/FOP of the previous domain scrubbed on a switch */

/* What the boot command line asks (mitigations=...). */
enum spec_mode {
	SPEC_AUTO = 0, /* what the CPU says it needs */
	SPEC_OFF,      /* nothing (benchmarks' baseline) */
	SPEC_FORCE,    /* everything, whatever the CPU says (tests the paths under QEMU) */
};

extern uint64_t arch_mitig_flags;
extern uint64_t arch_kernel_cr3;
extern uint64_t arch_nmi_count;
extern uint64_t arch_mc_injected; /* vector-18 messages that were no machine check */

/**
 * Reads the CPU's own report (CPUID, IA32_ARCH_CAPABILITIES), decides the
 * mitigations for @mode, sets arch_mitig_flags and patches the entry code.
 * Needs: boot, before paging_init (kernel text still writable). Returns: nothing.
 */
void spec_init(enum spec_mode mode);

/**
 * Prints the one boot line saying which mitigations are on and why.
 * Needs: spec_init done. Returns: nothing.
 */
void spec_report(void);

/**
 * Proves at boot that the exception table works: a faulting instruction it
 * lists is resumed where the table says. Needs: IDT loaded. Panics otherwise.
 */
void spec_check_extable(void);

/** Reads the mode from the kernel command line @cmdline (may be NULL). */
enum spec_mode spec_parse_cmdline(const char *cmdline);

/** Sets IA32_SPEC_CTRL.SSBD to @on (when SSBD mitigation is on). Needs: interrupts off. */
void spec_set_ssbd(bool on);

/**
 * Writes @value to @msr. If the CPU has no such MSR the #GP is resumed after
 * the instruction: the exception table (section .rodata.extable, read by
 * trap.c) maps the wrmsr's address to the next one. Costs nothing more than a
 * plain wrmsr when it does not fault. Used for the MSRs the forced mode writes
 * on CPUs that may not report them.
 */
static inline void spec_wrmsr(uint32_t msr, uint64_t value)
{
	__asm__ volatile("1:\twrmsr\n2:\n"
	                 "\t.pushsection .rodata.extable, \"a\"\n\t.balign 8\n"
	                 "\t.quad 1b, 2b\n\t.popsection"
	                 :
	                 : "c"(msr), "a"((uint32_t)value), "d"((uint32_t)(value >> 32))
	                 : "memory");
}

/** Issues an indirect branch predictor barrier (IA32_PRED_CMD.IBPB). */
static inline void spec_ibpb(void)
{
	spec_wrmsr(0x49u, 1);
}

/**
 * Scrubs the x87 FIP/FDP/FOP that AMD's FXSAVE/FXRSTOR leave from the last x87
 * user: clears pending exceptions, empties the stack, loads a constant.
 */
static inline void spec_fpu_scrub(void)
{
	static const uint32_t zero;
	__asm__ volatile("fnclex\n\temms\n\tfildl %0" : : "m"(zero));
}

#endif
