/* Wall clock: the RTC's date at boot as Unix seconds; pure arithmetic the host tests build. */
#ifndef KERNEL_CLOCK_H
#define KERNEL_CLOCK_H

#include <stdbool.h>
#include <stdint.h>

/* The CMOS RTC's registers as read: BCD or binary, 12 or 24 hour, as @status_b says. */
struct clock_cmos {
	uint8_t second, minute, hour, day, month, year; /* registers 0, 2, 4, 7, 8, 9 */
	uint8_t status_b;                               /* register 0x0b */
};

/* A calendar date and time of day (UTC). */
struct clock_date {
	uint32_t year, month, day, hour, minute, second;
};

/* Status register B: binary (not BCD) values; 24-hour (not 12-hour) hours. */
#define CLOCK_CMOS_BINARY 0x04u
#define CLOCK_CMOS_24H 0x02u

/* Wall-clock seconds since 1970 (UTC) read at boot, 0 if unknown, and the TSC then. */
extern uint64_t clock_boot_unix, clock_boot_tsc;

/**
 * Decodes the RTC registers @raw into @out: BCD or binary, 12-hour (bit 7 of
 * the hour = PM) or 24-hour, two-digit years as 1970..2069.
 * Returns: false if a field is out of range (the RTC is absent or mid-update).
 */
bool clock_from_cmos(const struct clock_cmos *raw, struct clock_date *out);

/**
 * Returns: seconds from 1970-01-01 00:00:00 UTC to @t (proleptic Gregorian,
 * no leap seconds), or 0 if @t is before 1970, after 9999 or not a date.
 */
uint64_t clock_unix(const struct clock_date *t);

#endif
