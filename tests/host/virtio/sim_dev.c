/* Host tests: a simulated virtio-pci device (config space, BAR registers, split rings, RAM disk). */
#include <stdlib.h>
#include <string.h>

#include "sim_internal.h"

#define LE_CAP_LEN 16u

/* ---- config space ---- */

void sim_cfg_put16(struct sim_dev *s, uint32_t off, uint16_t v)
{
	memcpy(&s->cfg[off], &v, 2);
}

void sim_cfg_put32(struct sim_dev *s, uint32_t off, uint32_t v)
{
	memcpy(&s->cfg[off], &v, 4);
}

static void put_cap(struct sim_dev *s, uint32_t at, uint8_t next, uint8_t type, uint32_t off,
                    uint32_t len)
{
	s->cfg[at] = PCI_CAP_ID_VENDOR;
	s->cfg[at + 1] = next;
	s->cfg[at + 2] = type == VIRTIO_PCI_CAP_NOTIFY ? VIRTIO_CAP_NOTIFY_LEN : LE_CAP_LEN;
	s->cfg[at + VIRTIO_CAP_TYPE] = type;
	s->cfg[at + VIRTIO_CAP_BAR] = SIM_BAR;
	sim_cfg_put32(s, at + VIRTIO_CAP_OFFSET, off);
	sim_cfg_put32(s, at + VIRTIO_CAP_LENGTH, len);
}

void sim_build_config_space(struct sim_dev *s, uint16_t device_id)
{
	sim_cfg_put16(s, PCI_CFG_VENDOR, PCI_VENDOR_VIRTIO);
	sim_cfg_put16(s, PCI_CFG_DEVICE, (uint16_t)(PCI_DEVICE_VIRTIO_MODERN + device_id));
	sim_cfg_put16(s, PCI_CFG_STATUS, PCI_STATUS_CAP_LIST);
	s->cfg[PCI_CFG_CAP_PTR] = SIM_CAP_COMMON;
	put_cap(s, SIM_CAP_COMMON, SIM_CAP_NOTIFY, VIRTIO_PCI_CAP_COMMON, SIM_COMMON,
	        VIRTIO_COMMON_LEN);
	put_cap(s, SIM_CAP_NOTIFY, SIM_CAP_ISR, VIRTIO_PCI_CAP_NOTIFY, SIM_NOTIFY, 0x1000);
	sim_cfg_put32(s, SIM_CAP_NOTIFY + VIRTIO_CAP_NOTIFY_MULT, SIM_NOTIFY_MULT);
	put_cap(s, SIM_CAP_ISR, SIM_CAP_DEVICE, VIRTIO_PCI_CAP_ISR, SIM_ISR, 4);
	put_cap(s, SIM_CAP_DEVICE, SIM_CAP_MSIX, VIRTIO_PCI_CAP_DEVICE, SIM_DEVCFG, 0x40);
	s->cfg[SIM_CAP_MSIX] = 0x11; /* MSI-X: not a vendor capability, skipped */
	s->cfg[SIM_CAP_MSIX + 1] = 0;
}

static bool cfg_ok(uint32_t off, uint32_t width)
{
	return (width == 1 || width == 2 || width == 4) && (off & (width - 1)) == 0 &&
	       off + width <= SIM_CFG_SIZE;
}

static bool sim_cfg_read(void *ctx, uint32_t off, uint32_t width, uint32_t *val)
{
	struct sim_dev *s = ctx;

	if (!cfg_ok(off, width))
		return false;
	*val = 0;
	memcpy(val, &s->cfg[off], width);
	return true;
}

/* Like the kernel: only the command register's memory, bus-master and INTx-disable bits. */
static bool sim_cfg_write(void *ctx, uint32_t off, uint32_t width, uint32_t val)
{
	struct sim_dev *s = ctx;

	if (off != PCI_CFG_COMMAND || width != 2 || s->cfg_writes_denied)
		return false;
	sim_cfg_put16(s, off, (uint16_t)(val & 0x406u));
	return true;
}

static bool sim_bar(void *ctx, uint32_t bar, uint64_t *base, uint64_t *size)
{
	(void)ctx;
	if (bar != SIM_BAR)
		return false; /* e.g. the MSI-X BAR, which the kernel never hands out */
	*base = SIM_BAR_BASE;
	*size = SIM_BAR_SIZE;
	return true;
}

