/* x86_64 VT-d internals shared by vtd.c (DMA remapping) and vtd_ir.c (interrupt remapping). */
#ifndef VTD_H
#define VTD_H

#include <stdbool.h>
#include <stdint.h>

#include <acpi.h>
#include <kernel/types.h>

/* Registers (VT-d specification, chapter 11). */
#define REG_CAP 0x08
#define REG_ECAP 0x10
#define REG_GCMD 0x18
#define REG_GSTS 0x1c
#define REG_RTADDR 0x20
#define REG_CCMD 0x28
#define REG_FSTS 0x34
#define REG_FECTL 0x38
#define REG_FEDATA 0x3c
#define REG_FEADDR 0x40
#define REG_FEUADDR 0x44

#define GCMD_TE (1u << 31)    /* translation enable (status: TES) */
#define GCMD_SRTP (1u << 30)  /* set root table pointer (status: RTPS) */
#define GCMD_WBF (1u << 27)   /* write buffer flush (status: WBFS, clear when done) */
#define GCMD_QIE (1u << 26)   /* queued invalidation */
#define GCMD_IRE (1u << 25)   /* interrupt remapping */
#define GSTS_KEEP 0x96ffffffu /* the status bits that are not one-shot commands */

#define CAP_DWD (1ull << 54) /* drain writes on IOTLB invalidation */
#define CAP_DRD (1ull << 55) /* drain reads */
#define ECAP_C 0x1ull        /* table walks snoop the processor caches */
#define ECAP_QI 0x2ull       /* queued invalidation */
#define ECAP_IR 0x8ull       /* interrupt remapping */

#define SPIN_LIMIT 10000000u /* register polls before a unit counts as not answering */

/* One remapping unit. */
struct vtd_unit {
	struct acpi_drhd drhd;
	volatile uint8_t *regs;
	uint64_t cap, ecap;
	uint64_t *root; /* 256 root entries of two words */
	bool usable;
	bool qi;         /* invalidations go through the queue (registers are then off limits) */
	bool ir;         /* interrupts are remapped */
	uint64_t *queue; /* 256 descriptors of two words */
	volatile uint32_t *done; /* the word wait descriptors write */
	uint64_t done_pa;
	uint32_t tail, seq;
};

static inline uint32_t vtd_rd32(const struct vtd_unit *u, unsigned off)
{
	return *(volatile uint32_t *)(u->regs + off);
}

static inline uint64_t vtd_rd64(const struct vtd_unit *u, unsigned off)
{
	return *(volatile uint64_t *)(u->regs + off);
}

static inline void vtd_wr32(const struct vtd_unit *u, unsigned off, uint32_t v)
{
	*(volatile uint32_t *)(u->regs + off) = v;
}

static inline void vtd_wr64(const struct vtd_unit *u, unsigned off, uint64_t v)
{
	*(volatile uint64_t *)(u->regs + off) = v;
}

/* Writes back the caches if @u's table walks do not snoop them. */
static inline void vtd_flush_caches(const struct vtd_unit *u)
{
	if (!(u->ecap & ECAP_C))
		__asm__ volatile("wbinvd" : : : "memory");
}

/** Polls until the bits @mask of 64-bit register @off read @want. Returns: false on time-out. */
bool vtd_poll64(const struct vtd_unit *u, unsigned off, uint64_t mask, uint64_t want);

/**
 * Turns the persistent command @bit (TE, QIE, IRE, CFI) on or off and waits
 * for its status bit. Returns: false if the unit does not follow.
 */
bool vtd_command(const struct vtd_unit *u, uint32_t bit, bool on);

/** Issues the one-shot command @bit; done when its status bit reads @done. Returns: false on time-out. */
bool vtd_one_shot(const struct vtd_unit *u, uint32_t bit, uint32_t done);

/** Returns: the unit whose scope holds PCI function @bdf, or NULL (none, or no IOMMU). */
struct vtd_unit *vtd_unit_for(uint16_t bdf);

/** Returns: every unit (*@n of them), usable or not. */
struct vtd_unit *vtd_units(unsigned *n);

/**
 * Turns on queued invalidation in @u (its queue from palloc). From then on
 * vtd_ir_sync is the only way to invalidate. Returns: NULL, or why not.
 */
const char *vtd_ir_queue(struct vtd_unit *u);

/**
 * Invalidates, through @u's queue, the context cache, the IOTLB and the
 * interrupt entry cache, globally, and waits. Returns: false on an error or time-out.
 */
bool vtd_ir_sync(struct vtd_unit *u);

/**
 * Turns on interrupt remapping in @u with the shared remapping table
 * (compatibility-format interrupts blocked). Needs: vtd_ir_queue done.
 * Returns: NULL, or why not.
 */
const char *vtd_ir_enable(struct vtd_unit *u);

#endif
