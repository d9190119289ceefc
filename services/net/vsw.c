/* Virtual switch core: routing by MAC, anti-spoofing, the slot pool and per-port queues. */
#include <string.h>

#include "vsw.h"

void vsw_init(struct vsw *sw)
{
	memset(sw, 0, sizeof(*sw));
	for (uint32_t i = 0; i < VSW_POOL; i++)
		sw->free[i] = VSW_POOL - 1u - i;
	sw->n_free = VSW_POOL;
}

int vsw_port_add(struct vsw *sw, const uint8_t *mac)
{
	if (sw->n_ports >= VSW_MAX_PORTS)
		return -1;
	struct vsw_port *p = &sw->port[sw->n_ports];
	memcpy(p->mac, mac, NET_MAC_LEN);
	p->used = true;
	return (int)sw->n_ports++;
}

static bool is_group(const uint8_t *mac)
{
	return (mac[0] & 1u) != 0; /* broadcast and multicast */
}

bool vsw_learned(const struct vsw *sw, const uint8_t *mac)
{
	for (uint32_t i = 0; i < sw->n_learned; i++)
		if (memcmp(sw->learned[i], mac, NET_MAC_LEN) == 0)
			return true;
	return false;
}

static void learn(struct vsw *sw, const uint8_t *mac)
{
	if (is_group(mac) || vsw_learned(sw, mac))
		return;
	memcpy(sw->learned[sw->learn_next], mac, NET_MAC_LEN);
	sw->learn_next = (sw->learn_next + 1u) % VSW_LEARN;
	if (sw->n_learned < VSW_LEARN)
		sw->n_learned++;
}

/* The client port with address @mac, or -1. */
static int client_port(const struct vsw *sw, const uint8_t *mac)
{
	for (uint32_t p = 1; p < sw->n_ports; p++)
		if (memcmp(sw->port[p].mac, mac, NET_MAC_LEN) == 0)
			return (int)p;
	return -1;
}

/* Counts a drop of cause @d on port @p; returns the empty mask. */
static uint32_t drop(struct vsw *sw, uint32_t p, enum vsw_drop d)
{
	sw->port[p].c.drops[d]++;
	return 0;
}

/* The ports a well-formed frame from @src goes to (before its rx is counted). */
static uint32_t destinations(struct vsw *sw, uint32_t src, const uint8_t *dst)
{
	uint32_t all = (sw->n_ports >= 32u ? ~0u : (1u << sw->n_ports) - 1u) & ~(1u << src);
	int p;

	if (is_group(dst))
		return all;
	p = client_port(sw, dst);
	if (p >= 0 && (uint32_t)p != src)
		return 1u << p;
	if (p < 0 && src != VSW_UPLINK)
		return 1u << VSW_UPLINK;
	return 0;
}

uint32_t vsw_route(struct vsw *sw, uint32_t src, const uint8_t *f, uint64_t len)
{
	const uint8_t *dst = f, *smac = f + NET_MAC_LEN;

	if (len < NET_FRAME_MIN)
		return drop(sw, src, VSW_DROP_RUNT);
	if (len > NET_FRAME_MAX)
		return drop(sw, src, VSW_DROP_GIANT);
	/* A client sends as its port only; nobody outside may send as a client port. */
	if (src != VSW_UPLINK ? memcmp(smac, sw->port[src].mac, NET_MAC_LEN) != 0 :
	                        client_port(sw, smac) >= 0 || is_group(smac))
		return drop(sw, src, VSW_DROP_SPOOF);
	if (src == VSW_UPLINK)
		learn(sw, smac);
	uint32_t mask = destinations(sw, src, dst);
	if (!mask)
		return drop(sw, src, VSW_DROP_NODEST);
	sw->port[src].c.rx_frames++;
	sw->port[src].c.rx_bytes += len;
	return mask;
}

/* Queues slot @s for port @p if it has room; counts FULL on @p if not. */
static bool enqueue(struct vsw *sw, uint32_t p, uint32_t s)
{
	struct vsw_port *port = &sw->port[p];

	if (port->q_n >= VSW_SHARE) {
		(void)drop(sw, p, VSW_DROP_FULL);
		return false;
	}
	port->q[(port->q_head + port->q_n) % VSW_SHARE] = s;
	port->q_n++;
	sw->pool[s].refs++;
	return true;
}

