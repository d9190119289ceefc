/* The Linux bench programs' probes (blkbench, netbench): what tells guest work from waiting. */
#ifndef LINUX_PROBE_H
#define LINUX_PROBE_H

#include <stdint.h>

/* Returns: the TSC; under -icount shift=0 it counts guest instructions while the CPU runs. */
uint64_t linux_probe_tsc(void);

/* Returns: the CPU's idle and iowait time in ns from /proc/timer_list (0 if unreadable). */
uint64_t linux_probe_idle_ns(void);

/* Returns: this thread's voluntary context switches so far (it blocked), or -1. */
long linux_probe_switches(void);

/* Returns: the interrupts so far of the /proc/interrupts lines that contain @tag. */
uint64_t linux_probe_irqs(const char *tag);

#endif
