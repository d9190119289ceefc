/* x86_64 traps: domain faults stop the domain, kernel faults panic, stray interrupts are counted. */
#include <stdio.h>

#include <arch_regs.h>
#include <bulkhead/abi/fault.h>
#include <insn.h>
#include <kernel/arch.h>
#include <kernel/assert.h>
#include <kernel/device.h>
#include <kernel/domain.h>
#include <kernel/klog.h>
#include <kernel/sched.h>
#include <platform.h>
#include <spec.h>
#include <x86.h>

#define VEC_PF 14
#define VEC_GP 13
#define VEC_SS 12
#define VEC_TIMER 32
#define VEC_SPURIOUS 0xff
#define KERNEL_HALF 0xffff800000000000ull

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

/* Interrupts counted and ignored: stray vectors and NMIs (entry.S counts those). */
static uint64_t stray_count, nmi_reported, last_stray;

static const char *trap_name(uint64_t vec)
{
	if (vec < 32)
		return names[vec] ? names[vec] : "reserved exception";
	return vec == VEC_SPURIOUS ? "spurious interrupt" : "external interrupt";
}

/* What a page-fault error code means, in words; kernel addresses say so. */
static const char *pf_cause(uint64_t err, uint64_t addr)
{
	bool exec = err & 0x10, write = err & 0x2, present = err & 0x1;
	if (addr >= KERNEL_HALF) {
		if (present)
			return exec  ? "execute of a kernel page" :
			       write ? "write to a kernel page" :
			               "read of a kernel page";
		return exec  ? "execute of an unmapped kernel address" :
		       write ? "write to an unmapped kernel address" :
		               "read of an unmapped kernel address";
	}
	if (exec)
		return present ? "execute from a non-executable page" :
		                 "execute from an unmapped address";
	if (!present)
		return write ? "write to an unmapped address" : "read from an unmapped address";
	return write ? "write to a read-only page" : "read of a protected page";
}

/* A fault to word: the registers at the fault, CR2 then, the faulting domain's address space. */
struct fault_view {
	const struct arch_regs *f;
	uint64_t cr2;
	paddr_t as;
};

/* Reads up to @n bytes of the faulting instruction of @v; returns how many. */
static size_t fault_bytes(const struct fault_view *v, uint8_t *buf, size_t n)
{
	if (v->f->rip >> 47)
		return 0;
	return arch_as_read(v->as, va(v->f->rip), buf, n);
}

/* The first memory operand of @in whose address is not canonical, or NULL. */
static const struct insn_mem *noncanonical(const struct insn_info *in)
{
	for (uint8_t i = 0; i < in->mem_count && i < 2; i++)
		if (!in->mem[i].canonical)
			return &in->mem[i];
	return NULL;
}

/*
 * #GP(0) or #SS(0): the error code says nothing, so the instruction tells why.
 * Its bytes come from the domain; the decoder is total on any bytes.
 */
static void describe_gp0(const struct fault_view *v, char *buf, size_t n)
{
	const struct arch_regs *f = v->f;
	uint8_t bytes[INSN_MAX_LEN];
	struct insn_info in;
	buf[0] = '\0';
	if (f->rip >> 47) {
		snprintf(buf, n, " (non-canonical instruction address)");
		return;
	}
	if (!insn_decode(bytes, fault_bytes(v, bytes, sizeof(bytes)), f, &in))
		return;
	const struct insn_mem *bad = noncanonical(&in);
	if (in.kind == INSN_IO)
		snprintf(buf, n, " (I/O port 0x%x not granted)", in.port);
	else if (in.kind == INSN_PRIVILEGED)
		snprintf(buf, n, " (privileged instruction %s)", in.mnemonic);
	else if (bad)
		snprintf(buf, n, " (non-canonical address 0x%lx)", bad->address);
}

/*
 * The vector of a #GP with the IDT bit: the `int n` at rip names it (some
 * emulators scale the error code's index), else the error code's index field.
 */
static uint64_t idt_vector(const struct fault_view *v)
{
	uint8_t bytes[2];
	size_t n = fault_bytes(v, bytes, sizeof(bytes));
	if (n == 2 && bytes[0] == 0xcd)
		return bytes[1];
	if (n >= 1 && (bytes[0] == 0xcc || bytes[0] == 0xce || bytes[0] == 0xf1))
		return bytes[0] == 0xcc ? 3 : bytes[0] == 0xce ? 4 : 1;
	return (v->f->error >> 3) & 0xff;
}

