/* ringflood test, client: streams FLOOD_COUNT generated messages over ring "flood". */
#include <bh.h>

#include "flood.h"
#include "verdict.h"

int main(void)
{
	struct bh_ring r;
	flood_buf buf;
	uint64_t sum = FLOOD_CHECKSUM_INIT;
	enum ring_status st = RING_OK;
	uint32_t seq;

	if (!bh_ring_open("flood", &r)) {
		verdict("ring.client", false, "no ring \"flood\" in the manifest");
		return 1;
	}
	say("sending %u messages\n", FLOOD_COUNT);
	for (seq = 0; seq < FLOOD_COUNT && st == RING_OK; seq++) {
		uint32_t len = flood_make(seq, buf);
		sum = flood_sum(sum, seq, buf, len);
		st = bh_ring_send(&r, FLOOD_TYPE_DATA, seq, buf, len);
	}
	if (st == RING_OK)
		st = bh_ring_send(&r, FLOOD_TYPE_END, seq, &sum, sizeof(sum));
	verdict("ring.client", st == RING_OK, "checksum=0x%016llx sent=%u status=%d",
	        (unsigned long long)sum, seq, (int)st);
	return st == RING_OK ? 0 : 1;
}
