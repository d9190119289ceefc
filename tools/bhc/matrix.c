/* Access matrix: which domain or device holds which right on every region, ring, channel, port
 * range and device. */
#include "matrix.h"

#include <stdlib.h>
#include <string.h>

#include <bulkhead/abi/caps.h>

#include "control.h"
#include "value.h"

#define MATRIX_GAP 2 /* spaces between columns */

static struct matrix_col *add_col(struct matrix *mx, enum matrix_kind kind, const char *name,
                                  int line)
{
	struct matrix_col *c = arena_vec_push((void **)&mx->cols, &mx->n_cols, sizeof(*c));

	c->kind = kind;
	c->line = line;
	c->name = name;
	return c;
}

static uint16_t map_rights(uint32_t rights)
{
	return (uint16_t)(((rights & BH_RIGHT_READ) ? MATRIX_READ : 0) |
	                  ((rights & BH_RIGHT_WRITE) ? MATRIX_WRITE : 0) |
	                  ((rights & BH_RIGHT_EXEC) ? MATRIX_EXEC : 0));
}

/* Device node @n on region @r: what its owner's DMA map of it allows, or all with unconfined DMA. */
static uint16_t device_rights(const struct matrix *mx, const struct manifest *m, size_t n, int r)
{
	const struct matrix_node *dev = &mx->nodes[n];
	const struct m_domain *owner = &m->domains[dev->owner];

	if (dev->unconfined)
		return MATRIX_READ | MATRIX_WRITE;
	for (size_t j = 0; j < owner->n_maps; j++)
		if (owner->maps[j].region_idx == r && owner->maps[j].dma)
			return map_rights(owner->maps[j].rights & (BH_RIGHT_READ | BH_RIGHT_WRITE));
	return 0;
}

static void add_regions(struct matrix *mx, const struct manifest *m)
{
	for (size_t i = 0; i < m->n_regions; i++) {
		const struct m_region *r = &m->regions[i];
		struct matrix_col *c = add_col(mx, MATRIX_REGION, r->name, r->line);
		snprintf(c->label, sizeof(c->label), "region:%s", r->name);
		c->size = r->size;
		c->code_sharing = r->code_sharing;
		for (size_t d = 0; d < mx->n_domains; d++)
			for (size_t j = 0; j < m->domains[d].n_maps; j++)
				if (m->domains[d].maps[j].region_idx == (int)i)
					c->cell[d] = map_rights(m->domains[d].maps[j].rights);
		for (size_t n = mx->n_domains; n < mx->n_nodes; n++)
			c->cell[n] = device_rights(mx, m, n, (int)i);
	}
}

/* Rings in plan order; a stdout ring is named after its client's full name. */
static void add_rings(struct matrix *mx, const struct manifest *m, const struct layout *l)
{
	for (size_t i = 0; i < l->n_rings; i++) {
		const struct l_ring *r = &l->rings[i];
		const char *client = m->domains[r->domain[0]].name;
		struct matrix_col *c = add_col(mx, MATRIX_RING, r->is_stdout ? client : r->name,
		                               r->is_stdout ? 0 : r->line);
		snprintf(c->label, sizeof(c->label), "ring:%s%s", r->is_stdout ? "stdout." : "",
		         c->name);
		c->is_stdout = r->is_stdout;
		c->size = r->size;
		c->cell[r->domain[0]] = MATRIX_CLIENT;
		c->cell[r->domain[1]] = MATRIX_SERVER;
	}
}

/* A channel without a name is labelled after its two domains: chan:A/B. */
static void add_channels(struct matrix *mx, const struct manifest *m)
{
	for (size_t i = 0; i < m->n_channels; i++) {
		const struct m_channel *ch = &m->channels[i];
		struct matrix_col *c = add_col(mx, MATRIX_CHANNEL, ch->name, ch->line);
		if (ch->name)
			snprintf(c->label, sizeof(c->label), "chan:%s", ch->name);
		else
			snprintf(c->label, sizeof(c->label), "chan:%s/%s", ch->ends[0].domain,
			         ch->ends[1].domain);
		for (int s = 0; s < 2; s++)
			c->cell[ch->ends[s].domain_idx] =
				(uint8_t)(MATRIX_END | (ch->ends[s].signal ? MATRIX_SIGNAL : 0));
	}
}

