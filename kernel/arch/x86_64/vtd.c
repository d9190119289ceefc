/* x86_64 Intel VT-d DMA remapping: root and context tables, I/O address spaces, fault events. */
#include <kernel/arch.h>
#include <kernel/assert.h>
#include <kernel/device.h>
#include <kernel/iommu.h>
#include <kernel/klog.h>
#include <kernel/palloc.h>
#include <kernel/pci.h>
#include <platform.h>
#include <vtd.h>
#include <vtd_pt.h>
#include <x86.h>

#define CCMD_ICC (1ull << 63)
#define CCMD_GLOBAL (1ull << 61)
#define IOTLB_IVT (1ull << 63)
#define IOTLB_GLOBAL (1ull << 60)
#define IOTLB_DR (1ull << 49)
#define IOTLB_DW (1ull << 48)

#define FSTS_PFO 0x1u
#define FSTS_PPF 0x2u
#define FSTS_CLEAR 0x7du /* the write-one-to-clear bits: PFO, AFO, APF, IQE, ICE, ITE */
#define FECTL_IM (1u << 31)
#define FRCD_F (1ull << 63)
#define FRCD_READ (1ull << 62)

#define CAP_RWBF (1ull << 4)
#define SAGAW_39 0x2u /* 3-level tables */
#define SAGAW_48 0x4u /* 4-level tables */

#define MAX_SPACES 40u
#define CTX_PRESENT 1ull

struct iommu_space {
	struct vtd_pt pt;
	uint16_t did; /* 0 until attached */
};

static struct vtd_unit units[ACPI_MAX_UNITS];
static unsigned n_units;
static struct iommu_space spaces[MAX_SPACES];
static unsigned n_spaces;
static unsigned levels, addr_bits, phys_bits; /* levels 0: no usable unit */
static uint8_t dmar_flags;

static unsigned fault_regs(const struct vtd_unit *u)
{
	return (unsigned)((u->cap >> 24) & 0x3ff) * 16;
}

static unsigned fault_count_regs(const struct vtd_unit *u)
{
	return (unsigned)((u->cap >> 40) & 0xff) + 1;
}

static unsigned iotlb_reg(const struct vtd_unit *u)
{
	return (unsigned)((u->ecap >> 8) & 0x3ff) * 16 + 8;
}

bool vtd_poll64(const struct vtd_unit *u, unsigned off, uint64_t mask, uint64_t want)
{
	for (uint32_t i = 0; i < SPIN_LIMIT; i++)
		if ((vtd_rd64(u, off) & mask) == want)
			return true;
	return false;
}

static bool poll_gsts(const struct vtd_unit *u, uint32_t mask, uint32_t want)
{
	for (uint32_t i = 0; i < SPIN_LIMIT; i++)
		if ((vtd_rd32(u, REG_GSTS) & mask) == want)
			return true;
	return false;
}

bool vtd_command(const struct vtd_unit *u, uint32_t bit, bool on)
{
	uint32_t v = vtd_rd32(u, REG_GSTS) & GSTS_KEEP;
	vtd_wr32(u, REG_GCMD, on ? v | bit : v & ~bit);
	return poll_gsts(u, bit, on ? bit : 0);
}

bool vtd_one_shot(const struct vtd_unit *u, uint32_t bit, uint32_t done)
{
	vtd_wr32(u, REG_GCMD, (vtd_rd32(u, REG_GSTS) & GSTS_KEEP) | bit);
	return poll_gsts(u, bit, done);
}

/* Makes table updates visible to @u: caches written back, write buffer flushed, caches invalidated. */
static bool sync_unit(struct vtd_unit *u)
{
	vtd_flush_caches(u);
	if ((u->cap & CAP_RWBF) && !vtd_one_shot(u, GCMD_WBF, 0))
		return false;
	if (u->qi)
		return vtd_ir_sync(u);
	vtd_wr64(u, REG_CCMD, CCMD_ICC | CCMD_GLOBAL);
	if (!vtd_poll64(u, REG_CCMD, CCMD_ICC, 0))
		return false;
	uint64_t drain = ((u->cap & CAP_DRD) ? IOTLB_DR : 0) | ((u->cap & CAP_DWD) ? IOTLB_DW : 0);
	vtd_wr64(u, iotlb_reg(u), IOTLB_IVT | IOTLB_GLOBAL | drain);
	return vtd_poll64(u, iotlb_reg(u), IOTLB_IVT, 0);
}

