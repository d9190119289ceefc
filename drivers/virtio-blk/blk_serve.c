/* virtio-blk driver: the request path from the client's ring to the virtqueue and back. */
#include <string.h>

#include "blk.h"

/* ---- answers ---- */

/* Appends to the FIFO of answers waiting for room; it holds one per request taken, so it
 * never fills (blk_room keeps requests taken and not answered below max_reqs). */
static void queue_answer(struct blk *b, uint64_t id, const struct blk_resp *resp)
{
	if (b->n_answers == BLK_MAX_REQS)
		return;
	struct blk_answer *a = &b->answers[(b->ans_head + b->n_answers) % BLK_MAX_REQS];
	a->id = id;
	a->resp = *resp;
	b->n_answers++;
}

/* Puts answers waiting in the FIFO into the ring while it has room. */
static void drain_answers(struct blk *b)
{
	while (b->n_answers > 0 && !b->ring_broken) {
		const struct blk_answer *a = &b->answers[b->ans_head];
		enum ring_status st =
			ring_put(b->ring, BLK_MSG_RESP, 0, a->id, &a->resp, sizeof(a->resp));
		if (st == RING_FULL)
			return;
		if (st != RING_OK) {
			b->ring_broken = true;
			return;
		}
		b->ans_head = (b->ans_head + 1) % BLK_MAX_REQS;
		b->n_answers--;
	}
}

/* Answers request @id now, or after the answers before it when the ring is full. */
static void answer(struct blk *b, uint64_t id, const struct blk_resp *resp)
{
	queue_answer(b, id, resp);
	drain_answers(b);
}

static void answer_status(struct blk *b, uint64_t id, uint32_t op, enum blk_status st)
{
	struct blk_resp r;

	memset(&r, 0, sizeof(r));
	r.status = st;
	r.op = op;
	answer(b, id, &r);
}

static void answer_info(struct blk *b, uint64_t id, uint32_t region)
{
	struct blk_resp r;

	memset(&r, 0, sizeof(r));
	r.status = BLK_OK;
	r.op = BLK_OP_INFO;
	r.capacity = b->dev.capacity;
	r.block_size = b->dev.block_size;
	r.flags = (b->dev.ro ? BLK_INFO_RO : 0u) | (b->dev.flush ? BLK_INFO_FLUSH : 0u);
	r.max_requests = b->max_reqs;
	r.max_sectors = BLK_MAX_SECTORS;
	r.n_regions = b->n_regions;
	if (region < b->n_regions) {
		r.region_size = b->regions[region].size;
		memcpy(r.region_name, b->regions[region].name, BLK_REGION_NAME_LEN);
	}
	answer(b, id, &r);
}

/* ---- the device ---- */

static enum blk_status device_status(uint8_t s)
{
	if (s == VIRTIO_BLK_S_OK)
		return BLK_OK;
	return s == VIRTIO_BLK_S_UNSUPP ? BLK_UNSUPP : BLK_IOERR;
}

/* Answers every request the device holds with IOERR and forgets them. */
static void fail_in_flight(struct blk *b)
{
	for (uint32_t h = 0; h < VIRTQ_MAX_SIZE; h++) {
		if (!b->slots[h].busy)
			continue;
		answer_status(b, b->slots[h].id, b->slots[h].op, BLK_IOERR);
		b->slots[h].busy = false;
	}
	b->n_busy = 0;
}

/* The device broke its protocol or stopped: fail what it held, reset it and start afresh. */
static void recover(struct blk *b)
{
	fail_in_flight(b);
	b->resets++;
	b->last_err = blk_dev_start(&b->dev);
	b->dead = b->last_err != BLK_DEV_OK;
}

/* Answers the request whose chain @head the device finished (virtq_collect's callback). */
static void chain_done(void *ctx, uint16_t head, uint32_t len)
{
	struct blk *b = ctx;
	struct blk_slot *s = &b->slots[head];
	uint8_t status = b->dev.status[head]; /* one read of what the device wrote */

	(void)len;
	answer_status(b, s->id, s->op, device_status(status));
	s->busy = false;
	b->n_busy--;
}

/* Collects at most one queue's worth of used entries and answers them; sets *@bad when the
 * device wrote an entry or index that cannot be. */
static void collect(struct blk *b, bool *bad)
{
	b->bogus += virtq_collect(&b->dev.q, chain_done, b, bad);
}

static void complete(struct blk *b, bool irq)
{
	bool bad = false;

	if (b->dead)
		return;
	if (irq)
		virtq_disarm(&b->dev.q); /* awake now: blk_idle asks again before sleeping */
	collect(b, &bad);
	if (bad || (irq && virtio_pci_needs_reset(&b->dev.pci)))
		recover(b);
}

/* ---- requests ---- */

static void limits(const struct blk *b, struct blk_limits *lim)
{
	lim->capacity = b->dev.capacity;
	lim->block_size = b->dev.block_size;
	lim->ro = b->dev.ro;
	lim->regions = b->regions;
	lim->n_regions = b->n_regions;
}

