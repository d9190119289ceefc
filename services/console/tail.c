/* The console's writer of the tail page: the last lines each domain printed. */
#include <string.h>

#include "tail.h"

static struct tail_page *page;

void tail_open(void *base, uint64_t size)
{
	uint64_t fit = TAIL_SOURCES_IN(size);

	if (fit == 0)
		return;
	page = base;
	memset(page, 0, sizeof(*page));
	page->max_sources = (uint32_t)(fit > 0xffffu ? 0xffffu : fit);
	__atomic_store_n(&page->magic, TAIL_MAGIC, __ATOMIC_RELEASE);
}

struct tail_source *tail_source_for(const char *peer)
{
	struct tail_source *s;

	if (!page)
		return NULL;
	for (uint32_t i = 0; i < page->n_sources; i++)
		if (strncmp(page->src[i].name, peer, TAIL_NAME) == 0)
			return &page->src[i];
	if (page->n_sources == page->max_sources)
		return NULL;
	s = &page->src[page->n_sources];
	memset(s->name, 0, TAIL_NAME);
	strncpy(s->name, peer, TAIL_NAME - 1);
	s->seq = 0;
	__atomic_store_n(&page->n_sources, page->n_sources + 1, __ATOMIC_RELEASE);
	return s;
}

void tail_put(struct tail_source *src, const char *text, size_t len)
{
	struct tail_line *l;

	if (!src)
		return;
	l = &src->lines[src->seq % TAIL_SLOTS];
	if (len > TAIL_TEXT)
		len = TAIL_TEXT;
	memcpy(l->text, text, len);
	l->len = (uint32_t)len;
	__atomic_store_n(&src->seq, src->seq + 1, __ATOMIC_RELEASE);
}