/* vsw_input; returns the mask of the ports the frame was queued for. */
static uint32_t input(struct vsw *sw, uint32_t src, const uint8_t *f, uint64_t len)
{
	uint32_t mask = vsw_route(sw, src, f, len), queued = 0;

	if (!mask)
		return 0;
	/* Every port with room holds fewer than VSW_SHARE references, so a slot is free (vsw.h);
	 * if none is, every destination is full. */
	uint32_t s = sw->n_free ? sw->free[sw->n_free - 1u] : VSW_POOL;
	for (uint32_t p = 0; p < sw->n_ports; p++) {
		if (!(mask & (1u << p)))
			continue;
		if (s == VSW_POOL)
			(void)drop(sw, p, VSW_DROP_FULL);
		else if (enqueue(sw, p, s))
			queued |= 1u << p;
	}
	if (queued == 0)
		return 0;
	sw->n_free--;
	sw->pool[s].len = (uint32_t)len;
	memcpy(sw->pool[s].frame, f, (size_t)len);
	return queued;
}

uint32_t vsw_input(struct vsw *sw, uint32_t src, const uint8_t *f, uint64_t len)
{
	return (uint32_t)__builtin_popcount(input(sw, src, f, len));
}

uint32_t vsw_take(struct vsw *sw, uint32_t src, const uint8_t *f, uint64_t len, vsw_sink sink,
                  void *ctx)
{
	uint32_t queued = input(sw, src, f, len);

	for (uint32_t p = 0; p < sw->n_ports; p++)
		if (queued & (1u << p))
			(void)vsw_forward(sw, p, sink, ctx);
	return (uint32_t)__builtin_popcount(queued);
}

uint32_t vsw_forward(struct vsw *sw, uint32_t p, vsw_sink sink, void *ctx)
{
	const uint8_t *f;
	uint32_t len, n = 0;

	while ((f = vsw_peek(sw, p, &len)) != NULL && sink(ctx, p, f, len)) {
		vsw_pop(sw, p);
		n++;
	}
	return n;
}

const uint8_t *vsw_peek(const struct vsw *sw, uint32_t p, uint32_t *len)
{
	const struct vsw_port *port = &sw->port[p];

	if (port->q_n == 0)
		return NULL;
	const struct vsw_slot *s = &sw->pool[port->q[port->q_head]];
	*len = s->len;
	return s->frame;
}

/* Takes the head of @p's queue and frees its slot when no queue holds it any more. */
static uint32_t dequeue(struct vsw *sw, uint32_t p)
{
	struct vsw_port *port = &sw->port[p];
	uint32_t s = port->q[port->q_head];

	port->q_head = (port->q_head + 1u) % VSW_SHARE;
	port->q_n--;
	if (--sw->pool[s].refs == 0)
		sw->free[sw->n_free++] = s;
	return s;
}

void vsw_pop(struct vsw *sw, uint32_t p)
{
	uint32_t len = sw->pool[sw->port[p].q[sw->port[p].q_head]].len;

	(void)dequeue(sw, p);
	sw->port[p].c.tx_frames++;
	sw->port[p].c.tx_bytes += len;
}

void vsw_port_flush(struct vsw *sw, uint32_t p)
{
	while (sw->port[p].q_n > 0)
		(void)dequeue(sw, p);
}

enum net_status vsw_req_take(const struct ring_msg *m, uint64_t region_size, struct net_req *out)
{
	if (m->type != NET_MSG_REQ || m->flags != 0 || m->len != sizeof(*out))
		return NET_EINVAL;
	memcpy(out, m->data, sizeof(*out));
	return net_req_check(out, region_size);
}

bool vsw_link_notice(const struct ring_msg *m, bool *up)
{
	struct net_resp r;

	if (m->type != NET_MSG_LINK || m->flags != 0 || m->len != sizeof(r))
		return false;
	memcpy(&r, m->data, sizeof(r));
	if (r.op != NET_OP_LINK || (r.flags & ~NET_LINK_UP) != 0)
		return false;
	*up = (r.flags & NET_LINK_UP) != 0;
	return true;
}

bool vsw_link_set(struct vsw *sw, bool up)
{
	if (sw->link_up == up)
		return false;
	sw->link_up = up;
	for (uint32_t p = 1; p < sw->n_ports; p++)
		sw->port[p].link_due = true;
	return true;
}

bool vsw_link_take(struct vsw *sw, uint32_t p)
{
	bool due = sw->port[p].link_due;

	sw->port[p].link_due = false;
	return due;
}

const char *vsw_drop_name(enum vsw_drop d)
{
	static const char *const names[VSW_DROP_COUNT] = {"spoof", "runt", "giant", "bad",
	                                                  "limit", "full", "nodest"};

	return (unsigned)d < VSW_DROP_COUNT ? names[d] : "?";
}
