/* Devices: PCI functions granted to driver domains - BARs, config space, interrupts, DMA. */
#include <stdio.h>
#include <string.h>

#include <bulkhead/abi/fault.h>
#include <bulkhead/abi/layout.h>
#include <kernel/arch.h>
#include <kernel/channel.h>
#include <kernel/device.h>
#include <kernel/domain.h>
#include <kernel/iommu.h>
#include <kernel/klog.h>
#include <kernel/pci.h>
#include <kernel/plan.h>

#define PCI_BARS 6
#define PCI_BAR_END 0x28
#define PCI_ROM 0x30
#define PCI_COMMAND_INTX_OFF 0x400u
#define MSIX_CONTROL 2 /* bytes from the capability */
#define MSIX_ENABLE 0x8000u
#define MSIX_MASK_ALL 0x4000u
#define MSIX_ENTRY_WORDS 4 /* address low, high, data, vector control */
#define MSIX_MASKED 1u
#define MSI_CONTROL 2
#define MSI_ENABLE 0x1u
#define CFG_SIZE 4096u

enum bar_state { BAR_NONE = 0, BAR_MAPPED, BAR_DENIED };

struct device_bar {
	enum bar_state use;
	uint64_t vaddr;
	uint8_t log2;
};

struct device {
	const struct bp_device *rec;
	struct domain *owner;
	uint16_t bdf;
	bool live;
	bool granted;      /* was live at boot: a restart of its owner grants it again */
	bool rearm;        /* granted again: its interrupt comes back with bus mastering */
	uint64_t irq_bits; /* 0: no interrupt */
	struct device_bar bar[PCI_BARS];
	bool has_msix, has_msi;
	struct pci_msix msix;
	struct pci_msi msi;
	volatile uint32_t *msix_entry; /* entry 0 of the MSI-X table, uncached */
};

static struct device devices[BP_MAX_DEVICES];
static uint32_t n_devices;
static const struct bp_header *plan;
static const paddr_t *plan_region_pa;
static struct iommu_space *spaces[BP_MAX_DOMAINS]; /* per owner: its DMA maps */

static void pci_name(uint16_t bdf, char out[8])
{
	snprintf(out, 8, "%02x:%02x.%x", PCI_BUS(bdf), PCI_DEV(bdf), PCI_FN(bdf));
}

/* Stops @dev's owner before it ever ran, saying why. */
static void hold(struct device *dev, const char *why)
{
	char at[8];
	pci_name(dev->bdf, at);
	kprintf("bulkhead: domain %s not started: device %s (%s) %s", dev->owner->name,
	        dev->rec->name, at, why);
	domain_refuse(dev->owner);
}

static uint8_t log2_of(uint64_t size)
{
	return (uint8_t)(63 - __builtin_clzll(size));
}

/* Does memory BAR @i hold the MSI-X table or PBA, which only the kernel may touch? */
static bool holds_msix(const struct device *dev, unsigned i)
{
	return dev->has_msix && (dev->msix.table_bar == i || dev->msix.pba_bar == i);
}

/* Maps BAR @i at the next naturally aligned place of the window; *@used advances. */
static void map_bar(struct device *dev, unsigned i, const struct pci_bar *b, uint64_t *used)
{
	uint64_t at = (*used + b->size - 1) & ~(b->size - 1);
	if (b->size < PAGE_SIZE || holds_msix(dev, i) || !arch_mmio_ok(pa(b->addr), b->size) ||
	    at > dev->rec->window_size - b->size) {
		dev->bar[i].use = BAR_DENIED;
		return;
	}
	enum arch_map_err err = arch_as_map(dev->owner->as, va(dev->rec->window + at), pa(b->addr),
	                                    b->size / PAGE_SIZE,
	                                    ARCH_MAP_R | ARCH_MAP_W | ARCH_MAP_UC);
	if (err) {
		dev->bar[i].use = BAR_DENIED;
		return;
	}
	dev->bar[i] = (struct device_bar){BAR_MAPPED, dev->rec->window + at, log2_of(b->size)};
	*used = at + b->size;
}

/* The function's memory BARs, sized once at boot; size 0 where there is none. */
struct bars {
	struct pci_bar bar[PCI_BARS];
};

static void read_bars(const struct device *dev, struct bars *out)
{
	for (unsigned i = 0; i < PCI_BARS; i++)
		if (pci_bar(dev->bdf, i, &out->bar[i]) != PCI_OK)
			out->bar[i].size = 0;
}

static void map_bars(struct device *dev, const struct bars *bars)
{
	uint64_t used = 0;
	for (unsigned i = 0; i < PCI_BARS; i++)
		if (bars->bar[i].size)
			map_bar(dev, i, &bars->bar[i], &used);
}

