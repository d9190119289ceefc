/* libvirtio: the virtio-pci modern transport: capabilities, reset, features, queues, vectors. */
#include <string.h>

#include "virtio.h"

#define PCI_CFG_SIZE 256u   /* capabilities live in the first 256 bytes */
#define PCI_CAP_FIRST 0x40u /* below this is the standard header */
#define PCI_MAX_CAPS 48u    /* (256 - 64) / 4: more means the list loops */
#define PCI_MAX_BAR 5u
#define PCI_DEVICE_MODERN_LAST 0x107fu

static const char *const err_names[VIRTIO_ERR_COUNT] = {
	[VIRTIO_OK] = "ok",
	[VIRTIO_ERR_TRANSPORT] = "a config-space or BAR operation failed",
	[VIRTIO_ERR_NOT_MODERN] = "not a modern (1.x) virtio PCI function",
	[VIRTIO_ERR_CAPS] = "a virtio capability is missing or malformed",
	[VIRTIO_ERR_RESET] = "device_status did not read 0 after the reset",
	[VIRTIO_ERR_FEATURES] = "the device does not offer VERSION_1 and ACCESS_PLATFORM",
	[VIRTIO_ERR_FEATURES_OK] = "the device refused the features accepted",
	[VIRTIO_ERR_QUEUE] = "the queue is absent or its notify address is out of range",
	[VIRTIO_ERR_MSIX] = "the device refused MSI-X vector 0",
	[VIRTIO_ERR_NEEDS_RESET] = "the device stopped and needs a reset",
	[VIRTIO_ERR_CONFIG] = "device configuration out of range or never stable",
};

const char *virtio_err_str(enum virtio_err e)
{
	return (unsigned)e < VIRTIO_ERR_COUNT ? err_names[e] : "unknown error";
}

/* ---- config space and the common configuration ---- */

static bool cfg_read(struct virtio_pci *d, uint32_t off, uint32_t width, uint32_t *val)
{
	return d->ops->cfg_read(d->ops->ctx, off, width, val);
}

static uint32_t common_read(struct virtio_pci *d, uint32_t off, uint32_t width)
{
	return d->ops->mmio_read(d->ops->ctx, d->common.base + off, width);
}

static void common_write(struct virtio_pci *d, uint32_t off, uint32_t width, uint32_t val)
{
	d->ops->mmio_write(d->ops->ctx, d->common.base + off, width, val);
}

static void common_write64(struct virtio_pci *d, uint32_t off, uint64_t val)
{
	common_write(d, off, 4, (uint32_t)val);
	common_write(d, off + 4, 4, (uint32_t)(val >> 32));
}

static uint8_t get_status(struct virtio_pci *d)
{
	return (uint8_t)common_read(d, VIRTIO_COMMON_STATUS, 1);
}

static void add_status(struct virtio_pci *d, uint32_t bits)
{
	common_write(d, VIRTIO_COMMON_STATUS, 1, get_status(d) | bits);
}

/* ---- capabilities ---- */

/* A capability's fields, read from config space. */
struct cap {
	uint32_t len, type, bar, offset, length, mult;
};

static bool read_cap(struct virtio_pci *d, uint32_t ptr, struct cap *c)
{
	c->mult = 0;
	if (!cfg_read(d, ptr + 2, 1, &c->len) || !cfg_read(d, ptr + VIRTIO_CAP_TYPE, 1, &c->type) ||
	    !cfg_read(d, ptr + VIRTIO_CAP_BAR, 1, &c->bar))
		return false;
	if (c->len < VIRTIO_CAP_MIN_LEN || ptr + c->len > PCI_CFG_SIZE || c->bar > PCI_MAX_BAR)
		return false;
	if (!cfg_read(d, ptr + VIRTIO_CAP_OFFSET, 4, &c->offset) ||
	    !cfg_read(d, ptr + VIRTIO_CAP_LENGTH, 4, &c->length))
		return false;
	if (c->type != VIRTIO_PCI_CAP_NOTIFY)
		return true;
	return c->len >= VIRTIO_CAP_NOTIFY_LEN &&
	       cfg_read(d, ptr + VIRTIO_CAP_NOTIFY_MULT, 4, &c->mult);
}

/* The structure a capability describes, if its BAR is mapped and holds all of it. */
static bool cap_region(struct virtio_pci *d, const struct cap *c, struct virtio_region *r)
{
	uint64_t base, size;

	if (!d->ops->bar(d->ops->ctx, c->bar, &base, &size))
		return false;
	if ((uint64_t)c->offset + c->length > size)
		return false;
	r->base = base + c->offset;
	r->len = c->length;
	return true;
}

