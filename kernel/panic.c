/* Kernel panic: report straight to COM1 and stop the machine. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <kernel/arch.h>
#include <kernel/assert.h>

void panic(const char *fmt, ...)
{
	static char buf[1024];
	__asm__ volatile("cli");
	int n = snprintf(buf, sizeof(buf), "\nbulkhead: PANIC: ");
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf + n, sizeof(buf) - (size_t)n, fmt, ap);
	va_end(ap);
	size_t len = strlen(buf);
	arch_serial_write(buf, len);
	arch_serial_write("\n", 1);
	arch_halt(1);
}
