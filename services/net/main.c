/* Virtual switch domain: serves its client ports, forwards through the uplink, prints counters. */
#include <stdio.h>
#include <string.h>

#include <bh.h>

#include "vsw.h"

/*
 * Start-info: one BH_RES_PORT entry per client port (name = its ring, peer = its data region,
 * vaddr = its MAC, size = its IPv4 address or 0); the uplink is the switch's one client ring
 * (besides stdout) and its data region the switch's first map that is no port's. A channel
 * named "stats" makes the switch print every port's counters.
 */
#define UP_BUF 2048ull /* uplink buffers: one frame each, NET_HEADROOM before it */
#define UP_RX 64u      /* receive buffers given to the driver at most */
#define UP_TX 32u      /* frames at the driver at most */
#define ANSWER_Q (VSW_MAX_RX + 2u)
#define INFO_TAG (~0ull)

struct pending {
	uint64_t tag, offset, length;
};

struct cport {
	struct bh_ring ring;
	const char *name;
	uint8_t *data;
	uint64_t size;
	uint32_t ipv4;
	bool dead;
	struct pending rx[VSW_MAX_RX]; /* the client's receive buffers, oldest first */
	uint32_t rx_head, rx_n;
	struct {
		uint64_t tag;
		struct net_resp r;
	} q[ANSWER_Q]; /* answers waiting for room in the ring */
	uint32_t q_head, q_n;
};

static struct vsw sw;
static struct cport ports[VSW_MAX_PORTS]; /* index = switch port; [0] unused (the uplink) */
static struct bh_ring up;
static const struct bh_info_entry *up_entry;
static bool up_ok;
static uint8_t *up_data;
static uint32_t up_tx_free[UP_TX], up_tx_n, up_rx_n;
static bool up_held[UP_RX + UP_TX]; /* buffer at the driver: an answer to it is expected */
static uint8_t frame_copy[NET_FRAME_MAX];
static volatile struct net_hello *up_hello_own; /* the reconnect records (net_proto.h) */
static volatile const struct net_hello *up_hello_drv;
static uint64_t up_acked; /* the driver incarnation the queues were last reset for */
static uint32_t up_reconnects;
static struct bh_channel stats;
static bool have_stats;

static bool to_port(void *ctx, uint32_t p, const uint8_t *f, uint32_t len);

/* ---- answers to clients ---- */

/* Sends port @c (switch port @p) the uplink's link state if a notice is due. */
static void send_link(struct cport *c, uint32_t p)
{
	struct net_resp r;

	if (c->dead || !sw.port[p].link_due)
		return;
	memset(&r, 0, sizeof(r));
	r.op = NET_OP_LINK;
	r.flags = sw.link_up ? NET_LINK_UP : 0u;
	if (ring_put(&c->ring.ring, NET_MSG_LINK, 0, 0, &r, sizeof(r)) == RING_OK)
		(void)vsw_link_take(&sw, p);
}

static void drain_answers(struct cport *c)
{
	send_link(c, (uint32_t)(c - ports));
	while (c->q_n > 0 && !c->dead) {
		if (ring_put(&c->ring.ring, NET_MSG_RESP, 0, c->q[c->q_head].tag,
		             &c->q[c->q_head].r, sizeof(struct net_resp)) != RING_OK)
			return;
		c->q_head = (c->q_head + 1u) % ANSWER_Q;
		c->q_n--;
	}
}

static void answer(struct cport *c, uint64_t tag, uint32_t op, uint32_t st, uint64_t off,
                   uint32_t len)
{
	struct net_resp r;

	memset(&r, 0, sizeof(r));
	r.status = st;
	r.op = op;
	r.offset = off;
	r.length = len;
	if (c->q_n == ANSWER_Q)
		return; /* cannot happen: a client with waiting answers is not read */
	c->q[(c->q_head + c->q_n) % ANSWER_Q].tag = tag;
	c->q[(c->q_head + c->q_n) % ANSWER_Q].r = r;
	c->q_n++;
	drain_answers(c);
}