/* A #GP's error code names a selector or an IDT vector; 0 says nothing more. */
static void gp_cause(const struct fault_view *v, char *buf, size_t n)
{
	uint64_t e = v->f->error;
	if (e & 0x2)
		snprintf(buf, n, " (IDT vector 0x%lx)", idt_vector(v));
	else if (e)
		snprintf(buf, n, " (selector 0x%lx, %s)", e & 0xfffc, (e & 0x4) ? "LDT" : "GDT");
	else
		describe_gp0(v, buf, n);
}

/* Words the fault @v for the report line, in @buf of @n bytes. */
static void describe(const struct fault_view *v, char *buf, size_t n)
{
	const struct arch_regs *f = v->f;
	char why[96];
	if (f->vector == VEC_PF) {
		snprintf(buf, n, "page fault (%s) at rip=0x%lx addr=0x%lx",
		         pf_cause(f->error, v->cr2), f->rip, v->cr2);
	} else if (f->vector == VEC_GP) {
		gp_cause(v, why, sizeof(why));
		snprintf(buf, n, "general protection fault%s at rip=0x%lx error=0x%lx", why, f->rip,
		         f->error);
	} else if (f->vector == VEC_SS && !f->error) {
		describe_gp0(v, why, sizeof(why));
		snprintf(buf, n, "stack fault%s at rip=0x%lx", why, f->rip);
	} else if (f->vector == VEC_COMPAT) {
		snprintf(buf, n, "system call from 32-bit compatibility mode at rip=0x%lx", f->rip);
	} else {
		snprintf(buf, n, "%s at rip=0x%lx error=0x%lx", trap_name(f->vector), f->rip,
		         f->error);
	}
}

/* The kind of fault exception @vector is, for a supervisor's record. */
static uint32_t fault_kind(uint64_t vector)
{
	switch (vector) {
	case VEC_PF:
		return BH_FAULT_PAGE;
	case 10: /* invalid TSS */
	case 11: /* segment not present */
	case VEC_SS:
	case VEC_GP:
		return BH_FAULT_GP;
	case 6:
		return BH_FAULT_UD;
	case VEC_COMPAT:
		return BH_FAULT_KILLED;
	default:
		return BH_FAULT_MATH;
	}
}

/*
 * The report line of @d's deferred fault @rec (domain_fault_later), worded in @buf: its
 * registers are still those of the fault and its memory that of the faulting instance
 * (domain_reports_flush runs before a restart changes either).
 */
static void word_later(const struct domain *d, const struct domain_fault *rec, char *buf, size_t n)
{
	struct fault_view v = {&d->regs, rec->vector == VEC_PF ? rec->addr : 0, d->as};
	describe(&v, buf, n);
}

/*
 * Stops the current domain for the exception in @f. A supervised domain's
 * supervisor hears of it first and its report line is worded later (which
 * decodes the instruction), off the supervisor's way; any other's at once.
 */
static void stop_current(const struct arch_regs *f)
{
	struct domain *d = sched_current;
	uint64_t cr2 = f->vector == VEC_PF ? read_cr2() : 0;
	struct domain_fault rec = {fault_kind(f->vector), f->vector < 32 ? (uint32_t)f->vector : 0,
	                           f->rip, cr2, f->error};
	if (d->supervisor && f == &d->regs) {
		domain_fault_later(d, &rec, word_later);
		return;
	}
	struct fault_view v = {f, cr2, d->as};
	char why[200];
	describe(&v, why, sizeof(why));
	domain_fault(d, &rec, why);
}

static __attribute__((noreturn)) void kernel_fault(const struct arch_regs *f, const char *where)
{
	panic("%s (vector %lu, %s): rip=0x%lx cs=0x%lx err=0x%lx cr2=0x%lx rsp=0x%lx "
	      "rflags=0x%lx\n"
	      "  rax=%016lx rbx=%016lx rcx=%016lx rdx=%016lx\n"
	      "  rsi=%016lx rdi=%016lx rbp=%016lx r8 =%016lx\n"
	      "  r9 =%016lx r10=%016lx r11=%016lx r12=%016lx\n"
	      "  r13=%016lx r14=%016lx r15=%016lx",
	      trap_name(f->vector), f->vector, where, f->rip, f->cs, f->error, read_cr2(), f->rsp,
	      f->rflags, f->rax, f->rbx, f->rcx, f->rdx, f->rsi, f->rdi, f->rbp, f->r8, f->r9,
	      f->r10, f->r11, f->r12, f->r13, f->r14, f->r15);
}