static void add_ioports(struct matrix *mx, const struct manifest *m)
{
	for (size_t d = 0; d < mx->n_domains; d++) {
		for (size_t j = 0; j < m->domains[d].n_ioports; j++) {
			const struct m_ioport *io = &m->domains[d].ioports[j];
			struct matrix_col *c = add_col(mx, MATRIX_IOPORT, NULL, io->line);
			snprintf(c->label, sizeof(c->label), "io:0x%x+%u", io->base, io->count);
			c->base = io->base;
			c->size = io->count;
			c->machine = io->machine;
			c->cell[d] = MATRIX_READ | MATRIX_WRITE;
		}
	}
}

/*
 * A device's column: its owner drives it (config space, registers) and takes
 * its interrupts, so information flows both ways between them; unconfined DMA
 * reads and writes every domain's memory.
 */
static void add_devices(struct matrix *mx)
{
	for (size_t n = mx->n_domains; n < mx->n_nodes; n++) {
		const struct matrix_node *dev = &mx->nodes[n];
		struct matrix_col *c = add_col(mx, MATRIX_DEVICE, dev->name, 0);
		snprintf(c->label, sizeof(c->label), "dev:%s", dev->name);
		c->base = dev->pci;
		c->unconfined = dev->unconfined;
		for (size_t d = 0; dev->unconfined && d < mx->n_domains; d++)
			c->cell[d] = MATRIX_DMA_ALL;
		c->cell[dev->owner] |= MATRIX_OWNER;
		c->cell[n] = MATRIX_SELF;
	}
}

/* A <control>: its holder (C) can stop, restart or replace its target (T) and hears of its
 * faults, so information flows both ways between them. */
static void add_controls(struct matrix *mx, const struct manifest *m)
{
	for (size_t h = 0; h < mx->n_domains; h++)
		for (size_t k = 0; k < m->domains[h].n_controls; k++) {
			const struct m_control *ctl = &m->domains[h].controls[k];
			struct matrix_col *c = add_col(mx, MATRIX_CONTROL, ctl->target, ctl->line);
			snprintf(c->label, sizeof(c->label), "ctl:%s/%s", m->domains[h].name,
			         ctl->target);
			c->rights = ctl->rights;
			c->cell[h] = MATRIX_HOLDER;
			c->cell[ctl->target_idx] = MATRIX_TARGET;
		}
}

/* The domains, then the devices in plan order (at most MATRIX_MAX_NODES nodes). */
static void add_nodes(struct matrix *mx, const struct manifest *m, const struct layout *l)
{
	mx->n_domains = m->n_domains < BP_MAX_DOMAINS ? m->n_domains : BP_MAX_DOMAINS;
	for (size_t d = 0; d < mx->n_domains; d++)
		mx->nodes[d].name = m->domains[d].name;
	mx->n_nodes = mx->n_domains;
	for (size_t i = 0; i < l->n_devices && mx->n_nodes < MATRIX_MAX_NODES; i++) {
		struct matrix_node *dev = &mx->nodes[mx->n_nodes++];
		dev->name = l->devices[i].name;
		dev->device = true;
		dev->owner = l->devices[i].domain;
		dev->pci = l->devices[i].pci;
		dev->unconfined = (l->devices[i].flags & BP_DEVICE_DMA_UNCONFINED) != 0;
	}
}

int matrix_find_node(const struct matrix *mx, const char *name)
{
	for (size_t n = 0; name && n < mx->n_nodes; n++)
		if (strcmp(mx->nodes[n].name, name) == 0)
			return (int)n;
	return -1;
}

