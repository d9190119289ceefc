/* Host tests: the kernel's ACPI parser (kernel/arch/x86_64/acpi_parse.c) on good and broken tables. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

/* cmocka needs the headers above first. */
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include <acpi.h>

#include "tables.h"

static char why[128];

/* A copy of @t's bytes in a buffer of exactly @n bytes, so ASan catches a read past them. */
static uint8_t *exact(const struct tbl *t, size_t n)
{
	uint8_t *p = malloc(n ? n : 1);
	assert_non_null(p);
	memcpy(p, t->b, n);
	return p;
}

static bool rsdp(const struct tbl *t, size_t n, struct acpi_rsdp *out)
{
	uint8_t *p = exact(t, n);
	why[0] = '\0';
	bool ok = acpi_parse_rsdp(p, n, out, why, sizeof(why));
	free(p);
	return ok;
}

static bool dmar(const struct tbl *t, struct acpi_dmar *out)
{
	uint8_t *p = exact(t, t->n);
	why[0] = '\0';
	bool ok = acpi_parse_dmar(p, t->n, out, why, sizeof(why));
	free(p);
	return ok;
}

static bool mcfg(const struct tbl *t, struct acpi_mcfg *out)
{
	uint8_t *p = exact(t, t->n);
	why[0] = '\0';
	bool ok = acpi_parse_mcfg(p, t->n, out, why, sizeof(why));
	free(p);
	return ok;
}

static void assert_refused(bool ok, const char *fragment)
{
	assert_false(ok);
	if (!strstr(why, fragment))
		fail_msg("reason \"%s\" does not mention \"%s\"", why, fragment);
}

static void rsdp_versions(void **state)
{
	(void)state;
	struct tbl t;
	struct acpi_rsdp r;
	make_rsdp(&t, 0x1ffe1000, 0x1ffe2000);
	assert_true(rsdp(&t, 36, &r));
	assert_true(r.xsdt);
	assert_int_equal(r.root, 0x1ffe2000);
	make_rsdp(&t, 0x1ffe1000, 0); /* revision 2 without an XSDT: the RSDT */
	assert_true(rsdp(&t, 36, &r));
	assert_false(r.xsdt);
	assert_int_equal(r.root, 0x1ffe1000);
	t.b[15] = 0; /* revision 0: 20 bytes are all there is */
	fix_sum(&t, 8, 20);
	assert_true(rsdp(&t, 20, &r));
	assert_false(r.xsdt);
	assert_int_equal(r.revision, 0);
}

static void rsdp_broken(void **state)
{
	(void)state;
	struct tbl t;
	struct acpi_rsdp r;
	make_rsdp(&t, 0x1000, 0x2000);
	assert_refused(rsdp(&t, 19, &r), "signature");
	t.b[0] = 'X';
	assert_refused(rsdp(&t, 36, &r), "signature");
	make_rsdp(&t, 0x1000, 0x2000);
	t.b[16] ^= 1; /* the RSDT address: the first checksum breaks */
	assert_refused(rsdp(&t, 36, &r), "checksum");
	make_rsdp(&t, 0x1000, 0x2000);
	t.b[24] ^= 1; /* the XSDT address: the extended checksum breaks */
	assert_refused(rsdp(&t, 36, &r), "extended checksum");
	make_rsdp(&t, 0x1000, 0x2000);
	assert_refused(rsdp(&t, 30, &r), "bad length"); /* revision 2 cut short */
	set32(&t, 20, 4096);                            /* length beyond the bytes given */
	fix_sum(&t, 8, 20);
	assert_refused(rsdp(&t, 36, &r), "bad length");
	make_rsdp(&t, 0, 0);
	assert_refused(rsdp(&t, 36, &r), "no root table");
}

