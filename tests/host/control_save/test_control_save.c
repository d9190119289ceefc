/* Host tests of save and restore against a simulated target and volume: every failure is caught. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include <bulkhead/abi/hypercall.h>

#include "ctl_save.h"

#define PAGE 4096ull
#define BUF (2u * PAGE)
#define SLOT (64u * PAGE)

/* The target: three spans of private memory, a vCPU and a state. */
static const struct bh_mem_span spans[] = {
	{0x400000, 3 * PAGE, BH_SPAN_IMAGE, 0},
	{0x800000, 2 * PAGE, BH_SPAN_WRITABLE, 0},
	{0x900000, 5 * PAGE, BH_SPAN_WRITABLE, 0},
};
#define NSPANS (sizeof(spans) / sizeof(spans[0]))

struct sim {
	uint8_t mem[NSPANS][5 * PAGE];
	struct bh_vcpu_state vcpu;
	uint32_t state, image, generation;
	uint32_t n_layout;   /* spans the layout call reports */
	bool drop_writes;    /* mem_write does nothing */
	int fail_disk_after; /* disk writes before one fails (-1: never) */
	enum bh_err vcpu_set_answer;
	unsigned resumes, restarts;
	uint8_t disk[SLOT];
	uint8_t buf[BUF], check[BUF];
};

static struct sim sim;

static uint8_t *where(uint64_t vaddr, uint64_t len)
{
	for (unsigned i = 0; i < NSPANS; i++)
		if (vaddr >= spans[i].vaddr && vaddr + len <= spans[i].vaddr + spans[i].size)
			return &sim.mem[i][vaddr - spans[i].vaddr];
	fail_msg("access outside the spans: %#llx", (unsigned long long)vaddr);
	return NULL;
}

static enum bh_err t_stop(void *c)
{
	(void)c;
	sim.state = BH_DSTATE_STOPPED;
	return BH_OK;
}

static enum bh_err t_restart_held(void *c, uint32_t image)
{
	(void)c;
	memset(sim.mem, 0, sizeof(sim.mem));
	memset(&sim.vcpu, 0, sizeof(sim.vcpu));
	sim.image = image;
	sim.generation++;
	sim.restarts++;
	sim.state = BH_DSTATE_STOPPED;
	return BH_OK;
}

static enum bh_err t_resume(void *c)
{
	(void)c;
	sim.resumes++;
	sim.state = BH_DSTATE_RUNNING;
	return BH_OK;
}

static enum bh_err t_state(void *c, uint64_t *w)
{
	(void)c;
	*w = sim.state | (uint64_t)sim.image << 8 | (uint64_t)sim.generation << 32;
	return BH_OK;
}

static enum bh_err t_layout(void *c, struct bh_mem_span *out, uint32_t max, uint32_t *n)
{
	(void)c;
	*n = sim.n_layout;
	for (uint32_t i = 0; i < sim.n_layout && i < max; i++)
		out[i] = spans[i];
	return BH_OK;
}

static enum bh_err t_read(void *c, uint64_t vaddr, uint64_t len)
{
	(void)c;
	assert_true(len <= BUF);
	memcpy(sim.buf, where(vaddr, len), len);
	return BH_OK;
}

static enum bh_err t_write(void *c, uint64_t vaddr, uint64_t len)
{
	(void)c;
	assert_int_equal(sim.state, BH_DSTATE_STOPPED);
	if (!sim.drop_writes)
		memcpy(where(vaddr, len), sim.buf, len);
	return BH_OK;
}

static enum bh_err t_vget(void *c, struct bh_vcpu_state *v)
{
	(void)c;
	*v = sim.vcpu;
	return BH_OK;
}

static enum bh_err t_vset(void *c, const struct bh_vcpu_state *v)
{
	(void)c;
	if (sim.vcpu_set_answer == BH_OK)
		sim.vcpu = *v;
	return sim.vcpu_set_answer;
}

static int d_read(void *c, uint64_t off, size_t len)
{
	(void)c;
	assert_true(off + len <= SLOT && len <= BUF);
	memcpy(sim.buf, sim.disk + off, len);
	return 0;
}

