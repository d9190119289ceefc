/* libnet: TCP reassembly - data beyond a hole waits in the receive buffer at its place. */
#include <string.h>

#include "net_internal.h"

/*
 * The receive buffer holds the in-order bytes (r_len of them from r_head), then the rest of
 * the window. A segment beyond rcv_nxt is copied where it belongs in that rest, and its
 * sequence range is noted (up to NET_TCP_OOO ranges, merged when they touch). When the hole
 * at rcv_nxt fills, rcv_nxt and r_len move over every range that now joins. Reading moves
 * r_head and r_len together, so the place of held data never changes.
 */

static void copy_in(struct net_tcb *t, uint32_t off, const uint8_t *p, uint32_t n)
{
	uint32_t at = (t->r_head + t->r_len + off) % NET_TCP_BUF;
	uint32_t first = NET_TCP_BUF - at < n ? NET_TCP_BUF - at : n;

	memcpy(t->rbuf + at, p, first);
	memcpy(t->rbuf, p + first, n - first);
}

static void remove_range(struct net_tcb *t, unsigned i)
{
	t->n_ooo--;
	t->ooo_start[i] = t->ooo_start[t->n_ooo];
	t->ooo_end[i] = t->ooo_end[t->n_ooo];
}

/* Notes [@a, @b) as held, merged with the ranges it touches; false if no slot is left. */
static bool add_range(struct net_tcb *t, uint32_t a, uint32_t b)
{
	unsigned i = 0;

	while (i < t->n_ooo) {
		if (net_seq_le(t->ooo_start[i], b) && net_seq_le(a, t->ooo_end[i])) {
			a = net_seq_lt(t->ooo_start[i], a) ? t->ooo_start[i] : a;
			b = net_seq_lt(b, t->ooo_end[i]) ? t->ooo_end[i] : b;
			remove_range(t, i);
			i = 0; /* the union may touch a range seen before */
		} else {
			i++;
		}
	}
	if (t->n_ooo == NET_TCP_OOO)
		return false;
	t->ooo_start[t->n_ooo] = a;
	t->ooo_end[t->n_ooo] = b;
	t->n_ooo++;
	return true;
}

/* Moves rcv_nxt (and r_len) over the held ranges that now join it. */
static void advance(struct net_tcb *t)
{
	unsigned i = 0;

	while (i < t->n_ooo) {
		if (net_seq_le(t->ooo_start[i], t->rcv_nxt)) {
			if (net_seq_lt(t->rcv_nxt, t->ooo_end[i])) {
				t->r_len += t->ooo_end[i] - t->rcv_nxt;
				t->rcv_nxt = t->ooo_end[i];
			}
			remove_range(t, i);
			i = 0;
		} else {
			i++;
		}
	}
}

bool net_tcp_reasm_store(struct net_tcb *t, uint32_t seq, const uint8_t *p, uint32_t n)
{
	uint32_t off = seq - t->rcv_nxt;

	if (n == 0 || (off && !add_range(t, seq, seq + n)))
		return false;
	copy_in(t, off, p, n);
	if (off)
		return true;
	t->r_len += n;
	t->rcv_nxt += n;
	advance(t);
	return true;
}
