/* x86_64 domain switch: FPU, address space, I/O bitmap, entry stack; entering ring 3. */
#include <stdint.h>
#include <string.h>

#include <arch_regs.h>
#include <kernel/arch.h>
#include <kernel/domain.h>
#include <x86.h>

struct percpu percpu0;

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
}

/* The domain whose FPU, address space and I/O bitmap the CPU holds. */
static struct domain *loaded;

void arch_switch(struct domain *next)
{
	struct domain *prev = loaded;
	if (prev == next)
		return;
	loaded = next;
	if (prev) {
		__asm__ volatile("fxsave64 %0" : "=m"(prev->fpu));
		if (prev->n_ioports)
			io_bitmap(prev, 0);
	}
	__asm__ volatile("fxrstor64 %0" : : "m"(next->fpu));
	if (next->n_ioports)
		io_bitmap(next, 1);
	write_cr3(next->as.v);
	uint64_t top = (uint64_t)(&next->regs + 1);
	percpu0.frame_top = top;
	gdt_set_rsp0(top);
}

void arch_return_to_user(struct domain *d)
{
	arch_enter_user(&d->regs);
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
