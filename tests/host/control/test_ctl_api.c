/* Host tests for the control domain's API: every endpoint, role, status, audit line, metrics. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include <bulkhead/abi/caps.h>
#include <bulkhead/abi/hypercall.h>

#include <ctl_api.h>
#include <ctl_json.h>
#include <ctl_role.h>

#include "ctl_fake.h"

static struct fake f;
static struct ctl_api api;
static char reply_buf[CTL_REPLY_MAX];
static struct ctl_reply rep;
static struct ctl_json_tok tokens[4096];
static struct ctl_json_doc doc; /* the last JSON answer */

/* The JSON answer is one valid value (checked with the project's own reader). */
static void check_json(void)
{
	const char *why = ctl_json_parse(&doc, rep.body, rep.len);

	if (why)
		fail_msg("invalid JSON (%s at %u): %s", why, doc.err_at, rep.body);
	assert_int_equal(doc.tok[0].type, CTL_JSON_OBJECT);
}

/* Every answer: a counted status, the body in bounds, the audit line's shape. */
static void check_reply(void)
{
	bool known = false;

	for (unsigned c = 0; c < CTL_CODES; c++)
		known |= ctl_api_codes[c] == rep.status;
	assert_true(known);
	assert_true(rep.len < rep.cap);
	assert_int_equal(strlen(rep.body), rep.len);
	assert_int_equal(strncmp(rep.audit, "audit: ", 7), 0);
	for (const char *c = rep.audit; *c; c++)
		assert_true(*c >= 0x20 && *c < 0x7f);
	assert_true((rep.status == 405) == (rep.allow != NULL));
	if (strcmp(rep.content_type, "application/json") == 0)
		check_json();
	else
		assert_string_equal(rep.content_type, "text/plain; version=0.0.4");
}

/* Sends "METHOD TARGET" with @body (NULL: no body) as @user in @role. Returns: the status. */
static int call_as(const char *user, enum ctl_role role, const char *method, const char *target,
                   const char *body)
{
	static char raw[8192];
	struct http_req req;
	struct ctl_caller who = {.role = role};
	size_t blen = body ? strlen(body) : 0;

	snprintf(who.user, sizeof(who.user), "%s", user);
	int n = snprintf(raw, sizeof(raw), "%s %s HTTP/1.1\r\nHost: bulkhead\r\n%s%zu\r\n\r\n%s",
	                 method, target, "Content-Length: ", blen, body ? body : "");
	assert_true(n > 0 && (size_t)n < sizeof(raw));
	assert_int_equal(http_req_parse(raw, (size_t)n, &req), HTTP_REQ_DONE);
	rep.body = reply_buf;
	rep.cap = sizeof(reply_buf);
	ctl_api_handle(&api, &who, &req, raw + req.head_len, req.body_len, &rep);
	check_reply();
	return rep.status;
}

static int call(enum ctl_role role, const char *method, const char *target, const char *body)
{
	return call_as("alice", role, method, target, body);
}

/* The decoded string member @key of object token @obj of the last answer. */
static const char *str_at(uint32_t obj, const char *key)
{
	static char text[1024];
	uint32_t v;

	assert_int_equal(ctl_json_member(&doc, obj, key, &v), 1);
	assert_true(ctl_json_text(&doc, v, text, sizeof(text)) != SIZE_MAX);
	return text;
}

static uint64_t num_at(uint32_t obj, const char *key)
{
	uint32_t v;
	uint64_t x;

	assert_int_equal(ctl_json_member(&doc, obj, key, &v), 1);
	assert_true(ctl_json_u64(&doc, v, &x));
	return x;
}

/* The token of element @k of array token @arr. */
static uint32_t elem(uint32_t arr, uint32_t k)
{
	uint32_t t = arr + 1;

	assert_true(k < doc.tok[arr].count);
	while (k--)
		t = doc.tok[t].next;
	return t;
}

static uint32_t member(uint32_t obj, const char *key)
{
	uint32_t v;

	assert_int_equal(ctl_json_member(&doc, obj, key, &v), 1);
	return v;
}

/* The error text of the last answer. */
static const char *error_text(void)
{
	return str_at(0, "error");
}

static int setup(void **state)
{
	(void)state;
	ctl_json_init(&doc, tokens, sizeof(tokens) / sizeof(tokens[0]));
	ctl_fake_init(&f);
	ctl_api_init(&api, &f.be);
	return 0;
}

