/* Host tests for the control domain's JSON: the reader's accepts and refusals, the writer. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include <ctl_json.h>

static struct ctl_json_tok tokens[CTL_JSON_TOKENS];
static struct ctl_json_doc doc;

static const char *parse(const char *s)
{
	ctl_json_init(&doc, tokens, CTL_JSON_TOKENS);
	return ctl_json_parse(&doc, s, strlen(s));
}

/* Well-formed values of every kind, white space, nesting up to the limit. */
static void test_accepts(void **state)
{
	static const char *const good[] = {
		"{}",
		"[]",
		" {\"image\" : 1} ",
		"\t\r\n[1,-2,3.5,-0.0e+7,1E-2,0]\n",
		"\"\"",
		"0",
		"-0",
		"true",
		"false",
		"null",
		"{\"a\":{\"b\":[true,false,null,\"x\"]}}",
		"\"\\\"\\\\\\/\\b\\f\\n\\r\\t\\u0041\\u00e9\\ud83d\\ude00\"",
		"\"\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\xf4\x8f\xbf\xbf\"",
		"[[[[[[[[1]]]]]]]]",
		"18446744073709551616",
	};
	(void)state;

	for (size_t k = 0; k < sizeof(good) / sizeof(good[0]); k++) {
		const char *why = parse(good[k]);
		if (why)
			fail_msg("%s refused: %s at %u", good[k], why, doc.err_at);
		assert_true(doc.n >= 1);
		assert_int_equal(doc.tok[0].next, doc.n);
	}
	assert_null(parse("{\"a\":1,\"b\":[1,2],\"c\":{}}"));
	assert_int_equal(doc.tok[0].count, 3);
	assert_int_equal(doc.tok[4].type, CTL_JSON_ARRAY);
	assert_int_equal(doc.tok[4].count, 2);
	assert_int_equal(doc.tok[4].next, 7);
}

/* Every kind of malformed input, with where it went wrong. */
static void test_refusals(void **state)
{
	static const struct {
		const char *text;
		uint32_t at;
	} bad[] = {
		{"", 0},
		{" ", 1},
		{"{", 1},
		{"{\"a\"}", 4},
		{"{\"a\":}", 5},
		{"{\"a\":1,}", 7},
		{"[1,]", 3},
		{"[1 2]", 3},
		{"{a:1}", 1},
		{"{'a':1}", 1},
		{"01", 1},
		{"1.", 2},
		{".5", 0},
		{"-", 1},
		{"1e", 2},
		{"+1", 0},
		{"tru", 0},
		{"nul", 0},
		{"True", 0},
		{"\"abc", 4},
		{"\"a\nb\"", 2},
		{"\"\\x\"", 1},
		{"\"\\u12\"", 1},
		{"\"\\ud800\"", 7},
		{"\"\\udc00\"", 1},
		{"\"\\ud800\\u0041\"", 7},
		{"\"\xff\"", 1},
		{"\"\xc0\xaf\"", 1},
		{"\"\xed\xa0\x80\"", 1},
		{"\"\xf4\x90\x80\x80\"", 1},
		{"\"\xe2\x82\"", 1},
		{"{} {}", 3},
		{"1 x", 2},
		{"[[[[[[[[[1]]]]]]]]]", 8},
		{"NaN", 0},
		{"[1]]", 3},
	};
	(void)state;

	for (size_t k = 0; k < sizeof(bad) / sizeof(bad[0]); k++) {
		if (!parse(bad[k].text))
			fail_msg("%s accepted", bad[k].text);
		if (doc.err_at != bad[k].at)
			fail_msg("%s: refused at %u, not %u", bad[k].text, doc.err_at, bad[k].at);
	}
	assert_string_equal(parse("\"a\" x"), "something follows the value");
	assert_string_equal(parse("[[[[[[[[[]]]]]]]]]"), "nested too deep (at most 8 levels)");
	ctl_json_init(&doc, tokens, CTL_JSON_TOKENS);
	assert_non_null(ctl_json_parse(&doc, "\"a\0b\"", 5)); /* a NUL inside a string */
}

/* At most CTL_JSON_TOKENS values. */
static void test_token_limit(void **state)
{
	char text[512];
	size_t n = 0;
	(void)state;

	text[n++] = '[';
	for (unsigned k = 0; k < CTL_JSON_TOKENS - 1u; k++)
		n += (size_t)snprintf(text + n, sizeof(text) - n, k ? ",%u" : "%u", k % 10u);
	text[n++] = ']';
	text[n] = '\0';
	assert_null(parse(text));
	assert_int_equal(doc.n, CTL_JSON_TOKENS);
	memmove(text + 3, text + 1, n);
	memcpy(text + 1, "1,", 2);
	assert_string_equal(parse(text), "too many values");
}

