/* Control domain: JSON out (every string escaped) and a small, bounded JSON reader (pure code). */
#include <string.h>

#include "ctl_json.h"

/* Inputs longer than this are refused before any parsing (offsets are 32 bits). */
#define INPUT_MAX (1u << 30)

/* The reader's position in one input. */
struct parser {
	const char *s;
	size_t n, pos;
	struct ctl_json_doc *doc;
	const char *err;
};

/*
 * Length of the well-formed UTF-8 sequence at @s (@n >= 1 bytes there): 1 to 4, or 0 for an
 * ill-formed one (a stray continuation byte, an overlong form, a surrogate, past U+10FFFF, cut).
 */
static size_t utf8_seq(const unsigned char *s, size_t n)
{
	size_t len;
	uint32_t cp, min;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		len = 2, cp = s[0] & 0x1fu, min = 0x80;
	else if ((s[0] & 0xf0) == 0xe0)
		len = 3, cp = s[0] & 0x0fu, min = 0x800;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		len = 4, cp = s[0] & 0x07u, min = 0x10000;
	else
		return 0;
	if (len > n)
		return 0;
	for (size_t i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (s[i] & 0x3fu);
	}
	if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return len;
}

/* ---- writing ---- */

/* Appends one ASCII byte @c, escaped if JSON needs (or we want) it. */
static void put_ascii(struct ctl_buf *b, unsigned char c)
{
	static const char hex[] = "0123456789abcdef";
	const char *short_form = c == '"'  ? "\\\"" :
	                         c == '\\' ? "\\\\" :
	                         c == '\n' ? "\\n" :
	                         c == '\r' ? "\\r" :
	                         c == '\t' ? "\\t" :
	                                     NULL;

	if (short_form) {
		ctl_buf_put(b, short_form, 2);
	} else if (c < 0x20 || c == 0x7f) {
		char esc[6] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 15u]};
		ctl_buf_put(b, esc, sizeof(esc));
	} else {
		ctl_buf_put(b, (const char *)&c, 1);
	}
}

void ctl_json_string(struct ctl_buf *b, const char *s, size_t n)
{
	const unsigned char *u = (const unsigned char *)s;

	ctl_buf_put(b, "\"", 1);
	for (size_t i = 0; i < n;) {
		size_t k = utf8_seq(u + i, n - i);
		if (k == 0)
			ctl_buf_put(b, "\\ufffd", 6);
		else if (k == 1)
			put_ascii(b, u[i]);
		else
			ctl_buf_put(b, s + i, k);
		i += k ? k : 1;
	}
	ctl_buf_put(b, "\"", 1);
}

void ctl_json_cstring(struct ctl_buf *b, const char *s)
{
	ctl_json_string(b, s, strlen(s));
}

void ctl_json_key(struct ctl_buf *b, const char *key)
{
	ctl_json_cstring(b, key);
	ctl_buf_put(b, ":", 1);
}

/* ---- reading ---- */

/* Records the first refusal, at the current position. Returns: false. */
static bool fail(struct parser *p, const char *why)
{
	if (!p->err) {
		p->err = why;
		p->doc->err_at = (uint32_t)p->pos;
	}
	return false;
}

static void skip_ws(struct parser *p)
{
	while (p->pos < p->n && (p->s[p->pos] == ' ' || p->s[p->pos] == '\t' ||
	                         p->s[p->pos] == '\n' || p->s[p->pos] == '\r'))
		p->pos++;
}

/* A new token of type @t at the current position. Returns: its index, or CTL_JSON_NONE. */
static uint32_t new_tok(struct parser *p, enum ctl_json_type t)
{
	if (p->doc->n == p->doc->max) {
		fail(p, "too many values");
		return CTL_JSON_NONE;
	}
	uint32_t i = p->doc->n++;
	p->doc->tok[i] = (struct ctl_json_tok){.type = (uint8_t)t, .start = (uint32_t)p->pos};
	return i;
}

/* Ends token @i at the current position. Returns: true. */
static bool end_tok(struct parser *p, uint32_t i)
{
	p->doc->tok[i].len = (uint32_t)p->pos - p->doc->tok[i].start;
	p->doc->tok[i].next = p->doc->n;
	return true;
}

static int hex_digit(char c)
{
	return c >= '0' && c <= '9' ? c - '0' :
	       c >= 'a' && c <= 'f' ? c - 'a' + 10 :
	       c >= 'A' && c <= 'F' ? c - 'A' + 10 :
	                              -1;
}

