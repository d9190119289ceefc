/* Kernel log: kernel reports as whole lines, to the console service or COM1. */
#ifndef KERNEL_KLOG_H
#define KERNEL_KLOG_H

#include <stdint.h>

struct domain;

/**
 * Prints one report line (no newline in @fmt). Before the console service
 * runs, and when there is none, it goes straight to COM1; afterwards it goes
 * into the kernel log page and the console service is signalled, so kernel
 * reports never split a domain's line.
 */
void kprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Tells @reader that lines wait: sets @bits on it (channel_signal). */
typedef void (*klog_wake_fn)(struct domain *reader, uint64_t bits);

/**
 * Routes later reports through the log page at @page to @reader, waking it
 * with @wake(@reader, 1 << @bit) after each line. The caller passes the wake
 * function so that the log, which the scheduler and channels use, depends on
 * neither. Needs: boot time.
 */
void klog_attach(void *page, struct domain *reader, uint32_t bit, klog_wake_fn wake);

/**
 * Calls @fn at the start of every later kprintf, so that lines @fn prints
 * (with kprintf; it must not recurse) come out first. Needs: boot time.
 */
void klog_before_line(void (*fn)(void));

/** Sends later reports straight to COM1. Needs: called when the reader stops. */
void klog_detach(void);

/** Returns the domain that reads the kernel log, or NULL. */
struct domain *klog_reader(void);

#endif
