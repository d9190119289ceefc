/* Storage service: serves volumes of one disk to their clients, moving descriptors, never data. */
#include <stdio.h>
#include <string.h>

#include <bh.h>
#include <blk_hello.h>
#include <blk_stamp.h>

#include "stor.h"

/* Answers that found the client's ring full wait here, in order (see take_one): one per
 * request in flight (at most its share, at most STOR_TABLE_SIZE) and one for the request
 * taken last. */
#define ANSWER_Q (STOR_TABLE_SIZE + 1u)
#define INFO_TAG (~0ull) /* tag of the start-up INFO requests, less the region: never a table tag */
#define INFO_TRIES 4u    /* INFO requests for one answer before the driver counts as broken */

struct answer {
	uint64_t tag;
	struct blk_resp resp;
};

struct client {
	struct bh_ring ring;
	struct stor_volume vol;
	const char *name; /* the volume's (and its ring's) name */
	bool dead;        /* broke the ring protocol: no longer served */
	bool refused;     /* its volume was refused at start: every request gets BLK_ENOVOL */
	bool flush_wait;  /* a FLUSH waits for the client's requests in flight to complete */
	uint64_t flush_tag;
	struct answer q[ANSWER_Q];
	uint32_t q_head, q_n;
};

static struct bh_ring disk;
static const struct bh_info_entry *disk_entry; /* its start-info entry: the region */
static struct stor_disk geo;
static bool disk_dead;   /* the driver broke the ring: wait for a new instance */
static uint64_t drv_inc; /* the driver instance answered last (blk_hello.h) */
static uint64_t n_instances;
static struct client clients[STOR_MAX_CLIENTS];
static uint32_t n_clients;
static struct stor_sched sched;
static struct stor_table table;
static uint64_t unsent[STOR_TABLE_SIZE]; /* driver tags not yet in the disk ring, in order */
static uint32_t unsent_head, unsent_n;
static struct blk_stamp_log *stamps; /* the bench's stage log, if mapped (blk_stamp.h) */

/* ---- answers to clients ---- */

static void drain_answers(struct client *c)
{
	while (c->q_n > 0 && !c->dead) {
		const struct answer *a = &c->q[c->q_head];
		enum ring_status st =
			ring_put(&c->ring.ring, BLK_MSG_RESP, 0, a->tag, &a->resp, sizeof(a->resp));
		if (st == RING_FULL)
			return;
		c->q_head = (c->q_head + 1) % ANSWER_Q;
		c->q_n--;
	}
}

static void answer(struct client *c, uint64_t tag, const struct blk_resp *resp)
{
	if (c->q_n == 0 && !c->dead &&
	    ring_put(&c->ring.ring, BLK_MSG_RESP, 0, tag, resp, sizeof(*resp)) != RING_FULL)
		return;           /* in the ring (or the ring broke: the next take says so) */
	if (c->q_n == ANSWER_Q) { /* cannot happen: take_one keeps room; say so if it does */
		printf("storage: %s: answer queue full, answer dropped\n", c->name);
		return;
	}
	struct answer *a = &c->q[(c->q_head + c->q_n) % ANSWER_Q];
	a->tag = tag;
	a->resp = *resp;
	c->q_n++;
	drain_answers(c);
}

static void answer_status(struct client *c, uint64_t tag, uint32_t op, enum blk_status st)
{
	struct blk_resp r;

	memset(&r, 0, sizeof(r));
	r.status = st;
	r.op = op;
	answer(c, tag, &r);
}

/* ---- requests to the driver ---- */

static void send_unsent(void)
{
	while (unsent_n > 0 && !disk_dead) {
		const struct stor_entry *e = stor_table_find(&table, unsent[unsent_head]);
		enum ring_status st =
			e ? ring_put(&disk.ring, BLK_MSG_REQ, 0, unsent[unsent_head], &e->req,
		                     sizeof(e->req)) :
			    RING_OK; /* a driver answered it unsent: guessed its tag */
		if (st == RING_FULL)
			return;
		unsent_head = (unsent_head + 1) % STOR_TABLE_SIZE;
		unsent_n--;
	}
}

