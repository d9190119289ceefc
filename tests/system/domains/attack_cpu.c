/* attack tests: instructions ring 3 must not get away with; each must stop this domain. */
#include <stdint.h>

#include "attack.h"

/* A far jump to the 32-bit user code segment (0x1b), then `syscall` there, with the
 * floor number in eax: the compatibility-mode target (IA32_CSTAR) must stop the domain.
 * (A far jump, not a far return: QEMU 7.2 pops a far return's frame with a supervisor
 * access, which SMAP refuses for a user stack.) */
static void compat_syscall(void)
{
	static struct {
		uint32_t offset;
		uint16_t selector;
	} __attribute__((packed)) target = {0, 0x1b};

	__asm__ volatile("lea 1f(%%rip), %%rax\n"
	                 "mov %%eax, %0\n"
	                 "ljmpl *%0\n"
	                 ".code32\n"
	                 "1: mov $0x7fffffff, %%eax\n"
	                 "syscall\n"
	                 "ud2\n"
	                 ".code64\n"
	                 : "+m"(target)
	                 :
	                 : "rax", "rcx", "r11", "memory");
}

/* Software interrupts through gates ring 3 may not use: Linux's system-call vector, the
 * kernel's timer vector (a fake tick) and the NMI vector (a fake NMI). */
static void int80(void)
{
	__asm__ volatile("int $0x80" ::: "memory");
}

static void int_timer(void)
{
	__asm__ volatile("int $0x20" ::: "memory");
}

static void int_nmi(void)
{
	__asm__ volatile("int $0x02" ::: "memory");
}

/* sysenter: #UD in 64-bit mode on AMD, #GP(0) on Intel while IA32_SYSENTER_CS is 0. */
static void sysenter(void)
{
	__asm__ volatile("sysenter" ::: "rcx", "r11", "memory");
}

/* 1/0 with the x87 zero-divide exception unmasked; the fwait delivers #MF (CR0.NE set). */
static void x87_mf(void)
{
	static const double zero = 0.0;
	uint16_t cw = 0x37b;

	__asm__ volatile("fldcw %0\n"
	                 "fld1\n"
	                 "fdivl %1\n"
	                 "fwait\n"
	                 :
	                 : "m"(cw), "m"(zero)
	                 : "memory");
}

/*
 * 1/0 in SSE with the zero-divide exception unmasked in MXCSR: #XM (CR4.OSXMMEXCPT set;
 * without it hardware raises #UD). Only an emulator lets the division through: QEMU's TCG
 * does not raise SIMD exceptions. Then the domain says so with a SKIP line, if MXCSR shows
 * the exception flagged and unmasked, and fails otherwise.
 */
static void sse_xm(void)
{
	static const float one = 1.0f;
	uint32_t mxcsr = 0x1f80u & ~0x200u, after = 0, sane = 0x1f80u;

	__asm__ volatile("ldmxcsr %1\n"
	                 "movss %2, %%xmm0\n"
	                 "xorps %%xmm1, %%xmm1\n"
	                 "divss %%xmm1, %%xmm0\n"
	                 "stmxcsr %0\n"
	                 "ldmxcsr %3\n"
	                 : "=m"(after)
	                 : "m"(mxcsr), "m"(one), "m"(sane)
	                 : "xmm0", "xmm1", "memory");
	if ((after & 0x204u) != 0x4u)
		return; /* attack_main reports the survival */
	say("TEST attack.sse_xm SKIP this CPU does not raise #XM: mxcsr=0x%x (ZE set, unmasked)\n",
	    after);
	bh_exit(0);
}

/* The descriptor-table instructions UMIP makes privileged; each would show a kernel
 * address or selector. The value is printed if the domain survives. */
static void umip_sgdt(void)
{
	struct {
		uint16_t limit;
		uint64_t base;
	} __attribute__((packed)) t = {0, 0};

	__asm__ volatile("sgdt %0" : "=m"(t));
	say("sgdt: base 0x%llx limit 0x%x\n", (unsigned long long)t.base, t.limit);
}

static void umip_sidt(void)
{
	struct {
		uint16_t limit;
		uint64_t base;
	} __attribute__((packed)) t = {0, 0};

	__asm__ volatile("sidt %0" : "=m"(t));
	say("sidt: base 0x%llx limit 0x%x\n", (unsigned long long)t.base, t.limit);
}

static void umip_sldt(void)
{
	uint64_t v = 0;

	__asm__ volatile("sldt %0" : "=r"(v));
	say("sldt: 0x%llx\n", (unsigned long long)v);
}

static void umip_str(void)
{
	uint64_t v = 0;

	__asm__ volatile("str %0" : "=r"(v));
	say("str: 0x%llx\n", (unsigned long long)v);
}

