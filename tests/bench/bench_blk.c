/* Storage benchmark, driver alone: the workloads of storage_workload.h straight to the virtio-blk driver, counted in guest instructions. */
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bh.h>
#include <blk_hello.h>
#include <blk_proto.h>
#include <blk_stamp.h>

#include "storage_workload.h"

/*
 * Booted by `bulkhead bench` (tools/bulkhead/bench.py) in tests/bench/storage.xml with the
 * bench disk (256 MiB of the storage_workload.h pattern) at 00:04.0. Measured the way
 * tests/bench/linux/blkbench.c measures Linux: under -icount the TSC counts guest
 * instructions while the CPU runs, so this domain never sleeps. It waits for an answer in a
 * loop of POLL_INSNS instructions on the ring's response index, counting its turns, and a
 * workload's work is its TSC delta less those turns' instructions: the driver's, the
 * kernel's and this client's own work, as Linux's figure holds its kernel's and blkbench's.
 * Prints `BENCH NAME_req N`, `BENCH NAME_byte_milli N`, and `BEGIN NAME` / `END NAME
 * bytes=N` for the host's wall clock; then `DONE`.
 */
#define DATA_MAP "blk-data"
#define POLL_INSNS 4u /* the wait loop: incq, movl, cmpl, je */
#define WARMUP_REQUESTS 64u
#define MAX_DEPTH 32u

struct run {
	const struct sw_workload *w;
	uint64_t last_offset[MAX_DEPTH];
	uint64_t poll_turns; /* wait-loop turns past the first of each wait */
	uint64_t rng;
	uint32_t next;
	bool failed;
};

static struct bh_ring ring;
static volatile uint8_t *data;
static uint64_t data_size;
static struct blk_stamp_log *stamps; /* the stage log, if the manifest maps one */

/* Puts the run's next request into buffer @slot (published by the next flush). */
static void queue(struct run *r, uint32_t slot)
{
	struct blk_req req;

	memset(&req, 0, sizeof(req));
	req.op = r->w->op == SW_READ ? BLK_OP_READ : BLK_OP_WRITE;
	r->last_offset[slot] = sw_offset(r->w, &r->rng, r->next++);
	req.sector = r->last_offset[slot] / BLK_SECTOR_SIZE;
	req.count = r->w->bytes / BLK_SECTOR_SIZE;
	req.offset = (uint64_t)slot * r->w->bytes;
	req.length = r->w->bytes;
	if (bh_ring_put(&ring, BLK_MSG_REQ, slot, &req, sizeof(req)) != RING_OK && !r->failed) {
		bh_say("ERROR %s: the ring failed", r->w->name);
		r->failed = true;
	}
}

/* Waits until the ring holds an answer, in a loop of POLL_INSNS instructions on the server's
 * producer index. Returns the loop's turns past the first. */
static uint64_t wait_answer(void)
{
	uint64_t turns = 0;
	uint32_t seen = ring.ring.rx_cons;

	__asm__ volatile("1:\n\t"
	                 "incq %0\n\t"
	                 "movl (%1), %%eax\n\t"
	                 "cmpl %%eax, %2\n\t"
	                 "je 1b"
	                 : "+r"(turns)
	                 : "r"(&ring.ring.rx->prod), "r"(seen)
	                 : "eax", "cc", "memory");
	return turns - 1;
}

/* Takes every answer there is, requeuing its slot while requests below @end remain; returns
 * how many it took. */
static uint32_t reap(struct run *r, uint32_t end)
{
	struct ring_msg m;
	uint32_t reaped = 0;

	while (ring_take(&ring.ring, &m) == RING_OK) {
		struct blk_resp resp;
		memcpy(&resp, m.data, sizeof(resp));
		if ((m.len != sizeof(resp) || resp.status != BLK_OK || m.tag >= MAX_DEPTH) &&
		    !r->failed) {
			bh_say("ERROR %s: request answered with status %u", r->w->name,
			       resp.status);
			r->failed = true;
		}
		reaped++;
		if (r->next < end && m.tag < MAX_DEPTH)
			queue(r, (uint32_t)m.tag);
	}
	bh_ring_release(&ring);
	return reaped;
}