static bool sim_dma_addr(void *ctx, const volatile void *p, uint64_t *daddr)
{
	struct sim_dev *s = ctx;
	const uint8_t *a = (const uint8_t *)p;

	for (uint32_t i = 0; i < s->n_dma; i++)
		if (a >= s->dma[i].base && a < s->dma[i].base + s->dma[i].size) {
			*daddr = (uint64_t)(uintptr_t)a;
			return true;
		}
	return false;
}

/* ---- DMA, as the IOMMU allows it ---- */

void *sim_dma_ptr(struct sim_dev *s, uint64_t daddr, size_t len, bool write)
{
	for (uint32_t i = 0; i < s->n_dma; i++) {
		const struct sim_dma *d = &s->dma[i];
		uint64_t lo = (uint64_t)(uintptr_t)d->base;
		if (daddr >= lo && len <= d->size && daddr - lo <= d->size - len &&
		    (!write || d->writable))
			return (void *)(uintptr_t)daddr;
	}
	s->dma_faults++;
	return NULL;
}

void sim_dma_add(struct sim_dev *s, void *base, size_t size, bool writable)
{
	if (s->n_dma < SIM_MAX_DMA)
		s->dma[s->n_dma++] = (struct sim_dma){base, size, writable};
}

/* ---- status and reset ---- */

static void queue_reset(struct sim_vq *v, uint16_t index)
{
	v->msix = VIRTIO_MSI_NO_VECTOR;
	v->size = v->max;
	v->enable = 0;
	v->notify_off = index;
	v->desc = v->avail = v->used = 0;
	v->last_avail = v->used_idx = v->signalled_used = 0;
	v->n_held = 0;
}

void sim_device_reset(struct sim_dev *s)
{
	if (s->reset_stuck) {
		s->status |= VIRTIO_STATUS_NEEDS_RESET;
		return;
	}
	s->resets++;
	s->status = 0;
	s->accepted = 0;
	s->msix_config = VIRTIO_MSI_NO_VECTOR;
	for (uint16_t i = 0; i < SIM_MAX_QUEUES; i++)
		queue_reset(&s->vq[i], i);
}

static void write_status(struct sim_dev *s, uint32_t val)
{
	uint8_t v = (uint8_t)val;

	if (v == 0) {
		sim_device_reset(s);
		return;
	}
	if ((v & VIRTIO_STATUS_FEATURES_OK) && !(s->status & VIRTIO_STATUS_FEATURES_OK)) {
		bool ok = (s->accepted & ~s->offered) == 0 && (s->accepted & VIRTIO_F_VERSION_1);
		if (!ok || s->refuse_features_ok)
			v = (uint8_t)(v & ~VIRTIO_STATUS_FEATURES_OK);
	}
	s->status = v;
}

/* ---- the common configuration ---- */

static uint32_t half(uint64_t v, uint32_t sel)
{
	return sel == 0 ? (uint32_t)v : sel == 1 ? (uint32_t)(v >> 32) : 0;
}

static void set_half(uint64_t *v, uint32_t sel, uint32_t val)
{
	if (sel == 0)
		*v = (*v & ~0xffffffffull) | val;
	else if (sel == 1)
		*v = (*v & 0xffffffffull) | (uint64_t)val << 32;
}

static uint32_t addr_read(const uint64_t *a, uint32_t off)
{
	return off & 4 ? (uint32_t)(*a >> 32) : (uint32_t)*a;
}

/* The selected queue; one that does not exist reads as size 0 and ignores writes. */
static struct sim_vq *selected(struct sim_dev *s)
{
	static struct sim_vq none;

	if (s->qsel < s->n_queues)
		return &s->vq[s->qsel];
	memset(&none, 0, sizeof(none));
	return &none;
}

static uint64_t *queue_addr(struct sim_dev *s, uint32_t off)
{
	struct sim_vq *v = selected(s);

	if (off < VIRTIO_COMMON_Q_AVAIL)
		return &v->desc;
	return off < VIRTIO_COMMON_Q_USED ? &v->avail : &v->used;
}

