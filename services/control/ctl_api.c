/* Control domain: the management API's logic, HTTP request in, answer and audit line out. */
#include <stdarg.h>
#include <string.h>

#include "ctl_api.h"
#include "ctl_buf.h"
#include "ctl_json.h"
#include "ctl_metrics.h"
#include "ctl_role.h"
#include "ctl_view.h"

const int ctl_api_codes[CTL_CODES] = {200, 400, 403, 404, 405, 409, 413,
                                      414, 431, 500, 501, 503, 505};

#define JSON_TYPE "application/json"
#define IMAGE_MAX 255u /* BH_HC_DOMAIN_RESTART's image is 8 bits */

/* Where a request goes. */
enum route_kind { ROUTE_LIST, ROUTE_DOMAIN, ROUTE_CONSOLE, ROUTE_OP, ROUTE_METRICS };

struct route {
	enum route_kind kind;
	enum ctl_op op;   /* CTL_OP_READ but for ROUTE_OP */
	const char *name; /* the domain name in the path (ROUTE_DOMAIN, _CONSOLE, _OP) */
	size_t name_len;
	const char *query; /* after the '?', NULL if none or empty */
};

/* One request being answered. */
struct request {
	struct ctl_api *api;
	const struct ctl_backend *be;
	const struct ctl_caller *who;
	const struct http_req *req;
	const char *body;
	size_t body_len;
	struct ctl_reply *out;
	struct ctl_buf b; /* over out->body */
	struct route r;
	uint32_t dom; /* the domain's index, once found */
};

/* ---- answers ---- */

/* The answer is @status with a JSON error whose text is the NULL-terminated list of strings. */
static void fail(struct request *q, int status, ...)
{
	char text[384];
	struct ctl_buf m;
	va_list ap;

	ctl_buf_init(&m, text, sizeof(text));
	va_start(ap, status);
	for (const char *s = va_arg(ap, const char *); s; s = va_arg(ap, const char *))
		ctl_buf_puts(&m, s);
	va_end(ap);
	q->out->status = status;
	q->out->content_type = JSON_TYPE;
	ctl_buf_rewind(&q->b, 0);
	ctl_buf_puts(&q->b, "{\"error\":");
	ctl_json_string(&q->b, m.text, m.len);
	ctl_buf_puts(&q->b, "}");
}

/* Starts a 200 JSON answer. */
static void ok(struct request *q)
{
	q->out->status = 200;
	q->out->content_type = JSON_TYPE;
	ctl_buf_rewind(&q->b, 0);
}

/* ---- routing ---- */

/* Whether the @n bytes at @s are exactly @word. */
static bool is(const char *s, size_t n, const char *word)
{
	return n == strlen(word) && memcmp(s, word, n) == 0;
}

/* "/domains/NAME" or "/domains/NAME/ACTION" (@p, @n bytes, after "/domains/"). */
static bool route_domain(const char *p, size_t n, struct route *r)
{
	const char *slash = memchr(p, '/', n);

	r->name = p;
	r->name_len = slash ? (size_t)(slash - p) : n;
	if (r->name_len == 0)
		return false;
	if (!slash) {
		r->kind = ROUTE_DOMAIN;
		return true;
	}
	const char *action = slash + 1;
	size_t alen = n - r->name_len - 1u;
	if (is(action, alen, "console")) {
		r->kind = ROUTE_CONSOLE;
		return true;
	}
	r->kind = ROUTE_OP;
	r->op = ctl_role_op_from(action, alen);
	return r->op != CTL_OP_NONE;
}

