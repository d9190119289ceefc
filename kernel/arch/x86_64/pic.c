/* x86_64 legacy 8259 PICs: moved off the exception vectors and masked for good. */
#include <stdint.h>

#include <x86.h>

#define PIC1_CMD 0x20
#define PIC1_DATA 0x21
#define PIC2_CMD 0xa0
#define PIC2_DATA 0xa1

/*
 * The BIOS leaves the master PIC on vectors 8-15, the CPU's exception vectors:
 * a timer interrupt through it would look like a double fault. Reinitialise
 * both PICs onto PIC_VECTOR_BASE..+15 (vectors no exception and no LAPIC
 * source uses), then mask every line. The LAPIC's LINT0 is masked as well
 * (apic.c), so nothing the PICs do reaches the CPU.
 */
void pic_init(void)
{
	outb(PIC1_CMD, 0x11); /* ICW1: edge, cascade, ICW4 follows */
	outb(PIC2_CMD, 0x11);
	outb(PIC1_DATA, PIC_VECTOR_BASE);
	outb(PIC2_DATA, PIC_VECTOR_BASE + 8);
	outb(PIC1_DATA, 0x04); /* ICW3: slave on IRQ2 */
	outb(PIC2_DATA, 0x02);
	outb(PIC1_DATA, 0x01); /* ICW4: 8086 mode, normal EOI */
	outb(PIC2_DATA, 0x01);
	outb(PIC1_DATA, 0xff); /* mask everything */
	outb(PIC2_DATA, 0xff);
}

bool pic_vector(uint64_t vector)
{
	return vector >= PIC_VECTOR_BASE && vector < PIC_VECTOR_BASE + 16;
}