static uint32_t common_read(struct sim_dev *s, uint32_t off)
{
	switch (off) {
	case VIRTIO_COMMON_DFSELECT:
		return s->dfselect;
	case VIRTIO_COMMON_DF:
		return half(s->offered, s->dfselect);
	case VIRTIO_COMMON_GFSELECT:
		return s->gfselect;
	case VIRTIO_COMMON_GF:
		return half(s->accepted, s->gfselect);
	case VIRTIO_COMMON_MSIX:
		return s->msix_config;
	case VIRTIO_COMMON_NUMQ:
		return s->n_queues;
	case VIRTIO_COMMON_STATUS:
		s->status_reads++;
		return s->status;
	case VIRTIO_COMMON_CFGGEN:
		return s->gen_unstable ? s->generation++ : s->generation;
	case VIRTIO_COMMON_Q_SELECT:
		return s->qsel;
	case VIRTIO_COMMON_Q_SIZE:
		return selected(s)->size;
	case VIRTIO_COMMON_Q_MSIX:
		return selected(s)->msix;
	case VIRTIO_COMMON_Q_ENABLE:
		return selected(s)->enable;
	case VIRTIO_COMMON_Q_NOFF:
		return selected(s)->notify_off;
	default:
		break;
	}
	if (off >= VIRTIO_COMMON_Q_DESC && off < VIRTIO_COMMON_LEN)
		return addr_read(queue_addr(s, off), off);
	return 0;
}

static uint16_t vector(const struct sim_dev *s, uint32_t val)
{
	return s->refuse_msix || val != 0 ? VIRTIO_MSI_NO_VECTOR : (uint16_t)val;
}

static void queue_addr_write(struct sim_dev *s, uint32_t off, uint32_t val)
{
	uint64_t *a = queue_addr(s, off);

	set_half(a, (off & 4) ? 1 : 0, val);
}

static void common_write(struct sim_dev *s, uint32_t off, uint32_t val)
{
	switch (off) {
	case VIRTIO_COMMON_DFSELECT:
		s->dfselect = val;
		return;
	case VIRTIO_COMMON_GFSELECT:
		s->gfselect = val;
		return;
	case VIRTIO_COMMON_GF:
		set_half(&s->accepted, s->gfselect, val);
		return;
	case VIRTIO_COMMON_MSIX:
		s->msix_config = vector(s, val);
		return;
	case VIRTIO_COMMON_STATUS:
		write_status(s, val);
		return;
	case VIRTIO_COMMON_Q_SELECT:
		s->qsel = (uint16_t)val;
		return;
	case VIRTIO_COMMON_Q_SIZE:
		selected(s)->size = (uint16_t)val;
		return;
	case VIRTIO_COMMON_Q_MSIX:
		selected(s)->msix = vector(s, val);
		return;
	case VIRTIO_COMMON_Q_ENABLE:
		selected(s)->enable = (uint16_t)val;
		return;
	default:
		break;
	}
	if (off >= VIRTIO_COMMON_Q_DESC && off < VIRTIO_COMMON_LEN)
		queue_addr_write(s, off, val);
}

/* ---- BAR dispatch ---- */

static uint32_t sim_mmio_read(void *ctx, uint64_t addr, uint32_t width)
{
	struct sim_dev *s = ctx;
	uint64_t off = addr - SIM_BAR_BASE;
	uint32_t v = 0;

	if (addr < SIM_BAR_BASE || off + width > SIM_BAR_SIZE) {
		s->bad_mmio++;
		return 0xffffffffu;
	}
	if (off < SIM_COMMON + VIRTIO_COMMON_LEN)
		return common_read(s, (uint32_t)off);
	if (off >= SIM_DEVCFG && off + width <= SIM_DEVCFG + sizeof(s->devcfg))
		memcpy(&v, &s->devcfg[off - SIM_DEVCFG], width);
	return v;
}