/* Splits the target @t into path and query and finds the route. Returns: false for 404. */
static bool route(const char *t, struct route *r)
{
	const char *qm = strchr(t, '?');
	size_t n = qm ? (size_t)(qm - t) : strlen(t);
	static const char prefix[] = "/domains/";

	memset(r, 0, sizeof(*r));
	r->op = CTL_OP_READ;
	r->query = qm && qm[1] ? qm + 1 : NULL;
	if (is(t, n, "/metrics")) {
		r->kind = ROUTE_METRICS;
		return true;
	}
	if (is(t, n, "/domains")) {
		r->kind = ROUTE_LIST;
		return true;
	}
	if (n > sizeof(prefix) - 1u && memcmp(t, prefix, sizeof(prefix) - 1u) == 0)
		return route_domain(t + sizeof(prefix) - 1u, n - (sizeof(prefix) - 1u), r);
	return false;
}

/* The domains the API shows. */
static uint32_t domain_count(const struct ctl_backend *be)
{
	uint32_t n = be->count(be->ctx);

	return n < CTL_DOMAINS_MAX ? n : CTL_DOMAINS_MAX;
}

/* Finds the route's domain (exact name). Returns: false after a 404. */
static bool find_domain(struct request *q)
{
	uint32_t n = domain_count(q->be);

	for (q->dom = 0; q->dom < n; q->dom++)
		if (is(q->r.name, q->r.name_len, q->be->name(q->be->ctx, q->dom)))
			return true;
	char name[HTTP_TARGET_MAX + 1];
	memcpy(name, q->r.name, q->r.name_len);
	name[q->r.name_len] = '\0';
	fail(q, 404, "no domain named ", name, " (GET /domains lists them)", NULL);
	return false;
}

/* A GET takes neither query (but console's) nor body. Returns: false after a 400. */
static bool plain_get(struct request *q)
{
	if (q->r.query && q->r.kind != ROUTE_CONSOLE) {
		fail(q, 400, "GET ", q->req->target, ": this path takes no query", NULL);
		return false;
	}
	if (q->body_len) {
		fail(q, 400, "a GET takes no body", NULL);
		return false;
	}
	return true;
}

/* ---- the reads ---- */

static void get_list(struct request *q)
{
	uint32_t n = domain_count(q->be);
	struct ctl_view v;

	ok(q);
	ctl_buf_puts(&q->b, "{\"system\":");
	ctl_json_cstring(&q->b, q->be->system_name(q->be->ctx));
	ctl_buf_puts(&q->b, ",\"domains\":[");
	for (uint32_t i = 0; i < n; i++) {
		ctl_view_get(q->be, i, &v);
		ctl_buf_puts(&q->b, i ? "," : "");
		ctl_view_json(&q->b, &v, false);
	}
	ctl_buf_puts(&q->b, "]}");
}

static void get_domain(struct request *q)
{
	struct ctl_view v;

	ctl_view_get(q->be, q->dom, &v);
	ok(q);
	ctl_view_json(&q->b, &v, true);
}

static void get_metrics(struct request *q)
{
	ok(q);
	q->out->content_type = CTL_METRICS_TYPE;
	ctl_metrics_write(q->api, &q->b);
}

/* ?lines=N (N 1..CTL_LINES_MAX), the only query console takes. Returns: false after a 400. */
static bool console_lines(struct request *q, uint32_t *lines)
{
	const char *s = q->r.query;
	uint32_t n = 0;
	size_t k = 6;

	*lines = CTL_LINES_DEFAULT;
	if (!s)
		return true;
	if (strncmp(s, "lines=", 6) != 0 || !s[k]) {
		fail(q, 400, "console takes one query parameter, lines=N (1 to 64)", NULL);
		return false;
	}
	for (; s[k] >= '0' && s[k] <= '9' && n <= CTL_LINES_MAX; k++)
		n = n * 10u + (uint32_t)(s[k] - '0');
	if (s[k] != '\0' || n < 1 || n > CTL_LINES_MAX) {
		fail(q, 400, "lines must be a whole number from 1 to 64", NULL);
		return false;
	}
	*lines = n;
	return true;
}