/*
 * Records @req in the table (kept there until answered, through any number of driver
 * instances) and sends it in order; while the driver's ring is broken it waits there for a
 * new instance. Returns false if it could not (a full table, which the shares prevent): the
 * client has its BLK_IOERR then.
 */
static bool to_driver(uint32_t c, uint64_t client_tag, const struct blk_req *req)
{
	uint64_t tag;

	if (!stor_table_add(&table, c, client_tag, req, &tag)) {
		answer_status(&clients[c], client_tag, req->op, BLK_IOERR);
		return false;
	}
	sched.inflight[c]++;
	unsent[(unsent_head + unsent_n) % STOR_TABLE_SIZE] = tag;
	unsent_n++;
	send_unsent();
	return true;
}

/* A FLUSH waiting for the client's earlier requests goes once none is in flight. */
static void flush_if_drained(uint32_t c)
{
	struct client *cl = &clients[c];
	struct blk_req f = {BLK_OP_FLUSH, 0, 0, 0, 0, 0, 0};

	if (!cl->flush_wait || sched.inflight[c] > 0)
		return;
	cl->flush_wait = false;
	if (!to_driver(c, cl->flush_tag, &f))
		sched.barrier[c] = false; /* answered already; else it stays until the answer */
}

/* ---- one client request ---- */

/* The op of a request message for its answer: 0 if the message is no request at all. */
static uint32_t msg_op(const struct ring_msg *m)
{
	uint32_t op = 0;

	if (m->len == sizeof(struct blk_req))
		memcpy(&op, m->data, sizeof(op));
	return op;
}

static void handle_request(uint32_t c, const struct ring_msg *m)
{
	struct client *cl = &clients[c];
	struct blk_req req;
	struct blk_resp info;
	enum blk_status st = cl->refused ? BLK_ENOVOL : stor_req_check(m, &cl->vol, &geo, &req);

	if (st != BLK_OK) {
		answer_status(cl, m->tag, msg_op(m), st);
		return;
	}
	if (req.op == BLK_OP_INFO) {
		stor_req_info(&req, &cl->vol, &geo, sched.share, &info);
		answer(cl, m->tag, &info);
	} else if (req.op == BLK_OP_FLUSH) {
		sched.barrier[c] = true; /* nothing new from this client until the flush is done */
		cl->flush_wait = true;
		cl->flush_tag = m->tag;
		flush_if_drained(c);
	} else {
		(void)to_driver(c, m->tag, &req);
	}
}

/* Takes one request of client @c. Returns false if it had none (or broke its ring). */
static bool take_one(uint32_t c)
{
	struct client *cl = &clients[c];
	struct ring_msg m;
	enum ring_status st = ring_take(&cl->ring.ring, &m); /* one copy; checks read the copy */

	if (st == RING_BROKEN) {
		cl->dead = true;
		printf("storage: client %s of volume %s broke its ring; it is no longer served\n",
		       cl->ring.peer, cl->name);
	}
	if (st != RING_OK)
		return false;
	handle_request(c, &m);
	return true;
}

/* Whether client @c may not start a request now: dead, or with answers waiting for room. */
static bool blocked(uint32_t c)
{
	return clients[c].dead || clients[c].q_n > 0;
}

/*
 * Round robin: one request per client in turn until none has one, or the table is full.
 * Taking a request of client @c changes only whether @c is blocked. Returns true if any.
 */
static bool serve_clients(void)
{
	uint32_t skip = 0;
	bool any = false;
	int c;

	for (uint32_t i = 0; i < n_clients; i++)
		skip |= blocked(i) ? 1u << i : 0u;
	while (table.n_used < STOR_TABLE_SIZE && (c = stor_sched_next(&sched, skip)) >= 0) {
		if (take_one((uint32_t)c))
			any = true;
		else
			skip |= 1u << c;
		skip |= blocked((uint32_t)c) ? 1u << c : 0u;
	}
	return any;
}

/* ---- driver answers ---- */

