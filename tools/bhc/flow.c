/* Information flow: which domain can influence which, along which shortest paths; policy checks. */
#include "flow.h"

#include <stdlib.h>
#include <string.h>

#define BIT(i) (1ull << (i))

/* A device column: owner and device both ways; unconfined DMA between the device and any domain. */
static bool device_carries(uint16_t x, uint16_t y)
{
	const uint16_t ends = MATRIX_OWNER | MATRIX_SELF;

	return ((x & ends) && (y & ends)) || ((x & MATRIX_SELF) && (y & MATRIX_DMA_ALL)) ||
	       ((x & MATRIX_DMA_ALL) && (y & MATRIX_SELF));
}

bool flow_carries(const struct matrix_col *c, size_t a, size_t b)
{
	uint16_t x = c->cell[a], y = c->cell[b];

	switch (c->kind) {
	case MATRIX_REGION:
		return (x & MATRIX_WRITE) && (y & MATRIX_READ);
	case MATRIX_RING:
	case MATRIX_CHANNEL:
		return x && y;
	case MATRIX_IOPORT:
		return x && (y || c->machine);
	case MATRIX_KLOG:
		return false;
	case MATRIX_DEVICE:
		return device_carries(x, y);
	case MATRIX_CONTROL:
		return x && y;
	}
	return false;
}

const char *flow_hop_note(const struct matrix_col *c, size_t a, size_t b)
{
	if (c->kind == MATRIX_REGION && c->code_sharing && (c->cell[a] & MATRIX_WRITE) &&
	    (c->cell[b] & MATRIX_EXEC))
		return "code injection";
	if (c->kind == MATRIX_IOPORT && c->machine)
		return "machine control";
	if (c->kind == MATRIX_CONTROL)
		return "domain control";
	if (c->kind == MATRIX_DEVICE && c->unconfined &&
	    !((c->cell[a] | c->cell[b]) & MATRIX_OWNER))
		return "unconfined DMA";
	return NULL;
}

void flow_graph_build(struct flow_graph *g, const struct matrix *mx)
{
	memset(g, 0, sizeof(*g));
	g->n = mx->n_nodes;
	for (size_t c = 0; c < mx->n_cols; c++)
		for (size_t a = 0; a < g->n; a++)
			for (size_t b = 0; b < g->n; b++)
				if (a != b && flow_carries(&mx->cols[c], a, b))
					g->edge[a] |= BIT(b);
}

/* The domains one hop from @u (towards @u when @reverse). */
static uint64_t neighbours(const struct flow_graph *g, size_t u, bool reverse)
{
	uint64_t in = 0;

	if (!reverse)
		return g->edge[u];
	for (size_t a = 0; a < g->n; a++)
		if (g->edge[a] & BIT(u))
			in |= BIT(a);
	return in;
}

/*
 * Hop counts from @src (to @src when @reverse) into @dist, -1 where unreachable.
 * @guard may be reached but is never passed through. Returns the reached set.
 */
static uint64_t distances(const struct flow_graph *g, size_t src, int guard, bool reverse,
                          int *dist)
{
	uint64_t frontier = BIT(src), seen = frontier;

	for (size_t i = 0; i < g->n; i++)
		dist[i] = -1;
	dist[src] = 0;
	for (int k = 1; frontier; k++) {
		uint64_t next = 0;
		for (size_t u = 0; u < g->n; u++)
			if ((frontier & BIT(u)) && (int)u != guard)
				next |= neighbours(g, u, reverse);
		next &= ~seen;
		for (size_t v = 0; v < g->n; v++)
			if (next & BIT(v))
				dist[v] = k;
		seen |= next;
		frontier = next;
	}
	return seen;
}

/* Marks every hop that lies on some shortest path of @r->hops hops. */
static void mark_hops(const struct flow_graph *g, const int *df, const int *dt, int guard,
                      struct flow_result *r)
{
	for (size_t u = 0; u < g->n; u++) {
		for (size_t v = 0; v < g->n; v++) {
			if (!(g->edge[u] & BIT(v)) || (int)u == guard || (int)v == guard ||
			    df[u] < 0 || dt[v] < 0)
				continue;
			if (df[u] + 1 + dt[v] == (int)r->hops)
				r->on_path[u] |= BIT(v);
		}
	}
}

/* Counts the shortest paths from each domain onward to the target (saturating). */
static uint64_t count_paths(const struct flow_graph *g, const int *df, size_t from, size_t to,
                            const struct flow_result *r)
{
	uint64_t count[MATRIX_MAX_NODES] = {0};

	count[to] = 1;
	for (int k = (int)r->hops - 1; k >= 0; k--) {
		for (size_t u = 0; u < g->n; u++) {
			if (df[u] != k)
				continue;
			for (size_t v = 0; v < g->n; v++) {
				if (!(r->on_path[u] & BIT(v)))
					continue;
				uint64_t sum = count[u] + count[v];
				count[u] = sum < count[u] ? UINT64_MAX : sum;
			}
		}
	}
	return count[from];
}

/* The first domain at or after @v that hop @u -> it lies on a shortest path, or @n. */
static size_t next_hop(const struct flow_result *r, size_t u, size_t v, size_t n)
{
	while (v < n && !(r->on_path[u] & BIT(v)))
		v++;
	return v;
}

/*
 * Lists shortest paths from @from in order of domain index (depth first, without
 * recursion), until path[] is full. Every hop marked leads on to the target.
 */
