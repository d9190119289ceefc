/* System picture: the compiled system as a Graphviz DOT graph, optionally with a flow highlighted. */
#include "graph.h"

#include <stdlib.h>
#include <string.h>

#include "control.h"
#include "flow.h"
#include "matrix.h"
#include "value.h"

#define BIT(i) (1ull << (i))

#define RED "#d62728"
#define GREY "#c8c8c8"
#define GREY_TEXT "#a0a0a0"
#define GREY_FILL "#f7f7f7"
#define REGION_COLOR "#7d4fa3"
#define RING_COLOR "#2f6db5"
#define IO_FILL "#fff4c2"
#define IO_COLOR "#a68a00"
#define DEVICE_FILL "#dff2ef"
#define DEVICE_COLOR "#1f7a6d"
#define DMA_COLOR "#b0007a"
#define CONTROL_COLOR "#8c2d04"

struct role_style {
	const char *cluster, *title, *fill, *border;
};

static const struct role_style role_styles[] = {
	[M_ROLE_NONE] = {"cluster_application", "applications", "#dcefd6", "#3f8f3f"},
	[M_ROLE_DRIVER] = {"cluster_driver", "drivers", "#fbe3c9", "#c46a1b"},
	[M_ROLE_SERVICE] = {"cluster_service", "services", "#d5e5f6", "#2f6db5"},
	[M_ROLE_APPLICATION] = {"cluster_application", "applications", "#dcefd6", "#3f8f3f"},
};

/* How an element is drawn under --flow: as usual (no flow asked), on a path, or greyed. */
enum look { LOOK_NORMAL, LOOK_LIT, LOOK_GREY };

struct dot {
	FILE *f;
	const struct manifest *m;
	const struct layout *l;
	const struct graph_options *o;
	struct matrix mx;
	struct flow_result *flow; /* NULL without a flow to show */
	char **ids;               /* every id written, to keep them unique */
	size_t n_ids;
	char ref[MATRIX_MAX_NODES][BP_NAME_LEN + 8]; /* each node's DOT name: NAME, (dev:NAME) */
};

/* ---- small writers ---- */

/* Writes @s as a DOT quoted string. */
static void quoted(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			fputc('\\', f);
		fputc(*s, f);
	}
	fputc('"', f);
}

/* Writes @s escaped for a DOT HTML-like label. */
static void html(FILE *f, const char *s)
{
	for (; *s; s++) {
		if (*s == '&')
			fputs("&amp;", f);
		else if (*s == '<')
			fputs("&lt;", f);
		else if (*s == '>')
			fputs("&gt;", f);
		else if (*s == '"')
			fputs("&quot;", f);
		else
			fputc(*s, f);
	}
}

/* Writes id="...": @id with characters outside [A-Za-z0-9_.-] as '_', made unique with -2, -3. */
static void write_id(struct dot *d, const char *id)
{
	char clean[160], unique[176];
	size_t n = 0;

	for (; *id && n + 1 < sizeof(clean); id++) {
		bool ok = (*id >= 'a' && *id <= 'z') || (*id >= 'A' && *id <= 'Z') ||
		          (*id >= '0' && *id <= '9') || *id == '_' || *id == '.' || *id == '-';
		clean[n++] = ok ? *id : '_';
	}
	clean[n] = '\0';
	snprintf(unique, sizeof(unique), "%s", clean);
	for (unsigned k = 2;; k++) {
		bool taken = false;
		for (size_t i = 0; i < d->n_ids && !taken; i++)
			taken = strcmp(d->ids[i], unique) == 0;
		if (!taken)
			break;
		snprintf(unique, sizeof(unique), "%s-%u", clean, k);
	}
	char **slot = arena_vec_push((void **)&d->ids, &d->n_ids, sizeof(*slot));
	*slot = strdup(unique);
	if (!*slot)
		abort();
	fprintf(d->f, "id=\"%s\"", unique);
}

/* Spells @bytes as a manifest would: 16K, 1M, or plain bytes. */
static const char *short_size(uint64_t bytes, char *buf, size_t len)
{
	if (bytes && bytes % (1ull << 20) == 0)
		snprintf(buf, len, "%lluM", (unsigned long long)(bytes >> 20));
	else if (bytes && bytes % (1ull << 10) == 0)
		snprintf(buf, len, "%lluK", (unsigned long long)(bytes >> 10));
	else
		snprintf(buf, len, "%llu", (unsigned long long)bytes);
	return buf;
}

