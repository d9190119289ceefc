/* x86_64 CMOS real-time clock: one consistent read of the date at boot. */
#include <kernel/arch.h>
#include <kernel/clock.h>
#include <x86.h>

#define CMOS_INDEX 0x70
#define CMOS_DATA 0x71
#define CMOS_NMI_OFF 0x80u /* keep NMIs off while an index is selected */
#define STATUS_A_UIP 0x80u /* an update is in progress: the registers may be torn */
#define TRIES 1000000u

static uint8_t cmos(uint8_t reg)
{
	outb(CMOS_INDEX, (uint8_t)(CMOS_NMI_OFF | reg));
	return inb(CMOS_DATA);
}

/* Waits out an update in progress (bounded); false if it never ends. */
static bool wait_no_update(void)
{
	for (uint32_t i = 0; i < TRIES; i++)
		if (!(cmos(0x0a) & STATUS_A_UIP))
			return true;
	return false;
}

static bool read_once(struct clock_cmos *r)
{
	if (!wait_no_update())
		return false;
	r->second = cmos(0x00);
	r->minute = cmos(0x02);
	r->hour = cmos(0x04);
	r->day = cmos(0x07);
	r->month = cmos(0x08);
	r->year = cmos(0x09);
	r->status_b = cmos(0x0b);
	return true;
}

static bool same(const struct clock_cmos *a, const struct clock_cmos *b)
{
	return a->second == b->second && a->minute == b->minute && a->hour == b->hour &&
	       a->day == b->day && a->month == b->month && a->year == b->year &&
	       a->status_b == b->status_b;
}

bool arch_rtc_read(struct clock_date *out)
{
	struct clock_cmos a, b;
	if (!read_once(&a))
		return false;
	for (uint32_t i = 0; i < 8; i++) { /* two equal reads in a row: not torn by an update */
		if (!read_once(&b))
			return false;
		if (same(&a, &b))
			return clock_from_cmos(&a, out);
		a = b;
	}
	return false;
}