/* Writes one console line into the answer (ctl_line_fn). */
static void console_line(void *arg, const char *line, size_t len)
{
	struct request *q = arg;

	if (q->b.text[q->b.len - 1u] != '[')
		ctl_buf_puts(&q->b, ",");
	ctl_json_string(&q->b, line, len < CTL_LINE_MAX ? len : CTL_LINE_MAX);
}

/* Asks for the last @lines lines; fewer, the newest, if they do not fit. */
static void get_console(struct request *q)
{
	const char *name = q->be->name(q->be->ctx, q->dom);
	uint32_t lines;
	enum bh_err e = BH_OK;

	if (!console_lines(q, &lines))
		return;
	ok(q);
	for (; lines > 0 && e == BH_OK; lines /= 2) {
		ctl_buf_rewind(&q->b, 0);
		ctl_buf_puts(&q->b, "{\"name\":");
		ctl_json_cstring(&q->b, name);
		ctl_buf_puts(&q->b, ",\"lines\":[");
		if (q->b.full)
			break;
		e = q->be->console(q->be->ctx, q->dom, lines, console_line, q);
		ctl_buf_puts(&q->b, "]}");
		if (!q->b.full)
			break;
	}
	if (e != BH_OK) {
		char err[32];
		struct ctl_buf eb;
		ctl_buf_init(&eb, err, sizeof(err));
		ctl_view_err(&eb, e);
		fail(q, 500, "cannot read the console of ", name, ": ", err, NULL);
	}
}

/* ---- the operations ---- */

/* Whether the body is empty or only white space. */
static bool body_empty(const struct request *q)
{
	for (size_t i = 0; i < q->body_len; i++)
		if (!strchr(" \t\r\n", q->body[i]) || q->body[i] == '\0')
			return false;
	return true;
}

/* Checks member @k (a key token) of the body: only replace's "image". */
static bool known_member(struct request *q, const struct ctl_json_doc *doc, uint32_t k)
{
	char key[64];
	size_t n = ctl_json_text(doc, k, key, sizeof(key));

	if (q->r.op == CTL_OP_REPLACE && n == 5 && memcmp(key, "image", 5) == 0)
		return true;
	const char *op = ctl_role_op_name(q->r.op);
	fail(q, 400, "unknown member \"", n == SIZE_MAX ? "(long)" : key, "\": ", op,
	     q->r.op == CTL_OP_REPLACE ? " takes only \"image\"" : " takes no members", NULL);
	return false;
}

/* replace's "image": 1..IMAGE_MAX. Returns: false after a 400. */
static bool image_arg(struct request *q, const struct ctl_json_doc *doc, uint32_t *image)
{
	uint32_t v;
	uint64_t x;
	uint32_t count = ctl_json_member(doc, 0, "image", &v);

	if (count == 0)
		return true;
	if (count > 1 || !ctl_json_u64(doc, v, &x) || x < 1 || x > IMAGE_MAX) {
		fail(q, 400, "\"image\" must be given once, a whole number from 1 to 255", NULL);
		return false;
	}
	*image = (uint32_t)x;
	return true;
}

/* The body of an operation: none, or a JSON object (replace: {"image":K}). */
static bool op_args(struct request *q, uint32_t *image)
{
	struct ctl_json_tok tok[CTL_JSON_TOKENS];
	struct ctl_json_doc doc;
	char at[24];
	struct ctl_buf ab;

	ctl_json_init(&doc, tok, CTL_JSON_TOKENS);
	*image = q->r.op == CTL_OP_REPLACE ? 1u : 0u;
	if (body_empty(q))
		return true;
	const char *why = ctl_json_parse(&doc, q->body, q->body_len);
	if (why) {
		ctl_buf_init(&ab, at, sizeof(at));
		ctl_buf_u64(&ab, doc.err_at);
		fail(q, 400, "the body is not JSON: ", why, " at byte ", at, NULL);
		return false;
	}
	if (doc.tok[0].type != CTL_JSON_OBJECT) {
		fail(q, 400, "the body must be a JSON object", NULL);
		return false;
	}
	for (uint32_t m = 0, k = 1; m < doc.tok[0].count; m++, k = doc.tok[k + 1].next)
		if (!known_member(q, &doc, k))
			return false;
	return q->r.op != CTL_OP_REPLACE || image_arg(q, &doc, image);
}

