/* Diagnostics: collects every error of one compilation as FILE:LINE: error: text. */
#ifndef BHC_DIAG_H
#define BHC_DIAG_H

#include <stddef.h>
#include <stdio.h>

struct diag_entry {
	int line;   /* 0 when the error concerns the whole file */
	char *text; /* the whole line, without newline */
};

struct diag {
	const char *file;
	struct diag_entry *v;
	size_t n;
};

/** Starts an empty list whose lines name @file (kept by reference). */
void diag_init(struct diag *d, const char *file);

/**
 * Records "FILE:LINE: error: MESSAGE" (or "FILE: error: MESSAGE" when @line is 0).
 * Needs: @fmt a printf format whose result says what is wrong and how to fix it.
 */
void diag_error(struct diag *d, int line, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/** Orders the errors by line, keeping the order of errors on one line. */
void diag_sort(struct diag *d);

/** Writes every error, one per line, to @f. */
void diag_print(const struct diag *d, FILE *f);

/** Frees the list; @d is empty afterwards. */
void diag_free(struct diag *d);

#endif
