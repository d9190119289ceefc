/* Kernel log reader for the console: the read-only page the kernel appends lines to. */
#ifndef CONSOLE_KLOG_H
#define CONSOLE_KLOG_H

#include <stdbool.h>
#include <stdint.h>

#include <bh.h>

/**
 * Attaches to the kernel log page described by @e (a BH_RES_KLOG entry).
 * Needs: @e from this domain's start-info page. Returns: false if @e does not
 * describe a whole readable page (then there is no kernel log to print).
 */
bool klog_open(const struct bh_info_entry *e);

/*
 * Called just before a kernel line is printed, with the line's sanitized text (no '\n',
 * not NUL-terminated), so that the caller can first print what came before it.
 */
typedef void (*klog_before_fn)(const char *text, uint32_t len);

/**
 * Prints the kernel's new lines verbatim (sanitized), at most one buffer's worth, calling
 * @before (if not NULL) before each one. @before runs after the line was read from the
 * page, so whatever a domain published before the kernel wrote the line is there to see.
 * Needs: klog_open() succeeded. Returns: true if more bytes may be waiting.
 */
bool klog_drain(klog_before_fn before);

/**
 * Returns: true if the kernel wrote bytes this reader has not printed yet.
 */
bool klog_pending(void);

#endif
