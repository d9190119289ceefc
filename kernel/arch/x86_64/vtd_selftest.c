/* x86_64 IOMMU self-test (`iommu=selftest`): QEMU's edu device DMAs where it may and may not. */
#include <string.h>

#include <kernel/arch.h>
#include <kernel/iommu.h>
#include <kernel/klog.h>
#include <kernel/palloc.h>
#include <kernel/pci.h>
#include <platform.h>

/* QEMU's educational device (hw/misc/edu.c): BAR 0 holds a DMA engine and a 4 KiB buffer. */
#define EDU_VENDOR 0x1234
#define EDU_DEVICE 0x11e8
#define EDU_SRC 0x80
#define EDU_DST 0x88
#define EDU_COUNT 0x90
#define EDU_CMD 0x98
#define EDU_RUN 0x1ull
#define EDU_TO_RAM 0x2ull
#define EDU_BUFFER 0x40000ull
#define EDU_REACH (1ull << 28) /* the device cuts DMA addresses to 28 bits */

#define XFER 64
#define IOVA_SRC 0x0ff00000ull     /* mapped read-only: the source of the good copy */
#define IOVA_DST 0x0ff01000ull     /* mapped writable: its destination */
#define IOVA_RO 0x0ff02000ull      /* mapped read-only: a write there must fault */
#define TEST_DID 255               /* fits every unit's domain ids (at least 256) */
#define WAIT_CYCLES 20000000000ull /* ~10 s of TSC: the device completes after 100 ms */

struct edu {
	uint16_t bdf;
	volatile uint8_t *mmio;
};

/* The test's pages: through the direct map, and where they are. */
struct page {
	uint8_t *va;
	uint64_t pa;
};

static const char *const verdict_word[2] = {"FAIL", "PASS"};

static void find_edu(const struct pci_func *f, void *arg)
{
	uint16_t *bdf = arg;
	if (f->vendor == EDU_VENDOR && f->device == EDU_DEVICE && *bdf == 0xffff)
		*bdf = f->bdf;
}

/* Finds the edu device, maps its registers and lets it master the bus. */
static bool edu_open(struct edu *e)
{
	struct pci_bar bar;
	e->bdf = 0xffff;
	pci_enumerate(find_edu, &e->bdf, 256);
	if (e->bdf == 0xffff || pci_bar(e->bdf, 0, &bar) != PCI_OK)
		return false;
	e->mmio = paging_map_mmio(pa(bar.addr), bar.size);
	if (!e->mmio)
		return false;
	uint32_t cmd = arch_pci_cfg_read(e->bdf, PCI_COMMAND, 2);
	arch_pci_cfg_write(e->bdf, PCI_COMMAND, 2, cmd | PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER);
	return true;
}

static void edu_write(const struct edu *e, unsigned reg, uint64_t v)
{
	*(volatile uint64_t *)(e->mmio + reg) = v;
}

/* Copies XFER bytes from @src to @dst (one of them the device's buffer); waits until done. */
static bool edu_dma(const struct edu *e, uint64_t src, uint64_t dst, bool to_ram)
{
	edu_write(e, EDU_SRC, src);
	edu_write(e, EDU_DST, dst);
	edu_write(e, EDU_COUNT, XFER);
	edu_write(e, EDU_CMD, EDU_RUN | (to_ram ? EDU_TO_RAM : 0));
	uint64_t start = arch_cycles();
	while (*(volatile uint64_t *)(e->mmio + EDU_CMD) & EDU_RUN)
		if (arch_cycles() - start > WAIT_CYCLES)
			return false;
	return true;
}

/* Lets the fault event interrupt in until a fault after the first @before arrives. */
static bool await_fault(uint64_t before, struct iommu_fault_rec *rec)
{
	uint64_t start = arch_cycles();
	while (iommu_last_fault(rec) == before) {
		if (arch_cycles() - start > WAIT_CYCLES)
			return false;
		__asm__ volatile("sti; nop; cli" ::: "memory");
	}
	return true;
}

static bool page_new(struct page *p, uint8_t fill)
{
	paddr_t a = palloc_pages(1);
	if (!a.v || a.v >= EDU_REACH)
		return false;
	*p = (struct page){arch_phys_to_virt(a), a.v};
	memset(p->va, fill, PAGE_SIZE);
	return true;
}

