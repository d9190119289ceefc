/* Manifest model: reads a manifest's XML into the model and checks each attribute's value. */
#include "manifest.h"

#include <errno.h>
#include <libgen.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/parser.h>
#include <libxml/xmlerror.h>

#include <bulkhead/abi/caps.h>
#include <bulkhead/abi/info.h>
#include <bulkhead/abi/layout.h>
#include <bulkhead/abi/plan.h>

#include "schema.h"
#include "value.h"

/* The first well-formedness error libxml2 reports; later ones are its consequences. */
struct parse_errors {
	int line;
	char msg[512];
	bool seen;
};

static void on_parse_error(void *ctx, xmlErrorPtr err)
{
	struct parse_errors *pe = ctx;

	if (pe->seen || err->level < XML_ERR_ERROR)
		return;
	pe->seen = true;
	pe->line = err->line;
	snprintf(pe->msg, sizeof(pe->msg), "%s", err->message ? err->message : "unreadable");
	pe->msg[strcspn(pe->msg, "\n")] = '\0';
	if (pe->msg[0] >= 'A' && pe->msg[0] <= 'Z')
		pe->msg[0] = (char)(pe->msg[0] - 'A' + 'a');
}

static xmlDocPtr read_doc(const char *path, struct diag *diag)
{
	struct parse_errors pe = {0};
	FILE *f = fopen(path, "r");

	if (!f) {
		diag_error(diag, 0, "cannot read the manifest: %s", strerror(errno));
		return NULL;
	}
	fclose(f);
	xmlSetStructuredErrorFunc(&pe, on_parse_error);
	xmlDocPtr doc = xmlReadFile(path, NULL, XML_PARSE_NONET | XML_PARSE_BIG_LINES);
	xmlSetStructuredErrorFunc(NULL, NULL);
	if (pe.seen || !doc) {
		diag_error(diag, pe.line, "malformed XML: %s; fix the XML syntax",
		           pe.seen ? pe.msg : "cannot parse");
		xmlFreeDoc(doc);
		return NULL;
	}
	return doc;
}

/* ---- attribute access ---- */

static int line_of(xmlNodePtr n)
{
	long line = xmlGetLineNo(n);
	return line > 0 ? (int)line : 0;
}

static const char *attr(struct manifest *m, xmlNodePtr n, const char *name)
{
	xmlChar *v = xmlGetNoNsProp(n, (const xmlChar *)name);
	if (!v)
		return NULL;
	char *copy = arena_strdup(&m->arena, (const char *)v);
	xmlFree(v);
	return copy;
}

static bool is_elem(xmlNodePtr n, const char *name)
{
	return n->type == XML_ELEMENT_NODE && strcmp((const char *)n->name, name) == 0;
}

/* Reads the name attribute @an of @n; reports a malformed one but keeps it, so
 * that references to it still resolve. */
static const char *get_name(struct manifest *m, xmlNodePtr n, const char *an, const char *what)
{
	char buf[128];
	const char *v = attr(m, n, an);
	const char *problem = v ? value_name_problem(v, buf, sizeof(buf)) : NULL;

	if (problem)
		diag_error(m->diag, line_of(n), "%s '%s' %s", what, v, problem);
	return v;
}

enum size_rule { SIZE_PAGES, SIZE_PAGES_OR_ZERO, SIZE_ANY };

/* Reads size attribute @an of @owner (" of region 'x'"); false if missing (nothing
 * reported) or invalid (reported). */
static bool get_size(struct manifest *m, xmlNodePtr n, const char *an, const char *owner,
                     enum size_rule rule, uint64_t *out)
{
	char buf[32];
	const char *v = attr(m, n, an);
	int line = line_of(n);

	if (!v)
		return false;
	if (!value_size(v, out)) {
		diag_error(m->diag, line,
		           "%s '%s'%s is not a size; write a number of bytes with "
		           "an optional K, M or G suffix, e.g. 64K",
		           an, v, owner);
		return false;
	}
	if (*out == 0 && rule != SIZE_PAGES_OR_ZERO) {
		diag_error(m->diag, line, "%s%s is zero; give at least 4K", an, owner);
		return false;
	}
	if (rule != SIZE_ANY && *out % BH_PAGE_SIZE) {
		uint64_t up = (*out | (BH_PAGE_SIZE - 1)) + 1;
		diag_error(m->diag, line,
		           "%s '%s'%s is not a multiple of the page size (4K); "
		           "round it up to %s",
		           an, v, owner, value_format_size_manifest(up, buf, sizeof(buf)));
		return false;
	}
	return true;
}

