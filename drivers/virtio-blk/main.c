/* virtio-blk driver domain: finds its device, memory and ring in the start-info page, serves. */
#include <stdio.h>
#include <string.h>

#include <bh.h>
#include <blk_hello.h>
#include <blk_stamp.h>
#include <virtio_bh.h>

#include "blk.h"
#include "blk_chaos.h"

/*
 * Names (see README.md): the device "disk0", else the first device; the server ring "blk",
 * else the first ring this domain serves; the DMA map whose name ends in "-vq" holds the queue
 * (map it into no other domain); every other DMA map is a data region, numbered in start-info
 * order. Nothing here outlives a restart: a fresh instance resets the device, announces itself
 * on the ring and waits until the client reset the ring for it (blk_hello.h), then serves.
 * BLK_VERSION (meson: virtio-blk "1", virtio-blk-v2 "2") is the version it says at start.
 */
#define DEVICE_NAME "disk0"
#define RING_NAME "blk"
#define VQ_SUFFIX "-vq"

#ifndef BLK_VERSION
#define BLK_VERSION "1"
#endif

static struct blk drv;
static struct virtio_ops ops;
static struct virtio_bh ops_ctx;
static struct bh_ring ring;
static const struct bh_info_entry *ring_entry; /* the ring's region */
static const char *ring_name;
static struct blk_stamp_log *stamps; /* the bench's stage log, if mapped (blk_stamp.h) */
static bool supervised; /* it has a heartbeat page (BH_INFO_MAP_HEARTBEAT): a supervisor watches */

/* Forgets everything (a simulated restart starts here too, blk_chaos.h). */
static void forget(void)
{
	memset(&drv, 0, sizeof(drv));
	memset(&ops, 0, sizeof(ops));
	memset(&ops_ctx, 0, sizeof(ops_ctx));
	memset(&ring, 0, sizeof(ring));
	ring_entry = NULL;
	ring_name = RING_NAME;
	stamps = NULL;
	supervised = false;
}

/* Whether it has a heartbeat page (BH_INFO_MAP_HEARTBEAT), which bh_heartbeat counts in. */
static bool find_heartbeat(void)
{
	const struct bh_start_info *info = bh_info();

	for (uint32_t i = 0; i < info->n_entries && i < BH_INFO_MAX_ENTRIES; i++) {
		const struct bh_info_entry *e = &info->entries[i];
		if (e->kind == BH_RES_MAP && (e->flags & BH_INFO_MAP_HEARTBEAT))
			return true;
	}
	return false;
}

/* The latest a supervised driver may sleep until: one heartbeat interval from now. */
static uint64_t beat_deadline(void)
{
	return bh_rdtsc() + BH_HEARTBEAT_US * bh_cycles_per_us();
}

/* Copies a start-info name (maybe without its NUL) into a region name, NUL-terminated. */
static void name_copy(char dst[BLK_REGION_NAME_LEN], const char *src)
{
	size_t n = strnlen(src, BLK_REGION_NAME_LEN - 1);

	memcpy(dst, src, n);
	dst[n] = '\0';
}

/* Adds DMA map @e as the next data region. One that is not a single span of device addresses
 * keeps its index (so later regions keep theirs) with size 0: every request to it is refused. */
static void add_region(const struct bh_info_entry *e)
{
	struct blk_region *g = &drv.regions[drv.n_regions];

	if (drv.n_regions == BLK_MAX_REGIONS) {
		printf("virtio-blk: DMA map %.32s left out: more than %u data regions\n", e->name,
		       BLK_MAX_REGIONS);
		return;
	}
	drv.n_regions++;
	name_copy(g->name, e->name);
	if (!virtio_bh_map_span(&ops, e, &g->daddr)) {
		printf("virtio-blk: DMA map %.32s is not one span of device addresses: unused\n",
		       e->name);
		return;
	}
	g->base = (volatile uint8_t *)(uintptr_t)e->vaddr;
	g->size = e->size;
	g->writable = (e->flags & BH_RIGHT_WRITE) != 0;
}

