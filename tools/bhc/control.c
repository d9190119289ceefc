/* Domain control: the rules of <alternative>, <control> and <supervise> (docs/control.md). */
#include "control.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bulkhead/abi/caps.h>
#include <bulkhead/abi/layout.h>
#include <bulkhead/abi/plan.h>

#include "value.h"

#define RESTARTS (BH_RIGHT_RESTART | BH_RIGHT_REPLACE)

static const char *const right_names[] = {"stop",        "resume",       "restart",
                                          "replace",     "faults",       "destroy",
                                          "read-memory", "write-memory", "vcpu"};

const char *control_rights_name(uint32_t rights, char *buf, size_t len)
{
	size_t o = 0;

	buf[0] = '\0';
	for (unsigned k = 0; k < sizeof(right_names) / sizeof(right_names[0]); k++)
		if ((rights & (1u << k)) && o < len)
			o += (size_t)snprintf(buf + o, len - o, "%s%s", o ? " " : "",
			                      right_names[k]);
	if (!rights)
		snprintf(buf, len, "none");
	return buf;
}

const struct m_control *control_find(const struct m_domain *holder, int target)
{
	for (size_t k = 0; k < holder->n_controls; k++)
		if (holder->controls[k].target_idx == target && target >= 0)
			return &holder->controls[k];
	return NULL;
}

static const char *dname(const struct manifest *m, int d)
{
	return d >= 0 && m->domains[d].name ? m->domains[d].name : "?";
}

/* ---- <alternative> ---- */

static void check_alternative(struct manifest *m, const struct m_domain *d, size_t k)
{
	const struct m_alternative *a = &d->alts[k];

	if (!a->image)
		return;
	if (k == BP_MAX_ALTERNATIVES)
		diag_error(m->diag, a->line,
		           "domain '%s' has more than %u alternative images; remove some", d->name,
		           BP_MAX_ALTERNATIVES);
	if (d->image && strcmp(a->image, d->image) == 0) {
		diag_error(m->diag, a->line,
		           "alternative image '%s' of domain '%s' is its own image, which "
		           "restart loads anyway; name a different image or remove it",
		           a->image, d->name);
		return;
	}
	for (size_t j = 0; j < k; j++) {
		if (!d->alts[j].image || strcmp(d->alts[j].image, a->image) != 0)
			continue;
		diag_error(m->diag, a->line,
		           "alternative image '%s' of domain '%s' is already its alternative %zu "
		           "(line %d); give each alternative once",
		           a->image, d->name, j + 1, d->alts[j].line);
		return;
	}
}

static void check_alternatives(struct manifest *m)
{
	size_t total = 0;

	for (size_t i = 0; i < m->n_domains; i++) {
		const struct m_domain *d = &m->domains[i];
		for (size_t k = 0; k < d->n_alts; k++) {
			check_alternative(m, d, k);
			if (++total == BP_MAX_IMAGES + 1)
				diag_error(m->diag, d->alts[k].line,
				           "too many alternative images: this is alternative %u of "
				           "the system, and a system has at most %u; remove some",
				           BP_MAX_IMAGES + 1, BP_MAX_IMAGES);
		}
	}
}

/* ---- <control> ---- */

static int resolve_target(struct manifest *m, const char *target, int line, const char *elem)
{
	int idx = manifest_find_domain(m, target);

	if (target && idx < 0)
		diag_error(m->diag, line,
		           "target '%s' of <%s> is not a declared domain; declare <domain "
		           "name=\"%s\" .../> or fix the name",
		           target, elem, target);
	return idx;
}

/* The holder of faults on domain @t declared before control @c, or -1. */
static int faults_holder(const struct manifest *m, int t, const struct m_control *c,
                         const struct m_control **first)
{
	for (size_t i = 0; i < m->n_domains; i++) {
		for (size_t k = 0; k < m->domains[i].n_controls; k++) {
			const struct m_control *o = &m->domains[i].controls[k];
			if (o == c)
				return -1;
			if (o->target_idx == t && (o->rights & BH_RIGHT_FAULTS)) {
				*first = o;
				return (int)i;
			}
		}
	}
	return -1;
}