/* GET /domains: the system, every domain in order, state and reason words, rights. */
static void test_list(void **state)
{
	static const char *const names[] = {"counter", "worker", "crashy",
	                                    "done",    "gone",   "absent"};
	static const char *const states[] = {"running", "waiting", "faulted",
	                                     "stopped", "stopped", "stopped"};
	static const char *const reasons[] = {"",
	                                      "",
	                                      "page fault at rip 0x401234",
	                                      "exited (code 1)",
	                                      "destroyed",
	                                      "never started (device absent)"};
	(void)state;

	assert_int_equal(call(CTL_ROLE_READER, "GET", "/domains", NULL), 200);
	assert_string_equal(str_at(0, "system"), "demo");
	uint32_t arr = member(0, "domains");
	assert_int_equal(doc.tok[arr].count, 6);
	for (uint32_t k = 0; k < 6; k++) {
		uint32_t d = elem(arr, k);
		assert_string_equal(str_at(d, "name"), names[k]);
		assert_string_equal(str_at(d, "state"), states[k]);
		assert_string_equal(str_at(d, "reason"), reasons[k]);
		assert_int_equal(ctl_json_member(&doc, d, "stats", &(uint32_t){0}), 0);
	}
	assert_non_null(strstr(rep.body,
	                       "{\"name\":\"worker\",\"state\":\"waiting\",\"reason\":\"\","
	                       "\"generation\":0,\"image\":0,\"restarts\":0,"
	                       "\"rights\":[\"stop\",\"resume\",\"restart\"]}"));
	assert_non_null(strstr(rep.body, "\"rights\":[\"stop\",\"resume\",\"restart\",\"replace\","
	                                 "\"faults\",\"destroy\",\"read-memory\",\"write-memory\","
	                                 "\"vcpu\"]"));
	uint32_t crashy = elem(arr, 2);
	assert_int_equal(num_at(crashy, "generation"), 3);
	assert_int_equal(num_at(crashy, "image"), 1);
	assert_int_equal(num_at(crashy, "restarts"), 3);
	assert_int_equal(f.ops, 0);
}

/* GET /domains/NAME: D with its stats; a paused one, and a restore under way. */
static void test_domain(void **state)
{
	(void)state;
	assert_int_equal(call(CTL_ROLE_READER, "GET", "/domains/counter", NULL), 200);
	assert_string_equal(str_at(0, "name"), "counter");
	assert_non_null(strstr(rep.body, ",\"stats\":{\"cycles\":123456789,\"overruns\":2,"
	                                 "\"faults\":0,\"restarts\":0,\"signals_sent\":11,"
	                                 "\"signals_received\":12,\"ring_sent\":13,"
	                                 "\"ring_received\":14}}"));
	ctl_fake_set_state(&f.d[0], BH_DSTATE_STOPPED);
	assert_int_equal(call(CTL_ROLE_READER, "GET", "/domains/counter", NULL), 200);
	assert_string_equal(str_at(0, "state"), "paused");
	assert_string_equal(str_at(0, "reason"), "paused by a controller");
	f.d[0].underway = CTL_OP_RESTORE;
	assert_int_equal(call(CTL_ROLE_READER, "GET", "/domains/counter", NULL), 200);
	assert_string_equal(str_at(0, "state"), "restarting");
	f.d[2].has_rip = false;
	f.d[2].stats.last_code = 99;
	assert_int_equal(call(CTL_ROLE_READER, "GET", "/domains/crashy", NULL), 200);
	assert_string_equal(str_at(0, "reason"), "fault (vector 99)");
	ctl_fake_set_state(&f.d[3], BH_DSTATE_EXITED);
	f.d[3].stats.last_code = (uint64_t)-3;
	assert_int_equal(call(CTL_ROLE_READER, "GET", "/domains/done", NULL), 200);
	assert_string_equal(str_at(0, "reason"), "exited (code -3)");
}

/* Console: the default, ?lines=, the limits. */
static void test_console(void **state)
{
	static const char *const bad[] = {
		"lines=0",
		"lines=65",
		"lines=",
		"lines=-1",
		"lines=+5",
		"lines=5x",
		"lines=1&lines=2",
		"line=5",
		"lines=99999999999999999999",
		"x",
		"lines=5&x=1",
	};
	char target[128];
	(void)state;

	assert_int_equal(call(CTL_ROLE_READER, "GET", "/domains/counter/console", NULL), 200);
	assert_string_equal(str_at(0, "name"), "counter");
	uint32_t lines = member(0, "lines");
	assert_int_equal(doc.tok[lines].count, 20);
	assert_string_equal(str_at(0, "name"), "counter");
	assert_non_null(strstr(rep.body, "[\"tick 11\",\"tick 12\","));
	assert_non_null(strstr(rep.body, ",\"tick 30\"]}"));
	assert_int_equal(call(CTL_ROLE_READER, "GET", "/domains/counter/console?lines=3", NULL),
	                 200);
	assert_string_equal(rep.body, "{\"name\":\"counter\",\"lines\":[\"tick 28\",\"tick 29\","
	                              "\"tick 30\"]}");
	assert_int_equal(call(CTL_ROLE_READER, "GET", "/domains/counter/console?lines=64", NULL),
	                 200);
	assert_int_equal(doc.tok[member(0, "lines")].count, 30);
	assert_int_equal(call(CTL_ROLE_READER, "GET", "/domains/worker/console?lines=1", NULL),
	                 200);
	assert_string_equal(rep.body, "{\"name\":\"worker\",\"lines\":[]}");
	for (size_t k = 0; k < sizeof(bad) / sizeof(bad[0]); k++) {
		snprintf(target, sizeof(target), "/domains/counter/console?%s", bad[k]);
		assert_int_equal(call(CTL_ROLE_READER, "GET", target, NULL), 400);
	}
}

