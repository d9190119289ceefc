/* Fuzz target `acpi`: the kernel's ACPI parser (kernel/arch/x86_64/acpi_parse.c) on any table bytes. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <acpi.h>

/*
 * Input: one mode byte, then the table. Mode bits 0-1 choose the parser:
 * 0 RSDP, 1 root table (bit 2: XSDT, else RSDT), 2 MCFG, 3 DMAR. Bit 3 first
 * writes the table's length and checksum (the RSDP's two checksums), so
 * that mutations get past them to the structures. The parser gets the table
 * in a buffer of exactly its length, so AddressSanitizer catches a read past
 * it. A refused table must come with a one-line printable reason; an
 * accepted one must hold only what the parser promises (bounds, alignment,
 * counts), and parsing again must give the same result.
 */

/**
 * libFuzzer's entry: parses the table in the @size bytes at @data.
 * Returns: 0; abort()s (after a line naming the broken rule) on any inconsistency.
 */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

enum { MODE_RSDP, MODE_ROOT, MODE_MCFG, MODE_DMAR };

union result {
	struct acpi_rsdp rsdp;
	struct acpi_root root;
	struct acpi_mcfg mcfg;
	struct acpi_dmar dmar;
};

static void broken(const char *rule)
{
	fprintf(stderr, "fuzz_acpi: %s\n", rule);
	abort();
}

static void fix_sum(uint8_t *p, size_t at, size_t len)
{
	uint8_t s = 0;
	p[at] = 0;
	for (size_t i = 0; i < len; i++)
		s = (uint8_t)(s + p[i]);
	p[at] = (uint8_t)-s;
}

static void put32(uint8_t *p, uint32_t v)
{
	memcpy(p, &v, sizeof(v));
}

/* Makes the table's length field and checksums right, where the table is long enough. */
static void reseal(uint8_t *p, size_t n, unsigned kind)
{
	if (kind == MODE_RSDP) {
		if (n >= ACPI_RSDP_V1_LEN)
			fix_sum(p, 8, ACPI_RSDP_V1_LEN);
		if (n >= ACPI_RSDP_V2_LEN) {
			put32(p + 20, (uint32_t)n);
			fix_sum(p, 32, n);
		}
	} else if (n >= ACPI_HEADER_LEN) {
		put32(p + 4, (uint32_t)n);
		fix_sum(p, 9, n);
	}
}

static bool parse(unsigned mode, const uint8_t *p, size_t n, union result *out, char *why,
                  size_t why_len)
{
	memset(out, 0xa5, sizeof(*out));
	switch (mode & 3) {
	case MODE_RSDP:
		return acpi_parse_rsdp(p, n, &out->rsdp, why, why_len);
	case MODE_ROOT:
		return acpi_parse_root(p, n, (mode & 4) != 0, &out->root, why, why_len);
	case MODE_MCFG:
		return acpi_parse_mcfg(p, n, &out->mcfg, why, why_len);
	default:
		return acpi_parse_dmar(p, n, &out->dmar, why, why_len);
	}
}

static void check_reason(const char *why, size_t why_len)
{
	size_t len = strnlen(why, why_len);
	if (len == 0 || len == why_len)
		broken("a refused table needs a reason, terminated inside its buffer");
	for (size_t i = 0; i < len; i++)
		if (why[i] < 0x20 || why[i] > 0x7e)
			broken("the reason must be one printable line");
}

static void check_root(const struct acpi_root *r)
{
	if (r->count > ACPI_MAX_ROOT_ENTRIES || (r->truncated && r->count != ACPI_MAX_ROOT_ENTRIES))
		broken("root table: count out of range");
	for (uint32_t i = 0; i < r->count; i++)
		if (!r->entry[i])
			broken("root table: a zero entry was kept");
}

static void check_mcfg(const struct acpi_mcfg *m)
{
	if (m->count > ACPI_MAX_ECAM)
		broken("MCFG: more windows than kept");
	for (uint32_t i = 0; i < m->count; i++) {
		const struct acpi_ecam *e = &m->ecam[i];
		if (!e->base || (e->base & 0xfffff) || e->bus_start > e->bus_end ||
		    e->base + ((uint64_t)(e->bus_end + 1) << 20) > (1ull << 52))
			broken("MCFG: a window the parser must refuse was kept");
	}
}

static void check_scope(const struct acpi_scope *s)
{
	if (s->type < ACPI_SCOPE_ENDPOINT || s->type > ACPI_SCOPE_NAMESPACE || !s->path_len ||
	    s->path_len > ACPI_MAX_PATH)
		broken("DMAR: a bad device scope was kept");
	for (unsigned k = 0; k < s->path_len; k++)
		if (s->path[k][0] > 31 || s->path[k][1] > 7)
			broken("DMAR: a scope path names an impossible device");
}

static void check_dmar(const struct acpi_dmar *d)
{
	if (d->host_addr_bits < 32 || d->host_addr_bits > 52 || d->n_units > ACPI_MAX_UNITS)
		broken("DMAR: width or unit count out of range");
	for (unsigned i = 0; i < d->n_units; i++) {
		const struct acpi_drhd *u = &d->unit[i];
		if (!u->base || (u->base & 0xfff) || !u->reg_pages || u->reg_pages > (1u << 15) ||
		    (u->reg_pages & (u->reg_pages - 1)) || u->n_scopes > ACPI_MAX_SCOPES)
			broken("DMAR: a bad unit was kept");
		for (unsigned k = 0; k < u->n_scopes; k++)
			check_scope(&u->scope[k]);
	}
}

static void check_accepted(unsigned mode, const union result *r)
{
	if ((mode & 3) == MODE_RSDP && (!r->rsdp.root || (r->rsdp.xsdt && r->rsdp.revision < 2)))
		broken("RSDP: accepted without a root table");
	if ((mode & 3) == MODE_ROOT)
		check_root(&r->root);
	if ((mode & 3) == MODE_MCFG)
		check_mcfg(&r->mcfg);
	if ((mode & 3) == MODE_DMAR)
		check_dmar(&r->dmar);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static union result a, b;
	char why[128], why2[128];
	if (size == 0)
		return 0;
	unsigned mode = data[0];
	size_t n = size - 1;
	uint8_t *p = malloc(n ? n : 1);
	if (!p)
		abort();
	memcpy(p, data + 1, n);
	if (mode & 8)
		reseal(p, n, mode & 3);
	memset(why, 0, sizeof(why));
	bool ok = parse(mode, p, n, &a, why, sizeof(why));
	if (!ok)
		check_reason(why, sizeof(why));
	else
		check_accepted(mode, &a);
	if (parse(mode, p, n, &b, why2, sizeof(why2)) != ok ||
	    (ok && memcmp(&a, &b, sizeof(a)) != 0) || (!ok && strcmp(why, why2) != 0))
		broken("parsing the same bytes twice gave different results");
	free(p);
	return 0;
}
