/* Host tests for the supervisor's policy: backoff, the window, giving up, watchdog, replace. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "sup_policy.h"

#define MS 1000ull /* microseconds */

/* A policy entry as bhc writes it: watchdog 200 ms, window 10 s, backoff 10 ms, 5 restarts. */
static struct bh_info_entry entry(uint32_t on, uint32_t replace_ms)
{
	struct bh_info_entry e;

	memset(&e, 0, sizeof(e));
	strcpy(e.name, "blkdrv");
	strcpy(e.peer, "hb-blk");
	e.kind = BH_RES_POLICY;
	e.vaddr = 200 * MS;
	e.size = 10000 * MS;
	e.slot = 10 * MS;
	e.flags = 5u | on;
	e.bit = replace_ms;
	return e;
}

static struct sup_target target(uint32_t on, uint32_t replace_ms, uint64_t now)
{
	struct bh_info_entry e = entry(on, replace_ms);
	struct sup_policy pol;
	struct sup_target t;

	assert_null(sup_policy_decode(&e, &pol));
	sup_target_init(&t, &pol, now, 0);
	return t;
}

/* Fault of the current instance at @now, then the restart once due; returns the decision. */
static struct sup_decision fault_and_restart(struct sup_target *t, uint64_t now)
{
	struct sup_decision d = sup_fault(t, now, t->generation);

	if (d.action == SUP_RESTART) {
		assert_false(sup_restart_due(t, now + d.delay_us - 1));
		assert_true(sup_restart_due(t, now + d.delay_us));
		sup_restarted(t, now + d.delay_us, t->generation + 1, 0);
	}
	return d;
}

/* ---- the policy entry ---- */

static void test_decode(void **state)
{
	(void)state;
	struct bh_info_entry e = entry(BH_POLICY_ON_FAULT | BH_POLICY_ON_HANG, 300);
	struct sup_policy p;

	assert_null(sup_policy_decode(&e, &p));
	assert_int_equal(p.watchdog_us, 200 * MS);
	assert_int_equal(p.window_us, 10000 * MS);
	assert_int_equal(p.backoff_us, 10 * MS);
	assert_int_equal(p.replace_us, 300 * MS);
	assert_int_equal(p.max_restarts, 5);
	assert_true(p.on_fault && p.on_hang);
}

static void test_decode_refusals(void **state)
{
	(void)state;
	struct bh_info_entry e = entry(BH_POLICY_ON_HANG, 0);
	struct sup_policy p;

	e.vaddr = 5u * BH_HEARTBEAT_US - 1; /* watchdog shorter than 5 heartbeats */
	assert_non_null(sup_policy_decode(&e, &p));
	e = entry(BH_POLICY_ON_HANG, 0);
	e.peer[0] = '\0'; /* hang without a heartbeat region */
	assert_non_null(sup_policy_decode(&e, &p));
	e = entry(BH_POLICY_ON_FAULT, 0);
	e.size = 0; /* no window */
	assert_non_null(sup_policy_decode(&e, &p));
	e = entry(0, 0); /* nothing to act on */
	assert_non_null(sup_policy_decode(&e, &p));
	e = entry(0, 100); /* only the replace: fine, without a heartbeat */
	e.peer[0] = '\0';
	assert_null(sup_policy_decode(&e, &p));
}

/* ---- faults: backoff, window, give up ---- */

static void test_backoff_doubles(void **state)
{
	(void)state;
	struct sup_target t = target(BH_POLICY_ON_FAULT, 0, 0);
	uint64_t now = 1000 * MS;

	for (uint32_t n = 1; n <= 5; n++) {
		struct sup_decision d = fault_and_restart(&t, now);
		assert_int_equal(d.action, SUP_RESTART);
		assert_int_equal(d.n, n);
		assert_int_equal(d.max, 5);
		assert_int_equal(d.delay_us, (10 * MS) << (n - 1));
		now += d.delay_us + 1 * MS;
	}
	struct sup_decision d = sup_fault(&t, now, t.generation);
	assert_int_equal(d.action, SUP_GIVE_UP);
	assert_int_equal(d.n, 5);
	assert_int_equal(t.phase, SUP_GIVEN_UP);
	assert_int_equal(sup_next_deadline(&t), SUP_NO_DEADLINE);
	assert_int_equal(sup_fault(&t, now + 1, t.generation).action, SUP_IGNORE);
}

static void test_window_resets(void **state)
{
	(void)state;
	struct sup_target t = target(BH_POLICY_ON_FAULT, 0, 0);
	uint64_t now = 0;

	for (uint32_t n = 1; n <= 5; n++) /* five restarts in the first window */
		now += fault_and_restart(&t, now).delay_us + 1 * MS;
	now = 10000 * MS + 1; /* the window that began at 0 has passed */
	struct sup_decision d = fault_and_restart(&t, now);
	assert_int_equal(d.action, SUP_RESTART);
	assert_int_equal(d.n, 1);
	assert_int_equal(d.delay_us, 10 * MS); /* the backoff starts over too */
}