/* Runs requests until @r->next reaches @end with up to the workload's depth in flight. */
static void run_requests(struct run *r, uint32_t end)
{
	uint32_t in_flight = 0;

	for (uint32_t slot = 0; slot < r->w->depth && r->next < end; slot++, in_flight++)
		queue(r, slot);
	while (in_flight > 0 && !r->failed) {
		uint32_t before = r->next;
		bh_ring_flush(&ring);
		r->poll_turns += wait_answer();
		in_flight -= reap(r, end);
		in_flight += r->next - before;
	}
}

/* Returns true if @buf holds the disk's data at byte @offset (@bytes long). */
static bool holds_disk_data(const volatile uint8_t *buf, uint64_t offset, uint32_t bytes)
{
	for (uint32_t i = 0; i < bytes; i++) {
		uint64_t at = offset + i, tag = sw_tag(at / SW_BLOCK_BYTES);
		uint32_t k = (uint32_t)(at % SW_BLOCK_BYTES);
		uint8_t want = k < 8 ? (uint8_t)(tag >> (8 * k)) : (uint8_t)(k & 0xffu);
		if (buf[i] != want)
			return false;
	}
	return true;
}

/* Checks that every read buffer holds the disk's data for its last request. */
static void verify(struct run *r)
{
	for (uint32_t slot = 0; slot < r->w->depth && !r->failed; slot++) {
		if (r->w->op == SW_READ && !holds_disk_data(data + (uint64_t)slot * r->w->bytes,
		                                            r->last_offset[slot], r->w->bytes)) {
			bh_say("ERROR %s: the data read at offset %llu is not the disk's",
			       r->w->name, (unsigned long long)r->last_offset[slot]);
			r->failed = true;
		}
	}
}

static void report(const struct run *r, uint64_t tsc)
{
	uint64_t bytes = (uint64_t)r->w->count * r->w->bytes;
	uint64_t polling = POLL_INSNS * r->poll_turns, insns = tsc - polling;

	if (r->w->count == 0 || bytes == 0)
		return;
	bh_say("INFO %s requests=%u bytes=%llu tsc=%llu polling=%llu work=%llu", r->w->name,
	       r->w->count, (unsigned long long)bytes, (unsigned long long)tsc,
	       (unsigned long long)polling, (unsigned long long)insns);
	bh_say("BENCH %s_req %llu", r->w->name, (unsigned long long)(insns / r->w->count));
	bh_say("BENCH %s_byte_milli %llu", r->w->name, (unsigned long long)(insns * 1000 / bytes));
}

/* Warms up, then runs and times one workload; prints its figures unless it failed. */
static void run_workload(const struct sw_workload *w)
{
	struct run r = {.w = w, .rng = SW_SEED};
	uint32_t warmup = w->count < WARMUP_REQUESTS ? w->count : WARMUP_REQUESTS;

	run_requests(&r, warmup);
	r.rng = SW_SEED;
	r.next = 0;
	r.poll_turns = 0;
	bh_say("BEGIN %s", w->name);
	uint64_t a = bh_rdtsc();
	run_requests(&r, w->count);
	uint64_t b = bh_rdtsc();
	bh_say("END %s bytes=%llu", w->name, (unsigned long long)w->count * w->bytes);
	verify(&r);
	if (!r.failed)
		report(&r, b - a);
}

/* ---- the stage pass: where a depth-1 round trip goes (blk_stamp.h) ---- */

#define STAGE_MAX 4096u /* requests of the stage pass at most */
#define CALIBRATION 32u /* stamps timed to find one stamp's cost */

