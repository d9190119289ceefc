/* x86_64 local APIC: the one-shot scheduler timer, calibrated against the PIT and the TSC. */
#include <stdint.h>

#include <kernel/arch.h>
#include <kernel/budget.h>
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
#define LAPIC_DIV_1 0xb
#define LAPIC_MAX_COUNT 0xffffffffu
#define VEC_TIMER 32
#define PIT_HZ 1193182u
#define CALIBRATE_US 250u

static volatile uint32_t *lapic;
uint64_t arch_cycles_per_us = 1000;
static uint64_t ticks_per_cycle_q32 = 1ull << 32; /* LAPIC timer ticks per TSC cycle, x 2^32 */

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
	lapic_write(LAPIC_SVR, 0x1ff);            /* enabled, spurious vector 0xff */
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

/* Reads PIT channel 2's count (it counts down at PIT_HZ). */
static uint16_t pit_count(void)
{
	outb(0x43, 0x80); /* latch channel 2 */
	uint8_t lo = inb(0x42);
	return (uint16_t)(lo | inb(0x42) << 8);
}

/* A reading of the three clocks, each bracketed by TSC reads: its TSC is the middle. */
struct clocks {
	uint64_t tsc_pit, tsc_lapic;
	uint16_t pit;
	uint32_t lapic;
};

static uint64_t middle(uint64_t before)
{
	return before + (arch_cycles() - before) / 2;
}

static void read_clocks(struct clocks *c)
{
	uint64_t t = arch_cycles();
	c->pit = pit_count();
	c->tsc_pit = middle(t);
	t = arch_cycles();
	c->lapic = lapic_read(LAPIC_TIMER_CUR);
	c->tsc_lapic = middle(t);
}

/*
 * Lets PIT channel 2 and the LAPIC timer count down for CALIBRATE_US (short:
 * under -icount it costs boot cycles) and reads both against the TSC at the
 * start and the end. The error is the time one read takes, not a polling step.
 */
static void calibrate(struct clocks *start, struct clocks *end)
{
	uint16_t span = (uint16_t)(PIT_HZ * CALIBRATE_US / 1000000u);
	outb(0x61, (uint8_t)((inb(0x61) & ~0x02) | 0x01)); /* gate on, speaker off */
	outb(0x43, 0xb0);                                  /* channel 2, mode 0 */
	outb(0x42, 0xff);
	outb(0x42, 0xff);
	lapic_write(LAPIC_TIMER_DIV, LAPIC_DIV_1);
	lapic_write(LAPIC_TIMER_INIT, LAPIC_MAX_COUNT);
	read_clocks(start);
	while ((uint16_t)(start->pit - pit_count()) < span)
		;
	read_clocks(end);
	lapic_write(LAPIC_TIMER_INIT, 0);
}

void arch_timer_init(void)
{
	struct clocks a, b;
	calibrate(&a, &b);
	uint64_t pit_ticks = (uint16_t)(a.pit - b.pit);
	uint64_t cycles = b.tsc_pit - a.tsc_pit;
	uint64_t lapic_cycles = b.tsc_lapic - a.tsc_lapic, lapic_ticks = a.lapic - b.lapic;
	arch_cycles_per_us = pit_ticks ? cycles * PIT_HZ / (pit_ticks * 1000000u) : 0;
	if (!arch_cycles_per_us)
		arch_cycles_per_us = 1;
	if (lapic_cycles && lapic_ticks)
		ticks_per_cycle_q32 = (lapic_ticks << 32) / lapic_cycles;
	lapic_write(LAPIC_LVT_TIMER, VEC_TIMER); /* one-shot mode, unmasked */
}

void arch_timer_set(uint64_t deadline)
{
	uint64_t now = arch_cycles();
	uint64_t ticks =
		budget_scale(budget_sub(deadline, now), ticks_per_cycle_q32, LAPIC_MAX_COUNT);
	lapic_write(LAPIC_TIMER_INIT, ticks ? (uint32_t)ticks : 1u); /* 0 would stop it */
}
