/* x86_64 instructions and registers the arch code uses. */
#ifndef ARCH_X86_H
#define ARCH_X86_H

#include <stdbool.h>
#include <stdint.h>

#define MSR_EFER 0xc0000080u
#define MSR_STAR 0xc0000081u
#define MSR_LSTAR 0xc0000082u
#define MSR_CSTAR 0xc0000083u
#define MSR_FMASK 0xc0000084u
#define MSR_FS_BASE 0xc0000100u
#define MSR_GS_BASE 0xc0000101u
#define MSR_KERNEL_GS_BASE 0xc0000102u
#define MSR_APIC_BASE 0x1bu

static inline void outb(uint16_t port, uint8_t v)
{
	__asm__ volatile("outb %0, %1" : : "a"(v), "Nd"(port));
}
static inline uint8_t inb(uint16_t port)
{
	uint8_t v;
	__asm__ volatile("inb %1, %0" : "=a"(v) : "Nd"(port));
	return v;
}
static inline void wrmsr(uint32_t msr, uint64_t v)
{
	__asm__ volatile("wrmsr" : : "c"(msr), "a"((uint32_t)v), "d"((uint32_t)(v >> 32)));
}
static inline uint64_t rdmsr(uint32_t msr)
{
	uint32_t lo, hi;
	__asm__ volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(msr));
	return ((uint64_t)hi << 32) | lo;
}
struct cpuid_regs {
	uint32_t a, b, c, d;
};
static inline struct cpuid_regs cpuid(uint32_t leaf, uint32_t sub)
{
	struct cpuid_regs r;
	__asm__ volatile("cpuid"
	                 : "=a"(r.a), "=b"(r.b), "=c"(r.c), "=d"(r.d)
	                 : "a"(leaf), "c"(sub));
	return r;
}
static inline uint64_t read_cr2(void)
{
	uint64_t v;
	__asm__ volatile("mov %%cr2, %0" : "=r"(v));
	return v;
}
static inline uint64_t read_cr4(void)
{
	uint64_t v;
	__asm__ volatile("mov %%cr4, %0" : "=r"(v));
	return v;
}
static inline void write_cr4(uint64_t v)
{
	__asm__ volatile("mov %0, %%cr4" : : "r"(v) : "memory");
}
static inline void write_cr3(uint64_t v)
{
	__asm__ volatile("mov %0, %%cr3" : : "r"(v) : "memory");
}
static inline uint64_t read_cr3(void)
{
	uint64_t v;
	__asm__ volatile("mov %%cr3, %0" : "=r"(v));
	return v;
}

/* The task state segment: entry stacks and the I/O permission bitmap (gdt.c). */
struct tss {
	uint32_t reserved0;
	uint64_t rsp[3];
	uint64_t reserved1;
	uint64_t ist[7];
	uint64_t reserved2;
	uint16_t reserved3;
	uint16_t iomap_base;
	uint8_t iomap[8192 + 1]; /* one bit per port; 1 = denied; final 0xff byte */
} __attribute__((packed));
extern struct tss gdt_tss;

/* Sets the stack the CPU switches to on an interrupt from ring 3. */
static inline void gdt_set_rsp0(uint64_t rsp0)
{
	gdt_tss.rsp[0] = rsp0;
}

/* Kernel-internal entry points shared between the arch files. */
struct arch_regs;
void gdt_init(void);
void gdt_io_allow(uint16_t base, uint16_t count, int allow);
void idt_init(void);
void paging_init(uint64_t max_phys);
void serial_init(void);
void apic_init(void);
void random_init(void);
void apic_eoi(void);
bool apic_in_service(uint64_t vector);
void pic_init(void);
bool pic_vector(uint64_t vector);

/* Where pic.c puts the legacy PICs' 16 vectors (all masked). */
#define PIC_VECTOR_BASE 0xe0u

/* Kernel virtual base of the direct map of physical memory. */
#define DIRECT_MAP_BASE 0xffff800000000000ull
#define KERNEL_VMA 0xffffffff80000000ull

#endif