static const char *const point_names[BLK_STAMP_POINTS] = {
	"?",         "cli_submit", "cli_wait", "cli_done",   "svc_wake",  "svc_worked",
	"svc_sleep", "drv_wake",   "drv_irq",  "drv_worked", "drv_sleep",
};

/* What the stage pass found: spans between consecutive stamps, per-request figures. */
struct stages {
	uint64_t span[BLK_STAMP_POINTS][BLK_STAMP_POINTS];     /* cycles, summed over requests */
	uint64_t span_irq[BLK_STAMP_POINTS][BLK_STAMP_POINTS]; /* the same, interrupt path only */
	uint32_t count[BLK_STAMP_POINTS][BLK_STAMP_POINTS];
	uint32_t rtt[STAGE_MAX];  /* per request: submit to answer seen */
	uint32_t path[STAGE_MAX]; /* per request: the same less the wait loop's turns */
	uint32_t irq[STAGE_MAX]; /* the paths of requests whose answer the device interrupted for */
	uint32_t early[STAGE_MAX]; /* the paths of those the driver found before it slept */
	uint32_t n, n_irq, n_early, broken;
	uint32_t polled;     /* requests the client waited for (the answer came after it began) */
	uint64_t stamps;     /* stamps taken, all requests */
	uint64_t stamp_cost; /* cycles of one stamp */
};

static struct stages stages;

/* Returns true if the first @n stamps of the log hold the driver's wake-up by the device. */
static bool woken_by_device(uint32_t n)
{
	for (uint32_t i = 0; i < n; i++)
		if (stamps->e[i].point == BLK_STAMP_DRV_IRQ)
			return true;
	return false;
}

/* Adds the spans of the log of one request whose wait took @turns turns past the first;
 * the turns fall into the span that starts when the client begins to wait. */
static void account(uint64_t turns)
{
	uint32_t n = stamps->n < BLK_STAMP_MAX ? stamps->n : BLK_STAMP_MAX;
	uint64_t polling = POLL_INSNS * turns;

	if (n < 2 || stamps->e[0].point != BLK_STAMP_CLI_SUBMIT ||
	    stamps->e[n - 1].point != BLK_STAMP_CLI_DONE || stages.n == STAGE_MAX) {
		stages.broken++;
		return;
	}
	bool irq = woken_by_device(n);
	for (uint32_t i = 1; i < n; i++) {
		uint32_t a = stamps->e[i - 1].point, b = stamps->e[i].point;
		uint64_t d = stamps->e[i].tsc - stamps->e[i - 1].tsc;
		if (a == BLK_STAMP_CLI_WAIT)
			d -= polling < d ? polling : d;
		if (a < BLK_STAMP_POINTS && b < BLK_STAMP_POINTS) {
			stages.span[a][b] += d;
			stages.span_irq[a][b] += irq ? d : 0;
			stages.count[a][b]++;
		}
	}
	uint64_t rtt = stamps->e[n - 1].tsc - stamps->e[0].tsc;
	uint64_t own = polling + n * stages.stamp_cost; /* the wait loop's and the stamps' */
	uint32_t path = (uint32_t)(rtt - (own < rtt ? own : rtt));
	stages.rtt[stages.n] = (uint32_t)rtt;
	stages.path[stages.n++] = path;
	if (irq)
		stages.irq[stages.n_irq++] = path;
	else
		stages.early[stages.n_early++] = path;
	stages.polled += turns > 0;
	stages.stamps += n;
}

/* Runs request @r->next alone with the log on, and accounts for it. */
static void stage_request(struct run *r)
{
	stamps->n = 0;
	queue(r, 0);
	blk_stamp(stamps, BLK_STAMP_CLI_SUBMIT);
	bh_ring_flush(&ring);
	blk_stamp(stamps, BLK_STAMP_CLI_WAIT);
	uint64_t turns = wait_answer();
	blk_stamp(stamps, BLK_STAMP_CLI_DONE);
	(void)reap(r, r->next); /* requeues nothing */
	account(turns);
}