/* ---- what the flow lights up ---- */

static bool node_on_path(const struct dot *d, size_t n)
{
	if (!d->flow->yes)
		return false;
	for (size_t u = 0; u < d->mx.n_nodes; u++)
		if ((d->flow->on_path[u] & BIT(n)) || (u == n && d->flow->on_path[u]))
			return true;
	return false;
}

static enum look domain_look(const struct dot *d, size_t n)
{
	if (!d->flow)
		return LOOK_NORMAL;
	if ((int)n == d->o->flow_from || (int)n == d->o->flow_to || node_on_path(d, n))
		return LOOK_LIT;
	return LOOK_GREY;
}

/* An edge between domains @a and @b carrying a -> b (and b -> a when @both). */
static enum look hop_look(const struct dot *d, size_t a, size_t b, bool both)
{
	if (!d->flow)
		return LOOK_NORMAL;
	if ((d->flow->on_path[a] & BIT(b)) || (both && (d->flow->on_path[b] & BIT(a))))
		return LOOK_LIT;
	return LOOK_GREY;
}

static enum look other_look(const struct dot *d)
{
	return d->flow ? LOOK_GREY : LOOK_NORMAL;
}

/* Overrides colours after an element's own attributes (DOT keeps the last value). */
static void write_look(FILE *f, enum look look, bool node)
{
	if (look == LOOK_LIT)
		fprintf(f, ", color=\"%s\", fontcolor=\"%s\", penwidth=%s", RED, RED,
		        node ? "2.5" : "3");
	else if (look == LOOK_GREY)
		fprintf(f, ", color=\"%s\", fontcolor=\"%s\"%s", GREY, GREY_TEXT,
		        node ? ", fillcolor=\"" GREY_FILL "\"" : "");
}

/* ---- the title block: title, facts, flow, legend ---- */

/* Opens a row of the title block: one cell spanning both columns. */
static void row(FILE *f, const char *size)
{
	fprintf(f, "\t\t<tr><td colspan=\"2\" align=\"left\"><font point-size=\"%s\">", size);
}

static void end_row(FILE *f)
{
	fputs("</font></td></tr>\n", f);
}

static void write_flow_row(struct dot *d)
{
	const struct flow_result *r = d->flow;
	const char *a = d->mx.nodes[d->o->flow_from].name;
	const char *b = d->mx.nodes[d->o->flow_to].name;

	row(d->f, "12");
	fprintf(d->f, "<font color=\"%s\">flow %s &#8594; %s", RED, a, b);
	if (d->o->guard != GRAPH_NO_DOMAIN)
		fprintf(d->f, " not through %s", d->mx.nodes[d->o->guard].name);
	if (r->yes)
		fprintf(d->f, ": yes, %llu shortest path%s of %zu hop%s, drawn in red</font>",
		        (unsigned long long)r->n_paths, r->n_paths == 1 ? "" : "s", r->hops,
		        r->hops == 1 ? "" : "s");
	else
		fputs(": no; nothing carries information that way</font>", d->f);
	end_row(d->f);
}

static size_t count_cols(const struct matrix *mx, enum matrix_kind kind, bool is_stdout)
{
	size_t n = 0;

	for (size_t c = 0; c < mx->n_cols; c++)
		n += mx->cols[c].kind == kind && mx->cols[c].is_stdout == is_stdout;
	return n;
}

/* Writes "N THING(s)", after " &#183; " unless @first. */
static void count_item(FILE *f, size_t n, const char *thing, bool first)
{
	fprintf(f, "%s%zu %s%s", first ? "" : " &#183; ", n, thing, n == 1 ? "" : "s");
}

