/* Attribute values: sizes, durations, numbers, names and permissions as the manifest spells them. */
#include "value.h"

#include <stdio.h>
#include <string.h>

#include <bulkhead/abi/caps.h>
#include <bulkhead/abi/info.h>

static int digit_value(char c, unsigned base)
{
	int v = -1;

	if (c >= '0' && c <= '9')
		v = c - '0';
	else if (c >= 'a' && c <= 'f')
		v = c - 'a' + 10;
	else if (c >= 'A' && c <= 'F')
		v = c - 'A' + 10;
	return v >= 0 && (unsigned)v < base ? v : -1;
}

/* Parses digits of @base at *@s, advancing it; at least one digit, no overflow. */
static bool parse_digits(const char **s, unsigned base, uint64_t *out)
{
	uint64_t v = 0;
	const char *p = *s;

	if (digit_value(*p, base) < 0)
		return false;
	for (; digit_value(*p, base) >= 0; p++) {
		unsigned d = (unsigned)digit_value(*p, base);
		if (v > (UINT64_MAX - d) / base)
			return false;
		v = v * base + d;
	}
	*s = p;
	*out = v;
	return true;
}

static bool parse_number_prefix(const char **s, uint64_t *out)
{
	if ((*s)[0] == '0' && ((*s)[1] == 'x' || (*s)[1] == 'X')) {
		*s += 2;
		return parse_digits(s, 16, out);
	}
	return parse_digits(s, 10, out);
}

bool value_number(const char *s, uint64_t *out)
{
	return parse_number_prefix(&s, out) && *s == '\0';
}

bool value_decimal(const char *s, uint64_t *out)
{
	return parse_digits(&s, 10, out) && *s == '\0';
}

static bool scale(uint64_t v, uint64_t unit, uint64_t *out)
{
	if (unit && v > UINT64_MAX / unit)
		return false;
	*out = v * unit;
	return true;
}

bool value_size(const char *s, uint64_t *out)
{
	uint64_t v;
	uint64_t unit = 1;

	if (!parse_number_prefix(&s, &v))
		return false;
	if (*s == 'K')
		unit = 1ull << 10;
	else if (*s == 'M')
		unit = 1ull << 20;
	else if (*s == 'G')
		unit = 1ull << 30;
	if (unit != 1)
		s++;
	return *s == '\0' && scale(v, unit, out);
}

bool value_time_us(const char *s, uint64_t *out)
{
	uint64_t v;
	uint64_t unit;

	if (!parse_digits(&s, 10, &v))
		return false;
	if (strcmp(s, "us") == 0)
		unit = 1;
	else if (strcmp(s, "ms") == 0)
		unit = 1000;
	else if (strcmp(s, "s") == 0)
		unit = 1000000;
	else
		return false;
	return scale(v, unit, out);
}

static bool name_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '_' || c == '.' || c == '-';
}

const char *value_name_problem(const char *s, char *buf, unsigned buflen)
{
	size_t len = strlen(s);

	if (len == 0)
		return "is empty";
	if (len > VALUE_NAME_MAX) {
		snprintf(buf, buflen, "is %zu characters long; names have at most %u", len,
		         VALUE_NAME_MAX);
		return buf;
	}
	for (const char *p = s; *p; p++) {
		if (!name_char(*p)) {
			snprintf(buf, buflen,
			         "contains '%c'; names use only letters, digits, '_', '.' and '-'",
			         *p);
			return buf;
		}
	}
	return NULL;
}

enum value_perms_result value_perms(const char *s, uint32_t *rights)
{
	uint32_t r = 0;

	for (const char *p = s; *p; p++) {
		uint32_t bit = *p == 'r' ? BH_RIGHT_READ :
		               *p == 'w' ? BH_RIGHT_WRITE :
		               *p == 'x' ? BH_RIGHT_EXEC :
		                           0;
		if (bit == 0 || (r & bit))
			return VALUE_PERMS_BAD;
		r |= bit;
	}
	if ((r & BH_RIGHT_WRITE) && (r & BH_RIGHT_EXEC))
		return VALUE_PERMS_WX;
	if (!(r & BH_RIGHT_READ))
		return VALUE_PERMS_BAD;
	*rights = r;
	return VALUE_PERMS_OK;
}

