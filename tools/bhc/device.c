/* Devices: the rules for <device> elements - count, names, PCI addresses, DMA memory, irq ids. */
#include "device.h"

#include <string.h>

#include <bulkhead/abi/plan.h>

#include "value.h"

/* Visits devices in document order: the devices of each domain, domain by domain. */
struct device_ref {
	size_t d, k;
};

static const struct m_device *device_at(const struct manifest *m, struct device_ref r)
{
	return &m->domains[r.d].devices[r.k];
}

/* The first device before @r named @name, or NULL. */
static const struct m_device *earlier_named(const struct manifest *m, struct device_ref r,
                                            const char *name)
{
	for (size_t d = 0; d <= r.d; d++) {
		size_t n = d == r.d ? r.k : m->domains[d].n_devices;
		for (size_t k = 0; k < n; k++)
			if (m->domains[d].devices[k].name &&
			    strcmp(m->domains[d].devices[k].name, name) == 0)
				return &m->domains[d].devices[k];
	}
	return NULL;
}

/* The first device before @r with PCI address @pci, or NULL; its domain in *@owner. */
static const struct m_device *earlier_pci(const struct manifest *m, struct device_ref r,
                                          uint32_t pci, size_t *owner)
{
	for (size_t d = 0; d <= r.d; d++) {
		size_t n = d == r.d ? r.k : m->domains[d].n_devices;
		for (size_t k = 0; k < n; k++) {
			if (!m->domains[d].devices[k].pci_ok || m->domains[d].devices[k].pci != pci)
				continue;
			*owner = d;
			return &m->domains[d].devices[k];
		}
	}
	return NULL;
}

static void check_name(struct manifest *m, struct device_ref r)
{
	const struct m_device *dev = device_at(m, r);
	int dom = manifest_find_domain(m, dev->name);
	const struct m_device *first = dev->name ? earlier_named(m, r, dev->name) : NULL;

	if (first)
		diag_error(m->diag, dev->line,
		           "duplicate device name '%s' (first declared at line %d); rename one of "
		           "them",
		           dev->name, first->line);
	else if (dom >= 0)
		diag_error(m->diag, dev->line,
		           "device name '%s' is already the name of a domain (line %d); the flow "
		           "analysis and the picture name devices and domains alike, so rename the "
		           "device",
		           dev->name, m->domains[dom].line);
}

static void check_pci(struct manifest *m, struct device_ref r)
{
	const struct m_device *dev = device_at(m, r);
	size_t owner = 0;
	const struct m_device *first = dev->pci_ok ? earlier_pci(m, r, dev->pci, &owner) : NULL;
	char pci[16];

	if (!first)
		return;
	diag_error(m->diag, dev->line,
	           "PCI address %s of device '%s' is already given to device '%s' of domain '%s' "
	           "(line %d); a PCI function can be given once, to one domain",
	           value_format_pci(dev->pci, pci, sizeof(pci)), dev->name ? dev->name : "?",
	           first->name ? first->name : "?", m->domains[owner].name, first->line);
}

static bool has_dma_map(const struct m_domain *d)
{
	for (size_t j = 0; j < d->n_maps; j++)
		if (d->maps[j].dma)
			return true;
	return false;
}

static void check_dma_memory(struct manifest *m, struct device_ref r)
{
	const struct m_domain *d = &m->domains[r.d];
	const struct m_device *dev = device_at(m, r);

	if (has_dma_map(d))
		return;
	diag_error(m->diag, dev->line,
	           "device '%s' of domain '%s' has no DMA memory: the domain has no map with "
	           "dma=\"yes\"; add dma=\"yes\" to the map of the region the device should reach",
	           dev->name ? dev->name : "?", d->name ? d->name : "?");
}

/* Claims the irq id of a device in its domain; reports an id a channel or device holds. */
static void check_irq(struct manifest *m, struct device_ref r, int *id_lines)
{
	const struct m_device *dev = device_at(m, r);
	const char *dn = m->domains[r.d].name;

	if (dev->irq == BP_NONE)
		return;
	int *slot = &id_lines[r.d * BP_MAX_CHANNEL_BITS + dev->irq];
	if (!*slot) {
		*slot = dev->line;
		return;
	}
	diag_error(m->diag, dev->line,
	           "irq %u of device '%s' is channel id %u, which domain '%s' already uses (line "
	           "%d); give the device an id 0..63 that no channel end or other device of the "
	           "domain uses",
	           dev->irq, dev->name ? dev->name : "?", dev->irq, dn ? dn : "?", *slot);
}

void device_check(struct manifest *m, int *id_lines)
{
	size_t seen = 0;

	for (size_t d = 0; d < m->n_domains; d++) {
		for (size_t k = 0; k < m->domains[d].n_devices; k++) {
			struct device_ref r = {d, k};
			if (++seen == BP_MAX_DEVICES + 1)
				diag_error(
					m->diag, device_at(m, r)->line,
					"too many devices: this is device %u, and a system has at "
					"most %u; remove some",
					BP_MAX_DEVICES + 1, BP_MAX_DEVICES);
			check_name(m, r);
			check_pci(m, r);
			check_dma_memory(m, r);
			check_irq(m, r, id_lines);
		}
	}
}

int device_find(const struct manifest *m, const char *name)
{
	int i = 0;

	for (size_t d = 0; name && d < m->n_domains; d++)
		for (size_t k = 0; k < m->domains[d].n_devices; k++, i++)
			if (m->domains[d].devices[k].name &&
			    strcmp(m->domains[d].devices[k].name, name) == 0)
				return i;
	return -1;
}

size_t device_count(const struct manifest *m)
{
	size_t n = 0;

	for (size_t d = 0; d < m->n_domains; d++)
		n += m->domains[d].n_devices;
	return n;
}