/* One fault: the device's owner is stopped; a fault of no granted device is only reported. */
static void fault(uint16_t bdf, uint64_t addr, bool write, uint8_t reason)
{
	bool claimed = device_dma_fault(bdf, addr, write, reason);
	iommu_fault(bdf, addr, write, reason, !claimed);
}

/* Reports (if @report) and clears every recorded fault of @u, so that later ones raise events. */
static void unit_faults(const struct vtd_unit *u, bool report)
{
	for (unsigned round = 0; round < 4; round++) {
		uint32_t fsts = vtd_rd32(u, REG_FSTS);
		if (!(fsts & (FSTS_PPF | FSTS_PFO)))
			return;
		for (unsigned i = 0; i < fault_count_regs(u); i++) {
			unsigned off = fault_regs(u) + 16 * i;
			uint64_t hi = vtd_rd64(u, off + 8), lo = vtd_rd64(u, off);
			if (!(hi & FRCD_F))
				continue;
			vtd_wr32(u, off + 12, (uint32_t)(FRCD_F >> 32));
			if (report)
				fault((uint16_t)hi, lo & ~0xfffull, !(hi & FRCD_READ),
				      (uint8_t)(hi >> 32));
		}
		if ((fsts & FSTS_PFO) && report)
			kprintf("bulkhead: iommu: fault records overflowed; some DMA faults were lost");
		vtd_wr32(u, REG_FSTS, fsts & FSTS_CLEAR);
	}
}

void vtd_fault_irq(void)
{
	for (unsigned i = 0; i < n_units; i++)
		if (units[i].usable)
			unit_faults(&units[i], true);
}

/* Points @u's fault event at the boot CPU's vector VEC_IOMMU_FAULT and unmasks it. */
static void fault_setup(const struct vtd_unit *u)
{
	uint32_t apic_id = cpuid(1, 0).b >> 24;
	vtd_wr32(u, REG_FECTL, FECTL_IM);
	vtd_wr32(u, REG_FEDATA, VEC_IOMMU_FAULT);
	vtd_wr32(u, REG_FEADDR, 0xfee00000u | apic_id << 12);
	vtd_wr32(u, REG_FEUADDR, 0);
	unit_faults(u, false); /* whatever the firmware left */
	vtd_wr32(u, REG_FECTL, 0);
}

/* Maps @u's registers and reads its capabilities. Returns: NULL, or why it cannot be used. */
static const char *unit_probe(struct vtd_unit *u)
{
	uint64_t size = (uint64_t)u->drhd.reg_pages << 12;
	if (u->drhd.segment != 0)
		return "PCI segments other than 0 are not supported";
	u->regs = paging_map_mmio(pa(u->drhd.base), size);
	if (!u->regs)
		return "its registers are out of reach";
	u->cap = vtd_rd64(u, REG_CAP);
	u->ecap = vtd_rd64(u, REG_ECAP);
	if (u->cap == ~0ull)
		return "it does not answer";
	if (fault_regs(u) + 16ull * fault_count_regs(u) > size || iotlb_reg(u) + 8 > size)
		return "its registers lie outside its register set";
	if (!(((u->cap >> 8) & 0x1f) & (SAGAW_39 | SAGAW_48)))
		return "it walks neither 3- nor 4-level tables";
	return NULL;
}

/* Turns on queued invalidation and interrupt remapping where @u and the DMAR offer them. */
static const char *remap_interrupts(struct vtd_unit *u)
{
	if (!(u->ecap & ECAP_IR) || !(dmar_flags & ACPI_DMAR_INTR_REMAP))
		return "not offered";
	if (!(u->ecap & ECAP_QI))
		return "no queued invalidation";
	const char *why = vtd_ir_queue(u);
	return why ? why : vtd_ir_enable(u);
}

/* Turns translation on in @u with an empty root table: every device is blocked. */
static const char *unit_enable(struct vtd_unit *u, const char **ir_why)
{
	if (!vtd_command(u, GCMD_TE, false) || !vtd_command(u, GCMD_IRE, false) ||
	    !vtd_command(u, GCMD_QIE, false))
		return "it does not turn off what the firmware left on";
	paddr_t root = palloc_pages(1);
	if (!root.v || root.v >> phys_bits)
		return "no memory for its root table";
	u->root = arch_phys_to_virt(root);
	vtd_wr64(u, REG_RTADDR, root.v); /* legacy mode: translation table mode 0 */
	if (!vtd_one_shot(u, GCMD_SRTP, GCMD_SRTP))
		return "it does not take the root table";
	fault_setup(u);
	*ir_why = remap_interrupts(u);
	if (!sync_unit(u) || !vtd_command(u, GCMD_TE, true))
		return "it does not answer invalidations or the enable";
	return NULL;
}

