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
 * Nothing here outlives a restart: a fresh instance resets the device, tells the client (the
 * handshake of net_proto.h), and serves.
 */
#define DEVICE_NAME "nic0"
#define RING_NAME "net"

static struct net drv;
static struct virtio_ops ops;
static struct virtio_bh ops_ctx;
static struct bh_ring ring;
static const struct bh_info_entry *ring_entry;
static const char *ring_name = RING_NAME;

/* The memory above as a fresh instance finds it (the chaos build's simulated restart). */
static void forget(void)
{
	memset(&drv, 0, sizeof(drv));
	memset(&ops, 0, sizeof(ops));
	memset(&ops_ctx, 0, sizeof(ops_ctx));
	memset(&ring, 0, sizeof(ring));
	ring_entry = NULL;
	ring_name = RING_NAME;
}

/* A deadline at most BH_HEARTBEAT_US away: the driver never sleeps longer. */
static uint64_t beat_deadline(void)
{
	return bh_rdtsc() + (uint64_t)BH_HEARTBEAT_US * bh_cycles_per_us();
}

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
		bh_heartbeat();
		unsigned pump = net_pump(&drv, irq);
		NET_CHAOS_POINT("pass done, client not signalled");
		if (pump & NET_NOTIFY)
			(void)bh_signal(ring.slot);
		irq = false;
		if (drv.ring_broken)
			return;
		say_changes(&resets, &link);
		unsigned idle = net_idle(&drv);
		NET_CHAOS_POINT("rings armed");
		if (idle & NET_NOTIFY)
			(void)bh_signal(ring.slot);
		if (idle & NET_READY)
			continue;
		if (bh_wait_until(ring.bit | irq_bit, beat_deadline()) & irq_bit) {
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
	ring_entry = re;
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

/*
 * The handshake (net_proto.h): with the device reset, publishes this instance and, if the
 * client speaks reconnect, waits (heartbeating) until it reset the queues; then attaches them
 * afresh. A client without it (libnet's port, the test clients) is served at once.
 */
static void reconnect(void)
{
	struct net_hello_end h;

	if (!net_hello_open(&h, &ring.ring))
		return;
	uint64_t inc = net_hello_start(&h, ((uint64_t)bh_info()->generation << 32) ^ bh_rdtsc());
	if (inc == 0)
		return;
	(void)bh_signal(ring.slot);
	NET_CHAOS_POINT("handshake, before the answer");
	while (!net_hello_acked(&h, inc)) {
		bh_heartbeat();
		(void)bh_wait_until(ring.bit, beat_deadline());
	}
	(void)bh_ring_open_entry(ring_entry, &ring); /* the queues as the client reset them */
	printf("virtio-net: port %.32s reconnected to %.32s (incarnation %016llx)\n", ring_name,
	       ring.peer, (unsigned long long)inc);
}

/** One instance, fresh from its image (or from a simulated restart): reset, reconnect, serve. */
int main(void)
{
	NET_CHAOS_BEGIN(forget); /* the chaos build's simulated restarts come back here */
	const struct bh_info_entry *dev = open_all();

	if (!dev)
		return 1;
	(void)bh_device_ack(dev->slot); /* unmasks an interrupt an earlier instance left masked */
	enum net_dev_err err = net_serve_init(&drv, &ring.ring); /* resets the device first */
	reconnect();
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