static void test_zero_restarts(void **state)
{
	(void)state;
	struct bh_info_entry e = entry(BH_POLICY_ON_FAULT, 0);
	struct sup_policy p;
	struct sup_target t;

	e.flags = BH_POLICY_ON_FAULT; /* max-restarts 0: the first fault gives up */
	assert_null(sup_policy_decode(&e, &p));
	sup_target_init(&t, &p, 0, 0);
	assert_int_equal(sup_fault(&t, 5, 0).action, SUP_GIVE_UP);
}

static void test_backoff_capped(void **state)
{
	(void)state;
	struct bh_info_entry e = entry(BH_POLICY_ON_FAULT, 0);
	struct sup_policy p;
	struct sup_target t;
	struct sup_decision d = {SUP_IGNORE, 0, 0, 0};

	e.flags = 0xffffu | BH_POLICY_ON_FAULT;
	e.size = UINT64_MAX; /* one window for ever */
	assert_null(sup_policy_decode(&e, &p));
	sup_target_init(&t, &p, 0, 0);
	for (uint32_t n = 1; n <= 80; n++)
		d = fault_and_restart(&t, (uint64_t)n * 100000 * MS);
	assert_int_equal(d.action, SUP_RESTART);
	assert_int_equal(d.n, 80);
	assert_int_equal(d.delay_us, SUP_MAX_BACKOFF_US);
}

static void test_fault_ignored(void **state)
{
	(void)state;
	struct sup_target t = target(BH_POLICY_ON_HANG, 0, 0);

	assert_int_equal(sup_fault(&t, 10, 0).action, SUP_IGNORE); /* policy: hang only */
	t = target(BH_POLICY_ON_FAULT, 0, 0);
	fault_and_restart(&t, 10);                                       /* generation 1 runs now */
	assert_int_equal(sup_fault(&t, 100 * MS, 0).action, SUP_IGNORE); /* stale record */
	assert_int_equal(sup_fault(&t, 100 * MS, 1).action, SUP_RESTART);
	assert_int_equal(sup_fault(&t, 100 * MS, 1).action, SUP_IGNORE); /* backing off already */
}

/* ---- the watchdog ---- */

static void test_watchdog(void **state)
{
	(void)state;
	struct sup_target t = target(BH_POLICY_ON_HANG, 0, 0);
	uint64_t elapsed;

	assert_int_equal(sup_next_deadline(&t), 200 * MS);
	assert_false(sup_watch(&t, 199 * MS, 0, true, &elapsed));
	assert_false(sup_watch(&t, 200 * MS, 1, true, &elapsed)); /* it changed: re-armed */
	assert_int_equal(sup_next_deadline(&t), 400 * MS);
	assert_false(sup_watch(&t, 399 * MS, 1, true, &elapsed));
	assert_true(sup_watch(&t, 400 * MS, 1, true, &elapsed));
	assert_int_equal(elapsed, 200 * MS);
	struct sup_decision d = sup_hang(&t, 400 * MS);
	assert_int_equal(d.action, SUP_RESTART);
	assert_int_equal(d.n, 1);
	assert_false(sup_watch(&t, 900 * MS, 1, true, &elapsed)); /* backing off: no watch */
	assert_int_equal(sup_next_deadline(&t), 410 * MS);
	sup_restarted(&t, 410 * MS, 1, 1);
	assert_false(sup_watch(&t, 609 * MS, 1, true, &elapsed));
	assert_true(sup_watch(&t, 610 * MS, 1, true, &elapsed)); /* the new instance hangs too */
	d = sup_hang(&t, 610 * MS);
	assert_int_equal(d.n, 2);
	assert_int_equal(d.delay_us, 20 * MS);
}

static void test_watchdog_not_running(void **state)
{
	(void)state;
	struct sup_target t = target(BH_POLICY_ON_HANG, 0, 0);
	uint64_t elapsed;

	assert_false(sup_watch(&t, 500 * MS, 0, false, &elapsed)); /* stopped: not late */
	assert_false(sup_watch(&t, 699 * MS, 0, true, &elapsed));  /* counts from 500 ms */
	assert_true(sup_watch(&t, 700 * MS, 0, true, &elapsed));
	t = target(BH_POLICY_ON_FAULT, 0, 0);
	assert_false(sup_watch(&t, 10000 * MS, 0, true, &elapsed)); /* no on-hang: no watchdog */
	assert_int_equal(sup_hang(&t, 10000 * MS).action, SUP_IGNORE);
}