/* Console lines with every kind of byte come out as valid JSON that decodes as expected. */
static void test_console_escaping(void **state)
{
	static const char raw[] = "a\"b\\c\x01\x1f\x7f\t\n\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80"
				  "\xff\xc0\xaf\xed\xa0\x80\xe2\x82";
	static const char want[] = "a\"b\\c\x01\x1f\x7f\t\n\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80"
				   "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd"
				   "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd";
	static char with_nul[] = "nul\0after";
	char text[256];
	(void)state;

	f.d[1].lines[0] = raw;
	f.d[1].lines[1] = with_nul;
	f.d[1].line_len[1] = sizeof(with_nul) - 1u;
	f.d[1].nlines = 2;
	assert_int_equal(call(CTL_ROLE_READER, "GET", "/domains/worker/console", NULL), 200);
	uint32_t lines = member(0, "lines");
	assert_int_equal(ctl_json_text(&doc, elem(lines, 0), text, sizeof(text)), strlen(want));
	assert_memory_equal(text, want, strlen(want));
	assert_int_equal(ctl_json_text(&doc, elem(lines, 1), text, sizeof(text)), 9);
	assert_memory_equal(text, "nul\0after", 9);
	assert_non_null(strstr(rep.body, "a\\\"b\\\\c\\u0001\\u001f\\u007f\\t\\n"));
}

/* Lines that do not fit: fewer of them, the newest; a line is cut at CTL_LINE_MAX bytes. */
static void test_console_cut(void **state)
{
	static char longline[1000];
	static char small[3000];
	(void)state;

	memset(longline, 'x', sizeof(longline) - 1u);
	for (uint32_t k = 0; k < 64; k++)
		f.d[1].lines[k] = longline;
	f.d[1].lines[63] = "newest";
	f.d[1].nlines = 64;
	assert_int_equal(call(CTL_ROLE_READER, "GET", "/domains/worker/console?lines=64", NULL),
	                 200);
	uint32_t lines = member(0, "lines");
	assert_int_equal(doc.tok[lines].count, 64);
	assert_int_equal(doc.tok[elem(lines, 0)].len, CTL_LINE_MAX);
	rep.body = small;
	rep.cap = sizeof(small);
	struct http_req req;
	const char raw[] = "GET /domains/worker/console?lines=64 HTTP/1.1\r\nHost: a\r\n\r\n";
	assert_int_equal(http_req_parse(raw, sizeof(raw) - 1u, &req), HTTP_REQ_DONE);
	struct ctl_caller who = {.user = "r", .role = CTL_ROLE_READER};
	ctl_api_handle(&api, &who, &req, "", 0, &rep);
	check_reply();
	assert_int_equal(rep.status, 200);
	lines = member(0, "lines");
	assert_int_equal(doc.tok[lines].count, 8); /* 64, 32, 16 do not fit; 8 do */
	assert_non_null(strstr(rep.body, "\"newest\"]}"));
}

/* Every operation that succeeds: 200, its answer, what the backend was asked. */
static void test_operations(void **state)
{
	static const struct {
		const char *path, *body;
		enum ctl_op op;
		uint32_t arg;
		const char *answer;
	} cases[] = {
		{"/domains/counter/pause", NULL, CTL_OP_PAUSE, 0,
	         "{\"name\":\"counter\",\"op\":\"pause\",\"result\":\"ok\",\"state\":\"paused\"}"},
		{"/domains/counter/resume", "", CTL_OP_RESUME, 0,
	         "{\"name\":\"counter\",\"op\":\"resume\",\"result\":\"ok\",\"state\":\"running\"}"},
		{"/domains/counter/restart", "{}", CTL_OP_RESTART, 0,
	         "{\"name\":\"counter\",\"op\":\"restart\",\"result\":\"ok\",\"state\":\"running\"}"},
		{"/domains/counter/replace", NULL, CTL_OP_REPLACE, 1,
	         "{\"name\":\"counter\",\"op\":\"replace\",\"result\":\"ok\",\"state\":\"running\"}"},
		{"/domains/counter/replace", " {\"image\" : 2}\r\n", CTL_OP_REPLACE, 2,
	         "{\"name\":\"counter\",\"op\":\"replace\",\"result\":\"ok\",\"state\":\"running\"}"},
		{"/domains/counter/save", NULL, CTL_OP_SAVE, 0,
	         "{\"name\":\"counter\",\"op\":\"save\",\"result\":\"ok\",\"state\":\"paused\"}"},
		{"/domains/counter/restore", NULL, CTL_OP_RESTORE, 0,
	         "{\"name\":\"counter\",\"op\":\"restore\",\"result\":\"ok\",\"state\":\"running\"}"},
		{"/domains/counter/destroy", NULL, CTL_OP_DESTROY, 0,
	         "{\"name\":\"counter\",\"op\":\"destroy\",\"result\":\"ok\",\"state\":\"stopped\"}"},
	};
	(void)state;

	for (size_t k = 0; k < sizeof(cases) / sizeof(cases[0]); k++) {
		uint32_t ops = f.ops;
		assert_int_equal(call(CTL_ROLE_ADMIN, "POST", cases[k].path, cases[k].body), 200);
		assert_string_equal(rep.body, cases[k].answer);
		assert_int_equal(f.ops, ops + 1u);
		assert_int_equal(f.last_op, cases[k].op);
		assert_int_equal(f.last_dom, 0);
		assert_int_equal(f.last_arg, cases[k].arg);
	}
	assert_int_equal(call(CTL_ROLE_READER, "GET", "/domains/counter", NULL), 200);
	assert_int_equal(num_at(0, "generation"), 4); /* restart, 2 replaces, restore */
	assert_string_equal(str_at(0, "reason"), "destroyed");
}