/* The owner's I/O address space: its DMA maps at I/O address = vaddr. */
static enum iommu_err owner_space(struct domain *d, struct iommu_space **out)
{
	if (spaces[d->index]) {
		*out = spaces[d->index];
		return IOMMU_OK;
	}
	struct plan_tables t;
	plan_tables(plan, &t);
	const struct bp_domain *bd = &t.domains[d->index];
	enum iommu_err err = arch_iommu_space_create(&spaces[d->index]);
	for (uint32_t k = bd->first_map; !err && k < bd->first_map + bd->n_maps; k++) {
		const struct bp_map *m = &t.maps[k];
		if (m->flags & BP_MAP_DMA)
			err = arch_iommu_map(spaces[d->index], va(m->vaddr),
			                     plan_region_pa[m->region],
			                     t.regions[m->region].size / PAGE_SIZE,
			                     (m->rights & BH_RIGHT_WRITE) != 0);
	}
	*out = spaces[d->index];
	return err;
}

/* Confines @dev's DMA. Returns: NULL, or why its owner may not start. */
static const char *confine(struct device *dev)
{
	if (!arch_iommu_present())
		return (dev->rec->flags & BP_DEVICE_DMA_UNCONFINED) ?
		               NULL :
		               "needs an IOMMU to confine its DMA and the machine has none (declare "
		               "dma=\"unconfined\" to run it anyway)";
	struct iommu_space *s = NULL;
	enum iommu_err err = owner_space(dev->owner, &s);
	if (!err)
		err = arch_iommu_attach(dev->bdf, s, (uint16_t)(dev->owner->index + 1));
	return err ? iommu_err_text(err) : NULL;
}

static void msix_setup(struct device *dev, const struct bars *bars, const struct iommu_msi *msg)
{
	const struct pci_bar *b = &bars->bar[dev->msix.table_bar];
	if (!b->size)
		return;
	paddr_t table = pa(b->addr + dev->msix.table_offset);
	uint64_t bytes = (uint64_t)dev->msix.vectors * MSIX_ENTRY_WORDS * 4;
	volatile uint32_t *e = arch_mmio_ok(table, bytes) ? arch_mmio_map(table, bytes) : NULL;
	if (!e)
		return;
	for (uint32_t i = 0; i < dev->msix.vectors; i++)
		e[i * MSIX_ENTRY_WORDS + 3] = MSIX_MASKED;
	e[0] = (uint32_t)msg->addr;
	e[1] = (uint32_t)(msg->addr >> 32);
	e[2] = msg->data;
	e[3] = 0;
	dev->msix_entry = e;
	uint16_t off = (uint16_t)(dev->msix.cap + MSIX_CONTROL);
	uint32_t ctl = arch_pci_cfg_read(dev->bdf, off, 2);
	arch_pci_cfg_write(dev->bdf, off, 2, (ctl | MSIX_ENABLE) & ~MSIX_MASK_ALL);
}

static void msi_setup(struct device *dev, const struct iommu_msi *msg)
{
	uint16_t cap = dev->msi.cap;
	arch_pci_cfg_write(dev->bdf, (uint16_t)(cap + 4), 4, (uint32_t)msg->addr);
	uint16_t data = (uint16_t)(cap + 8);
	if (dev->msi.is64) {
		arch_pci_cfg_write(dev->bdf, (uint16_t)(cap + 8), 4, (uint32_t)(msg->addr >> 32));
		data = (uint16_t)(cap + 12);
	}
	arch_pci_cfg_write(dev->bdf, data, 2, msg->data);
	uint32_t ctl = arch_pci_cfg_read(dev->bdf, (uint16_t)(cap + MSI_CONTROL), 2);
	ctl = (ctl & ~0x70u) | MSI_ENABLE; /* one vector */
	arch_pci_cfg_write(dev->bdf, (uint16_t)(cap + MSI_CONTROL), 2, ctl);
}

/* Programs MSI-X (else MSI) to the device's vector; turns INTx and I/O decoding off. */
static const char *route_irq(struct device *dev, const struct bars *bars, uint32_t index)
{
	uint32_t cmd = arch_pci_cfg_read(dev->bdf, PCI_COMMAND, 2);
	/* No I/O BAR is ever granted: port decoding goes off for good. */
	arch_pci_cfg_write(dev->bdf, PCI_COMMAND, 2,
	                   (cmd | PCI_COMMAND_INTX_OFF) & ~PCI_COMMAND_IO);
	if (dev->rec->irq_bit == BP_NONE)
		return NULL;
	struct iommu_msi msg;
	enum iommu_err err = arch_iommu_msi(dev->bdf, (uint8_t)(DEVICE_VECTOR_BASE + index), &msg);
	if (err)
		return iommu_err_text(err);
	if (dev->has_msix)
		msix_setup(dev, bars, &msg);
	else if (dev->has_msi)
		msi_setup(dev, &msg);
	if (!dev->msix_entry && !dev->has_msi)
		return "has no usable MSI-X or MSI for its interrupt";
	dev->irq_bits = 1ull << dev->rec->irq_bit;
	return NULL;
}

