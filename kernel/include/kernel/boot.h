/* Boot hand-over: the modules the boot loader loaded (plan and images), and the ACPI RSDP. */
#ifndef KERNEL_BOOT_H
#define KERNEL_BOOT_H

#include <stdint.h>

#include <kernel/types.h>

#define BOOT_MAX_MODULES 64

struct boot_module {
	paddr_t start;
	uint64_t size;
	const char *name; /* the module's command line */
};

struct boot_info {
	struct boot_module mods[BOOT_MAX_MODULES];
	uint32_t n_mods;
	uint64_t entry_cycles;    /* cycle counter at kernel entry */
	const uint8_t *acpi_rsdp; /* the boot loader's copy of the ACPI RSDP, or NULL */
	uint32_t acpi_rsdp_size;
};

/**
 * Finds the module called @name in @bi. Returns: it, or NULL.
 */
const struct boot_module *boot_find_module(const struct boot_info *bi, const char *name);

#endif
