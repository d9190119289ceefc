/* libnet on a network port: the port protocol's client end under a stack (docs/libnet.md). */
#include <string.h>

#include <net_port.h>

#define INFO_TAG (1ull << 32) /* buffers are tagged with their index + 1 */
#define RING_SPARE 4u         /* ring slots left for link notices */

/* Frames cross the data region whole, in one copy each way (ring_copy is for ring
 * messages: at most RING_INLINE_MAX bytes). The copy in is the one read of a received
 * frame: the stack parses only the private copy. */
static void copy_out(volatile uint8_t *dst, const uint8_t *src, size_t len)
{
	memcpy((void *)(uintptr_t)dst, src, len);
}

static void copy_in(uint8_t *dst, const volatile uint8_t *src, size_t len)
{
	memcpy(dst, (const void *)(uintptr_t)src, len);
}

static uint64_t buf_offset(uint32_t i)
{
	return (uint64_t)i * NET_PORT_STRIDE + NET_PORT_BUF_OFF;
}

/* Queues one request (published by the next flush or park). Returns false if it cannot. */
static bool put_req(struct net_port *p, uint32_t op, uint64_t tag, uint64_t off, uint64_t len)
{
	static struct net_req r; /* static: every byte defined, as the analyzer can see */

	r = (struct net_req){op, 0, off, len};
	if (ring_put(&p->ring.ring, NET_MSG_REQ, 0, tag, &r, sizeof(r)) == RING_OK)
		return true;
	p->broken |= ring_is_broken(&p->ring.ring);
	return false;
}

static void post_rx(struct net_port *p, uint32_t i)
{
	if (put_req(p, NET_OP_RX, i + 1u, buf_offset(i), NET_PORT_BUF_LEN))
		p->state[i] = NET_PORT_RX;
}

/* The stack's send function: copies @frame into a free TX buffer and queues it. While the
 * link is down nothing is sent: the frame is dropped and counted, and TCP's retransmission
 * and ARP's retries send again once it is up. */
static void port_send(void *ctx, const uint8_t *frame, size_t len)
{
	struct net_port *p = ctx;

	if (!p->link_up) {
		p->cnt.tx_link_down++;
		return;
	}
	if (len < NET_FRAME_MIN || len > NET_FRAME_MAX || !p->n_tx_free) {
		p->cnt.tx_no_buffer++;
		return;
	}
	uint32_t i = p->tx_free[--p->n_tx_free];
	copy_out(p->data + buf_offset(i), frame, len);
	if (put_req(p, NET_OP_TX, i + 1u, buf_offset(i), len)) {
		p->state[i] = NET_PORT_TX;
		p->cnt.tx_frames++;
	} else {
		p->tx_free[p->n_tx_free++] = i;
		p->cnt.tx_no_buffer++;
	}
}

/* Takes one message: 1 with *@out, 0 if none, -1 if the ring broke or the message is bad. */
static int take_resp(struct net_port *p, uint16_t *type, uint64_t *tag, struct net_resp *out)
{
	struct ring_msg m;
	enum ring_status st = ring_take(&p->ring.ring, &m);

	if (st == RING_EMPTY)
		return 0;
	if (st != RING_OK) {
		p->broken = true;
		return -1;
	}
	if (m.len != sizeof(*out) || (m.type != NET_MSG_RESP && m.type != NET_MSG_LINK)) {
		p->cnt.bad_answers++;
		return -1;
	}
	memcpy(out, m.data, sizeof(*out));
	*type = m.type;
	*tag = m.tag;
	return 1;
}

static void link_notice(struct net_stack *s, struct net_port *p, const struct net_resp *r)
{
	bool up = (r->flags & NET_LINK_UP) != 0, was = p->link_up;

	p->cnt.link_changes++;
	p->link_up = up; /* first: the announcement below must not be dropped as "down" */
	if (up && !was)
		net_arp_announce(s);
}

/* A frame came in buffer @i (@r: its answer, checked here): one copy out, then the stack. */
static void rx_done(struct net_stack *s, struct net_port *p, uint32_t i, const struct net_resp *r)
{
	p->state[i] = NET_PORT_IDLE;
	if (r->status != NET_OK || r->length > NET_FRAME_MAX) {
		p->cnt.rx_errors++;
		return;
	}
	copy_in(p->frame, p->data + buf_offset(i), r->length);
	p->cnt.rx_frames++;
	net_input(s, p->frame, r->length);
}

static void tx_done(struct net_port *p, uint32_t i, const struct net_resp *r)
{
	p->state[i] = NET_PORT_IDLE;
	p->tx_free[p->n_tx_free++] = i;
	if (r->status != NET_OK)
		p->cnt.tx_errors++;
}

