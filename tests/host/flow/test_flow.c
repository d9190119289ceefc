/* Flow tests: every manifest of tests/flow against its hand-worked NAME.expect, and bhc's output. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fake_elf.h"
#include "flow.h"
#include "matrix.h"
#include "run_bhc.h"
#include "test_flow.h"

#define MAX_QUERIES 64
#define MAX_PATH_LINES FLOW_MAX_PATHS
#define LINE_LEN 1024

struct flow_env flow_env;

/* One question of a NAME.expect file: FROM TO [except GUARD] yes|no [HOPS [COUNT]]. */
struct query {
	int line;
	char from[64], to[64], guard[64];
	bool yes;
	long hops, count;                     /* -1: not given */
	char paths[MAX_PATH_LINES][LINE_LEN]; /* "= PATH" lines after it */
	size_t n_paths;
};

struct expectation {
	char error[LINE_LEN]; /* "LINE: error: MESSAGE", or "" when it must compile */
	bool partial;         /* not every ordered pair of domains is asked */
	struct query q[MAX_QUERIES];
	size_t n;
};

struct corpus_case {
	char name[256]; /* NAME.xml */
};

/* ---- helpers shared with test_flow_out.c ---- */

const char *flow_path(const char *name)
{
	static char path[PATH_MAX + 300];

	snprintf(path, sizeof(path), "%s/%s", flow_env.corpus, name);
	return path;
}

bool flow_compile(const char *name, struct bhc_result *r)
{
	const char *dirs[] = {flow_env.images};
	struct bhc_options o = {flow_path(name), dirs, 1, 512ull << 20, 0};

	memset(r, 0, sizeof(*r));
	return bhc_compile(&o, r);
}

void flow_run_bhc(struct flow_run *r, const char *const *args)
{
	r->status = run_bhc_exec(flow_env.bhc, flow_env.tmp, args, r->out, sizeof(r->out), r->err,
	                         sizeof(r->err));
}

/* ---- reading NAME.expect ---- */

/* Reads a count into *@out; false unless @tok is a whole decimal number. */
static bool number(const char *tok, long *out)
{
	char *end = NULL;

	*out = strtol(tok, &end, 10);
	return tok[0] >= '0' && tok[0] <= '9' && *end == '\0';
}

static void parse_query(const char *file, int line, char *text, struct query *q)
{
	char *tok[8], *save = NULL;
	size_t n = 0, k = 2;
	bool ok;

	memset(q, 0, sizeof(*q));
	q->line = line;
	q->hops = q->count = -1;
	for (char *t = strtok_r(text, " \t", &save); t && n < 8; t = strtok_r(NULL, " \t", &save))
		tok[n++] = t;
	ok = n >= 3;
	if (ok && strcmp(tok[2], "except") == 0 && n >= 5) {
		snprintf(q->guard, sizeof(q->guard), "%s", tok[3]);
		k = 4;
	}
	ok = ok && (strcmp(tok[k], "yes") == 0 || strcmp(tok[k], "no") == 0);
	q->yes = ok && strcmp(tok[k], "yes") == 0;
	ok = ok && (n <= k + 1 || (q->yes && number(tok[k + 1], &q->hops))) &&
	     (n <= k + 2 || number(tok[k + 2], &q->count)) && n <= k + 3;
	if (!ok) {
		fail_msg("%s:%d: expected FROM TO [except GUARD] yes HOPS [COUNT] or FROM TO "
		         "[except GUARD] no",
		         file, line);
		return;
	}
	snprintf(q->from, sizeof(q->from), "%s", tok[0]);
	snprintf(q->to, sizeof(q->to), "%s", tok[1]);
}

