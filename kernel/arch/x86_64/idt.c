/* x86_64 IDT: gates for the exception, timer and spurious stubs of entry.S. */
#include <stdint.h>

#include <arch_regs.h>
#include <x86.h>

struct gate {
	uint16_t off0, sel;
	uint8_t ist, type;
	uint16_t off1;
	uint32_t off2, zero;
} __attribute__((packed));

static struct gate idt[256] __attribute__((aligned(16)));
extern char arch_trap_stubs[];

#define STUB_SIZE 16
#define VEC_TIMER 32
#define STUB_SPURIOUS 33

static void set_gate(unsigned vec, unsigned stub, uint8_t ist)
{
	uint64_t off = (uint64_t)arch_trap_stubs + (uint64_t)stub * STUB_SIZE;
	idt[vec] = (struct gate){
		.off0 = (uint16_t)off,
		.sel = SEL_KCODE,
		.ist = ist,
		.type = 0x8e, /* present, DPL 0, interrupt gate: IF cleared */
		.off1 = (uint16_t)(off >> 16),
		.off2 = (uint32_t)(off >> 32),
	};
}

void idt_init(void)
{
	for (unsigned v = 0; v <= VEC_TIMER; v++)
		set_gate(v, v, 0);
	set_gate(2, 2, 2);   /* NMI on its own stack */
	set_gate(8, 8, 1);   /* double fault on its own stack */
	set_gate(18, 18, 2); /* machine check */
	set_gate(0xff, STUB_SPURIOUS, 0);
	struct {
		uint16_t limit;
		uint64_t base;
	} __attribute__((packed)) ptr = {sizeof(idt) - 1, (uint64_t)idt};
	__asm__ volatile("lidt %0" : : "m"(ptr));
}