static void write_facts(struct dot *d)
{
	char ram[32], used[32];
	FILE *f = d->f;

	row(f, "10");
	count_item(f, d->m->n_domains, "domain", true);
	count_item(f, count_cols(&d->mx, MATRIX_REGION, false), "region", false);
	count_item(f, count_cols(&d->mx, MATRIX_RING, false), "ring", false);
	count_item(f, count_cols(&d->mx, MATRIX_RING, true), "stdout ring", false);
	count_item(f, count_cols(&d->mx, MATRIX_CHANNEL, false), "channel", false);
	count_item(f, count_cols(&d->mx, MATRIX_IOPORT, false), "I/O port range", false);
	if (d->mx.n_nodes > d->mx.n_domains)
		count_item(f, d->mx.n_nodes - d->mx.n_domains, "device", false);
	end_row(f);
	row(f, "10");
	fprintf(f, "memory %s of %s &#183; boot plan CRC-32 0x%08x",
	        value_format_size(d->l->memory_total, used, sizeof(used)),
	        value_format_size(d->l->memory_bytes, ram, sizeof(ram)), d->o->checksum);
	end_row(f);
	row(f, "10");
	fputs("manifest ", f);
	html(f, d->o->source);
	end_row(f);
}

/* One legend line: a sample (@bg the cell colour, or NULL) and what it means. */
static void legend_item(FILE *f, const char *bg, const char *sample, const char *meaning)
{
	fprintf(f, "\t\t<tr><td%s%s%s><font point-size=\"9\">%s</font></td>",
	        bg ? " bgcolor=\"" : "", bg ? bg : "", bg ? "\"" : "", sample);
	fprintf(f, "<td align=\"left\"><font point-size=\"9\">%s</font></td></tr>\n", meaning);
}

/*
 * Whether @mx has a column of @kind that is a machine port, a code-sharing
 * region or an unconfined device (@special), or one that is none of them.
 */
static bool has_col(const struct matrix *mx, enum matrix_kind kind, bool special)
{
	for (size_t c = 0; c < mx->n_cols; c++)
		if (mx->cols[c].kind == kind && (mx->cols[c].machine || mx->cols[c].code_sharing ||
		                                 mx->cols[c].unconfined) == special)
			return true;
	return false;
}

static void write_legend(struct dot *d)
{
	FILE *f = d->f;

	fputs("\t\t<tr><td colspan=\"2\" align=\"left\"><font point-size=\"10\"><b>legend</b>"
	      "</font></td></tr>\n",
	      f);
	legend_item(f, role_styles[M_ROLE_DRIVER].fill, "driver",
	            "I/O ports or devices, or role=driver");
	legend_item(f, role_styles[M_ROLE_SERVICE].fill, "service", "the console, or role=service");
	legend_item(f, role_styles[M_ROLE_APPLICATION].fill, "application", "any other domain");
	legend_item(f, NULL, "<font color=\"" REGION_COLOR "\">region:NAME (rw -&gt; r)</font>",
	            "shared map, each writer &#8594; each reader");
	legend_item(f, NULL, "<font color=\"" RING_COLOR "\"><b>ring:NAME 16K</b></font>",
	            "client &#8594; server; data flows both ways");
	legend_item(f, NULL, "chan:NAME (s, -), dashed",
	            "signals flow both ways; s: may signal, -: only signalled");
	legend_item(f, NULL, "<font color=\"#999999\">stdout</font>",
	            "each domain's output ring to the console");
	legend_item(f, NULL, "klog, dotted", "kernel log: the kernel writes, the console reads");
	legend_item(f, IO_FILL, "I/O ports", "a port range and its one owner");
	if (d->mx.n_nodes > d->mx.n_domains)
		legend_item(f, DEVICE_FILL, "device",
		            "a PCI function; dev:NAME joins it to its owner, region edges show "
		            "where its DMA reaches");
	if (has_col(&d->mx, MATRIX_DEVICE, true))
		legend_item(f, NULL,
		            "<font color=\"" DMA_COLOR "\"><b>dev:... (unconfined DMA)</b></font>",
		            "no IOMMU confines it: it reads and writes every domain's memory");
	if (has_col(&d->mx, MATRIX_IOPORT, true))
		legend_item(f, NULL,
		            "<font color=\"" IO_COLOR "\"><b>io:... (machine control)</b></font>",
		            "a machine port: its owner reaches every domain");
	if (has_col(&d->mx, MATRIX_REGION, true))
		legend_item(f, NULL,
		            "<font color=\"" REGION_COLOR "\"><b>... code injection</b></font>",
		            "a code-sharing region: the writer's code runs in the executor");
	if (has_col(&d->mx, MATRIX_CONTROL, false))
		legend_item(f, NULL, "<font color=\"" CONTROL_COLOR "\"><b>ctl (rights)</b></font>",
		            "domain control: the tail stops, restarts or replaces the head");
	if (d->flow)
		legend_item(f, NULL, "<font color=\"" RED "\"><b>red</b></font>",
		            "every shortest path of the flow");
}

