/* ABI virtual address layout of every domain (the user half of x86_64). */
#ifndef BULKHEAD_ABI_LAYOUT_H
#define BULKHEAD_ABI_LAYOUT_H

#include <stdint.h>

#define BH_PAGE_SIZE 0x1000ull

/* The user half ends here; every domain mapping lies below it. */
#define BH_USER_TOP 0x0000800000000000ull

/*
 * Mappings end here: the top page of the user half is never mapped. A syscall
 * in the last bytes below 0x800000000000 would leave a non-canonical return
 * address, which sysret turns into a fault in ring 0 on Intel CPUs (the
 * CVE-2012-0217 class).
 */
#define BH_USER_MAP_END 0x00007ffffffff000ull

/*
 * [0, BH_LOW_RESERVED_END) belongs to the system: the start-info page, the
 * program image and the heap. Manifest maps may not overlap it.
 */
#define BH_INFO_VADDR 0x0000000000100000ull /* one read-only page */
#define BH_IMAGE_BASE 0x0000000000400000ull /* ELF segments start here */
#define BH_IMAGE_END 0x0000000010000000ull  /* ... and end before here */
#define BH_HEAP_VADDR 0x0000000010000000ull /* heap of the manifest's size */
#define BH_HEAP_MAX 0x0000000030000000ull   /* largest heap (768 MiB) */
#define BH_LOW_RESERVED_END 0x0000000040000000ull

/* Rings and the kernel log are placed by the manifest compiler here. */
#define BH_RING_BASE 0x0000600000000000ull
#define BH_RING_END 0x0000610000000000ull

/*
 * Device windows: the kernel maps a granted PCI function's memory BARs here,
 * uncached, in a window of BH_DEVICE_WINDOW bytes per device that the manifest
 * compiler assigns. BH_HC_DEVICE_BAR tells where each BAR landed.
 */
#define BH_DEVICE_BASE 0x0000610000000000ull
#define BH_DEVICE_END 0x0000620000000000ull
#define BH_DEVICE_WINDOW 0x0000000040000000ull /* 1 GiB */

/*
 * A DMA map (I/O virtual address = its vaddr) must end at or below this: 39
 * bits, the narrowest address width of the IOMMUs the kernel drives (QEMU's
 * intel-iommu default). The kernel checks the unit's real width again.
 */
#define BH_DMA_LIMIT 0x0000008000000000ull

/* The stack grows down from BH_STACK_TOP; a guard page lies below it. */
#define BH_STACK_TOP 0x00007fff00000000ull
#define BH_STACK_MAX 0x0000000040000000ull /* largest stack (1 GiB) */
#define BH_STACK_AREA (BH_STACK_TOP - BH_STACK_MAX - BH_PAGE_SIZE)

/* A part of every address space [start, end) that no manifest map may overlap. */
struct bh_reserved_area {
	uint64_t start, end;
	const char *name;  /* for messages: "the stack area" */
	const char *holds; /* what lies there, for a longer message */
};

/*
 * The reserved areas, in address order; the kernel's plan checker and the
 * manifest compiler refuse a map that overlaps one. Only rings and the kernel
 * log go into the ring area, and the compiler places them there itself.
 */
static const struct bh_reserved_area bh_reserved_areas[] = {
	{0, BH_LOW_RESERVED_END, "the reserved low area", "start-info page, image and heap"},
	{BH_RING_BASE, BH_RING_END, "the ring area", "where the compiler places rings"},
	{BH_DEVICE_BASE, BH_DEVICE_END, "the device area", "where the kernel maps device registers"},
	{BH_STACK_AREA, BH_STACK_TOP, "the stack area", "the stack and its guard page"},
};
#define BH_N_RESERVED_AREAS (sizeof(bh_reserved_areas) / sizeof(bh_reserved_areas[0]))

/* Defaults the compiler uses when the manifest says nothing. */
#define BH_DEFAULT_STACK 0x10000ull /* 64 KiB */
#define BH_DEFAULT_HEAP 0x100000ull /* 1 MiB */

#endif
