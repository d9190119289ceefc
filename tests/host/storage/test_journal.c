/* Host tests for the journal's records: CRC-32, intact, torn and stale records, replay count. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "journal_rec.h"

static void test_crc32_vector(void **state)
{
	(void)state;
	assert_int_equal(jrec_crc32("123456789", 9), 0xcbf43926u); /* the standard check value */
	assert_int_equal(jrec_crc32("", 0), 0);
}

static void test_make_and_check(void **state)
{
	(void)state;
	struct jrec r;

	jrec_make(&r, 41, "hello");
	assert_true(jrec_intact(&r, 41));
	assert_false(jrec_intact(&r, 40)); /* a record of another place: stale */
	assert_int_equal(r.len, 5);
	assert_memory_equal(r.text, "hello", 5);
}

/* Every single byte changed anywhere in the record (a torn write) makes it not intact. */
static void test_torn(void **state)
{
	(void)state;
	struct jrec r;
	uint8_t b[JREC_SIZE];

	jrec_make(&r, 7, "a record that will be torn");
	for (uint32_t i = 0; i < JREC_SIZE; i++) {
		memcpy(b, &r, sizeof(b));
		b[i] ^= 0x40;
		if (jrec_intact(b, 7))
			fail_msg("a record with byte %u changed was taken as intact", i);
	}
	memset(b, 0, sizeof(b)); /* a sector never written */
	assert_false(jrec_intact(b, 0));
}

static void test_count(void **state)
{
	(void)state;
	static struct jrec recs[6];

	for (uint64_t i = 0; i < 6; i++)
		jrec_make(&recs[i], 10 + i, "x");
	assert_int_equal(jrec_count(recs, 6, 10), 6);
	assert_int_equal(jrec_count(recs, 6, 11), 0);
	assert_int_equal(jrec_count(recs, 3, 10), 3);
	recs[4].text[0] = 'y'; /* torn: the replay stops before it */
	assert_int_equal(jrec_count(recs, 6, 10), 4);
}

/* A record whose first half was written over an older sector (what a power cut can leave):
 * magic, length and sequence are right, the CRC is not. */
static void test_half_written(void **state)
{
	(void)state;
	struct jrec old;
	struct jrec fresh;
	uint8_t b[JREC_SIZE];

	jrec_make(&old, 3, "an older record of another place");
	jrec_make(&fresh, 9, "the record the cut interrupted");
	memcpy(b, &fresh, JREC_SIZE / 2);
	memcpy(b + JREC_SIZE / 2, (const uint8_t *)&old + JREC_SIZE / 2, JREC_SIZE / 2);
	assert_false(jrec_intact(b, 9));
	memset(b + JREC_SIZE / 2, 0, JREC_SIZE / 2); /* over a sector never written */
	assert_false(jrec_intact(b, 9));
}

/* The replay stops at a stale record (intact, but of an older sequence), at a bad magic and
 * at a record with an impossible length, each with a correct CRC. */
static void test_count_stops(void **state)
{
	(void)state;
	static struct jrec recs[4];

	for (uint64_t i = 0; i < 4; i++)
		jrec_make(&recs[i], i, "x");
	jrec_make(&recs[2], 1, "x"); /* stale: sequence 1 in the place of 2 */
	assert_int_equal(jrec_count(recs, 4, 0), 2);
	jrec_make(&recs[2], 2, "x");
	recs[2].magic ^= 1u;
	recs[2].crc = jrec_crc32(&recs[2], offsetof(struct jrec, crc));
	assert_int_equal(jrec_count(recs, 4, 0), 2);
	jrec_make(&recs[2], 2, "x");
	recs[2].len = JREC_TEXT + 1;
	recs[2].crc = jrec_crc32(&recs[2], offsetof(struct jrec, crc));
	assert_int_equal(jrec_count(recs, 4, 0), 2);
	jrec_make(&recs[2], 2, "x");
	assert_int_equal(jrec_count(recs, 4, 0), 4);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_crc32_vector), cmocka_unit_test(test_make_and_check),
		cmocka_unit_test(test_torn),         cmocka_unit_test(test_count),
		cmocka_unit_test(test_half_written), cmocka_unit_test(test_count_stops),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