/* The role table: every role against every endpoint. */
static void test_roles(void **state)
{
	static const struct {
		const char *method, *path;
		enum ctl_role least;
	} ends[] = {
		{"GET", "/domains", CTL_ROLE_READER},
		{"GET", "/domains/counter", CTL_ROLE_READER},
		{"GET", "/domains/counter/console", CTL_ROLE_READER},
		{"GET", "/metrics", CTL_ROLE_READER},
		{"POST", "/domains/counter/pause", CTL_ROLE_OPERATOR},
		{"POST", "/domains/counter/resume", CTL_ROLE_OPERATOR},
		{"POST", "/domains/counter/restart", CTL_ROLE_OPERATOR},
		{"POST", "/domains/counter/replace", CTL_ROLE_ADMIN},
		{"POST", "/domains/counter/destroy", CTL_ROLE_ADMIN},
		{"POST", "/domains/counter/save", CTL_ROLE_ADMIN},
		{"POST", "/domains/counter/restore", CTL_ROLE_ADMIN},
	};
	(void)state;

	for (int role = CTL_ROLE_NONE; role <= CTL_ROLE_ADMIN; role++) {
		for (size_t k = 0; k < sizeof(ends) / sizeof(ends[0]); k++) {
			setup(NULL);
			f.d[0].saved = true;
			if (strstr(ends[k].path, "resume"))
				ctl_fake_set_state(&f.d[0], BH_DSTATE_STOPPED);
			int want = role != CTL_ROLE_NONE && role >= (int)ends[k].least ? 200 : 403;
			int got = call((enum ctl_role)role, ends[k].method, ends[k].path, NULL);
			if (got != want)
				fail_msg("%s %s as %s: %d, not %d", ends[k].method, ends[k].path,
				         ctl_role_name((enum ctl_role)role), got, want);
			assert_int_equal(f.ops, want == 200 && ends[k].method[0] == 'P' ? 1 : 0);
		}
	}
	call(CTL_ROLE_OPERATOR, "POST", "/domains/counter/destroy", NULL);
	assert_string_equal(error_text(),
	                    "role operator may not destroy: destroy needs role admin");
	call(CTL_ROLE_NONE, "GET", "/nothing", NULL);
	assert_string_equal(
		error_text(),
		"your certificate names no role: its OU must be reader, operator or admin");
}

/* The manifest's rights bound every operation, whatever the role. */
static void test_manifest_rights(void **state)
{
	(void)state;
	assert_int_equal(call(CTL_ROLE_ADMIN, "POST", "/domains/worker/destroy", NULL), 403);
	assert_string_equal(error_text(),
	                    "the manifest gives control no `destroy` right on worker");
	assert_int_equal(call(CTL_ROLE_ADMIN, "POST", "/domains/worker/save", NULL), 403);
	assert_string_equal(error_text(), "the manifest gives control no `read-memory` right on "
	                                  "worker (save needs stop, read-memory, vcpu)");
	assert_int_equal(call(CTL_ROLE_ADMIN, "POST", "/domains/worker/replace", NULL), 403);
	f.d[0].rights = BH_RIGHT_STOP;
	assert_int_equal(call(CTL_ROLE_OPERATOR, "POST", "/domains/counter/resume", NULL), 403);
	assert_string_equal(error_text(),
	                    "the manifest gives control no `resume` right on counter");
	assert_int_equal(f.ops, 0);
	f.d[0].rights = 0x1ff;
	f.d[0].force = BH_ERR_NO_RIGHT; /* the kernel disagrees with the start-info page */
	assert_int_equal(call(CTL_ROLE_ADMIN, "POST", "/domains/counter/pause", NULL), 403);
	assert_string_equal(error_text(), "the manifest gives control no `stop` right on counter");
}

