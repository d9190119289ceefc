/* Access matrix: which domain holds which right on every region, ring, channel and port range. */
#ifndef BHC_MATRIX_H
#define BHC_MATRIX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "layout.h"
#include "manifest.h"

/* What a column of the matrix is. */
enum matrix_kind { MATRIX_REGION, MATRIX_RING, MATRIX_CHANNEL, MATRIX_IOPORT, MATRIX_KLOG };

/* Rights in a cell (a domain's access to a column's resource); 0 = no access. */
#define MATRIX_READ 0x01u   /* map, klog: readable; ioport: in */
#define MATRIX_WRITE 0x02u  /* map: writable; ioport: out */
#define MATRIX_EXEC 0x04u   /* map: executable */
#define MATRIX_CLIENT 0x08u /* ring: the client end */
#define MATRIX_SERVER 0x10u /* ring: the server end */
#define MATRIX_END 0x20u    /* channel: holds an end */
#define MATRIX_SIGNAL 0x40u /* channel: that end may signal the peer */

#define MATRIX_LABEL_LEN 48u

/* One resource: a column of the matrix. */
struct matrix_col {
	enum matrix_kind kind;
	char label[MATRIX_LABEL_LEN]; /* region:NAME, ring:NAME, chan:NAME, io:0xBASE+N, klog */
	const char *name;  /* its name; a stdout ring: the client; NULL: unnamed channel, ports */
	int line;          /* where the manifest declares it (0: added by bhc) */
	bool is_stdout;    /* a stdout ring, wired by bhc */
	uint64_t size;     /* region and ring bytes; I/O port count */
	uint32_t base;     /* first I/O port */
	bool code_sharing; /* region: code-sharing="writable" (written here, run there) */
	bool machine;      /* I/O ports: machine="yes", they control the whole machine */
	uint8_t cell[BP_MAX_DOMAINS]; /* MATRIX_* rights of each domain */
};

struct matrix {
	const struct manifest *m;
	size_t n_domains;
	struct matrix_col *cols; /* regions, rings (manifest's, then stdout), channels, ports, klog */
	size_t n_cols;
};

/**
 * Collects every resource of the compiled system and every domain's rights on it.
 * Needs: @l built from @m by layout_build without errors (at most BP_MAX_DOMAINS domains).
 * Returns: nothing; free @mx with matrix_free.
 */
void matrix_build(struct matrix *mx, const struct manifest *m, const struct layout *l);

/** Frees what matrix_build allocated. */
void matrix_free(struct matrix *mx);

/**
 * Spells the rights @cell of a column of @kind as the matrix prints them:
 * r, rw, rx (maps), r (klog), client or server (rings), s or - (channels),
 * rw (I/O ports), or "." for no access. Returns a static string.
 */
const char *matrix_cell_name(enum matrix_kind kind, uint8_t cell);

/**
 * Writes the matrix as aligned plain text to @f: a legend (with a line for each
 * code-sharing region and machine port range), then one row per domain and one
 * column per resource. Wider than @width characters, the
 * columns are split into groups, each printed as its own table with the
 * domain column repeated. Needs: @mx built.
 */
void matrix_print(FILE *f, const struct matrix *mx, size_t width);

#endif
