/* Boot-time physical page allocator; sealed once the system is built. */
#ifndef KERNEL_PALLOC_H
#define KERNEL_PALLOC_H

#include <kernel/types.h>

/**
 * Adds the free physical range [@base, @base+@len) to the allocator.
 * Needs: boot time, the range free RAM. Returns: nothing.
 */
void palloc_add_range(paddr_t base, uint64_t len);

/**
 * Removes [@base, @base+@len) from every free range (kernel image, modules).
 * Needs: boot time, before any allocation.
 */
void palloc_reserve(paddr_t base, uint64_t len);

/**
 * Allocates @npages contiguous zeroed pages.
 * Needs: not sealed (allocation after boot is a kernel bug: CHECK).
 * Returns: the physical address, or pa(0) if memory ran out.
 */
paddr_t palloc_pages(uint64_t npages);

/** Forbids any later allocation: after boot the kernel allocates nothing. */
void palloc_seal(void);

/** Returns the bytes still free. */
uint64_t palloc_free_bytes(void);

#endif
