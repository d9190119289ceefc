/* Schema: validates a manifest's structure against the embedded bulkhead.xsd. */
#include "schema.h"

#include <string.h>

#include <libxml/xmlerror.h>
#include <libxml/xmlschemas.h>

/* What the schema allows, repeated here only to phrase its errors helpfully. */
struct elem_info {
	const char *name;
	const char *parent;   /* element it belongs in; NULL for the root */
	const char *attrs;    /* attributes it takes */
	const char *children; /* elements it may contain, or NULL */
};

static const struct elem_info elems[] = {
	{"system", NULL, "name, memory", "region, domain, channel, ring, policy"},
	{"region", "system", "name, size, code-sharing, module", NULL},
	{"domain", "system", "name, image, priority, budget, period, stack, heap, role, ssbd",
         "map, ioport, device, volume, port, alternative, control, supervise"},
	{"alternative", "domain", "image", NULL},
	{"control", "domain", "target, rights", NULL},
	{"supervise", "domain",
         "target, on, watchdog-ms, heartbeat, max-restarts, window-ms, backoff-ms, "
         "replace-after-ms",
         NULL},
	{"map", "domain", "region, vaddr, perms, dma", NULL},
	{"port", "domain", "name, client, data, mac, ipv4, forward", NULL},
	{"ioport", "domain", "base, count, machine", NULL},
	{"device", "domain", "name, pci, irq, dma", NULL},
	{"channel", "system", "name", "end"},
	{"end", "channel", "domain, id, rights", NULL},
	{"ring", "system", "name, client, server, size", NULL},
	{"policy", "system", "no attributes", "no-flow"},
	{"no-flow", "policy", "from, to, except-through", NULL},
};

/* An example for each required attribute, shown when it is missing. */
static const struct {
	const char *elem, *attr, *example;
} examples[] = {
	{"system", "name", "name=\"demo\""},      {"region", "name", "name=\"shared\""},
	{"region", "size", "size=\"64K\""},       {"domain", "name", "name=\"ping\""},
	{"domain", "image", "image=\"ping\""},    {"domain", "priority", "priority=\"100\""},
	{"map", "region", "region=\"shared\""},   {"map", "vaddr", "vaddr=\"0x40000000\""},
	{"map", "perms", "perms=\"rw\""},         {"ioport", "base", "base=\"0x3f8\""},
	{"ioport", "count", "count=\"8\""},       {"device", "name", "name=\"disk0\""},
	{"device", "pci", "pci=\"00:04.0\""},     {"port", "mac", "mac=\"02:00:00:00:00:10\""},
	{"end", "domain", "domain=\"ping\""},     {"end", "id", "id=\"1\""},
	{"ring", "name", "name=\"log\""},         {"ring", "client", "client=\"ping\""},
	{"ring", "server", "server=\"console\""}, {"no-flow", "from", "from=\"ping\""},
	{"no-flow", "to", "to=\"pong\""},         {"alternative", "image", "image=\"ping\""},
	{"control", "target", "target=\"ping\""}, {"supervise", "target", "target=\"ping\""},
	{"supervise", "on", "on=\"fault\""},
};

struct schema_ctx {
	struct diag *diag;
	xmlNodePtr last_not_empty; /* libxml2 may report one element twice */
};

static const struct elem_info *find_elem(const char *name)
{
	for (size_t i = 0; i < sizeof(elems) / sizeof(elems[0]); i++)
		if (strcmp(elems[i].name, name) == 0)
			return &elems[i];
	return NULL;
}

static const char *example_for(const char *elem, const char *attr)
{
	for (size_t i = 0; i < sizeof(examples) / sizeof(examples[0]); i++)
		if (strcmp(examples[i].elem, elem) == 0 && strcmp(examples[i].attr, attr) == 0)
			return examples[i].example;
	return NULL;
}

static const char *node_name(xmlNodePtr n)
{
	return n && n->name ? (const char *)n->name : "?";
}

static int node_line(xmlNodePtr n)
{
	long line = n ? xmlGetLineNo(n) : 0;
	return line > 0 ? (int)line : 0;
}

