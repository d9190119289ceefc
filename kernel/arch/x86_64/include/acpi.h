/* ACPI tables the kernel reads (RSDP, XSDT/RSDT, MCFG, DMAR): parsing only, bytes in, structs out. */
#ifndef ACPI_H
#define ACPI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * Firmware tables are input the kernel did not write. Every function here
 * reads only the @n bytes it is given, checks every length and offset before
 * it reads, and answers a table it cannot trust with false and a one-line
 * reason in @why (never a partial result the caller might use). The file
 * touches no physical memory: acpi.c finds the bytes, this file judges them,
 * and the host tests and the fuzzer run the same code on plain buffers.
 */

#define ACPI_HEADER_LEN 36u       /* the standard system description header */
#define ACPI_RSDP_V1_LEN 20u      /* revision 0: signature .. RSDT address */
#define ACPI_RSDP_V2_LEN 36u      /* revision 2: + length, XSDT address, extended checksum */
#define ACPI_MAX_TABLE_LEN 65536u /* longer tables are refused (none the kernel reads is near) */
#define ACPI_MAX_ROOT_ENTRIES 64u /* tables listed by the XSDT/RSDT that are looked at */
#define ACPI_MAX_ECAM 4u          /* MCFG ranges kept (PCI segment 0 only) */
#define ACPI_MAX_UNITS 8u         /* DMAR remapping hardware units kept */
#define ACPI_MAX_SCOPES 16u       /* device scopes kept per unit */
#define ACPI_MAX_PATH 4u          /* (device, function) steps kept per device scope */

/* What the RSDP says: where the root table is, and whether it is an XSDT (8-byte entries). */
struct acpi_rsdp {
	uint64_t root;
	bool xsdt;
	uint8_t revision;
};

/* The tables a root table lists: their physical addresses, in its order. */
struct acpi_root {
	uint64_t entry[ACPI_MAX_ROOT_ENTRIES];
	uint32_t count;
	bool truncated; /* it listed more than ACPI_MAX_ROOT_ENTRIES */
};

/* One ECAM window: configuration space of buses [bus_start, bus_end], bus b at base + (b << 20). */
struct acpi_ecam {
	uint64_t base;
	uint8_t bus_start, bus_end;
};

struct acpi_mcfg {
	struct acpi_ecam ecam[ACPI_MAX_ECAM];
	uint32_t count;
	uint32_t skipped; /* ranges of other PCI segments, not used */
};

/* Device scope types (VT-d spec, 8.3.1). */
enum acpi_scope_type {
	ACPI_SCOPE_ENDPOINT = 1, /* one PCI function */
	ACPI_SCOPE_BRIDGE = 2,   /* a bridge and everything below it */
	ACPI_SCOPE_IOAPIC = 3,
	ACPI_SCOPE_HPET = 4,
	ACPI_SCOPE_NAMESPACE = 5,
};

/* A device scope: from bus .bus, follow .path (device, function) through bridges. */
struct acpi_scope {
	uint8_t type;
	uint8_t enum_id;
	uint8_t bus;
	uint8_t path_len; /* 1..ACPI_MAX_PATH */
	uint8_t path[ACPI_MAX_PATH][2];
};

#define ACPI_DRHD_INCLUDE_ALL \
	0x1u /* the unit covers every device of its segment no other unit lists */

/* A DMA remapping hardware unit definition (DRHD). */
struct acpi_drhd {
	uint64_t base;      /* register set, 4 KiB aligned */
	uint32_t reg_pages; /* size of the register set in 4 KiB pages (1 unless the table says more) */
	uint16_t segment;
	uint8_t flags;
	uint8_t n_scopes;
	struct acpi_scope scope[ACPI_MAX_SCOPES];
};

#define ACPI_DMAR_INTR_REMAP 0x1u     /* the platform supports interrupt remapping */
#define ACPI_DMAR_X2APIC_OPT_OUT 0x2u /* firmware asks the OS not to use x2APIC */

struct acpi_dmar {
	uint8_t host_addr_bits; /* the table's host address width + 1 */
	uint8_t flags;
	uint8_t n_units;
	uint32_t n_rmrr; /* reserved memory regions the firmware reports (not mapped by the kernel) */
	struct acpi_drhd unit[ACPI_MAX_UNITS];
};

/**
 * Checks the RSDP in the @n bytes at @p (as the boot loader copied it):
 * signature, the checksum of the first 20 bytes, and for revision 2 and up
 * the length and the extended checksum. Prefers the XSDT when the RSDP names one.
 * Returns: true and fills @out, or false with the reason in @why.
 */
bool acpi_parse_rsdp(const uint8_t *p, size_t n, struct acpi_rsdp *out, char *why, size_t why_len);

/**
 * Reads the length field of the table header in the @n bytes at @p.
 * Returns: true and sets *@len if @n holds a header and the length is at
 * least a header's and at most ACPI_MAX_TABLE_LEN; else false with @why.
 */
bool acpi_table_length(const uint8_t *p, size_t n, uint32_t *len, char *why, size_t why_len);

/**
 * Checks the table in the @n bytes at @p: signature @sig (4 characters), a
 * length field equal to @n, and a byte sum of 0.
 * Returns: true, or false with the reason in @why.
 */
bool acpi_check_table(const uint8_t *p, size_t n, const char *sig, char *why, size_t why_len);

/**
 * Parses a root table (XSDT when @xsdt, else RSDT) of @n bytes at @p:
 * checks it (acpi_check_table) and lists its entries; a zero entry is skipped.
 * Returns: true and fills @out, or false with the reason in @why.
 */
bool acpi_parse_root(const uint8_t *p, size_t n, bool xsdt, struct acpi_root *out, char *why,
                     size_t why_len);

/**
 * Parses an MCFG table of @n bytes at @p: checks it, keeps the ECAM ranges of
 * PCI segment 0 (a window must be 1 MiB aligned, its bus range ordered and its
 * end below 2^52). Returns: true and fills @out, or false with @why.
 */
bool acpi_parse_mcfg(const uint8_t *p, size_t n, struct acpi_mcfg *out, char *why, size_t why_len);

/**
 * Parses a DMAR table of @n bytes at @p: checks it, every remapping
 * structure's length, every DRHD (base non-zero and 4 KiB aligned, below
 * 2^52) and every device scope in it (length, path). More units or scopes
 * than kept, an unknown scope type in a DRHD, or a structure that overruns
 * the table refuse the whole table. Other structures (RMRR, ATSR, ...) are
 * checked for length and skipped. Returns: true and fills @out, or false with @why.
 */
bool acpi_parse_dmar(const uint8_t *p, size_t n, struct acpi_dmar *out, char *why, size_t why_len);

#endif
