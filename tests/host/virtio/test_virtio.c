/* Host tests for libvirtio: the PCI transport against a simulated device, the split virtqueue
 * against a hostile one. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <virtio.h>

#include "sim_dev.h"

#define CAPACITY 2048u
#define ALL_BLK (VIRTIO_F_VERSION_1 | VIRTIO_F_ACCESS_PLATFORM | VIRTIO_F_EVENT_IDX)

/* ---- the transport ---- */

struct tp {
	struct sim_dev *sim;
	struct virtio_pci pci;
	uint8_t *mem;
	struct virtq q;
};

static int tp_setup(void **state)
{
	struct tp *t = calloc(1, sizeof(*t));

	t->sim = sim_new(CAPACITY, ALL_BLK | VIRTIO_BLK_F_FLUSH, 256);
	t->mem = aligned_alloc(4096, 65536);
	sim_dma_add(t->sim, t->mem, 65536, true);
	*state = t;
	return 0;
}

static int tp_teardown(void **state)
{
	struct tp *t = *state;

	free(t->mem);
	sim_free(t->sim);
	free(t);
	return 0;
}

static enum virtio_err tp_open(struct tp *t)
{
	return virtio_pci_open(&t->pci, &t->sim->ops);
}

static void test_open_finds_caps(void **state)
{
	struct tp *t = *state;
	uint32_t cmd;

	assert_int_equal(tp_open(t), VIRTIO_OK);
	assert_int_equal(t->pci.device_id, VIRTIO_ID_BLOCK);
	assert_int_equal(t->pci.common.base, SIM_BAR_BASE + SIM_COMMON);
	assert_int_equal(t->pci.common.len, VIRTIO_COMMON_LEN);
	assert_int_equal(t->pci.notify.base, SIM_BAR_BASE + SIM_NOTIFY);
	assert_int_equal(t->pci.notify_mult, SIM_NOTIFY_MULT);
	assert_int_equal(t->pci.device.base, SIM_BAR_BASE + SIM_DEVCFG);
	assert_true(t->sim->ops.cfg_read(t->sim, PCI_CFG_COMMAND, 2, &cmd));
	assert_int_equal(cmd & (PCI_CMD_MEMORY | PCI_CMD_BUS_MASTER),
	                 PCI_CMD_MEMORY | PCI_CMD_BUS_MASTER);
	sim_cfg_put16(t->sim, PCI_CFG_COMMAND, 0);
	t->sim->cfg_writes_denied = true; /* a kernel that refuses: the open fails cleanly */
	assert_int_equal(tp_open(t), VIRTIO_ERR_TRANSPORT);
	sim_cfg_put16(t->sim, PCI_CFG_COMMAND, PCI_CMD_MEMORY | PCI_CMD_BUS_MASTER);
	assert_int_equal(tp_open(t), VIRTIO_OK); /* already on: nothing to write */
}

static void test_open_refuses_other_functions(void **state)
{
	struct tp *t = *state;

	sim_cfg_put16(t->sim, PCI_CFG_VENDOR, 0x8086);
	assert_int_equal(tp_open(t), VIRTIO_ERR_NOT_MODERN);
	sim_cfg_put16(t->sim, PCI_CFG_VENDOR, PCI_VENDOR_VIRTIO);
	sim_cfg_put16(t->sim, PCI_CFG_DEVICE, 0x1001); /* transitional: legacy interface too */
	assert_int_equal(tp_open(t), VIRTIO_ERR_NOT_MODERN);
	sim_cfg_put16(t->sim, PCI_CFG_DEVICE, 0x1080);
	assert_int_equal(tp_open(t), VIRTIO_ERR_NOT_MODERN);
}

