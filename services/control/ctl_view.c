/* Control domain: what the API shows of a domain: state and reason words, the JSON record D. */
#include <string.h>

#include <bulkhead/abi/hypercall.h>

#include "ctl_json.h"
#include "ctl_role.h"
#include "ctl_view.h"

static const char *const state_names[CTL_STATE_COUNT] = {
	"running", "waiting", "paused", "stopped", "faulted", "restarting",
};

/* CPU exception names by vector, for a fault's reason. */
static const char *const vector_names[] = {
	[0] = "divide error",
	[1] = "debug exception",
	[3] = "breakpoint",
	[4] = "overflow",
	[5] = "bound range exceeded",
	[6] = "invalid opcode",
	[7] = "device not available",
	[8] = "double fault",
	[10] = "invalid TSS",
	[11] = "segment not present",
	[12] = "stack fault",
	[13] = "general protection fault",
	[14] = "page fault",
	[16] = "x87 floating-point error",
	[17] = "alignment check",
	[18] = "machine check",
	[19] = "SIMD floating-point error",
	[21] = "control protection fault",
};

/* The bh_err names, for reasons and 500 answers. */
static const char *const err_names[BH_ERR_COUNT] = {
	"BH_OK",          "BH_ERR_BAD_CALL",    "BH_ERR_BAD_SLOT",
	"BH_ERR_NO_CAP",  "BH_ERR_WRONG_TYPE",  "BH_ERR_NO_RIGHT",
	"BH_ERR_INVALID", "BH_ERR_WOULD_BLOCK", "BH_ERR_DENIED",
	"BH_ERR_STATE",   "BH_ERR_UNAVAILABLE",
};

const char *ctl_view_state_name(enum ctl_state s)
{
	return state_names[s];
}

enum ctl_state ctl_view_state(const struct bh_domain_stats *st, enum ctl_op underway)
{
	if (underway == CTL_OP_RESTORE)
		return CTL_STATE_RESTARTING;
	switch (BH_DSTATE_STATE(st->state)) {
	case BH_DSTATE_RUNNING:
		return st->waiting ? CTL_STATE_WAITING : CTL_STATE_RUNNING;
	case BH_DSTATE_STOPPED:
		return CTL_STATE_PAUSED;
	case BH_DSTATE_FAULTED:
		return CTL_STATE_FAULTED;
	default: /* exited, refused, destroyed, or a word this code does not know */
		return CTL_STATE_STOPPED;
	}
}

void ctl_view_err(struct ctl_buf *b, enum bh_err e)
{
	if ((unsigned)e < BH_ERR_COUNT) {
		ctl_buf_puts(b, err_names[e]);
		return;
	}
	ctl_buf_puts(b, "error ");
	ctl_buf_u64(b, (uint64_t)e);
}

/* Why a faulted domain stopped: "page fault at rip 0x401234" (the rip if the backend knows). */
static void fault_reason(struct ctl_buf *b, const struct ctl_backend *be, const struct ctl_view *v)
{
	uint64_t vec = v->stats.last_code, rip;

	if (vec < sizeof(vector_names) / sizeof(vector_names[0]) && vector_names[vec]) {
		ctl_buf_puts(b, vector_names[vec]);
	} else {
		ctl_buf_puts(b, "fault (vector ");
		ctl_buf_u64(b, vec);
		ctl_buf_puts(b, ")");
	}
	if (be->fault_rip && be->fault_rip(be->ctx, v->index, &rip)) {
		ctl_buf_puts(b, " at rip ");
		ctl_buf_hex(b, rip);
	}
}

