/* virtio-net driver: the frame path from the client's port to the two virtqueues and back. */
#include <string.h>

#include "net.h"

/* ---- answers ---- */

/* Appends to the FIFO of answers waiting for room; room() keeps buffers held plus answers
 * waiting below NET_MAX_ANSWERS, so it never fills. */
static void queue_answer(struct net *n, uint64_t tag, const struct net_resp *resp)
{
	if (n->n_answers == NET_MAX_ANSWERS)
		return;
	struct net_answer *a = &n->answers[(n->ans_head + n->n_answers) % NET_MAX_ANSWERS];
	a->tag = tag;
	a->resp = *resp;
	n->n_answers++;
}

/* Puts one message into the ring. Returns false if it is full (or broken: then marks it). */
static bool put(struct net *n, uint16_t type, uint64_t tag, const struct net_resp *r)
{
	enum ring_status st = ring_put(n->ring, type, 0, tag, r, sizeof(*r));

	if (st != RING_OK && st != RING_FULL)
		n->ring_broken = true;
	return st == RING_OK;
}

static void put_notice(struct net *n)
{
	struct net_resp r;

	memset(&r, 0, sizeof(r));
	r.status = NET_OK;
	r.op = NET_OP_LINK;
	r.flags = n->link_up ? NET_LINK_UP : 0u;
	if (put(n, NET_MSG_LINK, 0, &r))
		n->link_notice = false;
}

/* Puts the link notice, then the answers waiting in the FIFO, while the ring has room. */
static void drain_answers(struct net *n)
{
	if (n->link_notice && !n->ring_broken)
		put_notice(n);
	while (n->n_answers > 0 && !n->ring_broken) {
		const struct net_answer *a = &n->answers[n->ans_head];
		if (!put(n, NET_MSG_RESP, a->tag, &a->resp))
			return;
		n->ans_head = (n->ans_head + 1) % NET_MAX_ANSWERS;
		n->n_answers--;
		NET_CHAOS_POINT("answer put, not published");
	}
}

static void answer(struct net *n, uint64_t tag, const struct net_io *io, enum net_status st)
{
	struct net_resp r;

	memset(&r, 0, sizeof(r));
	r.status = st;
	r.op = io->op;
	r.offset = io->offset;
	r.length = io->length;
	queue_answer(n, tag, &r);
	drain_answers(n);
}

static void answer_info(struct net *n, uint64_t tag)
{
	struct net_resp r;

	memset(&r, 0, sizeof(r));
	r.status = NET_OK;
	r.op = NET_OP_INFO;
	r.flags = n->link_up ? NET_LINK_UP : 0u;
	memcpy(r.mac, n->dev.mac, NET_MAC_LEN);
	r.mtu = NET_MTU;
	r.max_rx = n->max_rx;
	r.max_tx = n->max_tx;
	r.headroom = NET_HEADROOM;
	r.region_size = n->region.size;
	queue_answer(n, tag, &r);
	drain_answers(n);
}

/* Answers the buffer in @s with @st (RX: @len is the frame's length) and frees the slot. */
static void answer_slot(struct net *n, struct net_slot *s, uint32_t op, uint32_t len,
                        enum net_status st)
{
	struct net_io io = {op, s->offset, len};

	s->busy = false;
	answer(n, s->tag, &io, st);
}

/* ---- the device ---- */

/* The device address of the header in front of the buffer at @offset (checked: >= headroom). */
static uint64_t hdr_daddr(const struct net *n, uint64_t offset)
{
	return n->region.daddr + offset - NET_VHDR_LEN;
}

/* Gives the device an empty buffer: header and frame space in one descriptor. */
static bool give_rx(struct net *n, uint64_t tag, uint64_t offset, uint32_t length)
{
	struct virtq_buf b = {hdr_daddr(n, offset), length + NET_VHDR_LEN, true};
	uint16_t head;

	if (virtq_add(&n->dev.rxq, &b, 1, &head) != VIRTQ_OK)
		return false;
	n->rx[head] = (struct net_slot){tag, offset, length, true};
	n->n_rx++;
	return true;
}