/* Chooses table levels and the I/O address width every usable unit supports. */
static void choose_format(void)
{
	unsigned common = 0, bits = 48;
	for (unsigned i = 0, first = 1; i < n_units; i++) {
		if (!units[i].usable)
			continue;
		common = (first ? ~0u : common) & (unsigned)(units[i].cap >> 8) & 0x1f;
		first = 0;
		unsigned mgaw = (unsigned)((units[i].cap >> 16) & 0x3f) + 1;
		bits = mgaw < bits ? mgaw : bits;
	}
	levels = (common & SAGAW_48) ? 4 : (common & SAGAW_39) ? 3 : 0;
	addr_bits = levels == 3 && bits > 39 ? 39 : bits;
}

static void unusable(struct vtd_unit *u, const char *why)
{
	u->usable = false;
	kprintf("bulkhead: iommu: VT-d unit at 0x%lx unusable: %s", u->drhd.base, why);
}

void vtd_init(const struct acpi_dmar *dmar)
{
	if (!dmar || !dmar->n_units) {
		kprintf("bulkhead: iommu: none (%s)",
		        dmar ? "no unit in the DMAR table" : "no DMAR table");
		return;
	}
	phys_bits = dmar->host_addr_bits;
	dmar_flags = dmar->flags;
	for (n_units = 0; n_units < dmar->n_units; n_units++) {
		struct vtd_unit *u = &units[n_units];
		u->drhd = dmar->unit[n_units];
		const char *why = unit_probe(u);
		u->usable = !why;
		if (why)
			unusable(u, why);
	}
	choose_format();
	for (unsigned i = 0; i < n_units && levels; i++) {
		const char *ir_why = NULL;
		const char *why = units[i].usable ? unit_enable(&units[i], &ir_why) : NULL;
		if (why)
			unusable(&units[i], why);
		else if (units[i].usable)
			kprintf("bulkhead: iommu: VT-d unit at 0x%lx, %u-bit addresses, interrupts %s%s%s",
			        units[i].drhd.base, addr_bits,
			        ir_why ? "not remapped (" : "remapped", ir_why ? ir_why : "",
			        ir_why ? ")" : "");
	}
	choose_format();
	if (!levels)
		kprintf("bulkhead: iommu: none (no usable VT-d unit)");
}

struct vtd_unit *vtd_units(unsigned *n)
{
	*n = n_units;
	return units;
}

bool arch_iommu_present(void)
{
	return levels != 0;
}

unsigned arch_iommu_addr_bits(void)
{
	return levels ? addr_bits : 0;
}

static uint64_t table_alloc(void *ctx)
{
	(void)ctx;
	return palloc_pages(1).v;
}

static uint64_t *table_va(void *ctx, uint64_t p)
{
	(void)ctx;
	return arch_phys_to_virt(pa(p));
}

static const struct vtd_pt_mem table_mem = {table_alloc, table_va, NULL};

enum iommu_err arch_iommu_space_create(struct iommu_space **out)
{
	if (!levels)
		return IOMMU_ERR_NO_IOMMU;
	if (n_spaces == MAX_SPACES)
		return IOMMU_ERR_FULL;
	struct iommu_space *s = &spaces[n_spaces];
	enum iommu_err err = vtd_pt_init(&s->pt, levels, addr_bits, phys_bits, &table_mem);
	if (err)
		return err;
	n_spaces++;
	*out = s;
	return IOMMU_OK;
}

/* Makes a change to tables of an attached space visible to every unit. */
static void sync_all(void)
{
	for (unsigned i = 0; i < n_units; i++)
		if (units[i].usable && !sync_unit(&units[i]))
			unusable(&units[i], "it stopped answering invalidations");
}

enum iommu_err arch_iommu_map(struct iommu_space *s, vaddr_t iova, paddr_t p, uint64_t npages,
                              bool writable)
{
	CHECK(s >= spaces && s < spaces + n_spaces);
	enum iommu_err err = vtd_pt_map(&s->pt, &table_mem, iova.v, p.v, npages, writable);
	if (!err && s->did)
		sync_all();
	return err;
}