static void handle_answer(const struct ring_msg *m)
{
	const struct stor_entry *e = stor_table_find(&table, m->tag);
	struct blk_resp r;

	if (!e || m->type != BLK_MSG_RESP || m->len != sizeof(r))
		return; /* names no request in flight: the driver misbehaves; nothing to answer */
	memcpy(&r, m->data, sizeof(r));
	uint32_t c = e->client, op = e->req.op;
	uint64_t client_tag = e->client_tag;
	stor_table_remove(&table, m->tag);
	sched.inflight[c]--;
	answer_status(&clients[c], client_tag, op,
	              r.status < BLK_STATUS_COUNT ? r.status : BLK_IOERR);
	if (op == BLK_OP_FLUSH)
		sched.barrier[c] = clients[c].flush_wait; /* the barrier ends with the flush */
	flush_if_drained(c);
}

static bool serve_driver(void)
{
	struct ring_msg m;
	bool any = false;
	enum ring_status st;

	while (!disk_dead && (st = ring_take(&disk.ring, &m)) == RING_OK) {
		handle_answer(&m);
		any = true;
	}
	if (!disk_dead && st == RING_BROKEN) {
		disk_dead = true;
		printf("storage: the driver broke ring %s; %u requests kept for a new instance\n",
		       disk.peer, table.n_used);
	}
	return any;
}

/* ---- a new driver instance (blk_hello.h) ---- */

/*
 * The driver announced instance @inc: zero the ring's queues, attach again, answer, and send
 * every request in flight again, in the order they were taken, with tags of a new epoch (an
 * answer the old instance left behind names no request now).
 */
static void reconnect(uint64_t inc)
{
	void *base = (void *)(uintptr_t)disk_entry->vaddr;

	if (blk_hello_accept(&disk.ring, base, disk_entry->size, inc) != RING_OK)
		return; /* cannot happen: bh_ring_open_entry attached the same region */
	drv_inc = inc;
	disk_dead = false;
	unsent_head = 0;
	unsent_n = stor_table_reconnect(&table, unsent);
	if (n_instances++ > 0)
		printf("storage: driver %s: instance %llu.%llu; its ring reset, %u requests sent "
		       "again\n",
		       disk.peer, (unsigned long long)((inc - 1) >> 32),
		       (unsigned long long)((inc - 1) & 0xffffffffu), unsent_n);
	send_unsent();
	bool notify = false;
	ring_publish(&disk.ring, &notify);
	(void)bh_signal(disk.slot); /* the instance waits for the answer */
}

/* Answers a driver instance that announced itself. Returns true if there was one. */
static bool check_driver(void)
{
	uint64_t inc = blk_hello_new(&disk.ring, drv_inc);

	if (inc)
		reconnect(inc);
	return inc != 0;
}

/* ---- sleeping ---- */

/* Publishes, releases and arms @r for a message; returns true if one is there. */
static bool park_rx(struct bh_ring *r)
{
	unsigned p = ring_rx_park(&r->ring);

	if (p & RING_PARK_NOTIFY)
		(void)bh_signal(r->slot);
	return (p & RING_PARK_READY) != 0;
}

/* Arms client @c's ring; returns true if there is work for it now (no need to sleep). */
static bool park_client(uint32_t c)
{
	struct client *cl = &clients[c];
	bool may_take = cl->q_n == 0 && !sched.barrier[c] && sched.inflight[c] < sched.share;
	bool rx = park_rx(&cl->ring);

	if (cl->q_n > 0)
		return ring_tx_arm(&cl->ring.ring); /* room for the answers waiting */
	return rx && may_take;
}

/* Parks the disk ring; sets *@kick if the driver asked to be signalled. Returns true if
 * there is work on it now: an answer, or room for a request that waits. */
static bool park_disk(bool *kick)
{
	if (disk_dead)
		return false;
	unsigned p = ring_rx_park(&disk.ring);
	bool ready = (p & RING_PARK_READY) != 0;
	*kick = (p & RING_PARK_NOTIFY) != 0;
	if (unsent_n > 0)
		ready |= ring_tx_arm(&disk.ring);
	return ready;
}

/*
 * Parks every ring and sleeps unless that found work. Returns the bits that woke it, 0 if
 * it did not sleep. The driver's signal goes last: when
 * the service sleeps it is sent with the wait in one hypercall, so the driver runs at once
 * and the service does not run again until it is woken.
 */
