/* libhttp: the HTTP/1.1 request parser; every byte it reads is untrusted (RFC 9112). */
#include <string.h>

#include "http_req.h"

/* One line of the head: [start, start + len), its CR LF or LF not included. */
struct line {
	const char *start;
	size_t len;
};

/* What the header fields said, before they become the request's. */
struct fields {
	uint32_t hosts;
	bool has_length, close, keep_alive, chunked;
	uint32_t length;
};

/* RFC 9110 5.6.2's tchar. */
static bool is_tchar(unsigned char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c != 0 && strchr("!#$%&'*+-.^_`|~", c) != NULL);
}

static bool is_ws(char c)
{
	return c == ' ' || c == '\t';
}

static char lower(char c)
{
	return c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
}

/* True if [@s, @s + @n) equals lower-case @word, ignoring case. */
static bool equals_ci(const char *s, size_t n, const char *word)
{
	if (n != strlen(word))
		return false;
	for (size_t i = 0; i < n; i++)
		if (lower(s[i]) != word[i])
			return false;
	return true;
}

/*
 * The line at @*pos of [0, @len): fills @l and moves @*pos past its end of line.
 * Returns: 1, 0 if no end of line is there yet, or -1 for a CR not followed by LF.
 */
static int next_line(const char *buf, size_t len, size_t *pos, struct line *l)
{
	const char *nl = memchr(buf + *pos, '\n', len - *pos);

	if (!nl)
		return 0;
	l->start = buf + *pos;
	l->len = (size_t)(nl - l->start);
	*pos += l->len + 1u;
	if (l->len && l->start[l->len - 1u] == '\r')
		l->len--;
	return memchr(l->start, '\r', l->len) ? -1 : 1;
}

/* The version at @v (@n bytes): "HTTP/1.d". Returns 0 with @minor, or 400 or 505. */
static int parse_version(const char *v, size_t n, uint8_t *minor)
{
	if (n != 8 || memcmp(v, "HTTP/", 5) != 0 || v[6] != '.' || v[5] < '0' || v[5] > '9' ||
	    v[7] < '0' || v[7] > '9')
		return 400;
	if (v[5] != '1')
		return 505;
	*minor = (uint8_t)(v[7] - '0');
	return 0;
}

/* The method token at the start of @l. Returns its length (0: none or too long). */
static size_t method_len(const struct line *l)
{
	size_t n = 0;

	while (n < l->len && is_tchar((unsigned char)l->start[n]))
		n++;
	return n > HTTP_METHOD_MAX ? 0 : n;
}

/* The target at @t (@n bytes, up to the next space): origin-form, visible ASCII. */
static int parse_target(const char *t, size_t n, struct http_req *out)
{
	if (n == 0 || t[0] != '/')
		return 400;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)t[i] <= 0x20 || (unsigned char)t[i] >= 0x7f)
			return 400;
	if (n > HTTP_TARGET_MAX)
		return 414;
	memcpy(out->target, t, n);
	out->target[n] = '\0';
	return 0;
}

/* "METHOD SP target SP HTTP/1.x", exactly one space each. Returns 0 or a status. */
static int parse_request_line(const struct line *l, struct http_req *out)
{
	size_t m = method_len(l);

	if (m == 0 || m >= l->len || l->start[m] != ' ')
		return 400;
	memcpy(out->method_name, l->start, m);
	out->method_name[m] = '\0';
	out->method = strcmp(out->method_name, "GET") == 0  ? HTTP_GET :
	              strcmp(out->method_name, "HEAD") == 0 ? HTTP_HEAD :
	              strcmp(out->method_name, "POST") == 0 ? HTTP_POST :
	                                                      HTTP_OTHER;
	const char *t = l->start + m + 1u, *end = l->start + l->len;
	const char *sp = memchr(t, ' ', (size_t)(end - t));
	if (!sp)
		return 400;
	int st = parse_target(t, (size_t)(sp - t), out);
	return st ? st : parse_version(sp + 1, (size_t)(end - sp - 1), &out->minor);
}

/* Content-Length's value @v (@n bytes): digits only; a repeat must agree. */
static int parse_length(const char *v, size_t n, struct fields *f)
{
	uint32_t x = 0;

	if (n == 0)
		return 400;
	for (size_t i = 0; i < n; i++) {
		if (v[i] < '0' || v[i] > '9')
			return 400;
		if (x <= HTTP_BODY_MAX)
			x = x * 10u + (uint32_t)(v[i] - '0');
	}
	if (f->has_length && f->length != x)
		return 400;
	f->has_length = true;
	f->length = x;
	return x > HTTP_BODY_MAX ? 413 : 0;
}

