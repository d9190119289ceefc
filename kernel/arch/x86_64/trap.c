/* x86_64 traps: domain faults stop the domain, kernel faults panic, the timer ticks. */
#include <stdio.h>

#include <arch_regs.h>
#include <kernel/assert.h>
#include <kernel/domain.h>
#include <kernel/sched.h>
#include <x86.h>

#define VEC_NMI 2
#define VEC_DF 8
#define VEC_MC 18
#define VEC_PF 14
#define VEC_GP 13
#define VEC_TIMER 32
#define VEC_SPURIOUS 33

static const char *const names[32] = {
	"divide error",
	"debug",
	"NMI",
	"breakpoint",
	"overflow",
	"bound range",
	"invalid opcode",
	"device not available",
	"double fault",
	"coprocessor overrun",
	"invalid TSS",
	"segment not present",
	"stack fault",
	"general protection fault",
	"page fault",
	"reserved",
	"x87 floating-point error",
	"alignment check",
	"machine check",
	"SIMD floating-point error",
	"virtualization",
	"control protection",
};

static const char *trap_name(uint64_t vec)
{
	return (vec < 32 && names[vec]) ? names[vec] : "reserved exception";
}

/* What a page-fault error code means, in words. */
static const char *pf_cause(uint64_t err)
{
	if (err & 0x10)
		return "execute from a non-executable page";
	if (!(err & 0x1))
		return (err & 0x2) ? "write to an unmapped address" :
		                     "read from an unmapped address";
	if (err & 0x2)
		return "write to a read-only page";
	return "read of a protected page";
}

static void describe(const struct arch_regs *f, char *buf, size_t n)
{
	if (f->vector == VEC_PF)
		snprintf(buf, n, "page fault (%s) at rip=0x%lx addr=0x%lx", pf_cause(f->error),
		         f->rip, read_cr2());
	else if (f->vector == VEC_GP)
		snprintf(buf, n,
		         "general protection fault (privileged instruction or I/O port not granted)"
		         " at rip=0x%lx error=0x%lx",
		         f->rip, f->error);
	else
		snprintf(buf, n, "%s at rip=0x%lx error=0x%lx", trap_name(f->vector), f->rip,
		         f->error);
}

static __attribute__((noreturn)) void kernel_fault(const struct arch_regs *f)
{
	panic("%s (kernel): rip=0x%lx err=0x%lx cr2=0x%lx rsp=0x%lx rflags=0x%lx\n"
	      "  rax=%016lx rbx=%016lx rcx=%016lx rdx=%016lx\n"
	      "  rsi=%016lx rdi=%016lx rbp=%016lx r8 =%016lx\n"
	      "  r9 =%016lx r10=%016lx r11=%016lx r12=%016lx\n"
	      "  r13=%016lx r14=%016lx r15=%016lx",
	      trap_name(f->vector), f->rip, f->error, read_cr2(), f->rsp, f->rflags, f->rax, f->rbx,
	      f->rcx, f->rdx, f->rsi, f->rdi, f->rbp, f->r8, f->r9, f->r10, f->r11, f->r12, f->r13,
	      f->r14, f->r15);
}

/**
 * Handles interrupt or exception @f. From user mode it never returns (it
 * leaves through the scheduler); from kernel mode (idle) it returns.
 * Needs: interrupts off, called from entry.S.
 */
void trap_entry(struct arch_regs *f);

void trap_entry(struct arch_regs *f)
{
	bool from_user = (f->cs & 3) != 0;
	/* NMI, double fault and machine check arrive on their own IST stacks,
	 * not in the domain's frame, and mean the machine is in trouble. */
	if (f->vector == VEC_NMI || f->vector == VEC_DF || f->vector == VEC_MC)
		kernel_fault(f);
	if (f->vector == VEC_TIMER) {
		apic_eoi();
		sched_tick();
	} else if (f->vector != VEC_SPURIOUS) {
		if (!from_user)
			kernel_fault(f);
		char why[160];
		describe(f, why, sizeof(why));
		domain_stop(sched_current, why);
	}
	if (from_user)
		sched_exit_kernel();
}
