/* The Linux bench programs' probes: the TSC, idle time, context switches, interrupts. */
#define _GNU_SOURCE /* RUSAGE_THREAD */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "linux_probe.h"

/* Returns: the TSC (guest instructions under -icount while the CPU runs). */
uint64_t linux_probe_tsc(void)
{
	uint32_t lo, hi;

	__asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
	return ((uint64_t)hi << 32) | lo;
}

/* Returns the CPU's idle and iowait time in ns from /proc/timer_list (0 if unreadable). */
uint64_t linux_probe_idle_ns(void)
{
	static char text[256 * 1024];
	FILE *f = fopen("/proc/timer_list", "r");
	size_t n = f ? fread(text, 1, sizeof(text) - 1, f) : 0;
	uint64_t sum = 0;

	if (f)
		fclose(f);
	text[n] = '\0';
	for (char *p = strstr(text, "_sleeptime"); p; p = strstr(p, "_sleeptime")) {
		p += strlen("_sleeptime");
		p += strspn(p, " :");
		sum += strtoull(p, &p, 10);
	}
	return sum;
}

/* Returns: this thread's voluntary context switches so far (it blocked), or -1. */
long linux_probe_switches(void)
{
	struct rusage use;

	return getrusage(RUSAGE_THREAD, &use) == 0 ? use.ru_nvcsw : -1;
}

/* Returns the interrupts so far of the /proc/interrupts lines that contain @tag. */
uint64_t linux_probe_irqs(const char *tag)
{
	static char line[512];
	FILE *f = fopen("/proc/interrupts", "r");
	uint64_t sum = 0;

	while (f && fgets(line, sizeof(line), f)) {
		char *colon = strchr(line, ':');

		if (colon && strstr(line, tag))
			sum += strtoull(colon + 1, NULL, 10);
	}
	if (f)
		fclose(f);
	return sum;
}