/* Connection's value: a comma-separated list of options; "close" and "keep-alive" count. */
static void parse_connection(const char *v, size_t n, struct fields *f)
{
	size_t i = 0;

	while (i < n) {
		while (i < n && (is_ws(v[i]) || v[i] == ','))
			i++;
		size_t start = i;
		while (i < n && !is_ws(v[i]) && v[i] != ',')
			i++;
		f->close |= equals_ci(v + start, i - start, "close");
		f->keep_alive |= equals_ci(v + start, i - start, "keep-alive");
	}
}

/* A field value's bytes: visible, obs-text, space or tab; no other control bytes. */
static bool value_ok(const char *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (((unsigned char)v[i] < 0x20 && v[i] != '\t') || (unsigned char)v[i] == 0x7f)
			return false;
	return true;
}

/* One header field line "name: value". Returns 0 or a status. */
static int parse_field(const struct line *l, struct fields *f)
{
	size_t n = 0;

	while (n < l->len && is_tchar((unsigned char)l->start[n]))
		n++;
	if (n == 0 || n == l->len || l->start[n] != ':') /* also: a space before the colon */
		return 400;
	const char *v = l->start + n + 1u, *end = l->start + l->len;
	while (v < end && is_ws(*v))
		v++;
	while (end > v && is_ws(end[-1]))
		end--;
	size_t vn = (size_t)(end - v);
	if (!value_ok(v, vn))
		return 400;
	if (equals_ci(l->start, n, "host"))
		f->hosts++;
	else if (equals_ci(l->start, n, "content-length"))
		return parse_length(v, vn, f);
	else if (equals_ci(l->start, n, "transfer-encoding"))
		f->chunked = true;
	else if (equals_ci(l->start, n, "connection"))
		parse_connection(v, vn, f);
	return 0;
}

/* The fields' verdict on the request: Host rules (RFC 9112 3.2), body, persistence. */
static int finish(const struct fields *f, struct http_req *out)
{
	if (f->chunked)
		return f->has_length ? 400 : 501;
	if (f->hosts > 1 || (out->minor >= 1 && f->hosts == 0))
		return 400;
	out->body_len = f->has_length ? f->length : 0;
	out->keep_alive = !f->close && (out->minor >= 1 || f->keep_alive);
	return HTTP_REQ_DONE;
}

/* Past the empty lines before the request line (RFC 9112 2.2). Returns as next_line. */
static int first_line(const char *buf, size_t len, size_t *pos, struct line *l)
{
	int got;

	while ((got = next_line(buf, len, pos, l)) == 1 && l->len == 0)
		;
	return got;
}

int http_req_parse(const char *buf, size_t len, struct http_req *out)
{
	struct fields f = {0};
	struct line l;
	size_t pos = 0;
	int got, st = 0;

	memset(out, 0, sizeof(*out));
	len = len < HTTP_HEAD_MAX ? len : HTTP_HEAD_MAX;
	got = first_line(buf, len, &pos, &l);
	if (got == 1)
		st = parse_request_line(&l, out);
	while (got == 1 && st == 0 && (got = next_line(buf, len, &pos, &l)) == 1 && l.len > 0) {
		if (is_ws(l.start[0])) /* obs-fold: refused (RFC 9112 5.2) */
			return 400;
		st = parse_field(&l, &f);
	}
	if (st)
		return st;
	if (got < 0)
		return 400;
	if (got == 0)
		return len == HTTP_HEAD_MAX ? 431 : HTTP_REQ_MORE;
	out->head_len = (uint32_t)pos;
	return finish(&f, out);
}

const char *http_req_reason(int code)
{
	static const struct {
		int code;
		const char *text;
	} reasons[] = {
		{200, "OK"},
		{400, "Bad Request"},
		{403, "Forbidden"},
		{404, "Not Found"},
		{405, "Method Not Allowed"},
		{409, "Conflict"},
		{413, "Content Too Large"},
		{414, "URI Too Long"},
		{431, "Request Header Fields Too Large"},
		{500, "Internal Server Error"},
		{501, "Not Implemented"},
		{503, "Service Unavailable"},
		{505, "HTTP Version Not Supported"},
	};

	for (size_t i = 0; i < sizeof(reasons) / sizeof(reasons[0]); i++)
		if (reasons[i].code == code)
			return reasons[i].text;
	return "Error";
}