/* An answer under @tag: matched to the buffer it names, which must be at the server. */
static void answer(struct net_stack *s, struct net_port *p, uint64_t tag, const struct net_resp *r)
{
	uint32_t i = (uint32_t)(tag - 1u);

	if (tag == 0 || tag > p->n_bufs)
		p->cnt.bad_answers++;
	else if (p->state[i] == NET_PORT_RX && r->op == NET_OP_RX && i < p->n_rx)
		rx_done(s, p, i, r);
	else if (p->state[i] == NET_PORT_TX && r->op == NET_OP_TX && i >= p->n_rx)
		tx_done(p, i, r);
	else
		p->cnt.bad_answers++;
}

/* Handles every message there. Returns how many. */
static int drain(struct net_stack *s, struct net_port *p)
{
	struct net_resp r;
	uint16_t type = 0;
	uint64_t tag = 0;
	int n = 0, got;

	while ((got = take_resp(p, &type, &tag, &r)) != 0 && !p->broken) {
		n++;
		if (got < 0)
			continue;
		if (type == NET_MSG_LINK)
			link_notice(s, p, &r);
		else
			answer(s, p, tag, &r);
	}
	bh_ring_release(&p->ring);
	return n;
}

static void repost_rx(struct net_port *p)
{
	for (uint32_t i = 0; i < p->n_rx && !p->broken; i++)
		if (p->state[i] == NET_PORT_IDLE)
			post_rx(p, i);
}

void net_port_flush(struct net_port *p)
{
	bh_ring_flush(&p->ring);
}

/* The cycle count at millisecond @ms of bh_now_ms()'s clock (saturates). */
static uint64_t ms_to_cycles(uint64_t ms)
{
	uint64_t per_ms = bh_cycles_per_us() * 1000u;

	return ms > UINT64_MAX / per_ms ? UINT64_MAX : ms * per_ms;
}

/* Publishes, arms the ring and sleeps until a message, a bit of wait_mask or @deadline_ms. */
static void sleep_until(struct net_port *p, uint64_t deadline_ms)
{
	unsigned park = ring_rx_park(&p->ring.ring);

	if (park & RING_PARK_NOTIFY)
		(void)bh_signal(p->ring.slot);
	if (park & RING_PARK_READY)
		return;
	uint64_t got = bh_wait_until(p->ring.bit | p->wait_mask, ms_to_cycles(deadline_ms));
	p->woken |= got & p->wait_mask;
}

int net_port_run_once(struct net_stack *s, struct net_port *p)
{
	if (p->broken)
		return NET_PORT_EBROKEN;
	int n = drain(s, p);
	repost_rx(p);
	uint64_t next = net_poll(s, bh_now_ms());
	if (n == 0 && !p->broken)
		sleep_until(p, next);
	else
		net_port_flush(p);
	return p->broken ? NET_PORT_EBROKEN : n;
}

int net_port_poll(struct net_stack *s, struct net_port *p)
{
	if (p->broken)
		return NET_PORT_EBROKEN;
	int n = drain(s, p);
	repost_rx(p);
	(void)net_poll(s, bh_now_ms());
	net_port_flush(p);
	return p->broken ? NET_PORT_EBROKEN : n;
}

/* Sends INFO and waits for its answer (link notices before it count). Returns 0 or an error. */
static int ask_info(struct net_port *p, struct net_resp *info)
{
	struct ring_msg m;

	if (!put_req(p, NET_OP_INFO, INFO_TAG, 0, 0))
		return NET_PORT_EBROKEN;
	bh_ring_flush(&p->ring);
	for (;;) {
		if (bh_ring_take(&p->ring, &m) != RING_OK || m.len != sizeof(*info))
			return NET_PORT_EBROKEN;
		memcpy(info, m.data, sizeof(*info));
		bh_ring_release(&p->ring);
		if (m.type == NET_MSG_RESP && m.tag == INFO_TAG)
			return info->status == NET_OK && info->op == NET_OP_INFO ? 0 :
			                                                           NET_PORT_EBROKEN;
		if (m.type != NET_MSG_LINK)
			return NET_PORT_EBROKEN;
	}
}

