/* libvirtio: the transport's operations for a domain, over libbh's device hypercalls. */
#include <string.h>

#include <bh.h>
#include <bulkhead/abi/layout.h>

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

bool virtio_bh_map_span(const struct virtio_ops *ops, const struct bh_info_entry *e,
                        uint64_t *daddr)
{
	uint64_t last;

	if (e->size < BH_PAGE_SIZE || !ops->dma_addr(ops->ctx, (void *)(uintptr_t)e->vaddr, daddr))
		return false;
	uint64_t tail = e->vaddr + e->size - BH_PAGE_SIZE;
	return ops->dma_addr(ops->ctx, (void *)(uintptr_t)tail, &last) &&
	       last == *daddr + e->size - BH_PAGE_SIZE;
}

bool virtio_bh_is_vq(const struct bh_info_entry *e)
{
	static const char suffix[] = "-vq";
	size_t n = strnlen(e->name, BH_INFO_NAME_LEN), s = sizeof(suffix) - 1;

	return n >= s && memcmp(e->name + n - s, suffix, s) == 0;
}

const struct bh_info_entry *virtio_bh_server_ring(const char *name, struct bh_ring *r)
{
	const struct bh_start_info *info = bh_info();
	const struct bh_info_entry *e = bh_lookup(name, BH_RES_RING);

	for (uint32_t i = 0; !(e && e->flags == BH_RING_SERVER); i++) {
		if (i == info->n_entries || i == BH_INFO_MAX_ENTRIES)
			return NULL;
		e = &info->entries[i];
		e = e->kind == BH_RES_RING ? e : NULL;
	}
	return bh_ring_open_entry(e, r) ? e : NULL;
}

const struct bh_info_entry *virtio_bh_device(const char *name, const char **why)
{
	const struct bh_info_entry *dev = bh_device_find(name);

	if (!dev)
		dev = bh_device_find(NULL);
	if (dev && dev->bit < 64)
		return dev;
	*why = dev ? "the device has no irq in the manifest" : "the manifest gives me no device";
	return NULL;
}
