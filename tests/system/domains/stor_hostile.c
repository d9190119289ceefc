/* System test storage_hostile: a client that sends the storage service bad requests, then breaks its ring. */
#include <stdio.h>
#include <string.h>

#include <bh.h>

#include "blk_proto.h"

/*
 * What the manifest gives it: ring vol-h to the storage service (a volume of 2048 sectors),
 * its data region h-data (64 KiB). Each bad request must come back with its status and
 * must not reach the disk; then a good read is served; then it writes an impossible
 * producer index into the ring and signals: the service stops serving it, and the other
 * client (journal-a) carries on (the expect file).
 */
#define VOL_SECTORS 2048u
#define DATA_BYTES 65536u

static struct bh_ring ring;

struct bad {
	const char *what;
	uint16_t type;
	struct blk_req req;
	uint32_t status;
};

static const struct bad bads[] = {
	{"past the volume", BLK_MSG_REQ, {BLK_OP_READ, 0, VOL_SECTORS, 1, 0, 0, 512}, BLK_ERANGE},
	{"straddles the end",
         BLK_MSG_REQ,
         {BLK_OP_WRITE, 0, VOL_SECTORS - 1, 2, 0, 0, 1024},
         BLK_ERANGE},
	{"sector wraps", BLK_MSG_REQ, {BLK_OP_READ, 0, ~0ull - 1, 2, 0, 0, 1024}, BLK_ERANGE},
	{"offset past the data",
         BLK_MSG_REQ,
         {BLK_OP_READ, 0, 0, 1, 0, DATA_BYTES, 512},
         BLK_EFAULT},
	{"offset wraps", BLK_MSG_REQ, {BLK_OP_WRITE, 0, 0, 8, 0, ~0ull - 511, 4096}, BLK_EFAULT},
	{"another region", BLK_MSG_REQ, {BLK_OP_READ, 1, 0, 1, 0, 0, 512}, BLK_EFAULT},
	{"huge count",
         BLK_MSG_REQ,
         {BLK_OP_READ, 0, 0, 0x10000000u, 0, 0, 0x2000000000ull},
         BLK_EINVAL},
	{"count vs length", BLK_MSG_REQ, {BLK_OP_READ, 0, 0, 1, 0, 0, 4096}, BLK_EINVAL},
	{"unaligned offset", BLK_MSG_REQ, {BLK_OP_READ, 0, 0, 1, 0, 100, 512}, BLK_EINVAL},
	{"unknown op", BLK_MSG_REQ, {9, 0, 0, 1, 0, 0, 512}, BLK_EINVAL},
	{"not a request", 0x77, {BLK_OP_READ, 0, 0, 1, 0, 0, 512}, BLK_EINVAL},
};

/* Sends @type/@req under @tag and returns the answer's status, or 0xffffffff. */
static uint32_t call(uint16_t type, const struct blk_req *req, uint64_t tag)
{
	struct ring_msg m;
	struct blk_resp r;

	if (bh_ring_send(&ring, type, tag, req, sizeof(*req)) != RING_OK ||
	    bh_ring_recv(&ring, &m) != RING_OK || m.tag != tag || m.len != sizeof(r))
		return 0xffffffffu;
	memcpy(&r, m.data, sizeof(r));
	return r.status;
}

static bool bad_requests(void)
{
	for (uint32_t i = 0; i < sizeof(bads) / sizeof(bads[0]); i++) {
		uint32_t st = call(bads[i].type, &bads[i].req, 100 + i);
		if (st != bads[i].status) {
			printf("TEST storage.hostile_requests FAIL %s: status %u, not %u\n",
			       bads[i].what, st, bads[i].status);
			return false;
		}
	}
	printf("TEST storage.hostile_requests PASS %u bad requests answered with their status\n",
	       (unsigned)(sizeof(bads) / sizeof(bads[0])));
	return true;
}

int main(void)
{
	struct blk_req good = {BLK_OP_READ, 0, VOL_SECTORS - 8, 8, 0, DATA_BYTES - 4096, 4096};

	if (!bh_ring_open("vol-h", &ring)) {
		printf("TEST storage.hostile_requests FAIL no ring vol-h\n");
		return 1;
	}
	if (!bad_requests())
		return 1;
	uint32_t st = call(BLK_MSG_REQ, &good, 7);
	printf("TEST storage.hostile_good %s status %u\n", st == BLK_OK ? "PASS" : "FAIL", st);
	printf("TEST storage.hostile_scribble PASS now writing an impossible ring index\n");
	bh_flush();
	ring.ring.tx->prod += 100000u; /* an index no ring of this size can have */
	(void)bh_signal(ring.slot);
	return 0;
}