/* Writes the names of the rights @op needs ("stop, read-memory, vcpu") into @b. */
static void rights_list(struct ctl_buf *b, uint32_t rights)
{
	for (uint32_t bit = 1; bit != 0; bit <<= 1) {
		if (!(rights & bit) || !ctl_role_right_name(bit))
			continue;
		ctl_buf_puts(b, b->len ? ", " : "");
		ctl_buf_puts(b, ctl_role_right_name(bit));
	}
}

/* 403: the manifest does not give (all of) what @op needs on the domain. */
static void no_right(struct request *q, uint32_t missing)
{
	char need[128], lack[128];
	struct ctl_buf nb, lb;
	uint32_t rights = ctl_role_rights(q->r.op);

	ctl_buf_init(&nb, need, sizeof(need));
	ctl_buf_init(&lb, lack, sizeof(lack));
	rights_list(&nb, rights);
	rights_list(&lb, missing & (0u - missing)); /* the lowest right it lacks */
	bool several = (rights & (rights - 1u)) != 0;
	fail(q, 403, "the manifest gives control no `", lack, "` right on ",
	     q->be->name(q->be->ctx, q->dom), several ? " (" : "",
	     several ? ctl_role_op_name(q->r.op) : "", several ? " needs " : "",
	     several ? need : "", several ? ")" : "", NULL);
}

/* 409: the domain's state forbids the operation; says what to do instead. */
static void wrong_state(struct request *q)
{
	struct ctl_view v;

	ctl_view_get(q->be, q->dom, &v);
	bool live = v.state == CTL_STATE_RUNNING || v.state == CTL_STATE_WAITING;
	const char *hint = live && q->r.op == CTL_OP_RESUME ? "it runs already" :
	                   live                             ? "pause it first" :
	                   v.state == CTL_STATE_PAUSED && q->r.op == CTL_OP_PAUSE ?
	                          "it is paused already" :
	                   v.state == CTL_STATE_PAUSED     ? "resume it first" :
	                   v.state == CTL_STATE_RESTARTING ? "wait for the restore to end" :
	                                                     "restart it first";
	fail(q, 409, v.name, " is ", ctl_view_state_name(v.state), v.reason[0] ? " (" : "",
	     v.reason, v.reason[0] ? ")" : "", "; ", hint, NULL);
}

/* The answer to the backend's error @e on the operation (not BH_OK). */
static void op_failed(struct request *q, enum bh_err e, uint32_t image)
{
	const char *name = q->be->name(q->be->ctx, q->dom);
	char text[32];
	struct ctl_buf tb;

	ctl_buf_init(&tb, text, sizeof(text));
	if (e == BH_ERR_STATE) {
		wrong_state(q);
	} else if (e == BH_ERR_NO_RIGHT) {
		no_right(q, ctl_role_rights(q->r.op));
	} else if (e == BH_ERR_INVALID && q->r.op == CTL_OP_REPLACE) {
		ctl_buf_u64(&tb, image);
		fail(q, 400, name, " has no alternative image ", text, NULL);
	} else if (e == BH_ERR_INVALID && q->r.op == CTL_OP_RESTORE) {
		fail(q, 409, "there is no saved state of ", name, "; save it first", NULL);
	} else {
		ctl_view_err(&tb, e);
		fail(q, 500, ctl_role_op_name(q->r.op), " of ", name, " failed: ", text, NULL);
	}
}

