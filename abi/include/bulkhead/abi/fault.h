/* ABI fault page: what the kernel tells a supervisor when its target stops. */
#ifndef BULKHEAD_ABI_FAULT_H
#define BULKHEAD_ABI_FAULT_H

#include <stdint.h>

/*
 * One page per supervised target (a region the manifest compiler places,
 * flag BP_REGION_FAULT, mapped read-only into the holder of the target's
 * `faults` right and into nobody else). Only the kernel writes it: when the
 * target faults or exits, the kernel stops it, fills in the record, then
 * increments `seq` (last, after a store fence) and sets the holder's fault
 * bit. A reader copies the record and re-reads `seq`; a changed seq means a
 * newer record arrived while it copied.
 */
enum bh_fault_kind {
	BH_FAULT_PAGE = 1,    /* page fault: addr = CR2 */
	BH_FAULT_GP = 2,      /* general protection (#GP, #SS, #NP, #TS) */
	BH_FAULT_UD = 3,      /* invalid opcode */
	BH_FAULT_MATH = 4,    /* #DE, #MF, #XM, #AC and other CPU exceptions */
	BH_FAULT_DMA = 5,     /* its device's DMA was refused by the IOMMU: addr = the I/O
	                       * address, error_code = the unit's fault reason */
	BH_FAULT_EXIT = 6,    /* it called BH_HC_EXIT: error_code = its exit code */
	BH_FAULT_KILLED = 7,  /* stopped by the kernel for another reason (budget, ...) */
};

struct bh_fault_page {
	uint64_t seq;        /* records written so far; 0 = none yet */
	uint32_t kind;       /* enum bh_fault_kind */
	uint32_t vector;     /* CPU exception vector, or 0 */
	uint64_t rip;        /* where it stopped */
	uint64_t addr;       /* faulting address (CR2, DMA address), or 0 */
	uint64_t error_code; /* the CPU's error code, DMA reason or exit code */
	uint32_t generation; /* the instance that stopped (start-info `generation`) */
	uint32_t reserved;   /* 0 */
	uint64_t tsc;        /* TSC when the kernel wrote the record */
	uint8_t pad[4096 - 56];
};
_Static_assert(sizeof(struct bh_fault_page) == 4096, "fault page ABI");

#endif