/* Rules of one <control> on its own; false if it is unusable for the cycle check. */
static bool check_control_rights(struct manifest *m, const struct m_control *c)
{
	const struct m_domain *t = &m->domains[c->target_idx];
	const struct m_control *first = NULL;
	int other;

	if ((c->rights & BH_RIGHT_REPLACE) && t->n_alts == 0) {
		diag_error(m->diag, c->line,
		           "<control> of '%s' has the right replace, but '%s' has no "
		           "<alternative> to replace its image with; add one or drop replace",
		           t->name, t->name);
		return false;
	}
	if ((c->rights & BH_RIGHT_FAULTS) &&
	    (other = faults_holder(m, c->target_idx, c, &first)) >= 0) {
		diag_error(
			m->diag, c->line,
			"domain '%s' already hears of the faults of '%s' (line %d); a target has "
			"one supervisor: drop faults from one of the two",
			dname(m, other), t->name, first->line);
		return false;
	}
	return true;
}

static bool check_control(struct manifest *m, size_t h, size_t k)
{
	struct m_domain *d = &m->domains[h];
	struct m_control *c = &d->controls[k];

	c->target_idx = resolve_target(m, c->target, c->line, "control");
	if (c->target_idx < 0 || !c->rights_ok)
		return false;
	if ((size_t)c->target_idx == h) {
		diag_error(m->diag, c->line,
		           "domain '%s' has a <control> of itself; a domain cannot stop or restart "
		           "itself: name another target",
		           d->name);
		return false;
	}
	for (size_t j = 0; j < k; j++) {
		if (d->controls[j].target_idx != c->target_idx)
			continue;
		diag_error(m->diag, c->line,
		           "domain '%s' already has a <control> of '%s' (line %d); give all its "
		           "rights in one <control>",
		           d->name, c->target, d->controls[j].line);
		return false;
	}
	return check_control_rights(m, c);
}

/* ---- cycles of restart rights ---- */

/* Restart edges: bit t of to[h] when h may restart (or replace) t, through control via[h][t]. */
struct edges {
	uint64_t to[BP_MAX_DOMAINS];
	const struct m_control *via[BP_MAX_DOMAINS][BP_MAX_DOMAINS];
};

/* Finds a path @from -> @to over @e; writes it, with lines, into @buf. */
static bool find_path(const struct manifest *m, const struct edges *e, size_t from, size_t to,
                      char *buf, size_t len)
{
	int prev[BP_MAX_DOMAINS];
	size_t queue[BP_MAX_DOMAINS], head = 0, tail = 0;

	for (size_t i = 0; i < BP_MAX_DOMAINS; i++)
		prev[i] = -1;
	prev[from] = (int)from;
	queue[tail++] = from;
	while (head < tail && prev[to] < 0) {
		size_t u = queue[head++];
		for (size_t v = 0; v < m->n_domains; v++)
			if ((e->to[u] & (1ull << v)) && prev[v] < 0) {
				prev[v] = (int)u;
				queue[tail++] = v;
			}
	}
	if (prev[to] < 0)
		return false;
	size_t o = 0, path[BP_MAX_DOMAINS], n = 0;
	for (size_t v = to; v != from; v = (size_t)prev[v])
		path[n++] = v;
	for (size_t i = n; i-- > 0;) {
		size_t u = i + 1 < n ? path[i + 1] : from;
		o += (size_t)snprintf(buf + o, o < len ? len - o : 0,
		                      ", which can restart '%s' (line %d)", dname(m, (int)path[i]),
		                      e->via[u][path[i]]->line);
	}
	return true;
}

/*
 * Two domains that may restart each other (over any number of others) could
 * restart each other forever. Reported once, at the last <control> on a cycle.
 */