void matrix_build(struct matrix *mx, const struct manifest *m, const struct layout *l)
{
	memset(mx, 0, sizeof(*mx));
	mx->m = m;
	add_nodes(mx, m, l);
	add_regions(mx, m);
	add_rings(mx, m, l);
	add_channels(mx, m);
	add_ioports(mx, m);
	add_devices(mx);
	add_controls(mx, m);
	if (l->klog_domain != BP_NONE) {
		struct matrix_col *c = add_col(mx, MATRIX_KLOG, "klog", 0);
		snprintf(c->label, sizeof(c->label), "klog");
		c->size = LAYOUT_KLOG_SIZE;
		c->cell[l->klog_domain] = MATRIX_READ;
	}
}

void matrix_free(struct matrix *mx)
{
	free(mx->cols);
	memset(mx, 0, sizeof(*mx));
}

static const char *map_cell_name(uint16_t cell)
{
	if (cell & MATRIX_WRITE)
		return "rw";
	return cell & MATRIX_EXEC ? "rx" : "r";
}

static const char *device_cell_name(uint16_t cell)
{
	if (cell & MATRIX_OWNER)
		return "owner";
	return cell & MATRIX_SELF ? "self" : "rw";
}

const char *matrix_cell_name(enum matrix_kind kind, uint16_t cell)
{
	if (cell == 0)
		return ".";
	switch (kind) {
	case MATRIX_REGION:
		return map_cell_name(cell);
	case MATRIX_RING:
		return cell & MATRIX_SERVER ? "server" : "client";
	case MATRIX_CHANNEL:
		return cell & MATRIX_SIGNAL ? "s" : "-";
	case MATRIX_IOPORT:
		return "rw";
	case MATRIX_KLOG:
		return "r";
	case MATRIX_DEVICE:
		return device_cell_name(cell);
	case MATRIX_CONTROL:
		return cell & MATRIX_HOLDER ? "C" : "T";
	}
	return "?";
}

/* ---- printing ---- */

static size_t col_width(const struct matrix *mx, size_t c)
{
	size_t w = strlen(mx->cols[c].label);

	for (size_t d = 0; d < mx->n_nodes; d++) {
		size_t cw = strlen(matrix_cell_name(mx->cols[c].kind, mx->cols[c].cell[d]));
		w = cw > w ? cw : w;
	}
	return w;
}

static size_t domain_width(const struct matrix *mx)
{
	size_t w = strlen("domain");

	for (size_t d = 0; d < mx->n_nodes; d++) {
		size_t dw = strlen(mx->nodes[d].name);
		w = dw > w ? dw : w;
	}
	return w;
}

/* Prints one row: the first cell, then columns [first, end) (NULL cells: the header). */
static void print_row(FILE *f, const struct matrix *mx, const char *head, size_t head_w,
                      size_t first, size_t end, int d)
{
	fprintf(f, "%-*s", (int)head_w, head);
	for (size_t c = first; c < end; c++) {
		const struct matrix_col *col = &mx->cols[c];
		const char *text = d < 0 ? col->label : matrix_cell_name(col->kind, col->cell[d]);
		int w = c + 1 < end ? (int)col_width(mx, c) : 0;
		fprintf(f, "%*s%-*s", MATRIX_GAP, "", w, text);
	}
	fputc('\n', f);
}

/* Returns the end of the column group that starts at @first and fits into @width. */
static size_t group_end(const struct matrix *mx, size_t first, size_t head_w, size_t width)
{
	size_t used = head_w + MATRIX_GAP + col_width(mx, first), end = first + 1;

	while (end < mx->n_cols && used + MATRIX_GAP + col_width(mx, end) <= width)
		used += MATRIX_GAP + col_width(mx, end++);
	return end;
}