/* Takes the first usable capability of each type; later and malformed ones are ignored. */
static void take_cap(struct virtio_pci *d, uint32_t ptr)
{
	struct virtio_region *slot = NULL;
	struct cap c;

	if (!read_cap(d, ptr, &c))
		return;
	if (c.type == VIRTIO_PCI_CAP_COMMON)
		slot = &d->common;
	else if (c.type == VIRTIO_PCI_CAP_NOTIFY)
		slot = &d->notify;
	else if (c.type == VIRTIO_PCI_CAP_DEVICE)
		slot = &d->device;
	if (!slot || slot->len != 0 || !cap_region(d, &c, slot))
		return;
	if (slot == &d->notify)
		d->notify_mult = c.mult;
}

/* Walks the capability list, at most PCI_MAX_CAPS entries (a looping list is refused). */
static enum virtio_err walk_caps(struct virtio_pci *d)
{
	uint32_t status, ptr, id, next;

	if (!cfg_read(d, PCI_CFG_STATUS, 2, &status) || !cfg_read(d, PCI_CFG_CAP_PTR, 1, &ptr))
		return VIRTIO_ERR_TRANSPORT;
	if (!(status & PCI_STATUS_CAP_LIST))
		return VIRTIO_ERR_CAPS;
	ptr &= ~3u;
	for (uint32_t n = 0; ptr != 0; n++) {
		if (n == PCI_MAX_CAPS || ptr < PCI_CAP_FIRST)
			return VIRTIO_ERR_CAPS;
		if (!cfg_read(d, ptr, 1, &id) || !cfg_read(d, ptr + 1, 1, &next))
			return VIRTIO_ERR_TRANSPORT;
		if (id == PCI_CAP_ID_VENDOR)
			take_cap(d, ptr);
		ptr = next & ~3u;
	}
	if (d->common.len < VIRTIO_COMMON_LEN || d->notify.len < 2)
		return VIRTIO_ERR_CAPS;
	return VIRTIO_OK;
}

static enum virtio_err check_ids(struct virtio_pci *d)
{
	uint32_t vendor, device;

	if (!cfg_read(d, PCI_CFG_VENDOR, 2, &vendor) || !cfg_read(d, PCI_CFG_DEVICE, 2, &device))
		return VIRTIO_ERR_TRANSPORT;
	if (vendor != PCI_VENDOR_VIRTIO || device < PCI_DEVICE_VIRTIO_MODERN ||
	    device > PCI_DEVICE_MODERN_LAST)
		return VIRTIO_ERR_NOT_MODERN;
	d->device_id = (uint16_t)(device - PCI_DEVICE_VIRTIO_MODERN);
	return VIRTIO_OK;
}

static enum virtio_err enable_function(struct virtio_pci *d)
{
	uint32_t cmd;

	if (!cfg_read(d, PCI_CFG_COMMAND, 2, &cmd))
		return VIRTIO_ERR_TRANSPORT;
	if ((cmd & PCI_CMD_MEMORY) && (cmd & PCI_CMD_BUS_MASTER))
		return VIRTIO_OK;
	/* The other bits are written back as they are: a driver may change only these two. */
	cmd |= PCI_CMD_MEMORY | PCI_CMD_BUS_MASTER;
	if (!d->ops->cfg_write(d->ops->ctx, PCI_CFG_COMMAND, 2, cmd))
		return VIRTIO_ERR_TRANSPORT;
	return VIRTIO_OK;
}

enum virtio_err virtio_pci_open(struct virtio_pci *d, const struct virtio_ops *ops)
{
	enum virtio_err err;

	memset(d, 0, sizeof(*d));
	d->ops = ops;
	err = check_ids(d);
	if (err == VIRTIO_OK)
		err = enable_function(d);
	if (err == VIRTIO_OK)
		err = walk_caps(d);
	return err;
}

/* ---- status, features ---- */

enum virtio_err virtio_pci_reset(struct virtio_pci *d)
{
	common_write(d, VIRTIO_COMMON_STATUS, 1, 0);
	for (uint32_t i = 0; i < VIRTIO_RESET_POLLS; i++)
		if (get_status(d) == 0)
			return VIRTIO_OK;
	return VIRTIO_ERR_RESET;
}