static void sim_mmio_write(void *ctx, uint64_t addr, uint32_t width, uint32_t val)
{
	struct sim_dev *s = ctx;
	uint64_t off = addr - SIM_BAR_BASE;

	if (addr < SIM_BAR_BASE || off + width > SIM_BAR_SIZE) {
		s->bad_mmio++;
		return;
	}
	if (off < SIM_COMMON + VIRTIO_COMMON_LEN) {
		common_write(s, (uint32_t)off, val);
		return;
	}
	if (val >= s->n_queues ||
	    off != SIM_NOTIFY + (uint64_t)s->vq[val].notify_off * SIM_NOTIFY_MULT) {
		s->bad_mmio++;
		return;
	}
	s->kicks++;
	bool receive = s->net && val == VIRTIO_NET_RXQ; /* buffers wait for sim_net_receive */
	if (!s->hold && !receive && (s->status & VIRTIO_STATUS_DRIVER_OK)) {
		sim_fetch_q(s, (uint16_t)val);
		sim_complete_q(s, (uint16_t)val, SIM_MAX_HELD, false);
	}
}

/* ---- the split ring, device side ---- */

#define SIM_PAGE 4096u

static bool has(const struct sim_dev *s, uint64_t f)
{
	return (s->accepted & f) != 0;
}

/* A ring part, as QEMU reaches it behind an IOMMU: through a cache of one translated page, so
 * a part that crosses a 4 KiB page in device addresses gets written at a wrong address (a
 * DMA fault here). */
static void *ring_part(struct sim_dev *s, uint64_t daddr, size_t len, bool write)
{
	if ((daddr & (SIM_PAGE - 1u)) + len > SIM_PAGE) {
		s->dma_faults++;
		return NULL;
	}
	return sim_dma_ptr(s, daddr, len, write);
}

static volatile struct virtq_avail *avail_ring(struct sim_dev *s, const struct sim_vq *v)
{
	return ring_part(s, v->avail, 6u + (size_t)v->size * 2u, false);
}

static volatile struct virtq_used *used_ring(struct sim_dev *s, const struct sim_vq *v)
{
	return ring_part(s, v->used, 6u + (size_t)v->size * 8u, true);
}

uint32_t sim_fetch_q(struct sim_dev *s, uint16_t q)
{
	struct sim_vq *v = &s->vq[q];
	volatile struct virtq_avail *av = avail_ring(s, v);
	volatile struct virtq_used *u = used_ring(s, v);
	uint32_t n = 0;

	if (!v->enable || !av || !u)
		return 0;
	uint16_t idx = av->idx;
	if ((uint16_t)(idx - v->last_avail) > v->size) {
		s->bad_chains++;
		return 0;
	}
	while (v->last_avail != idx && v->n_held < SIM_MAX_HELD) {
		v->held[v->n_held++].head = av->ring[v->last_avail % v->size];
		v->last_avail++;
		n++;
	}
	if (has(s, VIRTIO_F_EVENT_IDX))
		*(volatile uint16_t *)((volatile uint8_t *)u->ring + (size_t)v->size * 8u) =
			v->last_avail;
	return n;
}

uint32_t sim_fetch(struct sim_dev *s)
{
	return sim_fetch_q(s, 0);
}

bool sim_read_chain(struct sim_dev *s, uint16_t q, uint16_t head, struct sim_chain *c)
{
	const struct sim_vq *v = &s->vq[q];
	volatile struct virtq_desc *table = sim_dma_ptr(s, v->desc, (size_t)v->size * 16u, false);
	uint16_t i = head;

	c->n = 0;
	if (!table || head >= v->size)
		return false;
	for (;;) {
		if (c->n == v->size || c->n == SIM_MAX_HELD)
			return false; /* a loop */
		c->d[c->n] = table[i];
		if (!(c->d[c->n++].flags & VIRTQ_DESC_F_NEXT))
			return true;
		i = table[i].next;
		if (i >= v->size)
			return false;
	}
}

static bool fails(const struct sim_dev *s, uint64_t sector, uint64_t count)
{
	return s->ioerr_count && sector < s->ioerr_first + s->ioerr_count &&
	       s->ioerr_first < sector + count;
}

