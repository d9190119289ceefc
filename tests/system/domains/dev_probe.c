/* System test device: what a device grant gives a driver, then a DMA attack the IOMMU stops. */
#include <stdint.h>
#include <string.h>

#include <bh.h>

#include "verdict.h"

#define VIRTIO_VENDOR 0x1af4u
#define VIRTIO_BLK_MODERN 0x1042u
#define CAP_VENDOR 0x09u
#define CFG_COMMON 1u
#define CFG_NOTIFY 2u
#define VICTIM_VADDR 0x50000000ull /* the victim's secret page; nothing is mapped here for us */

/* virtio_pci_common_cfg offsets. */
#define CC_DRIVER_FEATURE_SELECT 0x08
#define CC_DRIVER_FEATURE 0x0c
#define CC_STATUS 0x14
#define CC_QUEUE_SELECT 0x16
#define CC_QUEUE_SIZE 0x18
#define CC_QUEUE_ENABLE 0x1c
#define CC_QUEUE_NOTIFY_OFF 0x1e
#define CC_QUEUE_DESC 0x20
#define CC_QUEUE_DRIVER 0x28
#define CC_QUEUE_DEVICE 0x30

struct desc {
	uint64_t addr;
	uint32_t len;
	uint16_t flags, next;
};

static uint32_t slot;
static volatile uint8_t *common, *notify;
static uint32_t notify_mult;

static uint32_t cfg(uint32_t off, uint32_t width)
{
	uint32_t v = 0xffffffffu;
	(void)bh_device_cfg_read(slot, off, width, &v);
	return v;
}

/* Finds the virtio capability of @type; *@bar and *@off say where its structure is. */
static uint32_t find_cap(uint32_t type, uint32_t *bar, uint32_t *off)
{
	for (uint32_t c = cfg(0x34, 1) & 0xfc, n = 0; c && n < 48; c = cfg(c + 1, 1) & 0xfc, n++)
		if (cfg(c, 1) == CAP_VENDOR && cfg(c + 3, 1) == type) {
			*bar = cfg(c + 4, 1);
			*off = cfg(c + 8, 4);
			return c;
		}
	return 0;
}

static void check_bars(void)
{
	uint64_t v = 0, size = 0;
	enum bh_err msix = bh_device_bar(slot, 1, &v, &size);
	enum bh_err regs = bh_device_bar(slot, 4, &v, &size);
	verdict("device.bars", msix == BH_ERR_DENIED && regs == BH_OK && size >= 0x4000,
	        "msix bar %d, register bar %d at 0x%llx size 0x%llx", msix, regs,
	        (unsigned long long)v, (unsigned long long)size);
}

static void check_config(void)
{
	uint32_t id = cfg(0, 4), v = 0;
	verdict("device.cfg_read", id == (VIRTIO_VENDOR | VIRTIO_BLK_MODERN << 16), "id 0x%08x",
	        id);
	enum bh_err bar_read = bh_device_cfg_read(slot, 0x20, 4, &v);
	enum bh_err bar_write = bh_device_cfg_write(slot, 0x20, 4, 0);
	enum bh_err rom_write = bh_device_cfg_write(slot, 0x30, 4, 0);
	verdict("device.cfg_denied",
	        bar_read == BH_ERR_DENIED && bar_write == BH_ERR_DENIED &&
	                rom_write == BH_ERR_DENIED,
	        "bar read %d, bar write %d, rom write %d", bar_read, bar_write, rom_write);
	enum bh_err w3 = bh_device_cfg_read(slot, 0, 3, &v);
	enum bh_err far = bh_device_cfg_read(slot, 4096, 4, &v);
	enum bh_err odd = bh_device_cfg_read(slot, 2, 4, &v);
	enum bh_err big = bh_device_cfg_write(slot, 4, 2, 0x10000);
	verdict("device.cfg_args",
	        w3 == BH_ERR_INVALID && far == BH_ERR_INVALID && odd == BH_ERR_INVALID &&
	                big == BH_ERR_INVALID,
	        "width 3 %d, offset 4096 %d, unaligned %d, value too wide %d", w3, far, odd, big);
	enum bh_err cmd = bh_device_cfg_write(slot, 4, 2, 0x6 | 0x1);
	uint32_t now = cfg(4, 2);
	verdict("device.command",
	        cmd == BH_OK && (now & 0x6) == 0x6 && !(now & 0x1) && (now & 0x400),
	        "write %d, command now 0x%04x (memory and bus master on, I/O off, INTx off)", cmd,
	        now);
}