static void init_one(uint32_t i, const struct bp_device *rec)
{
	struct device *dev = &devices[i];
	*dev = (struct device){
		.rec = rec, .owner = &domains[rec->domain], .bdf = (uint16_t)rec->pci};
	struct pci_func f;
	if (dev->owner->state == DOMAIN_STOPPED)
		return;
	if (!pci_find(dev->bdf, &f)) {
		hold(dev, "is absent");
		return;
	}
	dev->has_msix = pci_msix(dev->bdf, &dev->msix) == PCI_OK;
	dev->has_msi = !dev->has_msix && pci_msi(dev->bdf, &dev->msi) == PCI_OK;
	struct bars bars;
	read_bars(dev, &bars);
	const char *why = confine(dev);
	if (!why)
		why = route_irq(dev, &bars, i);
	if (why) {
		hold(dev, why);
		return;
	}
	map_bars(dev, &bars);
	dev->live = dev->granted = true;
}

void device_init(const struct bp_header *h, const paddr_t *region_pa)
{
	plan = h;
	plan_region_pa = region_pa;
	n_devices = h->devices.count;
	const struct bp_device *recs = plan_table(h, h->devices);
	for (uint32_t i = 0; i < n_devices; i++)
		init_one(i, &recs[i]);
	for (uint32_t i = 0; i < n_devices; i++) /* a later device may have held an owner */
		if (devices[i].owner->state == DOMAIN_STOPPED)
			devices[i].live = devices[i].granted = false;
}

struct device *device_get(uint32_t index)
{
	return (index < n_devices && devices[index].live) ? &devices[index] : NULL;
}

static void mask(struct device *dev)
{
	if (dev->msix_entry)
		dev->msix_entry[3] = MSIX_MASKED;
}

void device_irq(uint32_t index)
{
	if (index >= n_devices || !devices[index].irq_bits)
		return;
	struct device *dev = &devices[index];
	mask(dev);
	if (dev->live && dev->owner->state != DOMAIN_STOPPED)
		channel_signal(dev->owner, dev->irq_bits);
}

/* Cuts @dev off: bus mastering off (no more DMA), its interrupt masked, its grant gone. */
static void quiesce(struct device *dev)
{
	uint32_t cmd = arch_pci_cfg_read(dev->bdf, PCI_COMMAND, 2);
	arch_pci_cfg_write(dev->bdf, PCI_COMMAND, 2, cmd & ~PCI_COMMAND_MASTER);
	mask(dev);
	if (dev->has_msi) {
		uint16_t off = (uint16_t)(dev->msi.cap + MSI_CONTROL);
		uint32_t ctl = arch_pci_cfg_read(dev->bdf, off, 2);
		arch_pci_cfg_write(dev->bdf, off, 2, ctl & ~MSI_ENABLE);
	}
	dev->live = false;
}

void device_owner_stopped(struct domain *d)
{
	for (uint32_t i = 0; i < n_devices; i++) {
		struct device *dev = &devices[i];
		if (dev->owner != d || !dev->live)
			continue;
		quiesce(dev);
		char at[8];
		pci_name(dev->bdf, at);
		kprintf("bulkhead: device %s (%s) cut off: its driver %s stopped; bus mastering and "
		        "interrupt off",
		        dev->rec->name, at, d->name);
	}
}

void device_owner_restarted(struct domain *d)
{
	for (uint32_t i = 0; i < n_devices; i++) {
		struct device *dev = &devices[i];
		if (dev->owner == d && dev->granted && !dev->live)
			dev->live = dev->rearm = true; /* quiesced: bus mastering off, masked */
	}
}

/* The first time a restarted owner turns bus mastering on, its interrupt comes back. */
static void rearm(struct device *dev)
{
	dev->rearm = false;
	if (dev->msix_entry && dev->irq_bits)
		dev->msix_entry[3] = 0;
	if (dev->has_msi && dev->irq_bits) {
		uint16_t off = (uint16_t)(dev->msi.cap + MSI_CONTROL);
		uint32_t ctl = arch_pci_cfg_read(dev->bdf, off, 2);
		arch_pci_cfg_write(dev->bdf, off, 2, ctl | MSI_ENABLE);
	}
}

