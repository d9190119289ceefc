/* Control domain: JSON out (every string escaped) and a small, bounded JSON reader (pure code). */
#ifndef CONTROL_CTL_JSON_H
#define CONTROL_CTL_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ctl_buf.h"

/*
 * Writing: ctl_json_string() writes any bytes as one JSON string. '"', '\\' and control bytes
 * (below 0x20, and 0x7f) are escaped; well-formed UTF-8 (RFC 3629: no overlong forms, no
 * surrogates, nothing past U+10FFFF) is copied; every other byte becomes U+FFFD. So the output
 * is always valid JSON in valid UTF-8, whatever a domain printed.
 *
 * Reading (RFC 8259): one value, white space around it, nothing after it. Objects, arrays,
 * strings (valid UTF-8, every escape checked, \u surrogates only in pairs), numbers,
 * true/false/null. At most as many values as the caller gave tokens (request bodies:
 * CTL_JSON_TOKENS) and CTL_JSON_DEPTH levels of nesting; any other input is refused with a
 * reason and the byte offset where it went wrong.
 */
#define CTL_JSON_TOKENS 64u
#define CTL_JSON_DEPTH 8u
#define CTL_JSON_NONE UINT32_MAX /* no such token */

enum ctl_json_type {
	CTL_JSON_OBJECT = 1,
	CTL_JSON_ARRAY = 2,
	CTL_JSON_STRING = 3,
	CTL_JSON_NUMBER = 4,
	CTL_JSON_TRUE = 5,
	CTL_JSON_FALSE = 6,
	CTL_JSON_NULL = 7,
};

/*
 * One value, in document order. An object's members follow it as key (a string token), value,
 * key, value...; an array's elements follow it. @next is the index just past the value and
 * everything inside it.
 */
struct ctl_json_tok {
	uint8_t type;   /* enum ctl_json_type */
	uint32_t start; /* offset of its text (a string's: after the opening quote) */
	uint32_t len;   /* bytes of its text (a string's: up to the closing quote) */
	uint32_t count; /* object: members; array: elements */
	uint32_t next;
};

struct ctl_json_doc {
	const char *text;
	struct ctl_json_tok *tok; /* the caller's tokens */
	uint32_t max;             /* how many there are */
	uint32_t n;               /* how many the value used */
	uint32_t err_at;          /* after a refusal: the offset of the byte refused */
};

/** Appends the @n bytes at @s as a JSON string, quotes included. Returns: nothing. */
void ctl_json_string(struct ctl_buf *b, const char *s, size_t n);

/** ctl_json_string() of the NUL-terminated @s. Returns: nothing. */
void ctl_json_cstring(struct ctl_buf *b, const char *s);

/** Appends `"key":` for the NUL-terminated @key (a plain word). Returns: nothing. */
void ctl_json_key(struct ctl_buf *b, const char *key);

/** Starts @doc over the caller's @max tokens at @tok. Returns: nothing. */
void ctl_json_init(struct ctl_json_doc *doc, struct ctl_json_tok *tok, uint32_t max);

/**
 * Parses the @n untrusted bytes at @s into @doc (which keeps @s: it must outlive @doc).
 * Needs: @doc started by ctl_json_init().
 * Returns: NULL with @doc filled (token 0 is the value), or a constant text saying what is
 * wrong (then @doc->err_at says where).
 */
const char *ctl_json_parse(struct ctl_json_doc *doc, const char *s, size_t n);

/**
 * Looks @key up among the members of object token @obj of @doc. Needs: @obj an object token.
 * Returns: how many members have that name (decoded), with @*val the first one's value token
 * (CTL_JSON_NONE if none).
 */
uint32_t ctl_json_member(const struct ctl_json_doc *doc, uint32_t obj, const char *key,
                         uint32_t *val);

/**
 * The number token @i of @doc as a whole number: digits only (no sign, fraction or exponent)
 * and at most UINT64_MAX. Returns: true with @*v, or false.
 */
bool ctl_json_u64(const struct ctl_json_doc *doc, uint32_t i, uint64_t *v);

/**
 * Decodes string token @i of @doc (escapes resolved, UTF-8 out) into @out (@cap bytes).
 * Returns: its length in bytes (@out NUL-terminated), or SIZE_MAX if it does not fit or @i is
 * no string.
 */
size_t ctl_json_text(const struct ctl_json_doc *doc, uint32_t i, char *out, size_t cap);

#endif