/* The four hex digits at @s (@n bytes there). Returns: true with @*u, or false. */
static bool hex4(const char *s, size_t n, uint32_t *u)
{
	if (n < 4)
		return false;
	*u = 0;
	for (size_t k = 0; k < 4; k++) {
		int d = hex_digit(s[k]);
		if (d < 0)
			return false;
		*u = *u << 4 | (uint32_t)d;
	}
	return true;
}

/* The escape at the current position (a backslash); moves past it. */
static bool parse_escape(struct parser *p)
{
	uint32_t hi, lo;

	if (p->pos + 1 >= p->n)
		return fail(p, "a string is not closed");
	char c = p->s[p->pos + 1];
	if (c != '\0' && strchr("\"\\/bfnrt", c)) {
		p->pos += 2;
		return true;
	}
	if (c != 'u' || !hex4(p->s + p->pos + 2, p->n - p->pos - 2, &hi))
		return fail(p, "an unknown escape (\\u needs four hex digits)");
	if (hi >= 0xdc00 && hi <= 0xdfff)
		return fail(p, "a lone low surrogate escape");
	p->pos += 6;
	if (hi < 0xd800 || hi > 0xdbff)
		return true;
	if (p->pos + 1 >= p->n || p->s[p->pos] != '\\' || p->s[p->pos + 1] != 'u' ||
	    !hex4(p->s + p->pos + 2, p->n - p->pos - 2, &lo) || lo < 0xdc00 || lo > 0xdfff)
		return fail(p, "a high surrogate escape without its low half");
	p->pos += 6;
	return true;
}

/* A string at the current position (its opening quote). */
static bool parse_string(struct parser *p)
{
	uint32_t i = new_tok(p, CTL_JSON_STRING);

	if (i == CTL_JSON_NONE)
		return false;
	p->doc->tok[i].start = (uint32_t)++p->pos;
	while (p->pos < p->n) {
		unsigned char c = (unsigned char)p->s[p->pos];
		if (c == '"') {
			end_tok(p, i);
			p->pos++;
			return true;
		}
		if (c < 0x20)
			return fail(p, "a control character inside a string");
		if (c == '\\') {
			if (!parse_escape(p))
				return false;
			continue;
		}
		size_t k = utf8_seq((const unsigned char *)p->s + p->pos, p->n - p->pos);
		if (k == 0)
			return fail(p, "a string that is not UTF-8");
		p->pos += k;
	}
	return fail(p, "a string is not closed");
}

/* Moves past the digits at the current position. Returns: how many there were. */
static size_t skip_digits(struct parser *p)
{
	size_t start = p->pos;

	while (p->pos < p->n && p->s[p->pos] >= '0' && p->s[p->pos] <= '9')
		p->pos++;
	return p->pos - start;
}

/* A number: -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)? */
static bool parse_number(struct parser *p)
{
	uint32_t i = new_tok(p, CTL_JSON_NUMBER);

	if (i == CTL_JSON_NONE)
		return false;
	if (p->s[p->pos] == '-')
		p->pos++;
	if (p->pos < p->n && p->s[p->pos] == '0')
		p->pos++;
	else if (skip_digits(p) == 0)
		return fail(p, "a malformed number");
	if (p->pos < p->n && p->s[p->pos] == '.') {
		p->pos++;
		if (skip_digits(p) == 0)
			return fail(p, "a malformed number");
	}
	if (p->pos < p->n && (p->s[p->pos] == 'e' || p->s[p->pos] == 'E')) {
		p->pos++;
		if (p->pos < p->n && (p->s[p->pos] == '+' || p->s[p->pos] == '-'))
			p->pos++;
		if (skip_digits(p) == 0)
			return fail(p, "a malformed number");
	}
	return end_tok(p, i);
}

/* The literal @word (true, false or null), a token of type @t. */
static bool parse_literal(struct parser *p, const char *word, enum ctl_json_type t)
{
	size_t k = strlen(word);
	uint32_t i = new_tok(p, t);

	if (i == CTL_JSON_NONE)
		return false;
	if (p->n - p->pos < k || memcmp(p->s + p->pos, word, k) != 0)
		return fail(p, "not a JSON value");
	p->pos += k;
	return end_tok(p, i);
}

/* What the parser expects next. */
enum want {
	WANT_VALUE,         /* any value */
	WANT_FIRST_MEMBER,  /* after '{': a member or '}' */
	WANT_MEMBER,        /* after ',' in an object: a member */
	WANT_FIRST_ELEMENT, /* after '[': a value or ']' */
	WANT_AFTER,         /* a value ended: ',' or the end of its container, or the end */
};