/* Reads a duration; false if missing or invalid (reported). */
static bool get_time(struct manifest *m, xmlNodePtr n, const char *an, const char *owner,
                     uint64_t *out)
{
	const char *v = attr(m, n, an);

	if (!v)
		return false;
	if (!value_time_us(v, out)) {
		diag_error(m->diag, line_of(n),
		           "%s '%s'%s is not a duration; write a whole "
		           "number with the unit us, ms or s, e.g. 2ms",
		           an, v, owner);
		return false;
	}
	if (*out == 0) {
		diag_error(m->diag, line_of(n),
		           "%s%s is zero; give a positive duration, or leave "
		           "out both budget and period for an unlimited domain",
		           an, owner);
		return false;
	}
	return true;
}

/* Reads a decimal number in [0, max]; false if missing or invalid (reported). */
static bool get_bounded(struct manifest *m, xmlNodePtr n, const char *an, const char *owner,
                        uint64_t max, const char *range, uint64_t *out)
{
	const char *v = attr(m, n, an);

	if (!v)
		return false;
	if (!value_decimal(v, out) || *out > max) {
		diag_error(m->diag, line_of(n), "%s '%s'%s is not valid; %s", an, v, owner, range);
		return false;
	}
	return true;
}

/*
 * Reads the attribute @an of @n, which may be @yes or @no (the default when it
 * is missing) into *@on. Returns false after reporting any other value (@owner
 * names the element, e.g. " of domain 'x'").
 */
static bool get_switch(struct manifest *m, xmlNodePtr n, const char *an, const char *owner,
                       const char *yes, const char *no, bool *on)
{
	const char *v = attr(m, n, an);

	*on = v && strcmp(v, yes) == 0;
	if (!v || *on || strcmp(v, no) == 0)
		return true;
	diag_error(m->diag, line_of(n), "%s '%s'%s is not valid; use %s or %s (the default)", an, v,
	           owner, yes, no);
	return false;
}

/* ---- elements ---- */

static void parse_region(struct manifest *m, xmlNodePtr n)
{
	struct m_region *r = arena_vec_push((void **)&m->regions, &m->n_regions, sizeof(*r));
	const char *sharing;
	char what[96];

	r->line = line_of(n);
	r->name = get_name(m, n, "name", "region name");
	snprintf(what, sizeof(what), " of region '%s'", r->name ? r->name : "?");
	r->size_ok = get_size(m, n, "size", what, SIZE_PAGES, &r->size);
	r->module = attr(m, n, "module");
	sharing = attr(m, n, "code-sharing");
	r->code_sharing = sharing && strcmp(sharing, "writable") == 0;
	if (sharing && !r->code_sharing)
		diag_error(m->diag, r->line,
		           "code-sharing '%s'%s is not valid; the only value is writable (the "
		           "region may be writable in one domain and executable in another)",
		           sharing, what);
}

static void parse_map(struct manifest *m, struct m_domain *d, xmlNodePtr n)
{
	struct m_map *mp = arena_vec_push((void **)&d->maps, &d->n_maps, sizeof(*mp));
	const char *vaddr = attr(m, n, "vaddr");
	const char *perms = attr(m, n, "perms");
	int line = line_of(n);

	mp->line = line;
	mp->region = attr(m, n, "region");
	mp->region_idx = MANIFEST_NO_INDEX;
	const char *rn = mp->region ? mp->region : "?";
	char what[96];
	snprintf(what, sizeof(what), " of the map of '%s'", rn);
	get_switch(m, n, "dma", what, "yes", "no", &mp->dma);
	if (vaddr && !value_number(vaddr, &mp->vaddr))
		diag_error(m->diag, line,
		           "vaddr '%s' of the map of '%s' is not a number; write an "
		           "address such as 0x40000000",
		           vaddr, rn);
	else if (vaddr && mp->vaddr % BH_PAGE_SIZE)
		diag_error(m->diag, line,
		           "vaddr %s of the map of '%s' is not page aligned; use a "
		           "multiple of 0x1000, e.g. 0x%llx",
		           vaddr, rn, (unsigned long long)(mp->vaddr & ~(BH_PAGE_SIZE - 1)));
	else
		mp->vaddr_ok = vaddr != NULL;
	if (!perms)
		return;
	enum value_perms_result pr = value_perms(perms, &mp->rights);
	if (pr == VALUE_PERMS_WX)
		diag_error(m->diag, line,
		           "perms '%s' of the map of '%s' make it writable and "
		           "executable, which W^X forbids; use r, rw or rx",
		           perms, rn);
	else if (pr == VALUE_PERMS_BAD)
		diag_error(m->diag, line,
		           "perms '%s' of the map of '%s' are not valid; use r, rw "
		           "or rx",
		           perms, rn);
	mp->rights_ok = pr == VALUE_PERMS_OK;
}