static void check_dma_addr(const struct bh_info_entry *dma)
{
	uint64_t a = 0, b = 0;
	enum bh_err in = bh_dma_addr(slot, (void *)(dma->vaddr + 0x100), &a);
	enum bh_err out = bh_dma_addr(slot, (void *)VICTIM_VADDR, &b);
	verdict("device.dma_addr", in == BH_OK && a == dma->vaddr + 0x100 && out == BH_ERR_INVALID,
	        "in map %d (0x%llx), outside %d", in, (unsigned long long)a, out);
}

/* Maps the common and notify structures through the register BAR; reads prove the mapping. */
static bool map_virtio(void)
{
	uint32_t bar = 0, off = 0, nbar = 0, noff = 0;
	uint64_t base = 0, size = 0;
	uint32_t ncap = find_cap(CFG_NOTIFY, &nbar, &noff);
	if (!find_cap(CFG_COMMON, &bar, &off) || !ncap || bar != nbar ||
	    bh_device_bar(slot, bar, &base, &size) != BH_OK)
		return false;
	common = (volatile uint8_t *)(base + off);
	notify = (volatile uint8_t *)(base + noff);
	notify_mult = cfg(ncap + 16, 4);
	return true;
}

static void set_status(uint8_t s)
{
	common[CC_STATUS] = s;
}

/* Resets the device and brings queue 0 up on the DMA map, 8 entries. */
static bool start_queue(uint8_t *dma, uint64_t dma_addr)
{
	set_status(0);
	for (int i = 0; i < 1000000 && common[CC_STATUS]; i++)
		;
	set_status(1 | 2);
	*(volatile uint32_t *)(common + CC_DRIVER_FEATURE_SELECT) = 1;
	*(volatile uint32_t *)(common + CC_DRIVER_FEATURE) = 0x3; /* VERSION_1, ACCESS_PLATFORM */
	set_status(1 | 2 | 8);
	if (!(common[CC_STATUS] & 8))
		return false;
	*(volatile uint16_t *)(common + CC_QUEUE_SELECT) = 0;
	*(volatile uint16_t *)(common + CC_QUEUE_SIZE) = 8;
	*(volatile uint64_t *)(common + CC_QUEUE_DESC) = dma_addr;
	*(volatile uint64_t *)(common + CC_QUEUE_DRIVER) = dma_addr + 0x1000;
	*(volatile uint64_t *)(common + CC_QUEUE_DEVICE) = dma_addr + 0x2000;
	*(volatile uint16_t *)(common + CC_QUEUE_ENABLE) = 1;
	set_status(1 | 2 | 8 | 4);
	memset(dma, 0, 0x3000);
	return true;
}

/*
 * The attack: a read request whose data buffer is the victim's address. The device
 * writes the sector there, the IOMMU refuses, and the kernel stops this domain.
 */
static void attack(uint8_t *dma, uint64_t dma_addr)
{
	struct desc *d = (struct desc *)dma;
	uint32_t *hdr = (uint32_t *)(dma + 0x800);
	hdr[0] = 0; /* VIRTIO_BLK_T_IN */
	d[0] = (struct desc){dma_addr + 0x800, 16, 1, 1};
	d[1] = (struct desc){VICTIM_VADDR, 512, 1 | 2, 2};
	d[2] = (struct desc){dma_addr + 0x810, 1, 2, 0};
	volatile uint16_t *avail = (volatile uint16_t *)(dma + 0x1000);
	avail[2] = 0;
	__atomic_store_n(&avail[1], 1, __ATOMIC_RELEASE);
	uint16_t qoff = *(volatile uint16_t *)(common + CC_QUEUE_NOTIFY_OFF);
	*(volatile uint16_t *)(notify + (size_t)qoff * notify_mult) = 0;
	volatile uint16_t *used_idx = (volatile uint16_t *)(dma + 0x2002);
	for (long i = 0; i < 200000000L && !*used_idx; i++)
		;
	verdict("device.dma_blocked", false, "still running after the attack (used idx %u)",
	        *used_idx);
}

int main(void)
{
	const struct bh_info_entry *dev = bh_device_find("disk0");
	const struct bh_info_entry *dma = bh_dma_map(0);
	struct bh_channel ready;
	if (!dev || !dma || !bh_channel_open("ready", &ready)) {
		verdict("device.setup", false, "no device, DMA map or channel in the start info");
		return 1;
	}
	slot = dev->slot;
	check_bars();
	check_config();
	check_dma_addr(dma);
	uint64_t dma_addr = 0;
	bool up = map_virtio() && bh_dma_addr(slot, (void *)dma->vaddr, &dma_addr) == BH_OK &&
	          start_queue((uint8_t *)dma->vaddr, dma_addr);
	verdict("device.virtio_up", up, "common config mapped, queue 0 enabled");
	while (!(bh_wait() & ready.bit)) /* the victim has filled its page */
		;
	if (up)
		attack((uint8_t *)dma->vaddr, dma_addr);
	for (;;)
		bh_wait();
}