static void parse_line(const char *file, int line, char *text, struct expectation *e)
{
	text[strcspn(text, "\n")] = '\0';
	if (text[0] == '#' || text[0] == '\0')
		return;
	if (strcmp(text, "partial") == 0) {
		e->partial = true;
	} else if (strncmp(text, "error ", 6) == 0) {
		snprintf(e->error, sizeof(e->error), "%s", text + 6);
	} else if (strncmp(text, "= ", 2) == 0) {
		if (e->n == 0 || e->q[e->n - 1].n_paths == MAX_PATH_LINES)
			fail_msg("%s:%d: a path line needs a query before it (at most %u)", file,
			         line, MAX_PATH_LINES);
		struct query *q = &e->q[e->n - 1];
		snprintf(q->paths[q->n_paths++], LINE_LEN, "%s", text + 2);
	} else {
		if (e->n == MAX_QUERIES)
			fail_msg("%s:%d: too many queries", file, line);
		parse_query(file, line, text, &e->q[e->n++]);
	}
}

static void read_expectation(const char *name, struct expectation *e)
{
	char path[PATH_MAX + 300], text[LINE_LEN];
	int line = 0;

	memset(e, 0, sizeof(*e));
	snprintf(path, sizeof(path), "%s", flow_path(name));
	snprintf(path + strlen(path) - 4, 8, ".expect");
	FILE *f = fopen(path, "r");
	if (!f)
		fail_msg("%s has no %s", name, path);
	while (fgets(text, sizeof(text), f))
		parse_line(path, ++line, text, e);
	fclose(f);
	if (e->n == 0)
		fail_msg("%s asks no question", path);
}

/* ---- checking the answers ---- */

/* The node of a domain or device named in a query. */
static int domain_of(const struct matrix *mx, const char *name, const struct query *q)
{
	int d = matrix_find_node(mx, name);

	if (d < 0)
		fail_msg("expect line %d: no domain or device '%s'", q->line, name);
	return d;
}

static void path_text(const struct matrix *mx, const struct flow_result *r, size_t i, char *buf,
                      size_t len)
{
	FILE *f = fmemopen(buf, len, "w");

	assert_non_null(f);
	flow_write_path(f, mx, r->path[i], r->hops);
	fclose(f);
}

static void check_paths(const struct matrix *mx, const struct query *q, const struct flow_result *r)
{
	char got[LINE_LEN];

	if (q->n_paths == 0)
		return;
	if (q->n_paths != r->n_listed)
		fail_msg("expect line %d (%s -> %s): %zu paths listed, expected %zu", q->line,
		         q->from, q->to, r->n_listed, q->n_paths);
	for (size_t i = 0; i < q->n_paths; i++) {
		path_text(mx, r, i, got, sizeof(got));
		if (strcmp(got, q->paths[i]) != 0)
			fail_msg("expect line %d, path %zu:\n  expected: %s\n  got:      %s",
			         q->line, i + 1, q->paths[i], got);
	}
}

static void check_query(const struct matrix *mx, const struct flow_graph *g, const struct query *q)
{
	int from = domain_of(mx, q->from, q), to = domain_of(mx, q->to, q);
	int guard = q->guard[0] ? domain_of(mx, q->guard, q) : FLOW_NO_GUARD;
	struct flow_result *r = malloc(sizeof(*r));

	assert_non_null(r);
	flow_query(g, (size_t)from, (size_t)to, guard, r);
	if (r->yes != q->yes)
		fail_msg("expect line %d: %s -> %s%s%s: expected %s, got %s", q->line, q->from,
		         q->to, guard >= 0 ? " except " : "", q->guard, q->yes ? "yes" : "no",
		         r->yes ? "yes" : "no");
	if (q->hops >= 0 && (size_t)q->hops != r->hops)
		fail_msg("expect line %d: %s -> %s: expected %ld hops, got %zu", q->line, q->from,
		         q->to, q->hops, r->hops);
	if (q->count >= 0 && (uint64_t)q->count != r->n_paths)
		fail_msg("expect line %d: %s -> %s: expected %ld shortest paths, got %llu", q->line,
		         q->from, q->to, q->count, (unsigned long long)r->n_paths);
	if (r->yes)
		assert_int_equal(r->n_listed,
		                 r->n_paths < FLOW_MAX_PATHS ? r->n_paths : FLOW_MAX_PATHS);
	check_paths(mx, q, r);
	free(r);
}

