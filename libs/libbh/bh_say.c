/* libbh: bh_say, one formatted line pushed to the console at once (a file of its own). */
#include <stdarg.h>
#include <stdio.h>

#include <bh.h>

/*
 * Alone in its object file on purpose: it pulls newlib's vfprintf into a domain, and a
 * static library links an object only when something uses it. In bh_stdout.c (which every
 * domain links) it made every image ~40 KiB bigger, and the kernel hashes every image at
 * boot: `bulkhead bench`'s boot row grew by 3.2 M cycles.
 */
void bh_say(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
	bh_flush();
}