static uint64_t read_features(struct virtio_pci *d)
{
	common_write(d, VIRTIO_COMMON_DFSELECT, 4, 0);
	uint64_t lo = common_read(d, VIRTIO_COMMON_DF, 4);
	common_write(d, VIRTIO_COMMON_DFSELECT, 4, 1);
	uint64_t hi = common_read(d, VIRTIO_COMMON_DF, 4);
	return lo | hi << 32;
}

static void write_features(struct virtio_pci *d, uint64_t f)
{
	common_write(d, VIRTIO_COMMON_GFSELECT, 4, 0);
	common_write(d, VIRTIO_COMMON_GF, 4, (uint32_t)f);
	common_write(d, VIRTIO_COMMON_GFSELECT, 4, 1);
	common_write(d, VIRTIO_COMMON_GF, 4, (uint32_t)(f >> 32));
}

enum virtio_err virtio_pci_negotiate(struct virtio_pci *d, uint64_t wanted)
{
	uint64_t implemented = (wanted & VIRTIO_DEVICE_FEATURES) | VIRTIO_TRANSPORT_FEATURES;

	add_status(d, VIRTIO_STATUS_ACKNOWLEDGE);
	add_status(d, VIRTIO_STATUS_DRIVER);
	d->offered = read_features(d);
	d->features = d->offered & implemented;
	if ((d->features & VIRTIO_REQUIRED_FEATURES) != VIRTIO_REQUIRED_FEATURES) {
		virtio_pci_fail(d);
		return VIRTIO_ERR_FEATURES;
	}
	write_features(d, d->features);
	add_status(d, VIRTIO_STATUS_FEATURES_OK);
	if (!(get_status(d) & VIRTIO_STATUS_FEATURES_OK)) {
		virtio_pci_fail(d);
		return VIRTIO_ERR_FEATURES_OK;
	}
	return VIRTIO_OK;
}

enum virtio_err virtio_pci_config_vector(struct virtio_pci *d)
{
	common_write(d, VIRTIO_COMMON_MSIX, 2, 0);
	if (common_read(d, VIRTIO_COMMON_MSIX, 2) == VIRTIO_MSI_NO_VECTOR)
		return VIRTIO_ERR_MSIX;
	return VIRTIO_OK;
}

enum virtio_err virtio_pci_driver_ok(struct virtio_pci *d)
{
	add_status(d, VIRTIO_STATUS_DRIVER_OK);
	return virtio_pci_needs_reset(d) ? VIRTIO_ERR_NEEDS_RESET : VIRTIO_OK;
}

bool virtio_pci_needs_reset(struct virtio_pci *d)
{
	uint8_t st = get_status(d);

	return (st & (VIRTIO_STATUS_NEEDS_RESET | VIRTIO_STATUS_FAILED)) != 0 ||
	       (st & VIRTIO_STATUS_DRIVER_OK) == 0;
}

void virtio_pci_fail(struct virtio_pci *d)
{
	add_status(d, VIRTIO_STATUS_FAILED);
}

/* ---- queues ---- */

/* The largest power of two not above @n (n >= 1). */
static uint16_t pow2_floor(uint16_t n)
{
	uint16_t p = 1;

	while ((uint32_t)p * 2u <= n)
		p = (uint16_t)(p * 2u);
	return p;
}

/* Where the device wants queue notifications, if that lies inside the notify region. */
static bool notify_addr(struct virtio_pci *d, uint64_t *addr)
{
	uint64_t off = (uint64_t)common_read(d, VIRTIO_COMMON_Q_NOFF, 2) * d->notify_mult;

	if (off + 2 > d->notify.len)
		return false;
	*addr = d->notify.base + off;
	return true;
}

/* Picks the queue size: at most what the device, the caller and libvirtio allow. */
static uint16_t queue_size(struct virtio_pci *d, uint16_t max_size)
{
	uint32_t dev_max = common_read(d, VIRTIO_COMMON_Q_SIZE, 2);
	uint32_t n = dev_max < max_size ? dev_max : max_size;

	if (n > VIRTQ_MAX_SIZE)
		n = VIRTQ_MAX_SIZE;
	return n == 0 ? 0 : pow2_floor((uint16_t)n);
}

