/* The control domain's backend: managed domains through hypercalls, the save volume, the tail page. */
#include <stdio.h>
#include <string.h>

#include <bh.h>
#include <libblk.h>

#include "ctl_backend.h"
#include "ctl_save.h"
#include "ctl_tail.h"

#define SAVE_CHUNK 65536u /* bytes per volume request and per memory copy */

struct target {
	char name[BH_INFO_NAME_LEN + 1];
	uint32_t slot;
	uint32_t rights;
	uint32_t save_slot; /* its slot of the save volume (targets with read-memory only) */
	enum ctl_op underway;
};

static struct target targets[CTL_DOMAINS_MAX];
static uint32_t n_targets, n_savable;
static struct blk_vol vol;
static uint8_t *vol_data; /* the volume's data region: every transfer goes through it */
static bool have_vol;
static uint64_t slot_bytes;
static const volatile void *tail;
static uint64_t tail_size;
static uint8_t check_buf[SAVE_CHUNK];

/* ---- the ctl_backend functions ---- */

static const char *system_name(void *ctx)
{
	static char name[BH_INFO_NAME_LEN + 1];

	(void)ctx;
	memcpy(name, bh_info()->system_name, BH_INFO_NAME_LEN);
	return name;
}

static uint32_t count(void *ctx)
{
	(void)ctx;
	return n_targets;
}

static const char *name_of(void *ctx, uint32_t i)
{
	(void)ctx;
	return targets[i].name;
}

static uint32_t rights_of(void *ctx, uint32_t i)
{
	(void)ctx;
	return targets[i].rights;
}

static enum bh_err stats_of(void *ctx, uint32_t i, struct bh_domain_stats *out)
{
	(void)ctx;
	return bh_domain_stats(targets[i].slot, out);
}

static bool self_cycles(void *ctx, uint64_t *cycles)
{
	struct bh_domain_stats s;

	(void)ctx;
	if (bh_domain_stats(BH_NO_SLOT, &s) != BH_OK)
		return false;
	*cycles = s.cycles;
	return true;
}

static enum ctl_op underway(void *ctx, uint32_t i)
{
	(void)ctx;
	return targets[i].underway;
}

struct line_pass {
	ctl_line_fn fn;
	void *arg;
};

static void pass_line(void *ctx, const char *text, size_t len)
{
	struct line_pass *p = ctx;

	p->fn(p->arg, text, len);
}

static enum bh_err console_of(void *ctx, uint32_t i, uint32_t nlines, ctl_line_fn fn, void *arg)
{
	struct line_pass p = {fn, arg};

	(void)ctx;
	if (!tail)
		return BH_ERR_UNAVAILABLE;
	(void)ctl_tail_read(tail, tail_size, targets[i].name, nlines, pass_line, &p);
	return BH_OK;
}

/* ---- save and restore: struct save_ops over the volume and one target ---- */

static enum bh_err t_stop(void *c)
{
	return bh_domain_stop(((struct target *)c)->slot);
}

static enum bh_err t_restart_held(void *c, uint32_t image)
{
	return bh_domain_restart(((struct target *)c)->slot, image | BH_RESTART_HELD);
}

static enum bh_err t_resume(void *c)
{
	return bh_domain_resume(((struct target *)c)->slot);
}

static enum bh_err t_state(void *c, uint64_t *word)
{
	return bh_domain_state(((struct target *)c)->slot, word);
}

static enum bh_err t_layout(void *c, struct bh_mem_span *spans, uint32_t max, uint32_t *n)
{
	return bh_domain_layout(((struct target *)c)->slot, spans, max, n);
}

static enum bh_err t_read(void *c, uint64_t vaddr, uint64_t len)
{
	return bh_domain_mem_read(((struct target *)c)->slot, vaddr, vol_data, len);
}

static enum bh_err t_write(void *c, uint64_t vaddr, uint64_t len)
{
	return bh_domain_mem_write(((struct target *)c)->slot, vaddr, vol_data, len);
}

static enum bh_err t_vget(void *c, struct bh_vcpu_state *v)
{
	return bh_domain_vcpu_get(((struct target *)c)->slot, v);
}

static enum bh_err t_vset(void *c, const struct bh_vcpu_state *v)
{
	return bh_domain_vcpu_set(((struct target *)c)->slot, v);
}

/* The first sector of target @c's slot, plus @offset bytes. */
static uint64_t sector_of(const struct target *c, uint64_t offset)
{
	return ((uint64_t)c->save_slot * slot_bytes + offset) / vol.block_size;
}

static int d_read(void *c, uint64_t offset, size_t len)
{
	return (int)blk_read(&vol, sector_of(c, offset), (uint32_t)(len / vol.block_size), 0);
}

static int d_write(void *c, uint64_t offset, size_t len)
{
	return (int)blk_write(&vol, sector_of(c, offset), (uint32_t)(len / vol.block_size), 0);
}

static int d_flush(void *c)
{
	(void)c;
	return vol.has_flush ? (int)blk_flush(&vol) : 0;
}

static void save_ops_for(struct target *t, struct save_ops *ops)
{
	*ops = (struct save_ops){
		t,        vol_data, check_buf, SAVE_CHUNK, slot_bytes, t_stop, t_restart_held,
		t_resume, t_state,  t_layout,  t_read,     t_write,    t_vget, t_vset,
		d_read,   d_write,  d_flush,
	};
}