/* Did a DMA write of the device to @addr fault, and leave @intact (filled with @fill) alone? */
static bool blocked(const struct edu *e, uint64_t addr, const struct page *intact, uint8_t fill,
                    uint8_t *reason)
{
	struct iommu_fault_rec rec;
	uint64_t before = iommu_last_fault(NULL);
	bool done = edu_dma(e, EDU_BUFFER, addr, true);
	bool faulted = done && await_fault(before, &rec) && rec.bdf == e->bdf && rec.addr == addr &&
	               rec.write;
	*reason = faulted ? rec.reason : 0;
	for (size_t i = 0; i < XFER; i++)
		if (intact->va[i] != fill)
			return false;
	return faulted;
}

static void verdict(const char *name, bool ok, const char *what, uint64_t addr, uint8_t reason)
{
	kprintf("bulkhead: iommu self-test: TEST %s %s (%s 0x%lx, fault reason 0x%x)", name,
	        verdict_word[ok], what, addr, reason);
}

/* The space the device gets: source and destination of a good copy, a read-only page. */
static bool space_build(const struct edu *e, const struct page pg[3])
{
	struct iommu_space *s;
	return arch_iommu_space_create(&s) == IOMMU_OK &&
	       arch_iommu_map(s, va(IOVA_SRC), pa(pg[0].pa), 1, false) == IOMMU_OK &&
	       arch_iommu_map(s, va(IOVA_DST), pa(pg[1].pa), 1, true) == IOMMU_OK &&
	       arch_iommu_map(s, va(IOVA_RO), pa(pg[2].pa), 1, false) == IOMMU_OK &&
	       arch_iommu_map(s, va(IOVA_RO), pa(pg[2].pa), 1, false) == IOMMU_ERR_OVERLAP &&
	       arch_iommu_map(s, va(1ull << arch_iommu_addr_bits()), pa(pg[2].pa), 1, false) ==
	               IOMMU_ERR_RANGE &&
	       arch_iommu_attach(e->bdf, s, 0) == IOMMU_ERR_DOMAIN_ID &&
	       arch_iommu_attach(e->bdf, s, TEST_DID) == IOMMU_OK &&
	       arch_iommu_attach(e->bdf, s, TEST_DID) == IOMMU_ERR_BUSY;
}

/* With the device attached: a good copy through the mapping, then two writes it may not make. */
static void attached_tests(const struct edu *e, const struct page *victim)
{
	struct page pg[3];
	uint8_t reason = 0;
	if (!page_new(&pg[0], 0xa5) || !page_new(&pg[1], 0) || !page_new(&pg[2], 0x3c) ||
	    !space_build(e, pg)) {
		verdict("iommu.space", false, "could not build the device's space at", IOVA_SRC, 0);
		return;
	}
	uint64_t faults = iommu_last_fault(NULL);
	bool copied = edu_dma(e, IOVA_SRC, EDU_BUFFER, false) &&
	              edu_dma(e, EDU_BUFFER, IOVA_DST, true) && pg[1].va[0] == 0xa5 &&
	              pg[1].va[XFER - 1] == 0xa5 && iommu_last_fault(NULL) == faults;
	verdict("iommu.dma_mapped", copied, "copied through the mapping to", IOVA_DST, 0);
	bool ro = blocked(e, IOVA_RO, &pg[2], 0x3c, &reason);
	verdict("iommu.readonly_blocked", ro, "write to a read-only page at", IOVA_RO, reason);
	bool un = blocked(e, victim->pa, victim, 0x77, &reason);
	verdict("iommu.unmapped_blocked", un, "write to the unmapped", victim->pa, reason);
}

void vtd_selftest(void)
{
	struct edu e;
	struct page victim;
	uint8_t reason = 0;
	if (!edu_open(&e) || !page_new(&victim, 0x77)) {
		kprintf("bulkhead: iommu self-test: no edu device (QEMU -device edu), nothing tested");
		return;
	}
	if (!arch_iommu_present()) {
		bool reached = edu_dma(&e, EDU_BUFFER, victim.pa, true) && victim.va[0] != 0x77;
		kprintf("bulkhead: iommu self-test: no IOMMU: a DMA write to 0x%lx %s", victim.pa,
		        reached ? "reached memory" : "did not reach memory");
	} else {
		bool ok = blocked(&e, victim.pa, &victim, 0x77, &reason);
		verdict("iommu.unattached_blocked", ok, "write by an unattached device to",
		        victim.pa, reason);
		attached_tests(&e, &victim);
	}
	uint32_t cmd = arch_pci_cfg_read(e.bdf, PCI_COMMAND, 2);
	arch_pci_cfg_write(e.bdf, PCI_COMMAND, 2, cmd & ~PCI_COMMAND_MASTER);
}