static void test_caps_missing_or_malformed(void **state)
{
	struct tp *t = *state;

	t->sim->cfg[SIM_CAP_COMMON + VIRTIO_CAP_TYPE] = 9; /* no common configuration */
	assert_int_equal(tp_open(t), VIRTIO_ERR_CAPS);
	t->sim->cfg[SIM_CAP_COMMON + VIRTIO_CAP_TYPE] = VIRTIO_PCI_CAP_COMMON;
	sim_cfg_put32(t->sim, SIM_CAP_COMMON + VIRTIO_CAP_OFFSET, SIM_BAR_SIZE - 8);
	assert_int_equal(tp_open(t), VIRTIO_ERR_CAPS); /* runs past the end of its BAR */
	sim_cfg_put32(t->sim, SIM_CAP_COMMON + VIRTIO_CAP_OFFSET, 0xfffffff0u);
	assert_int_equal(tp_open(t), VIRTIO_ERR_CAPS); /* offset + length wraps 32 bits */
	sim_cfg_put32(t->sim, SIM_CAP_COMMON + VIRTIO_CAP_OFFSET, SIM_COMMON);
	t->sim->cfg[SIM_CAP_COMMON + VIRTIO_CAP_BAR] = 1; /* a BAR the kernel does not hand out */
	assert_int_equal(tp_open(t), VIRTIO_ERR_CAPS);
	t->sim->cfg[SIM_CAP_COMMON + VIRTIO_CAP_BAR] = 7; /* no such BAR */
	assert_int_equal(tp_open(t), VIRTIO_ERR_CAPS);
	t->sim->cfg[SIM_CAP_COMMON + VIRTIO_CAP_BAR] = SIM_BAR;
	t->sim->cfg[SIM_CAP_NOTIFY + 2] = VIRTIO_CAP_MIN_LEN; /* notify without its multiplier */
	assert_int_equal(tp_open(t), VIRTIO_ERR_CAPS);
	t->sim->cfg[SIM_CAP_NOTIFY + 2] = VIRTIO_CAP_NOTIFY_LEN;
	assert_int_equal(tp_open(t), VIRTIO_OK);
}

static void test_caps_list_bounded(void **state)
{
	struct tp *t = *state;

	t->sim->cfg[SIM_CAP_MSIX + 1] = SIM_CAP_COMMON; /* the list loops */
	assert_int_equal(tp_open(t), VIRTIO_ERR_CAPS);
	t->sim->cfg[SIM_CAP_MSIX + 1] = 0x10; /* into the standard header */
	assert_int_equal(tp_open(t), VIRTIO_ERR_CAPS);
	t->sim->cfg[SIM_CAP_MSIX + 1] = 0;
	sim_cfg_put16(t->sim, PCI_CFG_STATUS, 0); /* no capability list at all */
	assert_int_equal(tp_open(t), VIRTIO_ERR_CAPS);
}

static void test_reset_bounded(void **state)
{
	struct tp *t = *state;

	assert_int_equal(tp_open(t), VIRTIO_OK);
	assert_int_equal(virtio_pci_reset(&t->pci), VIRTIO_OK);
	assert_int_equal(t->sim->resets, 1);
	t->sim->status = VIRTIO_STATUS_DRIVER_OK;
	t->sim->reset_stuck = true;
	t->sim->status_reads = 0;
	assert_int_equal(virtio_pci_reset(&t->pci), VIRTIO_ERR_RESET);
	assert_int_equal(t->sim->status_reads, VIRTIO_RESET_POLLS);
}

static void test_negotiate_only_implemented(void **state)
{
	struct tp *t = *state;
	uint64_t want = VIRTIO_BLK_F_FLUSH | VIRTIO_BLK_F_BLK_SIZE | VIRTIO_F_RING_PACKED |
	                VIRTIO_F_INDIRECT_DESC | (1ull << 30);

	t->sim->offered = ~0ull;
	assert_int_equal(tp_open(t), VIRTIO_OK);
	assert_int_equal(virtio_pci_reset(&t->pci), VIRTIO_OK);
	assert_int_equal(virtio_pci_negotiate(&t->pci, want), VIRTIO_OK);
	uint64_t expect = VIRTIO_TRANSPORT_FEATURES | VIRTIO_BLK_F_FLUSH | VIRTIO_BLK_F_BLK_SIZE;
	assert_int_equal(t->pci.features, expect);
	assert_int_equal(t->sim->accepted, expect);
	assert_int_equal(t->sim->status, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER |
	                                         VIRTIO_STATUS_FEATURES_OK);
}

