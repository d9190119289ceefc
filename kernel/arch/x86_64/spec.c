/* x86_64 speculation mitigations: read the CPU's report, decide, patch the entry code. */
#include <stdint.h>
#include <string.h>

#include <kernel/assert.h>
#include <kernel/klog.h>
#include <spec.h>
#include <x86.h>

#define MSR_SPEC_CTRL 0x48u
#define MSR_ARCH_CAPS 0x10au
#define MSR_VIRT_SPEC_CTRL 0xc001011fu
#define SPEC_CTRL_IBRS 0x1u
#define SPEC_CTRL_SSBD 0x4u
#define CAPS_RDCL_NO (1u << 0)
#define CAPS_IBRS_ALL (1u << 1)
#define CAPS_MDS_NO (1u << 5)
#define CAPS_TAA_NO (1u << 8)

/* What the CPU says about itself. */
struct cpu_report {
	char vendor[13];
	uint32_t family, model;
	bool intel, amd;
	uint64_t caps; /* IA32_ARCH_CAPABILITIES, 0 if absent */
	bool md_clear, ibpb, spec_ctrl_ssbd, virt_ssbd, rtm, fpu_errptr;
};

static struct cpu_report cpu;
extern bool arch_cpu_pcid;
static enum spec_mode mode;
static uint64_t spec_ctrl_base; /* IA32_SPEC_CTRL bits set for the whole run */

static void read_vendor(void)
{
	struct cpuid_regs r = cpuid(0, 0);
	memcpy(&cpu.vendor[0], &r.b, 4);
	memcpy(&cpu.vendor[4], &r.d, 4);
	memcpy(&cpu.vendor[8], &r.c, 4);
	cpu.intel = memcmp(cpu.vendor, "GenuineIntel", 12) == 0;
	cpu.amd = memcmp(cpu.vendor, "AuthenticAMD", 12) == 0 ||
	          memcmp(cpu.vendor, "HygonGenuine", 12) == 0;
	struct cpuid_regs f = cpuid(1, 0);
	cpu.family = (f.a >> 8) & 0xf;
	cpu.model = (f.a >> 4) & 0xf;
	if (cpu.family == 0xf)
		cpu.family += (f.a >> 20) & 0xff;
	if (cpu.family >= 6)
		cpu.model |= ((f.a >> 16) & 0xf) << 4;
}

static void read_features(void)
{
	if (cpuid(0, 0).a >= 7) {
		struct cpuid_regs r = cpuid(7, 0);
		cpu.md_clear = (r.d >> 10) & 1;
		cpu.ibpb = (r.d >> 26) & 1;
		cpu.spec_ctrl_ssbd = (r.d >> 31) & 1;
		cpu.rtm = (r.b >> 11) & 1;
		if ((r.d >> 29) & 1)
			cpu.caps = rdmsr(MSR_ARCH_CAPS);
	}
	if (cpuid(0x80000000u, 0).a >= 0x80000008u) {
		struct cpuid_regs e = cpuid(0x80000008u, 0);
		cpu.fpu_errptr = (e.b >> 2) & 1;
		cpu.ibpb |= (e.b >> 12) & 1;
		cpu.spec_ctrl_ssbd |= (e.b >> 24) & 1;
		cpu.virt_ssbd = (e.b >> 25) & 1;
	}
}

/* The mitigations the CPU's own report asks for. */
static uint64_t needed(void)
{
	uint64_t f = MIT_RSB;
	if (!cpu.amd && !(cpu.caps & CAPS_RDCL_NO))
		f |= MIT_KPTI;
	if (cpu.intel && (!(cpu.caps & CAPS_MDS_NO) || (cpu.rtm && !(cpu.caps & CAPS_TAA_NO))))
		f |= MIT_VERW;
	if (cpu.ibpb)
		f |= MIT_IBPB;
	f |= (cpu.caps & CAPS_IBRS_ALL) ? MIT_EIBRS : MIT_RETPOLINE;
	if (cpu.spec_ctrl_ssbd || cpu.virt_ssbd)
		f |= MIT_SSBD;
	return f;
}

static uint64_t decide(void)
{
	uint64_t scrub = (cpu.amd && !cpu.fpu_errptr) ? MIT_FPU_SCRUB : 0;
	if (mode == SPEC_FORCE) /* MSRs the CPU lacks: spec_wrmsr resumes the #GP */
		return MIT_KPTI | MIT_VERW | MIT_IBPB | MIT_RSB | MIT_RETPOLINE | MIT_SSBD |
		       MIT_FPU_SCRUB;
	if (mode == SPEC_OFF)
		return scrub; /* not speculation: an architectural leak */
	return needed() | scrub;
}