/* Value errors (types, patterns, enumerations): the compiler explains them itself. */
static bool is_value_error(int code)
{
	return (code >= XML_SCHEMAV_VALUE && code <= XML_SCHEMAV_CVC_ENUMERATION_VALID) ||
	       (code >= XML_SCHEMAV_CVC_ATTRIBUTE_1 && code <= XML_SCHEMAV_CVC_ATTRIBUTE_4);
}

static void unknown_attribute(struct diag *d, xmlNodePtr n, const char *attr)
{
	const struct elem_info *e = find_elem(node_name(n));

	diag_error(d, node_line(n), "unknown attribute '%s' in <%s>; <%s> takes: %s", attr,
	           node_name(n), node_name(n), e ? e->attrs : "nothing");
}

static void missing_attribute(struct diag *d, xmlNodePtr n, const char *attr)
{
	const char *ex = example_for(node_name(n), attr);

	if (ex)
		diag_error(d, node_line(n), "<%s> is missing the attribute '%s'; add it, e.g. %s",
		           node_name(n), attr, ex);
	else
		diag_error(d, node_line(n), "<%s> is missing the attribute '%s'; add it",
		           node_name(n), attr);
}

static unsigned count_children(xmlNodePtr n, const char *name)
{
	unsigned count = 0;

	for (xmlNodePtr c = n->children; c; c = c->next)
		if (c->type == XML_ELEMENT_NODE && strcmp(node_name(c), name) == 0)
			count++;
	return count;
}

/* " 'NAME'" for an element with a name attribute, "" otherwise; @buf holds it. */
static const char *quoted_name(xmlNodePtr n, char *buf, size_t len)
{
	xmlChar *name = xmlGetProp(n, (const xmlChar *)"name");

	buf[0] = '\0';
	if (name)
		snprintf(buf, len, " '%s'", (const char *)name);
	xmlFree(name);
	return buf;
}

static void wrong_end_count(struct diag *d, xmlNodePtr channel)
{
	char name[64];
	unsigned n = count_children(channel, "end");

	diag_error(d, node_line(channel),
	           "channel%s has %u <end> element%s; a channel connects exactly two domains, so "
	           "give it exactly two <end> elements",
	           quoted_name(channel, name, sizeof(name)), n, n == 1 ? "" : "s");
}

static void unexpected_element(struct diag *d, xmlNodePtr n)
{
	const struct elem_info *e = find_elem(node_name(n));
	const struct elem_info *p = find_elem(node_name(n->parent));
	const char *parent = node_name(n->parent);

	if (e && e->parent && strcmp(e->parent, parent) == 0 && strcmp(e->name, "end") == 0)
		wrong_end_count(d, n->parent);
	else if (e && e->parent)
		diag_error(d, node_line(n),
		           "<%s> cannot appear inside <%s>; it belongs inside <%s>", e->name,
		           parent, e->parent);
	else if (e)
		diag_error(d, node_line(n), "<%s> can only be the root element", e->name);
	else if (p && p->children)
		diag_error(d, node_line(n),
		           "unknown element <%s> inside <%s>; <%s> may contain: %s", node_name(n),
		           parent, parent, p->children);
	else
		diag_error(d, node_line(n),
		           "unknown element <%s> inside <%s>; <%s> has no elements "
		           "inside it",
		           node_name(n), parent, parent);
}

static void element_content(struct diag *d, const xmlError *err, xmlNodePtr n)
{
	if (err->message && strstr(err->message, "Missing child"))
		wrong_end_count(d, n);
	else
		unexpected_element(d, n);
}

/*
 * Finds the line where the words of text node @t start. libxml2 numbers a text
 * node with the line it has reached when it first hands text over: the end of
 * plain ASCII text, but an earlier line when the text holds a CR (CRLF files),
 * '&', ']' or a non-ASCII byte. Counting back from the node's line is exact in
 * the first case; counting on from the node before it (or the parent, numbered
 * with the line its start tag ends on) is exact when the text follows an empty
 * element, a comment or the start tag. Neither passes the true line, so the
 * larger one is taken.
 */
