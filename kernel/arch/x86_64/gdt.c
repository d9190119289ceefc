/* x86_64 GDT and TSS: segments for sysret, kernel entry stack, I/O permission bitmap. */
#include <stdint.h>
#include <string.h>

#include <arch_regs.h>
#include <x86.h>

/* In the entry window: the CPU reads both on every kernel entry, on any page tables. */
struct tss gdt_tss __attribute__((aligned(64), section(".entry.data")));
static uint64_t gdt[8] __attribute__((aligned(16), section(".entry.data")));
extern const uint64_t arch_ist_tops[3]; /* entry.S: double fault, NMI, machine check */

static uint64_t seg(uint64_t access, uint64_t flags)
{
	return (access << 40) | (flags << 52);
}

void gdt_init(void)
{
	gdt[0] = 0;
	gdt[1] = seg(0x9a, 0x2); /* kernel code, L */
	gdt[2] = seg(0x92, 0x0); /* kernel data */
	/* user code 32 (sysret's layout needs the slot): flat, so that a domain that
	 * enters compatibility mode meets the CSTAR handler, which stops it */
	gdt[3] = 0xffff | (0xfull << 48) | seg(0xfa, 0xc);
	gdt[4] = seg(0xf2, 0x0); /* user data */
	gdt[5] = seg(0xfa, 0x2); /* user code, L */
	uint64_t base = (uint64_t)&gdt_tss, limit = sizeof(gdt_tss) - 1;
	gdt[6] = (limit & 0xffff) | ((base & 0xffffff) << 16) | (0x89ull << 40) |
	         (((limit >> 16) & 0xf) << 48) | (((base >> 24) & 0xff) << 56);
	gdt[7] = base >> 32;
	memset(gdt_tss.iomap, 0xff, sizeof(gdt_tss.iomap));
	gdt_tss.iomap_base = (uint16_t)offsetof(struct tss, iomap);
	for (int i = 0; i < 3; i++)
		gdt_tss.ist[i] = arch_ist_tops[i];
	struct {
		uint16_t limit;
		uint64_t base;
	} __attribute__((packed)) ptr = {sizeof(gdt) - 1, (uint64_t)gdt};
	__asm__ volatile("lgdt %0\n"
	                 "mov %1, %%ds\n mov %1, %%es\n mov %1, %%ss\n"
	                 "pushq %2\n lea 1f(%%rip), %%rax\n pushq %%rax\n lretq\n1:\n"
	                 "ltr %w3\n"
	                 "lldt %w4" /* a null LDT: the reset LDTR (base 0) is user memory */
	                 :
	                 : "m"(ptr), "r"(SEL_KDATA), "i"(SEL_KCODE), "r"(SEL_TSS), "r"(0)
	                 : "rax", "memory");
}

void gdt_io_allow(uint16_t base, uint16_t count, int allow)
{
	for (uint32_t p = base; p < (uint32_t)base + count; p++) {
		uint8_t bit = (uint8_t)(1u << (p & 7));
		if (allow)
			gdt_tss.iomap[p >> 3] &= (uint8_t)~bit;
		else
			gdt_tss.iomap[p >> 3] |= bit;
	}
}