/* ---- the scheduled replace ---- */

static void test_replace(void **state)
{
	(void)state;
	struct sup_target t = target(BH_POLICY_ON_FAULT, 300, 50 * MS);

	assert_int_equal(sup_next_deadline(&t), 350 * MS);
	assert_int_equal(sup_replace_due(&t, 349 * MS), SUP_REPLACE_NOT_YET);
	assert_int_equal(sup_replace_due(&t, 350 * MS), SUP_REPLACE_NOW);
	sup_replaced(&t, 351 * MS, 1, 0);
	assert_int_equal(t.image, 1);
	assert_int_equal(sup_replace_due(&t, 10000 * MS), SUP_REPLACE_NOT_YET); /* once */
	assert_int_equal(sup_next_deadline(&t), SUP_NO_DEADLINE);
	fault_and_restart(&t, 400 * MS);
	assert_int_equal(t.image, 1); /* later restarts keep the new version */
	assert_int_equal(t.generation, 2);
}

static void test_replace_given_up(void **state)
{
	(void)state;
	struct bh_info_entry e = entry(BH_POLICY_ON_FAULT, 300);
	struct sup_policy p;
	struct sup_target t;

	e.flags = BH_POLICY_ON_FAULT; /* max-restarts 0 */
	assert_null(sup_policy_decode(&e, &p));
	sup_target_init(&t, &p, 0, 0);
	assert_int_equal(sup_fault(&t, 10, 0).action, SUP_GIVE_UP);
	assert_int_equal(sup_replace_due(&t, 300 * MS), SUP_REPLACE_SKIP);
	assert_int_equal(sup_replace_due(&t, 400 * MS), SUP_REPLACE_NOT_YET);
}

static void test_replace_during_backoff(void **state)
{
	(void)state;
	struct sup_target t = target(BH_POLICY_ON_FAULT, 300, 0);
	struct sup_decision d = sup_fault(&t, 295 * MS, 0);

	assert_int_equal(d.action, SUP_RESTART);
	assert_int_equal(sup_next_deadline(&t), 300 * MS); /* the restart and the replace */
	assert_int_equal(sup_replace_due(&t, 300 * MS), SUP_REPLACE_NOW);
	sup_replaced(&t, 300 * MS, 1, 0);
	assert_false(sup_restart_due(&t, 305 * MS)); /* the replace was the restart */
}

/* ---- fault records ---- */

static void test_fault_read(void **state)
{
	(void)state;
	static struct bh_fault_page page;
	struct bh_fault_page out;
	uint64_t seen = 0;

	memset(&page, 0, sizeof(page));
	assert_false(sup_fault_read(&page, &seen, &out)); /* nothing yet */
	page.kind = BH_FAULT_PAGE;
	page.rip = 0x401234;
	page.generation = 2;
	page.seq = 1;
	assert_true(sup_fault_read(&page, &seen, &out));
	assert_int_equal(seen, 1);
	assert_int_equal(out.rip, 0x401234);
	assert_int_equal(out.generation, 2);
	assert_false(sup_fault_read(&page, &seen, &out)); /* the same record: not again */
}

static void test_fault_text(void **state)
{
	(void)state;
	struct bh_fault_page r;
	char buf[96];

	memset(&r, 0, sizeof(r));
	r.kind = BH_FAULT_PAGE;
	r.rip = 0x401234;
	assert_string_equal(sup_fault_text(&r, buf, sizeof(buf)),
	                    "faulted (page fault rip 0x401234 addr 0x0 gen 0)");
	r.kind = BH_FAULT_EXIT;
	r.error_code = 3;
	r.generation = 4;
	assert_string_equal(sup_fault_text(&r, buf, sizeof(buf)), "exited (code 3 gen 4)");
	r.kind = 99;
	assert_string_equal(sup_fault_text(&r, buf, sizeof(buf)),
	                    "faulted (kind 99 rip 0x401234 gen 4)");
	r.kind = BH_FAULT_GP;
	sup_fault_text(&r, buf, 20); /* truncated, still a string */
	assert_int_equal(strlen(buf), 19);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_decode),
		cmocka_unit_test(test_decode_refusals),
		cmocka_unit_test(test_backoff_doubles),
		cmocka_unit_test(test_window_resets),
		cmocka_unit_test(test_zero_restarts),
		cmocka_unit_test(test_backoff_capped),
		cmocka_unit_test(test_fault_ignored),
		cmocka_unit_test(test_watchdog),
		cmocka_unit_test(test_watchdog_not_running),
		cmocka_unit_test(test_replace),
		cmocka_unit_test(test_replace_given_up),
		cmocka_unit_test(test_replace_during_backoff),
		cmocka_unit_test(test_fault_read),
		cmocka_unit_test(test_fault_text),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
