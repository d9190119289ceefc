/* virtio-blk driver: bringing the device up (reset, features, geometry, the queue). */
#include <string.h>

#include "blk.h"

#define BLK_MEM_ALIGN 64u
#define BLK_MIN_BLOCK 512u
#define BLK_MAX_BLOCK 65536u

/* Layout of the queue memory: the virtqueue, then the headers, then the status bytes. */
static size_t hdrs_off(void)
{
	return virtq_mem_size(BLK_QUEUE_SIZE);
}

static size_t status_off(void)
{
	return hdrs_off() + VIRTQ_MAX_SIZE * sizeof(struct virtio_blk_hdr);
}

size_t blk_dev_mem_size(void)
{
	return status_off() + VIRTQ_MAX_SIZE;
}

static const char *const dev_err_names[] = {
	[BLK_DEV_OK] = "ok",
	[BLK_DEV_VIRTIO] = "virtio",
	[BLK_DEV_NOT_BLOCK] = "not a virtio block device",
	[BLK_DEV_MEMORY] = "the queue memory is too small, misaligned or not reachable by DMA",
	[BLK_DEV_CONFIG] = "the device reports an impossible block size or segment count",
};

const char *blk_dev_err_str(const struct blk_dev *dev, enum blk_dev_err e)
{
	if (e == BLK_DEV_VIRTIO)
		return virtio_err_str(dev->virtio_err);
	if ((unsigned)e < sizeof(dev_err_names) / sizeof(dev_err_names[0]))
		return dev_err_names[e];
	return "unknown error";
}

enum blk_dev_err blk_dev_open(struct blk_dev *dev, const struct virtio_ops *ops, void *mem,
                              size_t size)
{
	memset(dev, 0, sizeof(*dev));
	dev->block_size = BLK_MIN_BLOCK;
	dev->virtio_err = virtio_pci_open(&dev->pci, ops);
	if (dev->virtio_err != VIRTIO_OK)
		return BLK_DEV_VIRTIO;
	if (dev->pci.device_id != VIRTIO_ID_BLOCK)
		return BLK_DEV_NOT_BLOCK;
	if (!mem || size < blk_dev_mem_size() || ((uintptr_t)mem & (BLK_MEM_ALIGN - 1)))
		return BLK_DEV_MEMORY;
	if (!virtio_pci_dma_addr(&dev->pci, mem, &dev->mem_daddr) ||
	    (dev->mem_daddr & (BLK_MEM_ALIGN - 1)))
		return BLK_DEV_MEMORY;
	dev->mem = mem;
	dev->mem_size = size;
	dev->hdrs = (volatile struct virtio_blk_hdr *)(dev->mem + hdrs_off());
	dev->status = dev->mem + status_off();
	dev->hdrs_daddr = dev->mem_daddr + hdrs_off();
	dev->status_daddr = dev->mem_daddr + status_off();
	return BLK_DEV_OK;
}

static enum blk_dev_err virtio_failed(struct blk_dev *dev, enum virtio_err err)
{
	dev->virtio_err = err;
	return BLK_DEV_VIRTIO;
}

/* Block size and segment count, where negotiated; anything impossible refuses the device. */
static enum blk_dev_err read_geometry(struct blk_dev *dev)
{
	struct virtio_pci *p = &dev->pci;
	enum virtio_err err = virtio_pci_config_read64(p, VIRTIO_BLK_CFG_CAPACITY, &dev->capacity);

	dev->block_size = BLK_MIN_BLOCK;
	dev->seg_max = 0;
	if (err == VIRTIO_OK && (p->features & VIRTIO_BLK_F_BLK_SIZE))
		err = virtio_pci_config_read(p, VIRTIO_BLK_CFG_BLK_SIZE, 4, &dev->block_size);
	if (err == VIRTIO_OK && (p->features & VIRTIO_BLK_F_SEG_MAX))
		err = virtio_pci_config_read(p, VIRTIO_BLK_CFG_SEG_MAX, 4, &dev->seg_max);
	if (err != VIRTIO_OK)
		return virtio_failed(dev, err);
	uint32_t bs = dev->block_size;
	if (bs < BLK_MIN_BLOCK || bs > BLK_MAX_BLOCK || (bs & (bs - 1)) != 0)
		return BLK_DEV_CONFIG;
	if ((p->features & VIRTIO_BLK_F_SEG_MAX) && dev->seg_max == 0)
		return BLK_DEV_CONFIG; /* one data segment per request is all the driver uses */
	dev->ro = (p->features & VIRTIO_BLK_F_RO) != 0;
	dev->flush = (p->features & VIRTIO_BLK_F_FLUSH) != 0;
	return BLK_DEV_OK;
}

static enum blk_dev_err setup_queue(struct blk_dev *dev)
{
	enum virtio_err err = virtio_pci_config_vector(&dev->pci);

	if (err == VIRTIO_OK)
		err = virtio_pci_queue_setup(&dev->pci, 0, BLK_QUEUE_SIZE, dev->mem, dev->mem_daddr,
		                             &dev->q);
	if (err == VIRTIO_OK && dev->q.size < BLK_DESCS_PER_REQ)
		err = VIRTIO_ERR_QUEUE;
	return err == VIRTIO_OK ? BLK_DEV_OK : virtio_failed(dev, err);
}

enum blk_dev_err blk_dev_start(struct blk_dev *dev)
{
	enum virtio_err err = virtio_pci_reset(&dev->pci);

	if (err == VIRTIO_OK)
		err = virtio_pci_negotiate(&dev->pci, BLK_FEATURES);
	if (err != VIRTIO_OK)
		return virtio_failed(dev, err);
	enum blk_dev_err e = read_geometry(dev);
	if (e == BLK_DEV_OK)
		e = setup_queue(dev);
	if (e == BLK_DEV_OK && (err = virtio_pci_driver_ok(&dev->pci)) != VIRTIO_OK)
		e = virtio_failed(dev, err);
	if (e != BLK_DEV_OK)
		virtio_pci_fail(&dev->pci);
	return e;
}