static void check_cycles(struct manifest *m, const bool *usable)
{
	static struct edges e;
	char path[1024];
	size_t at = 0;

	memset(&e, 0, sizeof(e));
	for (size_t h = 0; h < m->n_domains && h < BP_MAX_DOMAINS; h++)
		for (size_t k = 0; k < m->domains[h].n_controls; k++, at++) {
			const struct m_control *c = &m->domains[h].controls[k];
			if (!usable[at] || !(c->rights & RESTARTS))
				continue;
			e.to[h] |= 1ull << c->target_idx;
			e.via[h][c->target_idx] = c;
		}
	for (size_t h = m->n_domains < BP_MAX_DOMAINS ? m->n_domains : BP_MAX_DOMAINS; h-- > 0;)
		for (size_t k = m->domains[h].n_controls; k-- > 0;) {
			const struct m_control *c = &m->domains[h].controls[k];
			if (c->target_idx < 0 || e.via[h][c->target_idx] != c ||
			    !find_path(m, &e, (size_t)c->target_idx, h, path, sizeof(path)))
				continue;
			diag_error(
				m->diag, c->line,
				"domain '%s' can restart '%s'%s: domains that can restart (or replace) each "
				"other could do so forever; drop restart and replace from one "
				"<control> on this cycle",
				m->domains[h].name, c->target, path);
			return;
		}
}

static void check_controls(struct manifest *m)
{
	size_t n = 0, at = 0;

	for (size_t h = 0; h < m->n_domains; h++)
		n += m->domains[h].n_controls;
	bool *usable = calloc(n + 1, sizeof(*usable));
	if (!usable)
		abort();
	for (size_t h = 0; h < m->n_domains; h++)
		for (size_t k = 0; k < m->domains[h].n_controls; k++)
			usable[at++] = check_control(m, h, k);
	if (m->n_domains <= BP_MAX_DOMAINS)
		check_cycles(m, usable);
	free(usable);
}

/* ---- <supervise> ---- */

/* The first <supervise> of domain index @t before @s, in any domain; its holder in *@h. */
static const struct m_supervise *earlier_supervise(const struct manifest *m, int t,
                                                   const struct m_supervise *s, size_t *h)
{
	for (*h = 0; *h < m->n_domains; (*h)++)
		for (size_t k = 0; k < m->domains[*h].n_supervises; k++) {
			const struct m_supervise *o = &m->domains[*h].supervises[k];
			if (o == s)
				return NULL;
			if (o->target_idx == t)
				return o;
		}
	return NULL;
}

/* The control a supervise relies on: restart, faults for fault, replace for a scheduled replace. */
static bool supervise_rights(struct manifest *m, const struct m_domain *d,
                             const struct m_supervise *s)
{
	const struct m_control *c = control_find(d, s->target_idx);
	uint32_t need = BH_RIGHT_RESTART | (s->on_fault ? BH_RIGHT_FAULTS : 0) |
	                (s->replace_after_ms ? BH_RIGHT_REPLACE : 0);
	char want[96], lack[96];

	if (c && !c->rights_ok)
		return false;
	if (c && (c->rights & need) == need)
		return true;
	control_rights_name(need, want, sizeof(want));
	control_rights_name(need & ~(c ? c->rights : 0), lack, sizeof(lack));
	if (!c)
		diag_error(m->diag, s->line,
		           "domain '%s' supervises '%s' without a <control> of it; add <control "
		           "target=\"%s\" rights=\"%s\"/> to '%s'",
		           d->name, s->target, s->target, want, d->name);
	else
		diag_error(m->diag, s->line,
		           "the <supervise> of '%s' needs the rights %s, but the <control> of '%s' "
		           "(line %d) lacks %s; add them to its rights",
		           s->target, want, s->target, c->line, lack);
	return false;
}

/* Who maps region @r other than @a and @b, or -1. */
static int other_mapper(const struct manifest *m, int r, size_t a, size_t b)
{
	for (size_t i = 0; i < m->n_domains; i++)
		if (i != a && i != b && manifest_domain_map(&m->domains[i], r))
			return (int)i;
	return -1;
}