/* Moves data between the disk and the chain's data buffers. Returns the status byte. */
static uint8_t transfer(struct sim_dev *s, const struct sim_chain *c, uint64_t sector, bool in,
                        uint32_t *written)
{
	uint64_t bytes = 0;

	for (uint32_t i = 1; i + 1 < c->n; i++)
		bytes += c->d[i].len;
	if (bytes % 512 || sector > s->capacity || bytes / 512 > s->capacity - sector)
		return VIRTIO_BLK_S_IOERR;
	if (fails(s, sector, bytes / 512))
		return VIRTIO_BLK_S_IOERR;
	uint8_t *disk = sim_sector(s, sector);
	for (uint32_t i = 1; i + 1 < c->n; i++) {
		bool dev_writes = (c->d[i].flags & VIRTQ_DESC_F_WRITE) != 0;
		uint8_t *buf = dev_writes == in ? sim_dma_ptr(s, c->d[i].addr, c->d[i].len, in) :
		                                  NULL;
		if (!buf)
			return VIRTIO_BLK_S_IOERR;
		memcpy(in ? buf : disk, in ? disk : buf, c->d[i].len);
		disk += c->d[i].len;
		*written += in ? c->d[i].len : 0;
	}
	return VIRTIO_BLK_S_OK;
}

static uint8_t execute(struct sim_dev *s, const struct sim_chain *c, uint32_t *written)
{
	const struct virtio_blk_hdr *h = sim_dma_ptr(s, c->d[0].addr, sizeof(*h), false);

	if (!h || c->d[0].len < sizeof(*h) || (c->d[0].flags & VIRTQ_DESC_F_WRITE))
		return VIRTIO_BLK_S_IOERR;
	s->requests++;
	switch (h->type) {
	case VIRTIO_BLK_T_IN:
	case VIRTIO_BLK_T_OUT:
		return transfer(s, c, h->sector, h->type == VIRTIO_BLK_T_IN, written);
	case VIRTIO_BLK_T_FLUSH:
		s->flushes++;
		return s->flush_unsupp ? VIRTIO_BLK_S_UNSUPP : VIRTIO_BLK_S_OK;
	default:
		return VIRTIO_BLK_S_UNSUPP;
	}
}

/* Runs the chain at @head and returns the used length (bytes written, status included). */
static uint32_t process(struct sim_dev *s, uint16_t head)
{
	static struct sim_chain c;
	uint32_t written = 0;

	if (!sim_read_chain(s, 0, head, &c) || c.n < 2) {
		s->bad_chains++;
		return 0;
	}
	const struct virtq_desc *st = &c.d[c.n - 1];
	uint8_t *status = st->len == 1 && (st->flags & VIRTQ_DESC_F_WRITE) ?
	                          sim_dma_ptr(s, st->addr, 1, true) :
	                          NULL;
	uint8_t result = execute(s, &c, &written);
	if (!status) {
		s->bad_chains++;
		return written;
	}
	if (s->skip_status)
		return 0;
	*status = result;
	return written + 1;
}

static void push_used(struct sim_vq *v, volatile struct virtq_used *u, uint32_t id, uint32_t len)
{
	volatile struct virtq_used_elem *e = &u->ring[v->used_idx % v->size];

	e->id = id;
	e->len = len;
	v->used_idx++;
}

/* Interrupts if the driver asked: its used_event (EVENT_IDX) or the absence of NO_INTERRUPT. */
static void maybe_interrupt(struct sim_dev *s, struct sim_vq *v, volatile struct virtq_avail *av)
{
	bool want;

	if (has(s, VIRTIO_F_EVENT_IDX))
		want = virtq_need_event(av->ring[v->size], v->used_idx, v->signalled_used);
	else
		want = !(av->flags & VIRTQ_AVAIL_F_NO_INTERRUPT);
	v->signalled_used = v->used_idx;
	if (want && v->msix != VIRTIO_MSI_NO_VECTOR) {
		s->irqs++;
		v->irqs++;
	}
}

static struct sim_held take_held(struct sim_vq *v, bool reverse)
{
	struct sim_held h;

	if (reverse)
		return v->held[--v->n_held];
	h = v->held[0];
	memmove(&v->held[0], &v->held[1], (--v->n_held) * sizeof(h));
	return h;
}

/* Runs one chain of queue @q: a block request, or a frame to send. Returns the used length. */
static uint32_t run_chain(struct sim_dev *s, uint16_t q, uint16_t head)
{
	if (!s->net)
		return process(s, head);
	if (q == VIRTIO_NET_TXQ)
		return sim_net_transmit(s, head);
	s->bad_chains++; /* receive buffers are used by sim_net_receive only */
	return 0;
}