/* Writes @v's reason into @b ("" while it runs). */
static void reason(struct ctl_buf *b, const struct ctl_backend *be, const struct ctl_view *v)
{
	if (v->state == CTL_STATE_RESTARTING) {
		ctl_buf_puts(b, "restore under way");
		return;
	}
	switch (BH_DSTATE_STATE(v->stats.state)) {
	case BH_DSTATE_RUNNING:
		return;
	case BH_DSTATE_STOPPED:
		ctl_buf_puts(b, "paused by a controller");
		return;
	case BH_DSTATE_FAULTED:
		fault_reason(b, be, v);
		return;
	case BH_DSTATE_EXITED:
		ctl_buf_puts(b, "exited (code ");
		ctl_buf_i64(b, (int64_t)v->stats.last_code);
		ctl_buf_puts(b, ")");
		return;
	case BH_DSTATE_REFUSED:
		ctl_buf_puts(b, "never started (device absent)");
		return;
	case BH_DSTATE_DESTROYED:
		ctl_buf_puts(b, "destroyed");
		return;
	default:
		ctl_buf_puts(b, "unknown state ");
		ctl_buf_u64(b, BH_DSTATE_STATE(v->stats.state));
	}
}

void ctl_view_get(const struct ctl_backend *be, uint32_t i, struct ctl_view *v)
{
	struct ctl_buf b;

	memset(v, 0, sizeof(*v));
	v->index = i;
	v->name = be->name(be->ctx, i);
	v->rights = be->rights(be->ctx, i);
	v->err = be->stats(be->ctx, i, &v->stats);
	ctl_buf_init(&b, v->reason, sizeof(v->reason));
	if (v->err != BH_OK) {
		memset(&v->stats, 0, sizeof(v->stats));
		v->state = CTL_STATE_STOPPED;
		ctl_buf_puts(&b, "no statistics: ");
		ctl_view_err(&b, v->err);
		return;
	}
	v->state = ctl_view_state(&v->stats, be->underway ? be->underway(be->ctx, i) : CTL_OP_NONE);
	reason(&b, be, v);
}

/* "rights":["stop",...] of the control rights in @rights. */
static void put_rights(struct ctl_buf *b, uint32_t rights)
{
	bool first = true;

	ctl_json_key(b, "rights");
	ctl_buf_puts(b, "[");
	for (uint32_t bit = 1; bit != 0; bit <<= 1) {
		const char *name = ctl_role_right_name(bit);
		if (!(rights & bit) || !name)
			continue;
		ctl_buf_puts(b, first ? "" : ",");
		ctl_json_cstring(b, name);
		first = false;
	}
	ctl_buf_puts(b, "]");
}

/* ,"KEY":N */
static void put_num(struct ctl_buf *b, const char *key, uint64_t n)
{
	ctl_buf_puts(b, ",");
	ctl_json_key(b, key);
	ctl_buf_u64(b, n);
}

/* ,"stats":{...} */
static void put_stats(struct ctl_buf *b, const struct bh_domain_stats *st)
{
	ctl_buf_puts(b, ",\"stats\":{\"cycles\":");
	ctl_buf_u64(b, st->cycles);
	put_num(b, "overruns", st->overruns);
	put_num(b, "faults", st->faults);
	put_num(b, "restarts", st->restarts);
	put_num(b, "signals_sent", st->signals_sent);
	put_num(b, "signals_received", st->signals_recv);
	put_num(b, "ring_sent", st->ring_sent);
	put_num(b, "ring_received", st->ring_recv);
	ctl_buf_puts(b, "}");
}

void ctl_view_json(struct ctl_buf *b, const struct ctl_view *v, bool with_stats)
{
	ctl_buf_puts(b, "{\"name\":");
	ctl_json_cstring(b, v->name);
	ctl_buf_puts(b, ",\"state\":");
	ctl_json_cstring(b, ctl_view_state_name(v->state));
	ctl_buf_puts(b, ",\"reason\":");
	ctl_json_cstring(b, v->reason);
	put_num(b, "generation", BH_DSTATE_GENERATION(v->stats.state));
	put_num(b, "image", BH_DSTATE_IMAGE(v->stats.state));
	put_num(b, "restarts", v->stats.restarts);
	ctl_buf_puts(b, ",");
	put_rights(b, v->rights);
	if (with_stats)
		put_stats(b, &v->stats);
	ctl_buf_puts(b, "}");
}
