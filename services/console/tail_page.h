/* The console's tail page: the last lines of every domain's output, for the control domain. */
#ifndef CONSOLE_TAIL_PAGE_H
#define CONSOLE_TAIL_PAGE_H

#include <stdint.h>

/*
 * A region the console maps read-write as `console-tail` and a control domain
 * maps read-only under the same name. The console keeps one source per peer
 * domain (all rings of that domain together), each the last TAIL_SLOTS lines
 * it printed for it, already sanitised (printable ASCII and tab only), without
 * the "DOMAIN: " prefix, cut to TAIL_TEXT bytes. Sources are added in the order
 * the console meets their rings and never removed; as many as fit the region.
 *
 * Writer: the console writes line `seq % TAIL_SLOTS` (text, then len), then a
 * store fence, then seq + 1. Reader: the region is written by another domain
 * and may change while it reads: copy seq, copy the lines wanted, read seq
 * again, and drop every copied line that the writer may have overwritten
 * meanwhile (those with number <= new seq - TAIL_SLOTS). Clamp every len.
 */
#define TAIL_MAGIC 0x4c49415443484b42ull /* "BKHCTAIL" */
#define TAIL_SLOTS 72u                   /* lines kept; a reader gets at most TAIL_LINES of them */
#define TAIL_LINES 64u
#define TAIL_TEXT 124u
#define TAIL_NAME 32u

struct tail_line {
	uint32_t len; /* bytes of text, at most TAIL_TEXT */
	char text[TAIL_TEXT];
};
_Static_assert(sizeof(struct tail_line) == 128, "tail line");

struct tail_source {
	char name[TAIL_NAME]; /* the peer domain's name, NUL-padded */
	uint64_t seq;         /* lines written so far; line n is lines[n % TAIL_SLOTS] */
	uint8_t pad[24];
	struct tail_line lines[TAIL_SLOTS];
};
_Static_assert(sizeof(struct tail_source) == 64 + TAIL_SLOTS * 128, "tail source");

struct tail_page {
	uint64_t magic;     /* TAIL_MAGIC once the console set the page up */
	uint32_t n_sources; /* sources in use */
	uint32_t max_sources;
	uint8_t pad[48];
	struct tail_source src[];
};
_Static_assert(sizeof(struct tail_page) == 64, "tail page header");

/* Sources that fit a region of @size bytes. */
#define TAIL_SOURCES_IN(size)                \
	((size) < sizeof(struct tail_page) ? \
	         0 :                         \
	         ((size) - sizeof(struct tail_page)) / sizeof(struct tail_source))

#endif
