/* x86_64 IDT: a gate for each of the 256 vectors, pointing at entry.S's stubs. */
#include <stdint.h>

#include <arch_regs.h>
#include <x86.h>

struct gate {
	uint16_t off0, sel;
	uint8_t ist, type;
	uint16_t off1;
	uint32_t off2, zero;
} __attribute__((packed));

/* In the entry window: the CPU reads it on every interrupt, on any page tables. */
static struct gate idt[256] __attribute__((aligned(4096), section(".entry.data")));
extern char arch_trap_stubs[];

#define STUB_SIZE 16
#define VEC_NMI 2
#define VEC_DF 8
#define VEC_MC 18

static void set_gate(unsigned vec, uint8_t ist)
{
	uint64_t off = (uint64_t)arch_trap_stubs + (uint64_t)vec * STUB_SIZE;
	idt[vec] = (struct gate){
		.off0 = (uint16_t)off,
		.sel = SEL_KCODE,
		.ist = ist,
		.type = 0x8e, /* present, DPL 0 (int n from ring 3 is a #GP), IF cleared */
		.off1 = (uint16_t)(off >> 16),
		.off2 = (uint32_t)(off >> 32),
	};
}

/**
 * Fills and loads the IDT: every vector has a handler, so a stray interrupt is
 * counted, never fatal; NMI, double fault and machine check get IST stacks.
 * Needs: boot, gdt_init done (the TSS holds the IST pointers).
 */
void idt_init(void)
{
	for (unsigned v = 0; v < 256; v++)
		set_gate(v, 0);
	set_gate(VEC_DF, 1);
	set_gate(VEC_NMI, 2);
	set_gate(VEC_MC, 3);
	struct {
		uint16_t limit;
		uint64_t base;
	} __attribute__((packed)) ptr = {sizeof(idt) - 1, (uint64_t)idt};
	__asm__ volatile("lidt %0" : : "m"(ptr));
}