static uint64_t sleep_until_work(void)
{
	uint64_t bits = disk.bit;
	bool ready = false, kick = false;

	for (uint32_t c = 0; c < n_clients; c++) {
		struct client *cl = &clients[c];
		drain_answers(cl);
		if (cl->dead)
			continue;
		ready |= park_client(c);
		bits |= cl->ring.bit;
	}
	ready |= park_disk(&kick);
	if (ready) {
		if (kick)
			(void)bh_signal(disk.slot);
		return 0;
	}
	blk_stamp(stamps, BLK_STAMP_SVC_SLEEP);
	enum bh_err err = BH_OK;
	uint64_t woke = 0;
	if (kick) /* any bit wakes it: the pass looks at every ring */
		woke = bh_signal_wait(disk.slot, &err);
	if (!kick || err != BH_OK)
		woke = bh_wait_for(bits);
	blk_stamp(stamps, BLK_STAMP_SVC_WAKE);
	return woke;
}

/* The loop: work, then park every ring, which publishes what was put, frees what was taken
 * and signals the peers that asked, and sleep unless parking finds more work (it looks at
 * every ring, so a pass that did work needs no second pass to find none). A new driver
 * instance is looked for only when the driver's signal woke the service and brought no
 * answer: the instance signals and waits, and signals again after each heartbeat interval,
 * so a signal that came with the old instance's last answers is followed by another. */
static void serve(void)
{
	uint64_t woke = 0;

	for (;;) {
		if (!serve_driver() && (woke & disk.bit))
			(void)check_driver();
		(void)serve_clients();
		send_unsent();
		blk_stamp(stamps, BLK_STAMP_SVC_WORKED);
		woke = sleep_until_work();
	}
}

/* ---- start ---- */

/* Waits for the first driver instance and answers it. */
static void await_driver(void)
{
	while (!check_driver())
		(void)bh_wait_for(disk.bit);
}

/* Waits for the answer to the one request in the ring. Returns RING_EMPTY if a new driver
 * instance came meanwhile (the ring was reset: ask again), else ring_take's status. */
static enum ring_status info_answer(struct ring_msg *m)
{
	enum ring_status st;
	bool notify = false;

	while ((st = ring_take(&disk.ring, m)) == RING_EMPTY) {
		if (check_driver())
			return RING_EMPTY;
		if (!ring_rx_arm(&disk.ring))
			(void)bh_wait_for(disk.bit);
	}
	ring_release(&disk.ring, &notify);
	if (notify)
		(void)bh_signal(disk.slot);
	return st;
}

/*
 * Asks the driver about region @region once (synchronously; nothing else is in flight). A
 * driver instance that restarts while it is asked gets the request again, so an answer may
 * come twice: each request's tag names its region, and an answer to an earlier one is dropped.
 */
static bool driver_info_once(uint32_t region, struct blk_resp *r)
{
	struct blk_req q = {BLK_OP_INFO, region, 0, 0, 0, 0, 0};
	uint64_t tag = INFO_TAG - region;
	struct ring_msg m;
	enum ring_status st = RING_EMPTY;

	while (st == RING_EMPTY) {
		if (ring_send(&disk.ring, BLK_MSG_REQ, 0, tag, &q, sizeof(q), NULL) != RING_OK)
			return false;
		(void)bh_signal(disk.slot);
		while ((st = info_answer(&m)) == RING_OK && m.type == BLK_MSG_RESP && m.tag != tag)
			; /* a late answer to an earlier request (nothing else is in flight) */
	}
	if (st != RING_OK)
		return false;
	memcpy(r, m.data, sizeof(*r));
	return m.type == BLK_MSG_RESP && m.tag == tag && m.len == sizeof(*r) && r->status == BLK_OK;
}

/*
 * driver_info_once, up to INFO_TRIES times: an instance caught by a restart in the middle of
 * its answer may refuse it (storage_restart's chaos driver does), the next one answers.
 */
static bool driver_info(uint32_t region, struct blk_resp *r)
{
	for (uint32_t i = 0; i < INFO_TRIES; i++)
		if (driver_info_once(region, r))
			return true;
	return false;
}

