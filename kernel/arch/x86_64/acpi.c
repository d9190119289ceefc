/* x86_64 ACPI at boot: finds the firmware's tables in physical memory; acpi_parse.c judges them. */
#include <string.h>

#include <kernel/arch.h>
#include <kernel/klog.h>
#include <platform.h>

static char why[128];

/*
 * The table at physical @p through the direct map, and its length: NULL if
 * its header or its body lies outside the direct map or the length is bad.
 */
static const uint8_t *table_at(uint64_t p, uint32_t *len)
{
	uint64_t end = arch_direct_map_end();
	if (p >= end || end - p < ACPI_HEADER_LEN) {
		kprintf("bulkhead: acpi: table at 0x%lx is outside the direct map, ignored", p);
		return NULL;
	}
	const uint8_t *t = arch_phys_to_virt(pa(p));
	if (!acpi_table_length(t, ACPI_HEADER_LEN, len, why, sizeof(why))) {
		kprintf("bulkhead: acpi: table at 0x%lx ignored: %s", p, why);
		return NULL;
	}
	if (end - p < *len) {
		kprintf("bulkhead: acpi: table at 0x%lx runs past the direct map, ignored", p);
		return NULL;
	}
	return t;
}

/* Parses the MCFG or DMAR table at @t (@len bytes, from @p) into @out; others are skipped. */
static void take_table(const uint8_t *t, uint32_t len, uint64_t p, struct acpi_info *out)
{
	if (memcmp(t, "MCFG", 4) == 0 && !out->have_mcfg) {
		out->have_mcfg = acpi_parse_mcfg(t, len, &out->mcfg, why, sizeof(why));
		if (!out->have_mcfg)
			kprintf("bulkhead: acpi: MCFG at 0x%lx ignored: %s", p, why);
	} else if (memcmp(t, "DMAR", 4) == 0 && !out->have_dmar) {
		out->have_dmar = acpi_parse_dmar(t, len, &out->dmar, why, sizeof(why));
		if (!out->have_dmar)
			kprintf("bulkhead: acpi: DMAR at 0x%lx ignored: %s", p, why);
	}
}

void acpi_init(const uint8_t *rsdp, uint32_t rsdp_len, struct acpi_info *out)
{
	static struct acpi_root root;
	struct acpi_rsdp r;
	uint32_t len;
	memset(out, 0, sizeof(*out));
	if (!rsdp)
		return; /* no ACPI: no MCFG, no DMAR */
	if (!acpi_parse_rsdp(rsdp, rsdp_len, &r, why, sizeof(why))) {
		kprintf("bulkhead: acpi: %s; tables ignored", why);
		return;
	}
	const uint8_t *t = table_at(r.root, &len);
	if (!t)
		return;
	if (!acpi_parse_root(t, len, r.xsdt, &root, why, sizeof(why))) {
		kprintf("bulkhead: acpi: %s; tables ignored", why);
		return;
	}
	for (uint32_t i = 0; i < root.count; i++) {
		t = table_at(root.entry[i], &len);
		if (t)
			take_table(t, len, root.entry[i], out);
	}
}
