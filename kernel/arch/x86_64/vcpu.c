/* x86_64 vCPU state export: registers, FS base and FXSAVE image; every import sanitised. */
#include <string.h>

#include <arch_regs.h>
#include <bulkhead/abi/domain.h>
#include <bulkhead/abi/layout.h>
#include <kernel/arch.h>
#include <kernel/domain.h>
#include <x86.h>

/* RFLAGS a domain may hold: CF, PF, AF, ZF, SF, DF, OF, IF and the always-set bit 1. */
#define RFLAGS_IF 0x200ull
#define RFLAGS_FIXED 0x2ull
#define RFLAGS_OK                                                                          \
	(0x1ull | 0x4ull | 0x10ull | 0x40ull | 0x80ull | 0x400ull | 0x800ull | RFLAGS_IF | \
	 RFLAGS_FIXED)

/* FXSAVE64 image: MXCSR and its mask; what FXRSTOR ignores (reserved) is kept zero. */
#define FX_MXCSR 24
#define FX_MXCSR_MASK 28
#define FX_RESERVED_BYTE 5
#define FX_RESERVED_TAIL 416
#define MXCSR_MASK_DEFAULT 0xffbfu /* when FXSAVE reports 0 */

/* MXCSR bits this CPU takes: any other set bit makes FXRSTOR fault (#GP in the kernel). */
static uint32_t mxcsr_mask;

void vcpu_init(void)
{
	static struct arch_fpu probe;
	memset(&probe, 0, sizeof(probe));
	__asm__ volatile("fxsave64 %0" : "=m"(probe));
	memcpy(&mxcsr_mask, &probe.area[FX_MXCSR_MASK], sizeof(mxcsr_mask));
	if (!mxcsr_mask)
		mxcsr_mask = MXCSR_MASK_DEFAULT;
}

void arch_vcpu_get(const struct domain *d, struct bh_vcpu_state *out)
{
	const struct arch_regs *r = &d->regs;
	memset(out, 0, sizeof(*out));
	out->rax = r->rax, out->rbx = r->rbx, out->rcx = r->rcx, out->rdx = r->rdx;
	out->rsi = r->rsi, out->rdi = r->rdi, out->rbp = r->rbp, out->rsp = r->rsp;
	out->r8 = r->r8, out->r9 = r->r9, out->r10 = r->r10, out->r11 = r->r11;
	out->r12 = r->r12, out->r13 = r->r13, out->r14 = r->r14, out->r15 = r->r15;
	out->rip = r->rip;
	out->rflags = r->rflags;
	out->fs_base = d->arch.fs_base;
	memcpy(out->fxsave, d->fpu.area, sizeof(out->fxsave));
}

static bool zero_bytes(const void *p, size_t n)
{
	const uint8_t *b = p;
	for (size_t i = 0; i < n; i++)
		if (b[i])
			return false;
	return true;
}

bool arch_vcpu_ok(const struct bh_vcpu_state *s)
{
	uint32_t mxcsr;
	memcpy(&mxcsr, &s->fxsave[FX_MXCSR], sizeof(mxcsr));
	return s->rip < BH_USER_TOP && (s->rflags & ~RFLAGS_OK) == 0 && (s->rflags & RFLAGS_IF) &&
	       s->fs_base < BH_USER_TOP && s->gs_base == 0 && (mxcsr & ~mxcsr_mask) == 0 &&
	       s->wait <= BH_VCPU_WAIT_UNTIL && s->reserved == 0 &&
	       zero_bytes(s->pad, sizeof(s->pad));
}

void arch_vcpu_set(struct domain *d, const struct bh_vcpu_state *s)
{
	struct arch_regs *r = &d->regs;
	r->rax = s->rax, r->rbx = s->rbx, r->rcx = s->rcx, r->rdx = s->rdx;
	r->rsi = s->rsi, r->rdi = s->rdi, r->rbp = s->rbp, r->rsp = s->rsp;
	r->r8 = s->r8, r->r9 = s->r9, r->r10 = s->r10, r->r11 = s->r11;
	r->r12 = s->r12, r->r13 = s->r13, r->r14 = s->r14, r->r15 = s->r15;
	r->rip = s->rip;
	r->rflags = s->rflags | RFLAGS_FIXED;
	r->cs = SEL_UCODE;
	r->ss = SEL_UDATA;
	d->arch.fs_base = s->fs_base;
	d->arch.extra =
		(uint8_t)((d->arch.extra & ~ARCH_EXTRA_FS) | (s->fs_base ? ARCH_EXTRA_FS : 0));
	memcpy(d->fpu.area, s->fxsave, sizeof(d->fpu.area));
	d->fpu.area[FX_RESERVED_BYTE] = 0;
	memset(&d->fpu.area[FX_MXCSR_MASK], 0, 4);
	memset(&d->fpu.area[FX_RESERVED_TAIL], 0, sizeof(d->fpu.area) - FX_RESERVED_TAIL);
}
