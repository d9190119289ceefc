/* x86_64 platform set-up at boot: ACPI tables, PCI configuration windows, the IOMMU. */
#ifndef PLATFORM_H
#define PLATFORM_H

#include <stdbool.h>
#include <stdint.h>

#include <acpi.h>
#include <kernel/types.h>

struct boot_info;

/* The vector of the IOMMU's fault event interrupt (trap.c hands it to vtd_fault_irq). */
#define VEC_IOMMU_FAULT 0x30

/* What acpi_init found in the firmware's tables. */
struct acpi_info {
	bool have_mcfg, have_dmar;
	struct acpi_mcfg mcfg;
	struct acpi_dmar dmar;
};

/**
 * Reads the ACPI tables, maps the PCI configuration windows and turns on DMA
 * remapping when the machine has an IOMMU; then what the kernel command line
 * @cmdline asks (`pci=list`, `iommu=selftest`). Prints one line per IOMMU
 * unit, or that there is none. Needs: arch_boot, palloc ready, interrupts off.
 */
void platform_init(const struct boot_info *bi, const char *cmdline);

/**
 * Finds the RSDP's root table in physical memory (the direct map) and parses
 * MCFG and DMAR into @out; a bad table is reported in one line and left out.
 * @rsdp (@rsdp_len bytes) is the boot loader's copy, or NULL.
 */
void acpi_init(const uint8_t *rsdp, uint32_t rsdp_len, struct acpi_info *out);

/**
 * Could paging_map_mmio map [@base, @base + @size)? Checks without mapping.
 * Returns: false beyond the direct map's 64 GiB or over RAM (with the 2 MiB
 * pages it would take).
 */
bool paging_mmio_ok(paddr_t base, uint64_t size);

/**
 * Maps [@base, @base + @size) uncached in the direct map (whole 2 MiB pages).
 * Allocates nothing (the direct map's tables are the kernel's own), so it may
 * run after boot.
 * Needs: boot time; the range must not hold RAM the kernel uses.
 * Returns: the kernel address of @base, or NULL beyond the direct map's 64 GiB,
 * over the kernel's own image, or over RAM (multiboot_ram_overlap).
 */
volatile void *paging_map_mmio(paddr_t base, uint64_t size);

/**
 * Does [@base, @base + @size) overlap RAM of the boot loader's memory map?
 * Needs: arch_boot has read the map. Returns: true if it does.
 */
bool multiboot_ram_overlap(uint64_t base, uint64_t size);

/**
 * Takes the ECAM windows of @mcfg (NULL: none, every configuration read
 * answers all ones). A window is mapped uncached 2 MiB (two buses) at a time,
 * when a bus in it is first read, so that a boot that reads no configuration
 * space pays nothing for it.
 */
void pci_ecam_init(const struct acpi_mcfg *mcfg);

/**
 * Sets up every DMA remapping unit of @dmar (NULL: no DMAR table), with an
 * empty root table and translation on, and prints its boot line.
 */
void vtd_init(const struct acpi_dmar *dmar);

/** The fault event interrupt: reports and clears every recorded fault of every unit. */
void vtd_fault_irq(void);

/**
 * Self-test (`iommu=selftest`): makes QEMU's edu device DMA into pages it may
 * and may not reach and prints a TEST line per check.
 */
void vtd_selftest(void);

#endif