static void parse_ioport(struct manifest *m, struct m_domain *d, xmlNodePtr n)
{
	struct m_ioport *io = arena_vec_push((void **)&d->ioports, &d->n_ioports, sizeof(*io));
	const char *base = attr(m, n, "base");
	const char *count = attr(m, n, "count");
	uint64_t b = 0, c = 0;
	int line = line_of(n);

	io->line = line;
	if (!get_switch(m, n, "machine", " of this <ioport>", "yes", "no", &io->machine) || !base ||
	    !count)
		return;
	if (!value_number(base, &b) || b > 0xffff)
		diag_error(m->diag, line,
		           "ioport base '%s' is not a port number; ports run from 0 "
		           "to 0xffff",
		           base);
	else if (!value_number(count, &c) || c == 0 || c > 0x10000)
		diag_error(m->diag, line,
		           "ioport count '%s' is not valid; give the number of "
		           "ports, 1 to 65536",
		           count);
	else if (b + c > 0x10000)
		diag_error(m->diag, line,
		           "ioports %s..0x%llx run past the last port 0xffff; "
		           "reduce count to at most %llu",
		           base, (unsigned long long)(b + c - 1),
		           (unsigned long long)(0x10000 - b));
	else
		io->ok = true;
	io->base = (uint32_t)b;
	io->count = (uint32_t)c;
}

static void parse_pci(struct manifest *m, struct m_device *dev, const char *pci, const char *dn)
{
	enum value_pci_result r = value_pci(pci, &dev->pci);

	dev->pci_ok = r == VALUE_PCI_OK;
	if (r == VALUE_PCI_SYNTAX)
		diag_error(
			m->diag, dev->line,
			"pci '%s' of device '%s' is not a PCI address; write bus:device.function "
			"in hex as BB:DD.F, e.g. 00:04.0",
			pci, dn);
	else if (r == VALUE_PCI_RANGE)
		diag_error(m->diag, dev->line,
		           "pci '%s' of device '%s' is out of range; PCI device numbers run from "
		           "00 to 1f and functions from 0 to 7",
		           pci, dn);
}

static void parse_device(struct manifest *m, struct m_domain *d, xmlNodePtr n)
{
	struct m_device *dev = arena_vec_push((void **)&d->devices, &d->n_devices, sizeof(*dev));
	const char *pci = attr(m, n, "pci");
	uint64_t irq = 0;
	char what[96];

	dev->line = line_of(n);
	dev->name = get_name(m, n, "name", "device name");
	const char *dn = dev->name ? dev->name : "?";
	snprintf(what, sizeof(what), " of device '%s'", dn);
	if (pci)
		parse_pci(m, dev, pci, dn);
	dev->irq = BP_NONE;
	dev->irq_ok = !attr(m, n, "irq") || get_bounded(m, n, "irq", what, BP_MAX_CHANNEL_BITS - 1,
	                                                "channel ids run from 0 to 63", &irq);
	if (dev->irq_ok && attr(m, n, "irq"))
		dev->irq = (uint32_t)irq;
	get_switch(m, n, "dma", what, "unconfined", "confined", &dev->unconfined);
}

/* Reads a sector number (decimal or 0x hex); false if missing or invalid (reported). */
static bool get_sector(struct manifest *m, xmlNodePtr n, const char *an, const char *owner,
                       uint64_t *out)
{
	const char *v = attr(m, n, an);

	if (!v)
		return false;
	if (value_number(v, out))
		return true;
	diag_error(m->diag, line_of(n),
	           "%s '%s'%s is not a number; write a count of 512-byte "
	           "sectors, e.g. 2048",
	           an, v, owner);
	return false;
}

static void parse_volume(struct manifest *m, struct m_domain *d, xmlNodePtr n)
{
	struct m_volume *v = arena_vec_push((void **)&d->volumes, &d->n_volumes, sizeof(*v));
	char what[96];

	v->line = line_of(n);
	v->name = get_name(m, n, "name", "volume name");
	v->client = attr(m, n, "client");
	v->disk = attr(m, n, "disk");
	v->data = attr(m, n, "data");
	snprintf(what, sizeof(what), " of volume '%s'", v->name ? v->name : "?");
	bool first_ok = get_sector(m, n, "first-sector", what, &v->first);
	bool sectors_ok = get_sector(m, n, "sectors", what, &v->sectors);
	get_switch(m, n, "access", what, "ro", "rw", &v->ro);
	if (sectors_ok && v->sectors == 0)
		diag_error(m->diag, v->line,
		           "sectors%s is zero; give the volume at least one sector", what);
	else if (first_ok && sectors_ok && v->first + v->sectors < v->first)
		diag_error(m->diag, v->line,
		           "volume '%s' ends past sector 2^64 (first-sector + sectors overflows); "
		           "reduce first-sector or sectors",
		           v->name ? v->name : "?");
	else
		v->range_ok = first_ok && sectors_ok;
}

