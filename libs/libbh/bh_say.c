/* libbh: bh_say and bh_vsay, one formatted line pushed to the console at once. */
#include <stdarg.h>
#include <stdio.h>

#include <bh.h>

/*
 * Alone in their object file on purpose: they pull newlib's vfprintf into a domain, and a
 * static library links an object only when something uses it. In bh_stdout.c (which every
 * domain links) bh_say made every image ~40 KiB bigger, and the kernel hashes every image at
 * boot: `bulkhead bench`'s boot row grew by 3.2 M cycles.
 */
void bh_vsay(const char *fmt, va_list ap)
{
	vprintf(fmt, ap);
	printf("\n");
	fflush(stdout);
	bh_flush();
}

void bh_say(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	bh_vsay(fmt, ap);
	va_end(ap);
}