static void check_refused(struct tp *t, uint64_t offered, enum virtio_err want)
{
	t->sim->offered = offered;
	assert_int_equal(virtio_pci_reset(&t->pci), VIRTIO_OK);
	assert_int_equal(virtio_pci_negotiate(&t->pci, VIRTIO_BLK_F_FLUSH), want);
	assert_true(t->sim->status & VIRTIO_STATUS_FAILED);
	assert_false(t->sim->status & VIRTIO_STATUS_FEATURES_OK);
}

static void test_negotiate_refusals(void **state)
{
	struct tp *t = *state;

	assert_int_equal(tp_open(t), VIRTIO_OK);
	check_refused(t, ALL_BLK & ~VIRTIO_F_VERSION_1, VIRTIO_ERR_FEATURES);
	assert_int_equal(t->sim->accepted, 0); /* nothing was written */
	check_refused(t, ALL_BLK & ~VIRTIO_F_ACCESS_PLATFORM, VIRTIO_ERR_FEATURES);
	t->sim->refuse_features_ok = true;
	check_refused(t, ALL_BLK, VIRTIO_ERR_FEATURES_OK);
}

static void negotiate(struct tp *t)
{
	assert_int_equal(tp_open(t), VIRTIO_OK);
	assert_int_equal(virtio_pci_reset(&t->pci), VIRTIO_OK);
	assert_int_equal(virtio_pci_negotiate(&t->pci, 0), VIRTIO_OK);
}

static void test_queue_setup(void **state)
{
	struct tp *t = *state;

	t->sim->vq[0].max = 100; /* not a power of two: the largest below it */
	negotiate(t);
	assert_int_equal(virtio_pci_config_vector(&t->pci), VIRTIO_OK);
	assert_int_equal(virtio_pci_queue_setup(&t->pci, 0, 256, t->mem, (uintptr_t)t->mem, &t->q),
	                 VIRTIO_OK);
	assert_int_equal(t->q.size, 64);
	assert_int_equal(t->sim->vq[0].size, 64);
	assert_int_equal(t->sim->vq[0].desc, t->q.desc_daddr);
	assert_int_equal(t->sim->vq[0].avail, t->q.avail_daddr);
	assert_int_equal(t->sim->vq[0].used, t->q.used_daddr);
	assert_int_equal(t->sim->vq[0].msix, 0);
	assert_int_equal(t->sim->msix_config, 0);
	assert_int_equal(t->sim->vq[0].enable, 1);
	assert_int_equal(t->q.notify, SIM_BAR_BASE + SIM_NOTIFY);
	assert_true(t->q.event_idx);
	assert_int_equal(virtio_pci_driver_ok(&t->pci), VIRTIO_OK);
	virtio_pci_notify(&t->pci, &t->q);
	assert_int_equal(t->sim->kicks, 1);
	assert_int_equal(t->sim->bad_mmio, 0);
	t->sim->vq[0].max = 1024; /* more than libvirtio keeps: clamped */
	negotiate(t);
	assert_int_equal(virtio_pci_queue_setup(&t->pci, 0, 1024, t->mem, (uintptr_t)t->mem, &t->q),
	                 VIRTIO_OK);
	assert_int_equal(t->q.size, VIRTQ_MAX_SIZE);
}

