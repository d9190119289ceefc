/* Host tests of the console's tail page: the writer keeps the last lines, the reader trusts none of it. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "ctl_tail.h"
#include "tail.h"

#define REGION (64u + 4u * sizeof(struct tail_source))

static _Alignas(64) uint8_t region[REGION];

struct got {
	unsigned n;
	char lines[TAIL_LINES][TAIL_TEXT + 1];
};

static void collect(void *ctx, const char *text, size_t len)
{
	struct got *g = ctx;

	assert_true(len <= TAIL_TEXT);
	memcpy(g->lines[g->n], text, len);
	g->lines[g->n][len] = '\0';
	g->n++;
}

static void put(struct tail_source *s, const char *text)
{
	tail_put(s, text, strlen(text));
}

static int setup(void **state)
{
	(void)state;
	memset(region, 0xa5, sizeof(region));
	tail_open(region, sizeof(region));
	return 0;
}

static void keeps_the_last_lines_per_domain(void **state)
{
	struct tail_source *a = tail_source_for("counter"), *b = tail_source_for("echo");
	struct got g = {0};
	char text[32];

	(void)state;
	assert_non_null(a);
	assert_non_null(b);
	assert_ptr_equal(tail_source_for("counter"), a);
	for (int i = 0; i < 100; i++) {
		snprintf(text, sizeof(text), "count %d", i);
		put(a, text);
	}
	put(b, "echo line");
	assert_int_equal(ctl_tail_read(region, sizeof(region), "counter", 3, collect, &g), 3);
	assert_string_equal(g.lines[0], "count 97");
	assert_string_equal(g.lines[2], "count 99");
	g.n = 0;
	assert_int_equal(ctl_tail_read(region, sizeof(region), "counter", 500, collect, &g),
	                 TAIL_LINES);
	assert_string_equal(g.lines[0], "count 36");
	g.n = 0;
	assert_int_equal(ctl_tail_read(region, sizeof(region), "echo", 20, collect, &g), 1);
	assert_string_equal(g.lines[0], "echo line");
	assert_int_equal(ctl_tail_read(region, sizeof(region), "ech", 20, collect, &g), 0);
	assert_int_equal(ctl_tail_read(region, sizeof(region), "nobody", 20, collect, &g), 0);
}

static void cuts_long_lines_and_stops_when_full(void **state)
{
	char longl[300];
	struct got g = {0};

	(void)state;
	memset(longl, 'x', sizeof(longl) - 1);
	longl[sizeof(longl) - 1] = '\0';
	put(tail_source_for("a"), longl);
	assert_non_null(tail_source_for("b"));
	assert_non_null(tail_source_for("c"));
	assert_non_null(tail_source_for("d"));
	assert_null(tail_source_for("e")); /* four fit the region */
	tail_put(NULL, "ignored", 7);
	assert_int_equal(ctl_tail_read(region, sizeof(region), "a", 1, collect, &g), 1);
	assert_int_equal(strlen(g.lines[0]), TAIL_TEXT);
}

static void reader_distrusts_the_page(void **state)
{
	struct tail_page *p = (struct tail_page *)region;
	struct tail_source *s = tail_source_for("evil");
	struct got g = {0};

	(void)state;
	put(s, "fine");
	s->lines[0].len = 0xffffffffu;          /* impossible length: clamped */
	s->lines[0].text[3] = '\x1b';           /* escape byte: replaced */
	p->n_sources = 0x7fffffffu;             /* more sources than fit: only those that fit */
	memset(p->src[1].name, 'n', TAIL_NAME); /* a name without NUL never matches past 32 */
	assert_int_equal(ctl_tail_read(region, sizeof(region), "evil", 5, collect, &g), 1);
	assert_int_equal(strlen(g.lines[0]), TAIL_TEXT);
	assert_int_equal(g.lines[0][3], '?');
	s->seq = UINT64_MAX - 1; /* a huge count: still at most the lines asked */
	g.n = 0;
	assert_int_equal(ctl_tail_read(region, sizeof(region), "evil", 5, collect, &g), 5);
	p->magic = 0; /* not set up: nothing */
	assert_int_equal(ctl_tail_read(region, sizeof(region), "evil", 5, collect, &g), 0);
	assert_int_equal(ctl_tail_read(NULL, sizeof(region), "evil", 5, collect, &g), 0);
	assert_int_equal(ctl_tail_read(region, 63, "evil", 5, collect, &g), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(keeps_the_last_lines_per_domain, setup),
		cmocka_unit_test_setup(cuts_long_lines_and_stops_when_full, setup),
		cmocka_unit_test_setup(reader_distrusts_the_page, setup),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
