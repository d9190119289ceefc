/* VT-d second-level page tables: building and walking an I/O address space (also built for the host). */
#ifndef VTD_PT_H
#define VTD_PT_H

#include <stdbool.h>
#include <stdint.h>

#include <kernel/iommu.h>

/* Entry bits (VT-d spec, 9.8): read, write, and the next table's or the page's address. */
#define VTD_PTE_R 0x1ull
#define VTD_PTE_W 0x2ull
#define VTD_PTE_ADDR 0x000ffffffffff000ull

/*
 * Where tables come from. The builder never touches physical memory itself:
 * the kernel passes palloc and the direct map, a host test plain buffers.
 */
struct vtd_pt_mem {
	uint64_t (*alloc)(void *ctx); /* a zeroed 4 KiB table: its address, 0 if none */
	uint64_t *(*table)(void *ctx, uint64_t pa); /* the 512 entries of the table at @pa */
	void *ctx;
};

/* One I/O address space's tables. */
struct vtd_pt {
	uint64_t root;     /* address of the top table */
	uint8_t levels;    /* 3 (39-bit I/O addresses) or 4 (48-bit) */
	uint8_t addr_bits; /* I/O addresses below 2^addr_bits can be mapped (<= 9 * levels + 12) */
	uint8_t phys_bits; /* tables and pages must lie below 2^phys_bits (the host address width) */
};

/**
 * Makes @pt an empty space of @levels (3 or 4) levels, mapping I/O addresses
 * below 2^@addr_bits (at most what @levels can hold) to physical addresses
 * below 2^@phys_bits (at most 52).
 * Returns: IOMMU_OK, IOMMU_ERR_RANGE for bad parameters, or IOMMU_ERR_NOMEM.
 */
enum iommu_err vtd_pt_init(struct vtd_pt *pt, unsigned levels, unsigned addr_bits,
                           unsigned phys_bits, const struct vtd_pt_mem *mem);

/**
 * Maps @npages 4 KiB pages from physical @pa at I/O address @iova: readable,
 * and writable if @writable. Tables in between are read-write; the leaf
 * entries hold the page's address and R (+W), nothing else. All or nothing:
 * a range that overlaps a mapped page changes nothing, and running out of
 * tables midway unmaps what this call mapped (tables it added stay, empty).
 * Returns: IOMMU_OK, _ALIGN, _RANGE (no pages, or beyond addr_bits), _PHYS,
 * _OVERLAP or _NOMEM.
 */
enum iommu_err vtd_pt_map(const struct vtd_pt *pt, const struct vtd_pt_mem *mem, uint64_t iova,
                          uint64_t pa, uint64_t npages, bool writable);

/**
 * Translates I/O address @iova as the hardware would for a read, or a write
 * if @write: every level must grant the access.
 * Returns: true and the physical address in *@pa, or false (the DMA faults).
 */
bool vtd_pt_translate(const struct vtd_pt *pt, const struct vtd_pt_mem *mem, uint64_t iova,
                      bool write, uint64_t *pa);

#endif
