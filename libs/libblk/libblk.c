/* libblk: a client of the block protocol - submit, complete, wait, and the synchronous helpers. */
#include <string.h>

#include <libblk.h>

/* ---- requests ---- */

static uint32_t check_transfer(const struct blk_vol *v, uint32_t op, uint64_t sector,
                               uint32_t count, uint64_t offset)
{
	uint64_t per_block = v->block_size > BLK_SECTOR_SIZE ? v->block_size / BLK_SECTOR_SIZE : 1;
	uint64_t length = (uint64_t)count * BLK_SECTOR_SIZE;

	if (count == 0 || count > v->max_sectors || sector % per_block || count % per_block ||
	    offset % BLK_SECTOR_SIZE)
		return BLK_EINVAL;
	if (count > v->sectors || sector > v->sectors - count)
		return BLK_ERANGE;
	if (offset > v->data_size || length > v->data_size - offset)
		return BLK_EFAULT;
	if (op == BLK_OP_WRITE && v->ro)
		return BLK_EROFS;
	return BLK_OK;
}

static uint32_t check_request(const struct blk_vol *v, const struct blk_req *r)
{
	if (r->op == BLK_OP_FLUSH)
		return (r->sector | r->count | r->offset) ? BLK_EINVAL : BLK_OK;
	if (r->op != BLK_OP_READ && r->op != BLK_OP_WRITE)
		return BLK_EINVAL;
	return check_transfer(v, r->op, r->sector, r->count, r->offset);
}

/* Puts @r under @tag, waiting while the ring is full. */
static uint32_t put(struct blk_vol *v, const struct blk_req *r, uint64_t tag)
{
	for (;;) {
		enum ring_status st = ring_put(v->ring, BLK_MSG_REQ, 0, tag, r, sizeof(*r));
		if (st == RING_OK)
			return BLK_OK;
		if (st != RING_FULL)
			return BLK_EPROTO;
		blk_kick(v);
		if (!ring_tx_arm(v->ring))
			v->wait(v->ctx);
	}
}

uint32_t blk_submit(struct blk_vol *v, uint32_t op, uint64_t sector, uint32_t count,
                    uint64_t offset, uint64_t *tag)
{
	struct blk_req r = {op, 0, sector, count, 0, offset, (uint64_t)count * BLK_SECTOR_SIZE};
	uint32_t st = check_request(v, &r);

	if (st != BLK_OK)
		return st;
	if (v->n_inflight + v->n_done >= BLK_MAX_INFLIGHT)
		return BLK_EBUSY;
	if (ring_is_broken(v->ring))
		return BLK_EPROTO;
	st = put(v, &r, v->next_tag);
	if (st != BLK_OK)
		return st;
	v->inflight[v->n_inflight++] = v->next_tag;
	*tag = v->next_tag++;
	return BLK_OK;
}

void blk_kick(struct blk_vol *v)
{
	bool put = false, freed = false; /* each call sets its own flag */

	ring_publish(v->ring, &put);
	ring_release(v->ring, &freed);
	if (put || freed)
		v->signal(v->ctx);
}

/* ---- completions ---- */

/* Removes @tag from the requests in flight; false if it is not one of them. */
static bool forget(struct blk_vol *v, uint64_t tag)
{
	for (uint32_t i = 0; i < v->n_inflight; i++) {
		if (v->inflight[i] != tag)
			continue;
		v->inflight[i] = v->inflight[--v->n_inflight];
		return true;
	}
	return false;
}

/* Reads one answer from the ring; an answer to no request in flight is dropped. */
static bool read_answer(struct blk_vol *v, struct blk_done *out)
{
	struct ring_msg m;
	struct blk_resp r;

	while (ring_take(v->ring, &m) == RING_OK) {
		if (m.type != BLK_MSG_RESP || m.len != sizeof(r) || !forget(v, m.tag))
			continue;
		memcpy(&r, m.data, sizeof(r));
		out->tag = m.tag;
		out->op = r.op;
		out->status = r.status < BLK_STATUS_COUNT ? r.status : BLK_IOERR;
		return true;
	}
	return false;
}

