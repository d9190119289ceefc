/* Host tests: RTC register decoding (BCD, binary, 12/24 h) and dates to Unix seconds. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

/* cmocka needs the headers above first. */
#include <cmocka.h>

#include <kernel/clock.h>

static uint64_t unix_of(uint32_t y, uint32_t mo, uint32_t d, uint32_t h, uint32_t mi, uint32_t s)
{
	struct clock_date t = {y, mo, d, h, mi, s};
	return clock_unix(&t);
}

/* Values `date -u -d ... +%s` gives. */
static void known_dates(void **state)
{
	(void)state;
	assert_int_equal(unix_of(1970, 1, 1, 0, 0, 0), 0);
	assert_int_equal(unix_of(1970, 1, 2, 0, 0, 1), 86401);
	assert_int_equal(unix_of(2000, 2, 29, 12, 0, 0), 951825600);
	assert_int_equal(unix_of(2000, 3, 1, 0, 0, 0), 951868800);
	assert_int_equal(unix_of(2026, 11, 28, 2, 15, 32), 1795832132);
	assert_int_equal(unix_of(2038, 1, 19, 3, 14, 8), 2147483648ull);
	assert_int_equal(unix_of(2100, 3, 1, 0, 0, 0), 4107542400ull);
	assert_int_equal(unix_of(1999, 12, 31, 23, 59, 59), 946684799);
}

static void bad_dates(void **state)
{
	(void)state;
	assert_int_equal(unix_of(1969, 12, 31, 23, 59, 59), 0);
	assert_int_equal(unix_of(2001, 2, 29, 0, 0, 0), 0); /* not a leap year */
	assert_int_equal(unix_of(2100, 2, 29, 0, 0, 0), 0); /* nor is 2100 */
	assert_int_equal(unix_of(2024, 13, 1, 0, 0, 0), 0);
	assert_int_equal(unix_of(2024, 4, 31, 0, 0, 0), 0);
	assert_int_equal(unix_of(2024, 1, 1, 24, 0, 0), 0);
	assert_int_equal(unix_of(2024, 1, 0, 0, 0, 0), 0);
	assert_int_not_equal(unix_of(2024, 2, 29, 0, 0, 0), 0);
}

static void bcd_24h(void **state)
{
	(void)state;
	struct clock_cmos raw = {0x32, 0x15, 0x23, 0x28, 0x11, 0x26, CLOCK_CMOS_24H};
	struct clock_date t;
	assert_true(clock_from_cmos(&raw, &t));
	assert_int_equal(t.year, 2026);
	assert_int_equal(t.month, 11);
	assert_int_equal(t.day, 28);
	assert_int_equal(t.hour, 23);
	assert_int_equal(t.minute, 15);
	assert_int_equal(t.second, 32);
}

static void binary_12h(void **state)
{
	(void)state;
	struct clock_cmos raw = {59, 7, 0x80 | 11, 1, 1, 99, CLOCK_CMOS_BINARY};
	struct clock_date t;
	assert_true(clock_from_cmos(&raw, &t));
	assert_int_equal(t.year, 1999);
	assert_int_equal(t.hour, 23); /* 11 PM */
	raw.hour = 12;                /* 12 AM: midnight */
	assert_true(clock_from_cmos(&raw, &t));
	assert_int_equal(t.hour, 0);
	raw.hour = 0x80 | 12; /* 12 PM: noon */
	assert_true(clock_from_cmos(&raw, &t));
	assert_int_equal(t.hour, 12);
	raw.hour = 0x12; /* BCD 12 in a 12-hour, BCD clock */
	raw.status_b = 0;
	raw.second = 0x59;
	raw.minute = 0x07;
	raw.year = 0x99;
	raw.day = 0x01;
	raw.month = 0x01;
	assert_true(clock_from_cmos(&raw, &t));
	assert_int_equal(t.hour, 0);
}

/* Garbage from an absent RTC (0xff everywhere) or a torn read is refused, never a date. */
static void garbage(void **state)
{
	(void)state;
	struct clock_cmos raw = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
	struct clock_date t;
	assert_false(clock_from_cmos(&raw, &t));
	raw = (struct clock_cmos){0x5a, 0x10, 0x10, 0x01, 0x01, 0x24, CLOCK_CMOS_24H};
	assert_false(clock_from_cmos(&raw, &t)); /* 0x5a is no BCD number */
	raw = (struct clock_cmos){0, 0, 0x13, 1, 1, 0x24, 0};
	assert_false(clock_from_cmos(&raw, &t)); /* hour 13 in 12-hour mode */
	raw = (struct clock_cmos){0, 0, 0, 1, 0x13, 0x24, CLOCK_CMOS_24H};
	assert_false(clock_from_cmos(&raw, &t)); /* month 13 */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(known_dates), cmocka_unit_test(bad_dates),
		cmocka_unit_test(bcd_24h),     cmocka_unit_test(binary_12h),
		cmocka_unit_test(garbage),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