/* POST /domains/NAME/OP. */
static void post_op(struct request *q)
{
	uint32_t image, missing = ctl_role_rights(q->r.op) & ~q->be->rights(q->be->ctx, q->dom);
	struct ctl_view v;

	if (q->r.query) {
		fail(q, 400, "POST ", q->req->target, ": this path takes no query", NULL);
		return;
	}
	if (!op_args(q, &image))
		return;
	if (missing) {
		no_right(q, missing);
		return;
	}
	enum bh_err e = q->be->op(q->be->ctx, q->dom, q->r.op, image);
	if (e != BH_OK) {
		op_failed(q, e, image);
		return;
	}
	ctl_view_get(q->be, q->dom, &v);
	ok(q);
	ctl_buf_puts(&q->b, "{\"name\":");
	ctl_json_cstring(&q->b, v.name);
	ctl_buf_puts(&q->b, ",\"op\":");
	ctl_json_cstring(&q->b, ctl_role_op_name(q->r.op));
	ctl_buf_puts(&q->b, ",\"result\":\"ok\",\"state\":");
	ctl_json_cstring(&q->b, ctl_view_state_name(v.state));
	ctl_buf_puts(&q->b, "}");
}

/* ---- one request ---- */

/* The route's method is the request's; else 405 with Allow. */
static bool method_ok(struct request *q)
{
	bool post = q->r.kind == ROUTE_OP;

	if (q->req->method == (post ? HTTP_POST : HTTP_GET))
		return true;
	q->out->allow = post ? "POST" : "GET";
	fail(q, 405, q->req->method_name, " ", q->req->target, ": use ", q->out->allow, NULL);
	return false;
}

/* The caller's role allows the operation; else 403 naming both. */
static bool role_ok(struct request *q)
{
	if (ctl_role_may(q->who->role, q->r.op))
		return true;
	const char *op = ctl_role_op_name(q->r.op);
	fail(q, 403, "role ", ctl_role_name(q->who->role), " may not ", op, ": ", op,
	     " needs role ", ctl_role_name(ctl_role_needed(q->r.op)), NULL);
	return false;
}

/* Routes the request and answers it. */
static void dispatch(struct request *q)
{
	if (q->who->role == CTL_ROLE_NONE) {
		fail(q, 403,
		     "your certificate names no role: its OU must be reader, operator or admin",
		     NULL);
		return;
	}
	if (q->req->body_len > CTL_BODY_MAX) {
		q->out->close = true;
		fail(q, 413, "a request body is at most 4096 bytes", NULL);
		return;
	}
	if (!route(q->req->target, &q->r)) {
		fail(q, 404,
		     "no such path: see GET /domains, /domains/NAME, /domains/NAME/console, "
		     "/metrics, POST /domains/NAME/OPERATION",
		     NULL);
		return;
	}
	if (!method_ok(q) || !role_ok(q))
		return;
	if (q->r.kind != ROUTE_LIST && q->r.kind != ROUTE_METRICS && !find_domain(q))
		return;
	if (q->r.kind == ROUTE_OP)
		post_op(q);
	else if (!plain_get(q))
		return;
	else if (q->r.kind == ROUTE_LIST)
		get_list(q);
	else if (q->r.kind == ROUTE_DOMAIN)
		get_domain(q);
	else if (q->r.kind == ROUTE_CONSOLE)
		get_console(q);
	else
		get_metrics(q);
}

/* A user name for the audit line: printable ASCII but space, else '?'; "-" if empty. */
static void audit_user(struct ctl_buf *b, const struct ctl_caller *who)
{
	size_t n = who ? strnlen(who->user, CTL_USER_MAX) : 0;

	if (n == 0)
		ctl_buf_puts(b, "-");
	for (size_t i = 0; i < n; i++) {
		char c = who->user[i];
		ctl_buf_put(b, c > 0x20 && c < 0x7f ? &c : "?", 1);
	}
}