static void answer_info(struct cport *c, uint32_t p, uint64_t tag)
{
	struct net_resp r;

	memset(&r, 0, sizeof(r));
	r.op = NET_OP_INFO;
	r.flags = sw.link_up ? NET_LINK_UP : 0u;
	memcpy(r.mac, sw.port[p].mac, NET_MAC_LEN);
	r.mtu = NET_MTU;
	r.max_rx = VSW_MAX_RX;
	r.max_tx = VSW_MAX_TX;
	r.headroom = NET_HEADROOM;
	r.region_size = c->size;
	r.ipv4 = c->ipv4;
	c->q[(c->q_head + c->q_n) % ANSWER_Q].tag = tag;
	c->q[(c->q_head + c->q_n) % ANSWER_Q].r = r;
	c->q_n++;
	drain_answers(c);
}

/* ---- client ports ---- */

static uint32_t msg_op(const struct ring_msg *m)
{
	uint32_t op = 0;

	if (m->len == sizeof(struct net_req))
		memcpy(&op, m->data, sizeof(op));
	return op;
}

/* One request of port @p, already taken from its ring (@m is the switch's copy). */
static void handle_request(uint32_t p, const struct ring_msg *m)
{
	struct cport *c = &ports[p];
	struct net_req q;
	enum net_status st = vsw_req_take(m, c->size, &q);

	if (st != NET_OK) {
		sw.port[p].c.drops[VSW_DROP_BAD]++;
		answer(c, m->tag, msg_op(m), st, 0, 0);
	} else if (q.op == NET_OP_INFO) {
		answer_info(c, p, m->tag);
	} else if (q.op == NET_OP_RX && c->rx_n == VSW_MAX_RX) {
		sw.port[p].c.drops[VSW_DROP_LIMIT]++;
		answer(c, m->tag, q.op, NET_ELIMIT, q.offset, (uint32_t)q.length);
	} else if (q.op == NET_OP_RX) {
		c->rx[(c->rx_head + c->rx_n) % VSW_MAX_RX] =
			(struct pending){m->tag, q.offset, q.length};
		c->rx_n++;
	} else {
		memcpy(frame_copy, c->data + q.offset, (size_t)q.length); /* read once */
		(void)vsw_take(&sw, p, frame_copy, q.length, to_port, NULL);
		answer(c, m->tag, q.op, NET_OK, q.offset, (uint32_t)q.length);
	}
}

/* Copies frame @f into client port @p's oldest receive buffer and answers it. Returns false
 * if the client has none (or answers wait for room in its ring). */
static bool to_client(uint32_t p, const uint8_t *f, uint32_t len)
{
	struct cport *c = &ports[p];

	if (c->dead || c->rx_n == 0 || c->q_n > 0)
		return false;
	const struct pending *b = &c->rx[c->rx_head];
	memcpy(c->data + b->offset, f, len);
	answer(c, b->tag, NET_OP_RX, NET_OK, b->offset, len);
	c->rx_head = (c->rx_head + 1u) % VSW_MAX_RX;
	c->rx_n--;
	return true;
}

/* Delivers what waits for every client port that has receive buffers. Returns true if any. */
static bool deliver_all(void)
{
	bool any = false;

	for (uint32_t p = 1; p < sw.n_ports; p++)
		any |= vsw_forward(&sw, p, to_port, NULL) > 0;
	return any;
}

/* Takes one request of port @p if it may have one. Returns true if it did. */
static bool take_one(uint32_t p)
{
	struct cport *c = &ports[p];
	struct ring_msg m;

	if (c->dead || c->q_n > 0)
		return false;
	enum ring_status st = ring_take(&c->ring.ring, &m);
	if (st == RING_BROKEN) {
		c->dead = true;
		vsw_port_flush(&sw, p);
		printf("vswitch: port %s (%s) broke its ring; it is no longer served\n", c->name,
		       c->ring.peer);
	}
	if (st != RING_OK)
		return false;
	handle_request(p, &m);
	return true;
}