/* 404 and 405. */
static void test_not_found_and_method(void **state)
{
	static const char *const missing[] = {
		"/",
		"/domains/",
		"/domainsx",
		"/domains/count",
		"/domains/Counter",
		"/domains/counter2",
		"/domains/counter/",
		"/domains/counter/explode",
		"/domains/counter/console/x",
		"/metrics/",
		"/metrics/x",
		"/domains//pause",
		"/domains/counter/Pause",
		"/domains/counter/read",
	};
	(void)state;

	for (size_t k = 0; k < sizeof(missing) / sizeof(missing[0]); k++)
		if (call(CTL_ROLE_ADMIN, "GET", missing[k], NULL) != 404 &&
		    call(CTL_ROLE_ADMIN, "POST", missing[k], NULL) != 404)
			fail_msg("%s: %d, not 404", missing[k], rep.status);
	assert_int_equal(call(CTL_ROLE_ADMIN, "POST", "/domains/nobody/pause", NULL), 404);
	assert_string_equal(error_text(), "no domain named nobody (GET /domains lists them)");
	assert_int_equal(call(CTL_ROLE_ADMIN, "POST", "/domains", NULL), 405);
	assert_string_equal(rep.allow, "GET");
	assert_int_equal(call(CTL_ROLE_ADMIN, "GET", "/domains/counter/pause", NULL), 405);
	assert_string_equal(rep.allow, "POST");
	assert_string_equal(error_text(), "GET /domains/counter/pause: use POST");
	assert_int_equal(call(CTL_ROLE_ADMIN, "HEAD", "/metrics", NULL), 405);
	assert_int_equal(call(CTL_ROLE_ADMIN, "DELETE", "/domains/counter", NULL), 405);
	assert_int_equal(call(CTL_ROLE_ADMIN, "PUT", "/domains/counter/console", NULL), 405);
	assert_int_equal(f.ops, 0);
}

/* 409: the state forbids it, and the text says what to do. */
static void test_conflict(void **state)
{
	(void)state;
	assert_int_equal(call(CTL_ROLE_OPERATOR, "POST", "/domains/counter/resume", NULL), 409);
	assert_string_equal(error_text(), "counter is running; it runs already");
	assert_int_equal(call(CTL_ROLE_OPERATOR, "POST", "/domains/crashy/pause", NULL), 409);
	assert_string_equal(error_text(),
	                    "crashy is faulted (page fault at rip 0x401234); restart it first");
	assert_int_equal(call(CTL_ROLE_ADMIN, "POST", "/domains/gone/destroy", NULL), 409);
	assert_string_equal(error_text(), "gone is stopped (destroyed); restart it first");
	f.d[0].force = BH_ERR_STATE;
	assert_int_equal(call(CTL_ROLE_ADMIN, "POST", "/domains/counter/restore", NULL), 409);
	assert_string_equal(error_text(), "counter is running; pause it first");
	ctl_fake_set_state(&f.d[0], BH_DSTATE_STOPPED);
	assert_int_equal(call(CTL_ROLE_ADMIN, "POST", "/domains/counter/pause", NULL), 409);
	assert_string_equal(error_text(),
	                    "counter is paused (paused by a controller); it is paused "
	                    "already");
	f.d[0].force = BH_OK;
	assert_int_equal(call(CTL_ROLE_ADMIN, "POST", "/domains/counter/restore", NULL), 409);
	assert_string_equal(error_text(), "there is no saved state of counter; save it first");
	assert_int_equal(f.ops, 0);
}

/* 400: malformed bodies and queries; 413: a body over 4 KiB. */
static void test_bad_requests(void **state)
{
	static const char *const bodies[] = {
		"{",
		"[]",
		"1",
		"\"x\"",
		"{\"image\":1",
		"{\"image\":1}x",
		"{\"image\":0}",
		"{\"image\":256}",
		"{\"image\":1.5}",
		"{\"image\":\"1\"}",
		"{\"image\":-1}",
		"{\"image\":1,\"image\":2}",
		"{\"image\":1e0}",
		"{\"other\":1}",
		"{'image':1}",
		"{\"image\":18446744073709551617}",
		"{\"image\":null}",
	};
	static char big[CTL_BODY_MAX + 2];
	(void)state;

	for (size_t k = 0; k < sizeof(bodies) / sizeof(bodies[0]); k++)
		if (call(CTL_ROLE_ADMIN, "POST", "/domains/counter/replace", bodies[k]) != 400)
			fail_msg("%s: %d, not 400", bodies[k], rep.status);
	call(CTL_ROLE_ADMIN, "POST", "/domains/counter/replace", "{\"image\":1,");
	assert_string_equal(error_text(), "the body is not JSON: expected a member name in quotes "
	                                  "at byte 11");
	assert_int_equal(call(CTL_ROLE_ADMIN, "POST", "/domains/counter/pause", "{\"image\":1}"),
	                 400);
	assert_string_equal(error_text(), "unknown member \"image\": pause takes no members");
	assert_int_equal(call(CTL_ROLE_READER, "GET", "/domains", "{}"), 400);
	assert_int_equal(call(CTL_ROLE_READER, "GET", "/domains?all=1", NULL), 400);
	assert_int_equal(call(CTL_ROLE_READER, "GET", "/metrics?x", NULL), 400);
	assert_int_equal(call(CTL_ROLE_ADMIN, "POST", "/domains/counter/pause?now=1", NULL), 400);
	assert_int_equal(call(CTL_ROLE_READER, "GET", "/domains?", NULL), 200);
	assert_int_equal(f.ops, 0);
	memset(big, ' ', CTL_BODY_MAX);
	assert_int_equal(call(CTL_ROLE_ADMIN, "POST", "/domains/counter/pause", big), 200);
	big[CTL_BODY_MAX] = ' ';
	assert_int_equal(call(CTL_ROLE_ADMIN, "POST", "/domains/counter/pause", big), 413);
	assert_true(rep.close);
	assert_int_equal(f.ops, 1);
}