/* The graph's label, in the lower right corner: the title block of a drawing. */
static void write_title_block(struct dot *d)
{
	FILE *f = d->f;

	fputs("\tlabel=<<table border=\"1\" cellborder=\"0\" cellspacing=\"0\" "
	      "cellpadding=\"3\" color=\"#888888\">\n",
	      f);
	row(f, "18");
	fputs("<b>System ", f);
	html(f, d->m->name);
	fputs("</b>", f);
	end_row(f);
	write_facts(d);
	if (d->flow)
		write_flow_row(d);
	fputs("\t\t<tr><td colspan=\"2\"><table border=\"0\" cellborder=\"1\" "
	      "cellspacing=\"0\" cellpadding=\"2\" color=\"#bbbbbb\">\n",
	      f);
	write_legend(d);
	fputs("\t\t</table></td></tr>\n\t\t</table>>;\n", f);
}

/* ---- nodes ---- */

static void write_domain(struct dot *d, size_t n)
{
	const struct m_domain *dom = &d->m->domains[n];
	const struct role_style *s = &role_styles[manifest_role(d->m, n)];
	char a[48], b[32];
	FILE *f = d->f;

	fputs("\t\t", f);
	quoted(f, dom->name);
	fputs(" [", f);
	snprintf(a, sizeof(a), "dom_%s", dom->name);
	write_id(d, a);
	fprintf(f,
	        ", fillcolor=\"%s\", color=\"%s\", label=<<b>%s</b><br/><font point-size=\"9\">"
	        "image %s &#183; priority %u<br/>",
	        s->fill, s->border, dom->name, d->l->domains[n].image, d->l->domains[n].priority);
	if (dom->budget_us)
		fprintf(f, "%s per %s &#183; ", value_format_time(dom->budget_us, a, sizeof(a)),
		        value_format_time(dom->period_us, b, sizeof(b)));
	fprintf(f, "%s</font>>", value_format_size(d->l->ld[n].total_bytes, a, sizeof(a)));
	write_look(f, domain_look(d, n), true);
	fputs("];\n", f);
}

static void write_ioport_node(struct dot *d, const struct matrix_col *c)
{
	char id[64];
	FILE *f = d->f;

	snprintf(id, sizeof(id), "io_0x%x_%llu", c->base, (unsigned long long)c->size);
	fprintf(f, "\t\t\"(%s)\" [", c->label);
	write_id(d, id);
	fprintf(f, ", shape=box, style=filled, fillcolor=\"%s\", color=\"%s\", ", IO_FILL,
	        IO_COLOR);
	if (c->size == 1)
		fprintf(f, "label=<I/O port<br/>0x%x%s>", c->base,
		        c->machine ? "<br/>machine control" : "");
	else
		fprintf(f, "label=<I/O ports<br/>0x%x..0x%llx%s>", c->base,
		        (unsigned long long)(c->base + c->size - 1),
		        c->machine ? "<br/>machine control" : "");
	write_look(f, other_look(d), true);
	fputs("];\n", f);
}

/* The I/O port ranges of domain @n, drawn next to it in its cluster. */
static void write_ioport_nodes(struct dot *d, size_t n)
{
	for (size_t c = 0; c < d->mx.n_cols; c++)
		if (d->mx.cols[c].kind == MATRIX_IOPORT && d->mx.cols[c].cell[n])
			write_ioport_node(d, &d->mx.cols[c]);
}