/* Gives the device a frame, behind a header that asks for nothing (no offload negotiated). */
static bool give_tx(struct net *n, uint64_t tag, uint64_t offset, uint32_t length)
{
	volatile uint8_t *hdr = n->region.base + offset - NET_VHDR_LEN;
	struct virtq_buf b = {hdr_daddr(n, offset), length + NET_VHDR_LEN, false};
	uint16_t head;

	for (uint32_t i = 0; i < NET_VHDR_LEN; i++)
		hdr[i] = 0;
	if (virtq_add(&n->dev.txq, &b, 1, &head) != VIRTQ_OK)
		return false;
	n->tx[head] = (struct net_slot){tag, offset, length, true};
	n->n_tx++;
	return true;
}

/* Answers every buffer the device holds with EIO and forgets them. */
static void fail_held(struct net *n)
{
	for (uint32_t h = 0; h < VIRTQ_MAX_SIZE; h++) {
		if (n->rx[h].busy)
			answer_slot(n, &n->rx[h], NET_OP_RX, 0, NET_EIO);
		if (n->tx[h].busy)
			answer_slot(n, &n->tx[h], NET_OP_TX, n->tx[h].length, NET_EIO);
	}
	n->n_rx = n->n_tx = 0;
}

/* The device broke its protocol or stopped: give back what it held, reset it, start afresh. */
static void recover(struct net *n)
{
	fail_held(n);
	n->stats.resets++;
	n->last_err = net_dev_start(&n->dev);
	n->dead = n->last_err != NET_DEV_OK;
}

/* One used receive buffer (virtq_collect's callback, @ctx the driver): a frame of a possible
 * length goes to the client; anything else is dropped and the buffer goes back to the device. */
static void rx_done(void *ctx, uint16_t head, uint32_t used)
{
	struct net *n = ctx;
	struct net_slot *s = &n->rx[head];
	n->n_rx--;
	NET_CHAOS_FRAME();
	if (used >= NET_VHDR_LEN + NET_FRAME_MIN && used - NET_VHDR_LEN <= s->length) {
		n->stats.rx_frames++;
		answer_slot(n, s, NET_OP_RX, used - NET_VHDR_LEN, NET_OK);
		return;
	}
	n->stats.rx_dropped++;
	s->busy = false;
	if (!give_rx(n, s->tag, s->offset, s->length))
		answer_slot(n, s, NET_OP_RX, 0, NET_EIO);
}

/* One sent frame (virtq_collect's callback, @ctx the driver): its buffer goes back. */
static void tx_done(void *ctx, uint16_t head, uint32_t used)
{
	struct net *n = ctx;

	(void)used; /* the device writes nothing into a frame it sends */
	n->n_tx--;
	NET_CHAOS_FRAME();
	n->stats.tx_frames++;
	answer_slot(n, &n->tx[head], NET_OP_TX, n->tx[head].length, NET_OK);
}

/* Collects at most one queue's worth of used buffers of @q; sets *@bad when the device wrote
 * an entry or index that cannot be. */
static void collect(struct net *n, struct virtq *q, bool *bad)
{
	n->stats.bogus += virtq_collect(q, q == &n->dev.rxq ? rx_done : tx_done, n, bad);
}

/* After an interrupt (the queues and configuration changes share vector 0): the link. */
static void check_link(struct net *n)
{
	bool up = net_dev_link_up(&n->dev);

	if (up != n->link_up) {
		n->link_up = up;
		n->link_notice = true;
	}
}

static void complete(struct net *n, bool irq)
{
	bool bad = false;

	if (n->dead)
		return;
	if (irq) {
		virtq_disarm(&n->dev.rxq); /* awake now: net_idle asks again before sleeping */
		virtq_disarm(&n->dev.txq);
	}
	collect(n, &n->dev.rxq, &bad);
	collect(n, &n->dev.txq, &bad);
	if (bad || (irq && virtio_pci_needs_reset(&n->dev.pci)))
		recover(n);
	if (irq && !n->dead)
		check_link(n);
}

/* ---- requests ---- */

/* Gives a checked RX or TX buffer to the device. Returns its status (NET_OK: held). */
static enum net_status give(struct net *n, uint64_t tag, const struct net_io *io)
{
	bool rx = io->op == NET_OP_RX;

