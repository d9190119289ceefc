/* x86_64 local APIC: the periodic scheduler tick, calibrated against the PIT. */
#include <stdint.h>

#include <kernel/arch.h>
#include <x86.h>

#define LAPIC_TPR 0x80
#define LAPIC_EOI 0xb0
#define LAPIC_SVR 0xf0
#define LAPIC_ISR 0x100
#define LAPIC_LVT_TIMER 0x320
#define LAPIC_LVT_LINT0 0x350
#define LVT_MASKED (1u << 16)
#define LAPIC_TIMER_INIT 0x380
#define LAPIC_TIMER_CUR 0x390
#define LAPIC_TIMER_DIV 0x3e0
#define VEC_TIMER 32
#define PIT_HZ 1193182u
#define CALIBRATE_US 250u

static volatile uint32_t *lapic;
uint64_t arch_cycles_per_us = 1000;

static void lapic_write(uint32_t reg, uint32_t v)
{
	lapic[reg / 4] = v;
}

static uint32_t lapic_read(uint32_t reg)
{
	return lapic[reg / 4];
}

void apic_init(void)
{
	uint64_t base = rdmsr(MSR_APIC_BASE);
	wrmsr(MSR_APIC_BASE, base | 0x800); /* global enable (xAPIC mode) */
	lapic = arch_phys_to_virt(pa(base & 0xfffff000ull));
	lapic_write(LAPIC_TPR, 0);
	lapic_write(LAPIC_SVR, 0x1ff); /* enabled, spurious vector 0xff */
	lapic_write(LAPIC_LVT_LINT0, LVT_MASKED); /* the legacy PICs' ExtINT line */
}

bool apic_in_service(uint64_t vector)
{
	if (vector < 16 || vector > 255)
		return false;
	uint32_t isr = lapic_read(LAPIC_ISR + (uint32_t)(vector / 32) * 0x10);
	return (isr >> (vector % 32)) & 1;
}

void apic_eoi(void)
{
	lapic_write(LAPIC_EOI, 0);
}

/* Runs the PIT for CALIBRATE_US (short: under -icount it costs cycles); returns the LAPIC ticks and cycles seen. */
static void calibrate(uint64_t *apic_ticks, uint64_t *cycles)
{
	uint16_t count = (uint16_t)(PIT_HZ * CALIBRATE_US / 1000000u);
	outb(0x61, (uint8_t)((inb(0x61) & ~0x02) | 0x01)); /* gate on, speaker off */
	outb(0x43, 0xb0);                                  /* channel 2, mode 0 */
	outb(0x42, (uint8_t)count);
	outb(0x42, (uint8_t)(count >> 8));
	uint8_t v = inb(0x61) & (uint8_t)~1;
	outb(0x61, v);
	outb(0x61, v | 1);                 /* restart the count */
	lapic_write(LAPIC_TIMER_DIV, 0xb); /* divide by 1 */
	lapic_write(LAPIC_TIMER_INIT, 0xffffffffu);
	uint64_t t0 = arch_cycles();
	while (!(inb(0x61) & 0x20))
		;
	*cycles = arch_cycles() - t0;
	*apic_ticks = 0xffffffffu - lapic_read(LAPIC_TIMER_CUR);
	lapic_write(LAPIC_TIMER_INIT, 0);
}

void arch_timer_start(uint64_t period_us)
{
	uint64_t ticks, cycles;
	calibrate(&ticks, &cycles);
	arch_cycles_per_us = cycles / CALIBRATE_US;
	if (!arch_cycles_per_us)
		arch_cycles_per_us = 1;
	uint64_t per_period = ticks * period_us / CALIBRATE_US;
	lapic_write(LAPIC_TIMER_DIV, 0xb);
	lapic_write(LAPIC_LVT_TIMER, VEC_TIMER | (1u << 17)); /* periodic */
	lapic_write(LAPIC_TIMER_INIT, (uint32_t)(per_period ? per_period : 1));
}