static void list_paths(struct flow_result *r, size_t from, size_t n)
{
	uint8_t cur[MATRIX_MAX_NODES + 1];
	size_t depth = 0, v = 0;

	cur[0] = (uint8_t)from;
	while (r->n_listed < FLOW_MAX_PATHS) {
		if (depth == r->hops) {
			memcpy(r->path[r->n_listed++], cur, r->hops + 1);
		} else if ((v = next_hop(r, cur[depth], v, n)) < n) {
			cur[++depth] = (uint8_t)v;
			v = 0;
			continue;
		}
		if (depth == 0) /* no hop left to try at the start */
			return;
		v = (size_t)cur[depth--] + 1; /* back up: try the next sibling */
	}
}

void flow_query(const struct flow_graph *g, size_t from, size_t to, int guard,
                struct flow_result *r)
{
	int df[MATRIX_MAX_NODES], dt[MATRIX_MAX_NODES];

	memset(r, 0, sizeof(*r));
	r->reach = distances(g, from, guard, false, df);
	distances(g, to, guard, true, dt);
	if (df[to] < 0)
		return;
	r->yes = true;
	r->hops = (size_t)df[to];
	mark_hops(g, df, dt, guard, r);
	r->n_paths = count_paths(g, df, from, to, r);
	list_paths(r, from, g->n);
}

/* ---- output ---- */

static void write_hop(FILE *f, const struct matrix *mx, size_t a, size_t b)
{
	bool first = true;

	fputs(" -[", f);
	for (size_t c = 0; c < mx->n_cols; c++) {
		if (!flow_carries(&mx->cols[c], a, b))
			continue;
		const char *note = flow_hop_note(&mx->cols[c], a, b);
		fprintf(f, "%s%s%s%s%s", first ? "" : "|", mx->cols[c].label, note ? " (" : "",
		        note ? note : "", note ? ")" : "");
		first = false;
	}
	fputs("]-> ", f);
}

void flow_write_path(FILE *f, const struct matrix *mx, const uint8_t *p, size_t hops)
{
	fputs(mx->nodes[p[0]].name, f);
	for (size_t i = 0; i < hops; i++) {
		write_hop(f, mx, p[i], p[i + 1]);
		fputs(mx->nodes[p[i + 1]].name, f);
	}
}

static void print_yes(FILE *f, const struct matrix *mx, const struct flow_result *r, size_t from,
                      size_t to, int guard)
{
	fprintf(f, "%llu shortest path%s of %zu hop%s from %s to %s",
	        (unsigned long long)r->n_paths, r->n_paths == 1 ? "" : "s", r->hops,
	        r->hops == 1 ? "" : "s", mx->nodes[from].name, mx->nodes[to].name);
	if (guard != FLOW_NO_GUARD)
		fprintf(f, " not through %s", mx->nodes[guard].name);
	fputs(":\n", f);
	for (size_t i = 0; i < r->n_listed; i++) {
		flow_write_path(f, mx, r->path[i], r->hops);
		fputc('\n', f);
	}
	if (r->n_paths > r->n_listed)
		fprintf(f, "... and %llu more (only the first %u shortest paths are printed)\n",
		        (unsigned long long)(r->n_paths - r->n_listed), FLOW_MAX_PATHS);
}

static void print_no(FILE *f, const struct matrix *mx, const struct flow_result *r, size_t from,
                     int guard)
{
	bool any = false;

	fprintf(f, "from %s, information can reach", mx->nodes[from].name);
	for (size_t d = 0; d < mx->n_nodes; d++) {
		if (d == from || !(r->reach & BIT(d)))
			continue;
		fprintf(f, "%s %s", any ? "," : ":", mx->nodes[d].name);
		any = true;
	}
	fputs(any ? "" : " no other domain", f);
	if (guard != FLOW_NO_GUARD)
		fprintf(f, " (paths through %s not followed)", mx->nodes[guard].name);
	fputc('\n', f);
}

bool flow_print(FILE *f, const struct matrix *mx, size_t from, size_t to, int guard)
{
	struct flow_graph g;
	struct flow_result *r = malloc(sizeof(*r));

	if (!r)
		abort();
	flow_graph_build(&g, mx);
	flow_query(&g, from, to, guard, r);
	fprintf(f, "flow: %s\n", r->yes ? "yes" : "no");
	if (r->yes)
		print_yes(f, mx, r, from, to, guard);
	else
		print_no(f, mx, r, from, guard);
	bool yes = r->yes;
	free(r);
	return yes;
}

/* ---- policy ---- */

static void report_violation(struct manifest *m, const struct matrix *mx,
                             const struct m_no_flow *nf, const struct flow_result *r)
{
	char *path = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&path, &len);

	if (!f)
		abort();
	flow_write_path(f, mx, r->path[0], r->hops);
	fclose(f);
	if (nf->through)
		diag_error(m->diag, nf->line,
		           "policy violated: information can flow from %s to %s without passing "
		           "through %s: %s; remove that access or route it through %s",
		           nf->from, nf->to, nf->through, path, nf->through);
	else
		diag_error(m->diag, nf->line,
		           "policy violated: information can flow from %s to %s: %s; remove "
		           "that access, or add except-through=\"DOMAIN\" to allow paths through "
		           "a guard",
		           nf->from, nf->to, path);
	free(path);
}

void flow_check_policy(struct manifest *m, const struct layout *l)
{
	struct matrix mx;
	struct flow_graph g;
	struct flow_result *r = malloc(sizeof(*r));

	if (!r)
		abort();
	matrix_build(&mx, m, l);
	flow_graph_build(&g, &mx);
	for (size_t i = 0; i < m->n_no_flows; i++) {
		const struct m_no_flow *nf = &m->no_flows[i];
		if (!nf->ok)
			continue;
		flow_query(&g, (size_t)nf->from_idx, (size_t)nf->to_idx,
		           nf->through ? nf->through_idx : FLOW_NO_GUARD, r);
		if (r->yes)
			report_violation(m, &mx, nf, r);
	}
	matrix_free(&mx);
	free(r);
}