	if (n->dead)
		return NET_EIO;
	if (rx ? n->n_rx >= n->max_rx : n->n_tx >= n->max_tx) {
		n->stats.refused++;
		return NET_ELIMIT;
	}
	bool ok = rx ? give_rx(n, tag, io->offset, io->length) :
	               give_tx(n, tag, io->offset, io->length);
	return ok ? NET_OK : NET_EIO;
}

static void handle(struct net *n, const struct ring_msg *m)
{
	struct net_io io;
	enum net_status st = net_req_decode(m, n->region.size, &io);

	if (st == NET_OK && io.op == NET_OP_INFO) {
		answer_info(n, m->tag);
		return;
	}
	if (st == NET_OK)
		st = give(n, m->tag, &io);
	else
		n->stats.refused++;
	if (st != NET_OK)
		answer(n, m->tag, &io, st);
}

/* Room for one more request: whatever it becomes (a held buffer or an answer) fits the FIFO. */
static bool room(const struct net *n)
{
	return !n->ring_broken && n->n_rx + n->n_tx + n->n_answers < NET_MAX_ANSWERS;
}

static void take_requests(struct net *n)
{
	struct ring_msg m;

	while (room(n)) {
		enum ring_status st = ring_take(n->ring, &m);
		if (st == RING_EMPTY)
			break;
		if (st != RING_OK) {
			n->ring_broken = true;
			break;
		}
		handle(n, &m);
		NET_CHAOS_POINT("request taken, not released");
	}
}

/* Makes new buffers visible to the device and notifies it where it asked. */
static void publish(struct net *n)
{
	if (n->dead)
		return;
	if (virtq_publish(&n->dev.rxq))
		virtio_pci_notify(&n->dev.pci, &n->dev.rxq);
	if (virtq_publish(&n->dev.txq))
		virtio_pci_notify(&n->dev.pci, &n->dev.txq);
}

unsigned net_pump(struct net *n, bool irq)
{
	bool release_notify = false, publish_notify = false;

	complete(n, irq);
	drain_answers(n);
	take_requests(n);
	publish(n);
	if (n->ring_broken)
		return 0;
	NET_CHAOS_POINT("buffers at the device, requests not released");
	ring_release(n->ring, &release_notify);
	NET_CHAOS_POINT("requests released, answers not published");
	ring_publish(n->ring, &publish_notify);
	return release_notify || publish_notify ? NET_NOTIFY : 0u;
}

/* Arms the ring: for a request when there is room, else only pushes what is done. */
static unsigned arm_ring(struct net *n)
{
	unsigned out = 0;
	bool notify = false, more = false;

	if (room(n)) {
		unsigned park = ring_rx_park(n->ring);
		out |= (park & RING_PARK_READY) ? NET_READY : 0u;
		out |= (park & RING_PARK_NOTIFY) ? NET_NOTIFY : 0u;
	} else {
		ring_release(n->ring, &notify);
		ring_publish(n->ring, &more);
		out |= notify || more ? NET_NOTIFY : 0u;
	}
	if ((n->n_answers > 0 || n->link_notice) && ring_tx_arm(n->ring))
		out |= NET_READY;
	return out;
}

unsigned net_idle(struct net *n)
{
	if (n->ring_broken)
		return 0;
	unsigned out = arm_ring(n);
	if (!n->dead && n->n_rx > 0 && virtq_arm(&n->dev.rxq))
		out |= NET_READY;
	if (!n->dead && n->n_tx > 0 && virtq_arm(&n->dev.txq))
		out |= NET_READY;
	return out;
}

enum net_dev_err net_serve_init(struct net *n, struct ring *ring)
{
	n->ring = ring;
	n->ring_broken = false;
	n->n_rx = n->n_tx = 0;
	n->ans_head = n->n_answers = 0;
	n->link_notice = false;
	memset(n->rx, 0, sizeof(n->rx));
	memset(n->tx, 0, sizeof(n->tx));
	memset(&n->stats, 0, sizeof(n->stats));
	n->last_err = net_dev_start(&n->dev);
	n->dead = n->last_err != NET_DEV_OK;
	n->max_rx = n->dead ? 0 : n->dev.rxq.size;
	n->max_tx = n->dead ? 0 : n->dev.txq.size;
	n->link_up = !n->dead && net_dev_link_up(&n->dev);
	return n->last_err;
}

void net_stop(struct net *n)
{
	(void)virtio_pci_reset(&n->dev.pci);
	n->dead = true;
}
