/* The Linux side of the storage benchmark: O_DIRECT reads and writes on /dev/vda, counted in guest instructions. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <linux/io_uring.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/reboot.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "linux_probe.h"
#include "storage_workload.h"

/*
 * Run as the initramfs's program by its /init (tools/bulkhead/linuxbench.py).
 * Under QEMU's `-icount shift=0,sleep=off` the TSC advances by one per guest
 * instruction while the CPU runs, but a halted CPU jumps it to the next timer
 * deadline, and whether a request completes before its submitter sleeps
 * depends on the host. So the CPU never halts and the program never sleeps:
 * every depth goes through io_uring, and the program waits for a completion
 * in a loop of POLL_INSNS instructions on the completion ring, counting its
 * turns. A workload's work is its TSC delta less those turns' instructions
 * (docs/testing.md, "Linux storage figures"). Prints `linux: BENCH NAME_req N`
 * (instructions per request) and `linux: BENCH NAME_byte_milli N` (per byte,
 * x1000); the host times the lines `linux: BEGIN NAME` and `linux: END NAME
 * bytes=N` for MB/s of wall time.
 */

#define DISK_PATH "/dev/vda"
#define POLL_INSNS 4U       /* the wait loop: incq, movl, cmpl, je */
#define WARMUP_REQUESTS 64U /* untimed requests before each workload */
#define CALIB_LOOPS 1000000U
#define MAX_DEPTH 32U

struct sample {
	uint64_t tsc, idle_ns, disk_irqs, timer_irqs;
	long blocked;
};

/* An io_uring set up by raw system calls: its rings and where their fields are. */
struct uring {
	int fd;
	uint32_t *sq_head, *sq_tail, *sq_mask, *sq_array;
	uint32_t *cq_head, *cq_tail, *cq_mask;
	struct io_uring_sqe *sqes;
	struct io_uring_cqe *cqes;
	uint32_t to_submit;
};

/* One workload run: the disk, its buffers (one per slot), what went wrong. */
struct run {
	const struct sw_workload *w;
	int fd;
	unsigned char *buf[MAX_DEPTH];
	uint64_t last_offset[MAX_DEPTH];
	uint64_t poll_turns; /* wait-loop turns past the first of each wait */
	uint64_t submits;    /* io_uring_enter calls */
	uint64_t rng;
	uint32_t next;
	int failed;
};

/* Prints one console line at once. */
static void say(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fputs("linux: ", stdout);
	vprintf(fmt, ap);
	fputc('\n', stdout);
	fflush(stdout);
	va_end(ap);
}

/* Samples the counters at the start of a measurement: the slow reads first, the TSC last. */
static void sample_begin(struct sample *s)
{
	s->idle_ns = linux_probe_idle_ns();
	s->disk_irqs = linux_probe_irqs("virtio");
	s->timer_irqs = linux_probe_irqs("LOC:");
	s->blocked = linux_probe_switches();
	s->tsc = linux_probe_tsc();
}

/* Samples the counters at the end of a measurement: the TSC first. */
static void sample_end(struct sample *s)
{
	s->tsc = linux_probe_tsc();
	s->blocked = linux_probe_switches();
	s->timer_irqs = linux_probe_irqs("LOC:");
	s->disk_irqs = linux_probe_irqs("virtio");
	s->idle_ns = linux_probe_idle_ns();
}

/*
 * Shows what the TSC counts: a loop of 2 * CALIB_LOOPS instructions, then a
 * 10 ms sleep, during which the CPU halts and the TSC jumps (idle_ns).
 */
static void calibrate(void)
{
	struct sample a, b;
	struct timespec ms10 = {.tv_sec = 0, .tv_nsec = 10000000L};
	uint64_t loops = CALIB_LOOPS;

	sample_begin(&a);
	__asm__ volatile("1: dec %0\n\tjnz 1b" : "+r"(loops) : : "cc");
	sample_end(&b);
	say("INFO calibrate loop instructions=%u tsc=%llu idle_ns=%llu", 2 * CALIB_LOOPS,
	    (unsigned long long)(b.tsc - a.tsc), (unsigned long long)(b.idle_ns - a.idle_ns));
	sample_begin(&a);
	nanosleep(&ms10, NULL);
	sample_end(&b);
	say("INFO calibrate sleep_10ms tsc=%llu idle_ns=%llu", (unsigned long long)(b.tsc - a.tsc),
	    (unsigned long long)(b.idle_ns - a.idle_ns));
}