static void parse_port(struct manifest *m, struct m_domain *d, xmlNodePtr n)
{
	struct m_port *p = arena_vec_push((void **)&d->ports, &d->n_ports, sizeof(*p));

	p->line = line_of(n);
	p->name = get_name(m, n, "name", "port name");
	p->client = attr(m, n, "client");
	p->data = attr(m, n, "data");
	p->mac = attr(m, n, "mac");
	p->ipv4 = attr(m, n, "ipv4");
	p->forward = attr(m, n, "forward");
}

/* The kernel counts budgets in timer cycles: a period over 10 s or a budget under
 * 10 us is refused (BP_MAX_PERIOD_US, BP_MIN_BUDGET_US). Returns false after an error. */
static bool sched_in_bounds(struct manifest *m, const struct m_domain *d, const char *dn)
{
	char v[32], lim[32];

	if (d->period_us > BP_MAX_PERIOD_US) {
		diag_error(m->diag, d->line,
		           "period of domain '%s' (%s) is longer than the longest period, %s; "
		           "make it at most %s",
		           dn, value_format_time(d->period_us, v, sizeof(v)),
		           value_format_time(BP_MAX_PERIOD_US, lim, sizeof(lim)), lim);
		return false;
	}
	if (d->budget_us < BP_MIN_BUDGET_US) {
		diag_error(m->diag, d->line,
		           "budget of domain '%s' (%s) is shorter than the shortest budget, %s; "
		           "make it at least %s",
		           dn, value_format_time(d->budget_us, v, sizeof(v)),
		           value_format_time(BP_MIN_BUDGET_US, lim, sizeof(lim)), lim);
		return false;
	}
	return true;
}

static void parse_sched(struct manifest *m, struct m_domain *d, xmlNodePtr n, const char *dn)
{
	char what[96], b[32], p[32];
	bool has_b = attr(m, n, "budget") != NULL, has_p = attr(m, n, "period") != NULL;

	snprintf(what, sizeof(what), " of domain '%s'", dn);
	bool ok_b = get_time(m, n, "budget", what, &d->budget_us);
	bool ok_p = get_time(m, n, "period", what, &d->period_us);
	if (has_b && !has_p)
		diag_error(m->diag, d->line,
		           "domain '%s' has a budget but no period; add a period, "
		           "e.g. period=\"10ms\", or remove the budget",
		           dn);
	else if (has_p && !has_b)
		diag_error(m->diag, d->line,
		           "domain '%s' has a period but no budget; add a budget, "
		           "e.g. budget=\"2ms\", or remove the period",
		           dn);
	else if (ok_b && ok_p && d->budget_us > d->period_us)
		diag_error(m->diag, d->line,
		           "budget of domain '%s' (%s) is larger than its period "
		           "(%s); make the budget at most the period",
		           dn, value_format_time(d->budget_us, b, sizeof(b)),
		           value_format_time(d->period_us, p, sizeof(p)));
	else if (ok_b && ok_p && !sched_in_bounds(m, d, dn))
		ok_b = false;
	d->sched_ok = (!has_b && !has_p) || (ok_b && ok_p && d->budget_us <= d->period_us);
	if (!d->sched_ok)
		d->budget_us = d->period_us = 0;
}

static void parse_memory(struct manifest *m, struct m_domain *d, xmlNodePtr n, const char *dn)
{
	char what[96], lim[32];

	d->stack = BH_DEFAULT_STACK;
	d->heap = BH_DEFAULT_HEAP;
	snprintf(what, sizeof(what), " of domain '%s'", dn);
	d->stack_ok = get_size(m, n, "stack", what, SIZE_PAGES, &d->stack) || !attr(m, n, "stack");
	if (d->stack_ok && d->stack > BH_STACK_MAX) {
		diag_error(m->diag, d->line,
		           "stack of domain '%s' is larger than the %s a stack "
		           "may have; make it smaller",
		           dn, value_format_size(BH_STACK_MAX, lim, sizeof(lim)));
		d->stack_ok = false;
	}
	d->heap_ok = get_size(m, n, "heap", what, SIZE_PAGES_OR_ZERO, &d->heap) ||
	             !attr(m, n, "heap");
	if (d->heap_ok && d->heap > BH_HEAP_MAX) {
		diag_error(m->diag, d->line,
		           "heap of domain '%s' is larger than the %s a heap may "
		           "have; make it smaller",
		           dn, value_format_size(BH_HEAP_MAX, lim, sizeof(lim)));
		d->heap_ok = false;
	}
}