/* One retpoline thunk and the plain `jmp *%reg` that replaces it when unneeded. */
struct thunk_patch {
	uint8_t *thunk;
	uint8_t plain[8];
};
extern struct thunk_patch arch_thunk_patches[], arch_thunk_patches_end[];
extern uint8_t arch_enter_user_patch[], arch_exit_kpti[], arch_exit_verw[], arch_exit_kpti_verw[];

/* Writes @n bytes at @at in kernel text. Needs: boot page tables (text writable). */
static void patch(uint8_t *at, const uint8_t *bytes, size_t n)
{
	memcpy(at, bytes, n);
	__asm__ volatile("" ::: "memory");
}

static void patch_text(void)
{
	if (!(arch_mitig_flags & MIT_RETPOLINE))
		for (struct thunk_patch *t = arch_thunk_patches; t < arch_thunk_patches_end; t++)
			patch(t->thunk, t->plain, 5);
	uint64_t exit = arch_mitig_flags & (MIT_KPTI | MIT_VERW);
	if (exit) {
		uint8_t *to = exit == MIT_KPTI ? arch_exit_kpti :
		              exit == MIT_VERW ? arch_exit_verw :
		                                 arch_exit_kpti_verw;
		uint8_t jmp[5] = {0xe9};
		int32_t rel = (int32_t)(to - (arch_enter_user_patch + 5));
		memcpy(&jmp[1], &rel, sizeof(rel));
		patch(arch_enter_user_patch, jmp, sizeof(jmp));
	}
}

void spec_init(enum spec_mode m)
{
	mode = m;
	read_vendor();
	read_features();
	arch_mitig_flags = decide();
	if (arch_mitig_flags & MIT_EIBRS) {
		spec_ctrl_base = SPEC_CTRL_IBRS;
		spec_wrmsr(MSR_SPEC_CTRL, spec_ctrl_base);
	}
	patch_text();
}

static const char *onoff(uint64_t bit)
{
	return (arch_mitig_flags & bit) ? "on" : "off";
}

void spec_report(void)
{
	static const char *const names[] = {"auto", "off", "force"};
	kprintf("bulkhead: mitigations (%s): cpu %s family 0x%x model 0x%x, arch_capabilities "
	        "0x%lx; kpti %s%s, verw %s, ibpb %s, rsb-fill %s, %s, ssbd %s, fpu-scrub %s",
	        names[mode], cpu.vendor, cpu.family, cpu.model, cpu.caps, onoff(MIT_KPTI),
	        arch_cpu_pcid ? " (pcid)" : "", onoff(MIT_VERW), onoff(MIT_IBPB), onoff(MIT_RSB),
	        (arch_mitig_flags & MIT_EIBRS)     ? "eibrs on" :
	        (arch_mitig_flags & MIT_RETPOLINE) ? "retpoline on" :
	                                             "retpoline off",
	        (arch_mitig_flags & MIT_SSBD) ? "per-domain" : "off", onoff(MIT_FPU_SCRUB));
}

/* Does the word at @p (ended by a space or NUL) equal @word? */
static bool word_is(const char *p, const char *word)
{
	size_t n = strlen(word);
	return strncmp(p, word, n) == 0 && (p[n] == ' ' || p[n] == '\0');
}

enum spec_mode spec_parse_cmdline(const char *cmdline)
{
	static const char key[] = "mitigations=";
	for (const char *p = cmdline; p && *p; p++) {
		if ((p != cmdline && p[-1] != ' ') || strncmp(p, key, sizeof(key) - 1) != 0)
			continue;
		p += sizeof(key) - 1;
		if (word_is(p, "off"))
			return SPEC_OFF;
		return word_is(p, "force") ? SPEC_FORCE : SPEC_AUTO;
	}
	return SPEC_AUTO;
}

void spec_set_ssbd(bool on)
{
	if (cpu.virt_ssbd && !cpu.spec_ctrl_ssbd)
		spec_wrmsr(MSR_VIRT_SPEC_CTRL, on ? SPEC_CTRL_SSBD : 0);
	else
		spec_wrmsr(MSR_SPEC_CTRL, spec_ctrl_base | (on ? SPEC_CTRL_SSBD : 0));
}

void spec_check_extable(void)
{
	uint64_t resumed = 0;
	/* 0xfff8 is past the GDT's limit: #GP(selector), which the table resumes. */
	__asm__ volatile("1:\tmov %w1, %%fs\n\tjmp 3f\n2:\tmovq $1, %0\n3:\n"
	                 "\t.pushsection .rodata.extable, \"a\"\n\t.balign 8\n"
	                 "\t.quad 1b, 2b\n\t.popsection"
	                 : "+r"(resumed)
	                 : "r"(0xfff8u)
	                 : "memory");
	CHECK(resumed == 1);
}
