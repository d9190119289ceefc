/* libnet: DHCP messages (RFC 2131, 2132) - the reply parser (untrusted input) and the builder. */
#include <string.h>

#include "net_internal.h"

#define OP_REQUEST 1u
#define OP_REPLY 2u
#define HTYPE_ETHER 1u
#define FLAG_BROADCAST 0x8000u

#define OPT_PAD 0u
#define OPT_MASK 1u
#define OPT_ROUTER 3u
#define OPT_REQUESTED 50u
#define OPT_LEASE 51u
#define OPT_OVERLOAD 52u
#define OPT_TYPE 53u
#define OPT_SERVER 54u
#define OPT_PARAMS 55u
#define OPT_T1 58u
#define OPT_T2 59u
#define OPT_CLIENT_ID 61u
#define OPT_END 255u

/* Where a 4-byte option's value goes, and its bit in `have`. */
static uint32_t *word_option(struct net_dhcp_msg *m, uint8_t code, uint32_t *bit)
{
	switch (code) {
	case OPT_MASK:
		*bit = NET_DHCP_HAVE_MASK;
		return &m->netmask;
	case OPT_LEASE:
		*bit = NET_DHCP_HAVE_LEASE;
		return &m->lease_s;
	case OPT_SERVER:
		*bit = NET_DHCP_HAVE_SERVER;
		return &m->server;
	case OPT_T1:
		*bit = NET_DHCP_HAVE_T1;
		return &m->t1_s;
	case OPT_T2:
		*bit = NET_DHCP_HAVE_T2;
		return &m->t2_s;
	default:
		return NULL;
	}
}

/* Takes option @code with @n bytes at @v (inside the message). Returns 0 or NET_DHCP_EOPTION. */
static int option(struct net_dhcp_msg *m, uint8_t code, const uint8_t *v, size_t n)
{
	uint32_t bit = 0, *word = word_option(m, code, &bit);

	if (word) {
		if (n != 4u)
			return NET_DHCP_EOPTION;
		*word = net_get32(v);
		m->have |= bit;
	} else if (code == OPT_TYPE) {
		if (n != 1u)
			return NET_DHCP_EOPTION;
		m->type = v[0];
	} else if (code == OPT_ROUTER) {
		if (n == 0 || n % 4u != 0)
			return NET_DHCP_EOPTION;
		m->router = net_get32(v);
		m->have |= NET_DHCP_HAVE_ROUTER;
	} else if (code == OPT_OVERLOAD) {
		m->have |= NET_DHCP_HAVE_OVERLOAD;
	}
	return 0;
}

/* Walks the options from @i to @len. Returns 0 at the end option, or an error. */
static int options(struct net_dhcp_msg *m, const uint8_t *p, size_t i, size_t len)
{
	while (i < len) {
		uint8_t code = p[i];
		if (code == OPT_END)
			return 0;
		if (code == OPT_PAD) {
			i++;
			continue;
		}
		if (len - i < 2u || p[i + 1u] > len - i - 2u)
			return NET_DHCP_EOPTION;
		size_t n = p[i + 1u];
		int err = option(m, code, p + i + 2u, n);
		if (err)
			return err;
		i += 2u + n;
	}
	return NET_DHCP_ENOEND;
}

int net_dhcp_msg_parse(const uint8_t *p, size_t len, struct net_dhcp_msg *out)
{
	memset(out, 0, sizeof(*out));
	if (len < NET_DHCP_OPTIONS)
		return NET_DHCP_ESHORT;
	if (p[0] != OP_REPLY || p[1] != HTYPE_ETHER || p[2] != 6u)
		return NET_DHCP_EHEADER;
	if (net_get32(p + NET_DHCP_FIXED) != NET_DHCP_COOKIE)
		return NET_DHCP_ECOOKIE;
	out->xid = net_get32(p + 4);
	out->ciaddr = net_get32(p + 12);
	out->yiaddr = net_get32(p + 16);
	out->siaddr = net_get32(p + 20);
	memcpy(out->chaddr, p + 28, 6);
	int err = options(out, p, NET_DHCP_OPTIONS, len);
	if (err)
		return err;
	if (out->type < NET_DHCP_DISCOVER || out->type > NET_DHCP_INFORM)
		return NET_DHCP_ENOTYPE;
	return 0;
}

/* Writes option @code with @n bytes of @v at @p + *@at. */
static void put_option(uint8_t *p, size_t *at, uint8_t code, const uint8_t *v, uint8_t n)
{
	p[(*at)++] = code;
	p[(*at)++] = n;
	memcpy(p + *at, v, n);
	*at += n;
}

static void put_word_option(uint8_t *p, size_t *at, uint8_t code, uint32_t v)
{
	uint8_t b[4];

	net_put32(b, v);
	put_option(p, at, code, b, 4);
}

size_t net_dhcp_msg_build(uint8_t *p, size_t cap, const struct net_dhcp_req *r)
{
	static const uint8_t params[] = {OPT_MASK,   OPT_ROUTER, OPT_LEASE,
	                                 OPT_SERVER, OPT_T1,     OPT_T2};
	uint8_t id[7] = {HTYPE_ETHER};
	size_t at = NET_DHCP_OPTIONS;

	if (cap < NET_DHCP_MIN_LEN)
		return 0;
	memset(p, 0, NET_DHCP_MIN_LEN);
	p[0] = OP_REQUEST;
	p[1] = HTYPE_ETHER;
	p[2] = 6;
	net_put32(p + 4, r->xid);
	net_put16(p + 8, r->secs);
	net_put16(p + 10, r->ciaddr ? 0u : FLAG_BROADCAST);
	net_put32(p + 12, r->ciaddr);
	memcpy(p + 28, r->mac, 6);
	net_put32(p + NET_DHCP_FIXED, NET_DHCP_COOKIE);
	put_option(p, &at, OPT_TYPE, &r->type, 1);
	memcpy(id + 1, r->mac, 6);
	put_option(p, &at, OPT_CLIENT_ID, id, sizeof(id));
	if (r->requested)
		put_word_option(p, &at, OPT_REQUESTED, r->requested);
	if (r->server)
		put_word_option(p, &at, OPT_SERVER, r->server);
	put_option(p, &at, OPT_PARAMS, params, sizeof(params));
	p[at++] = OPT_END;
	return at < NET_DHCP_MIN_LEN ? NET_DHCP_MIN_LEN : at;
}
