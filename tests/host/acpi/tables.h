/* Host tests and fuzz seeds: ACPI tables built byte by byte (RSDP, XSDT, MCFG, DMAR) with checksums. */
#ifndef TEST_ACPI_TABLES_H
#define TEST_ACPI_TABLES_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* A table under construction: up to 4 KiB, its length so far. */
struct tbl {
	uint8_t b[4096];
	size_t n;
};

static inline void put(struct tbl *t, uint64_t v, size_t size)
{
	for (size_t i = 0; i < size; i++)
		t->b[t->n++] = (uint8_t)(i < 8 ? v >> (8 * i) : 0);
}

static inline void put_bytes(struct tbl *t, const char *s, size_t size)
{
	memcpy(t->b + t->n, s, size);
	t->n += size;
}

static inline void set16(struct tbl *t, size_t at, uint16_t v)
{
	t->b[at] = (uint8_t)v;
	t->b[at + 1] = (uint8_t)(v >> 8);
}

static inline void set32(struct tbl *t, size_t at, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		t->b[at + (size_t)i] = (uint8_t)(v >> (8 * i));
}

/* Makes the bytes [0, @len) of @t sum to 0 by setting the checksum byte at @at. */
static inline void fix_sum(struct tbl *t, size_t at, size_t len)
{
	uint8_t s = 0;
	t->b[at] = 0;
	for (size_t i = 0; i < len; i++)
		s = (uint8_t)(s + t->b[i]);
	t->b[at] = (uint8_t)-s;
}

/* Starts a table with signature @sig: a 36-byte header, length and checksum set by seal(). */
static inline void header(struct tbl *t, const char *sig)
{
	t->n = 0;
	put_bytes(t, sig, 4);
	put(t, 0, 4); /* length */
	put(t, 1, 1); /* revision */
	put(t, 0, 1); /* checksum */
	put_bytes(t, "BOCHS ", 6);
	put_bytes(t, "BXPC    ", 8);
	put(t, 1, 4);
	put_bytes(t, "BXPC", 4);
	put(t, 1, 4);
}

/* Writes the length field and the checksum. */
static inline void seal(struct tbl *t)
{
	set32(t, 4, (uint32_t)t->n);
	fix_sum(t, 9, t->n);
}

/* An ACPI 2.0 RSDP naming @rsdt and @xsdt. */
static inline void make_rsdp(struct tbl *t, uint32_t rsdt, uint64_t xsdt)
{
	t->n = 0;
	put_bytes(t, "RSD PTR ", 8);
	put(t, 0, 1); /* checksum of the first 20 bytes */
	put_bytes(t, "BOCHS ", 6);
	put(t, 2, 1); /* revision */
	put(t, rsdt, 4);
	put(t, 36, 4);
	put(t, xsdt, 8);
	put(t, 0, 1); /* extended checksum */
	put(t, 0, 3);
	fix_sum(t, 8, 20);
	fix_sum(t, 32, 36);
}

/* An MCFG with one window: @base for buses @start..@end of @segment. */
static inline void make_mcfg(struct tbl *t, uint64_t base, uint16_t segment, uint8_t start,
                             uint8_t end)
{
	header(t, "MCFG");
	put(t, 0, 8);
	put(t, base, 8);
	put(t, segment, 2);
	put(t, start, 1);
	put(t, end, 1);
	put(t, 0, 4);
	seal(t);
}

/* Starts a DMAR: host address width @haw (bits - 1) and @flags. */
static inline void dmar_start(struct tbl *t, uint8_t haw, uint8_t flags)
{
	header(t, "DMAR");
	put(t, haw, 1);
	put(t, flags, 1);
	put(t, 0, 10);
}

/* Starts a DRHD; returns where its length goes (drhd_end sets it). */
static inline size_t drhd_start(struct tbl *t, uint8_t flags, uint16_t segment, uint64_t base)
{
	size_t at = t->n;
	put(t, 0, 2);
	put(t, 0, 2);
	put(t, flags, 1);
	put(t, 0, 1);
	put(t, segment, 2);
	put(t, base, 8);
	return at;
}

static inline void drhd_end(struct tbl *t, size_t at)
{
	set16(t, at + 2, (uint16_t)(t->n - at));
}

/* A device scope of @type from bus @bus through the @n (device, function) pairs at @path. */
static inline void scope(struct tbl *t, uint8_t type, uint8_t bus, const uint8_t *path, size_t n)
{
	put(t, type, 1);
	put(t, 6 + 2 * n, 1);
	put(t, 0, 2);
	put(t, 0, 1); /* enumeration id */
	put(t, bus, 1);
	for (size_t i = 0; i < 2 * n; i++)
		put(t, path[i], 1);
}

/* QEMU's DMAR for -device intel-iommu,intremap=on: one unit for all, an IOAPIC scope. */
static inline void make_qemu_dmar(struct tbl *t)
{
	static const uint8_t ioapic[] = {0, 0};
	dmar_start(t, 38, 1);
	size_t u = drhd_start(t, 1, 0, 0xfed90000);
	scope(t, 3, 0xff, ioapic, 1);
	drhd_end(t, u);
	seal(t);
}

#endif
