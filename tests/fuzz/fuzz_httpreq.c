/* Fuzz target `httpreq`: libhttp's HTTP/1.1 request parser (libs/libhttp/http_req.c). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <http_req.h>

/*
 * Input: the bytes a client sent. The parser's answer must be DONE, MORE or one of its
 * statuses. DONE: the head lies inside the input and HTTP_HEAD_MAX, the target starts with '/'
 * and fits, the body length is within HTTP_BODY_MAX, and every cut of the input before the
 * head's end is MORE (a head is judged whole, never on a prefix that could still grow into a
 * different one) while parsing the head alone gives the same request. MORE: fewer than
 * HTTP_HEAD_MAX bytes came. The input is copied into a buffer of its exact size so that the
 * address sanitizer sees any read past it.
 */

/**
 * libFuzzer's entry: parses the @size bytes at @data and checks the answer.
 * Returns: 0; abort()s (after a line naming the broken rule) on any inconsistency.
 */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void broken(const char *rule)
{
	fprintf(stderr, "fuzz_httpreq: %s\n", rule);
	abort();
}

static bool is_status(int st)
{
	return st == 400 || st == 413 || st == 414 || st == 431 || st == 501 || st == 505;
}

/* Checks a DONE answer @r for input @buf of @size bytes. */
static void check_done(const char *buf, size_t size, const struct http_req *r)
{
	struct http_req again;

	if (r->head_len == 0 || r->head_len > size || r->head_len > HTTP_HEAD_MAX)
		broken("the head is not inside the input");
	if (r->target[0] != '/' || strlen(r->target) > HTTP_TARGET_MAX)
		broken("a bad target accepted");
	if (r->body_len > HTTP_BODY_MAX)
		broken("a body over the limit accepted");
	if (r->method < HTTP_GET || r->method > HTTP_POST)
		broken("no method");
	size_t at = 0, mlen = strlen(r->method_name);
	while (at < r->head_len && (buf[at] == '\r' || buf[at] == '\n')) /* empty lines first */
		at++;
	if (mlen == 0 || mlen > HTTP_METHOD_MAX || at + mlen > r->head_len ||
	    memcmp(buf + at, r->method_name, mlen) != 0 || buf[at + mlen] != ' ')
		broken("the method's name is not the request's");
	if (http_req_parse(buf, r->head_len, &again) != HTTP_REQ_DONE ||
	    memcmp(&again, r, sizeof(again)) != 0)
		broken("the head alone parses differently");
	size_t cut = (size_t)(unsigned char)buf[0] * r->head_len / 256u;
	if (http_req_parse(buf, cut, &again) != HTTP_REQ_MORE)
		broken("a cut head was not 'more'");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *buf = malloc(size ? size : 1u);
	struct http_req r;

	if (!buf)
		return 0;
	memcpy(buf, data, size);
	int st = http_req_parse(buf, size, &r);
	if (st == HTTP_REQ_DONE)
		check_done(buf, size, &r);
	else if (st == HTTP_REQ_MORE && size >= HTTP_HEAD_MAX)
		broken("'more' after HTTP_HEAD_MAX bytes");
	else if (st != HTTP_REQ_MORE && !is_status(st))
		broken("an answer that is no status");
	free(buf);
	return 0;
}