/* Round robin: one request of each port in turn (each frame handed on at once, vsw_take),
 * then deliveries into the receive buffers the clients posted. Returns true if any work. */
static bool serve_ports(void)
{
	bool any = false, more = true;

	while (more) {
		more = false;
		for (uint32_t p = 1; p < sw.n_ports; p++)
			more |= take_one(p);
		any |= more;
	}
	return deliver_all() || any;
}

/* ---- the uplink ---- */

static void up_post_rx(uint64_t off)
{
	struct net_req q = {NET_OP_RX, 0, off, UP_BUF - NET_HEADROOM};

	if (ring_put(&up.ring, NET_MSG_REQ, 0, off, &q, sizeof(q)) == RING_OK) {
		up_rx_n++;
		up_held[off / UP_BUF] = true;
	}
}

/* The driver's INFO answer (a new instance's): its link state and how many receive buffers
 * it takes; gives it those it does not hold yet. */
static void up_info(const struct net_resp *r)
{
	if (r->op != NET_OP_INFO || r->status != NET_OK ||
	    r->region_size < (UP_RX + UP_TX) * UP_BUF)
		return;
	if (vsw_link_set(&sw, (r->flags & NET_LINK_UP) != 0))
		printf("vswitch: uplink link %s\n", sw.link_up ? "up" : "down");
	for (uint32_t b = 0; b < UP_RX && b < r->max_rx; b++)
		if (!up_held[b])
			up_post_rx((uint64_t)b * UP_BUF + NET_HEADROOM);
}

static void up_answer(const struct ring_msg *m)
{
	struct net_resp r;
	bool link;

	if (vsw_link_notice(m, &link)) {
		if (vsw_link_set(&sw, link))
			printf("vswitch: uplink link %s\n", link ? "up" : "down");
		return;
	}
	if (m->type != NET_MSG_RESP || m->len != sizeof(r))
		return;
	memcpy(&r, m->data, sizeof(r));
	if (m->tag == INFO_TAG) {
		up_info(&r);
		return;
	}
	uint64_t off = m->tag; /* the tag is the buffer's offset: the driver's answer is not */
	if (off < NET_HEADROOM || off >= (UP_RX + UP_TX) * UP_BUF || off % UP_BUF != NET_HEADROOM)
		return;
	uint32_t buf = (uint32_t)(off / UP_BUF);
	if (!up_held[buf])
		return; /* an answer to nothing at the driver: ignored */
	up_held[buf] = false;
	if (buf >= UP_RX) {
		up_tx_free[up_tx_n++] = buf;
		return;
	}
	up_rx_n--;
	if (r.op == NET_OP_RX && r.status == NET_OK) {
		memcpy(frame_copy, up_data + off, r.length <= NET_FRAME_MAX ? r.length : 0);
		(void)vsw_take(&sw, VSW_UPLINK, frame_copy, r.length, to_port, NULL);
	}
	if (r.status == NET_OK)
		up_post_rx(off); /* not after a refusal: a driver that refuses is not asked again */
}

/* Copies frame @f into a free uplink buffer and hands it to the driver, published once the
 * last buffer went. Returns false if there is no buffer or the ring is full. */
static bool up_send(const uint8_t *f, uint32_t len)
{
	if (!up_ok || up_tx_n == 0)
		return false;
	uint64_t off = (uint64_t)up_tx_free[up_tx_n - 1u] * UP_BUF + NET_HEADROOM;
	struct net_req q;

	memcpy(up_data + off, f, len);
	memset(&q, 0, sizeof(q));
	q.op = NET_OP_TX;
	q.offset = off;
	q.length = len;
	if (ring_put(&up.ring, NET_MSG_REQ, 0, off, &q, sizeof(q)) != RING_OK)
		return false;
	up_tx_n--;
	up_held[off / UP_BUF] = true;
	if (up_tx_n == 0)
		bh_ring_flush(&up); /* the driver frees buffers only once it sees them */
	return true;
}

