/* virtio-net driver: bringing the device up (reset, features, MAC, link, the two queues). */
#include <string.h>

#include "net.h"

#define NET_MEM_ALIGN 64u

size_t net_dev_mem_size(void)
{
	return 2u * virtq_mem_size(NET_QUEUE_SIZE);
}

static const char *const dev_err_names[] = {
	[NET_DEV_OK] = "ok",
	[NET_DEV_VIRTIO] = "virtio",
	[NET_DEV_NOT_NET] = "not a virtio network device",
	[NET_DEV_MEMORY] = "the queue memory is too small, misaligned or not reachable by DMA",
	[NET_DEV_CONFIG] = "the device offers no MAC address, or queues that are too small",
};

const char *net_dev_err_str(const struct net_dev *dev, enum net_dev_err e)
{
	if (e == NET_DEV_VIRTIO)
		return virtio_err_str(dev->virtio_err);
	if ((unsigned)e < sizeof(dev_err_names) / sizeof(dev_err_names[0]))
		return dev_err_names[e];
	return "unknown error";
}

enum net_dev_err net_dev_open(struct net_dev *dev, const struct virtio_ops *ops, void *mem,
                              size_t size)
{
	memset(dev, 0, sizeof(*dev));
	dev->virtio_err = virtio_pci_open(&dev->pci, ops);
	if (dev->virtio_err != VIRTIO_OK)
		return NET_DEV_VIRTIO;
	if (dev->pci.device_id != VIRTIO_ID_NET)
		return NET_DEV_NOT_NET;
	if (!mem || size < net_dev_mem_size() || ((uintptr_t)mem & (NET_MEM_ALIGN - 1)))
		return NET_DEV_MEMORY;
	if (!virtio_pci_dma_addr(&dev->pci, mem, &dev->mem_daddr) ||
	    (dev->mem_daddr & (NET_MEM_ALIGN - 1)))
		return NET_DEV_MEMORY;
	dev->mem = mem;
	dev->mem_size = size;
	return NET_DEV_OK;
}

static enum net_dev_err virtio_failed(struct net_dev *dev, enum virtio_err err)
{
	dev->virtio_err = err;
	return NET_DEV_VIRTIO;
}

bool net_dev_link_up(struct net_dev *dev)
{
	uint32_t st = 0;

	if (!dev->has_status)
		return true;
	if (virtio_pci_config_read(&dev->pci, VIRTIO_NET_CFG_STATUS, 2, &st) != VIRTIO_OK)
		return false;
	return (st & VIRTIO_NET_S_LINK_UP) != 0;
}

static enum net_dev_err read_config(struct net_dev *dev)
{
	struct virtio_pci *p = &dev->pci;

	if (!(p->features & VIRTIO_NET_F_MAC))
		return NET_DEV_CONFIG;
	enum virtio_err err = virtio_pci_config_bytes(p, VIRTIO_NET_CFG_MAC, dev->mac, NET_MAC_LEN);
	if (err != VIRTIO_OK)
		return virtio_failed(dev, err);
	dev->has_status = (p->features & VIRTIO_NET_F_STATUS) != 0;
	return NET_DEV_OK;
}

/* Queue @index in half @half of the queue memory. */
static enum virtio_err setup_queue(struct net_dev *dev, uint16_t index, size_t half,
                                   struct virtq *q)
{
	size_t off = half * virtq_mem_size(NET_QUEUE_SIZE);

	return virtio_pci_queue_setup(&dev->pci, index, NET_QUEUE_SIZE, dev->mem + off,
	                              dev->mem_daddr + off, q);
}

static enum net_dev_err setup_queues(struct net_dev *dev)
{
	enum virtio_err err = virtio_pci_config_vector(&dev->pci);

	if (err == VIRTIO_OK)
		err = setup_queue(dev, VIRTIO_NET_RXQ, 0, &dev->rxq);
	if (err == VIRTIO_OK)
		err = setup_queue(dev, VIRTIO_NET_TXQ, 1, &dev->txq);
	if (err != VIRTIO_OK)
		return virtio_failed(dev, err);
	if (dev->rxq.size < NET_MIN_QUEUE || dev->txq.size < NET_MIN_QUEUE)
		return NET_DEV_CONFIG;
	return NET_DEV_OK;
}

enum net_dev_err net_dev_start(struct net_dev *dev)
{
	enum virtio_err err = virtio_pci_reset(&dev->pci);

	if (err == VIRTIO_OK)
		err = virtio_pci_negotiate(&dev->pci, NET_FEATURES);
	if (err != VIRTIO_OK)
		return virtio_failed(dev, err);
	enum net_dev_err e = read_config(dev);
	if (e == NET_DEV_OK)
		e = setup_queues(dev);
	if (e == NET_DEV_OK && (err = virtio_pci_driver_ok(&dev->pci)) != VIRTIO_OK)
		e = virtio_failed(dev, err);
	if (e != NET_DEV_OK)
		virtio_pci_fail(&dev->pci);
	return e;
}