static int d_write(void *c, uint64_t off, size_t len)
{
	(void)c;
	assert_true(off + len <= SLOT && len <= BUF);
	if (sim.fail_disk_after == 0)
		return 5;
	if (sim.fail_disk_after > 0)
		sim.fail_disk_after--;
	memcpy(sim.disk + off, sim.buf, len);
	return 0;
}

static int d_flush(void *c)
{
	(void)c;
	return 0;
}

static const struct save_ops ops = {
	NULL,     sim.buf, sim.check, BUF,    SLOT,   t_stop, t_restart_held, t_resume, t_state,
	t_layout, t_read,  t_write,   t_vget, t_vset, d_read, d_write,        d_flush,
};

static int setup(void **state)
{
	(void)state;
	memset(&sim, 0, sizeof(sim));
	for (unsigned i = 0; i < NSPANS; i++)
		for (size_t k = 0; k < spans[i].size; k++)
			sim.mem[i][k] = (uint8_t)(k * 7 + (size_t)i * 13 + 1);
	sim.vcpu.rip = 0x401234;
	sim.vcpu.rax = 42;
	sim.vcpu.wait = BH_VCPU_WAIT;
	sim.state = BH_DSTATE_RUNNING;
	sim.image = 1;
	sim.generation = 3;
	sim.n_layout = NSPANS;
	sim.fail_disk_after = -1;
	sim.vcpu_set_answer = BH_OK;
	return 0;
}

static struct save_report save_ok(void)
{
	struct save_report rep;

	assert_int_equal(ctl_save_domain(&ops, "counter", 1700000000, &rep), SAVE_OK);
	assert_int_equal(rep.spans, NSPANS);
	assert_int_equal(rep.bytes, 10 * PAGE);
	assert_int_equal(sim.state, BH_DSTATE_STOPPED); /* a save leaves it stopped */
	return rep;
}

static void round_trip_restores_memory_and_vcpu(void **state)
{
	uint8_t before[sizeof(sim.mem)];
	struct save_report saved = save_ok(), rep;

	(void)state;
	memcpy(before, sim.mem, sizeof(before));
	memset(sim.mem, 0xee, sizeof(sim.mem)); /* it ran on, or was destroyed */
	sim.image = 0;
	sim.state = BH_DSTATE_RUNNING;
	assert_int_equal(ctl_restore_domain(&ops, "counter", &rep), SAVE_OK);
	assert_memory_equal(sim.mem, before, sizeof(before));
	assert_int_equal(sim.vcpu.rip, 0x401234);
	assert_int_equal(sim.vcpu.wait, BH_VCPU_WAIT);
	assert_int_equal(sim.image, 1); /* restarted with the saved image */
	assert_int_equal(sim.resumes, 1);
	assert_memory_equal(rep.sha256, saved.sha256, 32);
}

static void corrupt_data_is_refused_and_not_resumed(void **state)
{
	struct save_report rep;

	(void)state;
	save_ok();
	sim.disk[SAVE_HEADER_BYTES + 5 * PAGE + 17] ^= 1;
	assert_int_equal(ctl_restore_domain(&ops, "counter", &rep), SAVE_E_CORRUPT);
	assert_int_equal(sim.resumes, 0);
	save_ok();
	sim.disk[offsetof(struct save_header, vcpu) + 3] ^= 0x80; /* the vCPU is hashed too */
	assert_int_equal(ctl_restore_domain(&ops, "counter", &rep), SAVE_E_CORRUPT);
	assert_int_equal(sim.resumes, 0);
}

static void other_or_missing_saves_are_refused(void **state)
{
	struct save_report rep;

	(void)state;
	assert_int_equal(ctl_restore_domain(&ops, "counter", &rep), SAVE_E_NO_SAVE);
	save_ok();
	assert_int_equal(ctl_restore_domain(&ops, "counte", &rep), SAVE_E_OTHER);
	assert_int_equal(ctl_restore_domain(&ops, "counter2", &rep), SAVE_E_OTHER);
	assert_int_equal(sim.restarts, 0); /* nothing touched the target */
}

