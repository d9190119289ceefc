/* IOMMU: I/O address spaces that confine a device's DMA, and the report of a DMA fault. */
#ifndef KERNEL_IOMMU_H
#define KERNEL_IOMMU_H

#include <stdbool.h>
#include <stdint.h>

#include <kernel/types.h>

/* Why an IOMMU request was refused. */
enum iommu_err {
	IOMMU_OK = 0,
	IOMMU_ERR_NO_IOMMU,  /* the machine has no usable IOMMU */
	IOMMU_ERR_NOMEM,     /* no memory for a table */
	IOMMU_ERR_FULL,      /* every I/O address space slot is taken */
	IOMMU_ERR_ALIGN,     /* an address is not page aligned */
	IOMMU_ERR_RANGE,     /* the I/O addresses are empty or beyond the IOMMU's address width */
	IOMMU_ERR_PHYS,      /* the physical pages lie beyond what the IOMMU can address */
	IOMMU_ERR_OVERLAP,   /* a page of the range is already mapped */
	IOMMU_ERR_NO_UNIT,   /* no remapping unit covers the device */
	IOMMU_ERR_DOMAIN_ID, /* 0, too large, or already used by another address space */
	IOMMU_ERR_BUSY,      /* the device is already attached */
};

/* An I/O address space: what a device attached to it may reach by DMA. */
struct iommu_space;

/** Returns a short phrase for @err ("address beyond the IOMMU's width"). */
const char *iommu_err_text(enum iommu_err err);

/**
 * A DMA fault: device @bdf (bus << 8 | device << 3 | function) tried to
 * @write (else read) I/O address @addr and the IOMMU refused it for @reason
 * (the hardware's fault reason code). Called by the arch fault handler, with
 * interrupts off, after device_dma_fault had its say. Records the fault
 * (iommu_last_fault) and, if @report (no granted device claimed it), prints
 * `bulkhead: DMA fault: device BB:DD.F write at 0x... (reason 0x..)`.
 */
void iommu_fault(uint16_t bdf, uint64_t addr, bool write, uint8_t reason, bool report);

/* A recorded DMA fault. */
struct iommu_fault_rec {
	uint16_t bdf;
	uint64_t addr;
	bool write;
	uint8_t reason;
};

/**
 * Returns the number of DMA faults reported since boot and, if @last is not
 * NULL and there was one, copies the latest into it.
 */
uint64_t iommu_last_fault(struct iommu_fault_rec *last);

/* Architecture hooks (kernel/arch/x86_64/vtd.c). All of them are boot-time only. */

/** Returns: true if DMA remapping is on (every device without a mapping is blocked). */
bool arch_iommu_present(void);

/** Returns: the I/O address width: addresses below 2^width can be mapped (0 without IOMMU). */
unsigned arch_iommu_addr_bits(void);

/**
 * Creates an empty I/O address space (a device attached to it reaches nothing).
 * Returns: IOMMU_OK and *@out, or IOMMU_ERR_NO_IOMMU, _NOMEM, _FULL.
 */
enum iommu_err arch_iommu_space_create(struct iommu_space **out);

/**
 * Maps @npages pages of physical memory from @p at I/O address @iova of @s,
 * readable, and writable if @writable. All or nothing: on an error nothing
 * of the range is mapped. Needs: @s from arch_iommu_space_create.
 * Returns: IOMMU_OK, or _ALIGN, _RANGE (empty, or beyond the address width),
 * _PHYS, _OVERLAP, _NOMEM.
 */
enum iommu_err arch_iommu_map(struct iommu_space *s, vaddr_t iova, paddr_t p, uint64_t npages,
                              bool writable);

/**
 * Attaches PCI function @bdf (segment 0) to @s, tagged with @domain_id in the
 * IOMMU's caches (one id per address space, never 0): from now on its DMA
 * reaches only what @s maps. Needs: @s from arch_iommu_space_create.
 * Returns: IOMMU_OK, or _NO_IOMMU, _NO_UNIT, _DOMAIN_ID, _BUSY, _NOMEM.
 */
enum iommu_err arch_iommu_attach(uint16_t bdf, struct iommu_space *s, uint16_t domain_id);

/* A message-signalled interrupt: what the kernel writes into a device's MSI or MSI-X entry. */
struct iommu_msi {
	uint64_t addr;
	uint32_t data;
};

/**
 * Makes the message with which device @bdf raises @vector (0x20 or above) at
 * the boot CPU. Where its IOMMU unit remaps interrupts, an entry of the
 * remapping table is allocated that accepts the message only from @bdf, and
 * the message names that entry; elsewhere it is the plain message (the
 * device can then raise any vector). Program every MSI and MSI-X entry with
 * it: with remapping on, a plain message is blocked. Needs: boot time.
 * Returns: IOMMU_OK and *@out, IOMMU_ERR_RANGE (an exception vector),
 * IOMMU_ERR_FULL (no entry left) or IOMMU_ERR_NO_UNIT (the unit stopped answering).
 */
enum iommu_err arch_iommu_msi(uint16_t bdf, uint8_t vector, struct iommu_msi *out);

#endif
