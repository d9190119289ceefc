/* Devices: the PCI functions the plan grants to driver domains. */
#ifndef KERNEL_DEVICE_H
#define KERNEL_DEVICE_H

#include <stdbool.h>
#include <stdint.h>

#include <bulkhead/abi/err.h>
#include <bulkhead/abi/plan.h>
#include <kernel/types.h>

/* Interrupt vectors of devices: device i raises DEVICE_VECTOR_BASE + i. */
#define DEVICE_VECTOR_BASE 0x40u

struct device;

/**
 * Sets up every device of the checked plan @h after its domains were built:
 * finds the function, maps its memory BARs into the owner's window, confines
 * its DMA to the owner's DMA maps (regions at @region_pa), programs its
 * interrupt. An owner whose device is absent, or needs an IOMMU the machine
 * lacks, is not started (one report line each); the rest boots.
 * Needs: boot time, domains built, sched_init not yet run. Returns: nothing.
 */
void device_init(const struct bp_header *h, const paddr_t *region_pa);

/**
 * Returns: device @index of the plan if it is running (present, owner
 * started), else NULL. Needs: @index from a checked device capability.
 */
struct device *device_get(uint32_t index);

/**
 * Handles the interrupt of device @index: masks it and sets its channel bit
 * on the owner. Needs: interrupts off, the LAPIC already acknowledged.
 */
void device_irq(uint32_t index);

/**
 * A DMA fault of PCI function @bdf at I/O address @addr (the unit's fault
 * @reason): reports it naming the device and its owner, stops bus mastering,
 * masks its interrupt and stops the owner with a BH_FAULT_DMA record.
 * Returns: false if no device record names @bdf.
 */
bool device_dma_fault(uint16_t bdf, uint64_t addr, bool write, uint32_t reason);

struct domain;

/**
 * The driver @d stopped (fault, exit, DMA fault): each of its devices still
 * granted loses bus mastering (no DMA can land after this returns), gets its
 * interrupt masked and its grant withdrawn, one report line each.
 * Needs: interrupts off. Returns: nothing.
 */
void device_owner_stopped(struct domain *d);

/**
 * The driver @d was restarted: each device it was granted at boot is granted
 * again, still without bus mastering and with its interrupt masked (MSI
 * disabled) until the new instance turns bus mastering on.
 * Needs: @d stopped and reset, interrupts off. Returns: nothing.
 */
void device_owner_restarted(struct domain *d);

/* Perform functions of the device hypercalls; the decoders in hypercall.c checked the cap. */

/**
 * Where memory BAR @bar (< 6) of @dev is mapped. Returns: BH_OK and
 * vaddr | log2(size) in *@out, BH_ERR_INVALID (no such memory BAR) or
 * BH_ERR_DENIED (it holds the MSI-X table or PBA, or is smaller than a page).
 */
enum bh_err device_bar(const struct device *dev, uint64_t bar, uint64_t *out);

/**
 * Reads @width (1, 2, 4) bytes at @offset (< 4096, aligned) of @dev's config
 * space. Returns: BH_OK and the value, or BH_ERR_DENIED for the registers
 * that hold physical addresses (BARs, ROM, MSI address).
 */
enum bh_err device_cfg_read(const struct device *dev, uint64_t offset, uint64_t width,
                            uint64_t *out);

/**
 * Writes @value to @width bytes at @offset of @dev's config space, where a
 * driver may: the command register's memory and bus-master bits, and the
 * bodies of vendor-specific capabilities. After its owner's restart, turning
 * bus mastering on unmasks the interrupt again. Returns: BH_OK or BH_ERR_DENIED.
 */
enum bh_err device_cfg_write(struct device *dev, uint64_t offset, uint64_t width, uint64_t value);

/** Unmasks @dev's interrupt. Returns: BH_OK, or BH_ERR_INVALID if it has none. */
enum bh_err device_ack(struct device *dev);

/**
 * The address @dev must use for the owner's address @vaddr: @vaddr itself
 * behind an IOMMU, the physical address when its DMA is unconfined.
 * Returns: BH_OK and *@out, or BH_ERR_INVALID if @vaddr is in no DMA map.
 */
enum bh_err device_dma_addr(const struct device *dev, uint64_t vaddr, uint64_t *out);

#endif