/* Puts a checked transfer or flush on the queue; the status byte starts as "not written". */
static bool submit(struct blk *b, uint64_t id, const struct blk_io *io)
{
	struct blk_dev *d = &b->dev;
	uint16_t h = virtq_next_head(&d->q), n = 0, head;
	struct virtq_buf bufs[BLK_DESCS_PER_REQ];

	d->hdrs[h].type = io->op == BLK_OP_READ  ? VIRTIO_BLK_T_IN :
	                  io->op == BLK_OP_WRITE ? VIRTIO_BLK_T_OUT :
	                                           VIRTIO_BLK_T_FLUSH;
	d->hdrs[h].reserved = 0;
	d->hdrs[h].sector = io->sector;
	d->status[h] = BLK_STATUS_UNSET;
	bufs[n++] = (struct virtq_buf){d->hdrs_daddr + h * sizeof(struct virtio_blk_hdr),
	                               sizeof(struct virtio_blk_hdr), false};
	if (io->op != BLK_OP_FLUSH)
		bufs[n++] = (struct virtq_buf){io->daddr, io->len, io->op == BLK_OP_READ};
	bufs[n++] = (struct virtq_buf){d->status_daddr + h, 1, true};
	if (virtq_add(&d->q, bufs, n, &head) != VIRTQ_OK || head != h)
		return false;
	b->slots[h] = (struct blk_slot){id, io->op, true};
	b->n_busy++;
	return true;
}

/* Handles one request message. Returns true if it went to the device. */
static bool handle(struct blk *b, const struct ring_msg *m)
{
	struct blk_limits lim;
	struct blk_io io;

	limits(b, &lim);
	enum blk_status st = blk_req_decode(m, &lim, &io);
	if (b->dead && st != BLK_EINVAL && io.op != BLK_OP_INFO)
		st = BLK_IOERR; /* nothing reaches a dead device */
	if (st != BLK_OK) {
		answer_status(b, m->tag, io.op, st);
		return false;
	}
	if (io.op == BLK_OP_INFO) {
		answer_info(b, m->tag, io.region);
		return false;
	}
	if (io.op == BLK_OP_FLUSH && !b->dev.flush) {
		answer_status(b, m->tag, io.op, BLK_OK); /* no write cache: writes are durable */
		return false;
	}
	if (!submit(b, m->tag, &io)) {
		answer_status(b, m->tag, io.op, BLK_IOERR);
		return false;
	}
	return true;
}

/* Room for one more request: an answer slot, and descriptors for its chain. */
static bool room(const struct blk *b)
{
	if (b->ring_broken || b->n_busy + b->n_answers >= b->max_reqs)
		return false;
	return b->dead || b->dev.q.n_free >= BLK_DESCS_PER_REQ;
}

/* Takes requests while there is room. Returns how many went to the device. */
static uint32_t take_requests(struct blk *b)
{
	struct ring_msg m;
	uint32_t added = 0;

	while (room(b)) {
		enum ring_status st = ring_take(b->ring, &m);
		if (st == RING_EMPTY)
			break;
		if (st != RING_OK) {
			b->ring_broken = true;
			break;
		}
		added += handle(b, &m);
	}
	return added;
}

static inline void collect_answers(struct blk *b, bool irq)
{
	complete(b, irq);
	drain_answers(b);
}

void blk_collect(struct blk *b, bool irq)
{
	collect_answers(b, irq);
}

unsigned blk_pump(struct blk *b, bool irq)
{
	bool release_notify = false, publish_notify = false;

	collect_answers(b, irq);
	if (take_requests(b) > 0 && virtq_publish(&b->dev.q))
		virtio_pci_notify(&b->dev.pci, &b->dev.q);
	if (b->ring_broken)
		return 0;
	ring_release(b->ring, &release_notify);
	ring_publish(b->ring, &publish_notify);
	return release_notify || publish_notify ? BLK_NOTIFY : 0u;
}

unsigned blk_idle(struct blk *b)
{
	unsigned out = 0;
	bool notify = false;

	if (b->ring_broken)
		return 0;
	if (room(b)) {
		unsigned park = ring_rx_park(b->ring);
		out |= (park & RING_PARK_READY) ? BLK_READY : 0u;
		out |= (park & RING_PARK_NOTIFY) ? BLK_NOTIFY : 0u;
	} else {
		ring_release(b->ring, &notify);
		bool more = false;
		ring_publish(b->ring, &more);
		out |= notify || more ? BLK_NOTIFY : 0u;
	}
	if (b->n_answers > 0 && ring_tx_arm(b->ring))
		out |= BLK_READY;
	if (!b->dead && b->n_busy > 0 && virtq_arm(&b->dev.q))
		out |= BLK_READY;
	return out;
}

enum blk_dev_err blk_serve_init(struct blk *b, struct ring *ring)
{
	b->ring = ring;
	b->ring_broken = false;
	b->n_busy = 0;
	b->ans_head = b->n_answers = 0;
	memset(b->slots, 0, sizeof(b->slots));
	b->last_err = blk_dev_start(&b->dev);
	b->dead = b->last_err != BLK_DEV_OK;
	uint32_t by_queue = b->dead ? BLK_MAX_REQS : b->dev.q.size / BLK_DESCS_PER_REQ;
	b->max_reqs = by_queue < BLK_MAX_REQS ? by_queue : BLK_MAX_REQS;
	return b->last_err;
}

void blk_stop(struct blk *b)
{
	(void)virtio_pci_reset(&b->dev.pci);
	b->dead = true;
}
