/* Switch ports: the rules for <port> elements - their rings, data regions, MACs and addresses. */
#include "port.h"

#include <stdlib.h>
#include <string.h>

#include <bulkhead/abi/caps.h>

static const char *str(const char *s)
{
	return s ? s : "?";
}

static int hex(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

bool port_parse_mac(const char *s, uint64_t *mac)
{
	*mac = 0;
	if (strlen(s) != 17)
		return false;
	for (size_t i = 0; i < 6; i++) {
		const char *b = s + 3 * i;
		int hi = hex(b[0]), lo = hex(b[1]);
		if (hi < 0 || lo < 0 || (i < 5 && b[2] != ':'))
			return false;
		*mac = *mac << 8 | (uint64_t)(hi * 16 + lo);
	}
	return true;
}

bool port_parse_ipv4(const char *s, uint32_t *addr)
{
	*addr = 0;
	for (int i = 0; i < 4; i++) {
		uint32_t v = 0;
		int digits = 0;
		for (; *s >= '0' && *s <= '9' && digits < 4; s++, digits++)
			v = v * 10u + (uint32_t)(*s - '0');
		if (digits == 0 || digits > 3 || v > 255 || (digits > 1 && s[-digits] == '0'))
			return false;
		*addr = *addr << 8 | v;
		if (*s != (i < 3 ? '.' : '\0'))
			return false;
		s++;
	}
	return true;
}

/* The port's ring: named like it, from its client to this switch. */
static void check_ring(struct manifest *m, size_t d, const struct m_port *p, int client)
{
	const char *sn = str(m->domains[d].name);
	const struct m_ring *r = manifest_find_ring(m, p->name);

	if (p->name && !r)
		diag_error(
			m->diag, p->line,
			"port '%s' has no ring; a port's client reaches the switch over the ring "
			"of the same name: add <ring name=\"%s\" client=\"%s\" server=\"%s\"/>",
			p->name, p->name, str(p->client), sn);
	else if (r && (r->client_idx != client || r->server_idx != (int)d))
		diag_error(
			m->diag, p->line,
			"ring '%s' (line %d) runs from '%s' to '%s', but port '%s' needs it from "
			"its client '%s' to the switch '%s'; fix the ring's client and server",
			p->name, r->line, str(r->client), str(r->server), p->name, str(p->client),
			sn);
}

/* Domain @dom maps @region rw; else an error naming @who. Returns true if it does. */
static bool check_rw(struct manifest *m, const struct m_port *p, int dom, int region,
                     const char *who)
{
	const struct m_map *mp = manifest_domain_map(&m->domains[dom], region);

	if (mp && mp->rights == (BH_RIGHT_READ | BH_RIGHT_WRITE))
		return true;
	diag_error(m->diag, p->line,
	           "data region '%s' of port '%s' is %s in %s '%s'; map it there with perms "
	           "\"rw\" (the client writes the frames it sends, the switch the frames it "
	           "delivers)",
	           p->data, str(p->name), mp ? "not mapped rw" : "not mapped", who,
	           str(m->domains[dom].name));
	return false;
}

/* No domain but the client and the switch maps the data region. */
static void check_no_other_map(struct manifest *m, const struct m_port *p, int region, int client,
                               size_t sw)
{
	for (size_t d = 0; d < m->n_domains; d++) {
		const struct m_map *mp = manifest_domain_map(&m->domains[d], region);
		if (!mp || (int)d == client || d == sw)
			continue;
		diag_error(
			m->diag, p->line,
			"data region '%s' of port '%s' is also mapped in '%s' (line %d); a port's "
			"frames are reached by its client and the switch only: remove that map "
			"or give the port its own region",
			p->data, str(p->name), str(m->domains[d].name), mp->line);
		return;
	}
}

static void check_data(struct manifest *m, size_t d, const struct m_port *p, int client)
{
	int region = manifest_find_region(m, p->data);

	if (!p->data || client < 0)
		return;
	if (region < 0) {
		diag_error(
			m->diag, p->line,
			"data region '%s' of port '%s' is not a declared region; declare it with "
			"<region> and map it rw in the client and the switch",
			p->data, str(p->name));
		return;
	}
	if (check_rw(m, p, client, region, "client") && check_rw(m, p, (int)d, region, "switch"))
		check_no_other_map(m, p, region, client, d);
}

/* MAC syntax and kind; IPv4 syntax. Returns false if the MAC is unusable. */
static bool check_values(struct manifest *m, const struct m_port *p, uint64_t *mac, uint32_t *ip)
{
	if (p->ipv4 && (!port_parse_ipv4(p->ipv4, ip) || *ip == 0 || *ip == 0xffffffffu)) {
		*ip = 0; /* not compared with others */
		diag_error(
			m->diag, p->line,
			"ipv4 '%s' of port '%s' is not a host address; write four decimal bytes, "
			"e.g. 10.0.2.16",
			p->ipv4, str(p->name));
	}
	if (!p->mac)
		return false;
	if (!port_parse_mac(p->mac, mac)) {
		diag_error(m->diag, p->line,
		           "mac '%s' of port '%s' is not a MAC address; write six two-digit hex "
		           "bytes with colons, e.g. 02:00:00:00:00:10",
		           p->mac, str(p->name));
		return false;
	}
	if ((*mac >> 40) & 1u || *mac == 0) {
		diag_error(m->diag, p->line,
		           "mac '%s' of port '%s' is a %s address; a port needs a unicast address "
		           "(the low bit of the first byte clear), e.g. 02:00:00:00:00:10",
		           p->mac, str(p->name), *mac == 0 ? "zero" : "multicast or broadcast");
		return false;
	}
	return true;
}

#define FORWARD_MAX 8u /* guest ports one port may forward */

/* One "tcp:N" or "udp:N" (N 1..65535, decimal, no leading zero) at @s, ended by a space or the
 * end: *@key = N, plus 0x10000 for udp. Returns the characters read, 0 if malformed. */
static size_t parse_forward_item(const char *s, uint32_t *key)
{
	uint32_t v = 0, udp = strncmp(s, "udp:", 4) == 0;
	size_t n = 4;

	if (!udp && strncmp(s, "tcp:", 4) != 0)
		return 0;
	for (; s[n] >= '0' && s[n] <= '9' && n < 10; n++)
		v = v * 10u + (uint32_t)(s[n] - '0');
	if (n == 4 || s[4] == '0' || v > 65535 || (s[n] != ' ' && s[n] != '\0'))
		return 0;
	*key = v | udp << 16;
	return n;
}

static void forward_syntax_error(struct manifest *m, const struct m_port *p)
{
	diag_error(m->diag, p->line,
	           "forward '%s' of port '%s' is not a list of up to %u tcp:PORT or udp:PORT "
	           "separated by single spaces, e.g. \"tcp:80 udp:7\"",
	           p->forward, str(p->name), FORWARD_MAX);
}

/* The forward list: its syntax, no guest port twice, and an address to forward to. */
static void check_forward(struct manifest *m, const struct m_port *p)
{
	uint32_t keys[FORWARD_MAX], key = 0;
	size_t n = 0, len;

	if (p->forward && !p->ipv4)
		diag_error(
			m->diag, p->line,
			"port '%s' has forward but no ipv4; the host's connections are forwarded "
			"to the port's address: give it ipv4",
			str(p->name));
	for (const char *s = p->forward; s && (*s || n == 0); s += len + (s[len] == ' ')) {
		len = parse_forward_item(s, &key);
		if (!len || n == FORWARD_MAX || (s[len] == ' ' && s[len + 1] == '\0')) {
			forward_syntax_error(m, p);
			return;
		}
		for (size_t i = 0; i < n; i++)
			if (keys[i] == key) {
				diag_error(
					m->diag, p->line,
					"forward '%s' of port '%s' names %.*s twice; name each guest "
					"port once",
					p->forward, str(p->name), (int)len, s);
				return;
			}
		keys[n++] = key;
	}
}

struct seen {
	const struct m_port *p;
	uint64_t mac;
	uint32_t ip;
	bool mac_ok, ip_ok;
};

/* Reports the first earlier port with @s's MAC or IPv4 address. */
static void check_unique(struct manifest *m, const struct seen *all, size_t n, const struct seen *s)
{
	for (size_t i = 0; i < n; i++) {
		const struct seen *o = &all[i];
		if (s->mac_ok && o->mac_ok && o->mac == s->mac)
			diag_error(m->diag, s->p->line,
			           "port '%s' has mac %s, like port '%s' (line %d); every port "
			           "needs its own address",
			           str(s->p->name), s->p->mac, str(o->p->name), o->p->line);
		if (s->ip_ok && o->ip_ok && o->ip == s->ip)
			diag_error(m->diag, s->p->line,
			           "port '%s' has ipv4 %s, like port '%s' (line %d); every port "
			           "needs its own address",
			           str(s->p->name), s->p->ipv4, str(o->p->name), o->p->line);
	}
}

/* Checks port @k of domain @d; records its addresses in *@s. */
static void check_port(struct manifest *m, size_t d, size_t k, struct seen *s)
{
	const struct m_port *p = &m->domains[d].ports[k];
	int client = manifest_find_domain(m, p->client);

	if (p->client && client < 0)
		diag_error(
			m->diag, p->line,
			"client '%s' of port '%s' is not a declared domain; name the domain that "
			"uses the port",
			p->client, str(p->name));
	else
		check_ring(m, d, p, client);
	check_data(m, d, p, client);
	check_forward(m, p);
	*s = (struct seen){p, 0, 0, false, false};
	s->mac_ok = check_values(m, p, &s->mac, &s->ip);
	s->ip_ok = p->ipv4 && s->ip != 0;
}

void port_check(struct manifest *m)
{
	size_t total = 0, n = 0;

	for (size_t d = 0; d < m->n_domains; d++)
		total += m->domains[d].n_ports;
	struct seen *all = calloc(total + 1, sizeof(*all));
	if (!all)
		return;
	for (size_t d = 0; d < m->n_domains; d++)
		for (size_t k = 0; k < m->domains[d].n_ports; k++, n++) {
			check_port(m, d, k, &all[n]);
			check_unique(m, all, n, &all[n]);
		}
	free(all);
}