/* A device: a component box in its owner's cluster, with its PCI address, irq and DMA. */
static void write_device_node(struct dot *d, size_t n)
{
	const struct matrix_node *dev = &d->mx.nodes[n];
	const struct bp_device *bd = &d->l->devices[n - d->mx.n_domains];
	char id[64], pci[16];
	FILE *f = d->f;

	fputc('\t', f);
	fputc('\t', f);
	quoted(f, d->ref[n]);
	fputs(" [", f);
	snprintf(id, sizeof(id), "dev_%s", dev->name);
	write_id(d, id);
	fprintf(f,
	        ", shape=component, style=filled, fillcolor=\"%s\", color=\"%s\", "
	        "label=<<b>device %s</b><br/><font point-size=\"9\">PCI %s",
	        DEVICE_FILL, dev->unconfined ? DMA_COLOR : DEVICE_COLOR, dev->name,
	        value_format_pci(dev->pci, pci, sizeof(pci)));
	if (bd->irq_bit != BP_NONE)
		fprintf(f, " &#183; irq %u", bd->irq_bit);
	fprintf(f, "<br/>%s</font>>",
	        dev->unconfined ? "unconfined DMA: all memory" : "DMA through the IOMMU");
	write_look(f, domain_look(d, n), true);
	fputs("];\n", f);
}

/* The devices domain @n drives, drawn next to it in its cluster. */
static void write_device_nodes(struct dot *d, size_t n)
{
	for (size_t i = d->mx.n_domains; i < d->mx.n_nodes; i++)
		if (d->mx.nodes[i].owner == n)
			write_device_node(d, i);
}

static void write_cluster(struct dot *d, enum m_role role)
{
	const struct role_style *s = &role_styles[role];
	bool any = false;

	for (size_t n = 0; n < d->m->n_domains; n++)
		any |= manifest_role(d->m, n) == role;
	if (!any)
		return;
	fprintf(d->f, "\tsubgraph %s {\n\t\t", s->cluster);
	write_id(d, s->cluster);
	fprintf(d->f,
	        ";\n\t\tlabel=\"%s\"; style=\"rounded,dashed\"; color=\"%s\"; "
	        "fontcolor=\"%s\";\n",
	        s->title, d->flow ? GREY : s->border, d->flow ? GREY_TEXT : s->border);
	for (size_t n = 0; n < d->m->n_domains; n++) {
		if (manifest_role(d->m, n) != role)
			continue;
		write_domain(d, n);
		write_ioport_nodes(d, n);
		write_device_nodes(d, n);
	}
	fputs("\t}\n", d->f);
}

static void write_kernel(struct dot *d)
{
	fputs("\t\"(kernel)\" [", d->f);
	write_id(d, "node_kernel");
	fputs(", shape=box3d, style=filled, fillcolor=\"#e6e6e6\", color=\"#555555\", "
	      "label=<<b>kernel</b><br/><font point-size=\"9\">writes the kernel log</font>>",
	      d->f);
	write_look(d->f, other_look(d), true);
	fputs("];\n", d->f);
}

/* ---- edges ---- */

/* Starts an edge statement: "TAIL" -> "HEAD" [id="...". */
static void edge_head(struct dot *d, const char *tail, const char *head, const char *id)
{
	fputc('\t', d->f);
	quoted(d->f, tail);
	fputs(" -> ", d->f);
	quoted(d->f, head);
	fputs(" [", d->f);
	write_id(d, id);
}

/* Node @n as an edge names it: a domain by its name, a device as (dev:NAME). */
static const char *dom_name(const struct dot *d, size_t n)
{
	return d->ref[n];
}

/* Node @n as an id spells it: its name. */
static const char *node_name(const struct dot *d, size_t n)
{
	return d->mx.nodes[n].name;
}

/* A region mapped by a writer and a reader: one edge per pair, both ways in one edge. */
static void write_region_pair(struct dot *d, const struct matrix_col *c, size_t a, size_t b)
{
	bool ab = flow_carries(c, a, b), ba = flow_carries(c, b, a);
	char id[160];

	if (!ab && !ba)
		return;
	if (!ab) {
		size_t t = a;
		a = b;
		b = t;
	}
	snprintf(id, sizeof(id), "edge_region_%s_%s_%s", c->name, node_name(d, a), node_name(d, b));
	edge_head(d, dom_name(d, a), dom_name(d, b), id);
	const char *note = flow_hop_note(c, a, b);
	if (!note && ba)
		note = flow_hop_note(c, b, a);
	fprintf(d->f, ", color=\"%s\", fontcolor=\"%s\", label=\"%s (%s %s %s)%s%s\"%s",
	        REGION_COLOR, REGION_COLOR, c->label, matrix_cell_name(c->kind, c->cell[a]),
	        ab && ba ? "<->" : "->", matrix_cell_name(c->kind, c->cell[b]), note ? " " : "",
	        note ? note : "", ab && ba ? ", dir=both" : "");
	if (note)
		fputs(", style=bold", d->f);
	write_look(d->f, hop_look(d, a, b, ab && ba), false);
	fputs("];\n", d->f);
}

