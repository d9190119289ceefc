/* libring: SPSC request/response queues in a shared region, with event suppression. */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <ring.h>

/*
 * Protocol (see abi/ring.h for the layout):
 * - Each queue has one producer and one consumer. Indices are free-running uint32_t; a
 *   slot is index & (nslots - 1), so a slot address is always in bounds.
 * - Each end keeps its own index privately (tx_prod, rx_cons) and only writes the shared
 *   copy. It reads the peer's index once per look (ring_tx_refresh, rx_look), into
 *   a local, and accepts it only if it moved forward, and no further than the protocol
 *   allows: a consumer index by at most the published slots not yet seen consumed, a
 *   producer index by at most the slots the consumer does not hold. Anything else marks the
 *   ring broken for good.
 * - Event suppression as in Xen's io/ring.h: the consumer about to sleep sets
 *   prod_event = cons + 1 ("signal me when prod reaches this"), issues a full barrier and
 *   re-checks prod. The producer publishes prod, issues a full barrier and signals iff
 *   prod_event lies in (old prod, new prod]. The same holds for free space with
 *   cons_event, written by the producer and checked by the consumer. An event index is read
 *   once and only decides whether to signal the peer: any value the peer writes is safe.
 * - Messages are copied out of the slot once, then validated on the private copy.
 */

#define RING_HDR_BYTES offsetof(struct ring_msg, data)
#define RING_MAX_REGION (1ull << 32)
#define RING_PAGE 4096u

/* Loads a peer-written index once. */
static inline uint32_t load_once(const volatile uint32_t *p)
{
	return __atomic_load_n(p, __ATOMIC_ACQUIRE);
}

/* Publishes an index after every prior access to the slot it covers. */
// NOLINTNEXTLINE(readability-non-const-parameter): it stores through p
static inline void publish(volatile uint32_t *p, uint32_t v)
{
	__atomic_store_n(p, v, __ATOMIC_RELEASE);
}

/* Orders a preceding store before a following load (Dekker-style wake-up check). */
static inline void full_barrier(void)
{
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
}

/* True iff @event lies in (@old, @new]: the peer asked to be signalled in this step. */
static inline bool crossed(uint32_t event, uint32_t old, uint32_t new_idx)
{
	return (uint32_t)(new_idx - event) < (uint32_t)(new_idx - old);
}

enum ring_status ring_mark_broken(struct ring *r)
{
	r->broken = true;
	r->tx_limit = r->tx_prod; /* every fast path now goes to a refresh, */
	r->rx_limit = r->rx_cons; /* which answers RING_BROKEN */
	return RING_BROKEN;
}

static inline void set_notify(bool *notify, bool v)
{
	if (notify)
		*notify = v;
}

bool ring_geometry(size_t size, uint32_t *nslots, uint32_t *data_half)
{
	if (size < RING_PAGE || size % RING_PAGE != 0 || (uint64_t)size > RING_MAX_REGION)
		return false;
	uint64_t n = RING_MIN_SLOTS;
	if (RING_HDR_SIZE + 2 * n * RING_SLOT_SIZE > size / 2)
		return false;
	while (RING_HDR_SIZE + 2 * (2 * n) * RING_SLOT_SIZE <= size / 2)
		n *= 2;
	*nslots = (uint32_t)n;
	*data_half = (uint32_t)((size - RING_HDR_SIZE - 2 * n * RING_SLOT_SIZE) / 2);
	return true;
}

enum ring_status ring_attach(struct ring *r, void *base, size_t size, enum ring_role role)
{
	uint32_t n, half;

	if (!r || !base || (uintptr_t)base % RING_PAGE != 0 || !ring_geometry(size, &n, &half))
		return RING_EINVAL;
	if (role != RING_ROLE_CLIENT && role != RING_ROLE_SERVER)
		return RING_EINVAL;

	uint8_t *b = base;
	volatile struct ring_queue *req = (volatile struct ring_queue *)b;
	volatile struct ring_queue *rsp = (volatile struct ring_queue *)(b + sizeof(*req));
	volatile struct ring_msg *req_slots = (volatile struct ring_msg *)(b + RING_HDR_SIZE);
	volatile struct ring_msg *rsp_slots = req_slots + n;
	volatile uint8_t *data = (volatile uint8_t *)(rsp_slots + n);
	bool client = role == RING_ROLE_CLIENT;

	r->tx = client ? req : rsp;
	r->rx = client ? rsp : req;
	r->tx_slots = client ? req_slots : rsp_slots;
	r->rx_slots = client ? rsp_slots : req_slots;
	r->tx_data = client ? data : data + half;
	r->rx_data = client ? data + half : data;
	r->nslots = n;
	r->data_half = half;
	/* Our own indices: last written by this end (or zero at boot). The peer's are not
	 * known yet: a first look accepts any within one ring of ours. */
	r->tx_prod = r->tx_published = r->tx_limit = r->tx->prod;
	r->rx_cons = r->rx_released = r->rx_limit = r->rx->cons;
	r->broken = false;
	return RING_OK;
}

/*
 * Reads the peer's consumer index once. It may only have moved forward from the last one
 * accepted (seen = tx_limit - nslots), and only over slots already published; otherwise the
 * ring is broken. (The step form keeps the accepting path to three registers, so ring_send
 * around its call stays as short as before.)
 */