bool device_dma_fault(uint16_t bdf, uint64_t addr, bool write, uint32_t reason)
{
	for (uint32_t i = 0; i < n_devices; i++) {
		struct device *dev = &devices[i];
		if (dev->bdf != bdf || !dev->owner)
			continue;
		char at[8];
		pci_name(bdf, at);
		kprintf("bulkhead: DMA fault: device %s (%s) %s at 0x%lx outside the DMA maps of %s",
		        dev->rec->name, at, write ? "write" : "read", addr, dev->owner->name);
		quiesce(dev);
		struct domain_fault f = {BH_FAULT_DMA, 0, dev->owner->regs.rip, addr, reason};
		if (dev->owner->state != DOMAIN_STOPPED)
			domain_fault(dev->owner, &f, "its device made a DMA fault");
		return true;
	}
	return false;
}

enum bh_err device_bar(const struct device *dev, uint64_t bar, uint64_t *out)
{
	if (bar >= PCI_BARS || dev->bar[bar].use == BAR_NONE)
		return BH_ERR_INVALID;
	if (dev->bar[bar].use == BAR_DENIED)
		return BH_ERR_DENIED;
	*out = dev->bar[bar].vaddr | dev->bar[bar].log2;
	return BH_OK;
}

static bool overlaps(uint64_t off, uint64_t width, uint64_t start, uint64_t end)
{
	return off < end && start < off + width;
}

/* Does [@off, @off + @width) touch a register holding a physical address? */
static bool holds_address(const struct device *dev, uint64_t off, uint64_t width)
{
	if (overlaps(off, width, PCI_BAR0, PCI_BAR_END) ||
	    overlaps(off, width, PCI_ROM, PCI_ROM + 4))
		return true;
	return dev->has_msi && overlaps(off, width, dev->msi.cap + 4u, dev->msi.cap + 16u);
}

enum bh_err device_cfg_read(const struct device *dev, uint64_t offset, uint64_t width,
                            uint64_t *out)
{
	if (holds_address(dev, offset, width))
		return BH_ERR_DENIED;
	*out = arch_pci_cfg_read(dev->bdf, (uint16_t)offset, (unsigned)width);
	return BH_OK;
}

/* Is [@off, @off + @width) inside the body of a vendor-specific capability? */
static bool in_vendor_cap(const struct device *dev, uint64_t off, uint64_t width)
{
	uint8_t cap = 0;
	while (pci_cap_find(dev->bdf, PCI_CAP_VENDOR, cap, &cap) == PCI_OK) {
		uint32_t len = arch_pci_cfg_read(dev->bdf, (uint16_t)(cap + 2), 1);
		if (off >= cap + 3u && off + width <= cap + len)
			return true;
	}
	return false;
}

enum bh_err device_cfg_write(struct device *dev, uint64_t offset, uint64_t width, uint64_t value)
{
	const uint32_t may = PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER;
	if (offset == PCI_COMMAND && width == 2) {
		uint32_t cmd = arch_pci_cfg_read(dev->bdf, PCI_COMMAND, 2);
		cmd = (cmd & ~may) | ((uint32_t)value & may);
		arch_pci_cfg_write(dev->bdf, PCI_COMMAND, 2, cmd);
		if (dev->rearm && (cmd & PCI_COMMAND_MASTER))
			rearm(dev);
		return BH_OK;
	}
	if (!in_vendor_cap(dev, offset, width))
		return BH_ERR_DENIED;
	arch_pci_cfg_write(dev->bdf, (uint16_t)offset, (unsigned)width, (uint32_t)value);
	return BH_OK;
}

enum bh_err device_ack(struct device *dev)
{
	if (!dev->irq_bits)
		return BH_ERR_INVALID;
	if (dev->msix_entry)
		dev->msix_entry[3] = 0;
	return BH_OK;
}

enum bh_err device_dma_addr(const struct device *dev, uint64_t vaddr, uint64_t *out)
{
	struct plan_tables t;
	plan_tables(plan, &t);
	const struct bp_domain *bd = &t.domains[dev->owner->index];
	for (uint32_t k = bd->first_map; k < bd->first_map + bd->n_maps; k++) {
		const struct bp_map *m = &t.maps[k];
		uint64_t size = t.regions[m->region].size;
		if (!(m->flags & BP_MAP_DMA) || vaddr < m->vaddr || vaddr - m->vaddr >= size)
			continue;
		*out = arch_iommu_present() ? vaddr :
		                              plan_region_pa[m->region].v + (vaddr - m->vaddr);
		return BH_OK;
	}
	return BH_ERR_INVALID;
}