/* Opens the disk (the driver may still be probing it); returns its fd or -1. */
static int open_disk(int flags)
{
	struct timespec ms10 = {.tv_sec = 0, .tv_nsec = 10000000L};
	uint64_t size = 0;
	int fd = -1;

	for (int i = 0; i < 500 && fd < 0; i++) {
		fd = open(DISK_PATH, flags | O_DIRECT);
		if (fd < 0)
			nanosleep(&ms10, NULL);
	}
	if (fd < 0) {
		say("ERROR open %s: %s", DISK_PATH, strerror(errno));
		return -1;
	}
	if (ioctl(fd, BLKGETSIZE64, &size) != 0 || size < SW_DISK_BYTES) {
		say("ERROR %s holds %llu bytes, not %llu", DISK_PATH, (unsigned long long)size,
		    (unsigned long long)SW_DISK_BYTES);
		close(fd);
		return -1;
	}
	return fd;
}

/* Fills @buf (@bytes long) with the disk's pattern for block 0 onwards. */
static void fill_pattern(unsigned char *buf, uint32_t bytes)
{
	for (uint32_t i = 0; i < bytes; i++)
		buf[i] = (unsigned char)(i % SW_BLOCK_BYTES);
	for (uint32_t b = 0; b < bytes / SW_BLOCK_BYTES; b++) {
		uint64_t tag = sw_tag(b);
		memcpy(buf + (size_t)b * SW_BLOCK_BYTES, &tag, sizeof(tag));
	}
}

/* Returns 1 if @buf holds the disk's data at byte @offset (@bytes long), else 0. */
static int holds_disk_data(const unsigned char *buf, uint64_t offset, uint32_t bytes)
{
	for (uint32_t b = 0; b < bytes / SW_BLOCK_BYTES; b++) {
		const unsigned char *block = buf + (size_t)b * SW_BLOCK_BYTES;
		uint64_t tag;

		memcpy(&tag, block, sizeof(tag));
		if (tag != sw_tag(offset / SW_BLOCK_BYTES + b) || block[8] != 8 ||
		    block[SW_BLOCK_BYTES - 1] != (unsigned char)(SW_BLOCK_BYTES - 1))
			return 0;
	}
	return 1;
}

/* Returns the offset of the run's next request and counts it. */
static uint64_t next_offset(struct run *r)
{
	return sw_offset(r->w, &r->rng, r->next++);
}

/* Maps one ring area of @u's fd at @offset; returns it or NULL. */
static void *uring_map(const struct uring *u, size_t size, off_t offset)
{
	void *p =
		mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, u->fd, offset);

	return p == MAP_FAILED ? NULL : p;
}

/* Finds the ring fields of @u at the offsets the kernel gave in @p. */
static void uring_fields(struct uring *u, const struct io_uring_params *p, unsigned char *sq,
                         unsigned char *cq)
{
	u->sq_head = (uint32_t *)(void *)(sq + p->sq_off.head);
	u->sq_tail = (uint32_t *)(void *)(sq + p->sq_off.tail);
	u->sq_mask = (uint32_t *)(void *)(sq + p->sq_off.ring_mask);
	u->sq_array = (uint32_t *)(void *)(sq + p->sq_off.array);
	u->cq_head = (uint32_t *)(void *)(cq + p->cq_off.head);
	u->cq_tail = (uint32_t *)(void *)(cq + p->cq_off.tail);
	u->cq_mask = (uint32_t *)(void *)(cq + p->cq_off.ring_mask);
	u->cqes = (struct io_uring_cqe *)(void *)(cq + p->cq_off.cqes);
}

/* Sets up @u with @entries submission slots; returns 0 or -1 after saying why. */
static int uring_setup(struct uring *u, uint32_t entries)
{
	struct io_uring_params p;
	size_t sq_size, cq_size;
	unsigned char *sq, *cq;

	memset(&p, 0, sizeof(p));
	memset(u, 0, sizeof(*u));
	u->fd = (int)syscall(__NR_io_uring_setup, entries, &p);
	if (u->fd < 0) {
		say("ERROR io_uring_setup: %s", strerror(errno));
		return -1;
	}
	sq_size = p.sq_off.array + p.sq_entries * sizeof(uint32_t);
	cq_size = p.cq_off.cqes + p.cq_entries * sizeof(struct io_uring_cqe);
	if (p.features & IORING_FEAT_SINGLE_MMAP)
		sq_size = cq_size = sq_size > cq_size ? sq_size : cq_size;
	sq = uring_map(u, sq_size, IORING_OFF_SQ_RING);
	cq = (p.features & IORING_FEAT_SINGLE_MMAP) ? sq :
	                                              uring_map(u, cq_size, IORING_OFF_CQ_RING);
	u->sqes = uring_map(u, p.sq_entries * sizeof(struct io_uring_sqe), IORING_OFF_SQES);
	if (!sq || !cq || !u->sqes) {
		say("ERROR io_uring mmap: %s", strerror(errno));
		return -1;
	}
	uring_fields(u, &p, sq, cq);
	return 0;
}