bool blk_complete(struct blk_vol *v, struct blk_done *out)
{
	if (v->n_done > 0) {
		*out = v->done[0];
		memmove(&v->done[0], &v->done[1], --v->n_done * sizeof(v->done[0]));
		return true;
	}
	return read_answer(v, out);
}

uint32_t blk_wait_tag(struct blk_vol *v, uint64_t tag)
{
	struct blk_done d;

	for (uint32_t i = 0; i < v->n_done; i++) {
		if (v->done[i].tag != tag)
			continue;
		uint32_t st = v->done[i].status;
		memmove(&v->done[i], &v->done[i + 1], (--v->n_done - i) * sizeof(v->done[0]));
		return st;
	}
	blk_kick(v);
	for (;;) {
		while (read_answer(v, &d)) {
			if (d.tag == tag)
				return d.status;
			v->done[v->n_done++] = d; /* fits: in flight + kept <= BLK_MAX_INFLIGHT */
		}
		if (ring_is_broken(v->ring))
			return BLK_EPROTO;
		blk_kick(v);
		if (!ring_rx_arm(v->ring))
			v->wait(v->ctx);
	}
}

/* ---- synchronous helpers ---- */

static uint32_t sync_op(struct blk_vol *v, uint32_t op, uint64_t sector, uint32_t count,
                        uint64_t offset)
{
	uint64_t tag;
	uint32_t st = blk_submit(v, op, sector, count, offset, &tag);

	return st == BLK_OK ? blk_wait_tag(v, tag) : st;
}

uint32_t blk_read(struct blk_vol *v, uint64_t sector, uint32_t count, uint64_t offset)
{
	return sync_op(v, BLK_OP_READ, sector, count, offset);
}

uint32_t blk_write(struct blk_vol *v, uint64_t sector, uint32_t count, uint64_t offset)
{
	return sync_op(v, BLK_OP_WRITE, sector, count, offset);
}

uint32_t blk_flush(struct blk_vol *v)
{
	return sync_op(v, BLK_OP_FLUSH, 0, 0, 0);
}

/* ---- attaching ---- */

static void take_info(struct blk_vol *v, const struct blk_resp *r)
{
	v->sectors = r->capacity;
	v->block_size = r->block_size;
	v->max_sectors = r->max_sectors;
	v->max_requests = r->max_requests;
	v->ro = (r->flags & BLK_INFO_RO) != 0;
	v->has_flush = (r->flags & BLK_INFO_FLUSH) != 0;
	v->data_size = r->region_size;
	memcpy(v->data_name, r->region_name, BLK_REGION_NAME_LEN);
	v->data_name[BLK_REGION_NAME_LEN] = '\0';
}

/* Waits for the INFO answer (tag 0) and returns it in @r; false if the ring broke. */
static bool wait_info(struct blk_vol *v, struct blk_resp *r)
{
	struct ring_msg m;

	for (;;) {
		while (ring_take(v->ring, &m) == RING_OK) {
			if (m.type != BLK_MSG_RESP || m.len != sizeof(*r) || m.tag != 0)
				continue;
			memcpy(r, m.data, sizeof(*r));
			return true;
		}
		if (ring_is_broken(v->ring))
			return false;
		blk_kick(v);
		if (!ring_rx_arm(v->ring))
			v->wait(v->ctx);
	}
}

uint32_t blk_attach(struct blk_vol *v, struct ring *r, blk_wait_fn wait, blk_wait_fn signal,
                    void *ctx)
{
	struct blk_req q;
	struct blk_resp resp;

	memset(&q, 0, sizeof(q));
	q.op = BLK_OP_INFO;
	memset(v, 0, sizeof(*v));
	v->ring = r;
	v->wait = wait;
	v->signal = signal;
	v->ctx = ctx;
	v->next_tag = 1; /* tag 0 is the INFO's */
	if (put(v, &q, 0) != BLK_OK || !wait_info(v, &resp))
		return BLK_EPROTO;
	if (resp.status != BLK_OK)
		return resp.status < BLK_STATUS_COUNT ? resp.status : BLK_EPROTO;
	if (resp.block_size < BLK_SECTOR_SIZE || (resp.block_size & (resp.block_size - 1)) ||
	    resp.max_sectors == 0)
		return BLK_EPROTO;
	take_info(v, &resp);
	return BLK_OK;
}