static void print_legend(FILE *f, const struct matrix *mx)
{
	size_t n_dev = mx->n_nodes - mx->n_domains;

	fprintf(f, "access matrix of system %s: %zu domain%s", mx->m->name, mx->n_domains,
	        mx->n_domains == 1 ? "" : "s");
	if (n_dev)
		fprintf(f, " and %zu device%s", n_dev, n_dev == 1 ? "" : "s");
	fprintf(f, " x %zu resource%s\n", mx->n_cols, mx->n_cols == 1 ? "" : "s");
	fputs("  region: r, rw, rx = map rights; ring: client or server end; chan: s = may "
	      "signal,\n"
	      "  - = may only be signalled; io: rw = in/out on the ports; klog: r = reads the "
	      "kernel log\n"
	      "  (the kernel writes it); . = no access\n",
	      f);
	if (n_dev)
		fputs("  devices are rows too: region: what their DMA may do there (the owner's "
		      "dma=\"yes\"\n"
		      "  maps); dev: owner = drives it and takes its interrupts, self = the device, "
		      "rw = its\n"
		      "  unconfined DMA reads and writes that domain's memory\n",
		      f);
	for (size_t c = 0; c < mx->n_cols; c++)
		if (mx->cols[c].kind == MATRIX_CONTROL) {
			fputs("  ctl: C = controls the domain marked T (stops, restarts or replaces "
			      "it, hears of\n"
			      "  its faults, as its rights say): information flows both ways\n",
			      f);
			break;
		}
}

/* A device: its PCI address and owner, and whether its DMA is confined. */
static void print_device_note(FILE *f, const struct matrix *mx, const struct matrix_col *col)
{
	int n = matrix_find_node(mx, col->name);
	const char *owner = mx->nodes[mx->nodes[n].owner].name;
	char pci[16];

	fprintf(f, "  %s is PCI %s, driven by %s; ", col->label,
	        value_format_pci(col->base, pci, sizeof(pci)), owner);
	if (col->unconfined)
		fputs("unconfined DMA: it reads and writes every domain's memory\n", f);
	else
		fprintf(f, "the IOMMU confines its DMA to %s's DMA maps\n", owner);
}

/* One line for each column whose hops are more than data flows: code injection, machine
 * control; one for each device. */
static void print_notes(FILE *f, const struct matrix *mx)
{
	char rights[64];

	for (size_t c = 0; c < mx->n_cols; c++) {
		const struct matrix_col *col = &mx->cols[c];
		if (col->kind == MATRIX_REGION && col->code_sharing)
			fprintf(f,
			        "  %s is code-sharing: code written through rw runs where it is rx "
			        "(code injection)\n",
			        col->label);
		else if (col->kind == MATRIX_IOPORT && col->machine)
			fprintf(f,
			        "  %s controls the machine: its holder reaches every domain (machine "
			        "control)\n",
			        col->label);
		else if (col->kind == MATRIX_DEVICE)
			print_device_note(f, mx, col);
		else if (col->kind == MATRIX_CONTROL)
			fprintf(f, "  %s has the rights: %s (domain control)\n", col->label,
			        control_rights_name(col->rights, rights, sizeof(rights)));
	}
}

void matrix_print(FILE *f, const struct matrix *mx, size_t width)
{
	size_t head_w = domain_width(mx);
	size_t first = 0;

	print_legend(f, mx);
	print_notes(f, mx);
	if (mx->n_cols == 0) {
		fputs("\n(no resources)\n", f);
		return;
	}
	while (first < mx->n_cols) {
		size_t end = group_end(mx, first, head_w, width);
		fputc('\n', f);
		if (first > 0 || end < mx->n_cols)
			fprintf(f, "columns %zu-%zu of %zu:\n", first + 1, end, mx->n_cols);
		print_row(f, mx, "domain", head_w, first, end, -1);
		for (size_t d = 0; d < mx->n_nodes; d++)
			print_row(f, mx, mx->nodes[d].name, head_w, first, end, (int)d);
		first = end;
	}
}