/*
 * Checks image name @image of domain @dn (@what: "image" or "alternative image"):
 * a program name or a path with '/', not "plan". Returns @image, or NULL after an error.
 */
static const char *valid_image(struct manifest *m, int line, const char *image, const char *dn,
                               const char *what)
{
	char buf[128];

	if (image[0] == '\0') {
		diag_error(m->diag, line,
		           "%s of domain '%s' is empty; name a program, e.g. "
		           "image=\"ping\", or an ELF file path containing '/'",
		           what, dn);
		return NULL;
	}
	const char *problem = strchr(image, '/') ? NULL :
	                                           value_name_problem(image, buf, sizeof(buf));
	if (problem) {
		diag_error(m->diag, line,
		           "%s '%s' of domain '%s' %s (a path needs a '/', "
		           "e.g. ./%s.elf)",
		           what, image, dn, problem, image);
		return NULL;
	}
	if (strcmp(image, "plan") == 0) {
		diag_error(m->diag, line,
		           "%s name 'plan' of domain '%s' is reserved for the "
		           "boot plan module; rename the program",
		           what, dn);
		return NULL;
	}
	return image;
}

static void parse_image(struct manifest *m, struct m_domain *d, xmlNodePtr n, const char *dn)
{
	d->image = attr(m, n, "image");
	if (d->image)
		d->image = valid_image(m, d->line, d->image, dn, "image");
	d->console = d->image && strcmp(d->image, "console") == 0;
}

static const char *const role_names[] = {"", "driver", "service", "application"};

static void parse_role(struct manifest *m, struct m_domain *d, xmlNodePtr n, const char *dn)
{
	const char *v = attr(m, n, "role");

	d->role = M_ROLE_NONE;
	for (int r = M_ROLE_DRIVER; v && r <= M_ROLE_APPLICATION; r++)
		if (strcmp(v, role_names[r]) == 0)
			d->role = (enum m_role)r;
	if (v && d->role == M_ROLE_NONE)
		diag_error(m->diag, d->line,
		           "role '%s' of domain '%s' is not valid; use driver, service or "
		           "application, or leave it out for the default",
		           v, dn);
}

/* ---- domain control: <alternative>, <control>, <supervise> (docs/control.md) ---- */

static void parse_alternative(struct manifest *m, struct m_domain *d, xmlNodePtr n, const char *dn)
{
	struct m_alternative *a = arena_vec_push((void **)&d->alts, &d->n_alts, sizeof(*a));

	a->line = line_of(n);
	a->image = attr(m, n, "image");
	if (a->image)
		a->image = valid_image(m, a->line, a->image, dn, "alternative image");
}

/* Sets the bit of each word of @list found in @words (NULL-terminated) in *@out; returns the
 * first word that is none of them, or NULL. @buf holds the returned word. */
static const char *parse_words(const char *list, const char *const *words, uint32_t *out, char *buf,
                               size_t len)
{
	*out = 0;
	for (const char *p = list; *p;) {
		size_t w = strcspn(p, " \t\n"), k = 0;
		for (; w && words[k]; k++)
			if (strlen(words[k]) == w && strncmp(words[k], p, w) == 0)
				break;
		if (w && !words[k]) {
			snprintf(buf, len, "%.*s", (int)w, p);
			return buf;
		}
		if (w)
			*out |= 1u << k;
		p += w;
		p += strspn(p, " \t\n");
	}
	return NULL;
}

/* In the order of the BH_RIGHT_STOP.. bits. */
static const char *const domain_rights[] = {"stop",   "resume",  "restart",     "replace",
                                            "faults", "destroy", "read-memory", "write-memory",
                                            "vcpu",   NULL};
_Static_assert(BH_RIGHT_VCPU == 1u << 8, "domain_rights follows the rights bits");

static void parse_control(struct manifest *m, struct m_domain *d, xmlNodePtr n)
{
	struct m_control *c = arena_vec_push((void **)&d->controls, &d->n_controls, sizeof(*c));
	const char *rights = attr(m, n, "rights");
	char word[64];

	c->line = line_of(n);
	c->target = attr(m, n, "target");
	c->target_idx = MANIFEST_NO_INDEX;
	const char *bad =
		rights ? parse_words(rights, domain_rights, &c->rights, word, sizeof(word)) : NULL;
	c->rights_ok = bad == NULL;
	if (bad)
		diag_error(m->diag, c->line,
		           "right '%s' of the <control> of '%s' is not valid; use stop, resume, "
		           "restart, replace, faults, destroy, read-memory, write-memory or vcpu, "
		           "separated by spaces",
		           bad, c->target ? c->target : "?");
}

