/* virtio-net driver domain: finds its device, memory and port in the start-info page, serves. */
#include <stdio.h>
#include <string.h>

#include <bh.h>
#include <virtio_bh.h>

#include "net.h"

/*
 * Names (see README.md): the device "nic0", else the first device; the server ring "net",
 * else the first ring this domain serves; the DMA map whose name ends in "-vq" holds the
 * queues (map it into no other domain); the first other DMA map is the client's data region.
 * Nothing here outlives a restart: a fresh instance resets the device and serves.
 */
#define DEVICE_NAME "nic0"
#define RING_NAME "net"

static struct net drv;
static struct virtio_ops ops;
static struct virtio_bh ops_ctx;
static struct bh_ring ring;
static const char *ring_name = RING_NAME;

/* Sorts the DMA maps: the queue memory, and the data region (the first other one). */
static const struct bh_info_entry *find_memory(const struct bh_info_entry **data)
{
	const struct bh_info_entry *vq = NULL, *e;

	*data = NULL;
	for (uint32_t i = 0; (e = bh_dma_map(i)) != NULL; i++) {
		if (!vq && virtio_bh_is_vq(e))
			vq = e;
		else if (!*data)
			*data = e;
	}
	return vq;
}

static bool set_region(const struct bh_info_entry *e)
{
	if (!e || !(e->flags & BH_RIGHT_WRITE) || !virtio_bh_map_span(&ops, e, &drv.region.daddr))
		return false;
	drv.region.base = (volatile uint8_t *)(uintptr_t)e->vaddr;
	drv.region.size = e->size;
	return true;
}

static void say_device(const struct bh_info_entry *dev)
{
	const uint8_t *m = drv.dev.mac;
	uint32_t pci = dev->flags;

	printf("virtio-net: %.32s (%02x:%02x.%x): mac %02x:%02x:%02x:%02x:%02x:%02x, link %s, "
	       "rx queue %u, tx queue %u, event index %s; port %.32s from %.32s, data region %llu "
	       "bytes\n",
	       dev->name, (pci >> 8) & 0xffu, (pci >> 3) & 0x1fu, pci & 7u, m[0], m[1], m[2], m[3],
	       m[4], m[5], drv.link_up ? "up" : "down", drv.dev.rxq.size, drv.dev.txq.size,
	       drv.dev.pci.features & VIRTIO_F_EVENT_IDX ? "on" : "off", ring_name, ring.peer,
	       (unsigned long long)drv.region.size);
}

/* Reports device recoveries and link changes (they happen inside net_pump) once each. */
static void say_changes(uint64_t *resets, bool *link)
{
	if (drv.link_up != *link) {
		*link = drv.link_up;
		printf("virtio-net: link %s\n", *link ? "up" : "down");
	}
	if (drv.stats.resets == *resets)
		return;
	*resets = drv.stats.resets;
	printf("virtio-net: device reset after an error (%llu so far)%s%s\n",
	       (unsigned long long)*resets,
	       drv.dead ? " failed: " : "; buffers it held answered EIO",
	       drv.dead ? net_dev_err_str(&drv.dev, drv.last_err) : "");
}

/* The loop: work, then arm every wake-up and sleep until the client or the device signals. */
static void serve(const struct bh_info_entry *dev)
{
	uint64_t irq_bit = 1ull << dev->bit, resets = 0;
	bool irq = false, link = drv.link_up;

	for (;;) {
		if (net_pump(&drv, irq) & NET_NOTIFY)
			(void)bh_signal(ring.slot);
		irq = false;
		if (drv.ring_broken)
			return;
		say_changes(&resets, &link);
		unsigned idle = net_idle(&drv);
		if (idle & NET_NOTIFY)
			(void)bh_signal(ring.slot);
		if (idle & NET_READY)
			continue;
		if (bh_wait_for(ring.bit | irq_bit) & irq_bit) {
			(void)bh_device_ack(dev->slot);
			irq = true;
		}
	}
}

static const struct bh_info_entry *find_device(void)
{
	const char *why = NULL;
	const struct bh_info_entry *dev = virtio_bh_device(DEVICE_NAME, &why);

	if (!dev)
		printf("virtio-net: %s\n", why);
	return dev;
}

/* Finds and opens everything; prints why not. Returns the device's entry or NULL. */
static const struct bh_info_entry *open_all(void)
{
	const struct bh_info_entry *dev = find_device(), *data, *vq, *re;

	if (!dev)
		return NULL;
	virtio_bh_ops(&ops, &ops_ctx, dev->slot);
	vq = find_memory(&data);
	const char *missing = !vq || !(vq->flags & BH_RIGHT_WRITE) ? "writable DMA map *-vq" :
	                      !set_region(data) ? "writable DMA map for the data region" :
	                                          NULL;
	if (!missing && !(re = virtio_bh_server_ring(RING_NAME, &ring)))
		missing = "ring to serve";
	if (missing) {
		printf("virtio-net: the manifest gives me no %s\n", missing);
		return NULL;
	}
	ring_name = re->name;
	uint64_t vq_daddr;
	enum net_dev_err err =
		virtio_bh_map_span(&ops, vq, &vq_daddr) ?
			net_dev_open(&drv.dev, &ops, (void *)(uintptr_t)vq->vaddr, vq->size) :
			NET_DEV_MEMORY;
	if (err != NET_DEV_OK) {
		printf("virtio-net: device %.32s: %s\n", dev->name, net_dev_err_str(&drv.dev, err));
		return NULL;
	}
	return dev;
}

int main(void)
{
	const struct bh_info_entry *dev = open_all();

	if (!dev)
		return 1;
	enum net_dev_err err = net_serve_init(&drv, &ring.ring);
	if (err != NET_DEV_OK)
		printf("virtio-net: device %.32s: %s; answering EIO\n", dev->name,
		       net_dev_err_str(&drv.dev, err));
	else
		say_device(dev);
	serve(dev);
	net_stop(&drv);
	printf("virtio-net: ring %.32s broken by %.32s; device stopped\n", ring_name, ring.peer);
	return 1;
}