static void say_done(const char *what, const struct target *t, const struct save_report *rep,
                     uint64_t cycles)
{
	char hex[65];

	for (size_t k = 0; k < 32; k++)
		snprintf(hex + 2 * k, 3, "%02x", rep->sha256[k]);
	bh_say("control: %s %s: %llu bytes in %u spans, sha256 %s, %llu cycles (%llu ms)", what,
	       t->name, (unsigned long long)rep->bytes, rep->spans, hex, (unsigned long long)cycles,
	       (unsigned long long)(cycles / bh_cycles_per_us() / 1000u));
}

/* Runs a save or restore of @t; maps its outcome onto the backend's bh_err contract. */
static enum bh_err save_or_restore(struct target *t, enum ctl_op op)
{
	struct save_ops ops;
	struct save_report rep;
	enum save_result r;

	if (!have_vol || !(t->rights & BH_RIGHT_READ_MEMORY))
		return BH_ERR_UNAVAILABLE;
	save_ops_for(t, &ops);
	t->underway = op;
	uint64_t started = bh_rdtsc();
	if (op == CTL_OP_SAVE)
		r = ctl_save_domain(&ops, t->name, bh_wall_time(), &rep);
	else
		r = ctl_restore_domain(&ops, t->name, &rep);
	t->underway = CTL_OP_NONE;
	if (r == SAVE_OK) {
		say_done(op == CTL_OP_SAVE ? "saved" : "restored", t, &rep, bh_rdtsc() - started);
		return BH_OK;
	}
	bh_say("control: %s of %s failed: %s%s", op == CTL_OP_SAVE ? "save" : "restore", t->name,
	       ctl_save_error(r), r == SAVE_E_KERNEL ? " (see the error code)" : "");
	if (r == SAVE_E_KERNEL)
		return rep.err;
	return r == SAVE_E_NO_SAVE || r == SAVE_E_OTHER ? BH_ERR_INVALID : BH_ERR_UNAVAILABLE;
}

static enum bh_err op_on(void *ctx, uint32_t i, enum ctl_op op, uint32_t arg)
{
	struct target *t = &targets[i];

	(void)ctx;
	switch (op) {
	case CTL_OP_PAUSE:
		return bh_domain_stop(t->slot);
	case CTL_OP_RESUME:
		return bh_domain_resume(t->slot);
	case CTL_OP_RESTART:
		return bh_domain_restart(t->slot, 0);
	case CTL_OP_REPLACE:
		return bh_domain_restart(t->slot, arg);
	case CTL_OP_DESTROY:
		return bh_domain_destroy(t->slot);
	case CTL_OP_SAVE:
	case CTL_OP_RESTORE:
		return save_or_restore(t, op);
	default:
		return BH_ERR_INVALID;
	}
}

static const struct ctl_backend backend = {
	.ctx = NULL,
	.system_name = system_name,
	.count = count,
	.name = name_of,
	.rights = rights_of,
	.stats = stats_of,
	.op = op_on,
	.console = console_of,
	.underway = underway,
	.fault_rip = NULL,
	.self_cycles = self_cycles,
};

/* ---- start ---- */

static void find_targets(void)
{
	const struct bh_start_info *info = bh_info();

	for (uint32_t i = 0; i < info->n_entries && i < BH_INFO_MAX_ENTRIES; i++) {
		const struct bh_info_entry *e = &info->entries[i];
		if (e->kind != BH_RES_DOMAIN)
			continue;
		if (n_targets == CTL_DOMAINS_MAX) {
			bh_say("control: more than %u domains to manage; the rest are left out",
			       CTL_DOMAINS_MAX);
			return;
		}
		struct target *t = &targets[n_targets++];
		memcpy(t->name, e->name, BH_INFO_NAME_LEN);
		t->name[BH_INFO_NAME_LEN] = '\0';
		t->slot = e->slot;
		t->rights = e->flags;
		t->save_slot = n_savable;
		n_savable += (t->rights & BH_RIGHT_READ_MEMORY) != 0;
		t->underway = CTL_OP_NONE;
	}
}

static void open_volume(void)
{
	uint32_t st;
	void *data = NULL;

	if (!bh_lookup("saves", BH_RES_RING)) {
		bh_say("control: no volume \"saves\": save and restore are off");
		return;
	}
	st = blk_open("saves", &vol, &data);
	if (st != BLK_OK || !data || vol.data_size < SAVE_CHUNK || vol.block_size == 0 ||
	    SAVE_CHUNK % vol.block_size != 0 || vol.ro) {
		bh_say("control: volume \"saves\" unusable (status %u, data region %llu bytes, "
		       "needs %u writable): save and restore are off",
		       st, (unsigned long long)vol.data_size, SAVE_CHUNK);
		return;
	}
	vol_data = data;
	slot_bytes = n_savable ? vol.sectors * vol.block_size / n_savable / 4096u * 4096u : 0;
	have_vol = slot_bytes > SAVE_HEADER_BYTES;
	bh_say("control: save volume \"saves\": %llu MiB, %llu MiB a domain",
	       (unsigned long long)(vol.sectors * vol.block_size >> 20),
	       (unsigned long long)(slot_bytes >> 20));
}

static void open_tail(void)
{
	const struct bh_info_entry *e = bh_lookup("console-tail", BH_RES_MAP);

	if (!e) {
		bh_say("control: no map \"console-tail\": no console lines");
		return;
	}
	tail = (const volatile void *)(uintptr_t)e->vaddr;
	tail_size = e->size;
}

const struct ctl_backend *ctl_backend_open(void)
{
	find_targets();
	open_volume();
	open_tail();
	return &backend;
}