/* Unless partial, every ordered pair of distinct domains must have a hand-worked answer. */
static void check_complete(const struct manifest *m, const struct expectation *e)
{
	for (size_t a = 0; a < m->n_domains && !e->partial; a++) {
		for (size_t b = 0; b < m->n_domains; b++) {
			bool asked = a == b;
			for (size_t i = 0; i < e->n && !asked; i++)
				asked = !e->q[i].guard[0] &&
				        strcmp(e->q[i].from, m->domains[a].name) == 0 &&
				        strcmp(e->q[i].to, m->domains[b].name) == 0;
			if (!asked)
				fail_msg(
					"no answer for %s -> %s; work it out and add it (or mark the "
					"file partial)",
					m->domains[a].name, m->domains[b].name);
		}
	}
}

/*
 * An independent cross-check: hop counts by Floyd-Warshall over the one-hop
 * relation read straight from the matrix, against the breadth-first search,
 * between every two nodes (devices included).
 */
static void check_distances(const struct matrix *mx, const struct flow_graph *g)
{
	size_t n = mx->n_nodes;
	static long dist[MATRIX_MAX_NODES][MATRIX_MAX_NODES];
	struct flow_result *r = malloc(sizeof(*r));

	assert_non_null(r);
	for (size_t a = 0; a < n; a++)
		for (size_t b = 0; b < n; b++) {
			dist[a][b] = a == b ? 0 : 1000;
			for (size_t c = 0; c < mx->n_cols && a != b; c++)
				if (flow_carries(&mx->cols[c], a, b))
					dist[a][b] = 1;
		}
	for (size_t k = 0; k < n; k++)
		for (size_t a = 0; a < n; a++)
			for (size_t b = 0; b < n; b++)
				if (dist[a][k] + dist[k][b] < dist[a][b])
					dist[a][b] = dist[a][k] + dist[k][b];
	for (size_t a = 0; a < n; a++)
		for (size_t b = 0; b < n; b++) {
			flow_query(g, a, b, FLOW_NO_GUARD, r);
			assert_int_equal(r->yes, dist[a][b] < 1000);
			if (r->yes)
				assert_int_equal(r->hops, dist[a][b]);
		}
	free(r);
}

/* The error text without its "PATH:" prefix. */
static const char *without_file(const char *text, const char *file)
{
	size_t len = strlen(file);

	return strncmp(text, file, len) == 0 && text[len] == ':' ? text + len + 1 : text;
}

static void check_compilation(const struct corpus_case *c, const struct expectation *e,
                              struct bhc_result *r)
{
	bool ok = flow_compile(c->name, r);

	if (!e->error[0] && !ok) {
		diag_print(&r->diag, stderr);
		fail_msg("%s was refused", c->name);
	}
	if (e->error[0]) {
		if (ok)
			fail_msg("%s compiled; expected: %s", c->name, e->error);
		assert_null(r->plan);
		if (r->diag.n != 1) {
			diag_print(&r->diag, stderr);
			fail_msg("%s: %zu errors, expected exactly one", c->name, r->diag.n);
		}
		const char *got = without_file(r->diag.v[0].text, flow_path(c->name));
		if (strcmp(got, e->error) != 0)
			fail_msg("%s:\n  expected: %s\n  got:      %s", c->name, e->error, got);
	}
	/* A policy is checked last, so the system is complete even when it is violated. */
	assert_int_equal(r->l.n_domains, r->m.n_domains);
}

