/* net_dma system test: a rogue virtio-net driver gives its device a buffer outside its DMA maps. */
#include <stdint.h>
#include <string.h>

#include <bh.h>
#include <net.h>
#include <virtio_bh.h>

#include "verdict.h"

/*
 * The driver's own bring-up (net_dev.c) starts the device; then a receive buffer at the victim's
 * page (0x50000000, which this domain does not even map) goes on the receive queue, and an ARP
 * request for QEMU's gateway goes out from the DMA map, so that the gateway's reply makes the
 * device write. The IOMMU must refuse the write: the kernel reports the DMA fault and stops
 * this domain, and the victim finds its page intact.
 */
#define VICTIM_VADDR 0x50000000ull
#define FRAME_AT 64u /* the ARP request in the DMA map, its header before it */
#define ARP_LEN 60u

static struct net_dev dev;
static struct virtio_ops ops;
static struct virtio_bh ops_ctx;

static void put_bytes(volatile uint8_t *p, const uint8_t *src, uint32_t n)
{
	for (uint32_t i = 0; i < n; i++)
		p[i] = src[i];
}

/* "Who has 10.0.2.2? Tell 10.0.2.15", from our MAC, behind a zero virtio-net header. */
static void build_arp(volatile uint8_t *f)
{
	static const uint8_t head[14 + 8] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0, 0,
	                                     0,    0x08, 0x06, 0,    1,    8,    0, 6, 4, 0, 1};
	static const uint8_t me[4] = {10, 0, 2, 15}, gw[4] = {10, 0, 2, 2};

	for (uint32_t i = 0; i < NET_VHDR_LEN + ARP_LEN; i++)
		f[i] = 0;
	f += NET_VHDR_LEN;
	put_bytes(f, head, sizeof(head));
	put_bytes(f + 6, dev.mac, 6);
	put_bytes(f + 22, dev.mac, 6);
	put_bytes(f + 28, me, 4);
	put_bytes(f + 38, gw, 4);
}

static void queue(struct virtq *q, uint64_t daddr, uint32_t len, bool writes)
{
	struct virtq_buf b = {daddr, len, writes};
	uint16_t head;

	(void)virtq_add(q, &b, 1, &head);
	if (virtq_publish(q))
		virtio_pci_notify(&dev.pci, q);
}

static bool start(void)
{
	const struct bh_info_entry *nic = bh_device_find("nic0"), *vq = bh_dma_find("probe-vq");
	uint64_t daddr;

	if (!nic || !vq)
		return false;
	virtio_bh_ops(&ops, &ops_ctx, nic->slot);
	return virtio_bh_map_span(&ops, vq, &daddr) &&
	       net_dev_open(&dev, &ops, (void *)(uintptr_t)vq->vaddr, vq->size) == NET_DEV_OK &&
	       net_dev_start(&dev) == NET_DEV_OK;
}

int main(void)
{
	const struct bh_info_entry *dma = bh_dma_find("probe-dma");
	struct bh_channel ready;
	uint64_t daddr = 0;

	bool up = dma && bh_channel_open("ready", &ready) && start() &&
	          virtio_bh_map_span(&ops, dma, &daddr);
	verdict("netdma.up", up, "the device runs with the driver's own bring-up");
	if (!up)
		return 1;
	while (!(bh_wait() & ready.bit)) /* the victim has filled its page */
		;
	say("receive buffer at 0x%llx, outside my DMA maps; ARP request to the gateway\n",
	    (unsigned long long)VICTIM_VADDR);
	queue(&dev.rxq, VICTIM_VADDR, NET_VHDR_LEN + NET_FRAME_MAX, true);
	build_arp((volatile uint8_t *)(uintptr_t)(dma->vaddr + FRAME_AT));
	queue(&dev.txq, daddr + FRAME_AT, NET_VHDR_LEN + ARP_LEN, false);
	for (long i = 0; i < 2000000000L && dev.rxq.used->idx == 0; i++)
		;
	verdict("netdma.blocked", false, "still running: the device %s",
	        dev.rxq.used->idx ? "used the buffer" : "never touched it");
	for (;;)
		bh_wait();
}
