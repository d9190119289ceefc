/* x86_64 CPU set-up: segments, traps, paging features, syscall MSRs, FPU, APIC. */
#include <stdint.h>

#include <arch_regs.h>
#include <kernel/arch.h>
#include <kernel/assert.h>
#include <spec.h>
#include <x86.h>

#define CR0_MP (1ull << 1)
#define CR0_EM (1ull << 2)
#define CR0_NE (1ull << 5)
#define CR4_PGE (1ull << 7)
#define CR4_OSFXSR (1ull << 9)
#define CR4_OSXMMEXCPT (1ull << 10)
#define CR4_UMIP (1ull << 11)
#define CR4_PCIDE (1ull << 17)
#define CR4_SMEP (1ull << 20)
#define CR4_SMAP (1ull << 21)
#define RFLAGS_ENTRY_MASK 0x47700ull /* IF, TF, DF, IOPL, NT, AC cleared by syscall */

extern struct percpu percpu0;
extern char kernel_stack_top[];
void arch_syscall_entry(void);
void arch_syscall_entry_kpti(void);
void arch_compat_syscall_entry(void);

bool arch_cpu_pcid;

/*
 * Turns on SSE for domains, SMEP/SMAP and UMIP where present, and global pages
 * unless the kernel hides behind separate page tables (a global kernel
 * translation would survive the switch to a domain's tables). CR0.NE makes
 * unmasked x87 exceptions #MF faults of the domain instead of lost FERR# pulses.
 */
static void cpu_features(void)
{
	uint64_t cr4 = read_cr4() | CR4_OSFXSR | CR4_OSXMMEXCPT;
	if (!(arch_mitig_flags & MIT_KPTI))
		cr4 |= CR4_PGE;
	if (cpuid(0, 0).a >= 7) {
		struct cpuid_regs r = cpuid(7, 0);
		if (r.b & (1u << 7))
			cr4 |= CR4_SMEP;
		if (r.b & (1u << 20))
			cr4 |= CR4_SMAP;
		if (r.c & (1u << 2))
			cr4 |= CR4_UMIP;
	}
	arch_cpu_pcid = (arch_mitig_flags & MIT_KPTI) && (cpuid(1, 0).c & (1u << 17));
	if (arch_cpu_pcid)
		cr4 |= CR4_PCIDE;
	write_cr4(cr4);
	uint64_t cr0;
	__asm__ volatile("mov %%cr0, %0" : "=r"(cr0));
	cr0 = (cr0 & ~CR0_EM) | CR0_MP | CR0_NE;
	__asm__ volatile("mov %0, %%cr0" : : "r"(cr0));
}

static void syscall_init(void)
{
	bool hard = (arch_mitig_flags & MIT_KPTI) != 0;
	wrmsr(MSR_EFER, rdmsr(MSR_EFER) | 0x1); /* SCE */
	wrmsr(MSR_STAR, ((uint64_t)(SEL_UCODE32 & ~3) << 48) | ((uint64_t)SEL_KCODE << 32));
	wrmsr(MSR_LSTAR, (uint64_t)(hard ? arch_syscall_entry_kpti : arch_syscall_entry));
	wrmsr(MSR_CSTAR, (uint64_t)arch_compat_syscall_entry);
	wrmsr(MSR_FMASK, RFLAGS_ENTRY_MASK);
	percpu0.kstack_top = (uint64_t)kernel_stack_top;
	percpu0.self = (uint64_t)&percpu0;
	wrmsr(MSR_GS_BASE, (uint64_t)&percpu0);
	wrmsr(MSR_KERNEL_GS_BASE, 0);
}

/**
 * Brings the boot CPU to the state the kernel runs in; @max_phys bounds the
 * direct map, @mode is the command line's choice of mitigations.
 * Needs: called once, from arch_boot, interrupts off, boot page tables.
 */
void arch_cpu_init(uint64_t max_phys, enum spec_mode mode);

void arch_cpu_init(uint64_t max_phys, enum spec_mode mode)
{
	spec_init(mode); /* patches text: before paging_init makes it read-only */
	gdt_init();
	idt_init();
	spec_check_extable();
	pic_init();
	cpu_features();
	paging_init(max_phys);
	syscall_init();
	apic_init();
	random_init();
}