/* A region no two domains share a flow through: its own node, linked to whoever maps it. */
static void write_region_node(struct dot *d, const struct matrix_col *c)
{
	char id[160], size[32];

	fprintf(d->f, "\t\"(%s)\" [", c->label);
	snprintf(id, sizeof(id), "region_%s", c->name);
	write_id(d, id);
	fprintf(d->f,
	        ", shape=note, style=filled, fillcolor=\"#f1e6f8\", color=\"%s\", "
	        "label=<region %s<br/><font point-size=\"9\">%s, no flow through it</font>>",
	        REGION_COLOR, c->name, value_format_size(c->size, size, sizeof(size)));
	write_look(d->f, other_look(d), true);
	fputs("];\n", d->f);
	for (size_t n = 0; n < d->mx.n_nodes; n++) {
		char node[MATRIX_LABEL_LEN + 4];
		if (!c->cell[n])
			continue;
		snprintf(id, sizeof(id), "edge_region_%s_%s", c->name, node_name(d, n));
		snprintf(node, sizeof(node), "(%s)", c->label);
		edge_head(d, dom_name(d, n), node, id);
		fprintf(d->f,
		        ", dir=none, style=dashed, color=\"%s\", fontcolor=\"%s\", label=\"%s\"",
		        REGION_COLOR, REGION_COLOR, matrix_cell_name(c->kind, c->cell[n]));
		write_look(d->f, other_look(d), false);
		fputs("];\n", d->f);
	}
}

static void write_region(struct dot *d, const struct matrix_col *c)
{
	bool flows = false;

	for (size_t a = 0; a < d->mx.n_nodes; a++)
		for (size_t b = 0; b < d->mx.n_nodes; b++)
			flows |= a != b && flow_carries(c, a, b);
	if (!flows) {
		write_region_node(d, c);
		return;
	}
	for (size_t a = 0; a < d->mx.n_nodes; a++)
		for (size_t b = a + 1; b < d->mx.n_nodes; b++)
			write_region_pair(d, c, a, b);
}

/* Returns the first domain other than @skip with a right in @mask on @c, or @n if none. */
static size_t holder(const struct matrix_col *c, size_t n, uint8_t mask, int skip)
{
	for (size_t i = 0; i < n; i++)
		if ((c->cell[i] & mask) && (int)i != skip)
			return i;
	return n;
}

static void write_ring(struct dot *d, const struct matrix_col *c)
{
	size_t cl = holder(c, d->mx.n_domains, MATRIX_CLIENT, -1);
	size_t sv = holder(c, d->mx.n_domains, MATRIX_SERVER, -1);
	char id[160], size[32];

	snprintf(id, sizeof(id), "edge_%s", c->label); /* ring:x becomes ring_x */
	edge_head(d, dom_name(d, cl), dom_name(d, sv), id);
	if (c->is_stdout)
		fprintf(d->f, ", dir=both, arrowsize=0.5, penwidth=0.6, color=\"#aaaaaa\", "
		              "fontcolor=\"#999999\", fontsize=8, label=\"stdout\"");
	else
		fprintf(d->f,
		        ", dir=both, penwidth=1.8, color=\"%s\", fontcolor=\"%s\", "
		        "label=\"%s %s\"",
		        RING_COLOR, RING_COLOR, c->label, short_size(c->size, size, sizeof(size)));
	write_look(d->f, hop_look(d, cl, sv, true), false);
	fputs("];\n", d->f);
}

static void write_channel(struct dot *d, const struct matrix_col *c)
{
	size_t n = d->mx.n_domains;
	/* Tail: an end that may signal, if there is one. */
	bool signals = holder(c, n, MATRIX_SIGNAL, -1) < n;
	size_t a = holder(c, n, signals ? MATRIX_SIGNAL : MATRIX_END, -1);
	size_t b = holder(c, n, MATRIX_END, (int)a);
	char id[160];

	snprintf(id, sizeof(id), "edge_%s", c->label); /* chan:x becomes chan_x */
	edge_head(d, dom_name(d, a), dom_name(d, b), id);
	fprintf(d->f, ", dir=both, style=dashed, color=\"#333333\", label=\"%s (%s, %s)\"",
	        c->label, matrix_cell_name(c->kind, c->cell[a]),
	        matrix_cell_name(c->kind, c->cell[b]));
	write_look(d->f, hop_look(d, a, b, true), false);
	fputs("];\n", d->f);
}