/* 500: whatever else the backend answers, named; a domain whose stats fail. */
static void test_backend_errors(void **state)
{
	(void)state;
	f.d[0].force = BH_ERR_DENIED;
	assert_int_equal(call(CTL_ROLE_OPERATOR, "POST", "/domains/counter/pause", NULL), 500);
	assert_string_equal(error_text(), "pause of counter failed: BH_ERR_DENIED");
	f.d[0].force = BH_ERR_INVALID;
	assert_int_equal(call(CTL_ROLE_OPERATOR, "POST", "/domains/counter/restart", NULL), 500);
	f.d[0].force = BH_OK;
	assert_int_equal(call(CTL_ROLE_ADMIN, "POST", "/domains/counter/replace", "{\"image\":3}"),
	                 400);
	assert_string_equal(error_text(), "counter has no alternative image 3");
	f.console_err = BH_ERR_UNAVAILABLE;
	assert_int_equal(call(CTL_ROLE_READER, "GET", "/domains/counter/console", NULL), 500);
	assert_string_equal(error_text(), "cannot read the console of counter: BH_ERR_UNAVAILABLE");
	f.d[1].stats_err = BH_ERR_NO_CAP;
	assert_int_equal(call(CTL_ROLE_READER, "GET", "/domains", NULL), 200);
	uint32_t worker = elem(member(0, "domains"), 1);
	assert_string_equal(str_at(worker, "reason"), "no statistics: BH_ERR_NO_CAP");
	assert_int_equal(call(CTL_ROLE_READER, "GET", "/metrics", NULL), 200);
	assert_null(strstr(rep.body, "domain=\"worker\""));
	assert_non_null(strstr(rep.body, "domain=\"counter\""));
}

/* One audit line per request, whatever the outcome; the user name cleaned. */
static void test_audit(void **state)
{
	(void)state;
	call_as("alice", CTL_ROLE_OPERATOR, "POST", "/domains/counter/destroy", NULL);
	assert_string_equal(rep.audit,
	                    "audit: alice (operator) POST /domains/counter/destroy -> 403");
	call_as("bob", CTL_ROLE_READER, "GET", "/domains/counter/console?lines=2", NULL);
	assert_string_equal(rep.audit,
	                    "audit: bob (reader) GET /domains/counter/console?lines=2 -> 200");
	call_as("ev il\n\x01user\xc3\xa9", CTL_ROLE_ADMIN, "DELETE", "/x", NULL);
	assert_string_equal(rep.audit, "audit: ev?il??user?? (admin) DELETE /x -> 404");
	call_as("", CTL_ROLE_NONE, "GET", "/metrics", NULL);
	assert_string_equal(rep.audit, "audit: - (none) GET /metrics -> 403");
	char longname[CTL_USER_MAX + 1];
	memset(longname, 'u', CTL_USER_MAX);
	longname[CTL_USER_MAX] = '\0';
	call_as(longname, CTL_ROLE_READER, "GET", "/domains", NULL);
	assert_int_equal(strlen(rep.audit),
	                 strlen("audit:  (reader) GET /domains -> 200") + CTL_USER_MAX);
}

/* A request libhttp refused: a JSON error, close, the audit line, the count. */
static void test_refuse(void **state)
{
	static const int statuses[] = {400, 413, 414, 431, 501, 505};
	struct ctl_caller who = {.user = "bob", .role = CTL_ROLE_ADMIN};
	(void)state;

	for (size_t k = 0; k < sizeof(statuses) / sizeof(statuses[0]); k++) {
		rep.body = reply_buf;
		rep.cap = sizeof(reply_buf);
		ctl_api_refuse(&api, &who, statuses[k], &rep);
		check_reply();
		assert_int_equal(rep.status, statuses[k]);
		assert_true(rep.close);
		assert_true(strlen(error_text()) > 10);
	}
	assert_string_equal(rep.audit, "audit: bob (admin) - - -> 505");
	ctl_api_refuse(&api, NULL, 400, &rep);
	check_reply();
	assert_string_equal(rep.audit, "audit: - (none) - - -> 400");
	assert_string_equal(error_text(), "malformed HTTP request");
}