static void a_failed_save_leaves_no_valid_save(void **state)
{
	struct save_report rep;

	(void)state;
	save_ok();
	sim.fail_disk_after = 3; /* the wipe, two chunks, then a failure */
	assert_int_equal(ctl_save_domain(&ops, "counter", 0, &rep), SAVE_E_DISK);
	assert_int_equal(ctl_restore_domain(&ops, "counter", &rep), SAVE_E_NO_SAVE);
}

static void too_big_layout_and_readback(void **state)
{
	struct save_ops small = ops;
	struct save_report rep;

	(void)state;
	small.slot_bytes = SAVE_HEADER_BYTES + 9 * PAGE;
	assert_int_equal(ctl_save_domain(&small, "counter", 0, &rep), SAVE_E_TOO_BIG);
	small.slot_bytes = 100;
	assert_int_equal(ctl_save_domain(&small, "counter", 0, &rep), SAVE_E_TOO_BIG);
	save_ok();
	sim.n_layout = 2;
	assert_int_equal(ctl_restore_domain(&ops, "counter", &rep), SAVE_E_LAYOUT);
	sim.n_layout = NSPANS;
	sim.drop_writes = true;
	assert_int_equal(ctl_restore_domain(&ops, "counter", &rep), SAVE_E_READBACK);
	sim.drop_writes = false;
	sim.vcpu_set_answer = BH_ERR_INVALID;
	assert_int_equal(ctl_restore_domain(&ops, "counter", &rep), SAVE_E_KERNEL);
	assert_int_equal(rep.err, BH_ERR_INVALID);
	assert_int_equal(sim.resumes, 0);
}

static void hostile_headers_are_refused(void **state)
{
	static struct save_header h, good;

	(void)state;
	save_ok();
	memcpy(&good, sim.disk, sizeof(good));
	assert_int_equal(ctl_save_check_header(&good, "counter", SLOT), SAVE_OK);
	h = good;
	h.version = 2;
	assert_int_equal(ctl_save_check_header(&h, "counter", SLOT), SAVE_E_CORRUPT);
	h = good;
	h.n_spans = SAVE_MAX_SPANS + 1;
	assert_int_equal(ctl_save_check_header(&h, "counter", SLOT), SAVE_E_CORRUPT);
	h = good;
	h.spans[1].vaddr = h.spans[0].vaddr + PAGE; /* overlaps the first */
	assert_int_equal(ctl_save_check_header(&h, "counter", SLOT), SAVE_E_CORRUPT);
	h = good;
	h.spans[2].size += 1; /* not a page multiple */
	assert_int_equal(ctl_save_check_header(&h, "counter", SLOT), SAVE_E_CORRUPT);
	h = good;
	h.data_bytes += PAGE; /* does not sum up */
	assert_int_equal(ctl_save_check_header(&h, "counter", SLOT), SAVE_E_CORRUPT);
	h = good;
	h.spans[2].vaddr = UINT64_MAX & ~0xfffull; /* wraps */
	assert_int_equal(ctl_save_check_header(&h, "counter", SLOT), SAVE_E_CORRUPT);
	h = good;
	h.spans[2].size = UINT64_MAX & ~0xfffull; /* beyond the slot */
	assert_int_equal(ctl_save_check_header(&h, "counter", SLOT), SAVE_E_CORRUPT);
	memset(h.domain, 'c', SAVE_NAME); /* no NUL */
	assert_int_equal(ctl_save_check_header(&good, "counter", 100), SAVE_E_CORRUPT);
	h = good;
	memset(h.domain, 'c', SAVE_NAME);
	assert_int_equal(ctl_save_check_header(&h, "counter", SLOT), SAVE_E_OTHER);
	assert_string_equal(ctl_save_error(SAVE_E_CORRUPT), "the save on the volume is corrupt");
	assert_string_equal(ctl_save_error((enum save_result)99), "unknown");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(round_trip_restores_memory_and_vcpu, setup),
		cmocka_unit_test_setup(corrupt_data_is_refused_and_not_resumed, setup),
		cmocka_unit_test_setup(other_or_missing_saves_are_refused, setup),
		cmocka_unit_test_setup(a_failed_save_leaves_no_valid_save, setup),
		cmocka_unit_test_setup(too_big_layout_and_readback, setup),
		cmocka_unit_test_setup(hostile_headers_are_refused, setup),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