/* Prints what was ignored since the last report (never from NMI context). */
static uint64_t mc_reported; /* arch_mc_injected when last reported */

static void report_ignored(void)
{
	uint64_t nmis = __atomic_load_n(&arch_nmi_count, __ATOMIC_RELAXED);
	if (nmis != nmi_reported) {
		nmi_reported = nmis;
		kprintf("bulkhead: ignored interrupt on vector 0x02 (NMI); %lu so far",
		        nmis + stray_count);
	}
	uint64_t mcs = __atomic_load_n(&arch_mc_injected, __ATOMIC_RELAXED);
	if (mcs != mc_reported) {
		mc_reported = mcs;
		kprintf("bulkhead: ignored interrupt on vector 0x12 (machine check, none in progress); "
		        "%lu so far",
		        mcs);
	}
	if (last_stray) {
		kprintf("bulkhead: ignored interrupt on vector 0x%02lx (%s); %lu so far",
		        last_stray, pic_vector(last_stray) ? "legacy PIC" : trap_name(last_stray),
		        nmis + stray_count);
		last_stray = 0;
	}
}

/* A vector no device of the kernel's uses: acknowledge it if the LAPIC delivered it. */
static void stray(uint64_t vector)
{
	if (vector != VEC_SPURIOUS && apic_in_service(vector))
		apic_eoi();
	stray_count++;
	last_stray = vector;
}

/* The exception table: kernel instructions whose #GP is resumed elsewhere (spec_wrmsr). */
struct extable {
	uint64_t insn, resume;
};
extern const struct extable __extable_start[], __extable_end[];

/* A kernel #GP on an instruction in the exception table: resume after it. */
static bool fixup(struct arch_regs *f)
{
	for (const struct extable *e = __extable_start; f->vector == VEC_GP && e < __extable_end;
	     e++) {
		if (e->insn == f->rip) {
			f->rip = e->resume;
			return true;
		}
	}
	return false;
}

/**
 * Handles interrupt or exception @f. From user mode it never returns (it
 * leaves through the scheduler); from kernel mode (idle) it returns.
 * Needs: interrupts off, AC and DF clear, called from entry.S.
 */
void trap_entry(struct arch_regs *f);

void trap_entry(struct arch_regs *f)
{
	bool from_user = (f->cs & 3) != 0;
	if (f->vector == VEC_TIMER) {
		apic_eoi();
		sched_tick();
		domain_reports_flush(); /* every tick, idle or not: deferred fault lines */
	} else if (f->vector == VEC_IOMMU_FAULT) {
		apic_eoi();
		vtd_fault_irq();
	} else if (f->vector >= DEVICE_VECTOR_BASE &&
	           f->vector < DEVICE_VECTOR_BASE + BP_MAX_DEVICES) {
		apic_eoi();
		device_irq((uint32_t)(f->vector - DEVICE_VECTOR_BASE));
	} else if (f->vector >= 32 && f->vector <= 0xff) {
		stray(f->vector);
	} else if (f->vector >= 16 && apic_in_service(f->vector)) {
		/* An exception vector as an interrupt message (a device's DMA wrote it). */
		stray(f->vector);
	} else {
		if (!from_user && fixup(f))
			return;
		if (!from_user)
			kernel_fault(f, "kernel");
		stop_current(f);
	}
	report_ignored();
	if (from_user)
		sched_exit_kernel();
}

/**
 * Double fault or machine check, on an IST stack, with the kernel's page
 * tables loaded by entry.S but %gs unknown. Never returns.
 */
__attribute__((noreturn)) void trap_fatal(struct arch_regs *f);

void trap_fatal(struct arch_regs *f)
{
	kernel_fault(f, (f->cs & 3) ? "while a domain ran" : "in the kernel");
}

/**
 * The exit path found a return address that is not canonical (iretq or
 * sysretq would fault in ring 0): stops the current domain instead.
 * Needs: interrupts off, on the kernel stack. Never returns.
 */
__attribute__((noreturn)) void trap_bad_return(void);

void trap_bad_return(void)
{
	char why[96];
	struct domain *d = sched_current;
	struct domain_fault rec = {BH_FAULT_GP, VEC_GP, d->regs.rip, d->regs.rip, 0};
	snprintf(why, sizeof(why), "return address 0x%lx is not canonical", d->regs.rip);
	domain_fault(d, &rec, why);
	sched_exit_kernel();
}