/* Sorts the DMA maps: the queue memory, and the data regions. Returns the queue map or NULL. */
static const struct bh_info_entry *find_memory(void)
{
	const struct bh_info_entry *vq = NULL, *e;

	for (uint32_t i = 0; (e = bh_dma_map(i)) != NULL; i++) {
		if (!vq && virtio_bh_is_vq(e))
			vq = e;
		else
			add_region(e);
	}
	return vq;
}

/* The ring this driver serves: "blk" if it serves one of that name, else the first it serves. */
static bool find_ring(void)
{
	const struct bh_info_entry *e = virtio_bh_server_ring(RING_NAME, &ring);

	if (e)
		ring_name = e->name;
	ring_entry = e;
	return e != NULL;
}

static void say_device(const struct bh_info_entry *dev)
{
	const struct blk_dev *d = &drv.dev;
	uint32_t pci = dev->flags;

	printf("virtio-blk: %.32s (%02x:%02x.%x): %llu sectors of %u bytes, %s, %s; ring %.32s "
	       "from %.32s, %u requests at once, %u data regions\n",
	       dev->name, (pci >> 8) & 0xffu, (pci >> 3) & 0x1fu, pci & 7u,
	       (unsigned long long)d->capacity, d->block_size, d->ro ? "read-only" : "read-write",
	       d->flush ? "write cache" : "no write cache", ring_name, ring.peer, drv.max_reqs,
	       drv.n_regions);
}

/* Reports device recoveries (they happen inside blk_pump) once each. */
static void say_recoveries(uint64_t *seen)
{
	if (drv.resets == *seen)
		return;
	*seen = drv.resets;
	if (drv.dead)
		printf("virtio-blk: device reset after an error (%llu so far) failed: %s; answering "
		       "IOERR\n",
		       (unsigned long long)drv.resets, blk_dev_err_str(&drv.dev, drv.last_err));
	else
		printf("virtio-blk: device reset after an error (%llu so far); requests it held "
		       "answered IOERR\n",
		       (unsigned long long)drv.resets);
}

/* Sleeps until the client or the device signals (a bit of @bits); signals the client first
 * if @notify, in the same hypercall. A supervised driver (one with a heartbeat page) sleeps
 * at most one heartbeat interval, so that its loop beats at least that often; the signal
 * then goes first, in a hypercall of its own. Returns the bits that woke it (0: the deadline). */
static uint64_t sleep_signal(bool notify, uint64_t bits)
{
	enum bh_err err = BH_OK;

	if (supervised) {
		if (notify)
			(void)bh_signal(ring.slot);
		return bh_wait_until(bits, beat_deadline());
	}
	uint64_t got = notify ? bh_signal_wait(ring.slot, &err) : 0;
	return notify && err == BH_OK ? got : bh_wait_for(bits);
}

/*
 * Announces this instance on the ring and waits until the client reset the ring and
 * answered; then attaches to the ring afresh (blk_hello.h). Returns false if the simulation
 * (blk_chaos.h) stops this instance before that.
 */
static bool await_client(uint64_t inc)
{
	blk_hello_announce(&ring.ring, inc);
	(void)bh_signal(ring.slot);
	while (!blk_hello_answered(&ring.ring, inc)) {
		if (blk_chaos_abandon_hello())
			return false;
		bh_heartbeat();
		if (!bh_wait_until(ring.bit, beat_deadline()))
			(void)bh_signal(ring.slot); /* again, in case the client missed it */
	}
	bh_heartbeat();
	return ring_attach(&ring.ring, (void *)(uintptr_t)ring_entry->vaddr, ring_entry->size,
	                   RING_ROLE_SERVER) == RING_OK;
}

/* The loop: work, then arm every wake-up and sleep until the client or the device signals;
 * the client's signal, if it asked for one, goes with the sleep. Returns true when the
 * simulation abandons this instance (blk_chaos.h), false when the client broke the ring. */
