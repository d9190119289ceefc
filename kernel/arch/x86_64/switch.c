/* x86_64 domain switch: FPU, address space, I/O bitmap, entry stack, mitigations; entering ring 3. */
#include <stdint.h>
#include <string.h>

#include <arch_regs.h>
#include <kernel/arch.h>
#include <kernel/domain.h>
#include <spec.h>
#include <x86.h>

#define CR3_NOFLUSH (1ull << 63)

/* In the entry window: entry.S reads it through %gs on every kernel entry. */
struct percpu percpu0 __attribute__((aligned(64), section(".entry.data")));
extern bool arch_cpu_pcid;

/* arch_return_to_user is arch_enter_user itself (entry.S): a domain's frame is its start. */
_Static_assert(offsetof(struct domain, regs) == 0, "struct domain starts with its regs");
extern uint64_t arch_ist_tops[3];

static void io_bitmap(const struct domain *d, int allow)
{
	for (uint32_t i = 0; i < d->n_ioports; i++)
		gdt_io_allow(d->ioports[i].base, d->ioports[i].count, allow);
}

void arch_domain_init_regs(struct domain *d, uint64_t entry, uint64_t sp, uint64_t arg)
{
	memset(&d->regs, 0, sizeof(d->regs));
	d->regs.rip = entry;
	d->regs.rsp = sp;
	d->regs.rdi = arg;
	d->regs.cs = SEL_UCODE;
	d->regs.ss = SEL_UDATA;
	d->regs.rflags = 0x202; /* IF */
	memset(&d->fpu, 0, sizeof(d->fpu));
	uint16_t fcw = 0x37f;
	uint32_t mxcsr = 0x1f80;
	memcpy(&d->fpu.area[0], &fcw, sizeof(fcw));
	memcpy(&d->fpu.area[24], &mxcsr, sizeof(mxcsr));
	uint64_t pcid = arch_cpu_pcid ? (d->index + 1) | CR3_NOFLUSH : 0;
	d->arch.user_cr3 = d->as.v | pcid;
	memset(d->arch.sel, 0, sizeof(d->arch.sel));
	d->arch.fs_base = 0;
	d->arch.extra = d->n_ioports ? ARCH_EXTRA_IO : 0;
}

/* entry.S: loads @flush_cr3 (flushing its PCID), then @kernel_cr3, from the entry window. */
void arch_pcid_flush(uint64_t flush_cr3, uint64_t kernel_cr3);

void arch_as_flush(const struct domain *d)
{
	if (arch_cpu_pcid) /* without PCIDs, every switch to a domain writes CR3 and flushes */
		arch_pcid_flush(d->arch.user_cr3 & ~CR3_NOFLUSH, percpu0.kernel_cr3);
}

/* The domain whose FPU, address space and I/O bitmap the CPU holds. */
static struct domain *loaded;

/*
 * Saves @prev's ds/es/fs/gs and loads @next's: the selectors a domain loads
 * would otherwise be read by the next one (a channel between domains that
 * share nothing). Loading a selector sets the base to 0 (every descriptor a
 * domain may load has base 0; a null selector on Intel too): switch_in_extra
 * then loads the FS base a domain set with BH_HC_SET_FSBASE. A domain cannot
 * set the GS base (CR4.FSGSBASE is off). %gs is loaded between two swapgs so
 * the kernel's own %gs base stays. See docs/decisions.md.
 */
static inline void switch_selectors(struct domain *prev, const struct domain *next)
{
	if (prev)
		__asm__ volatile("mov %%ds, %0\n\tmov %%es, %1\n\tmov %%fs, %2\n\tmov %%gs, %3"
		                 : "=m"(prev->arch.sel[0]), "=m"(prev->arch.sel[1]),
		                   "=m"(prev->arch.sel[2]), "=m"(prev->arch.sel[3]));
	__asm__ volatile("mov %0, %%ds\n\tmov %1, %%es\n\tmov %2, %%fs\n\t"
	                 "swapgs\n\tmov %3, %%gs\n\tswapgs"
	                 :
	                 : "m"(next->arch.sel[0]), "m"(next->arch.sel[1]), "m"(next->arch.sel[2]),
	                   "m"(next->arch.sel[3])
	                 : "memory");
}