/* A machine port range reaches every domain: one bold edge from its owner to each other. */
static void write_machine_edges(struct dot *d, const struct matrix_col *c, size_t owner)
{
	char id[160];

	for (size_t n = 0; n < d->mx.n_domains; n++) {
		if (n == owner)
			continue;
		snprintf(id, sizeof(id), "edge_machine_0x%x_%llu_%s", c->base,
		         (unsigned long long)c->size, node_name(d, n));
		edge_head(d, dom_name(d, owner), dom_name(d, n), id);
		fprintf(d->f, ", style=bold, color=\"%s\", fontcolor=\"%s\", label=\"%s (%s)\"",
		        IO_COLOR, IO_COLOR, c->label, flow_hop_note(c, owner, n));
		write_look(d->f, hop_look(d, owner, n, false), false);
		fputs("];\n", d->f);
	}
}

static void write_ioport_edge(struct dot *d, const struct matrix_col *c)
{
	size_t owner = holder(c, d->mx.n_domains, MATRIX_READ, -1);
	char id[64], node[MATRIX_LABEL_LEN + 4];

	snprintf(id, sizeof(id), "edge_io_0x%x_%llu", c->base, (unsigned long long)c->size);
	snprintf(node, sizeof(node), "(%s)", c->label);
	edge_head(d, dom_name(d, owner), node, id);
	fprintf(d->f, ", dir=both, color=\"%s\", fontcolor=\"%s\", label=\"rw\"", IO_COLOR,
	        IO_COLOR);
	write_look(d->f, other_look(d), false);
	fputs("];\n", d->f);
	if (c->machine)
		write_machine_edges(d, c, owner);
}

static void write_klog(struct dot *d, const struct matrix_col *c)
{
	size_t console = holder(c, d->mx.n_domains, MATRIX_READ, -1);

	write_kernel(d);
	edge_head(d, "(kernel)", dom_name(d, console), "edge_klog");
	fputs(", style=dotted, color=\"#555555\", label=\"klog (r)\"", d->f);
	write_look(d->f, other_look(d), false);
	fputs("];\n", d->f);
}

/*
 * A device: one edge to its owner, which drives it (both ways); with unconfined
 * DMA, a bold edge to every other domain, whose memory it reads and writes.
 */
static void write_device_edges(struct dot *d, const struct matrix_col *c)
{
	size_t n = (size_t)matrix_find_node(&d->mx, c->name), owner = d->mx.nodes[n].owner;
	char id[160];

	snprintf(id, sizeof(id), "edge_dev_%s", c->name);
	edge_head(d, dom_name(d, owner), dom_name(d, n), id);
	fprintf(d->f, ", dir=both, color=\"%s\", fontcolor=\"%s\", label=\"%s\"", DEVICE_COLOR,
	        DEVICE_COLOR, c->label);
	write_look(d->f, hop_look(d, owner, n, true), false);
	fputs("];\n", d->f);
	for (size_t i = 0; c->unconfined && i < d->mx.n_domains; i++) {
		if (i == owner)
			continue;
		snprintf(id, sizeof(id), "edge_dma_%s_%s", c->name, node_name(d, i));
		edge_head(d, dom_name(d, n), dom_name(d, i), id);
		fprintf(d->f,
		        ", dir=both, style=bold, color=\"%s\", fontcolor=\"%s\", label=\"%s (%s)\"",
		        DMA_COLOR, DMA_COLOR, c->label, flow_hop_note(c, n, i));
		write_look(d->f, hop_look(d, n, i, true), false);
		fputs("];\n", d->f);
	}
}

