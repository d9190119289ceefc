/* Fuzz target `manifest`: the manifest compiler (tools/bhc), XML in, boot plan or errors out. */
#define _GNU_SOURCE /* memmem, nftw */
#include <ftw.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <kernel/plan.h>

#include "bhc.h"
#include "fake_elf.h"
#include "flow.h"
#include "graph.h"
#include "matrix.h"
#include "plan_walk.h"
#include "planwriter.h"
#include "summary.h"

/*
 * Each input is written to one manifest file in a private scratch directory
 * that also holds images/ (the --image-dir) and alt/, filled with the fake
 * programs of tests/host/manifest/fake_elf.c, as the host test has them. So
 * that a mutated image name still gets past the image check and the fuzzer
 * reaches layout and plan writing, every program name the input spells out
 * literally (image="NAME", NAME of [A-Za-z0-9_.-]) gets a good image for the
 * duration of that input, unless its name starts with "missing".
 */
#define NAME_MAX_LEN 64u
#define MAX_MADE 64u

struct scratch {
	char dir[256];      /* the scratch directory */
	char manifest[300]; /* DIR/manifest.xml */
	char images[300];   /* DIR/images */
	void *good;         /* the bytes of a good program */
	size_t good_len;
	char made[MAX_MADE][400]; /* images made for the current input */
	unsigned n_made;
	FILE *devnull;
};

static struct scratch s;

/**
 * libFuzzer's start-up hook: makes the scratch directory and its fake programs.
 * Returns: 0; exits with a message if they cannot be written.
 */
int LLVMFuzzerInitialize(int *argc, char ***argv);

/**
 * libFuzzer's entry: compiles the @size bytes at @data as a manifest.
 * Returns: 0; abort()s when the compiler breaks a promise: a plan the kernel
 * refuses or with an index out of range, a failure without an error, an error
 * naming no line of the input, an internal error.
 */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void die(const char *what)
{
	perror(what);
	exit(1);
}

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st, (void)flag, (void)ftw;
	return remove(path);
}

static void remove_scratch(void)
{
	if (s.dir[0] && nftw(s.dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS) != 0)
		perror(s.dir);
	free(s.good);
}

static void *read_all(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	void *buf = malloc(1 << 16);

	if (!f || !buf)
		die(path);
	*len = fread(buf, 1, 1 << 16, f);
	fclose(f);
	return buf;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	const char *tmp = getenv("TMPDIR");
	char alt[300];

	(void)argc, (void)argv;
	snprintf(s.dir, sizeof(s.dir), "%.200s/bulkhead-fuzz-XXXXXX", tmp && *tmp ? tmp : "/tmp");
	if (!mkdtemp(s.dir))
		die(s.dir);
	atexit(remove_scratch);
	snprintf(s.manifest, sizeof(s.manifest), "%s/manifest.xml", s.dir);
	snprintf(s.images, sizeof(s.images), "%s/images", s.dir);
	snprintf(alt, sizeof(alt), "%s/alt", s.dir);
	if (mkdir(s.images, 0755) || mkdir(alt, 0755) || !fake_elf_write_all(s.images) ||
	    !fake_elf_write_all(alt))
		die("writing the fake images");
	char good[400];
	snprintf(good, sizeof(good), "%s/ping.elf", s.images);
	s.good = read_all(good, &s.good_len);
	s.devnull = fopen("/dev/null", "w");
	if (!s.devnull)
		die("/dev/null");
	return 0;
}

static void write_input(const uint8_t *data, size_t size)
{
	FILE *f = fopen(s.manifest, "wb");

	if (!f || fwrite(data, 1, size, f) != size || fclose(f) != 0)
		die(s.manifest);
}

/* Length of the program name at @p (up to @end), or 0 if it is not one we make. */
static size_t program_name(const char *p, const char *end, char quote)
{
	size_t n = 0;

	while (p + n < end && n <= NAME_MAX_LEN && p[n] != quote) {
		char c = p[n];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '_' || c == '.' || c == '-'))
			return 0;
		n++;
	}
	if (p + n == end || n == 0 || n > NAME_MAX_LEN || strncmp(p, "missing", 7) == 0)
		return 0;
	return n;
}

static void make_image(const char *name, size_t len)
{
	char *path = s.made[s.n_made];
	struct stat st;

	snprintf(path, sizeof(s.made[0]), "%s/%.*s.elf", s.images, (int)len, name);
	if (stat(path, &st) == 0)
		return;
	FILE *f = fopen(path, "wb");
	if (!f || fwrite(s.good, 1, s.good_len, f) != s.good_len || fclose(f) != 0)
		die(path);
	s.n_made++;
}