/* Queues the run's next request into buffer @slot (submitted by the next enter). */
static void uring_queue(struct uring *u, struct run *r, uint32_t slot)
{
	uint32_t tail = *u->sq_tail;
	uint32_t index = tail & *u->sq_mask;
	struct io_uring_sqe *sqe = &u->sqes[index];

	r->last_offset[slot] = next_offset(r);
	memset(sqe, 0, sizeof(*sqe));
	sqe->opcode = r->w->op == SW_READ ? IORING_OP_READ : IORING_OP_WRITE;
	sqe->fd = r->fd;
	sqe->addr = (uint64_t)(uintptr_t)r->buf[slot];
	sqe->len = r->w->bytes;
	sqe->off = r->last_offset[slot];
	sqe->user_data = slot;
	u->sq_array[index] = index;
	__atomic_store_n(u->sq_tail, tail + 1, __ATOMIC_RELEASE);
	u->to_submit++;
}

/* Submits what is queued, without waiting; returns 0 or -1 after saying why. */
static int uring_submit(struct uring *u, struct run *r)
{
	long got;

	if (u->to_submit == 0)
		return 0;
	r->submits++;
	got = syscall(__NR_io_uring_enter, u->fd, u->to_submit, 0, 0, NULL, 0);
	if (got < 0) {
		say("ERROR %s: io_uring_enter: %s", r->w->name, strerror(errno));
		r->failed = 1;
		return -1;
	}
	u->to_submit -= (uint32_t)got;
	return 0;
}

/*
 * Waits until the completion ring is not empty, in a loop of POLL_INSNS
 * instructions (the kernel posts completions on the way back to user mode
 * from the disk's interrupt). Returns the loop's turns past the first.
 */
static uint64_t uring_wait(const struct uring *u)
{
	uint64_t turns = 0;
	uint32_t head = *u->cq_head;

	__asm__ volatile("1:\n\t"
	                 "incq %0\n\t"
	                 "movl (%1), %%eax\n\t"
	                 "cmpl %%eax, %2\n\t"
	                 "je 1b"
	                 : "+r"(turns)
	                 : "r"(u->cq_tail), "r"(head)
	                 : "eax", "cc", "memory");
	return turns - 1;
}

/* Takes every completion, requeuing a slot while requests below @end remain; returns how many. */
static uint32_t uring_reap(struct uring *u, struct run *r, uint32_t end)
{
	uint32_t head = *u->cq_head;
	uint32_t tail = __atomic_load_n(u->cq_tail, __ATOMIC_ACQUIRE);
	uint32_t reaped = 0;

	for (; head != tail; head++, reaped++) {
		struct io_uring_cqe cqe = u->cqes[head & *u->cq_mask];

		if (cqe.res != (int32_t)r->w->bytes && !r->failed) {
			say("ERROR %s: request completed with %d", r->w->name, cqe.res);
			r->failed = 1;
		}
		if (r->next < end && cqe.user_data < MAX_DEPTH)
			uring_queue(u, r, (uint32_t)cqe.user_data);
	}
	__atomic_store_n(u->cq_head, head, __ATOMIC_RELEASE);
	return reaped;
}

/* Runs requests until @r->next reaches @end with up to depth of them in flight. */
static void run_requests(struct uring *u, struct run *r, uint32_t end)
{
	uint32_t in_flight = 0;

	for (uint32_t slot = 0; slot < r->w->depth && r->next < end; slot++, in_flight++)
		uring_queue(u, r, slot);
	while (in_flight > 0 && !r->failed) {
		uint32_t before = r->next;

		if (uring_submit(u, r) != 0)
			return;
		r->poll_turns += uring_wait(u);
		in_flight -= uring_reap(u, r, end);
		in_flight += r->next - before;
	}
}

