/* Boot-plan checker: validates an untrusted plan before the kernel uses it. */
#ifndef KERNEL_PLAN_H
#define KERNEL_PLAN_H

#include <stdbool.h>
#include <stddef.h>

#include <bulkhead/abi/plan.h>

/**
 * Checks the boot plan in @buf (@len bytes, as handed over by the loader):
 * magic, version, sizes, checksum, every table's bounds and alignment, every
 * index, names (NUL-terminated, printable ASCII without spaces, so a report
 * that quotes one stays one line), rights, alignment and overlap of maps, channel
 * ends, capability slots, I/O port ranges, scheduling parameters.
 * Needs: @buf readable for @len bytes, 8-byte aligned; @err has @errlen bytes.
 * Returns: true if the kernel may build the system from it; otherwise false
 * and a one-line reason in @err (no trailing newline) naming the record.
 */
bool plan_check(const void *buf, size_t len, char *err, size_t errlen);

/**
 * Returns a pointer to the first record of @t inside the checked plan @h.
 * Needs: plan_check() accepted the plan.
 */
static inline const void *plan_table(const struct bp_header *h, struct bp_table t)
{
	return (const char *)h + t.offset;
}

#endif