/* Finds image="NAME" / image='NAME' in the raw input and makes NAME.elf for each. */
static void make_images(const char *text, size_t size)
{
	const char *end = text + size;

	for (const char *p = text; s.n_made < MAX_MADE && (p = memmem(p, end - p, "image", 5));) {
		p += 5;
		while (p < end && (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r'))
			p++;
		if (p >= end || *p++ != '=')
			continue;
		while (p < end && (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r'))
			p++;
		if (p >= end || (*p != '"' && *p != '\''))
			continue;
		char quote = *p++;
		size_t n = program_name(p, end, quote);
		if (n)
			make_image(p, n);
	}
}

static void remove_images(void)
{
	for (unsigned i = 0; i < s.n_made; i++)
		if (unlink(s.made[i]) != 0)
			die(s.made[i]);
	s.n_made = 0;
}

/* Lines as an editor shows them: LF, CRLF and a lone CR each end one. */
static size_t count_lines(const uint8_t *data, size_t size)
{
	size_t lines = 1;

	for (size_t i = 0; i < size; i++)
		lines += data[i] == '\n' ||
		         (data[i] == '\r' && (i + 1 == size || data[i + 1] != '\n'));
	return lines;
}

/* What bhc promises: every error names a line of the input (or none), and says something. */
static void check_errors(const struct bhc_result *r, size_t lines)
{
	char internal[400];

	snprintf(internal, sizeof(internal), "%s: error: internal error: ", s.manifest);
	if (r->diag.n == 0 || r->plan) {
		fprintf(stderr, "fuzz_manifest: compilation failed with %zu errors and %s plan\n",
		        r->diag.n, r->plan ? "a" : "no");
		abort();
	}
	for (size_t i = 0; i < r->diag.n; i++) {
		const struct diag_entry *e = &r->diag.v[i];
		if (e->line == 0 && e->text && strncmp(e->text, internal, strlen(internal)) == 0) {
			/* bhc's own plan_check refused what it compiled, or the schema broke */
			fprintf(stderr, "fuzz_manifest: %s\n", e->text);
			abort();
		}
		if (e->line < 0 || (size_t)e->line > lines || !e->text || !e->text[0]) {
			fprintf(stderr, "fuzz_manifest: error on line %d of %zu lines: %s\n",
			        e->line, lines, e->text ? e->text : "(null)");
			abort();
		}
	}
	diag_print(&r->diag, s.devnull);
}

/*
 * The reviewer's views of a compiled system: the access matrix, one flow
 * query (first domain to the last node: the last device, if there are any,
 * else the last domain) and the picture with and without that flow. A node
 * must always reach itself in zero hops.
 */
static void check_views(const struct bhc_result *r)
{
	struct matrix mx;
	struct flow_graph g;
	struct flow_result fr;

	matrix_build(&mx, &r->m, &r->l);
	size_t last = mx.n_nodes - 1;
	matrix_print(s.devnull, &mx, 120);
	flow_graph_build(&g, &mx);
	flow_query(&g, last, last, FLOW_NO_GUARD, &fr);
	if (!fr.yes || fr.hops != 0) {
		fprintf(stderr, "fuzz_manifest: node %zu does not reach itself in 0 hops\n", last);
		abort();
	}
	(void)flow_print(s.devnull, &mx, 0, last, FLOW_NO_GUARD);
	struct graph_options o = {"fuzz", 0, GRAPH_NO_DOMAIN, GRAPH_NO_DOMAIN, GRAPH_NO_DOMAIN};
	graph_write_dot(s.devnull, &r->m, &r->l, &o);
	o.flow_from = 0;
	o.flow_to = (int)last;
	graph_write_dot(s.devnull, &r->m, &r->l, &o);
	matrix_free(&mx);
}

/* What the kernel will do with the plan: check it (it must accept), then build from it. */
static void check_plan(const struct bhc_result *r)
{
	char why[256];
	const struct bp_header *h = r->plan;

	if (r->plan_size < sizeof(*h) || h->total_size != r->plan_size) {
		fprintf(stderr, "fuzz_manifest: plan of %zu bytes, total_size says %u\n",
		        r->plan_size, r->plan_size < sizeof(*h) ? 0 : h->total_size);
		abort();
	}
	if (plan_check(r->plan, r->plan_size, why, sizeof(why)) != PLAN_OK) {
		fprintf(stderr, "fuzz_manifest: the kernel refuses the compiled plan: %s\n", why);
		abort();
	}
	volatile unsigned long sink = plan_walk(r->plan, r->plan_size);
	(void)sink;
	summary_print(s.devnull, &r->m, &r->l);
	free(planwriter_modules(&r->l));
	check_views(r);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *dirs[] = {s.images};
	struct bhc_options o = {s.manifest, dirs, 1, MANIFEST_DEFAULT_MEMORY, 0};
	struct bhc_result r;

	write_input(data, size);
	make_images((const char *)data, size);
	memset(&r, 0, sizeof(r));
	if (bhc_compile(&o, &r))
		check_plan(&r);
	else
		check_errors(&r, count_lines(data, size));
	bhc_result_free(&r);
	remove_images();
	return 0;
}