static bool serve(const struct bh_info_entry *dev)
{
	uint64_t irq_bit = 1ull << dev->bit, seen = 0;
	bool irq = false;

	for (;;) {
		if (supervised) /* no call on the unsupervised (bench) path */
			bh_heartbeat();
		if (blk_chaos_abandon(&drv, irq))
			return true; /* stopped here: device, ring and answers as they are */
		unsigned out = blk_pump(&drv, irq);
		blk_stamp(stamps, BLK_STAMP_DRV_WORKED);
		irq = false;
		if (drv.ring_broken) {
			if (out & BLK_NOTIFY)
				(void)bh_signal(ring.slot);
			return false;
		}
		say_recoveries(&seen);
		out |= blk_idle(&drv);
		if (out & BLK_READY) {
			if (out & BLK_NOTIFY)
				(void)bh_signal(ring.slot);
			continue;
		}
		blk_stamp(stamps, BLK_STAMP_DRV_SLEEP);
		if (sleep_signal(out & BLK_NOTIFY, ring.bit | irq_bit) & irq_bit) {
			(void)bh_device_ack(dev->slot);
			irq = true;
		}
		blk_stamp(stamps, irq ? BLK_STAMP_DRV_IRQ : BLK_STAMP_DRV_WAKE);
	}
}

/* Finds and opens everything; prints why not. Returns the device's entry or NULL. */
static const struct bh_info_entry *open_all(void)
{
	const char *why = NULL;
	const struct bh_info_entry *dev = virtio_bh_device(DEVICE_NAME, &why);

	if (!dev) {
		printf("virtio-blk: %s\n", why);
		return NULL;
	}
	virtio_bh_ops(&ops, &ops_ctx, dev->slot);
	const struct bh_info_entry *vq = find_memory();
	if (!vq || !(vq->flags & BH_RIGHT_WRITE) || !find_ring()) {
		printf("virtio-blk: the manifest gives me no %s\n",
		       vq && (vq->flags & BH_RIGHT_WRITE) ? "ring to serve" :
		                                            "writable DMA map *" VQ_SUFFIX
		                                            " for the queue");
		return NULL;
	}
	uint64_t vq_daddr;
	enum blk_dev_err err =
		virtio_bh_map_span(&ops, vq, &vq_daddr) ?
			blk_dev_open(&drv.dev, &ops, (void *)(uintptr_t)vq->vaddr, vq->size) :
			BLK_DEV_MEMORY;
	if (err != BLK_DEV_OK) {
		printf("virtio-blk: device %.32s: %s\n", dev->name, blk_dev_err_str(&drv.dev, err));
		return NULL;
	}
	return dev;
}

#define RESTART 2 /* run_instance: the simulation starts a new instance */

/* One instance of the driver, from nothing: the start-info page, a device reset, the
 * handshake. @local numbers the simulated instances (0 in a real one). */
static int run_instance(uint32_t local)
{
	forget();
	supervised = find_heartbeat();
	bh_heartbeat();
	const struct bh_info_entry *dev = open_all();
	if (!dev)
		return 1;
	stamps = blk_stamp_open();
	enum blk_dev_err err = blk_serve_init(&drv, &ring.ring); /* resets the device first */
	if (!await_client(blk_hello_incarnation(bh_info()->generation, local)))
		return RESTART;
	if (blk_chaos_connected(&drv))
		(void)bh_signal(ring.slot);
	if (err != BLK_DEV_OK)
		printf("virtio-blk: device %.32s: %s; answering IOERR\n", dev->name,
		       blk_dev_err_str(&drv.dev, err));
	else if (local == 0)
		say_device(dev);
	if (serve(dev))
		return RESTART;
	blk_stop(&drv);
	printf("virtio-blk: ring %.32s broken by %.32s; device stopped\n", ring_name, ring.peer);
	return 1;
}

int main(void)
{
	const struct bh_start_info *info = bh_info();
	int rc = RESTART;

	printf("virtio-blk: version " BLK_VERSION ", instance %u\n", info->generation);
	for (uint32_t local = 0; rc == RESTART; local++)
		rc = run_instance(local);
	return rc;
}