uint32_t sim_complete_q(struct sim_dev *s, uint16_t q, uint32_t n, bool reverse)
{
	struct sim_vq *v = &s->vq[q];
	volatile struct virtq_used *u = used_ring(s, v);
	volatile struct virtq_avail *av = avail_ring(s, v);
	uint32_t done = 0;

	if (!u || !av)
		return 0;
	for (; done < n && v->n_held > 0; done++) {
		for (; s->bogus_ids > 0; s->bogus_ids--)
			push_used(v, u, v->size + s->bogus_ids, 0);
		struct sim_held h = take_held(v, reverse);
		push_used(v, u, h.head, run_chain(s, q, h.head));
	}
	sim_publish_used(s, q);
	return done;
}

uint32_t sim_complete(struct sim_dev *s, uint32_t n, bool reverse)
{
	return sim_complete_q(s, 0, n, reverse);
}

void sim_publish_used(struct sim_dev *s, uint16_t q)
{
	struct sim_vq *v = &s->vq[q];
	volatile struct virtq_used *u = used_ring(s, v);
	volatile struct virtq_avail *av = avail_ring(s, v);

	if (!u || !av)
		return;
	if (s->wild_idx) {
		v->used_idx = (uint16_t)(v->used_idx + 1000u);
		s->wild_idx = false;
	}
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	u->idx = v->used_idx;
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	maybe_interrupt(s, v, av);
}

bool sim_take_head(struct sim_dev *s, uint16_t q, uint16_t *head)
{
	struct sim_vq *v = &s->vq[q];

	if (v->n_held == 0)
		sim_fetch_q(s, q);
	if (v->n_held == 0)
		return false;
	*head = take_held(v, false).head;
	return true;
}

void sim_put_used(struct sim_dev *s, uint16_t q, uint16_t head, uint32_t len)
{
	struct sim_vq *v = &s->vq[q];
	volatile struct virtq_used *u = used_ring(s, v);

	if (u)
		push_used(v, u, head, len);
}

void sim_needs_reset(struct sim_dev *s)
{
	s->status |= VIRTIO_STATUS_NEEDS_RESET;
	if (s->msix_config != VIRTIO_MSI_NO_VECTOR)
		s->irqs++;
}

bool sim_take_irq(struct sim_dev *s)
{
	bool got = s->irqs != s->irqs_seen;

	s->irqs_seen = s->irqs;
	return got;
}

uint8_t *sim_sector(struct sim_dev *s, uint64_t sector)
{
	return s->disk + sector * 512u;
}

void sim_set_geometry(struct sim_dev *s, uint32_t blk_size, uint32_t seg_max)
{
	memcpy(&s->devcfg[VIRTIO_BLK_CFG_BLK_SIZE], &blk_size, 4);
	memcpy(&s->devcfg[VIRTIO_BLK_CFG_SEG_MAX], &seg_max, 4);
}

/* ---- life ---- */

struct sim_dev *sim_alloc(uint16_t device_id, uint64_t features, uint16_t q_max, uint16_t n_queues)
{
	struct sim_dev *s = calloc(1, sizeof(*s));

	s->offered = features;
	s->n_queues = n_queues;
	for (uint16_t i = 0; i < SIM_MAX_QUEUES; i++)
		s->vq[i].max = q_max;
	sim_build_config_space(s, device_id);
	sim_device_reset(s);
	s->resets = 0;
	s->ops = (struct virtio_ops){s,           sim_cfg_read,  sim_cfg_write,
	                             sim_bar,     sim_mmio_read, sim_mmio_write,
	                             sim_dma_addr};
	return s;
}

struct sim_dev *sim_new(uint64_t capacity, uint64_t features, uint16_t q_max)
{
	struct sim_dev *s = sim_alloc(VIRTIO_ID_BLOCK, features, q_max, 1);

	s->capacity = capacity;
	s->disk = calloc(capacity ? capacity : 1, 512);
	memcpy(&s->devcfg[VIRTIO_BLK_CFG_CAPACITY], &capacity, 8);
	sim_set_geometry(s, 512, 126);
	return s;
}

void sim_free(struct sim_dev *s)
{
	free(s->disk);
	free(s);
}