/*
 * The FS base. A selector load (switch_selectors) sets it to 0 on Intel, but
 * a null selector leaves it on AMD. So a domain with a base (ARCH_EXTRA_FS)
 * clears it when it leaves and writes its own after the selectors when it
 * comes (as Linux does without FSGSBASE): the CPU never holds another
 * domain's base, and a switch between two domains without one (the
 * ping-pong) does nothing more than the test of `extra` it always made.
 */
void arch_set_fsbase(struct domain *d, uint64_t v)
{
	d->arch.fs_base = v;
	d->arch.extra = (uint8_t)((d->arch.extra & ~ARCH_EXTRA_FS) | (v ? ARCH_EXTRA_FS : 0));
	wrmsr(MSR_FS_BASE, v);
}

/* What @d's leaving adds to a switch: its I/O ports closed, its FS base cleared. */
static __attribute__((noinline)) void switch_out_extra(const struct domain *d)
{
	if (d->n_ioports)
		io_bitmap(d, 0);
	if (d->arch.extra & ARCH_EXTRA_FS)
		wrmsr(MSR_FS_BASE, 0);
}

/* What @d's coming adds (after its selectors): its I/O ports open, its FS base. */
static __attribute__((noinline)) void switch_in_extra(const struct domain *d)
{
	if (d->n_ioports)
		io_bitmap(d, 1);
	if (d->arch.extra & ARCH_EXTRA_FS)
		wrmsr(MSR_FS_BASE, d->arch.fs_base);
}

/* Refills the return stack buffer with 32 entries that point at a trap (see thunk.S). */
static inline void rsb_fill(void)
{
	__asm__ volatile(".rept 32\n\tcall 1f\n\tint3\n1:\n\t.endr\n\t"
	                 "add $256, %%rsp"
	                 :
	                 :
	                 : "memory", "cc");
}

/* The KPTI work of a switch: the next domain's page tables; clear what the window shows. */
static inline void switch_kpti(const struct domain *next)
{
	static uint64_t nmis_cleared;
	percpu0.user_cr3 = next->arch.user_cr3;
	percpu0.user_rsp = 0; /* the last domain's stack pointer */
	uint64_t nmis = __atomic_load_n(&arch_nmi_count, __ATOMIC_RELAXED);
	if (nmis != nmis_cleared) {
		nmis_cleared = nmis;
		memset((uint8_t *)arch_ist_tops[1] - 64, 0, 64); /* a domain's rip, rsp, rflags */
	}
}

/* The speculation work of a switch (docs/kernel.md, "Speculation"). */
static inline void switch_mitigations(const struct domain *prev, const struct domain *next)
{
	uint64_t f = arch_mitig_flags;
	if (f & MIT_IBPB)
		spec_ibpb();
	if (f & MIT_RSB)
		rsb_fill();
	if ((f & MIT_SSBD) && (!prev || prev->ssbd != next->ssbd))
		spec_set_ssbd(next->ssbd);
	if (f & MIT_KPTI)
		switch_kpti(next);
}

void arch_switch(struct domain *next)
{
	struct domain *prev = loaded;
	if (prev == next)
		return;
	loaded = next;
	if (prev) {
		__asm__ volatile("fxsave64 %0" : "=m"(prev->fpu));
		if (prev->arch.extra)
			switch_out_extra(prev);
	}
	switch_selectors(prev, next);
	if (arch_mitig_flags & MIT_FPU_SCRUB)
		spec_fpu_scrub();
	if (arch_mitig_flags & ~(uint64_t)MIT_FPU_SCRUB)
		switch_mitigations(prev, next);
	__asm__ volatile("fxrstor64 %0" : : "m"(next->fpu));
	if (next->arch.extra)
		switch_in_extra(next);
	if (!(arch_mitig_flags & MIT_KPTI))
		write_cr3(next->as.v);
	uint64_t top = (uint64_t)(&next->regs + 1);
	percpu0.frame_top = top;
	gdt_set_rsp0(top);
}

void arch_idle(void)
{
	__asm__ volatile("sti; hlt; cli" ::: "memory");
}

void arch_halt(unsigned code)
{
	outb(0xf4, (uint8_t)code); /* isa-debug-exit under QEMU; ignored elsewhere */
	for (;;)
		__asm__ volatile("cli; hlt");
}