/* Returns the cycles one stamp costs (the client's; the others' are the same code). */
static uint64_t stamp_cost(void)
{
	stamps->n = 0;
	uint64_t a = bh_rdtsc();
	for (uint32_t i = 0; i < CALIBRATION; i++)
		blk_stamp(stamps, BLK_STAMP_CLI_DONE);
	uint64_t b = bh_rdtsc();
	stamps->n = 0;
	return (b - a) / CALIBRATION;
}

static int by_value(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return (x > y) - (x < y);
}

/* Returns the median of @v[0 .. @n), sorting it; @n > 0. */
static uint32_t median(uint32_t *v, uint32_t n)
{
	qsort(v, n, sizeof(*v), by_value);
	return v[n / 2];
}

/* Prints each span's cycles per request (they add up to the mean round trip) and per
 * request on the interrupt path (they add up to its mean). */
static void report_spans(const char *name)
{
	uint32_t n_irq = stages.n_irq > 0 ? stages.n_irq : 1;

	for (uint32_t a = 0; a < BLK_STAMP_POINTS; a++)
		for (uint32_t b = 0; b < BLK_STAMP_POINTS; b++)
			if (stages.count[a][b] > 0)
				bh_say("INFO span %s %s>%s cycles=%llu times=%u irq_cycles=%llu",
				       name, point_names[a], point_names[b],
				       (unsigned long long)(stages.span[a][b] / stages.n),
				       stages.count[a][b],
				       (unsigned long long)(stages.span_irq[a][b] / n_irq));
}

/* Prints `BENCH NAME_SUFFIX N`: the median of @v[0 .. @n); nothing if @n is 0. */
static void report_median(const char *name, const char *suffix, uint32_t *v, uint32_t n)
{
	if (n > 0)
		bh_say("BENCH %s_%s %u", name, suffix, median(v, n));
}

/*
 * Prints the stage pass: INFO lines, and the median software path (the round trip less the
 * wait loop's turns, less the stamps' own cost) of all requests (NAME_path), of those whose
 * log holds the driver's wake-up by the device (NAME_path_irq: the driver slept and the
 * device interrupted) and of the others (NAME_path_early: the driver found the answer
 * before it slept).
 */
static void report_stages(const char *name)
{
	uint64_t per_request = stages.stamps / stages.n, cost = stages.stamp_cost;
	uint32_t rtt = median(stages.rtt, stages.n), path = median(stages.path, stages.n);

	bh_say("INFO stages %s requests=%u irq=%u early=%u polled=%u broken=%u stamps=%llu stamp_cost=%llu "
	       "rtt_median=%u path_median=%u path_min=%u path_max=%u",
	       name, stages.n, stages.n_irq, stages.n_early, stages.polled, stages.broken,
	       (unsigned long long)per_request, (unsigned long long)cost, rtt, path, stages.path[0],
	       stages.path[stages.n - 1]);
	report_spans(name);
	report_median(name, "path", stages.path, stages.n);
	report_median(name, "path_irq", stages.irq, stages.n_irq);
	report_median(name, "path_early", stages.early, stages.n_early);
	if (stages.n_irq > 0)
		bh_say("INFO stages %s irq_min=%u irq_quartile=%u irq_3quartile=%u irq_max=%u",
		       name, stages.irq[0], stages.irq[stages.n_irq / 4],
		       stages.irq[stages.n_irq * 3 / 4], stages.irq[stages.n_irq - 1]);
}

/* With a stage log mapped: runs depth-1 workload @w once more, one request at a time with the
 * log on, and reports where its round trips go. */
static void run_stages(const struct sw_workload *w)
{
	struct run r = {.w = w, .rng = SW_SEED};

	if (!stamps || w->depth != 1)
		return;
	memset(&stages, 0, sizeof(stages));
	stages.stamp_cost = stamp_cost();
	stamps->on = 1;
	while (r.next < w->count && r.next < STAGE_MAX && !r.failed)
		stage_request(&r);
	stamps->on = 0;
	if (!r.failed && stages.n > 0)
		report_stages(w->name);
}