/* The switch's sink (vsw_sink): port @p's client, or the driver for the uplink. */
static bool to_port(void *ctx, uint32_t p, const uint8_t *f, uint32_t len)
{
	(void)ctx;
	return p == VSW_UPLINK ? up_send(f, len) : to_client(p, f, len);
}

static bool serve_uplink(void)
{
	struct ring_msg m;
	bool any = false;
	enum ring_status st;

	while (up_ok && (st = ring_take(&up.ring, &m)) == RING_OK) {
		up_answer(&m);
		any = true;
	}
	if (up_ok && st == RING_BROKEN) {
		up_ok = false;
		printf("vswitch: the driver broke the uplink ring; frames to it are dropped\n");
	}
	any |= vsw_forward(&sw, VSW_UPLINK, to_port, NULL) > 0;
	if (!up_ok)
		vsw_port_flush(&sw, VSW_UPLINK);
	return any;
}

/* ---- a new driver instance (the handshake of net_proto.h) ---- */

static void zero_queue(volatile struct ring_queue *q)
{
	q->prod = 0;
	q->prod_event = 0;
	q->cons = 0;
	q->cons_event = 0;
}

/* Takes back every buffer the driver held: receive buffers are given again on INFO's answer,
 * transmit buffers are free (their frames are lost; TCP sends them again). */
static void up_forget(void)
{
	memset(up_held, 0, sizeof(up_held));
	up_rx_n = up_tx_n = 0;
	for (uint32_t b = 0; b < UP_TX; b++)
		up_tx_free[up_tx_n++] = UP_RX + b;
}

/* The uplink buffers [@from, @to) at the driver. */
static uint32_t count_held(uint32_t from, uint32_t to)
{
	uint32_t n = 0;

	for (uint32_t b = from; b < to; b++)
		n += up_held[b] ? 1u : 0u;
	return n;
}

/* Driver instance @inc waits: the queues as at boot, its buffers back, then the answer (the
 * incarnation, written last) and a fresh INFO request. */
static void up_reconnect(uint64_t inc)
{
	uint32_t held_rx = count_held(0, UP_RX), held_tx = count_held(UP_RX, UP_RX + UP_TX);

	zero_queue(up.ring.tx);
	zero_queue(up.ring.rx);
	up_ok = bh_ring_open_entry(up_entry, &up); /* a fresh view; a broken ring is whole again */
	up_forget();
	up_acked = inc;
	__atomic_store_n(&up_hello_own->incarnation, inc, __ATOMIC_RELEASE);
	struct net_req q = {NET_OP_INFO, 0, 0, 0};
	if (up_ok && ring_put(&up.ring, NET_MSG_REQ, 0, INFO_TAG, &q, sizeof(q)) == RING_OK)
		bh_ring_flush(&up);
	(void)bh_signal(up.slot);
	up_reconnects++;
	printf("vswitch: uplink: driver instance %016llx; queues reset, %u receive buffers and %u "
	       "frames it held taken back (reconnect %u)\n",
	       (unsigned long long)inc, held_rx, held_tx, up_reconnects);
}

/* Looks at the driver's record (one read of its incarnation). Returns true if it reconnected. */
static bool up_check_driver(void)
{
	if (!up_entry)
		return false;
	uint64_t inc = __atomic_load_n(&up_hello_drv->incarnation, __ATOMIC_ACQUIRE);
	if (inc == 0 || inc == up_acked || up_hello_drv->magic != NET_HELLO_MAGIC)
		return false;
	up_reconnect(inc);
	return true;
}

/* ---- counters ---- */

static void print_port(uint32_t p)
{
	const struct vsw_counters *k = &sw.port[p].c;

	printf("vswitch: %s: rx %llu frames %llu bytes, tx %llu frames %llu bytes, drops",
	       p == VSW_UPLINK ? "uplink" : ports[p].name, (unsigned long long)k->rx_frames,
	       (unsigned long long)k->rx_bytes, (unsigned long long)k->tx_frames,
	       (unsigned long long)k->tx_bytes);
	for (uint32_t d = 0; d < VSW_DROP_COUNT; d++)
		printf(" %s %llu", vsw_drop_name((enum vsw_drop)d),
		       (unsigned long long)k->drops[d]);
	printf("\n");
}