/* The containers open around the current position (no recursion: an explicit stack). */
struct nest {
	uint32_t tok[CTL_JSON_DEPTH];
	unsigned depth;
};

/* A member's name and its ':'. Returns: WANT_VALUE, or WANT_AFTER after a refusal. */
static enum want parse_name(struct parser *p)
{
	if (p->pos == p->n || p->s[p->pos] != '"')
		return fail(p, "expected a member name in quotes"), WANT_AFTER;
	if (!parse_string(p))
		return WANT_AFTER;
	skip_ws(p);
	if (p->pos == p->n || p->s[p->pos] != ':')
		return fail(p, "expected ':' after a member name"), WANT_AFTER;
	p->pos++;
	return WANT_VALUE;
}

/* Opens an object or array (@t) at the current position. */
static enum want open_container(struct parser *p, struct nest *nest, enum ctl_json_type t)
{
	uint32_t i = new_tok(p, t);

	if (i == CTL_JSON_NONE)
		return WANT_AFTER;
	if (nest->depth == CTL_JSON_DEPTH)
		return fail(p, "nested too deep (at most 8 levels)"), WANT_AFTER;
	nest->tok[nest->depth++] = i;
	p->pos++;
	return t == CTL_JSON_OBJECT ? WANT_FIRST_MEMBER : WANT_FIRST_ELEMENT;
}

/* A scalar value, or the start of a container. */
static enum want parse_value(struct parser *p, struct nest *nest)
{
	if (p->pos == p->n)
		return fail(p, "a value is missing"), WANT_AFTER;
	char c = p->s[p->pos];
	bool ok;
	if (c == '{' || c == '[')
		return open_container(p, nest, c == '{' ? CTL_JSON_OBJECT : CTL_JSON_ARRAY);
	if (c == '"')
		ok = parse_string(p);
	else if (c == 't')
		ok = parse_literal(p, "true", CTL_JSON_TRUE);
	else if (c == 'f')
		ok = parse_literal(p, "false", CTL_JSON_FALSE);
	else if (c == 'n')
		ok = parse_literal(p, "null", CTL_JSON_NULL);
	else if (c == '-' || (c >= '0' && c <= '9'))
		ok = parse_number(p);
	else
		ok = fail(p, "not a JSON value");
	(void)ok; /* a refusal is in p->err */
	return WANT_AFTER;
}

/* After a value inside the innermost container: ',' or its closing bracket. */
static enum want after_value(struct parser *p, struct nest *nest)
{
	uint32_t top = nest->tok[nest->depth - 1u];
	bool object = p->doc->tok[top].type == CTL_JSON_OBJECT;

	p->doc->tok[top].count++;
	if (p->pos == p->n)
		return fail(p, "the input ends inside an object or array"), WANT_AFTER;
	if (p->s[p->pos] == (object ? '}' : ']')) {
		p->pos++;
		end_tok(p, top);
		nest->depth--;
		return WANT_AFTER;
	}
	if (p->s[p->pos] != ',')
		return fail(p, object ? "expected ',' or '}'" : "expected ',' or ']'"), WANT_AFTER;
	p->pos++;
	return object ? WANT_MEMBER : WANT_VALUE;
}

/* An empty container's closing bracket @close, if it is there. */
static bool close_empty(struct parser *p, struct nest *nest, char close)
{
	if (p->pos == p->n || p->s[p->pos] != close)
		return false;
	p->pos++;
	end_tok(p, nest->tok[--nest->depth]);
	return true;
}

/* One value, iteratively. Returns: true if it was well-formed. */
static bool parse_top(struct parser *p)
{
	struct nest nest = {.depth = 0};
	enum want want = WANT_VALUE;

	for (;;) {
		skip_ws(p);
		if (want == WANT_FIRST_MEMBER)
			want = close_empty(p, &nest, '}') ? WANT_AFTER : parse_name(p);
		else if (want == WANT_MEMBER)
			want = parse_name(p);
		else if (want == WANT_FIRST_ELEMENT)
			want = close_empty(p, &nest, ']') ? WANT_AFTER : parse_value(p, &nest);
		else if (want == WANT_VALUE)
			want = parse_value(p, &nest);
		else if (nest.depth > 0)
			want = after_value(p, &nest);
		else
			return true;
		if (p->err)
			return false;
	}
}

void ctl_json_init(struct ctl_json_doc *doc, struct ctl_json_tok *tok, uint32_t max)
{
	doc->text = "";
	doc->tok = tok;
	doc->max = max;
	doc->n = 0;
	doc->err_at = 0;
}