static void test_queue_refusals(void **state)
{
	struct tp *t = *state;
	uint64_t d = (uintptr_t)t->mem;

	negotiate(t);
	assert_int_equal(virtio_pci_queue_setup(&t->pci, 1, 256, t->mem, d, &t->q),
	                 VIRTIO_ERR_QUEUE); /* no queue 1 */
	t->sim->vq[0].notify_off = 0x400;   /* 0x400 * 4 lies beyond the notify region */
	assert_int_equal(virtio_pci_queue_setup(&t->pci, 0, 256, t->mem, d, &t->q),
	                 VIRTIO_ERR_QUEUE);
	t->sim->vq[0].notify_off = 0;
	assert_int_equal(virtio_pci_queue_setup(&t->pci, 0, 256, t->mem + 8, d + 8, &t->q),
	                 VIRTIO_ERR_QUEUE); /* misaligned memory */
	t->sim->refuse_msix = true;
	assert_int_equal(virtio_pci_config_vector(&t->pci), VIRTIO_ERR_MSIX);
	assert_int_equal(virtio_pci_queue_setup(&t->pci, 0, 256, t->mem, d, &t->q),
	                 VIRTIO_ERR_MSIX);
	t->sim->refuse_msix = false;
	t->sim->vq[0].max = 0;
	assert_int_equal(virtio_pci_reset(&t->pci), VIRTIO_OK);
	assert_int_equal(virtio_pci_queue_setup(&t->pci, 0, 256, t->mem, d, &t->q),
	                 VIRTIO_ERR_QUEUE);
}

static void test_config_reads(void **state)
{
	struct tp *t = *state;
	uint64_t cap = 0;
	uint32_t v;

	negotiate(t);
	assert_int_equal(virtio_pci_config_read64(&t->pci, VIRTIO_BLK_CFG_CAPACITY, &cap),
	                 VIRTIO_OK);
	assert_int_equal(cap, CAPACITY);
	assert_int_equal(virtio_pci_config_read(&t->pci, VIRTIO_BLK_CFG_BLK_SIZE, 4, &v),
	                 VIRTIO_OK);
	assert_int_equal(v, 512);
	assert_int_equal(virtio_pci_config_read(&t->pci, 0x40, 4, &v), VIRTIO_ERR_CONFIG);
	assert_int_equal(virtio_pci_config_read(&t->pci, 0x3e, 4, &v), VIRTIO_ERR_CONFIG);
	assert_int_equal(virtio_pci_config_read(&t->pci, 2, 8, &v), VIRTIO_ERR_CONFIG);
	assert_int_equal(virtio_pci_config_read64(&t->pci, 0x3c, &cap), VIRTIO_ERR_CONFIG);
	t->sim->gen_unstable = true;
	assert_int_equal(virtio_pci_config_read64(&t->pci, 0, &cap), VIRTIO_ERR_CONFIG);
	assert_int_equal(virtio_pci_config_read(&t->pci, 0, 4, &v), VIRTIO_ERR_CONFIG);
}

static void test_needs_reset(void **state)
{
	struct tp *t = *state;

	negotiate(t);
	assert_true(virtio_pci_needs_reset(&t->pci)); /* not DRIVER_OK yet */
	assert_int_equal(virtio_pci_driver_ok(&t->pci), VIRTIO_OK);
	assert_false(virtio_pci_needs_reset(&t->pci));
	sim_needs_reset(t->sim);
	assert_true(virtio_pci_needs_reset(&t->pci));
	assert_int_equal(virtio_pci_reset(&t->pci), VIRTIO_OK);
	assert_true(virtio_pci_needs_reset(&t->pci));
}

/* ---- the split virtqueue, against a device written by hand ---- */

#define QSIZE 8u

struct vq {
	uint8_t *mem;
	struct virtq q;
};

static int vq_setup_flags(void **state, bool event_idx)
{
	struct vq *v = calloc(1, sizeof(*v));

	v->mem = aligned_alloc(4096, 4096);
	assert_int_equal(virtq_init(&v->q, 0, QSIZE, v->mem, 0x100000, event_idx), VIRTQ_OK);
	*state = v;
	return 0;
}

static int vq_setup(void **state)
{
	return vq_setup_flags(state, true);
}

static int vq_setup_noevent(void **state)
{
	return vq_setup_flags(state, false);
}