enum ring_status ring_tx_refresh(struct ring *r)
{
	if (r->broken)
		return RING_BROKEN;
	uint32_t seen = r->tx_limit - r->nslots;
	uint32_t step = load_once(&r->tx->cons) - seen;
	if (step > r->tx_published - seen)
		return ring_mark_broken(r);
	r->tx_limit += step;
	return r->tx_prod != r->tx_limit ? RING_OK : RING_FULL;
}

void ring_publish(struct ring *r, bool *notify)
{
	uint32_t old = r->tx_published, new_idx = r->tx_prod;
	set_notify(notify, false);
	if (old == new_idx || r->broken)
		return;
	r->tx_published = new_idx;
	publish(&r->tx->prod, new_idx);
	full_barrier();
	set_notify(notify, crossed(load_once(&r->tx->prod_event), old, new_idx));
}

enum ring_status ring_send(struct ring *r, uint16_t type, uint16_t flags, uint64_t tag,
                           const void *buf, uint32_t len, bool *notify)
{
	set_notify(notify, false);
	enum ring_status st = ring_put(r, type, flags, tag, buf, len);
	if (st == RING_OK)
		ring_publish(r, notify);
	return st;
}

/*
 * Reads the peer's producer index once. It may only have moved forward from the last one
 * accepted (rx_limit), and the slots it then covers beyond the last release must fit in the
 * ring; otherwise the ring is broken.
 */
static inline enum ring_status rx_look(struct ring *r)
{
	uint32_t prod = load_once(&r->rx->prod);

	if (prod - r->rx_limit > r->nslots - (r->rx_limit - r->rx_released))
		return ring_mark_broken(r);
	r->rx_limit = prod;
	return prod != r->rx_cons ? RING_OK : RING_EMPTY;
}

enum ring_status ring_rx_refresh(struct ring *r)
{
	if (r->broken)
		return RING_BROKEN;
	return rx_look(r);
}

void ring_release(struct ring *r, bool *notify)
{
	uint32_t old = r->rx_released, new_idx = r->rx_cons;
	set_notify(notify, false);
	if (old == new_idx || r->broken)
		return;
	r->rx_released = new_idx;
	publish(&r->rx->cons, new_idx);
	full_barrier();
	set_notify(notify, crossed(load_once(&r->rx->cons_event), old, new_idx));
}

enum ring_status ring_recv(struct ring *r, struct ring_msg *out, bool *notify)
{
	set_notify(notify, false);
	enum ring_status st = ring_take(r, out);
	if (st == RING_OK)
		ring_release(r, notify);
	return st;
}

bool ring_rx_arm(struct ring *r)
{
	if (r->broken)
		return true;
	__atomic_store_n(&r->rx->prod_event, r->rx_cons + 1, __ATOMIC_RELAXED);
	full_barrier();
	return rx_look(r) != RING_EMPTY;
}

/*
 * ring_publish + ring_release + ring_rx_arm with one barrier: the three stores (prod, cons,
 * prod_event) all come before it, the three loads (prod_event, cons_event, prod) after it,
 * which is all each Dekker pair needs. An unchanged index is stored again (same value, which
 * the peer accepts) and cannot cross an event, so there is no branch for it.
 */
unsigned ring_rx_park(struct ring *r)
{
	volatile struct ring_queue *tx = r->tx, *rx = r->rx;

	if (r->broken)
		return RING_PARK_READY;
	uint32_t old_prod = r->tx_published, new_prod = r->tx_prod;
	uint32_t old_cons = r->rx_released, new_cons = r->rx_cons;
	r->tx_published = new_prod;
	r->rx_released = new_cons;
	publish(&tx->prod, new_prod);
	publish(&rx->cons, new_cons);
	__atomic_store_n(&rx->prod_event, new_cons + 1, __ATOMIC_RELAXED);
	full_barrier();
	bool notify = crossed(load_once(&tx->prod_event), old_prod, new_prod) |
	              crossed(load_once(&rx->cons_event), old_cons, new_cons);
	unsigned park = notify ? RING_PARK_NOTIFY : 0u;
	/* rx_look with what is known: rx_released is now new_cons */
	uint32_t prod = load_once(&rx->prod), seen = r->rx_limit;
	if (prod - seen > r->nslots - (seen - new_cons)) {
		(void)ring_mark_broken(r); /* the next take answers RING_BROKEN */
		return park | RING_PARK_READY;
	}
	r->rx_limit = prod;
	return prod != new_cons ? park | RING_PARK_READY : park;
}

bool ring_tx_arm(struct ring *r)
{
	if (r->broken)
		return true;
	/* A slot frees when cons passes tx_prod - nslots, i.e. reaches tx_prod - nslots + 1. */
	__atomic_store_n(&r->tx->cons_event, r->tx_prod - r->nslots + 1, __ATOMIC_RELAXED);
	full_barrier();
	return ring_tx_refresh(r) != RING_FULL;
}

volatile uint8_t *ring_tx_data(struct ring *r, uint32_t off, uint32_t len)
{
	if (r->broken || off > r->data_half || len > r->data_half - off)
		return NULL;
	return r->tx_data + off;
}

volatile const uint8_t *ring_rx_data(struct ring *r, const struct ring_data_ref *ref)
{
	uint32_t off = ref->offset, len = ref->length;

	if (r->broken || off > r->data_half || len > r->data_half - off)
		return NULL;
	return r->rx_data + off;
}
