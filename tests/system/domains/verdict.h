/* System-test verdict lines: `TEST name PASS|FAIL detail`, flushed at once. */
#ifndef TESTS_VERDICT_H
#define TESTS_VERDICT_H

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>

#include <bh.h>

/*
 * Prints `TEST @name PASS detail` or `TEST @name FAIL detail` (the console adds the
 * domain's name in front) and pushes it to the console ring before returning, so that
 * a domain about to fault or spin still gets its verdict out.
 */
__attribute__((format(printf, 3, 4))) static inline void verdict(const char *name, bool pass,
                                                                 const char *fmt, ...)
{
	va_list ap;

	printf("TEST %s %s ", name, pass ? "PASS" : "FAIL");
	va_start(ap, fmt);
	bh_vsay(fmt, ap);
	va_end(ap);
}

/* Prints a progress or diagnostic line and pushes it out at once. */
__attribute__((format(printf, 1, 2))) static inline void say(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	fflush(stdout);
	bh_flush();
}

#endif
