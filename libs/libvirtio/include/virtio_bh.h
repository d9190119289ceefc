/* libvirtio: the transport's operations for a domain, over libbh's device hypercalls. */
#ifndef LIBVIRTIO_VIRTIO_BH_H
#define LIBVIRTIO_VIRTIO_BH_H

#include <stdint.h>

#include "virtio.h"

/* What the operations need: the device capability's slot. */
struct virtio_bh {
	uint32_t slot;
};

/**
 * Fills @ops so that libvirtio reaches the device in capability @slot: config space through
 * BH_HC_DEVICE_CFG_READ/WRITE, BARs where the kernel mapped them (uncached), device addresses
 * from BH_HC_DMA_ADDR. Needs: @ctx lives as long as @ops.
 */
void virtio_bh_ops(struct virtio_ops *ops, struct virtio_bh *ctx, uint32_t slot);

#endif
