/* x86_64 IOMMU self-test (`iommu=selftest`): QEMU's edu device DMAs where it may and may not. */
#include <string.h>

#include <kernel/arch.h>
#include <kernel/iommu.h>
#include <kernel/klog.h>
#include <kernel/palloc.h>
#include <kernel/pci.h>
#include <platform.h>
#include <x86.h>

/* QEMU's educational device (hw/misc/edu.c): BAR 0 holds a DMA engine and a 4 KiB buffer. */
#define EDU_VENDOR 0x1234
#define EDU_DEVICE 0x11e8
#define EDU_SRC 0x80
#define EDU_DST 0x88
#define EDU_COUNT 0x90
#define EDU_CMD 0x98
#define EDU_IRQ_ACK 0x64
#define EDU_RUN 0x1ull
#define EDU_TO_RAM 0x2ull
#define EDU_RAISE 0x4ull /* raise the device's interrupt when the copy is done */
#define EDU_DMA_IRQ 0x100u
#define EDU_BUFFER 0x40000ull
#define EDU_REACH (1ull << 28) /* the device cuts DMA addresses to 28 bits */

#define XFER 64
#define IOVA_SRC 0x0ff00000ull   /* mapped read-only: the source of the good copy */
#define IOVA_DST 0x0ff01000ull   /* mapped writable: its destination */
#define IOVA_RO 0x0ff02000ull    /* mapped read-only: a write there must fault */
#define IOVA_WORDS 0x0ff03000ull /* mapped read-only: the words the device writes as interrupts */
#define VEC_OWN 0x31             /* the device's own remapped interrupt */
#define VEC_OTHER 0x32           /* an entry of another device's */
#define VEC_COMPAT 0x33          /* a compatibility-format message */
#define VEC_AC 17                /* alignment check: an exception with an error code */
#define VEC_MC 18                /* machine check: fatal when real */
#define LAPIC_IRR 0x200
#define MSI_REMAPPABLE 0x10u
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

/* Keeps the first two edu devices' addresses (0xffff: none). */
static void find_edu(const struct pci_func *f, void *arg)
{
	uint16_t *bdf = arg;
	if (f->vendor != EDU_VENDOR || f->device != EDU_DEVICE)
		return;
	if (bdf[0] == 0xffff)
		bdf[0] = f->bdf;
	else if (bdf[1] == 0xffff)
		bdf[1] = f->bdf;
}

