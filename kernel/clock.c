/* Wall clock: decode the RTC's registers and turn a date into Unix seconds. */
#include <kernel/clock.h>

uint64_t clock_boot_unix, clock_boot_tsc;

/* A BCD byte's value, or 0xff if a digit is not decimal. */
static uint32_t from_bcd(uint8_t v)
{
	uint32_t hi = v >> 4, lo = v & 0xfu;
	return hi > 9 || lo > 9 ? 0xffu : hi * 10 + lo;
}

static uint32_t field(uint8_t v, bool binary)
{
	return binary ? v : from_bcd(v);
}

/* The hour in 0..23 from the hour register, or 0xff if it is not one. */
static uint32_t hour_of(uint8_t v, uint8_t status_b)
{
	bool binary = (status_b & CLOCK_CMOS_BINARY) != 0;
	if (status_b & CLOCK_CMOS_24H)
		return field(v, binary);
	uint32_t h = field((uint8_t)(v & 0x7fu), binary);
	if (h < 1 || h > 12)
		return 0xffu;
	return (h % 12) + ((v & 0x80u) ? 12 : 0);
}

bool clock_from_cmos(const struct clock_cmos *raw, struct clock_date *out)
{
	bool binary = (raw->status_b & CLOCK_CMOS_BINARY) != 0;
	uint32_t yy = field(raw->year, binary);
	out->second = field(raw->second, binary);
	out->minute = field(raw->minute, binary);
	out->hour = hour_of(raw->hour, raw->status_b);
	out->day = field(raw->day, binary);
	out->month = field(raw->month, binary);
	out->year = yy < 70 ? 2000 + yy : 1900 + yy;
	return yy < 100 && out->second < 60 && out->minute < 60 && out->hour < 24 &&
	       out->day >= 1 && out->day <= 31 && out->month >= 1 && out->month <= 12;
}

static bool leap(uint32_t y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

/* Leap years in 1 .. @y. */
static uint64_t leaps_through(uint32_t y)
{
	return y / 4 - y / 100 + y / 400;
}

static uint32_t month_days(uint32_t y, uint32_t m)
{
	static const uint8_t days[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	return days[m - 1] + (m == 2 && leap(y) ? 1u : 0u);
}

uint64_t clock_unix(const struct clock_date *t)
{
	static const uint16_t before[12] = {0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334};
	if (t->year < 1970 || t->year > 9999 || t->month < 1 || t->month > 12 || t->day < 1 ||
	    t->day > month_days(t->year, t->month) || t->hour > 23 || t->minute > 59 ||
	    t->second > 59)
		return 0;
	uint64_t days =
		365ull * (t->year - 1970) + leaps_through(t->year - 1) - leaps_through(1969);
	days += before[t->month - 1] + (t->month > 2 && leap(t->year) ? 1u : 0u) + t->day - 1;
	return days * 86400 + t->hour * 3600ull + t->minute * 60ull + t->second;
}