static void umip_smsw(void)
{
	uint64_t v = 0;

	__asm__ volatile("smsw %0" : "=r"(v));
	say("smsw: 0x%llx\n", (unsigned long long)v);
}

/* Selectors ring 3 may not load: the kernel's data segment, an LDT selector (there is no
 * LDT) and the TSS. Each is a #GP whose error code is the selector. */
static void sel_kernel(void)
{
	__asm__ volatile("mov %0, %%ds" : : "r"(0x10u) : "memory");
}

static void sel_ldt(void)
{
	__asm__ volatile("mov %0, %%fs" : : "r"(0x0fu) : "memory");
}

static void sel_tss(void)
{
	__asm__ volatile("mov %0, %%gs" : : "r"(0x33u) : "memory");
}

/* Instructions that would reach state of the kernel or of other domains: the kernel's
 * GS base, debug registers, the task priority (CR8), performance counters (CR4.PCE is
 * clear), an MSR (the FS base), and, with CR4.FSGSBASE, OSXSAVE and PKE clear, the FS
 * base, XCR0 and PKRU. */
static void swapgs(void)
{
	__asm__ volatile("swapgs" ::: "memory");
}

static void dr7(void)
{
	uint64_t v;

	__asm__ volatile("mov %%dr7, %0" : "=r"(v));
	say("dr7: 0x%llx\n", (unsigned long long)v);
}

static void cr8(void)
{
	uint64_t v;

	__asm__ volatile("mov %%cr8, %0" : "=r"(v));
	say("cr8: 0x%llx\n", (unsigned long long)v);
}

static void rdpmc(void)
{
	uint32_t lo, hi;

	__asm__ volatile("rdpmc" : "=a"(lo), "=d"(hi) : "c"(0u));
	say("rdpmc: 0x%x%08x\n", hi, lo);
}

static void wrmsr_fsbase(void)
{
	__asm__ volatile("wrmsr" : : "c"(0xc0000100u), "a"(0x1000u), "d"(0u) : "memory");
}

static void wrfsbase(void)
{
	__asm__ volatile("wrfsbase %0" : : "r"(0x1000ull) : "memory");
}

static void xgetbv(void)
{
	uint32_t lo, hi;

	__asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0u));
	say("xcr0: 0x%x%08x\n", hi, lo);
}

static void rdpkru(void)
{
	uint32_t v, d;

	__asm__ volatile("rdpkru" : "=a"(v), "=d"(d) : "c"(0u));
	say("pkru: 0x%x\n", v);
}

/* TF set, then a hypercall: the kernel must not take the single-step trap itself; the
 * domain gets it back in ring 3 and is stopped for it. */
static void flags_tf(void)
{
	__asm__ volatile("pushfq\n"
	                 "orq %0, (%%rsp)\n"
	                 "popfq\n"
	                 "xor %%eax, %%eax\n"
	                 "syscall\n"
	                 "nop\n"
	                 :
	                 : "i"(ATTACK_TF)
	                 : "rax", "rcx", "rdx", "r11", "memory");
}

/* DF and AC set, then a read of an unmapped page: the kernel handles the fault (and
 * prints its report) with the domain's flags until entry clears them. */
static void flags_fault(void)
{
	__asm__ volatile("pushfq\n"
	                 "orq %0, (%%rsp)\n"
	                 "popfq\n"
	                 "mov 0x5a5a5000, %%rax\n"
	                 "pushfq\n"
	                 "andq %1, (%%rsp)\n"
	                 "popfq\n"
	                 :
	                 : "i"(ATTACK_DF | ATTACK_AC), "i"(~(ATTACK_DF | ATTACK_AC))
	                 : "rax", "memory");
}

static const struct attack attacks[] = {
	{"compat_syscall", compat_syscall},
	{"int80", int80},
	{"int_timer", int_timer},
	{"int_nmi", int_nmi},
	{"sysenter", sysenter},
	{"x87_mf", x87_mf},
	{"sse_xm", sse_xm},
	{"umip_sgdt", umip_sgdt},
	{"umip_sidt", umip_sidt},
	{"umip_sldt", umip_sldt},
	{"umip_str", umip_str},
	{"umip_smsw", umip_smsw},
	{"sel_kernel", sel_kernel},
	{"sel_ldt", sel_ldt},
	{"sel_tss", sel_tss},
	{"swapgs", swapgs},
	{"dr7", dr7},
	{"cr8", cr8},
	{"rdpmc", rdpmc},
	{"wrmsr_fsbase", wrmsr_fsbase},
	{"wrfsbase", wrfsbase},
	{"xgetbv", xgetbv},
	{"rdpkru", rdpkru},
	{"flags_tf", flags_tf},
	{"flags_fault", flags_fault},
};

int main(void)
{
	return attack_main(attacks, sizeof(attacks) / sizeof(attacks[0]));
}
