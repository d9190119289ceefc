/* libvirtio: the transport's operations for a domain, over libbh's device hypercalls. */
#include <bh.h>

#include "virtio_bh.h"

static bool bh_cfg_read(void *ctx, uint32_t off, uint32_t width, uint32_t *val)
{
	const struct virtio_bh *b = ctx;

	return bh_device_cfg_read(b->slot, off, width, val) == BH_OK;
}

static bool bh_cfg_write(void *ctx, uint32_t off, uint32_t width, uint32_t val)
{
	const struct virtio_bh *b = ctx;

	return bh_device_cfg_write(b->slot, off, width, val) == BH_OK;
}

static bool bh_bar(void *ctx, uint32_t bar, uint64_t *base, uint64_t *size)
{
	const struct virtio_bh *b = ctx;

	return bh_device_bar(b->slot, bar, base, size) == BH_OK;
}

/* BAR registers: one uncached access of exactly @width bytes each. */
static uint32_t bh_mmio_read(void *ctx, uint64_t addr, uint32_t width)
{
	(void)ctx;
	if (width == 1)
		return *(volatile uint8_t *)(uintptr_t)addr;
	if (width == 2)
		return *(volatile uint16_t *)(uintptr_t)addr;
	return *(volatile uint32_t *)(uintptr_t)addr;
}

static void bh_mmio_write(void *ctx, uint64_t addr, uint32_t width, uint32_t val)
{
	(void)ctx;
	if (width == 1)
		*(volatile uint8_t *)(uintptr_t)addr = (uint8_t)val;
	else if (width == 2)
		*(volatile uint16_t *)(uintptr_t)addr = (uint16_t)val;
	else
		*(volatile uint32_t *)(uintptr_t)addr = val;
}

static bool bh_dma(void *ctx, const volatile void *p, uint64_t *daddr)
{
	const struct virtio_bh *b = ctx;

	return bh_dma_addr(b->slot, p, daddr) == BH_OK;
}

void virtio_bh_ops(struct virtio_ops *ops, struct virtio_bh *ctx, uint32_t slot)
{
	ctx->slot = slot;
	ops->ctx = ctx;
	ops->cfg_read = bh_cfg_read;
	ops->cfg_write = bh_cfg_write;
	ops->bar = bh_bar;
	ops->mmio_read = bh_mmio_read;
	ops->mmio_write = bh_mmio_write;
	ops->dma_addr = bh_dma;
}