/* Maps the registers of the edu device at @bdf and lets it master the bus. */
static bool edu_open(struct edu *e, uint16_t bdf)
{
	struct pci_bar bar;
	e->bdf = bdf;
	if (bdf == 0xffff || pci_bar(e->bdf, 0, &bar) != PCI_OK)
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

/* Copies @count bytes from @src to @dst (one of them in the device's buffer); waits until done. */
static bool edu_dma(const struct edu *e, uint64_t src, uint64_t dst, uint64_t count, uint64_t cmd)
{
	edu_write(e, EDU_SRC, src);
	edu_write(e, EDU_DST, dst);
	edu_write(e, EDU_COUNT, count);
	edu_write(e, EDU_CMD, EDU_RUN | cmd);
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
	bool done = edu_dma(e, EDU_BUFFER, addr, XFER, EDU_TO_RAM);
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
static bool space_build(const struct edu *e, const struct page pg[3], struct iommu_space **out)
{
	if (arch_iommu_space_create(out) != IOMMU_OK)
		return false;
	struct iommu_space *s = *out;
	return arch_iommu_map(s, va(IOVA_SRC), pa(pg[0].pa), 1, false) == IOMMU_OK &&
	       arch_iommu_map(s, va(IOVA_DST), pa(pg[1].pa), 1, true) == IOMMU_OK &&
	       arch_iommu_map(s, va(IOVA_RO), pa(pg[2].pa), 1, false) == IOMMU_OK &&
	       arch_iommu_map(s, va(IOVA_RO), pa(pg[2].pa), 1, false) == IOMMU_ERR_OVERLAP &&
	       arch_iommu_map(s, va(1ull << arch_iommu_addr_bits()), pa(pg[2].pa), 1, false) ==
	               IOMMU_ERR_RANGE &&
	       arch_iommu_attach(e->bdf, s, 0) == IOMMU_ERR_DOMAIN_ID &&
	       arch_iommu_attach(e->bdf, s, TEST_DID) == IOMMU_OK &&
	       arch_iommu_attach(e->bdf, s, TEST_DID) == IOMMU_ERR_BUSY;
}

/* Has @vector reached the boot CPU's local APIC (interrupts are off, so it waits there)? */
static bool irr(uint8_t vector)
{
	const volatile uint32_t *apic = arch_phys_to_virt(pa(rdmsr(MSR_APIC_BASE) & ~0xfffull));
	return (apic[(LAPIC_IRR + 0x10u * (vector / 32u)) / 4] >> (vector % 32)) & 1;
}

/* Lets pending interrupts in: the kernel counts them as stray and reports them. */
static void drain(void)
{
	for (int i = 0; i < 4; i++)
		__asm__ volatile("sti; nop; cli" ::: "memory");
}

/* The device stops mastering the bus. */
static void edu_close(const struct edu *e)
{
	uint32_t cmd = arch_pci_cfg_read(e->bdf, PCI_COMMAND, 2);
	arch_pci_cfg_write(e->bdf, PCI_COMMAND, 2, cmd & ~PCI_COMMAND_MASTER);
}

/* Programs the device's MSI capability with @m (or turns MSI off when @m is NULL). */
static bool edu_msi(const struct edu *e, const struct iommu_msi *m)
{
	struct pci_msi msi;
	if (pci_msi(e->bdf, &msi) != PCI_OK)
		return false;
	uint16_t ctrl = (uint16_t)arch_pci_cfg_read(e->bdf, (uint16_t)(msi.cap + 2), 2);
	if (m) {
		arch_pci_cfg_write(e->bdf, (uint16_t)(msi.cap + 4), 4, (uint32_t)m->addr);
		if (msi.is64)
			arch_pci_cfg_write(e->bdf, (uint16_t)(msi.cap + 8), 4,
			                   (uint32_t)(m->addr >> 32));
		arch_pci_cfg_write(e->bdf, (uint16_t)(msi.cap + (msi.is64 ? 12 : 8)), 2, m->data);
	}
	arch_pci_cfg_write(e->bdf, (uint16_t)(msi.cap + 2), 2, m ? ctrl | 1u : ctrl & ~1u);
	return true;
}

/* The device writes the 4 bytes at @word of its buffer to @addr; did @vector arrive? */
static bool write_arrives(const struct edu *e, uint64_t word, uint64_t addr, uint8_t vector)
{
	drain();
	bool arrived = edu_dma(e, EDU_BUFFER + word, addr, 4, EDU_TO_RAM) && irr(vector);
	drain();
	return arrived;
}

/* Does @e's MSI, programmed with @m, arrive as @vector when its copy from @iova is done? */
static bool msi_arrives(const struct edu *e, const struct iommu_msi *m, uint64_t iova,
                        uint8_t vector)
{
	drain();
	bool arrived = edu_msi(e, m) && edu_dma(e, iova, EDU_BUFFER, XFER, EDU_RAISE) &&
	               irr(vector);
	edu_write(e, EDU_IRQ_ACK, EDU_DMA_IRQ);
	edu_msi(e, NULL);
	drain();
	return arrived;
}

/*
 * The other edu device, @bdf, attached to @s too, raises its MSI with the
 * first one's message: the entry's source check must block it.
 */
static void foreign_msi(uint16_t bdf, struct iommu_space *s, const struct iommu_msi *own)
{
	struct edu other;
	struct iommu_msi mine;
	if (!edu_open(&other, bdf) || arch_iommu_attach(bdf, s, TEST_DID) != IOMMU_OK ||
	    arch_iommu_msi(bdf, VEC_OTHER, &mine) != IOMMU_OK) {
		kprintf("bulkhead: iommu self-test: no second edu device, source check not tested");
		return;
	}
	bool works = msi_arrives(&other, &mine, IOVA_WORDS, VEC_OTHER); /* its own entry */
	bool arrived = msi_arrives(&other, own, IOVA_WORDS, VEC_OWN);
	verdict("iommu.ir_foreign_msi_blocked", works && !arrived,
	        "another device's MSI to the entry at", own->addr, 0);
	edu_close(&other);
}

/* What this machine does with interrupts written by DMA: the spec blocks the last two. */
static void dma_interrupts(const struct edu *e, const struct iommu_msi *own,
                           const struct iommu_msi *other)
{
	bool again = write_arrives(e, 0, own->addr, VEC_OWN);
	verdict("iommu.ir_own_entry", again, "its message written by DMA to", own->addr, 0);
	bool foreign = write_arrives(e, 0, other->addr, VEC_OTHER);
	kprintf("bulkhead: iommu self-test: a DMA write of another device's remapped message %s",
	        foreign ? "was delivered (no source check)" : "was blocked");
	uint64_t plain = 0xfee00000ull | (cpuid(1, 0).b >> 24) << 12;
	bool compat = write_arrives(e, 4, plain, VEC_COMPAT);
	kprintf("bulkhead: iommu self-test: a compatibility-format interrupt written by DMA %s",
	        compat ? "was delivered (not blocked)" : "was blocked");
	if (!compat)
		return;
	/* Where they get through: exception vectors as messages must not confuse the kernel. */
	bool ac = write_arrives(e, 8, plain, VEC_AC);
	bool mc = write_arrives(e, 12, plain, VEC_MC);
	kprintf("bulkhead: iommu self-test: TEST iommu.injected_exception_vectors %s (vector 17 "
	        "%s, 18 %s)",
	        ac && mc ? "PASS" : "FAIL", ac ? "delivered" : "lost", mc ? "delivered" : "lost");
}

/*
 * Interrupt remapping: the device's own MSI arrives through its entry, another
 * device's MSI with the same message does not; then interrupts written by DMA.
 */
static void ir_tests(const struct edu *e, struct iommu_space *s, uint16_t second)
{
	struct iommu_msi own, other;
	struct page words;
	if (arch_iommu_msi(e->bdf, VEC_OWN, &own) || !(own.addr & MSI_REMAPPABLE)) {
		kprintf("bulkhead: iommu self-test: interrupts are not remapped, not tested");
		return;
	}
	if (arch_iommu_msi(PCI_BDF(0u, 0x1fu, 3u), VEC_OTHER, &other) || !page_new(&words, 0) ||
	    arch_iommu_map(s, va(IOVA_WORDS), pa(words.pa), 1, false) != IOMMU_OK) {
		verdict("iommu.ir_setup", false, "could not set up the test at", IOVA_WORDS, 0);
		return;
	}
	words.va[4] = VEC_COMPAT; /* bytes 0-3: the remapped messages' data (0), 4-7: a plain one */
	words.va[8] = VEC_AC;     /* 8-11 and 12-15: exception vectors as plain messages */
	words.va[12] = VEC_MC;
	bool msi = msi_arrives(e, &own, IOVA_WORDS, VEC_OWN);
	verdict("iommu.ir_msi", msi, "the device's MSI through the remapping entry at", own.addr,
	        0);
	foreign_msi(second, s, &own);
	dma_interrupts(e, &own, &other);
}

/* With the device attached: a good copy through the mapping, then two writes it may not make. */
static void attached_tests(const struct edu *e, const struct page *victim, uint16_t second)
{
	struct page pg[3];
	struct iommu_space *s;
	uint8_t reason = 0;
	if (!page_new(&pg[0], 0xa5) || !page_new(&pg[1], 0) || !page_new(&pg[2], 0x3c) ||
	    !space_build(e, pg, &s)) {
		verdict("iommu.space", false, "could not build the device's space at", IOVA_SRC, 0);
		return;
	}
	uint64_t faults = iommu_last_fault(NULL);
	bool copied = edu_dma(e, IOVA_SRC, EDU_BUFFER, XFER, 0) &&
	              edu_dma(e, EDU_BUFFER, IOVA_DST, XFER, EDU_TO_RAM) && pg[1].va[0] == 0xa5 &&
	              pg[1].va[XFER - 1] == 0xa5 && iommu_last_fault(NULL) == faults;
	verdict("iommu.dma_mapped", copied, "copied through the mapping to", IOVA_DST, 0);
	bool ro = blocked(e, IOVA_RO, &pg[2], 0x3c, &reason);
	verdict("iommu.readonly_blocked", ro, "write to a read-only page at", IOVA_RO, reason);
	bool un = blocked(e, victim->pa, victim, 0x77, &reason);
	verdict("iommu.unmapped_blocked", un, "write to the unmapped", victim->pa, reason);
	ir_tests(e, s, second);
}

void vtd_selftest(void)
{
	struct edu e;
	struct page victim;
	uint16_t bdf[2] = {0xffff, 0xffff};
	uint8_t reason = 0;
	pci_enumerate(find_edu, bdf, 256);
	if (!edu_open(&e, bdf[0]) || !page_new(&victim, 0x77)) {
		kprintf("bulkhead: iommu self-test: no edu device (QEMU -device edu), nothing tested");
		return;
	}
	if (!arch_iommu_present()) {
		bool reached = edu_dma(&e, EDU_BUFFER, victim.pa, XFER, EDU_TO_RAM) &&
		               victim.va[0] != 0x77;
		kprintf("bulkhead: iommu self-test: no IOMMU: a DMA write to 0x%lx %s", victim.pa,
		        reached ? "reached memory" : "did not reach memory");
	} else {
		bool ok = blocked(&e, victim.pa, &victim, 0x77, &reason);
		verdict("iommu.unattached_blocked", ok, "write by an unattached device to",
		        victim.pa, reason);
		attached_tests(&e, &victim, bdf[1]);
	}
	edu_close(&e);
}
