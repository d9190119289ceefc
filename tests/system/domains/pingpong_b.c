/* pingpong test, responder: answers PP_ROUNDS signals on channel "pp", each checked. */
#include <bh_hypercall.h>

#include "pingpong.h"

/* Same checks and raw hypercalls as the initiator (pingpong_a.c): each wait returns
 * exactly our bit. */
int main(void)
{
	struct bh_channel ch;
	enum bh_err err = BH_OK;
	uint64_t bits = 0;
	uint32_t done = 0;

	if (!pp_open(PP_TEST ".responder", &ch))
		return 1;
	err = (enum bh_err)bh_hc0(BH_HC_WAIT, &bits);
	while (err == BH_OK && bits == ch.bit && ++done < PP_ROUNDS)
		err = (enum bh_err)bh_hc1(BH_HC_SIGNAL_WAIT, ch.slot, &bits);
	if (done == PP_ROUNDS) {
		err = bh_signal(ch.slot); /* the initiator's last wait */
		verdict(PP_TEST ".responder", err == BH_OK, "waits=%u err=%d", done, (int)err);
		return 0;
	}
	pp_fail(PP_TEST ".responder", "wait", done, err, bits, ch.bit);
	return 1;
}
