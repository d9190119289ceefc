/* libhttp: the HTTP/1.1 request parser (pure code: untrusted bytes in, a checked request out). */
#ifndef LIBHTTP_HTTP_REQ_H
#define LIBHTTP_HTTP_REQ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * A request's head (request line and header fields, RFC 9112) is parsed in one piece once it
 * is whole; until then the parser says "more". Every limit is a status: a head longer than
 * HTTP_HEAD_MAX bytes 431, a target longer than HTTP_TARGET_MAX 414, a Content-Length above
 * HTTP_BODY_MAX 413, a Transfer-Encoding (no chunked bodies here) 501, a version other than
 * HTTP/1.x 505, anything malformed 400. Lines end in CRLF or a bare LF; empty lines before the
 * request line are skipped. Only the fields the server needs are kept.
 */
#define HTTP_HEAD_MAX 4096u
#define HTTP_TARGET_MAX 255u
#define HTTP_BODY_MAX 65536u
#define HTTP_METHOD_MAX 16u

#define HTTP_REQ_DONE 0 /* http_req_parse: a whole, well-formed head */
#define HTTP_REQ_MORE 1 /* not whole yet: read more and parse again from the start */

enum http_method {
	HTTP_GET = 1,
	HTTP_HEAD = 2,
	HTTP_OTHER = 3, /* well-formed, but not one of the others (httpd: 405) */
	HTTP_POST = 4,
};

struct http_req {
	enum http_method method;
	char method_name[HTTP_METHOD_MAX + 1]; /* the method token as sent, NUL-terminated */
	char target[HTTP_TARGET_MAX + 1];      /* NUL-terminated; starts with '/' */
	uint8_t minor;                         /* HTTP/1.minor */
	bool keep_alive;                       /* the connection stays open after the answer */
	uint32_t head_len;                     /* bytes of the head, its empty line included */
	uint32_t body_len;                     /* Content-Length (the body follows the head) */
};

/**
 * Parses the request head at the start of @buf (@len untrusted bytes; only the first
 * HTTP_HEAD_MAX are looked at). Needs: @out writable.
 * Returns: HTTP_REQ_DONE with @out filled, HTTP_REQ_MORE, or the status to answer an error
 * with (400, 413, 414, 431, 501, 505); after an error the connection must be closed.
 */
int http_req_parse(const char *buf, size_t len, struct http_req *out);

/**
 * The reason phrase of status @code (200, 400, 403, 404, 405, 409, 413, 414, 431, 500, 501,
 * 503, 505).
 * Returns: a constant string ("Error" for any other code).
 */
const char *http_req_reason(int code);

#endif
