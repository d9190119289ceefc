/* The control domain's reader of the console's tail page, which another domain writes. */
#include <string.h>

#include "ctl_tail.h"

struct copy {
	uint32_t len;
	char text[TAIL_TEXT];
};

static uint64_t load64(const volatile uint64_t *p)
{
	return __atomic_load_n(p, __ATOMIC_ACQUIRE);
}

/* The source named @name among the first @n of @page, or NULL. */
static const volatile struct tail_source *find(const volatile struct tail_page *page, uint32_t n,
                                               const char *name)
{
	char got[TAIL_NAME + 1];

	for (uint32_t i = 0; i < n; i++) {
		for (uint32_t k = 0; k < TAIL_NAME; k++)
			got[k] = page->src[i].name[k];
		got[TAIL_NAME] = '\0';
		if (strcmp(got, name) == 0)
			return &page->src[i];
	}
	return NULL;
}

static void copy_line(const volatile struct tail_line *l, struct copy *c)
{
	uint32_t len = l->len;

	c->len = len > TAIL_TEXT ? TAIL_TEXT : len;
	for (uint32_t k = 0; k < c->len; k++) {
		char ch = l->text[k];
		c->text[k] = (ch == '\t' || (ch >= 0x20 && ch < 0x7f)) ? ch : '?';
	}
}

unsigned ctl_tail_read(const volatile void *base, uint64_t size, const char *name, unsigned want,
                       ctl_tail_fn fn, void *ctx)
{
	static struct copy lines[TAIL_LINES];
	const volatile struct tail_page *page = base;
	const volatile struct tail_source *src;
	uint64_t fit = TAIL_SOURCES_IN(size), before, after, first, n;
	uint32_t n_src;
	unsigned out = 0;

	if (!page || fit == 0 || load64(&page->magic) != TAIL_MAGIC)
		return 0;
	n_src = page->n_sources;
	src = find(page, n_src < fit ? n_src : (uint32_t)fit, name);
	if (!src)
		return 0;
	if (want > TAIL_LINES)
		want = TAIL_LINES;
	before = load64(&src->seq);
	first = before > want ? before - want : 0;
	for (n = first; n < before; n++)
		copy_line(&src->lines[n % TAIL_SLOTS], &lines[n - first]);
	after = load64(&src->seq);
	for (n = first; n < before; n++) {
		if (after >= TAIL_SLOTS && n <= after - TAIL_SLOTS)
			continue; /* may have been overwritten while it was copied */
		fn(ctx, lines[n - first].text, lines[n - first].len);
		out++;
	}
	return out;
}