/* Fills the data region with the disk's pattern for block 0 onwards (what writes write). */
static void fill_pattern(void)
{
	for (uint64_t i = 0; i < data_size; i++)
		data[i] = (uint8_t)(i % SW_BLOCK_BYTES);
	for (uint64_t b = 0; b < data_size / SW_BLOCK_BYTES; b++)
		for (uint32_t k = 0; k < 8; k++)
			data[b * SW_BLOCK_BYTES + k] = (uint8_t)(sw_tag(b) >> (8 * k));
}

/* Waits for an answer on ring "blk", or for a driver instance other than @known to announce
 * itself (*@inc, RING_EMPTY returned). Returns: ring_take's status. */
static enum ring_status answer_or_hello(struct ring_msg *m, uint64_t known, uint64_t *inc)
{
	enum ring_status st;

	while ((st = ring_take(&ring.ring, m)) == RING_EMPTY) {
		if ((*inc = blk_hello_new(&ring.ring, known)) != 0)
			return RING_EMPTY;
		if (!ring_rx_arm(&ring.ring))
			(void)bh_wait_for(ring.bit);
	}
	return st;
}

/*
 * Asks INFO over ring "blk". Its server is the driver (storage.xml), whose instance announces
 * itself and waits for this client to reset the ring (blk_hello.h): then the ring is reset and
 * answered and INFO asked again; or the storage service (storage_svc.xml), which answers.
 * Returns: true with *@info filled, or false.
 */
static bool ask_info(struct blk_resp *info)
{
	const struct bh_info_entry *e = bh_lookup("blk", BH_RES_RING);
	struct blk_req req = {.op = BLK_OP_INFO};
	struct ring_msg m;
	uint64_t known = 0, inc = 0;
	enum ring_status st = RING_EMPTY;

	while (st == RING_EMPTY) {
		if (inc) {
			(void)blk_hello_accept(&ring.ring, (void *)(uintptr_t)e->vaddr, e->size,
			                       inc);
			known = inc;
		}
		if (ring_send(&ring.ring, BLK_MSG_REQ, 0, 0, &req, sizeof(req), NULL) != RING_OK)
			return false;
		(void)bh_signal(ring.slot);
		st = answer_or_hello(&m, known, &inc);
	}
	if (st != RING_OK)
		return false;
	memcpy(info, m.data, sizeof(*info));
	bh_ring_release(&ring);
	return true;
}

/* Finds the ring and the data region; asks the server for the geometry. */
static bool setup(void)
{
	const struct bh_info_entry *map = bh_lookup(DATA_MAP, BH_RES_MAP);
	struct blk_resp info = {0};

	if (!bh_ring_open("blk", &ring) || !map || map->size < (uint64_t)MAX_DEPTH * 65536u) {
		bh_say("ERROR no ring \"blk\", or map \"" DATA_MAP "\" smaller than 2 MiB");
		return false;
	}
	data = (volatile uint8_t *)(uintptr_t)map->vaddr;
	data_size = map->size;
	if (!ask_info(&info) || info.status != BLK_OK ||
	    info.capacity * BLK_SECTOR_SIZE < SW_DISK_BYTES) {
		bh_say("ERROR the disk holds %llu sectors, not %llu",
		       (unsigned long long)info.capacity, SW_DISK_BYTES / BLK_SECTOR_SIZE);
		return false;
	}
	stamps = blk_stamp_open();
	fill_pattern();
	return true;
}

int main(void)
{
	if (setup()) {
		for (size_t i = 0; i < SW_WORKLOAD_COUNT; i++)
			run_workload(&sw_workloads[i]);
		run_stages(&sw_workloads[0]); /* 4 KiB random reads, depth 1 */
	}
	bh_say("DONE");
	return 0;
}