static int text_line(xmlNodePtr t)
{
	const char *p = (const char *)t->content;
	int newlines = 0, lead = 0;
	bool words = false;

	for (; p && *p; p++) {
		if (*p == '\n') {
			newlines++;
			lead += !words;
		} else if (*p != ' ' && *p != '\t' && *p != '\r') {
			words = true;
		}
	}
	int from_end = node_line(t) - newlines + lead;
	int from_start = node_line(t->prev ? t->prev : t->parent) + lead;
	return from_end > from_start ? from_end : from_start;
}

static void stray_text(struct diag *d, xmlNodePtr n)
{
	int line = node_line(n);

	for (xmlNodePtr c = n->children; c; c = c->next) {
		if (c->type == XML_TEXT_NODE && !xmlIsBlankNode(c)) {
			line = text_line(c);
			break;
		}
	}
	diag_error(d, line,
	           "text is not allowed inside <%s>; remove it, or write a comment "
	           "<!-- like this -->",
	           node_name(n));
}

/* An element that takes neither elements nor text has some; reported once per element. */
static void not_empty(struct schema_ctx *ctx, xmlNodePtr n)
{
	if (n == ctx->last_not_empty)
		return;
	ctx->last_not_empty = n;
	for (xmlNodePtr c = n->children; c; c = c->next) {
		if (c->type == XML_ELEMENT_NODE) {
			unexpected_element(ctx->diag, c);
			return;
		}
	}
	stray_text(ctx->diag, n);
}

/* libxml2's message without its "Element 'x': " prefix and trailing newline. */
static void other_error(struct diag *d, const xmlError *err, xmlNodePtr n)
{
	char msg[512];
	const char *text = err->message ? err->message : "invalid";
	const char *colon = strstr(text, "': ");

	snprintf(msg, sizeof(msg), "%s", colon ? colon + 3 : text);
	msg[strcspn(msg, "\n")] = '\0';
	diag_error(d, n ? node_line(n) : err->line, "%s (see manifests/bulkhead.xsd)", msg);
}

static void on_error(void *arg, xmlErrorPtr err)
{
	struct schema_ctx *ctx = arg;
	struct diag *d = ctx->diag;
	xmlNodePtr n = err->node;

	if (err->level < XML_ERR_ERROR || is_value_error(err->code))
		return;
	if (n && n->type != XML_ELEMENT_NODE)
		n = n->parent;
	if (err->code == XML_SCHEMAV_CVC_COMPLEX_TYPE_3_2_1 && n && err->str1)
		unknown_attribute(d, n, err->str1);
	else if (err->code == XML_SCHEMAV_CVC_COMPLEX_TYPE_4 && n && err->str1)
		missing_attribute(d, n, err->str1);
	else if (err->code == XML_SCHEMAV_ELEMENT_CONTENT && n && n->parent)
		element_content(d, err, n);
	else if (err->code == XML_SCHEMAV_CVC_COMPLEX_TYPE_2_3 && n)
		stray_text(d, n);
	else if (err->code == XML_SCHEMAV_CVC_COMPLEX_TYPE_2_1 && n)
		not_empty(ctx, n);
	else if (err->code == XML_SCHEMAV_CVC_ELT_1 && n)
		diag_error(d, node_line(n),
		           "the root element is <%s>; a manifest's root element is "
		           "<system>",
		           node_name(n));
	else
		other_error(d, err, n);
}

static xmlSchemaPtr load_schema(void)
{
	xmlSchemaParserCtxtPtr pc = xmlSchemaNewMemParserCtxt(schema_xsd, (int)schema_xsd_len);
	if (!pc)
		return NULL;
	xmlSchemaPtr schema = xmlSchemaParse(pc);
	xmlSchemaFreeParserCtxt(pc);
	return schema;
}

bool schema_validate(xmlDocPtr doc, struct diag *diag)
{
	xmlSchemaPtr schema = load_schema();
	if (!schema)
		return false;
	xmlSchemaValidCtxtPtr vc = xmlSchemaNewValidCtxt(schema);
	struct schema_ctx ctx = {diag, NULL};
	bool ok = vc != NULL;
	if (ok) {
		xmlSchemaSetValidStructuredErrors(vc, on_error, &ctx);
		xmlSchemaValidateDoc(vc, doc);
		xmlSchemaFreeValidCtxt(vc);
	}
	xmlSchemaFree(schema);
	return ok;
}