/* A <control>: a bold arrow from the holder to the target, labelled with its rights. */
static void write_control(struct dot *d, const struct matrix_col *c)
{
	size_t n = d->mx.n_domains;
	size_t h = n, t = n;
	char id[160], rights[64];

	for (size_t i = 0; i < n; i++)
		if (c->cell[i] & MATRIX_HOLDER)
			h = i;
		else if (c->cell[i] & MATRIX_TARGET)
			t = i;
	snprintf(id, sizeof(id), "edge_%s", c->label); /* ctl:a/b becomes ctl_a_b */
	edge_head(d, dom_name(d, h), dom_name(d, t), id);
	fprintf(d->f, ", style=bold, color=\"%s\", fontcolor=\"%s\", label=\"ctl (%s)\"",
	        CONTROL_COLOR, CONTROL_COLOR,
	        control_rights_name(c->rights, rights, sizeof(rights)));
	write_look(d->f, hop_look(d, h, t, true), false);
	fputs("];\n", d->f);
}

static void write_edges(struct dot *d)
{
	for (size_t i = 0; i < d->mx.n_cols; i++) {
		const struct matrix_col *c = &d->mx.cols[i];
		switch (c->kind) {
		case MATRIX_REGION:
			write_region(d, c);
			break;
		case MATRIX_RING:
			write_ring(d, c);
			break;
		case MATRIX_CHANNEL:
			write_channel(d, c);
			break;
		case MATRIX_IOPORT:
			write_ioport_edge(d, c);
			break;
		case MATRIX_KLOG:
			write_klog(d, c);
			break;
		case MATRIX_DEVICE:
			write_device_edges(d, c);
			break;
		case MATRIX_CONTROL:
			write_control(d, c);
			break;
		}
	}
}

/* ---- the whole graph ---- */

static void write_defaults(struct dot *d)
{
	FILE *f = d->f;

	fputs("\tgraph [fontname=\"Helvetica,Arial,sans-serif\", labelloc=b, labeljust=r, "
	      "rankdir=TB, nodesep=0.45, ranksep=1.1, pad=0.4, newrank=true, bgcolor=white];\n"
	      "\tnode [fontname=\"Helvetica,Arial,sans-serif\", fontsize=12, shape=box, "
	      "style=\"rounded,filled\", penwidth=1.4, margin=\"0.15,0.08\"];\n"
	      "\tedge [fontname=\"Helvetica,Arial,sans-serif\", fontsize=10, penwidth=1.2, "
	      "arrowsize=0.8];\n",
	      f);
}

static void dot_free(struct dot *d)
{
	for (size_t i = 0; i < d->n_ids; i++)
		free(d->ids[i]);
	free(d->ids);
	free(d->flow);
	matrix_free(&d->mx);
}

static void query_flow(struct dot *d)
{
	struct flow_graph g;

	if (d->o->flow_from == GRAPH_NO_DOMAIN || d->o->flow_to == GRAPH_NO_DOMAIN)
		return;
	d->flow = malloc(sizeof(*d->flow));
	if (!d->flow)
		abort();
	flow_graph_build(&g, &d->mx);
	flow_query(&g, (size_t)d->o->flow_from, (size_t)d->o->flow_to,
	           d->o->guard == GRAPH_NO_DOMAIN ? FLOW_NO_GUARD : d->o->guard, d->flow);
}

void graph_write_dot(FILE *f, const struct manifest *m, const struct layout *l,
                     const struct graph_options *o)
{
	struct dot d = {f, m, l, o, {0}, NULL, NULL, 0, {{0}}};

	matrix_build(&d.mx, m, l);
	for (size_t n = 0; n < d.mx.n_nodes; n++)
		snprintf(d.ref[n], sizeof(d.ref[n]), d.mx.nodes[n].device ? "(dev:%s)" : "%s",
		         d.mx.nodes[n].name);
	query_flow(&d);
	fputs("// The system picture of a Bulkhead manifest, written by `bhc graph`.\n", f);
	fputs("// Render it with: dot -Tsvg FILE.dot -o FILE.svg\n", f);
	fputs("digraph ", f);
	quoted(f, m->name);
	fputs(" {\n\t", f);
	write_id(&d, "system");
	fputs(";\n", f);
	write_defaults(&d);
	write_title_block(&d);
	write_cluster(&d, M_ROLE_DRIVER);
	write_cluster(&d, M_ROLE_SERVICE);
	write_cluster(&d, M_ROLE_APPLICATION);
	write_edges(&d);
	fputs("}\n", f);
	dot_free(&d);
}