static void root_tables(void **state)
{
	(void)state;
	struct tbl t;
	static struct acpi_root root;
	header(&t, "XSDT");
	put(&t, 0x1ffe3000, 8);
	put(&t, 0, 8); /* an empty entry is skipped */
	put(&t, 0x1ffe4000, 8);
	seal(&t);
	assert_true(acpi_parse_root(t.b, t.n, true, &root, why, sizeof(why)));
	assert_int_equal(root.count, 2);
	assert_int_equal(root.entry[1], 0x1ffe4000);
	assert_false(root.truncated);
	assert_refused(acpi_parse_root(t.b, t.n, false, &root, why, sizeof(why)), "RSDT");
	header(&t, "RSDT");
	put(&t, 0x1ffe3000, 4);
	put(&t, 0xffffffff, 4);
	seal(&t);
	assert_true(acpi_parse_root(t.b, t.n, false, &root, why, sizeof(why)));
	assert_int_equal(root.entry[1], 0xffffffff);
	header(&t, "XSDT");
	put(&t, 1, 4); /* half an entry */
	seal(&t);
	assert_refused(acpi_parse_root(t.b, t.n, true, &root, why, sizeof(why)), "whole number");
}

static void root_truncated(void **state)
{
	(void)state;
	static struct tbl t;
	static struct acpi_root root;
	header(&t, "XSDT");
	for (uint64_t i = 1; i <= ACPI_MAX_ROOT_ENTRIES + 3; i++)
		put(&t, i << 12, 8);
	seal(&t);
	assert_true(acpi_parse_root(t.b, t.n, true, &root, why, sizeof(why)));
	assert_int_equal(root.count, ACPI_MAX_ROOT_ENTRIES);
	assert_true(root.truncated);
}

static void table_checks(void **state)
{
	(void)state;
	struct tbl t;
	uint32_t len;
	make_mcfg(&t, 0xb0000000, 0, 0, 255);
	assert_true(acpi_check_table(t.b, t.n, "MCFG", why, sizeof(why)));
	assert_refused(acpi_check_table(t.b, t.n - 1, "MCFG", why, sizeof(why)), "bytes given");
	assert_refused(acpi_check_table(t.b, 35, "MCFG", why, sizeof(why)), "shorter");
	t.b[40] ^= 0x10;
	assert_refused(acpi_check_table(t.b, t.n, "MCFG", why, sizeof(why)), "checksum");
	set32(&t, 4, 20);
	assert_refused(acpi_table_length(t.b, 36, &len, why, sizeof(why)), "out of range");
	set32(&t, 4, ACPI_MAX_TABLE_LEN + 1);
	assert_refused(acpi_table_length(t.b, 36, &len, why, sizeof(why)), "out of range");
	t.b[0] = 0x01; /* an unprintable signature is printed as ? */
	assert_refused(acpi_table_length(t.b, 36, &len, why, sizeof(why)), "?CFG");
}

static void mcfg_windows(void **state)
{
	(void)state;
	struct tbl t;
	struct acpi_mcfg m;
	make_mcfg(&t, 0xb0000000, 0, 0, 255); /* QEMU q35 */
	assert_true(mcfg(&t, &m));
	assert_int_equal(m.count, 1);
	assert_int_equal(m.ecam[0].base, 0xb0000000);
	assert_int_equal(m.ecam[0].bus_end, 255);
	make_mcfg(&t, 0xb0000000, 1, 0, 255); /* another segment: skipped */
	assert_true(mcfg(&t, &m));
	assert_int_equal(m.count, 0);
	assert_int_equal(m.skipped, 1);
	make_mcfg(&t, 0xb0080000, 0, 0, 0);
	assert_refused(mcfg(&t, &m), "bad window");
	make_mcfg(&t, 0xb0000000, 0, 8, 7);
	assert_refused(mcfg(&t, &m), "bad window");
	make_mcfg(&t, 0, 0, 0, 0);
	assert_refused(mcfg(&t, &m), "bad window");
	make_mcfg(&t, (1ull << 52) - (1ull << 20), 0, 0, 1); /* its end passes 2^52 */
	assert_refused(mcfg(&t, &m), "bad window");
	make_mcfg(&t, 0xb0000000, 0, 0, 0);
	t.n -= 4;
	seal(&t);
	assert_refused(mcfg(&t, &m), "whole number");
}

