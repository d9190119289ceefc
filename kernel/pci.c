/* PCI, the architecture-neutral part: functions, memory BARs and capabilities through arch_pci_cfg_*. */
#include <kernel/pci.h>

#define MAX_CAP_STEPS 48 /* (256 - 64) / 4: a longer list loops */
#define CAP_FIRST 0x40

static uint32_t rd32(uint16_t bdf, uint16_t off)
{
	return arch_pci_cfg_read(bdf, off, 4);
}

static uint16_t rd16(uint16_t bdf, uint16_t off)
{
	return (uint16_t)arch_pci_cfg_read(bdf, off, 2);
}

static uint8_t rd8(uint16_t bdf, uint16_t off)
{
	return (uint8_t)arch_pci_cfg_read(bdf, off, 1);
}

bool pci_find(uint16_t bdf, struct pci_func *out)
{
	uint32_t id = rd32(bdf, PCI_VENDOR);
	if ((id & 0xffff) == 0xffff || (id & 0xffff) == 0)
		return false;
	out->bdf = bdf;
	out->vendor = (uint16_t)id;
	out->device = (uint16_t)(id >> 16);
	out->class_code = rd32(bdf, PCI_CLASS) >> 8;
	out->header_type = rd8(bdf, PCI_HEADER_TYPE) & 0x7f;
	return true;
}

/* Visits the functions of one device; raises *@top to any bridge's subordinate bus. */
static unsigned scan_device(uint16_t bdf0, void (*fn)(const struct pci_func *, void *), void *arg,
                            unsigned budget, int *top)
{
	unsigned found = 0;
	unsigned fns = (rd8(bdf0, PCI_HEADER_TYPE) & 0x80) ? 8 : 1;
	for (unsigned f = 0; f < fns && found < budget; f++) {
		struct pci_func pf;
		if (!pci_find((uint16_t)(bdf0 | f), &pf))
			continue;
		found++;
		fn(&pf, arg);
		int sub = rd8(pf.bdf, PCI_SUBORDINATE_BUS);
		if (pf.header_type == 1 && sub > *top)
			*top = sub;
	}
	return found;
}

unsigned pci_enumerate(void (*fn)(const struct pci_func *f, void *arg), void *arg, unsigned max)
{
	int last = arch_pci_last_bus(), top = 0;
	unsigned found = 0;
	for (int bus = 0; bus <= top && bus <= last && found < max; bus++) {
		for (unsigned dev = 0; dev < 32 && found < max; dev++) {
			uint16_t bdf = PCI_BDF((unsigned)bus, dev, 0u);
			if (rd16(bdf, PCI_VENDOR) != 0xffff)
				found += scan_device(bdf, fn, arg, max - found, &top);
		}
	}
	return found;
}

/* The number of BARs of a header type: 6 for a device, 2 for a bridge, else none. */
static unsigned bar_count(uint8_t header_type)
{
	return header_type == 0 ? 6 : header_type == 1 ? 2 : 0;
}

/* Is BAR @index the upper half of a 64-bit memory BAR before it? */
static bool upper_half(uint16_t bdf, unsigned index)
{
	for (unsigned i = 0; i < index; i++) {
		uint32_t v = rd32(bdf, (uint16_t)(PCI_BAR0 + 4 * i));
		if (!(v & 1) && ((v >> 1) & 3) == 2 && ++i == index)
			return true;
	}
	return false;
}

/* Writes all ones to the BAR at @off (and its upper half) and reads back the size mask. */
static uint64_t size_mask(uint16_t bdf, uint16_t off, bool is64)
{
	uint16_t cmd = rd16(bdf, PCI_COMMAND);
	uint32_t lo = rd32(bdf, off), hi = is64 ? rd32(bdf, (uint16_t)(off + 4)) : 0;
	arch_pci_cfg_write(bdf, PCI_COMMAND, 2, cmd & ~(PCI_COMMAND_IO | PCI_COMMAND_MEMORY));
	arch_pci_cfg_write(bdf, off, 4, 0xffffffffu);
	uint64_t mask = rd32(bdf, off) & ~0xfull;
	arch_pci_cfg_write(bdf, off, 4, lo);
	if (is64) {
		arch_pci_cfg_write(bdf, (uint16_t)(off + 4), 4, 0xffffffffu);
		mask |= (uint64_t)rd32(bdf, (uint16_t)(off + 4)) << 32;
		arch_pci_cfg_write(bdf, (uint16_t)(off + 4), 4, hi);
	} else if (mask) {
		mask |= 0xffffffff00000000ull;
	}
	arch_pci_cfg_write(bdf, PCI_COMMAND, 2, cmd);
	return mask;
}