/* The answer's head: status line, type, length, Allow with 405, close when it must. */
static void test_head(void **state)
{
	char head[CTL_HEAD_MAX];
	(void)state;

	call(CTL_ROLE_ADMIN, "GET", "/domains/counter/pause", NULL);
	size_t n = ctl_api_head(&rep, true, head, sizeof(head));
	char want[CTL_HEAD_MAX];
	snprintf(want, sizeof(want),
	         "HTTP/1.1 405 Method Not Allowed\r\nContent-Type: application/json\r\n"
	         "Content-Length: %zu\r\nAllow: POST\r\n\r\n",
	         rep.len);
	assert_string_equal(head, want);
	assert_int_equal(n, strlen(want));
	call(CTL_ROLE_READER, "GET", "/metrics", NULL);
	n = ctl_api_head(&rep, false, head, sizeof(head));
	snprintf(want, sizeof(want),
	         "HTTP/1.1 200 OK\r\nContent-Type: text/plain; version=0.0.4\r\n"
	         "Content-Length: %zu\r\nConnection: close\r\n\r\n",
	         rep.len);
	assert_string_equal(head, want);
	assert_int_equal(n, strlen(want));
	assert_int_equal(ctl_api_head(&rep, false, head, 20), 0);
	rep.status = 413, rep.close = true, rep.len = 999999, rep.allow = "POST";
	assert_true(ctl_api_head(&rep, true, head, sizeof(head)) > 0);
	assert_non_null(strstr(head, "413 Content Too Large\r\n"));
	assert_non_null(strstr(head, "Connection: close\r\n"));
}

/* Every line of Prometheus text: a # HELP/# TYPE comment, NAME{LABELS} VALUE or NAME VALUE. */
static void check_metrics_lines(const char *text)
{
	for (const char *l = text; *l;) {
		const char *end = strchr(l, '\n');
		assert_non_null(end);
		if (*l == '#')
			assert_true(strncmp(l, "# HELP bulkhead_", 16) == 0 ||
			            strncmp(l, "# TYPE bulkhead_", 16) == 0);
		else
			assert_true(strncmp(l, "bulkhead_", 9) == 0 &&
			            (memchr(l, '}', (size_t)(end - l)) ||
			             !memchr(l, '{', (size_t)(end - l))) &&
			            memchr(l, ' ', (size_t)(end - l)));
		l = end + 1;
	}
}

/* Writes the @n bytes at @text to a new temporary file. Returns: its path (static). */
static const char *temp_file(const char *text, size_t n)
{
	static char path[64];

	snprintf(path, sizeof(path), "/tmp/ctl_test_XXXXXX");
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	FILE *out = fdopen(fd, "w");
	assert_non_null(out);
	assert_int_equal(fwrite(text, 1, n, out), n);
	assert_int_equal(fclose(out), 0);
	return path;
}

/* Runs the shell command @cmd with "FILE" replaced by @path. Returns: its status. */
static int run_on(const char *cmd, const char *path)
{
	char line[512];
	const char *at = strstr(cmd, "FILE");

	snprintf(line, sizeof(line), "%.*s%s%s", (int)(at - cmd), cmd, path, at + 4);
	int st = system(line);
	unlink(path);
	return st;
}

/* Runs promtool check metrics on @text if promtool is installed. */
static void promtool(const char *text)
{
	if (system("command -v promtool >/dev/null 2>&1") != 0) {
		printf("promtool not installed: its check skipped\n");
		return;
	}
	assert_int_equal(run_on("promtool check metrics < FILE", temp_file(text, strlen(text))), 0);
}

/* GET /metrics: the families and samples of api11.md, and promtool's verdict. */
static void test_metrics(void **state)
{
	static const char *const want[] = {
		"# HELP bulkhead_domain_cycles_total ",
		"# TYPE bulkhead_domain_cycles_total counter\n",
		"\nbulkhead_domain_cycles_total{domain=\"counter\"} 123456789\n",
		"\nbulkhead_domain_overruns_total{domain=\"counter\"} 2\n",
		"\nbulkhead_domain_faults_total{domain=\"crashy\"} 4\n",
		"\nbulkhead_domain_restarts_total{domain=\"crashy\"} 3\n",
		"\nbulkhead_domain_signals_sent_total{domain=\"counter\"} 11\n",
		"\nbulkhead_domain_signals_received_total{domain=\"counter\"} 12\n",
		"\nbulkhead_domain_ring_sent_total{domain=\"counter\"} 13\n",
		"\nbulkhead_domain_ring_received_total{domain=\"counter\"} 14\n",
		"# TYPE bulkhead_domain_generation gauge\n",
		"\nbulkhead_domain_generation{domain=\"crashy\"} 3\n",
		"# TYPE bulkhead_domain_state gauge\n",
		"\nbulkhead_domain_state{domain=\"crashy\",state=\"running\"} 0\n",
		"\nbulkhead_domain_state{domain=\"crashy\",state=\"faulted\"} 1\n",
		"\nbulkhead_domain_state{domain=\"worker\",state=\"waiting\"} 1\n",
		"\nbulkhead_domain_state{domain=\"absent\",state=\"stopped\"} 1\n",
		"# TYPE bulkhead_control_requests_total counter\n",
		"\nbulkhead_control_requests_total{code=\"200\"} 1\n",
		"\nbulkhead_control_requests_total{code=\"403\"} 2\n",
		"\nbulkhead_control_requests_total{code=\"404\"} 1\n",
		"\nbulkhead_control_requests_total{code=\"500\"} 0\n",
		"# TYPE bulkhead_control_cycles_total counter\n",
		"\nbulkhead_control_cycles_total 987654321\n",
	};
	(void)state;

	f.self_cycles = 987654321;
	call(CTL_ROLE_READER, "GET", "/domains", NULL);
	call(CTL_ROLE_READER, "POST", "/domains/counter/pause", NULL);
	call(CTL_ROLE_NONE, "GET", "/metrics", NULL);
	call(CTL_ROLE_READER, "GET", "/nowhere", NULL);
	assert_int_equal(call(CTL_ROLE_READER, "GET", "/metrics", NULL), 200);
	assert_string_equal(rep.content_type, "text/plain; version=0.0.4");
	for (size_t k = 0; k < sizeof(want) / sizeof(want[0]); k++)
		if (!strstr(rep.body, want[k]))
			fail_msg("missing from /metrics: %s", want[k]);
	size_t states = 0;
	for (const char *s = rep.body; (s = strstr(s, "\nbulkhead_domain_state{")); s++)
		states++;
	assert_int_equal(states, 6 * 6);
	check_metrics_lines(rep.body);
	promtool(rep.body);
}

