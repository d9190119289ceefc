/* Diagnostics: collects every error of one compilation as FILE:LINE: error: text. */
#include "diag.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "arena.h"

void diag_init(struct diag *d, const char *file)
{
	memset(d, 0, sizeof(*d));
	d->file = file;
}

static char *format_line(const char *file, int line, const char *msg)
{
	size_t size = strlen(file) + strlen(msg) + 40;
	char *text = malloc(size);

	if (!text)
		abort();
	if (line > 0)
		snprintf(text, size, "%s:%d: error: %s", file, line, msg);
	else
		snprintf(text, size, "%s: error: %s", file, msg);
	return text;
}

void diag_error(struct diag *d, int line, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	struct diag_entry *e = arena_vec_push((void **)&d->v, &d->n, sizeof(*e));
	e->line = line;
	e->text = format_line(d->file, line, msg);
}

/* Insertion sort: stable, and lists are short. */
void diag_sort(struct diag *d)
{
	for (size_t i = 1; i < d->n; i++) {
		struct diag_entry e = d->v[i];
		size_t j = i;
		while (j > 0 && d->v[j - 1].line > e.line) {
			d->v[j] = d->v[j - 1];
			j--;
		}
		d->v[j] = e;
	}
}

void diag_print(const struct diag *d, FILE *f)
{
	for (size_t i = 0; i < d->n; i++)
		fprintf(f, "%s\n", d->v[i].text);
}

void diag_free(struct diag *d)
{
	for (size_t i = 0; i < d->n; i++)
		free(d->v[i].text);
	free(d->v);
	d->v = NULL;
	d->n = 0;
}
