/* Kernel basic types: distinct physical and virtual address types. */
#ifndef KERNEL_TYPES_H
#define KERNEL_TYPES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Physical and virtual addresses are structs so that the compiler catches a
 * mix-up; pa()/va() build them, .v reads them. */
typedef struct {
	uint64_t v;
} paddr_t;
typedef struct {
	uint64_t v;
} vaddr_t;

static inline paddr_t pa(uint64_t v)
{
	return (paddr_t){v};
}
static inline vaddr_t va(uint64_t v)
{
	return (vaddr_t){v};
}

#define PAGE_SIZE 4096ull
#define PAGE_MASK (PAGE_SIZE - 1)

static inline uint64_t page_round_up(uint64_t x)
{
	return (x + PAGE_MASK) & ~PAGE_MASK;
}

#endif