/* @who's map of @r has exactly @rights; reports otherwise. */
static bool heartbeat_map(struct manifest *m, const struct m_supervise *s, size_t who,
                          uint32_t rights, const char *role)
{
	const struct m_map *mp = manifest_domain_map(&m->domains[who], s->heartbeat_idx);
	const char *want = value_perms_name(rights);

	if (mp && (!mp->rights_ok || mp->rights == rights))
		return mp->rights_ok;
	if (mp)
		diag_error(m->diag, mp->line,
		           "heartbeat region '%s' of the <supervise> of '%s' must be mapped %s by "
		           "the %s '%s', not %s; make its perms %s",
		           s->heartbeat, s->target, want, role, m->domains[who].name,
		           value_perms_name(mp->rights), want);
	else
		diag_error(m->diag, s->line,
		           "heartbeat region '%s' of the <supervise> of '%s' must be mapped %s by "
		           "the %s '%s'; add <map region=\"%s\" vaddr=\"...\" perms=\"%s\"/> to it",
		           s->heartbeat, s->target, want, role, m->domains[who].name, s->heartbeat,
		           want);
	return false;
}

static void check_heartbeat(struct manifest *m, size_t h, struct m_supervise *s)
{
	char sz[32];

	s->heartbeat_idx = manifest_find_region(m, s->heartbeat);
	if (!s->heartbeat)
		return;
	if (s->heartbeat_idx < 0) {
		diag_error(m->diag, s->line,
		           "heartbeat '%s' of the <supervise> of '%s' is not a declared region; "
		           "declare <region name=\"%s\" size=\"4K\"/> or fix the name",
		           s->heartbeat, s->target, s->heartbeat);
		return;
	}
	const struct m_region *r = &m->regions[s->heartbeat_idx];
	if (r->size_ok && r->size != BH_PAGE_SIZE) {
		snprintf(sz, sizeof(sz), "%llu bytes", (unsigned long long)r->size);
		diag_error(m->diag, s->line,
		           "heartbeat region '%s' of the <supervise> of '%s' is %s; a heartbeat "
		           "region is exactly one page: make it size=\"4K\"",
		           s->heartbeat, s->target, sz);
		return;
	}
	if (!heartbeat_map(m, s, (size_t)s->target_idx, BH_RIGHT_READ | BH_RIGHT_WRITE, "target") ||
	    !heartbeat_map(m, s, h, BH_RIGHT_READ, "supervisor"))
		return;
	int o = other_mapper(m, s->heartbeat_idx, h, (size_t)s->target_idx);
	if (o >= 0)
		diag_error(m->diag, manifest_domain_map(&m->domains[o], s->heartbeat_idx)->line,
		           "domain '%s' maps heartbeat region '%s', which only '%s' and its "
		           "supervisor '%s' may map: it could fake or stop the heartbeat; remove "
		           "the map",
		           m->domains[o].name, s->heartbeat, s->target, m->domains[h].name);
}

static void check_supervise(struct manifest *m, size_t h, struct m_supervise *s)
{
	const struct m_supervise *first;
	size_t other;

	s->target_idx = resolve_target(m, s->target, s->line, "supervise");
	if (s->target_idx < 0 || !s->ok)
		return;
	first = earlier_supervise(m, s->target_idx, s, &other);
	if (first) {
		diag_error(m->diag, s->line,
		           "'%s' is already supervised by '%s' (line %d); a domain has one "
		           "supervisor and one policy: remove this <supervise>",
		           s->target, m->domains[other].name, first->line);
		return;
	}
	if (supervise_rights(m, &m->domains[h], s))
		check_heartbeat(m, h, s);
}

void control_check(struct manifest *m)
{
	check_alternatives(m);
	check_controls(m);
	for (size_t h = 0; h < m->n_domains; h++)
		for (size_t k = 0; k < m->domains[h].n_supervises; k++)
			check_supervise(m, h, &m->domains[h].supervises[k]);
}
