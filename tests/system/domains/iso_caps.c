/* isolation test, caps: bad capability uses are refused with the right error, not a fault. */
#include <stdio.h>

#include <bh.h>

#include "verdict.h"

/*
 * The manifest gives this domain a read-write map "buf" (a region capability), a
 * channel "mute" whose end has rights="none", and its stdout ring. Each check makes
 * one bad hypercall and prints `TEST isolation.caps.<what> PASS|FAIL`.
 */

static bool all_ok = true;

static void expect_err(const char *what, enum bh_err got, enum bh_err want)
{
	char name[64];

	snprintf(name, sizeof(name), "isolation.caps.%s", what);
	verdict(name, got == want, "err=%d expected=%d", (int)got, (int)want);
	all_ok = all_ok && got == want;
}

/* True if some entry of the start-info page names capability @slot. */
static bool slot_listed(uint32_t slot)
{
	const struct bh_start_info *info = bh_info();

	for (uint32_t i = 0; i < info->n_entries && i < BH_INFO_MAX_ENTRIES; i++)
		if (info->entries[i].slot == slot)
			return true;
	return false;
}

/* The highest slot no resource of this domain uses, or BH_NO_SLOT. */
static uint32_t unused_slot(void)
{
	for (uint32_t s = BH_MAX_CAPS; s-- > 0;)
		if (!slot_listed(s))
			return s;
	return BH_NO_SLOT;
}

static void check_slots(void)
{
	const struct bh_info_entry *out = bh_lookup("stdout", BH_RES_RING);
	uint32_t empty = unused_slot();

	expect_err("bad_slot", bh_signal(BH_MAX_CAPS), BH_ERR_BAD_SLOT);
	expect_err("bad_slot_max", bh_signal(BH_NO_SLOT), BH_ERR_BAD_SLOT);
	if (out) {
		/* A valid slot in the low half must not make a huge index acceptable. */
		struct bh_ret r = bh_hypercall(BH_HC_SIGNAL, (1ull << 32) | out->slot, 0, 0);
		expect_err("bad_slot_high_bits", (enum bh_err)r.err, BH_ERR_BAD_SLOT);
	}
	if (empty == BH_NO_SLOT)
		verdict("isolation.caps.empty_slot", false, "every slot is in use");
	else
		expect_err("empty_slot", bh_signal(empty), BH_ERR_NO_CAP);
}

static void check_types_and_rights(void)
{
	const struct bh_info_entry *buf = bh_lookup("buf", BH_RES_MAP);
	struct bh_channel mute;

	if (!buf || buf->slot == BH_NO_SLOT)
		verdict("isolation.caps.wrong_type", false, "no map \"buf\" with a capability");
	else
		expect_err("wrong_type", bh_signal(buf->slot), BH_ERR_WRONG_TYPE);
	if (!bh_channel_open("mute", &mute)) {
		verdict("isolation.caps.no_right", false, "no channel \"mute\" in the manifest");
		return;
	}
	expect_err("no_right", bh_signal(mute.slot), BH_ERR_NO_RIGHT);
	struct bh_ret r = bh_hypercall(BH_HC_CAP_INFO, mute.slot, 0, 0);
	bool ok = r.err == BH_OK && r.val == BH_CAP_CHANNEL;
	verdict("isolation.caps.cap_info", ok, "err=%d val=0x%llx expected channel, no rights",
	        (int)r.err, (unsigned long long)r.val);
	all_ok = all_ok && ok;
}

static void check_calls(void)
{
	struct bh_ret r = bh_hypercall(BH_HC_COUNT, 0, 0, 0);
	expect_err("bad_call", (enum bh_err)r.err, BH_ERR_BAD_CALL);
	r = bh_hypercall(~0ull, 0, 0, 0);
	expect_err("bad_call_max", (enum bh_err)r.err, BH_ERR_BAD_CALL);
}

int main(void)
{
	check_slots();
	check_types_and_rights();
	check_calls();
	verdict("isolation.caps.all", all_ok, "caps checks done");
	return 0;
}