static enum virtio_err queue_program(struct virtio_pci *d, struct virtq *q)
{
	common_write(d, VIRTIO_COMMON_Q_SIZE, 2, q->size);
	common_write64(d, VIRTIO_COMMON_Q_DESC, q->desc_daddr);
	common_write64(d, VIRTIO_COMMON_Q_AVAIL, q->avail_daddr);
	common_write64(d, VIRTIO_COMMON_Q_USED, q->used_daddr);
	common_write(d, VIRTIO_COMMON_Q_MSIX, 2, 0);
	if (common_read(d, VIRTIO_COMMON_Q_MSIX, 2) == VIRTIO_MSI_NO_VECTOR)
		return VIRTIO_ERR_MSIX;
	if (!notify_addr(d, &q->notify))
		return VIRTIO_ERR_QUEUE;
	common_write(d, VIRTIO_COMMON_Q_ENABLE, 2, 1);
	return VIRTIO_OK;
}

enum virtio_err virtio_pci_queue_setup(struct virtio_pci *d, uint16_t index, uint16_t max_size,
                                       void *mem, uint64_t daddr, struct virtq *q)
{
	common_write(d, VIRTIO_COMMON_Q_SELECT, 2, index);
	uint16_t size = queue_size(d, max_size);
	if (size == 0)
		return VIRTIO_ERR_QUEUE;
	bool event_idx = (d->features & VIRTIO_F_EVENT_IDX) != 0;
	if (virtq_init(q, index, size, mem, daddr, event_idx) != VIRTQ_OK)
		return VIRTIO_ERR_QUEUE;
	return queue_program(d, q);
}

void virtio_pci_notify(struct virtio_pci *d, const struct virtq *q)
{
	d->ops->mmio_write(d->ops->ctx, q->notify, 2, q->index);
}

/* ---- device configuration ---- */

static bool config_in_range(struct virtio_pci *d, uint32_t off, uint32_t width)
{
	return (width == 1 || width == 2 || width == 4) && (off & (width - 1)) == 0 &&
	       (uint64_t)off + width <= d->device.len;
}

enum virtio_err virtio_pci_config_read(struct virtio_pci *d, uint32_t off, uint32_t width,
                                       uint32_t *val)
{
	if (!config_in_range(d, off, width))
		return VIRTIO_ERR_CONFIG;
	for (uint32_t i = 0; i < VIRTIO_CONFIG_TRIES; i++) {
		uint32_t gen = common_read(d, VIRTIO_COMMON_CFGGEN, 1);
		*val = d->ops->mmio_read(d->ops->ctx, d->device.base + off, width);
		if (common_read(d, VIRTIO_COMMON_CFGGEN, 1) == gen)
			return VIRTIO_OK;
	}
	return VIRTIO_ERR_CONFIG;
}

enum virtio_err virtio_pci_config_read64(struct virtio_pci *d, uint32_t off, uint64_t *val)
{
	if (!config_in_range(d, off, 4) || !config_in_range(d, off + 4, 4))
		return VIRTIO_ERR_CONFIG;
	for (uint32_t i = 0; i < VIRTIO_CONFIG_TRIES; i++) {
		uint32_t gen = common_read(d, VIRTIO_COMMON_CFGGEN, 1);
		uint64_t lo = d->ops->mmio_read(d->ops->ctx, d->device.base + off, 4);
		uint64_t hi = d->ops->mmio_read(d->ops->ctx, d->device.base + off + 4, 4);
		*val = lo | hi << 32;
		if (common_read(d, VIRTIO_COMMON_CFGGEN, 1) == gen)
			return VIRTIO_OK;
	}
	return VIRTIO_ERR_CONFIG;
}

enum virtio_err virtio_pci_config_bytes(struct virtio_pci *d, uint32_t off, uint8_t *buf,
                                        uint32_t n)
{
	if (n == 0 || (uint64_t)off + n > d->device.len)
		return VIRTIO_ERR_CONFIG;
	for (uint32_t i = 0; i < VIRTIO_CONFIG_TRIES; i++) {
		uint32_t gen = common_read(d, VIRTIO_COMMON_CFGGEN, 1);
		for (uint32_t k = 0; k < n; k++)
			buf[k] = (uint8_t)d->ops->mmio_read(d->ops->ctx, d->device.base + off + k,
			                                    1);
		if (common_read(d, VIRTIO_COMMON_CFGGEN, 1) == gen)
			return VIRTIO_OK;
	}
	return VIRTIO_ERR_CONFIG;
}

bool virtio_pci_dma_addr(struct virtio_pci *d, const volatile void *p, uint64_t *daddr)
{
	return d->ops->dma_addr(d->ops->ctx, p, daddr);
}