static void test_case(void **state)
{
	const struct corpus_case *c = *state;
	struct expectation *e = malloc(sizeof(*e));
	struct bhc_result r;
	struct matrix mx;
	struct flow_graph g;

	assert_non_null(e);
	read_expectation(c->name, e);
	check_compilation(c, e, &r);
	matrix_build(&mx, &r.m, &r.l);
	flow_graph_build(&g, &mx);
	check_complete(&r.m, e);
	for (size_t i = 0; i < e->n; i++)
		check_query(&mx, &g, &e->q[i]);
	check_distances(&mx, &g);
	matrix_free(&mx);
	bhc_result_free(&r);
	free(e);
}

/* ---- the test program ---- */

static int by_name(const void *a, const void *b)
{
	return strcmp(((const struct corpus_case *)a)->name, ((const struct corpus_case *)b)->name);
}

static size_t list_corpus(const char *dir, struct corpus_case **cases)
{
	DIR *dp = opendir(dir);
	struct dirent *de;
	size_t n = 0;

	if (!dp) {
		fprintf(stderr, "cannot open %s\n", dir);
		exit(1);
	}
	while ((de = readdir(dp))) {
		size_t len = strlen(de->d_name);
		if (len < 5 || strcmp(de->d_name + len - 4, ".xml") != 0)
			continue;
		*cases = realloc(*cases, (n + 1) * sizeof(**cases));
		snprintf((*cases)[n++].name, sizeof((*cases)[0].name), "%s", de->d_name);
	}
	closedir(dp);
	if (n > 1)
		qsort(*cases, n, sizeof(**cases), by_name);
	return n;
}

static void make_env(void)
{
	char made[] = "/tmp/bhc-flow-XXXXXX";

	if (!mkdtemp(made) || !realpath(made, flow_env.tmp)) {
		perror("mkdtemp");
		exit(1);
	}
	snprintf(flow_env.images, sizeof(flow_env.images), "%.4000s/images", flow_env.tmp);
	if (mkdir(flow_env.images, 0755) || !fake_elf_write_all(flow_env.images)) {
		perror("writing fake images");
		exit(1);
	}
}

static void remove_env(void)
{
	char cmd[PATH_MAX + 16];

	if (strncmp(flow_env.tmp, "/tmp/bhc-flow-", 14) != 0)
		return;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", flow_env.tmp);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", flow_env.tmp);
}

int main(int argc, char **argv)
{
	static const struct CMUnitTest fixed[] = {
		cmocka_unit_test(test_out_flow_yes),      cmocka_unit_test(test_out_flow_no),
		cmocka_unit_test(test_out_flow_many),     cmocka_unit_test(test_out_matrix),
		cmocka_unit_test(test_out_matrix_groups), cmocka_unit_test(test_out_usage),
		cmocka_unit_test(test_out_policy),        cmocka_unit_test(test_out_graph),
		cmocka_unit_test(test_out_hops_named),    cmocka_unit_test(test_out_devices),
		cmocka_unit_test(test_out_devices_graph), cmocka_unit_test(test_out_control),
	};
	struct corpus_case *cases = NULL;

	if (argc != 3) {
		fprintf(stderr, "usage: %s FLOW_CORPUS_DIR BHC\n", argv[0]);
		return 2;
	}
	flow_env.corpus = argv[1];
	flow_env.bhc = argv[2];
	make_env();
	size_t n_cases = list_corpus(argv[1], &cases), n = sizeof(fixed) / sizeof(fixed[0]);
	printf("flow corpus: %zu manifests\n", n_cases);
	if (n_cases < 8) {
		fprintf(stderr, "the flow corpus needs at least 8 manifests, found %zu\n", n_cases);
		free(cases);
		return 1;
	}
	struct CMUnitTest *tests = malloc((n + n_cases) * sizeof(*tests));
	memcpy(tests, fixed, sizeof(fixed));
	for (size_t i = 0; i < n_cases; i++)
		tests[n++] = (struct CMUnitTest){cases[i].name, test_case, NULL, NULL, &cases[i]};
	int failed = _cmocka_run_group_tests("flow", tests, n, NULL, NULL);
	remove_env();
	free(tests);
	free(cases);
	return failed ? 1 : 0;
}