static const char *const supervise_events[] = {"fault", "hang", NULL};

/* on="fault hang": at least one of the two, nothing else. Returns false after an error. */
static bool parse_on(struct manifest *m, struct m_supervise *s, const char *on, const char *what)
{
	char word[64];
	uint32_t bits = 0;
	const char *bad = on ? parse_words(on, supervise_events, &bits, word, sizeof(word)) : NULL;

	if (!on)
		return false;
	if (bad || !bits) {
		diag_error(m->diag, s->line,
		           "on '%s'%s is not valid; give fault, hang or both (\"fault hang\"): "
		           "what makes the supervisor restart the target",
		           bad ? bad : on, what);
		return false;
	}
	s->on_fault = bits & 1u;
	s->on_hang = (bits & 2u) != 0;
	return true;
}

/* Reads a number in [@min, @max] (a time in ms, a count), @def when missing; false after an error. */
static bool get_ranged(struct manifest *m, xmlNodePtr n, const char *an, const char *what,
                       uint64_t min, uint64_t max, uint64_t def, uint64_t *out)
{
	char range[96];

	*out = def;
	if (!attr(m, n, an))
		return true;
	snprintf(range, sizeof(range), "give a whole number from %llu to %llu",
	         (unsigned long long)min, (unsigned long long)max);
	if (!get_bounded(m, n, an, what, max, range, out))
		return false;
	if (*out >= min)
		return true;
	diag_error(m->diag, line_of(n), "%s '%s'%s is not valid; %s", an, attr(m, n, an), what,
	           range);
	return false;
}

/* hang needs a watchdog (at least 5 heartbeat intervals) and a heartbeat, and only hang does. */
static bool watchdog_ok(struct manifest *m, const struct m_supervise *s)
{
	uint64_t least = 5ull * BH_HEARTBEAT_US / 1000;
	const char *t = s->target ? s->target : "?";

	if (s->on_hang && (!s->watchdog_ms || !s->heartbeat)) {
		diag_error(m->diag, s->line,
		           "the <supervise> of '%s' watches for hang but has no %s; add "
		           "watchdog-ms=\"200\" and heartbeat=\"REGION\" (a one-page region the "
		           "target writes)",
		           t, s->heartbeat ? "watchdog-ms" : "heartbeat");
		return false;
	}
	if (!s->on_hang && (s->watchdog_ms || s->heartbeat)) {
		diag_error(
			m->diag, s->line,
			"the <supervise> of '%s' has a %s but on has no hang, so nothing watches "
			"it; add hang to on, or remove watchdog-ms and heartbeat",
			t, s->heartbeat ? "heartbeat" : "watchdog-ms");
		return false;
	}
	if (!s->on_hang || s->watchdog_ms >= least)
		return true;
	diag_error(m->diag, s->line,
	           "watchdog-ms %llu of the <supervise> of '%s' is shorter than 5 heartbeat "
	           "intervals (%llu ms); make it at least %llu",
	           (unsigned long long)s->watchdog_ms, t, (unsigned long long)least,
	           (unsigned long long)least);
	return false;
}

static void parse_supervise(struct manifest *m, struct m_domain *d, xmlNodePtr n)
{
	struct m_supervise *s =
		arena_vec_push((void **)&d->supervises, &d->n_supervises, sizeof(*s));
	char what[96];

	s->line = line_of(n);
	s->target = attr(m, n, "target");
	s->heartbeat = attr(m, n, "heartbeat");
	s->target_idx = s->heartbeat_idx = MANIFEST_NO_INDEX;
	snprintf(what, sizeof(what), " of the <supervise> of '%s'", s->target ? s->target : "?");
	bool ok = parse_on(m, s, attr(m, n, "on"), what);
	ok &= get_ranged(m, n, "watchdog-ms", what, 1, MANIFEST_MAX_MS, 0, &s->watchdog_ms);
	ok &= get_ranged(m, n, "max-restarts", what, 1, BH_POLICY_MAX_RESTARTS(~0u),
	                 MANIFEST_DEFAULT_MAX_RESTARTS, &s->max_restarts);
	ok &= get_ranged(m, n, "window-ms", what, 1, MANIFEST_MAX_MS, MANIFEST_DEFAULT_WINDOW_MS,
	                 &s->window_ms);
	ok &= get_ranged(m, n, "backoff-ms", what, 0, MANIFEST_MAX_BACKOFF_MS,
	                 MANIFEST_DEFAULT_BACKOFF_MS, &s->backoff_ms);
	ok &= get_ranged(m, n, "replace-after-ms", what, 0, MANIFEST_MAX_MS, 0,
	                 &s->replace_after_ms);
	s->ok = ok && watchdog_ok(m, s);
}