/* The function reached by scope @sc: from its start bus through the bridges of its path. */
static uint16_t scope_target(const struct acpi_scope *sc)
{
	unsigned bus = sc->bus;
	uint16_t at = 0;
	for (unsigned i = 0; i < sc->path_len; i++) {
		at = PCI_BDF(bus, sc->path[i][0], sc->path[i][1]);
		if (i + 1 < sc->path_len)
			bus = (uint8_t)arch_pci_cfg_read(at, PCI_SECONDARY_BUS, 1);
	}
	return at;
}

/* Does scope @sc name @bdf: the endpoint itself, or a bridge above its bus? */
static bool scope_covers(const struct acpi_scope *sc, uint16_t bdf)
{
	if (sc->type != ACPI_SCOPE_ENDPOINT && sc->type != ACPI_SCOPE_BRIDGE)
		return false;
	uint16_t at = scope_target(sc);
	if (at == bdf)
		return true;
	if (sc->type != ACPI_SCOPE_BRIDGE || arch_pci_cfg_read(at, PCI_VENDOR, 2) == 0xffff)
		return false;
	uint32_t sec = arch_pci_cfg_read(at, PCI_SECONDARY_BUS, 1);
	uint32_t sub = arch_pci_cfg_read(at, PCI_SUBORDINATE_BUS, 1);
	return sec && PCI_BUS(bdf) >= sec && PCI_BUS(bdf) <= sub;
}

struct vtd_unit *vtd_unit_for(uint16_t bdf)
{
	for (unsigned i = 0; i < n_units; i++)
		for (unsigned k = 0; k < units[i].drhd.n_scopes; k++)
			if (units[i].drhd.segment == 0 &&
			    scope_covers(&units[i].drhd.scope[k], bdf))
				return &units[i];
	for (unsigned i = 0; i < n_units; i++)
		if (units[i].drhd.segment == 0 && (units[i].drhd.flags & ACPI_DRHD_INCLUDE_ALL))
			return &units[i];
	return NULL;
}

/* Is @did a domain id @u supports that no other address space than @s uses? */
static bool did_ok(const struct vtd_unit *u, const struct iommu_space *s, uint16_t did)
{
	unsigned nd = (unsigned)(u->cap & 7), bits = nd < 7 ? 4 + 2 * nd : 16;
	if (!did || (bits < 16 && did >> bits) || (s->did && s->did != did))
		return false;
	for (unsigned i = 0; i < n_spaces; i++)
		if (&spaces[i] != s && spaces[i].did == did)
			return false;
	return true;
}

/* The context table of @bus in @u, added if missing; NULL if out of memory. */
static uint64_t *context_table(const struct vtd_unit *u, uint8_t bus)
{
	uint64_t *re = &u->root[(size_t)2 * bus];
	if (!(*re & CTX_PRESENT)) {
		paddr_t t = palloc_pages(1);
		if (!t.v || t.v >> phys_bits)
			return NULL;
		*re = t.v | CTX_PRESENT;
	}
	return arch_phys_to_virt(pa(*re & ~0xfffull));
}

enum iommu_err arch_iommu_attach(uint16_t bdf, struct iommu_space *s, uint16_t domain_id)
{
	if (!levels)
		return IOMMU_ERR_NO_IOMMU;
	CHECK(s >= spaces && s < spaces + n_spaces);
	struct vtd_unit *u = vtd_unit_for(bdf);
	if (!u || !u->usable)
		return IOMMU_ERR_NO_UNIT;
	if (!did_ok(u, s, domain_id))
		return IOMMU_ERR_DOMAIN_ID;
	uint64_t *ctx = context_table(u, PCI_BUS(bdf));
	if (!ctx)
		return IOMMU_ERR_NOMEM;
	uint64_t *ce = &ctx[(size_t)2 * (bdf & 0xff)];
	if (ce[0] & CTX_PRESENT)
		return IOMMU_ERR_BUSY;
	ce[1] = (levels - 2) | (uint64_t)domain_id << 8; /* address width, domain id */
	__atomic_store_n(&ce[0], s->pt.root | CTX_PRESENT, __ATOMIC_RELEASE); /* multi-level */
	s->did = domain_id;
	if (!sync_unit(u))
		unusable(u, "it stopped answering invalidations");
	return IOMMU_OK;
}