static void print_counters(void)
{
	for (uint32_t p = 0; p < sw.n_ports; p++)
		print_port(p);
	bh_flush();
}

/* ---- sleeping ---- */

static bool park_rx(struct bh_ring *r)
{
	unsigned k = ring_rx_park(&r->ring);

	if (k & RING_PARK_NOTIFY)
		(void)bh_signal(r->slot);
	return (k & RING_PARK_READY) != 0;
}

static void publish(struct bh_ring *r)
{
	bh_ring_flush(r);
	bh_ring_release(r);
}

/* Arms every ring; sleeps unless there is work. */
static void sleep_until_work(void)
{
	uint64_t bits = have_stats ? stats.bit : 0;
	bool ready = false;

	if (up_entry)
		bits |= up.bit; /* also a broken ring's: a new driver instance says so on it */
	if (up_ok) {
		uint32_t len;
		ready |= park_rx(&up);
		if (up_tx_n > 0 && vsw_peek(&sw, VSW_UPLINK, &len))
			ready |= ring_tx_arm(&up.ring); /* frames for the driver wait for room */
		bits |= up.bit;
	}
	for (uint32_t p = 1; p < sw.n_ports; p++) {
		struct cport *c = &ports[p];
		drain_answers(c);
		if (c->dead)
			continue;
		bits |= c->ring.bit;
		ready |= c->q_n > 0 || sw.port[p].link_due ? ring_tx_arm(&c->ring.ring) :
		                                             park_rx(&c->ring);
	}
	if (!ready && (bh_wait_for(bits) & bits & (have_stats ? stats.bit : 0)))
		print_counters();
}

static void serve(void)
{
	for (;;) {
		(void)up_check_driver();
		(void)serve_uplink();
		(void)serve_ports();
		(void)serve_uplink();
		if (up_ok)
			publish(&up);
		for (uint32_t p = 1; p < sw.n_ports; p++)
			if (!ports[p].dead) {
				drain_answers(&ports[p]);
				publish(&ports[p].ring);
			}
		/* Parking finds what came during the pass (RING_PARK_READY) and arms the rest: a
		 * second pass to find nothing cost a turn of every ring per wake. */
		sleep_until_work();
	}
}

/* ---- start ---- */

static void mac_of(uint64_t v, uint8_t *mac)
{
	for (uint32_t i = 0; i < NET_MAC_LEN; i++)
		mac[i] = (uint8_t)(v >> (8u * (NET_MAC_LEN - 1u - i)));
}

/* Opens the port of start-info entry @e. Returns false (and says why) if it cannot. */
static bool open_port(const struct bh_info_entry *e)
{
	const struct bh_info_entry *map = bh_lookup(e->peer, BH_RES_MAP);
	uint8_t mac[NET_MAC_LEN];
	struct cport *c = &ports[sw.n_ports];

	mac_of(e->vaddr, mac);
	if (!map || !(map->flags & BH_RIGHT_WRITE) || sw.n_ports >= VSW_MAX_PORTS ||
	    !bh_ring_open(e->name, &c->ring)) {
		printf("vswitch: port %.32s refused: no ring, no writable data region, or too many\n",
		       e->name);
		return false;
	}
	c->name = e->name;
	c->data = (uint8_t *)(uintptr_t)map->vaddr;
	c->size = map->size;
	c->ipv4 = (uint32_t)e->size;
	return vsw_port_add(&sw, mac) >= 0;
}

/* True if map @e is a client port's data region. */
static bool is_port_region(const struct bh_info_entry *e)
{
	const struct bh_start_info *info = bh_info();

	for (uint32_t i = 0; i < info->n_entries; i++)
		if (info->entries[i].kind == BH_RES_PORT &&
		    strncmp(info->entries[i].peer, e->name, BH_INFO_NAME_LEN) == 0)
			return true;
	return false;
}

