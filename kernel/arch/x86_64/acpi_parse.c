/* ACPI table parsing: RSDP, root table, MCFG and DMAR checked byte by byte (also built for the host). */
#include <stdio.h>
#include <string.h>

#include <acpi.h>

#define DMAR_FIRST 48u /* remapping structures start after the header, width, flags, reserved */
#define MCFG_FIRST 44u /* allocation entries start after the header and 8 reserved bytes */
#define MCFG_ENTRY 16u
#define DRHD_FIXED 16u          /* type, length, flags, size, segment, register base */
#define SCOPE_FIXED 6u          /* type, length, flags, reserved, enumeration id, start bus */
#define ADDR_LIMIT (1ull << 52) /* no physical address reaches this */

enum { DMAR_DRHD = 0, DMAR_RMRR = 1 };

static uint16_t get16(const uint8_t *p)
{
	uint16_t v;
	memcpy(&v, p, sizeof(v));
	return v;
}

static uint32_t get32(const uint8_t *p)
{
	uint32_t v;
	memcpy(&v, p, sizeof(v));
	return v;
}

static uint64_t get64(const uint8_t *p)
{
	uint64_t v;
	memcpy(&v, p, sizeof(v));
	return v;
}

static uint8_t sum(const uint8_t *p, size_t n)
{
	uint8_t s = 0;
	for (size_t i = 0; i < n; i++)
		s = (uint8_t)(s + p[i]);
	return s;
}

/* The 4-byte signature at @p as a string in @buf, '?' for a byte that is not printable. */
static const char *sig_text(const uint8_t *p, char buf[5])
{
	for (int i = 0; i < 4; i++)
		buf[i] = (p[i] >= 0x20 && p[i] < 0x7f) ? (char)p[i] : '?';
	buf[4] = '\0';
	return buf;
}

static bool fail(char *why, size_t why_len, const char *reason)
{
	snprintf(why, why_len, "%s", reason);
	return false;
}

bool acpi_parse_rsdp(const uint8_t *p, size_t n, struct acpi_rsdp *out, char *why, size_t why_len)
{
	if (n < ACPI_RSDP_V1_LEN || memcmp(p, "RSD PTR ", 8) != 0)
		return fail(why, why_len, "RSDP: no \"RSD PTR \" signature");
	if (sum(p, ACPI_RSDP_V1_LEN) != 0)
		return fail(why, why_len, "RSDP: checksum does not add up");
	out->revision = p[15];
	out->root = get32(p + 16);
	out->xsdt = false;
	if (out->revision >= 2) {
		uint32_t len = n >= ACPI_RSDP_V2_LEN ? get32(p + 20) : 0;
		if (len < ACPI_RSDP_V2_LEN || len > n)
			return fail(why, why_len, "RSDP: revision 2 with a bad length");
		if (sum(p, len) != 0)
			return fail(why, why_len, "RSDP: extended checksum does not add up");
		if (get64(p + 24)) {
			out->root = get64(p + 24);
			out->xsdt = true;
		}
	}
	if (!out->root)
		return fail(why, why_len, "RSDP: names no root table");
	return true;
}

bool acpi_table_length(const uint8_t *p, size_t n, uint32_t *len, char *why, size_t why_len)
{
	if (n < ACPI_HEADER_LEN)
		return fail(why, why_len, "shorter than a table header");
	*len = get32(p + 4);
	if (*len < ACPI_HEADER_LEN || *len > ACPI_MAX_TABLE_LEN) {
		char sig[5];
		snprintf(why, why_len, "%s: length %u out of range", sig_text(p, sig), *len);
		return false;
	}
	return true;
}

bool acpi_check_table(const uint8_t *p, size_t n, const char *sig, char *why, size_t why_len)
{
	uint32_t len;
	if (!acpi_table_length(p, n, &len, why, why_len))
		return false;
	if (memcmp(p, sig, 4) != 0) {
		snprintf(why, why_len, "%s: signature is not %s", sig, sig);
		return false;
	}
	if (len != n) {
		snprintf(why, why_len, "%s: length %u, but %zu bytes given", sig, len, n);
		return false;
	}
	if (sum(p, n) != 0) {
		snprintf(why, why_len, "%s: checksum does not add up", sig);
		return false;
	}
	return true;
}

bool acpi_parse_root(const uint8_t *p, size_t n, bool xsdt, struct acpi_root *out, char *why,
                     size_t why_len)
{
	const char *sig = xsdt ? "XSDT" : "RSDT";
	size_t size = xsdt ? 8 : 4;
	if (!acpi_check_table(p, n, sig, why, why_len))
		return false;
	if ((n - ACPI_HEADER_LEN) % size) {
		snprintf(why, why_len, "%s: length %zu is not a whole number of entries", sig, n);
		return false;
	}
	out->count = 0;
	out->truncated = false;
	for (size_t off = ACPI_HEADER_LEN; off < n; off += size) {
		uint64_t e = xsdt ? get64(p + off) : get32(p + off);
		if (!e)
			continue;
		if (out->count == ACPI_MAX_ROOT_ENTRIES) {
			out->truncated = true;
			break;
		}
		out->entry[out->count++] = e;
	}
	return true;
}

