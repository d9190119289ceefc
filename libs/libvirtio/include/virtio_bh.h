/* libvirtio: the transport's operations for a domain, over libbh's device hypercalls. */
#ifndef LIBVIRTIO_VIRTIO_BH_H
#define LIBVIRTIO_VIRTIO_BH_H

#include <stdbool.h>
#include <stdint.h>

#include <bh.h>

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

/**
 * The device address of DMA map @e, if the whole map is one span of device addresses (so a
 * buffer anywhere in it is one descriptor). Needs: @ops filled by virtio_bh_ops.
 * Returns: true with *@daddr, or false.
 */
bool virtio_bh_map_span(const struct virtio_ops *ops, const struct bh_info_entry *e,
                        uint64_t *daddr);

/** Returns: true if map @e is a driver's queue memory (its name ends in "-vq"). */
bool virtio_bh_is_vq(const struct bh_info_entry *e);

/**
 * Finds this driver's device: the one named @name if the manifest gives one of that name, else
 * the first it gives. Returns: its entry, or NULL with @why saying what the manifest lacks (no
 * device, or a device without an irq bit).
 */
const struct bh_info_entry *virtio_bh_device(const char *name, const char **why);

/**
 * Opens the ring this driver serves: the one named @name if it serves one of that name, else the
 * first ring it is the server of. Returns: its entry (ring opened into @r), or NULL.
 */
const struct bh_info_entry *virtio_bh_server_ring(const char *name, struct bh_ring *r);

#endif