/* Checks that every read buffer holds the disk's data for its last request. */
static void verify(struct run *r)
{
	for (uint32_t slot = 0; slot < r->w->depth && !r->failed; slot++) {
		if (r->w->op == SW_READ &&
		    !holds_disk_data(r->buf[slot], r->last_offset[slot], r->w->bytes)) {
			say("ERROR %s: the data read at offset %llu is not the disk's", r->w->name,
			    (unsigned long long)r->last_offset[slot]);
			r->failed = 1;
		}
	}
}

static void report(const struct run *r, const struct sample *a, const struct sample *b)
{
	uint64_t bytes = (uint64_t)r->w->count * r->w->bytes;
	uint64_t polling = POLL_INSNS * r->poll_turns;
	uint64_t insns = (b->tsc - a->tsc) - polling;

	say("INFO %s requests=%u bytes=%llu tsc=%llu polling=%llu work=%llu submits=%llu "
	    "disk_irqs=%llu timer_irqs=%llu blocked=%ld idle_ns=%llu",
	    r->w->name, r->w->count, (unsigned long long)bytes,
	    (unsigned long long)(b->tsc - a->tsc), (unsigned long long)polling,
	    (unsigned long long)insns, (unsigned long long)r->submits,
	    (unsigned long long)(b->disk_irqs - a->disk_irqs),
	    (unsigned long long)(b->timer_irqs - a->timer_irqs), b->blocked - a->blocked,
	    (unsigned long long)(b->idle_ns - a->idle_ns));
	if (b->idle_ns != a->idle_ns || b->blocked != a->blocked)
		say("WARNING %s: the program slept or the CPU idled: its figures include idle time",
		    r->w->name);
	say("BENCH %s_req %llu", r->w->name, (unsigned long long)(insns / r->w->count));
	say("BENCH %s_byte_milli %llu", r->w->name, (unsigned long long)(insns * 1000 / bytes));
}

/* Warms up, then runs and times one workload; prints its figures unless it failed. */
static void run_workload(const struct sw_workload *w, int fd, struct uring *u,
                         unsigned char *const *bufs)
{
	struct run r = {.w = w, .fd = fd, .rng = SW_SEED};
	struct sample a, b;
	uint32_t warmup = w->count < WARMUP_REQUESTS ? w->count : WARMUP_REQUESTS;

	memcpy(r.buf, bufs, sizeof(r.buf));
	run_requests(u, &r, warmup);
	r.rng = SW_SEED;
	r.next = 0;
	r.poll_turns = 0;
	r.submits = 0;
	say("BEGIN %s", w->name);
	(void)tcdrain(STDOUT_FILENO); /* no serial interrupt inside the measurement */
	sample_begin(&a);
	run_requests(u, &r, w->count);
	sample_end(&b);
	say("END %s bytes=%llu", w->name, (unsigned long long)w->count * w->bytes);
	verify(&r);
	if (!r.failed)
		report(&r, &a, &b);
}

/* Allocates MAX_DEPTH aligned buffers of the largest request, filled with the disk's pattern. */
static int alloc_buffers(unsigned char **bufs)
{
	uint32_t largest = 0;

	for (size_t i = 0; i < SW_WORKLOAD_COUNT; i++)
		largest = sw_workloads[i].bytes > largest ? sw_workloads[i].bytes : largest;
	for (uint32_t i = 0; i < MAX_DEPTH; i++) {
		void *p = NULL;

		if (posix_memalign(&p, SW_BLOCK_BYTES, largest) != 0) {
			say("ERROR out of memory for buffers");
			return -1;
		}
		bufs[i] = p;
		fill_pattern(bufs[i], largest);
	}
	return 0;
}

static void run_all(void)
{
	unsigned char *bufs[MAX_DEPTH];
	struct uring ring;
	int fd = open_disk(O_RDWR);

	if (fd < 0 || alloc_buffers(bufs) != 0 || uring_setup(&ring, MAX_DEPTH) != 0)
		return;
	for (size_t i = 0; i < SW_WORKLOAD_COUNT; i++)
		run_workload(&sw_workloads[i], fd, &ring, bufs);
	if (fsync(fd) != 0)
		say("ERROR fsync %s: %s", DISK_PATH, strerror(errno));
	close(fd);
}

/**
 * The program: calibrates, runs every workload of storage_workload.h and says
 * `linux: DONE`; as process 1 it then powers the machine off. Needs: /proc
 * mounted and the virtio-blk driver loaded.
 * Returns: 0 (the figures, or ERROR lines, are on the console).
 */
int main(void)
{
	calibrate();
	run_all();
	say("DONE");
	sync();
	if (getpid() == 1)
		reboot(RB_POWER_OFF);
	return 0;
}