/* Checks one MCFG allocation entry at @e and keeps it in @out if it is for segment 0. */
static bool mcfg_entry(const uint8_t *e, struct acpi_mcfg *out, char *why, size_t why_len)
{
	uint64_t base = get64(e);
	uint16_t segment = get16(e + 8);
	uint8_t start = e[10], end = e[11];
	if (start > end || !base || (base & 0xfffff) ||
	    base > ADDR_LIMIT - ((uint64_t)(end + 1) << 20)) {
		snprintf(why, why_len, "MCFG: bad window 0x%lx for buses %u-%u", base, start, end);
		return false;
	}
	if (segment != 0 || out->count == ACPI_MAX_ECAM) {
		out->skipped++;
		return true;
	}
	out->ecam[out->count++] = (struct acpi_ecam){base, start, end};
	return true;
}

bool acpi_parse_mcfg(const uint8_t *p, size_t n, struct acpi_mcfg *out, char *why, size_t why_len)
{
	if (!acpi_check_table(p, n, "MCFG", why, why_len))
		return false;
	if (n < MCFG_FIRST || (n - MCFG_FIRST) % MCFG_ENTRY) {
		snprintf(why, why_len, "MCFG: length %zu is not a whole number of entries", n);
		return false;
	}
	memset(out, 0, sizeof(*out));
	for (size_t off = MCFG_FIRST; off < n; off += MCFG_ENTRY)
		if (!mcfg_entry(p + off, out, why, why_len))
			return false;
	return true;
}

/* Parses the device scope of @len bytes at @s into @out. */
static bool parse_scope(const uint8_t *s, size_t len, struct acpi_scope *out, char *why,
                        size_t why_len)
{
	size_t steps = (len - SCOPE_FIXED) / 2;
	if ((len - SCOPE_FIXED) % 2 || steps == 0 || steps > ACPI_MAX_PATH) {
		snprintf(why, why_len, "DMAR: device scope of length %zu", len);
		return false;
	}
	if (s[0] < ACPI_SCOPE_ENDPOINT || s[0] > ACPI_SCOPE_NAMESPACE) {
		snprintf(why, why_len, "DMAR: device scope of unknown type %u", s[0]);
		return false;
	}
	out->type = s[0];
	out->enum_id = s[4];
	out->bus = s[5];
	out->path_len = (uint8_t)steps;
	for (size_t i = 0; i < steps; i++) {
		out->path[i][0] = s[SCOPE_FIXED + 2 * i];
		out->path[i][1] = s[SCOPE_FIXED + 2 * i + 1];
		if (out->path[i][0] > 31 || out->path[i][1] > 7) {
			snprintf(why, why_len,
			         "DMAR: device scope path names device %u function %u",
			         out->path[i][0], out->path[i][1]);
			return false;
		}
	}
	return true;
}

/* Parses the device scopes in [@p, @p + @n) (the tail of a DRHD) into @u. */
static bool parse_scopes(const uint8_t *p, size_t n, struct acpi_drhd *u, char *why, size_t why_len)
{
	for (size_t off = 0; off < n;) {
		size_t len = n - off >= 2 ? p[off + 1] : 0;
		if (len < SCOPE_FIXED || len > n - off)
			return fail(why, why_len, "DMAR: device scope overruns its unit");
		if (u->n_scopes == ACPI_MAX_SCOPES)
			return fail(why, why_len,
			            "DMAR: a unit lists more device scopes than kept");
		if (!parse_scope(p + off, len, &u->scope[u->n_scopes], why, why_len))
			return false;
		u->n_scopes++;
		off += len;
	}
	return true;
}

/* Parses the DRHD of @len bytes at @s into the next unit of @out. */
static bool parse_drhd(const uint8_t *s, size_t len, struct acpi_dmar *out, char *why,
                       size_t why_len)
{
	if (len < DRHD_FIXED)
		return fail(why, why_len, "DMAR: hardware unit shorter than 16 bytes");
	if (out->n_units == ACPI_MAX_UNITS)
		return fail(why, why_len, "DMAR: more hardware units than kept");
	struct acpi_drhd *u = &out->unit[out->n_units];
	memset(u, 0, sizeof(*u));
	u->flags = s[4];
	u->reg_pages = 1u << (s[5] & 0xf);
	u->segment = get16(s + 6);
	u->base = get64(s + 8);
	if (!u->base || (u->base & 0xfff) ||
	    u->base > ADDR_LIMIT - ((uint64_t)u->reg_pages << 12)) {
		snprintf(why, why_len, "DMAR: hardware unit at bad address 0x%lx", u->base);
		return false;
	}
	if (!parse_scopes(s + DRHD_FIXED, len - DRHD_FIXED, u, why, why_len))
		return false;
	out->n_units++;
	return true;
}

bool acpi_parse_dmar(const uint8_t *p, size_t n, struct acpi_dmar *out, char *why, size_t why_len)
{
	if (!acpi_check_table(p, n, "DMAR", why, why_len))
		return false;
	if (n < DMAR_FIRST)
		return fail(why, why_len, "DMAR: shorter than its fixed part");
	memset(out, 0, sizeof(*out));
	out->host_addr_bits = (uint8_t)(p[36] + 1);
	out->flags = p[37];
	if (out->host_addr_bits < 32 || out->host_addr_bits > 52)
		return fail(why, why_len, "DMAR: host address width out of range");
	for (size_t off = DMAR_FIRST; off < n;) {
		size_t len = n - off >= 4 ? get16(p + off + 2) : 0;
		if (len < 4 || len > n - off)
			return fail(why, why_len, "DMAR: remapping structure overruns the table");
		uint16_t type = get16(p + off);
		if (type == DMAR_DRHD && !parse_drhd(p + off, len, out, why, why_len))
			return false;
		if (type == DMAR_RMRR)
			out->n_rmrr++;
		off += len;
	}
	return true;
}