static void mcfg_many(void **state)
{
	(void)state;
	struct tbl t;
	struct acpi_mcfg m;
	header(&t, "MCFG");
	put(&t, 0, 8);
	for (uint64_t i = 0; i < ACPI_MAX_ECAM + 2; i++) {
		put(&t, 0x80000000 + (i << 28), 8);
		put(&t, 0, 2);
		put(&t, 0, 1);
		put(&t, 255, 1);
		put(&t, 0, 4);
	}
	seal(&t);
	assert_true(mcfg(&t, &m));
	assert_int_equal(m.count, ACPI_MAX_ECAM);
	assert_int_equal(m.skipped, 2);
}

static void dmar_qemu(void **state)
{
	(void)state;
	struct tbl t;
	struct acpi_dmar d;
	make_qemu_dmar(&t);
	assert_true(dmar(&t, &d));
	assert_int_equal(d.host_addr_bits, 39);
	assert_int_equal(d.flags, ACPI_DMAR_INTR_REMAP);
	assert_int_equal(d.n_units, 1);
	assert_int_equal(d.unit[0].base, 0xfed90000);
	assert_int_equal(d.unit[0].flags, ACPI_DRHD_INCLUDE_ALL);
	assert_int_equal(d.unit[0].reg_pages, 1);
	assert_int_equal(d.unit[0].n_scopes, 1);
	assert_int_equal(d.unit[0].scope[0].type, ACPI_SCOPE_IOAPIC);
	assert_int_equal(d.unit[0].scope[0].bus, 0xff);
}

/* Two units, one with an endpoint behind a bridge; an RMRR and an unknown structure skipped. */
static void dmar_scopes(void **state)
{
	(void)state;
	static const uint8_t path[] = {0x1c, 0, 0, 1}, rmrr[24] = {1, 0, 24};
	struct tbl t;
	struct acpi_dmar d;
	dmar_start(&t, 45, 0);
	size_t u = drhd_start(&t, 0, 0, 0xfed91000);
	t.b[u + 5] = 1; /* 2 pages of registers */
	scope(&t, ACPI_SCOPE_ENDPOINT, 0, path, 2);
	scope(&t, ACPI_SCOPE_BRIDGE, 0, path, 1);
	drhd_end(&t, u);
	put_bytes(&t, (const char *)rmrr, sizeof(rmrr));
	put(&t, 7, 2); /* a structure type the parser does not know */
	put(&t, 6, 2);
	put(&t, 0, 2);
	drhd_end(&t, drhd_start(&t, 1, 0, 0xfed90000));
	seal(&t);
	assert_true(dmar(&t, &d));
	assert_int_equal(d.host_addr_bits, 46);
	assert_int_equal(d.n_units, 2);
	assert_int_equal(d.n_rmrr, 1);
	assert_int_equal(d.unit[0].reg_pages, 2);
	assert_int_equal(d.unit[0].n_scopes, 2);
	assert_int_equal(d.unit[0].scope[0].path_len, 2);
	assert_int_equal(d.unit[0].scope[0].path[1][1], 1);
	assert_int_equal(d.unit[1].n_scopes, 0);
}

/* A DMAR with one unit whose scope bytes are @s (@n of them). */
static void dmar_with_scope(struct tbl *t, const uint8_t *s, size_t n)
{
	dmar_start(t, 38, 0);
	size_t u = drhd_start(t, 1, 0, 0xfed90000);
	put_bytes(t, (const char *)s, n);
	drhd_end(t, u);
	seal(t);
}

static void dmar_bad_scopes(void **state)
{
	(void)state;
	static const uint8_t no_path[] = {1, 6, 0, 0, 0, 0};
	static const uint8_t odd[] = {1, 7, 0, 0, 0, 0, 1};
	static const uint8_t type0[] = {0, 8, 0, 0, 0, 0, 1, 0};
	static const uint8_t dev32[] = {1, 8, 0, 0, 0, 0, 32, 0};
	static const uint8_t overrun[] = {1, 10, 0, 0, 0, 0, 1, 0};
	static const uint8_t deep[] = {1, 16, 0, 0, 0, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0};
	struct tbl t;
	struct acpi_dmar d;
	dmar_with_scope(&t, no_path, sizeof(no_path));
	assert_refused(dmar(&t, &d), "device scope of length 6");
	dmar_with_scope(&t, odd, sizeof(odd));
	assert_refused(dmar(&t, &d), "device scope of length 7");
	dmar_with_scope(&t, type0, sizeof(type0));
	assert_refused(dmar(&t, &d), "unknown type 0");
	dmar_with_scope(&t, dev32, sizeof(dev32));
	assert_refused(dmar(&t, &d), "device 32");
	dmar_with_scope(&t, overrun, sizeof(overrun));
	assert_refused(dmar(&t, &d), "overruns its unit");
	dmar_with_scope(&t, deep, sizeof(deep));
	assert_refused(dmar(&t, &d), "device scope of length 16");
}

