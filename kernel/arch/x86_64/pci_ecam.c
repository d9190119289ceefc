/* x86_64 PCI configuration space through the ECAM windows the MCFG table lists, mapped uncached. */
#include <kernel/arch.h>
#include <kernel/klog.h>
#include <kernel/pci.h>
#include <platform.h>

struct window {
	uint64_t first; /* physical address of bus bus_start's configuration space */
	uint8_t bus_start, bus_end;
	uint64_t mapped[3]; /* a bit per 2 MiB chunk from first (256 buses can touch 129) */
};

static struct window windows[ACPI_MAX_ECAM];
static unsigned n_windows;

void pci_ecam_init(const struct acpi_mcfg *mcfg)
{
	for (uint32_t i = 0; mcfg && i < mcfg->count; i++) {
		const struct acpi_ecam *e = &mcfg->ecam[i];
		uint64_t first = e->base + ((uint64_t)e->bus_start << 20);
		uint64_t size = (uint64_t)(e->bus_end - e->bus_start + 1) << 20;
		if (!paging_mmio_ok(pa(first), size)) {
			kprintf("bulkhead: pci: configuration window at 0x%lx out of reach or over "
			        "RAM, not used",
			        first);
			continue;
		}
		windows[n_windows++] = (struct window){first, e->bus_start, e->bus_end, {0}};
	}
}

/* The configuration space of bus @bus in @w, mapped (its 2 MiB chunk) if it was not yet. */
static volatile uint8_t *bus_space(struct window *w, uint8_t bus)
{
	uint64_t at = w->first + ((uint64_t)(bus - w->bus_start) << 20);
	uint64_t chunk = (at >> 21) - (w->first >> 21);
	if (!(w->mapped[chunk / 64] & (1ull << (chunk % 64)))) {
		if (!paging_map_mmio(pa(at), 1ull << 20))
			return NULL;
		w->mapped[chunk / 64] |= 1ull << (chunk % 64);
	}
	return arch_phys_to_virt(pa(at));
}

/* The address of @offset in @bdf's configuration space, or NULL. */
static volatile uint8_t *cfg(uint16_t bdf, uint16_t offset, unsigned size)
{
	uint8_t bus = PCI_BUS(bdf);
	if ((size != 1 && size != 2 && size != 4) || offset >= 4096 || (offset & (size - 1)))
		return NULL;
	for (unsigned i = 0; i < n_windows; i++) {
		if (bus < windows[i].bus_start || bus > windows[i].bus_end)
			continue;
		volatile uint8_t *b = bus_space(&windows[i], bus);
		return b ? b + ((uint64_t)(bdf & 0xff) << 12) + offset : NULL;
	}
	return NULL;
}

uint32_t arch_pci_cfg_read(uint16_t bdf, uint16_t offset, unsigned size)
{
	volatile uint8_t *p = cfg(bdf, offset, size);
	if (!p)
		return size == 4 ? 0xffffffffu : (1u << (8 * size)) - 1;
	if (size == 1)
		return *p;
	return size == 2 ? *(volatile uint16_t *)p : *(volatile uint32_t *)p;
}

void arch_pci_cfg_write(uint16_t bdf, uint16_t offset, unsigned size, uint32_t value)
{
	volatile uint8_t *p = cfg(bdf, offset, size);
	if (!p)
		return;
	if (size == 1)
		*p = (uint8_t)value;
	else if (size == 2)
		*(volatile uint16_t *)p = (uint16_t)value;
	else
		*(volatile uint32_t *)p = value;
}

int arch_pci_last_bus(void)
{
	int last = -1;
	for (unsigned i = 0; i < n_windows; i++)
		if (windows[i].bus_end > last)
			last = windows[i].bus_end;
	return last;
}