static bool open_disk(struct blk_resp *r)
{
	const struct bh_start_info *info = bh_info();

	for (uint32_t i = 0; i < info->n_entries; i++) {
		const struct bh_info_entry *e = &info->entries[i];
		if (e->kind != BH_RES_RING || e->flags != BH_RING_CLIENT ||
		    strcmp(e->name, "stdout") == 0)
			continue;
		if (!bh_ring_open_entry(e, &disk))
			return false;
		disk_entry = e;
		await_driver();
		return driver_info(0, r);
	}
	return false;
}

/* The driver's index of region @name, with its size; false if the driver has none such. */
static bool find_region(const char *name, uint32_t n_regions, uint32_t *idx, uint64_t *size)
{
	struct blk_resp r;

	for (uint32_t i = 0; i < n_regions; i++) {
		if (!driver_info(i, &r))
			return false;
		if (strncmp(r.region_name, name, BLK_REGION_NAME_LEN) == 0) {
			*idx = i;
			*size = r.region_size;
			return true;
		}
	}
	return false;
}

static const char *refusal(const struct bh_info_entry *e, struct stor_volume *v, uint32_t n_regions)
{
	if (!find_region(e->peer, n_regions, &v->drv_region, &v->data_size))
		return "its data region is not among the driver's DMA regions";
	switch (stor_volume_fit(v, &geo)) {
	case STOR_FIT_END:
		return "it ends past the end of the disk";
	case STOR_FIT_ALIGN:
		return "it does not start and end on a block of the disk";
	default:
		return NULL;
	}
}

static void open_volume(const struct bh_info_entry *e, uint32_t n_regions)
{
	struct stor_volume v = {e->vaddr, e->size, 0, 0, (e->flags & BH_VOLUME_RO) != 0, {0}};
	struct client *cl = &clients[n_clients];
	bool ring = n_clients < STOR_MAX_CLIENTS && bh_ring_open(e->name, &cl->ring);
	const char *why = ring ? refusal(e, &v, n_regions) : NULL;

	memcpy(v.data_name, e->peer, sizeof(v.data_name));
	if (!ring)
		why = n_clients < STOR_MAX_CLIENTS ? "its ring is missing" :
		                                     "too many volumes for one service";
	if (why)
		printf("storage: volume %.32s (sectors %llu..%llu of a %llu-sector disk) refused: %s\n",
		       e->name, (unsigned long long)v.first,
		       (unsigned long long)(v.first + v.sectors - 1),
		       (unsigned long long)geo.capacity, why);
	if (!ring)
		return;
	/* A refused volume's client is still answered (BLK_ENOVOL): it must not wait for ever. */
	cl->refused = why != NULL;
	cl->vol = v;
	cl->name = e->name;
	n_clients++;
}

static uint32_t served_volumes(void)
{
	uint32_t n = 0;

	for (uint32_t c = 0; c < n_clients; c++)
		n += !clients[c].refused;
	return n;
}

int main(void)
{
	const struct bh_start_info *info = bh_info();
	struct blk_resp r;

	if (!open_disk(&r)) {
		printf("storage: no disk: no ring to a driver, or its INFO failed\n");
		return 1;
	}
	geo = (struct stor_disk){r.capacity, r.block_size, r.max_sectors, r.flags};
	for (uint32_t i = 0; i < info->n_entries; i++)
		if (info->entries[i].kind == BH_RES_VOLUME)
			open_volume(&info->entries[i], r.n_regions);
	uint32_t served = served_volumes();
	stor_sched_init(&sched, n_clients, served, r.max_requests);
	stamps = blk_stamp_open();
	stor_table_init(&table);
	printf("storage: disk %s: %llu sectors of %u bytes%s; serving %u volume%s\n", disk.peer,
	       (unsigned long long)geo.capacity, geo.block_size,
	       geo.flags & BLK_INFO_RO ? ", read-only" : "", served, served == 1 ? "" : "s");
	printf("storage: the driver works on %u requests at once; each volume's client may have "
	       "%u of them\n",
	       r.max_requests, sched.share);
	bh_flush();
	serve();
	return 0;
}
