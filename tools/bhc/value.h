/* Attribute values: sizes, durations, numbers, names and permissions as the manifest spells them. */
#ifndef BHC_VALUE_H
#define BHC_VALUE_H

#include <stdbool.h>
#include <stdint.h>

#define VALUE_NAME_MAX 31u /* longest name; plan records hold it NUL-terminated in 32 bytes */

/** Parses a decimal or 0x-hex number. Returns false on bad syntax or overflow. */
bool value_number(const char *s, uint64_t *out);

/** Parses a plain decimal number. Returns false on bad syntax or overflow. */
bool value_decimal(const char *s, uint64_t *out);

/** Parses bytes: a number (decimal or 0x-hex) with an optional K, M or G suffix. */
bool value_size(const char *s, uint64_t *out);

/** Parses a duration "N us", "N ms" or "N s" (no space) into microseconds. */
bool value_time_us(const char *s, uint64_t *out);

/**
 * Checks that @s is a valid name: 1..31 characters from [A-Za-z0-9_.-].
 * Returns: NULL if it is, otherwise why not (a static or @buf-held phrase).
 */
const char *value_name_problem(const char *s, char *buf, unsigned buflen);

enum value_perms_result { VALUE_PERMS_OK, VALUE_PERMS_WX, VALUE_PERMS_BAD };

/** Parses "r", "rw" or "rx" into BH_RIGHT_* bits; says whether a refusal is about W^X. */
enum value_perms_result value_perms(const char *s, uint32_t *rights);

enum value_pci_result { VALUE_PCI_OK, VALUE_PCI_SYNTAX, VALUE_PCI_RANGE };

/**
 * Parses a PCI address "BB:DD.F" (hex: two digits of bus, two of device, one of
 * function) into BH_PCI_ADDR(0, bus, device, function) in *@addr. Returns
 * VALUE_PCI_OK, VALUE_PCI_SYNTAX for another shape, or VALUE_PCI_RANGE for a
 * device above 1f or a function above 7 (*@addr then unchanged).
 */
enum value_pci_result value_pci(const char *s, uint32_t *addr);

/** Spells BH_PCI_ADDR @addr as "BB:DD.F" (lower-case hex; the segment is left out). Returns @buf. */
const char *value_format_pci(uint32_t addr, char *buf, unsigned buflen);

/** Spells BH_RIGHT_READ/WRITE/EXEC bits as "r", "rw", "rx" (as the manifest does). */
const char *value_perms_name(uint32_t rights);

/**
 * Formats @bytes for people, in the largest unit it is a whole multiple of:
 * "64 KiB", "13664 KiB", "1 MiB", "12345 bytes". Every size bhc prints (messages,
 * `check`, `graph`) goes through it. Returns @buf.
 */
const char *value_format_size(uint64_t bytes, char *buf, unsigned buflen);

/**
 * Formats @bytes as a manifest attribute spells it, for a value the user is told
 * to write: "64K", "1M", "2G", "12345" (value_size() reads it back). Returns @buf.
 */
const char *value_format_size_manifest(uint64_t bytes, char *buf, unsigned buflen);

/** Formats @us microseconds for people: "2ms", "1500us", "1s". Returns @buf. */
const char *value_format_time(uint64_t us, char *buf, unsigned buflen);

/** Rounds @x up to a multiple of @align (a power of two); false on overflow. */
bool value_align_up(uint64_t x, uint64_t align, uint64_t *out);

#endif