static void dmar_bad_structures(void **state)
{
	(void)state;
	struct tbl t;
	struct acpi_dmar d;
	dmar_start(&t, 38, 0);
	put(&t, 1, 2);
	put(&t, 0, 2); /* length 0 would loop for ever */
	seal(&t);
	assert_refused(dmar(&t, &d), "overruns the table");
	dmar_start(&t, 38, 0);
	drhd_end(&t, drhd_start(&t, 1, 0, 0xfed90000));
	set16(&t, t.n - 14, 64); /* longer than what is left */
	seal(&t);
	assert_refused(dmar(&t, &d), "overruns the table");
	dmar_start(&t, 38, 0);
	put(&t, 0, 2);
	put(&t, 8, 2);
	put(&t, 0, 4); /* a DRHD of 8 bytes */
	seal(&t);
	assert_refused(dmar(&t, &d), "shorter than 16");
	dmar_start(&t, 38, 0);
	drhd_end(&t, drhd_start(&t, 1, 0, 0xfed90800));
	seal(&t);
	assert_refused(dmar(&t, &d), "bad address");
	dmar_start(&t, 60, 0);
	seal(&t);
	assert_refused(dmar(&t, &d), "host address width");
	dmar_start(&t, 38, 0);
	t.n -= 3;
	seal(&t);
	assert_refused(dmar(&t, &d), "fixed part");
}

static void dmar_limits(void **state)
{
	(void)state;
	static const uint8_t ep[] = {0, 0};
	struct tbl t;
	struct acpi_dmar d;
	dmar_start(&t, 38, 0);
	for (uint64_t i = 0; i <= ACPI_MAX_UNITS; i++)
		drhd_end(&t, drhd_start(&t, 0, 0, 0xfed00000 + (i << 12)));
	seal(&t);
	assert_refused(dmar(&t, &d), "more hardware units");
	dmar_start(&t, 38, 0);
	size_t u = drhd_start(&t, 0, 0, 0xfed90000);
	for (unsigned i = 0; i <= ACPI_MAX_SCOPES; i++)
		scope(&t, ACPI_SCOPE_ENDPOINT, (uint8_t)i, ep, 1);
	drhd_end(&t, u);
	seal(&t);
	assert_refused(dmar(&t, &d), "more device scopes");
}

/* Every prefix of a good DMAR, resealed, parses or is refused with a reason; nothing reads past it. */
static void dmar_prefixes(void **state)
{
	(void)state;
	static const uint8_t path[] = {0x1c, 0, 0, 1};
	struct tbl full, t;
	struct acpi_dmar d;
	dmar_start(&full, 38, 1);
	size_t u = drhd_start(&full, 0, 0, 0xfed91000);
	scope(&full, ACPI_SCOPE_ENDPOINT, 0, path, 2);
	drhd_end(&full, u);
	seal(&full);
	for (size_t n = ACPI_HEADER_LEN; n <= full.n; n++) {
		t = full;
		t.n = n;
		seal(&t);
		bool ok = dmar(&t, &d);
		assert_true(ok || why[0] != '\0');
		assert_true(!ok || n == 48 || n == full.n);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(rsdp_versions),       cmocka_unit_test(rsdp_broken),
		cmocka_unit_test(root_tables),         cmocka_unit_test(root_truncated),
		cmocka_unit_test(table_checks),        cmocka_unit_test(mcfg_windows),
		cmocka_unit_test(mcfg_many),           cmocka_unit_test(dmar_qemu),
		cmocka_unit_test(dmar_scopes),         cmocka_unit_test(dmar_bad_scopes),
		cmocka_unit_test(dmar_bad_structures), cmocka_unit_test(dmar_limits),
		cmocka_unit_test(dmar_prefixes),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
