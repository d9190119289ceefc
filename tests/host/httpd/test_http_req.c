/* Host tests for libhttp's request parser: good heads, every refusal with its status, cuts. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "http_req.h"

static struct http_req req;

static int parse(const char *text)
{
	return http_req_parse(text, strlen(text), &req);
}

/* The ordinary request curl sends: persistent, no body, the whole buffer is the head. */
static void test_get(void **state)
{
	(void)state;
	const char *t = "GET / HTTP/1.1\r\nHost: 127.0.0.1:8080\r\nUser-Agent: curl/7.88.1\r\n"
			"Accept: */*\r\n\r\n";
	assert_int_equal(parse(t), HTTP_REQ_DONE);
	assert_int_equal(req.method, HTTP_GET);
	assert_string_equal(req.target, "/");
	assert_int_equal(req.minor, 1);
	assert_true(req.keep_alive);
	assert_int_equal(req.head_len, strlen(t));
	assert_int_equal(req.body_len, 0);
}

/* HEAD, another method (case matters), a query, a body length, bare LF line ends. */
static void test_methods_and_bodies(void **state)
{
	(void)state;
	assert_int_equal(parse("HEAD /x?y=1 HTTP/1.1\nHost: a\n\n"), HTTP_REQ_DONE);
	assert_int_equal(req.method, HTTP_HEAD);
	assert_string_equal(req.target, "/x?y=1");
	assert_int_equal(req.head_len, strlen("HEAD /x?y=1 HTTP/1.1\nHost: a\n\n"));
	assert_int_equal(parse("get / HTTP/1.1\r\nHost: a\r\n\r\n"), HTTP_REQ_DONE);
	assert_int_equal(req.method, HTTP_OTHER);
	assert_string_equal(req.method_name, "get");
	assert_int_equal(parse("DELETE / HTTP/1.1\r\nHost: a\r\n\r\n"), HTTP_REQ_DONE);
	assert_int_equal(req.method, HTTP_OTHER);
	assert_string_equal(req.method_name, "DELETE");
	assert_int_equal(parse("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n"
	                       "content-length:5\r\n\r\nhello"),
	                 HTTP_REQ_DONE);
	assert_int_equal(req.method, HTTP_POST);
	assert_string_equal(req.method_name, "POST");
	assert_int_equal(req.body_len, 5);
	assert_int_equal(req.head_len, strlen("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n"
	                                      "content-length:5\r\n\r\n"));
}

/* Persistence: 1.1 by default, "close" anywhere in the list ends it; 1.0 only on request. */
static void test_persistence(void **state)
{
	(void)state;
	assert_int_equal(parse("GET / HTTP/1.1\r\nHost: a\r\nConnection: foo, Close\r\n\r\n"), 0);
	assert_false(req.keep_alive);
	assert_int_equal(parse("GET / HTTP/1.0\r\n\r\n"), HTTP_REQ_DONE);
	assert_int_equal(req.minor, 0);
	assert_false(req.keep_alive);
	assert_int_equal(parse("GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n"), 0);
	assert_true(req.keep_alive);
	assert_int_equal(parse("\r\n\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\n"), 0);
	assert_true(req.keep_alive);
}

/* A request followed by the next one: only the first head is taken. */
static void test_pipelined(void **state)
{
	(void)state;
	const char *one = "GET /a HTTP/1.1\r\nHost: a\r\n\r\n";
	char two[128];
	snprintf(two, sizeof(two), "%sGET /b HTTP/1.1\r\nHost: a\r\n\r\n", one);
	assert_int_equal(parse(two), HTTP_REQ_DONE);
	assert_string_equal(req.target, "/a");
	assert_int_equal(req.head_len, strlen(one));
	assert_int_equal(parse(two + req.head_len), HTTP_REQ_DONE);
	assert_string_equal(req.target, "/b");
}

/* Cut anywhere before its empty line, a good head is "more"; whole, it is done. */
static void test_every_cut(void **state)
{
	(void)state;
	const char *t = "GET /status HTTP/1.1\r\nHost: example\r\nConnection: close\r\n\r\n";
	size_t n = strlen(t);
	for (size_t cut = 0; cut < n; cut++)
		assert_int_equal(http_req_parse(t, cut, &req), HTTP_REQ_MORE);
	assert_int_equal(http_req_parse(t, n, &req), HTTP_REQ_DONE);
}

