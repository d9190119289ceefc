/* x86_64 CPU set-up: segments, traps, paging features, syscall MSRs, FPU, APIC. */
#include <stdint.h>

#include <arch_regs.h>
#include <kernel/arch.h>
#include <kernel/assert.h>
#include <x86.h>

#define CR4_PGE (1ull << 7)
#define CR4_OSFXSR (1ull << 9)
#define CR4_OSXMMEXCPT (1ull << 10)
#define CR4_SMEP (1ull << 20)
#define CR4_SMAP (1ull << 21)

extern struct percpu percpu0;
extern char kernel_stack_top[];
void arch_syscall_entry(void);

/* Turns on global pages, SSE for domains, and SMEP/SMAP where present. */
static void cpu_features(void)
{
	uint64_t cr4 = read_cr4() | CR4_PGE | CR4_OSFXSR | CR4_OSXMMEXCPT;
	if (cpuid(0, 0).a >= 7) {
		struct cpuid_regs r = cpuid(7, 0);
		if (r.b & (1u << 7))
			cr4 |= CR4_SMEP;
		if (r.b & (1u << 20))
			cr4 |= CR4_SMAP;
	}
	write_cr4(cr4);
	uint64_t cr0;
	__asm__ volatile("mov %%cr0, %0" : "=r"(cr0));
	cr0 = (cr0 & ~(1ull << 2)) | (1ull << 1); /* EM off, MP on */
	__asm__ volatile("mov %0, %%cr0" : : "r"(cr0));
}

static void syscall_init(void)
{
	wrmsr(MSR_EFER, rdmsr(MSR_EFER) | 0x1); /* SCE */
	wrmsr(MSR_STAR, ((uint64_t)(SEL_UCODE32 & ~3) << 48) | ((uint64_t)SEL_KCODE << 32));
	wrmsr(MSR_LSTAR, (uint64_t)arch_syscall_entry);
	wrmsr(MSR_FMASK, 0x47700); /* IF, TF, DF, AC, NT, IOPL cleared on entry */
	percpu0.kstack_top = (uint64_t)kernel_stack_top;
	percpu0.self = (uint64_t)&percpu0;
	wrmsr(MSR_GS_BASE, (uint64_t)&percpu0);
	wrmsr(MSR_KERNEL_GS_BASE, 0);
}

/**
 * Brings the boot CPU to the state the kernel runs in; @max_phys bounds the
 * direct map. Needs: called once, from kernel_main, interrupts off.
 */
void arch_cpu_init(uint64_t max_phys);

void arch_cpu_init(uint64_t max_phys)
{
	gdt_init();
	idt_init();
	paging_init(max_phys);
	cpu_features();
	syscall_init();
	apic_init();
}
