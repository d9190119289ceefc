/* pingpong test, initiator: PP_ROUNDS round trips over channel "pp", each checked. */
#include <bh_hypercall.h>

#include "pingpong.h"

/*
 * Each round: signal the responder and wait in one hypercall. The wait must return
 * exactly our channel bit: 0 would be a spurious wake-up, any other bit a foreign one
 * (nothing else signals this domain: it prints nothing while it runs, so the console
 * never has a reason to signal its stdout ring). A lost wake-up hangs the run, which
 * the harness reports as a missing verdict. The test makes raw hypercalls: libbh's
 * bh_signal_wait() filters and retries, which would hide a spurious wake-up.
 */
int main(void)
{
	struct bh_channel ch;
	enum bh_err err = BH_OK;
	uint64_t bits = 0;
	uint32_t done = 0;

	if (!pp_open(PP_TEST ".roundtrips", &ch))
		return 1;
	say("%u round trips\n", PP_ROUNDS);
	for (; done < PP_ROUNDS; done++) {
		err = (enum bh_err)bh_hc1(BH_HC_SIGNAL_WAIT, ch.slot, &bits);
		if (err != BH_OK || bits != ch.bit)
			break;
	}
	if (done == PP_ROUNDS)
		verdict(PP_TEST ".roundtrips", true, "count=%u", done);
	else
		pp_fail(PP_TEST ".roundtrips", "round", done, err, bits, ch.bit);
	return done == PP_ROUNDS ? 0 : 1;
}
