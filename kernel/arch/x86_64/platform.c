/* x86_64 platform set-up at boot: ACPI, PCI configuration windows, the IOMMU, and their options. */
#include <stdio.h>
#include <string.h>

#include <kernel/boot.h>
#include <kernel/klog.h>
#include <kernel/pci.h>
#include <platform.h>

#define LIST_PER_LINE 8 /* functions per `bulkhead: pci:` line */
#define LIST_MAX 256    /* functions listed at most */

/* Does the command line @cmdline hold the word @word (space separated)? */
static bool has_word(const char *cmdline, const char *word)
{
	size_t n = strlen(word);
	for (const char *p = cmdline; p && *p; p++)
		if ((p == cmdline || p[-1] == ' ') && strncmp(p, word, n) == 0 &&
		    (p[n] == ' ' || p[n] == '\0'))
			return true;
	return false;
}

/* The `pci=list` line being filled, and how many functions it holds. */
struct listing {
	char line[LIST_PER_LINE * 28 + 1];
	size_t len;
	unsigned in_line;
};

static void flush_line(struct listing *l)
{
	if (l->in_line)
		kprintf("bulkhead: pci:%s", l->line);
	l->len = 0;
	l->in_line = 0;
	l->line[0] = '\0';
}

static void list_one(const struct pci_func *f, void *arg)
{
	struct listing *l = arg;
	int n = snprintf(l->line + l->len, sizeof(l->line) - l->len, " %02x:%02x.%x %04x:%04x/%06x",
	                 PCI_BUS(f->bdf), PCI_DEV(f->bdf), PCI_FN(f->bdf), f->vendor, f->device,
	                 f->class_code);
	if (n > 0)
		l->len += (size_t)n < sizeof(l->line) - l->len ? (size_t)n : 0;
	if (++l->in_line == LIST_PER_LINE)
		flush_line(l);
}

/* `pci=list`: one line per LIST_PER_LINE functions: BB:DD.F vendor:device/class. */
static void pci_list(void)
{
	static struct listing l;
	flush_line(&l);
	unsigned n = pci_enumerate(list_one, &l, LIST_MAX);
	flush_line(&l);
	kprintf("bulkhead: pci: %u functions", n);
}

void platform_init(const struct boot_info *bi, const char *cmdline)
{
	static struct acpi_info acpi;
	acpi_init(bi->acpi_rsdp, bi->acpi_rsdp_size, &acpi);
	pci_ecam_init(acpi.have_mcfg ? &acpi.mcfg : NULL);
	vtd_init(acpi.have_dmar ? &acpi.dmar : NULL);
	if (has_word(cmdline, "pci=list"))
		pci_list();
	if (has_word(cmdline, "iommu=selftest"))
		vtd_selftest();
}