static int vq_teardown(void **state)
{
	struct vq *v = *state;

	free(v->mem);
	free(v);
	return 0;
}

/* The device finishes chain @head: one used entry, then the index. */
static void dev_use(struct virtq *q, uint32_t head, uint32_t len)
{
	uint16_t i = q->used->idx;

	q->used->ring[i % q->size].id = head;
	q->used->ring[i % q->size].len = len;
	q->used->idx = (uint16_t)(i + 1u);
}

static uint16_t add_n(struct virtq *q, uint16_t n)
{
	struct virtq_buf b[QSIZE];
	uint16_t head;

	for (uint16_t i = 0; i < n; i++)
		b[i] = (struct virtq_buf){0x1000ull * (i + 1u), 100u + i, i == n - 1u};
	assert_int_equal(virtq_add(q, b, n, &head), VIRTQ_OK);
	return head;
}

static void test_virtq_layout(void **state)
{
	struct vq *v = *state;

	assert_int_equal(virtq_mem_size(0), 0);
	assert_int_equal(virtq_mem_size(3), 0);
	assert_int_equal(virtq_mem_size(512), 0);
	assert_true(virtq_mem_size(256) >= 256 * 16 + 6 + 2 * 256 + 6 + 8 * 256);
	assert_int_equal(virtq_init(&v->q, 0, 8, v->mem + 16, 0, false), VIRTQ_EINVAL);
	assert_int_equal(virtq_init(&v->q, 0, 6, v->mem, 0, false), VIRTQ_EINVAL);
	assert_int_equal(virtq_init(&v->q, 0, 8, v->mem, 0x1008, false), VIRTQ_EINVAL);
}

static void test_virtq_chain(void **state)
{
	struct virtq *q = &((struct vq *)*state)->q;
	uint16_t head = add_n(q, 3), d = head, got;
	uint32_t len;

	for (uint16_t i = 0; i < 3; i++) {
		assert_int_equal(q->desc[d].addr, 0x1000ull * (i + 1u));
		assert_int_equal(q->desc[d].len, 100u + i);
		assert_int_equal(q->desc[d].flags, (i < 2 ? VIRTQ_DESC_F_NEXT : 0u) |
		                                           (i == 2 ? VIRTQ_DESC_F_WRITE : 0u));
		d = q->desc[d].next;
	}
	assert_int_equal(q->avail->ring[0], head);
	assert_int_equal(q->avail->idx, 0); /* not published yet */
	assert_true(virtq_publish(q));      /* event index 0: the device wants to hear */
	assert_int_equal(q->avail->idx, 1);
	assert_int_equal(q->n_free, QSIZE - 3);
	assert_int_equal(virtq_get(q, &got, &len), VIRTQ_EMPTY);
	dev_use(q, head, 42);
	assert_int_equal(virtq_get(q, &got, &len), VIRTQ_OK);
	assert_int_equal(got, head);
	assert_int_equal(len, 42);
	assert_int_equal(q->n_free, QSIZE);
	assert_int_equal(q->in_flight, 0);
}

/* Out-of-order completions never lose or duplicate a descriptor, even when the device
 * scribbles over the descriptor table meanwhile (the free list is private). */
static void test_virtq_free_list(void **state)
{
	struct virtq *q = &((struct vq *)*state)->q;
	uint16_t heads[QSIZE], got, n = 0;
	uint32_t len, seed = 7;

	for (uint32_t round = 0; round < 2000; round++) {
		seed = seed * 1103515245u + 12345u;
		uint16_t want = (uint16_t)(1u + (seed >> 16) % 3u);
		if (q->n_free >= want && (seed & 0x100u)) {
			heads[n++] = add_n(q, want);
			virtq_publish(q);
			memset((void *)q->desc, 0xff, QSIZE * sizeof(struct virtq_desc));
		} else if (n > 0) {
			uint16_t k = (uint16_t)((seed >> 8) % n);
			dev_use(q, heads[k], 0);
			assert_int_equal(virtq_get(q, &got, &len), VIRTQ_OK);
			assert_int_equal(got, heads[k]);
			heads[k] = heads[--n];
		}
	}
	while (n > 0) {
		dev_use(q, heads[--n], 0);
		assert_int_equal(virtq_get(q, &got, &len), VIRTQ_OK);
	}
	uint8_t seen[QSIZE] = {0};
	for (uint16_t i = 0; i < QSIZE; i++)
		seen[add_n(q, 1)]++;
	for (uint16_t i = 0; i < QSIZE; i++)
		assert_int_equal(seen[i], 1);
}

