/* IOMMU, the architecture-neutral part: error texts and the report of a DMA fault. */
#include <kernel/iommu.h>
#include <kernel/klog.h>

static uint64_t fault_count;
static struct iommu_fault_rec fault_last;

const char *iommu_err_text(enum iommu_err err)
{
	switch (err) {
	case IOMMU_OK:
		return "ok";
	case IOMMU_ERR_NO_IOMMU:
		return "no IOMMU";
	case IOMMU_ERR_NOMEM:
		return "out of memory for IOMMU tables";
	case IOMMU_ERR_FULL:
		return "too many I/O address spaces";
	case IOMMU_ERR_ALIGN:
		return "address not page aligned";
	case IOMMU_ERR_RANGE:
		return "I/O address beyond the IOMMU's width";
	case IOMMU_ERR_PHYS:
		return "physical address beyond the IOMMU's reach";
	case IOMMU_ERR_OVERLAP:
		return "I/O address already mapped";
	case IOMMU_ERR_NO_UNIT:
		return "no IOMMU unit covers the device";
	case IOMMU_ERR_DOMAIN_ID:
		return "bad IOMMU domain id";
	case IOMMU_ERR_BUSY:
		return "device already attached";
	}
	return "unknown IOMMU error";
}

void iommu_fault(uint16_t bdf, uint64_t addr, bool write, uint8_t reason, bool report)
{
	fault_last = (struct iommu_fault_rec){bdf, addr, write, reason};
	fault_count++;
	if (report)
		kprintf("bulkhead: DMA fault: device %02x:%02x.%x %s at 0x%lx (reason 0x%x)",
		        bdf >> 8, (bdf >> 3) & 31, bdf & 7, write ? "write" : "read", addr, reason);
}

uint64_t iommu_last_fault(struct iommu_fault_rec *last)
{
	if (last && fault_count)
		*last = fault_last;
	return fault_count;
}