static const struct bad {
	const char *what, *text;
	int status;
} bad[] = {
	{"no Host in 1.1", "GET / HTTP/1.1\r\n\r\n", 400},
	{"two Hosts", "GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", 400},
	{"space before the colon", "GET / HTTP/1.1\r\nHost : a\r\n\r\n", 400},
	{"empty field name", "GET / HTTP/1.1\r\nHost: a\r\n: x\r\n\r\n", 400},
	{"no colon", "GET / HTTP/1.1\r\nHost a\r\n\r\n", 400},
	{"obs-fold", "GET / HTTP/1.1\r\nHost: a\r\nX: 1\r\n 2\r\n\r\n", 400},
	{"bare CR", "GET / HTTP/1.1\rHost: a\r\n\r\n", 400},
	{"control byte in a value", "GET / HTTP/1.1\r\nHost: a\x01\r\n\r\n", 400},
	{"two spaces", "GET  / HTTP/1.1\r\nHost: a\r\n\r\n", 400},
	{"no version", "GET /\r\nHost: a\r\n\r\n", 400},
	{"trailing junk after the version", "GET / HTTP/1.1x\r\nHost: a\r\n\r\n", 400},
	{"lower-case version", "GET / http/1.1\r\nHost: a\r\n\r\n", 400},
	{"HTTP/2.0", "GET / HTTP/2.0\r\nHost: a\r\n\r\n", 505},
	{"HTTP/0.9", "GET / HTTP/0.9\r\n\r\n", 505},
	{"no method", " / HTTP/1.1\r\nHost: a\r\n\r\n", 400},
	{"method too long", "GETGETGETGETGETGET / HTTP/1.1\r\nHost: a\r\n\r\n", 400},
	{"absolute target", "GET http://a/ HTTP/1.1\r\nHost: a\r\n\r\n", 400},
	{"control byte in the target", "GET /\x7f HTTP/1.1\r\nHost: a\r\n\r\n", 400},
	{"Content-Length not a number", "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 1e3\r\n\r\n",
         400},
	{"Content-Length empty", "POST / HTTP/1.1\r\nHost: a\r\nContent-Length:\r\n\r\n", 400},
	{"Content-Length negative", "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: -1\r\n\r\n",
         400},
	{"two different lengths",
         "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n", 400},
	{"body too large", "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 65537\r\n\r\n", 413},
	{"length past 64 bits",
         "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 99999999999999999999999\r\n\r\n", 413},
	{"chunked", "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n", 501},
	{"chunked and a length",
         "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n",
         400},
	{"a bad request line before the head ends", "GET / HTTP/1.1 x\r\nHost: a", 400},
};

/* Each malformed or oversized head gets its own status. */
static void test_refusals(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int got = parse(bad[i].text);
		if (got != bad[i].status)
			fail_msg("%s: status %d, expected %d", bad[i].what, got, bad[i].status);
	}
}

/* The limits: the head (431 only once HTTP_HEAD_MAX bytes came without its end), the target. */
static void test_limits(void **state)
{
	(void)state;
	static char big[HTTP_HEAD_MAX + 64];
	int n = snprintf(big, sizeof(big), "GET / HTTP/1.1\r\nHost: a\r\nX-Pad: ");

	memset(big + n, 'x', sizeof(big) - (size_t)n); /* over the NUL: a head, not a string */
	assert_int_equal(http_req_parse(big, HTTP_HEAD_MAX - 1u, &req), HTTP_REQ_MORE);
	assert_int_equal(http_req_parse(big, HTTP_HEAD_MAX, &req), 431);
	assert_int_equal(http_req_parse(big, sizeof(big), &req), 431);
	/* Exactly HTTP_HEAD_MAX bytes with the empty line at their end: accepted. */
	big[HTTP_HEAD_MAX - 4u] = big[HTTP_HEAD_MAX - 2u] = '\r';
	big[HTTP_HEAD_MAX - 3u] = big[HTTP_HEAD_MAX - 1u] = '\n';
	assert_int_equal(http_req_parse(big, sizeof(big), &req), HTTP_REQ_DONE);
	assert_int_equal(req.head_len, HTTP_HEAD_MAX);

	char path[HTTP_TARGET_MAX + 2], t[HTTP_TARGET_MAX + 64];
	memset(path, 'a', sizeof(path));
	path[0] = '/';
	path[HTTP_TARGET_MAX] = '\0';
	snprintf(t, sizeof(t), "GET %s HTTP/1.1\r\nHost: a\r\n\r\n", path);
	assert_int_equal(parse(t), HTTP_REQ_DONE);
	assert_int_equal(strlen(req.target), HTTP_TARGET_MAX);
	path[HTTP_TARGET_MAX] = 'a';
	path[HTTP_TARGET_MAX + 1] = '\0';
	snprintf(t, sizeof(t), "GET %s HTTP/1.1\r\nHost: a\r\n\r\n", path);
	assert_int_equal(parse(t), 414);
	assert_int_equal(parse("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 65536\r\n\r\n"), 0);
	assert_int_equal(req.body_len, HTTP_BODY_MAX);
}

static void test_reasons(void **state)
{
	(void)state;
	assert_string_equal(http_req_reason(200), "OK");
	assert_string_equal(http_req_reason(431), "Request Header Fields Too Large");
	assert_string_equal(http_req_reason(999), "Error");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_get),         cmocka_unit_test(test_methods_and_bodies),
		cmocka_unit_test(test_persistence), cmocka_unit_test(test_pipelined),
		cmocka_unit_test(test_every_cut),   cmocka_unit_test(test_refusals),
		cmocka_unit_test(test_limits),      cmocka_unit_test(test_reasons),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