static void test_virtq_full_and_einval(void **state)
{
	struct virtq *q = &((struct vq *)*state)->q;
	struct virtq_buf b[QSIZE + 1];
	uint16_t head;

	memset(b, 0, sizeof(b));
	assert_int_equal(virtq_add(q, b, 0, &head), VIRTQ_EINVAL);
	assert_int_equal(virtq_add(q, b, QSIZE + 1, &head), VIRTQ_EINVAL);
	add_n(q, 6);
	assert_int_equal(virtq_add(q, b, 3, &head), VIRTQ_FULL);
	assert_int_equal(virtq_add(q, b, 2, &head), VIRTQ_OK);
	assert_int_equal(virtq_add(q, b, 1, &head), VIRTQ_FULL);
}

static void test_virtq_bogus_ids(void **state)
{
	struct virtq *q = &((struct vq *)*state)->q;
	uint16_t head = add_n(q, 2), other = add_n(q, 1), got;
	uint16_t second = q->next[head]; /* inside the chain, not its head */
	uint32_t len;

	virtq_publish(q);
	dev_use(q, QSIZE, 0);  /* out of range */
	dev_use(q, second, 0); /* not a head */
	assert_int_equal(virtq_get(q, &got, &len), VIRTQ_BOGUS);
	assert_int_equal(virtq_get(q, &got, &len), VIRTQ_BOGUS);
	assert_int_equal(q->in_flight, 2);
	dev_use(q, head, 1);
	assert_int_equal(virtq_get(q, &got, &len), VIRTQ_OK);
	assert_int_equal(got, head);
	dev_use(q, head, 1); /* the same chain twice */
	assert_int_equal(virtq_get(q, &got, &len), VIRTQ_BOGUS);
	assert_int_equal(q->bogus, 3);
	dev_use(q, other, 1);
	assert_int_equal(virtq_get(q, &got, &len), VIRTQ_OK);
	assert_int_equal(got, other);
	assert_int_equal(q->n_free, QSIZE);
	assert_false(virtq_is_broken(q));
}

static void expect_dead(struct virtq *q)
{
	uint16_t got;
	uint32_t len;
	struct virtq_buf b = {0, 1, false};

	assert_true(virtq_is_broken(q));
	assert_int_equal(virtq_get(q, &got, &len), VIRTQ_BROKEN);
	assert_int_equal(virtq_add(q, &b, 1, &got), VIRTQ_BROKEN);
	assert_false(virtq_publish(q));
	assert_true(virtq_arm(q)); /* never sleep on a dead queue */
}

static void test_virtq_wild_index(void **state)
{
	struct virtq *q = &((struct vq *)*state)->q;
	uint16_t got;
	uint32_t len;

	add_n(q, 1);
	add_n(q, 1);
	virtq_publish(q);
	q->used->idx = 3; /* three entries for two chains */
	assert_int_equal(virtq_get(q, &got, &len), VIRTQ_BROKEN);
	expect_dead(q);
	q->used->idx = 0; /* writing it back does not revive it */
	expect_dead(q);
}

static void test_virtq_index_backwards(void **state)
{
	struct virtq *q = &((struct vq *)*state)->q;
	uint16_t head = add_n(q, 1), got;
	uint32_t len;

	virtq_publish(q);
	dev_use(q, head, 0);
	assert_int_equal(virtq_get(q, &got, &len), VIRTQ_OK);
	add_n(q, 1);
	virtq_publish(q);
	q->used->idx = 0; /* back by one: 65535 "new" entries */
	assert_int_equal(virtq_get(q, &got, &len), VIRTQ_BROKEN);
	expect_dead(q);
}

