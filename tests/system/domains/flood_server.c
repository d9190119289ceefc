/* ringflood test, server: recomputes and checks every message and the client's checksum. */
#include <string.h>

#include <bh.h>

#include "flood.h"
#include "verdict.h"

#define FLOOD_PROGRESS 250000u

static uint64_t sum = FLOOD_CHECKSUM_INIT;

/* Checks message @m against the expected message @seq. Returns: NULL or what is wrong. */
static const char *check_data(const struct ring_msg *m, uint32_t seq)
{
	flood_buf want;
	uint32_t len = flood_make(seq, want);

	if (m->type != FLOOD_TYPE_DATA)
		return "wrong type";
	if (m->tag != seq)
		return "wrong sequence number (lost, repeated or reordered message)";
	if (m->flags != 0)
		return "unexpected flags";
	if (m->len != len)
		return "wrong length";
	if (memcmp(m->data, want, len) != 0)
		return "wrong payload";
	sum = flood_sum(sum, seq, m->data, len);
	return NULL;
}

/* Checks the client's closing message against our own count and checksum. */
static void check_end(const struct ring_msg *m)
{
	uint64_t theirs = 0;

	if (m->type != FLOOD_TYPE_END || m->len != sizeof(theirs) || m->tag != FLOOD_COUNT) {
		verdict("ring.million", false, "bad end message: type=%u len=%u tag=%llu", m->type,
		        m->len, (unsigned long long)m->tag);
		return;
	}
	memcpy(&theirs, m->data, sizeof(theirs));
	verdict("ring.million", theirs == sum, "checksum=0x%016llx client=0x%016llx messages=%u",
	        (unsigned long long)sum, (unsigned long long)theirs, FLOOD_COUNT);
}

int main(void)
{
	struct bh_ring r;
	struct ring_msg m;
	enum ring_status st;

	if (!bh_ring_open("flood", &r)) {
		verdict("ring.million", false, "no ring \"flood\" in the manifest");
		return 1;
	}
	for (uint32_t seq = 0; seq < FLOOD_COUNT; seq++) {
		const char *bad = NULL;
		st = bh_ring_recv(&r, &m);
		if (st != RING_OK || (bad = check_data(&m, seq)) != NULL) {
			verdict("ring.million", false, "message %u: %s (status %d)", seq,
			        bad ? bad : "receive failed", (int)st);
			return 1;
		}
		if ((seq + 1) % FLOOD_PROGRESS == 0)
			say("%u messages checked\n", seq + 1);
	}
	st = bh_ring_recv(&r, &m);
	if (st != RING_OK) {
		verdict("ring.million", false, "end message: status %d", (int)st);
		return 1;
	}
	check_end(&m);
	return 0;
}
