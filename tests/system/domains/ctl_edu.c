/*
 * System test control_dma: a driver of QEMU's edu device under a controller. The first
 * instance checks that a copy lands, starts another one and tells its controller, which stops
 * it before the copy lands. The restarted instance checks that its grant works again, then
 * makes the device write outside its DMA maps, which the IOMMU refuses.
 */
#include <stdint.h>
#include <string.h>

#include <bh.h>

#include "verdict.h"

/*
 * QEMU's edu device (hw/misc/edu.c) copies between its 4 KiB buffer and memory about 100 ms
 * (virtual) after the command. Region "dma" (the controller maps it read-only): page 0 the
 * source, page 1 a copy made while this domain runs, page 2 the copy the stop must cut off,
 * page 3 our report.
 */
#define EDU_SRC 0x80
#define EDU_DST 0x88
#define EDU_COUNT 0x90
#define EDU_CMD 0x98
#define EDU_RUN 0x1ull
#define EDU_TO_RAM 0x2ull
#define EDU_BUFFER 0x40000ull
#define PAGE 4096ull
#define XFER 2048u           /* QEMU 7.2's edu refuses a copy of its whole buffer */
#define OUTSIDE 0x7000000ull /* an I/O address in no DMA map */

struct report {
	uint64_t dma_cycles; /* TSC cycles one copy took, for the controller's wait */
	uint64_t outside;    /* the I/O address of the refused copy */
};

static volatile uint8_t *regs;
static uint32_t slot;

static void edu_write(unsigned reg, uint64_t v)
{
	*(volatile uint64_t *)(regs + reg) = v;
}

/* Starts a copy of XFER bytes; @to_ram: from the buffer to @dst, else from @src to the buffer. */
static void edu_start(uint64_t src, uint64_t dst, bool to_ram)
{
	edu_write(EDU_SRC, src);
	edu_write(EDU_DST, dst);
	edu_write(EDU_COUNT, XFER);
	edu_write(EDU_CMD, EDU_RUN | (to_ram ? EDU_TO_RAM : 0));
}

static void edu_wait(void)
{
	while (*(volatile uint64_t *)(regs + EDU_CMD) & EDU_RUN)
		;
}

/* Maps BAR 0 and lets the device master the bus. Returns: true if both worked. */
static bool edu_open(void)
{
	const struct bh_info_entry *dev = bh_device_find("edu0");
	uint64_t base = 0, size = 0;

	if (!dev)
		return false;
	slot = dev->slot;
	if (bh_device_bar(slot, 0, &base, &size) != BH_OK)
		return false;
	regs = (volatile uint8_t *)base;
	return bh_device_cfg_write(slot, 4, 2, 0x6) == BH_OK; /* memory space, bus master */
}

/* Copies page 0, filled with @fill, through the device's buffer to page 1; true if it landed. */
static bool round_trip(volatile uint8_t *mem, uint64_t d, uint8_t fill, uint64_t *took)
{
	memset((void *)mem, fill, PAGE);
	memset((void *)(mem + PAGE), 0, PAGE);
	edu_start(d, EDU_BUFFER, false);
	edu_wait();
	uint64_t t0 = bh_rdtsc();
	edu_start(EDU_BUFFER, d + PAGE, true);
	edu_wait();
	*took = bh_rdtsc() - t0;
	return mem[PAGE] == fill && mem[PAGE + XFER - 1] == fill;
}

int main(void)
{
	const struct bh_info_entry *dma = bh_dma_find("dma");
	struct bh_channel go;
	uint64_t d = 0, took = 0;

	if (!dma || !bh_channel_open("go", &go) || !edu_open() ||
	    bh_dma_addr(slot, (void *)dma->vaddr, &d) != BH_OK) {
		verdict("control_dma.driver", false, "no edu0 device, DMA map or channel");
		return 1;
	}
	volatile uint8_t *mem = (volatile uint8_t *)dma->vaddr;
	volatile struct report *rep = (volatile struct report *)(mem + 3 * PAGE);
	bool first = bh_info()->generation == 0;
	bool landed = round_trip(mem, d, first ? 0xa5u : 0x5au, &took);
	verdict(first ? "control_dma.alive" : "control_dma.regrant", landed,
	        "a copy by generation %u %s (%lu cycles)", bh_info()->generation,
	        landed ? "landed" : "did not land", (unsigned long)took);
	rep->dma_cycles = took;
	rep->outside = OUTSIDE;
	if (first)
		edu_start(EDU_BUFFER, d + 2 * PAGE, true); /* the stop must cut this one off */
	else
		edu_start(EDU_BUFFER, OUTSIDE, true); /* the IOMMU refuses it */
	(void)bh_signal(go.slot);
	for (;;)
		bh_yield();
}