/* An answer that did not fit becomes 500; then the audit line, and the count. */
static void finish(struct ctl_api *api, const struct ctl_caller *who, const char *method,
                   const char *path, struct request *q)
{
	struct ctl_buf a;

	if (q->b.full)
		fail(q, 500, "the answer does not fit in the reply buffer", NULL);
	q->out->len = q->b.len;
	ctl_buf_init(&a, q->out->audit, sizeof(q->out->audit));
	ctl_buf_puts(&a, "audit: ");
	audit_user(&a, who);
	ctl_buf_puts(&a, " (");
	ctl_buf_puts(&a, ctl_role_name(who ? who->role : CTL_ROLE_NONE));
	ctl_buf_puts(&a, ") ");
	ctl_buf_puts(&a, method);
	ctl_buf_puts(&a, " ");
	ctl_buf_puts(&a, path);
	ctl_buf_puts(&a, " -> ");
	ctl_buf_u64(&a, (uint64_t)q->out->status);
	for (unsigned c = 0; c < CTL_CODES; c++)
		if (ctl_api_codes[c] == q->out->status)
			api->requests[c]++;
}

/* Starts @q and @out for one answer. */
static void start(struct request *q, struct ctl_api *api, const struct ctl_caller *who,
                  struct ctl_reply *out)
{
	memset(q, 0, sizeof(*q));
	q->api = api;
	q->be = api->backend;
	q->who = who;
	q->out = out;
	out->len = 0;
	out->status = 500;
	out->content_type = JSON_TYPE;
	out->allow = NULL;
	out->close = false;
	out->audit[0] = '\0';
	ctl_buf_init(&q->b, out->body, out->cap);
}

void ctl_api_init(struct ctl_api *api, const struct ctl_backend *backend)
{
	memset(api, 0, sizeof(*api));
	api->backend = backend;
}

void ctl_api_handle(struct ctl_api *api, const struct ctl_caller *who, const struct http_req *req,
                    const char *body, size_t body_len, struct ctl_reply *out)
{
	struct request q;

	start(&q, api, who, out);
	q.req = req;
	q.body = body;
	q.body_len = req->body_len > CTL_BODY_MAX ? 0 : body_len;
	dispatch(&q);
	finish(api, who, req->method_name, req->target, &q);
}

void ctl_api_refuse(struct ctl_api *api, const struct ctl_caller *who, int status,
                    struct ctl_reply *out)
{
	struct request q;

	start(&q, api, who, out);
	out->close = true;
	fail(&q, status,
	     status == 413 ? "a request body is at most 4096 bytes" :
	     status == 414 ? "the path is longer than 255 bytes" :
	     status == 431 ? "the request head is longer than 4096 bytes" :
	     status == 501 ? "Transfer-Encoding is not supported: send Content-Length" :
	     status == 505 ? "only HTTP/1.x is spoken here" :
	                     "malformed HTTP request",
	     NULL);
	finish(api, who, "-", "-", &q);
}

size_t ctl_api_head(const struct ctl_reply *r, bool keep_alive, char *buf, size_t cap)
{
	struct ctl_buf b;

	if (cap == 0)
		return 0;
	ctl_buf_init(&b, buf, cap);
	ctl_buf_puts(&b, "HTTP/1.1 ");
	ctl_buf_u64(&b, (uint64_t)r->status);
	ctl_buf_puts(&b, " ");
	ctl_buf_puts(&b, http_req_reason(r->status));
	ctl_buf_puts(&b, "\r\nContent-Type: ");
	ctl_buf_puts(&b, r->content_type);
	ctl_buf_puts(&b, "\r\nContent-Length: ");
	ctl_buf_u64(&b, r->len);
	if (r->allow) {
		ctl_buf_puts(&b, "\r\nAllow: ");
		ctl_buf_puts(&b, r->allow);
	}
	if (!keep_alive || r->close)
		ctl_buf_puts(&b, "\r\nConnection: close");
	ctl_buf_puts(&b, "\r\n\r\n");
	return b.full ? 0 : b.len;
}