static void parse_domain(struct manifest *m, xmlNodePtr n)
{
	struct m_domain *d = arena_vec_push((void **)&m->domains, &m->n_domains, sizeof(*d));
	uint64_t prio = 0;
	char what[96];

	d->line = line_of(n);
	d->name = get_name(m, n, "name", "domain name");
	const char *dn = d->name ? d->name : "?";
	parse_image(m, d, n, dn);
	snprintf(what, sizeof(what), " of domain '%s'", dn);
	d->priority_ok = get_bounded(m, n, "priority", what, 255,
	                             "priorities run from 0 (lowest) to 255 (highest)", &prio);
	d->priority = (uint32_t)prio;
	parse_sched(m, d, n, dn);
	parse_memory(m, d, n, dn);
	parse_role(m, d, n, dn);
	get_switch(m, n, "ssbd", what, "on", "off", &d->ssbd);
	for (xmlNodePtr c = n->children; c; c = c->next) {
		if (is_elem(c, "map"))
			parse_map(m, d, c);
		else if (is_elem(c, "ioport"))
			parse_ioport(m, d, c);
		else if (is_elem(c, "device"))
			parse_device(m, d, c);
		else if (is_elem(c, "volume"))
			parse_volume(m, d, c);
		else if (is_elem(c, "port"))
			parse_port(m, d, c);
		else if (is_elem(c, "alternative"))
			parse_alternative(m, d, c, dn);
		else if (is_elem(c, "control"))
			parse_control(m, d, c);
		else if (is_elem(c, "supervise"))
			parse_supervise(m, d, c);
	}
}

static void parse_end(struct manifest *m, struct m_end *e, xmlNodePtr n)
{
	const char *rights = attr(m, n, "rights");
	uint64_t id = 0;

	e->line = line_of(n);
	e->domain = attr(m, n, "domain");
	e->domain_idx = MANIFEST_NO_INDEX;
	e->id_ok = get_bounded(m, n, "id", " of this channel <end>", BP_MAX_CHANNEL_BITS - 1,
	                       "channel ids run from 0 to 63", &id);
	e->id = (uint32_t)id;
	e->signal = true;
	if (rights && strcmp(rights, "none") == 0)
		e->signal = false;
	else if (rights && strcmp(rights, "signal") != 0)
		diag_error(m->diag, e->line,
		           "rights '%s' of a channel end are not valid; use "
		           "signal (the default) or none",
		           rights);
}

static void parse_channel(struct manifest *m, xmlNodePtr n)
{
	struct m_channel *ch = arena_vec_push((void **)&m->channels, &m->n_channels, sizeof(*ch));

	ch->line = line_of(n);
	ch->name = get_name(m, n, "name", "channel name");
	for (xmlNodePtr c = n->children; c; c = c->next) {
		if (!is_elem(c, "end"))
			continue;
		if (ch->n_ends < 2)
			parse_end(m, &ch->ends[ch->n_ends], c);
		ch->n_ends++;
	}
}

static void parse_ring(struct manifest *m, xmlNodePtr n)
{
	struct m_ring *r = arena_vec_push((void **)&m->rings, &m->n_rings, sizeof(*r));
	char what[96];

	r->line = line_of(n);
	r->name = get_name(m, n, "name", "ring name");
	r->client = attr(m, n, "client");
	r->server = attr(m, n, "server");
	r->client_idx = r->server_idx = MANIFEST_NO_INDEX;
	r->size = MANIFEST_DEFAULT_RING_SIZE;
	snprintf(what, sizeof(what), " of ring '%s'", r->name ? r->name : "?");
	r->size_ok = get_size(m, n, "size", what, SIZE_PAGES, &r->size) || !attr(m, n, "size");
}

static void parse_policy(struct manifest *m, xmlNodePtr n)
{
	for (xmlNodePtr c = n->children; c; c = c->next) {
		if (!is_elem(c, "no-flow"))
			continue;
		struct m_no_flow *nf =
			arena_vec_push((void **)&m->no_flows, &m->n_no_flows, sizeof(*nf));
		nf->line = line_of(c);
		nf->from = attr(m, c, "from");
		nf->to = attr(m, c, "to");
		nf->through = attr(m, c, "except-through");
		nf->from_idx = nf->to_idx = nf->through_idx = MANIFEST_NO_INDEX;
	}
}