const char *ctl_json_parse(struct ctl_json_doc *doc, const char *s, size_t n)
{
	struct parser p = {.s = s, .n = n, .doc = doc};

	doc->text = s;
	doc->n = 0;
	doc->err_at = 0;
	if (n > INPUT_MAX)
		return "too long";
	if (parse_top(&p)) {
		skip_ws(&p);
		if (p.pos != n)
			fail(&p, "something follows the value");
	}
	return p.err;
}

/* ---- looking at what was read ---- */

/* The escape at @s (checked by the parser): its code point in @*cp. Returns: bytes used. */
static size_t unescape(const char *s, uint32_t *cp)
{
	uint32_t hi, lo;

	switch (s[1]) {
	case 'b':
		*cp = '\b';
		return 2;
	case 'f':
		*cp = '\f';
		return 2;
	case 'n':
		*cp = '\n';
		return 2;
	case 'r':
		*cp = '\r';
		return 2;
	case 't':
		*cp = '\t';
		return 2;
	case 'u':
		break;
	default: /* '"', '\\', '/' */
		*cp = (unsigned char)s[1];
		return 2;
	}
	(void)hex4(s + 2, 4, &hi);
	if (hi < 0xd800 || hi > 0xdbff) {
		*cp = hi;
		return 6;
	}
	(void)hex4(s + 8, 4, &lo);
	*cp = 0x10000u + ((hi - 0xd800u) << 10) + (lo - 0xdc00u);
	return 12;
}

/* Writes @cp as UTF-8 at @out[@o] (@cap bytes, one kept for the NUL). Returns: the new @o. */
static size_t put_utf8(char *out, size_t cap, size_t o, uint32_t cp)
{
	size_t len = cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;
	static const unsigned char lead[5] = {0, 0x00, 0xc0, 0xe0, 0xf0};

	if (o + len >= cap)
		return SIZE_MAX;
	for (size_t k = len - 1; k > 0; k--, cp >>= 6)
		out[o + k] = (char)(0x80u | (cp & 0x3fu));
	out[o] = (char)(lead[len] | cp);
	return o + len;
}

size_t ctl_json_text(const struct ctl_json_doc *doc, uint32_t i, char *out, size_t cap)
{
	if (i >= doc->n || doc->tok[i].type != CTL_JSON_STRING || cap == 0)
		return SIZE_MAX;
	const char *s = doc->text + doc->tok[i].start;
	size_t n = doc->tok[i].len, o = 0;
	for (size_t k = 0; k < n && o != SIZE_MAX;) {
		uint32_t cp;
		if (s[k] == '\\') {
			k += unescape(s + k, &cp);
			o = put_utf8(out, cap, o, cp);
		} else if (o + 1 < cap) {
			out[o++] = s[k++]; /* ASCII, or a byte of a checked UTF-8 sequence */
		} else {
			o = SIZE_MAX;
		}
	}
	if (o == SIZE_MAX)
		return SIZE_MAX;
	out[o] = '\0';
	return o;
}

/* Whether key token @k of @doc decodes to exactly @key. */
static bool key_is(const struct ctl_json_doc *doc, uint32_t k, const char *key)
{
	char text[64];
	size_t n = ctl_json_text(doc, k, text, sizeof(text));

	return n != SIZE_MAX && n == strlen(key) && memcmp(text, key, n) == 0;
}

uint32_t ctl_json_member(const struct ctl_json_doc *doc, uint32_t obj, const char *key,
                         uint32_t *val)
{
	uint32_t found = 0, k = obj + 1;

	*val = CTL_JSON_NONE;
	for (uint32_t m = 0; m < doc->tok[obj].count; m++) {
		if (key_is(doc, k, key) && found++ == 0)
			*val = k + 1;
		k = doc->tok[k + 1].next;
	}
	return found;
}

bool ctl_json_u64(const struct ctl_json_doc *doc, uint32_t i, uint64_t *v)
{
	if (i >= doc->n || doc->tok[i].type != CTL_JSON_NUMBER || doc->tok[i].len == 0)
		return false;
	const char *s = doc->text + doc->tok[i].start;
	uint64_t x = 0;
	for (uint32_t k = 0; k < doc->tok[i].len; k++) {
		if (s[k] < '0' || s[k] > '9')
			return false;
		uint64_t d = (uint64_t)(s[k] - '0');
		if (x > (UINT64_MAX - d) / 10u)
			return false;
		x = x * 10u + d;
	}
	*v = x;
	return true;
}