static void test_virtq_event_idx(void **state)
{
	struct virtq *q = &((struct vq *)*state)->q;

	assert_true(virtq_need_event(0, 1, 0));
	assert_false(virtq_need_event(1, 1, 0));
	assert_true(virtq_need_event(3, 5, 2));
	assert_false(virtq_need_event(5, 5, 2));
	assert_true(virtq_need_event(65535, 2, 65534)); /* across the wrap */
	assert_false(virtq_publish(q));                 /* nothing new: no kick */
	add_n(q, 1);
	*virtq_avail_event(q) = 5; /* the device wants to hear only past 5 */
	assert_false(virtq_publish(q));
	add_n(q, 1);
	*virtq_avail_event(q) = 1;
	assert_true(virtq_publish(q));
	assert_false(virtq_arm(q));
	assert_int_equal(*virtq_used_event(q), 0);
	dev_use(q, 0, 0);
	assert_true(virtq_arm(q)); /* an entry came: do not sleep */
}

static void test_virtq_flags(void **state)
{
	struct virtq *q = &((struct vq *)*state)->q;

	add_n(q, 1);
	q->used->flags = VIRTQ_USED_F_NO_NOTIFY;
	assert_false(virtq_publish(q));
	add_n(q, 1);
	q->used->flags = 0;
	assert_true(virtq_publish(q));
	virtq_disarm(q);
	assert_int_equal(q->avail->flags, VIRTQ_AVAIL_F_NO_INTERRUPT);
	assert_false(virtq_arm(q));
	assert_int_equal(q->avail->flags, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_open_finds_caps, tp_setup, tp_teardown),
		cmocka_unit_test_setup_teardown(test_open_refuses_other_functions, tp_setup,
	                                        tp_teardown),
		cmocka_unit_test_setup_teardown(test_caps_missing_or_malformed, tp_setup,
	                                        tp_teardown),
		cmocka_unit_test_setup_teardown(test_caps_list_bounded, tp_setup, tp_teardown),
		cmocka_unit_test_setup_teardown(test_reset_bounded, tp_setup, tp_teardown),
		cmocka_unit_test_setup_teardown(test_negotiate_only_implemented, tp_setup,
	                                        tp_teardown),
		cmocka_unit_test_setup_teardown(test_negotiate_refusals, tp_setup, tp_teardown),
		cmocka_unit_test_setup_teardown(test_queue_setup, tp_setup, tp_teardown),
		cmocka_unit_test_setup_teardown(test_queue_refusals, tp_setup, tp_teardown),
		cmocka_unit_test_setup_teardown(test_config_reads, tp_setup, tp_teardown),
		cmocka_unit_test_setup_teardown(test_needs_reset, tp_setup, tp_teardown),
		cmocka_unit_test_setup_teardown(test_virtq_layout, vq_setup, vq_teardown),
		cmocka_unit_test_setup_teardown(test_virtq_chain, vq_setup, vq_teardown),
		cmocka_unit_test_setup_teardown(test_virtq_free_list, vq_setup, vq_teardown),
		cmocka_unit_test_setup_teardown(test_virtq_full_and_einval, vq_setup, vq_teardown),
		cmocka_unit_test_setup_teardown(test_virtq_bogus_ids, vq_setup, vq_teardown),
		cmocka_unit_test_setup_teardown(test_virtq_wild_index, vq_setup, vq_teardown),
		cmocka_unit_test_setup_teardown(test_virtq_index_backwards, vq_setup, vq_teardown),
		cmocka_unit_test_setup_teardown(test_virtq_event_idx, vq_setup, vq_teardown),
		cmocka_unit_test_setup_teardown(test_virtq_flags, vq_setup_noevent, vq_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