/* Strings decode to UTF-8, escapes and surrogate pairs resolved; numbers as whole numbers. */
static void test_decode(void **state)
{
	char out[64];
	uint64_t v;
	uint32_t val;
	(void)state;

	assert_null(parse("[\"a\\u00e9\\u20ac\\ud83d\\ude00\\n\\/\\u0000z\",1,18446744073709551615,"
	                  "18446744073709551616,1.0,-1,\"\\\"\"]"));
	size_t n = ctl_json_text(&doc, 1, out, sizeof(out));
	assert_int_equal(n, 14);
	assert_memory_equal(out, "a\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\n/\0z", 14);
	assert_int_equal(ctl_json_text(&doc, 1, out, 14), SIZE_MAX); /* no room for the NUL */
	assert_int_equal(ctl_json_text(&doc, 2, out, sizeof(out)), SIZE_MAX); /* a number */
	assert_true(ctl_json_u64(&doc, 2, &v) && v == 1);
	assert_true(ctl_json_u64(&doc, 3, &v) && v == UINT64_MAX);
	assert_false(ctl_json_u64(&doc, 4, &v));
	assert_false(ctl_json_u64(&doc, 5, &v));
	assert_false(ctl_json_u64(&doc, 6, &v));
	assert_false(ctl_json_u64(&doc, 1, &v));
	assert_int_equal(ctl_json_text(&doc, 7, out, sizeof(out)), 1);
	assert_string_equal(out, "\"");
	assert_null(parse("{\"im\\u0061ge\":7,\"x\":{\"image\":8},\"image\":9}"));
	assert_int_equal(ctl_json_member(&doc, 0, "image", &val), 2);
	assert_true(ctl_json_u64(&doc, val, &v) && v == 7);
	assert_int_equal(ctl_json_member(&doc, 0, "none", &val), 0);
	assert_int_equal(val, CTL_JSON_NONE);
}

/* The writer: every byte value, alone and in sequences, gives JSON that reads back. */
static void test_writer(void **state)
{
	char out[4096], back[1024];
	struct ctl_buf b;
	(void)state;

	for (unsigned c = 0; c < 256; c++) {
		char in = (char)c;
		ctl_buf_init(&b, out, sizeof(out));
		ctl_json_string(&b, &in, 1);
		assert_false(b.full);
		ctl_json_init(&doc, tokens, CTL_JSON_TOKENS);
		const char *why = ctl_json_parse(&doc, out, b.len);
		if (why)
			fail_msg("byte %u: %s gives %s", c, out, why);
		size_t n = ctl_json_text(&doc, 0, back, sizeof(back));
		if (c < 0x80)
			assert_true(n == 1 && back[0] == in);
		else
			assert_true(n == 3 && memcmp(back, "\xef\xbf\xbd", 3) == 0);
	}
	ctl_buf_init(&b, out, sizeof(out));
	ctl_json_string(&b, "\"\\\n\r\t\x01\x7f\xc3\xa9", 9);
	assert_string_equal(out, "\"\\\"\\\\\\n\\r\\t\\u0001\\u007f\xc3\xa9\"");
	ctl_buf_init(&b, out, 8);
	ctl_json_string(&b, "abcdefgh", 8);
	assert_true(b.full);
	assert_true(b.len < 8);
}

/* The bounded buffer: all or nothing, numbers, rewind. */
static void test_buf(void **state)
{
	char out[16];
	struct ctl_buf b;
	(void)state;

	ctl_buf_init(&b, out, sizeof(out));
	ctl_buf_u64(&b, 0);
	ctl_buf_i64(&b, INT64_MIN);
	assert_true(b.full);
	assert_string_equal(out, "0-");
	ctl_buf_rewind(&b, 1);
	assert_false(b.full);
	ctl_buf_hex(&b, 0x401234);
	ctl_buf_i64(&b, -5);
	assert_string_equal(out, "00x401234-5");
	ctl_buf_puts(&b, "1234");
	assert_false(b.full);
	ctl_buf_puts(&b, "x");
	assert_true(b.full);
	assert_int_equal(strlen(out), 15);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_accepts),     cmocka_unit_test(test_refusals),
		cmocka_unit_test(test_token_limit), cmocka_unit_test(test_decode),
		cmocka_unit_test(test_writer),      cmocka_unit_test(test_buf),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
