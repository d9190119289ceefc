/* Host tests: the capability table (install, and lookup of untrusted slots). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

/* cmocka needs the headers above first. */
#include <cmocka.h>

#include <kernel/cap.h>

static struct cap_table table;
static struct domain *const peer = (struct domain *)0x1000;

static int setup(void **state)
{
	(void)state;
	cap_table_clear(&table);
	struct cap ch = {
		.type = BH_CAP_CHANNEL, .rights = BH_RIGHT_SIGNAL, .badge = 1u << 5, .peer = peer};
	struct cap quiet = {.type = BH_CAP_CHANNEL, .rights = 0, .badge = 1u << 6, .peer = peer};
	struct cap reg = {.type = BH_CAP_REGION, .rights = BH_RIGHT_READ, .index = 3};
	cap_install(&table, 0, &ch);
	cap_install(&table, 1, &quiet);
	cap_install(&table, BH_MAX_CAPS - 1, &reg);
	return 0;
}

static void lookup_ok(void **state)
{
	(void)state;
	enum bh_err err = BH_OK;
	const struct cap *c = cap_lookup(&table, 0, BH_CAP_CHANNEL, BH_RIGHT_SIGNAL, &err);
	assert_non_null(c);
	assert_ptr_equal(c->peer, peer);
	assert_int_equal(c->badge, 1u << 5);
	c = cap_lookup(&table, BH_MAX_CAPS - 1, BH_CAP_REGION, BH_RIGHT_READ, &err);
	assert_non_null(c);
	assert_int_equal(c->index, 3);
}

static void expect_err(uint64_t slot, uint16_t type, uint16_t rights, enum bh_err want)
{
	enum bh_err err = BH_OK;
	assert_null(cap_lookup(&table, slot, type, rights, &err));
	assert_int_equal(err, want);
}

static void lookup_bad_slot(void **state)
{
	(void)state;
	expect_err(BH_MAX_CAPS, BH_CAP_CHANNEL, BH_RIGHT_SIGNAL, BH_ERR_BAD_SLOT);
	expect_err(UINT64_MAX, BH_CAP_CHANNEL, BH_RIGHT_SIGNAL, BH_ERR_BAD_SLOT);
	expect_err((uint64_t)1 << 32, BH_CAP_CHANNEL, BH_RIGHT_SIGNAL, BH_ERR_BAD_SLOT);
}

static void lookup_empty(void **state)
{
	(void)state;
	expect_err(2, BH_CAP_CHANNEL, BH_RIGHT_SIGNAL, BH_ERR_NO_CAP);
	expect_err(BH_MAX_CAPS - 2, BH_CAP_REGION, 0, BH_ERR_NO_CAP);
}

static void lookup_wrong_type(void **state)
{
	(void)state;
	expect_err(BH_MAX_CAPS - 1, BH_CAP_CHANNEL, BH_RIGHT_SIGNAL, BH_ERR_WRONG_TYPE);
	expect_err(0, BH_CAP_REGION, BH_RIGHT_READ, BH_ERR_WRONG_TYPE);
}

static void lookup_no_right(void **state)
{
	(void)state;
	expect_err(1, BH_CAP_CHANNEL, BH_RIGHT_SIGNAL, BH_ERR_NO_RIGHT);
	expect_err(BH_MAX_CAPS - 1, BH_CAP_REGION, BH_RIGHT_READ | BH_RIGHT_WRITE, BH_ERR_NO_RIGHT);
	/* A right the holder has, asked alone, passes; asking for none passes too. */
	enum bh_err err;
	assert_non_null(cap_lookup(&table, 1, BH_CAP_CHANNEL, 0, &err));
}

static void clear_empties(void **state)
{
	(void)state;
	cap_table_clear(&table);
	for (uint64_t s = 0; s < BH_MAX_CAPS; s++)
		expect_err(s, BH_CAP_CHANNEL, 0, BH_ERR_NO_CAP);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(lookup_ok, setup),
		cmocka_unit_test_setup(lookup_bad_slot, setup),
		cmocka_unit_test_setup(lookup_empty, setup),
		cmocka_unit_test_setup(lookup_wrong_type, setup),
		cmocka_unit_test_setup(lookup_no_right, setup),
		cmocka_unit_test_setup(clear_empties, setup),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
