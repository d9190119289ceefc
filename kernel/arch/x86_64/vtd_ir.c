/* x86_64 VT-d interrupt remapping, and the queued invalidation it needs: entries that check the source. */
#include <kernel/arch.h>
#include <kernel/iommu.h>
#include <kernel/palloc.h>
#include <vtd.h>
#include <x86.h>

#define REG_IQT 0x88
#define REG_IQA 0x90
#define REG_IRTA 0xb8
#define GCMD_SIRTP (1u << 24) /* set interrupt remapping table pointer (status: IRTPS) */
#define GCMD_CFI (1u << 23)   /* compatibility-format interrupts (off: blocked) */
#define FSTS_IQE (1u << 4)    /* invalidation queue error */

#define QUEUE_LEN 256u            /* IQA size 0: 256 descriptors of 128 bits, one page */
#define DESC_CC_GLOBAL 0x11ull    /* context-cache invalidation, global */
#define DESC_IOTLB_GLOBAL 0x12ull /* IOTLB invalidation, global */
#define DESC_IOTLB_DR (1ull << 7)
#define DESC_IOTLB_DW (1ull << 6)
#define DESC_IEC_GLOBAL 0x04ull /* interrupt entry cache invalidation, global */
#define DESC_WAIT 0x25ull       /* invalidation wait, with a status write */

#define IRT_LEN 256u              /* remapping table entries: one page */
#define IRTA_SIZE 7u              /* the table holds 2^(7 + 1) entries */
#define IRTE_P 0x1ull             /* present; fixed delivery, edge, physical destination */
#define IRTE_SVT_SID (1ull << 18) /* verify the requester against the SID field, all 16 bits */
#define MSI_BASE 0xfee00000u
#define MSI_REMAPPABLE (1u << 4) /* interrupt format */
#define MSI_SHV (1u << 3)        /* subhandle valid (the data, 0, is added to the handle) */

static uint64_t *irt; /* shared by every unit: IRT_LEN entries of two words */
static paddr_t irt_pa;
static unsigned irt_used;

static void post(struct vtd_unit *u, uint64_t lo, uint64_t hi)
{
	uint64_t *d = &u->queue[(size_t)2 * u->tail];
	d[0] = lo;
	d[1] = hi;
	u->tail = (u->tail + 1) % QUEUE_LEN;
}

/* Posts a wait descriptor after what is queued, hands the queue to @u and waits for it. */
static bool wait(struct vtd_unit *u)
{
	uint32_t seq = ++u->seq;
	post(u, DESC_WAIT | (uint64_t)seq << 32, u->done_pa);
	vtd_flush_caches(u);
	vtd_wr64(u, REG_IQT, (uint64_t)u->tail << 4);
	for (uint32_t i = 0; i < SPIN_LIMIT; i++) {
		if (*u->done == seq)
			return true;
		if (vtd_rd32(u, REG_FSTS) & FSTS_IQE)
			return false;
	}
	return false;
}

const char *vtd_ir_queue(struct vtd_unit *u)
{
	paddr_t q = palloc_pages(2); /* the queue, then the page the wait descriptors write */
	if (!q.v)
		return "no memory for its invalidation queue";
	u->queue = arch_phys_to_virt(q);
	u->done = arch_phys_to_virt(pa(q.v + PAGE_SIZE));
	u->done_pa = q.v + PAGE_SIZE;
	u->tail = 0;
	vtd_wr64(u, REG_IQT, 0);
	vtd_wr64(u, REG_IQA, q.v); /* 128-bit descriptors, 256 of them */
	if (!vtd_command(u, GCMD_QIE, true))
		return "it does not take its invalidation queue";
	u->qi = true;
	return NULL;
}

bool vtd_ir_sync(struct vtd_unit *u)
{
	uint64_t drain = ((u->cap & CAP_DRD) ? DESC_IOTLB_DR : 0) |
	                 ((u->cap & CAP_DWD) ? DESC_IOTLB_DW : 0);
	post(u, DESC_CC_GLOBAL, 0);
	post(u, DESC_IOTLB_GLOBAL | drain, 0);
	post(u, DESC_IEC_GLOBAL, 0);
	return wait(u);
}

const char *vtd_ir_enable(struct vtd_unit *u)
{
	if (!irt) {
		irt_pa = palloc_pages(1);
		if (!irt_pa.v)
			return "no memory for the remapping table";
		irt = arch_phys_to_virt(irt_pa);
	}
	vtd_wr64(u, REG_IRTA, irt_pa.v | IRTA_SIZE); /* xAPIC mode (EIME clear) */
	if (!vtd_one_shot(u, GCMD_SIRTP, GCMD_SIRTP) || !vtd_ir_sync(u))
		return "it does not take the remapping table";
	if (!vtd_command(u, GCMD_CFI, false) || !vtd_command(u, GCMD_IRE, true))
		return "it does not turn remapping on";
	u->ir = true;
	return NULL;
}

/* The plain message for @vector at the boot CPU. */
static struct iommu_msi compat_msi(uint8_t vector)
{
	return (struct iommu_msi){MSI_BASE | (cpuid(1, 0).b >> 24) << 12, vector};
}

/* Invalidates the interrupt entry cache of every unit that remaps. */
static bool sync_ir_units(void)
{
	unsigned n;
	struct vtd_unit *u = vtd_units(&n);
	bool ok = true;
	for (unsigned i = 0; i < n; i++)
		if (u[i].ir && u[i].usable)
			ok = vtd_ir_sync(&u[i]) && ok;
	return ok;
}

enum iommu_err arch_iommu_msi(uint16_t bdf, uint8_t vector, struct iommu_msi *out)
{
	const struct vtd_unit *u = vtd_unit_for(bdf);
	if (vector < 0x20)
		return IOMMU_ERR_RANGE;
	if (!u || !u->usable || !u->ir) {
		*out = compat_msi(vector);
		return IOMMU_OK;
	}
	if (irt_used == IRT_LEN)
		return IOMMU_ERR_FULL;
	size_t i = irt_used++;
	uint64_t apic_id = cpuid(1, 0).b >> 24;
	irt[2 * i + 1] = bdf | IRTE_SVT_SID;
	irt[2 * i] = IRTE_P | (uint64_t)vector << 16 | apic_id << 40; /* xAPIC: DST bits 15:8 */
	if (!sync_ir_units())
		return IOMMU_ERR_NO_UNIT;
	*out = (struct iommu_msi){
		MSI_BASE | (i & 0x7fff) << 5 | MSI_REMAPPABLE | MSI_SHV | ((i >> 15) & 1) << 2, 0};
	return IOMMU_OK;
}