/* Cuts the data region into buffers: as many as the region, the ring and the server allow. */
static void plan_buffers(struct net_port *p, const struct net_resp *info)
{
	uint64_t n = p->data_size / NET_PORT_STRIDE;
	uint32_t slots = p->ring.ring.nslots > RING_SPARE ? p->ring.ring.nslots - RING_SPARE : 0;

	n = n < slots ? n : slots;
	n = n < NET_PORT_BUFS ? n : NET_PORT_BUFS;
	n = n < (uint64_t)info->max_rx + info->max_tx ? n : (uint64_t)info->max_rx + info->max_tx;
	p->n_bufs = (uint32_t)n;
	p->n_rx = p->n_bufs / 2 < info->max_rx ? p->n_bufs / 2 : info->max_rx;
	if (p->n_bufs - p->n_rx > info->max_tx)
		p->n_bufs = p->n_rx + info->max_tx;
	p->n_tx_free = 0;
	for (uint32_t i = p->n_bufs; i > p->n_rx; i--)
		p->tx_free[p->n_tx_free++] = i - 1u;
}

/* Finds the ring and the data map. Returns 0 or NET_PORT_ENOPORT. */
static int find_port(struct net_port *p, const char *ring_name, const char *data_name)
{
	const struct bh_info_entry *d = bh_lookup(data_name, BH_RES_MAP);

	if (!d || !(d->flags & BH_RIGHT_WRITE) || !bh_ring_open(ring_name, &p->ring))
		return NET_PORT_ENOPORT;
	p->data = (volatile uint8_t *)(uintptr_t)d->vaddr;
	p->data_size = d->size;
	return 0;
}

/* The domain's own switch port in start-info (not one it serves as the switch), or NULL. */
static const struct bh_info_entry *own_port(void)
{
	const struct bh_start_info *info = bh_info();

	for (uint32_t i = 0; i < info->n_entries && i < BH_INFO_MAX_ENTRIES; i++)
		if (info->entries[i].kind == BH_RES_PORT &&
		    !(info->entries[i].flags & BH_PORT_SWITCH))
			return &info->entries[i];
	return NULL;
}

/* Copies a start-info name (at most BH_INFO_NAME_LEN bytes, maybe unterminated) into @out. */
static const char *info_name(char out[BH_INFO_NAME_LEN + 1], const char *name)
{
	memcpy(out, name, BH_INFO_NAME_LEN);
	out[BH_INFO_NAME_LEN] = '\0';
	return out;
}

int net_port_attach(struct net_port *p, const char *ring_name, const char *data_name)
{
	const struct bh_info_entry *e = ring_name ? NULL : own_port();
	char ring[BH_INFO_NAME_LEN + 1], data[BH_INFO_NAME_LEN + 1];
	struct net_resp info;

	if (!ring_name) {
		ring_name = e ? info_name(ring, e->name) : NET_PORT_RING;
		data_name = e ? info_name(data, e->peer) : NET_PORT_DATA;
	}
	memset(p, 0, sizeof(*p));
	int err = find_port(p, ring_name, data_name);
	if (!err)
		err = ask_info(p, &info);
	if (err)
		return err;
	memcpy(p->mac, info.mac, NET_MAC_LEN);
	p->ipv4 = info.ipv4;
	p->link_up = (info.flags & NET_LINK_UP) != 0;
	plan_buffers(p, &info);
	return p->n_rx == 0 || p->n_bufs == p->n_rx ? NET_PORT_ENOPORT : 0;
}

/* @cfg with the address filled in from INFO where it gives none. Returns false if neither has
 * (the stack then starts unaddressed, and DHCP finds one). */
static bool port_address(const struct net_port *p, const struct net_config *cfg,
                         struct net_config *out)
{
	*out = *cfg;
	if (out->ip)
		return true;
	if (!p->ipv4) {
		out->netmask = out->gateway = 0;
		return false;
	}
	out->ip = p->ipv4;
	if (!out->netmask)
		out->netmask = NET_PORT_DEFAULT_MASK;
	if (!out->gateway)
		out->gateway = (out->ip & out->netmask) | NET_PORT_DEFAULT_GW_HOST;
	return true;
}

int net_port_start(struct net_port *p, struct net_stack *s, const struct net_config *cfg)
{
	struct net_config c;
	bool addressed = port_address(p, cfg, &c);

	memcpy(c.mac, p->mac, NET_MAC_LEN);
	c.send = port_send;
	c.ctx = p;
	int err = net_init(s, &c, bh_now_ms());
	if (err)
		return err;
	repost_rx(p);
	if (!addressed)
		(void)net_dhcp_start(s);
	else if (p->link_up)
		net_arp_announce(s);
	net_port_flush(p);
	return p->broken ? NET_PORT_EBROKEN : 0;
}

int net_port_open(struct net_port *p, struct net_stack *s, const char *ring_name,
                  const char *data_name, const struct net_config *cfg)
{
	int err = net_port_attach(p, ring_name, data_name);

	return err ? err : net_port_start(p, s, cfg);
}