enum value_pci_result value_pci(const char *s, uint32_t *addr)
{
	static const char shape[] = "xx:xx.x"; /* x: a hex digit */
	uint32_t field[3] = {0, 0, 0};
	size_t f = 0;

	for (size_t i = 0; i + 1 < sizeof(shape); i++) {
		int d = digit_value(s[i], 16);
		if (shape[i] != 'x' && s[i] != shape[i])
			return VALUE_PCI_SYNTAX;
		if (shape[i] != 'x')
			f++;
		else if (d < 0)
			return VALUE_PCI_SYNTAX;
		else
			field[f] = field[f] * 16 + (uint32_t)d;
	}
	if (s[sizeof(shape) - 1] != '\0')
		return VALUE_PCI_SYNTAX;
	if (field[1] > 0x1f || field[2] > 7)
		return VALUE_PCI_RANGE;
	*addr = BH_PCI_ADDR(0, field[0], field[1], field[2]);
	return VALUE_PCI_OK;
}

const char *value_format_pci(uint32_t addr, char *buf, unsigned buflen)
{
	snprintf(buf, buflen, "%02x:%02x.%x", (addr >> 8) & 0xffu, (addr >> 3) & 0x1fu, addr & 7u);
	return buf;
}

const char *value_perms_name(uint32_t rights)
{
	if (rights == (BH_RIGHT_READ | BH_RIGHT_WRITE))
		return "rw";
	if (rights == (BH_RIGHT_READ | BH_RIGHT_EXEC))
		return "rx";
	if (rights == BH_RIGHT_READ)
		return "r";
	return "?";
}

/* Size units from the largest: the name people read and the manifest's suffix (none for TiB). */
static const struct {
	unsigned shift;
	const char *name, *suffix;
} size_units[] = {{40, " TiB", NULL}, {30, " GiB", "G"}, {20, " MiB", "M"}, {10, " KiB", "K"}};

/* Writes @bytes in the largest whole unit, for people or (@manifest) as a manifest spells it. */
static const char *format_size(uint64_t bytes, bool manifest, char *buf, unsigned buflen)
{
	for (unsigned i = 0; i < sizeof(size_units) / sizeof(size_units[0]); i++) {
		const char *unit = manifest ? size_units[i].suffix : size_units[i].name;
		uint64_t n = 1ull << size_units[i].shift;
		if (unit && bytes >= n && bytes % n == 0) {
			snprintf(buf, buflen, "%llu%s", (unsigned long long)(bytes / n), unit);
			return buf;
		}
	}
	snprintf(buf, buflen, manifest ? "%llu" : "%llu bytes", (unsigned long long)bytes);
	return buf;
}

const char *value_format_size(uint64_t bytes, char *buf, unsigned buflen)
{
	return format_size(bytes, false, buf, buflen);
}

const char *value_format_size_manifest(uint64_t bytes, char *buf, unsigned buflen)
{
	return format_size(bytes, true, buf, buflen);
}

const char *value_format_time(uint64_t us, char *buf, unsigned buflen)
{
	if (us >= 1000000 && us % 1000000 == 0)
		snprintf(buf, buflen, "%llus", (unsigned long long)(us / 1000000));
	else if (us >= 1000 && us % 1000 == 0)
		snprintf(buf, buflen, "%llums", (unsigned long long)(us / 1000));
	else
		snprintf(buf, buflen, "%lluus", (unsigned long long)us);
	return buf;
}

bool value_align_up(uint64_t x, uint64_t align, uint64_t *out)
{
	if (x > UINT64_MAX - (align - 1))
		return false;
	*out = (x + align - 1) & ~(align - 1);
	return true;
}