/* CTL_DOMAINS_MAX domains with the longest names and largest counters fit CTL_REPLY_MAX;
 * a name with quotes and a backslash is escaped; domains past the limit are not shown. */
static void test_metrics_fit(void **state)
{
	char name[40];
	(void)state;

	f.count = 0;
	for (uint32_t i = 0; i < CTL_DOMAINS_MAX + 2u; i++) {
		snprintf(name, sizeof(name), "d%02u_%027u", i, i);
		struct fake_domain *d = ctl_fake_add(&f, name, 0x1ff);
		memset(&d->stats, 0xff, sizeof(d->stats));
		d->stats.state = ctl_fake_word(BH_DSTATE_FAULTED, 255, 0xffff, UINT32_MAX);
		d->stats.waiting = 0;
		d->stats.last_code = 14;
	}
	snprintf(f.d[1].name, sizeof(f.d[1].name), "q\"b\\s\nx");
	assert_int_equal(strlen(f.d[0].name), 31);
	assert_int_equal(call(CTL_ROLE_READER, "GET", "/metrics", NULL), 200);
	printf("GET /metrics with %u domains: %zu bytes of %u\n", CTL_DOMAINS_MAX, rep.len,
	       CTL_REPLY_MAX);
	assert_non_null(strstr(rep.body, "{domain=\"q\\\"b\\\\s?x\"}"));
	snprintf(name, sizeof(name), "domain=\"d%02u_", CTL_DOMAINS_MAX - 1u);
	assert_non_null(strstr(rep.body, name));
	snprintf(name, sizeof(name), "domain=\"d%02u_", CTL_DOMAINS_MAX);
	assert_null(strstr(rep.body, name));
	check_metrics_lines(rep.body);
	promtool(rep.body);
	assert_int_equal(call(CTL_ROLE_READER, "GET", "/domains", NULL), 200);
	assert_int_equal(doc.tok[member(0, "domains")].count, CTL_DOMAINS_MAX);
}

/* Python's json module agrees that the answers are JSON (if python3 is there). */
static void test_python_json(void **state)
{
	static const char raw[] = "\x01\xff\"\\\x7f\xed\xa0\x80 ok \xf4\x90\x80\x80";
	(void)state;

	if (system("command -v python3 >/dev/null 2>&1") != 0) {
		printf("python3 not installed: its check skipped\n");
		return;
	}
	f.d[0].lines[29] = raw;
	snprintf(f.system, sizeof(f.system), "sys\"\x02\xfe");
	const char *paths[] = {"/domains", "/domains/counter/console", "/domains/crashy",
	                       "/domains/nobody", "/domains/counter/replace"};
	for (size_t k = 0; k < sizeof(paths) / sizeof(paths[0]); k++) {
		call(CTL_ROLE_READER, k == 4 ? "POST" : "GET", paths[k], NULL);
		const char *path = temp_file(rep.body, rep.len);
		assert_int_equal(run_on("python3 -c 'import json; "
		                        "json.load(open(\"FILE\", encoding=\"utf-8\"))'",
		                        path),
		                 0);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_list, setup),
		cmocka_unit_test_setup(test_domain, setup),
		cmocka_unit_test_setup(test_console, setup),
		cmocka_unit_test_setup(test_console_escaping, setup),
		cmocka_unit_test_setup(test_console_cut, setup),
		cmocka_unit_test_setup(test_operations, setup),
		cmocka_unit_test_setup(test_roles, setup),
		cmocka_unit_test_setup(test_manifest_rights, setup),
		cmocka_unit_test_setup(test_not_found_and_method, setup),
		cmocka_unit_test_setup(test_conflict, setup),
		cmocka_unit_test_setup(test_bad_requests, setup),
		cmocka_unit_test_setup(test_backend_errors, setup),
		cmocka_unit_test_setup(test_audit, setup),
		cmocka_unit_test_setup(test_refuse, setup),
		cmocka_unit_test_setup(test_head, setup),
		cmocka_unit_test_setup(test_metrics, setup),
		cmocka_unit_test_setup(test_metrics_fit, setup),
		cmocka_unit_test_setup(test_python_json, setup),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