/* Finds the two reconnect records in the uplink ring's data area (net_proto.h). */
static bool open_hello(void)
{
	struct ring_data_ref ref = {0, sizeof(struct net_hello)};

	up_hello_own =
		(volatile struct net_hello *)ring_tx_data(&up.ring, 0, sizeof(struct net_hello));
	up_hello_drv = (volatile const struct net_hello *)ring_rx_data(&up.ring, &ref);
	return up_hello_own && up_hello_drv;
}

/*
 * Asks the driver INFO and waits for the answer (@r). The magic is in our record already, so a
 * driver instance that starts meanwhile (the first one was restarted at boot) waits for the
 * handshake: it is answered here too, and the INFO asked again. Returns false if the ring
 * refused the request.
 */
static bool first_info(struct net_resp *r)
{
	struct net_req q = {NET_OP_INFO, 0, 0, 0};
	struct ring_msg m;

	if (bh_ring_send(&up, NET_MSG_REQ, INFO_TAG, &q, sizeof(q)) != RING_OK)
		return false;
	for (;;) {
		if (up_check_driver())
			continue;
		enum ring_status st = ring_take(&up.ring, &m);
		if (st == RING_OK && m.tag == INFO_TAG && m.type == NET_MSG_RESP &&
		    m.len == sizeof(*r)) {
			memcpy(r, m.data, sizeof(*r));
			bh_ring_release(&up);
			return true;
		}
		if (st == RING_OK || (st == RING_EMPTY && park_rx(&up)))
			continue; /* a link notice, or an answer came while parking */
		(void)bh_wait_for(up.bit);
	}
}

/* Finds the uplink ring and its data region; asks the driver INFO; gives it buffers; from then
 * on answers a new driver instance's handshake. */
static bool open_uplink(uint8_t *mac)
{
	const struct bh_start_info *info = bh_info();
	const struct bh_info_entry *ring = NULL, *map = NULL;
	struct net_resp r;

	for (uint32_t i = 0; i < info->n_entries; i++) {
		const struct bh_info_entry *e = &info->entries[i];
		if (!ring && e->kind == BH_RES_RING && e->flags == BH_RING_CLIENT &&
		    strcmp(e->name, "stdout") != 0)
			ring = e;
		if (!map && e->kind == BH_RES_MAP && (e->flags & BH_RIGHT_WRITE) &&
		    !is_port_region(e))
			map = e;
	}
	if (!ring || !map || map->size < (UP_RX + UP_TX) * UP_BUF ||
	    !bh_ring_open_entry(ring, &up) || !open_hello())
		return false;
	up_entry = ring;
	up_data = (uint8_t *)(uintptr_t)map->vaddr;
	up_hello_own->magic = NET_HELLO_MAGIC; /* from now on a new driver instance waits for us */
	if (!first_info(&r) || r.status != NET_OK || r.region_size < map->size) {
		up_entry = NULL; /* no uplink: no handshake either */
		return false;
	}
	memcpy(mac, r.mac, NET_MAC_LEN);
	(void)vsw_link_set(&sw, (r.flags & NET_LINK_UP) != 0); /* before any client port */
	up_ok = true;
	up_forget();
	up_info(&r); /* the link state is set already: no line */
	return true;
}

/** Starts the switch: the uplink (port 0), then a port per entry; serves for ever. */
int main(void)
{
	const struct bh_start_info *info = bh_info();
	uint8_t up_mac[NET_MAC_LEN] = {0};

	vsw_init(&sw);
	bool uplink = open_uplink(up_mac);
	(void)vsw_port_add(&sw, up_mac);
	for (uint32_t i = 0; i < info->n_entries; i++)
		if (info->entries[i].kind == BH_RES_PORT)
			(void)open_port(&info->entries[i]);
	have_stats = bh_channel_open("stats", &stats);
	printf("vswitch: %u client port%s, uplink %s\n", sw.n_ports - 1u,
	       sw.n_ports == 2 ? "" : "s", uplink ? up.peer : "none");
	bh_flush();
	serve();
	return 0;
}