enum pci_err pci_bar(uint16_t bdf, unsigned index, struct pci_bar *out)
{
	struct pci_func f;
	if (!pci_find(bdf, &f))
		return PCI_ERR_ABSENT;
	if (index >= bar_count(f.header_type) || upper_half(bdf, index))
		return PCI_ERR_INDEX;
	uint16_t off = (uint16_t)(PCI_BAR0 + 4 * index);
	uint32_t lo = rd32(bdf, off), type = (lo >> 1) & 3;
	if (lo & 1)
		return PCI_ERR_IO_BAR;
	bool is64 = type == 2;
	if (type == 3 || (is64 && index + 1 >= bar_count(f.header_type)))
		return PCI_ERR_BAD_BAR;
	uint64_t mask = size_mask(bdf, off, is64);
	if (!mask)
		return PCI_ERR_UNUSED;
	out->size = mask & (~mask + 1);
	out->addr = (lo & ~0xfull) | (is64 ? (uint64_t)rd32(bdf, (uint16_t)(off + 4)) << 32 : 0);
	out->is64 = is64;
	out->prefetchable = (lo & 8) != 0;
	if ((out->addr & (out->size - 1)) || out->addr > ~0ull - out->size)
		return PCI_ERR_BAD_BAR;
	return PCI_OK;
}

enum pci_err pci_cap_find(uint16_t bdf, uint8_t id, uint8_t after, uint8_t *off)
{
	if (rd16(bdf, PCI_VENDOR) == 0xffff)
		return PCI_ERR_ABSENT;
	if (!(rd16(bdf, PCI_STATUS) & PCI_STATUS_CAP_LIST) || (after && after < CAP_FIRST))
		return PCI_ERR_NO_CAP;
	uint8_t p = rd8(bdf, after ? (uint16_t)(after + 1) : PCI_CAP_PTR);
	for (int steps = 0; steps < MAX_CAP_STEPS && p >= CAP_FIRST; steps++) {
		p &= 0xfc;
		if (rd8(bdf, p) == id) {
			*off = p;
			return PCI_OK;
		}
		p = rd8(bdf, (uint16_t)(p + 1));
	}
	return PCI_ERR_NO_CAP;
}

enum pci_err pci_msi(uint16_t bdf, struct pci_msi *out)
{
	uint8_t cap;
	enum pci_err err = pci_cap_find(bdf, PCI_CAP_MSI, 0, &cap);
	if (err)
		return err;
	uint16_t ctrl = rd16(bdf, (uint16_t)(cap + 2));
	unsigned mmc = (ctrl >> 1) & 7;
	if (mmc > 5)
		return PCI_ERR_BAD_CAP;
	*out = (struct pci_msi){cap, (ctrl & 0x80) != 0, (ctrl & 0x100) != 0, (uint8_t)(1u << mmc)};
	return PCI_OK;
}

/* Does [@offset, @offset + @len) lie inside memory BAR @bar of @bdf? */
static bool inside_bar(uint16_t bdf, unsigned bar, uint64_t offset, uint64_t len)
{
	struct pci_bar b;
	return pci_bar(bdf, bar, &b) == PCI_OK && offset <= b.size && len <= b.size - offset;
}

enum pci_err pci_msix(uint16_t bdf, struct pci_msix *out)
{
	uint8_t cap;
	enum pci_err err = pci_cap_find(bdf, PCI_CAP_MSIX, 0, &cap);
	if (err)
		return err;
	uint16_t vectors = (uint16_t)((rd16(bdf, (uint16_t)(cap + 2)) & 0x7ff) + 1);
	uint32_t table = rd32(bdf, (uint16_t)(cap + 4)), pba = rd32(bdf, (uint16_t)(cap + 8));
	*out = (struct pci_msix){cap,         vectors,  (uint8_t)(table & 7), (uint8_t)(pba & 7),
	                         table & ~7u, pba & ~7u};
	if (!inside_bar(bdf, out->table_bar, out->table_offset, 16ull * vectors) ||
	    !inside_bar(bdf, out->pba_bar, out->pba_offset, 8ull * ((vectors + 63u) / 64u)))
		return PCI_ERR_BAD_CAP;
	return PCI_OK;
}