static void parse_system(struct manifest *m, xmlNodePtr root)
{
	m->line = line_of(root);
	m->name = get_name(m, root, "name", "system name");
	if (attr(m, root, "memory"))
		get_size(m, root, "memory", " of the system", SIZE_ANY, &m->memory);
	for (xmlNodePtr c = root->children; c; c = c->next) {
		if (is_elem(c, "region"))
			parse_region(m, c);
		else if (is_elem(c, "domain"))
			parse_domain(m, c);
		else if (is_elem(c, "channel"))
			parse_channel(m, c);
		else if (is_elem(c, "ring"))
			parse_ring(m, c);
		else if (is_elem(c, "policy"))
			parse_policy(m, c);
	}
}

/* The node after @n in document order, skipping @n's children, or NULL past @root. */
static xmlNodePtr next_outside(xmlNodePtr n, xmlNodePtr root)
{
	while (n != root && !n->next)
		n = n->parent;
	return n == root ? NULL : n->next;
}

/* Drops whitespace-only text, which the schema would count as content of empty
 * elements. Walks the tree without recursion. */
static void strip_blanks(xmlNodePtr root)
{
	xmlNodePtr n = root ? root->children : NULL;

	while (n) {
		if (n->type == XML_ELEMENT_NODE && n->children) {
			n = n->children;
			continue;
		}
		xmlNodePtr next = next_outside(n, root);
		if (n->type == XML_TEXT_NODE && xmlIsBlankNode(n)) {
			xmlUnlinkNode(n);
			xmlFreeNode(n);
		}
		n = next;
	}
}

bool manifest_load(struct manifest *m, const char *path, uint64_t memory, struct diag *diag)
{
	char *copy = strdup(path);

	m->file = path;
	m->diag = diag;
	m->memory = memory;
	m->console = MANIFEST_NO_INDEX;
	m->dir = arena_strdup(&m->arena, copy ? dirname(copy) : ".");
	free(copy);
	xmlDocPtr doc = read_doc(path, diag);
	if (!doc)
		return false;
	strip_blanks(xmlDocGetRootElement(doc));
	if (!schema_validate(doc, diag))
		diag_error(diag, 0,
		           "internal error: the embedded schema bulkhead.xsd does not load");
	xmlNodePtr root = xmlDocGetRootElement(doc);
	bool system = root && is_elem(root, "system");
	if (system)
		parse_system(m, root);
	xmlFreeDoc(doc);
	return system;
}

void manifest_free(struct manifest *m)
{
	for (size_t i = 0; i < m->n_domains; i++) {
		free(m->domains[i].maps);
		free(m->domains[i].ioports);
		free(m->domains[i].devices);
		free(m->domains[i].volumes);
		free(m->domains[i].ports);
		free(m->domains[i].controls);
		free(m->domains[i].supervises);
		for (size_t k = 0; k < m->domains[i].n_alts; k++)
			free(m->domains[i].alts[k].img.path);
		free(m->domains[i].alts);
		free(m->domains[i].img.path);
	}
	free(m->regions);
	free(m->domains);
	free(m->channels);
	free(m->rings);
	free(m->no_flows);
	arena_free(&m->arena);
	memset(m, 0, sizeof(*m));
}

int manifest_find_domain(const struct manifest *m, const char *name)
{
	for (size_t i = 0; name && i < m->n_domains; i++)
		if (m->domains[i].name && strcmp(m->domains[i].name, name) == 0)
			return (int)i;
	return MANIFEST_NO_INDEX;
}

int manifest_find_region(const struct manifest *m, const char *name)
{
	for (size_t i = 0; name && i < m->n_regions; i++)
		if (m->regions[i].name && strcmp(m->regions[i].name, name) == 0)
			return (int)i;
	return MANIFEST_NO_INDEX;
}

enum m_role manifest_role(const struct manifest *m, size_t d)
{
	const struct m_domain *dom = &m->domains[d];

	if (dom->role != M_ROLE_NONE)
		return dom->role;
	if (dom->console)
		return M_ROLE_SERVICE;
	return dom->n_ioports || dom->n_devices ? M_ROLE_DRIVER : M_ROLE_APPLICATION;
}

const char *manifest_role_name(enum m_role role)
{
	return role >= M_ROLE_DRIVER && role <= M_ROLE_APPLICATION ? role_names[role] : "none";
}

const struct m_ring *manifest_find_ring(const struct manifest *m, const char *name)
{
	for (size_t i = 0; name && i < m->n_rings; i++)
		if (m->rings[i].name && strcmp(m->rings[i].name, name) == 0)
			return &m->rings[i];
	return NULL;
}

const struct m_map *manifest_domain_map(const struct m_domain *d, int region)
{
	for (size_t j = 0; j < d->n_maps; j++)
		if (d->maps[j].region_idx == region)
			return &d->maps[j];
	return NULL;
}
