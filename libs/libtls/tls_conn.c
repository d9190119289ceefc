/* libtls: a BearSSL server engine per connection, pumped over a non-blocking transport. */
#include <limits.h>
#include <string.h>

#include "libtls.h"

/*
 * Each connection owns its engine, its X.509 validator and its record buffer (struct
 * tls_conn): nothing is shared between connections but the read-only keys. The engine speaks
 * TLS 1.2 only, with the suites below (forward secrecy and an AEAD each), refuses
 * renegotiation (a client could otherwise swap certificates mid-connection) and keeps no
 * session cache, so that every connection's client certificate is checked afresh. The client
 * must send a certificate (BearSSL fails the handshake with BR_ERR_NO_CLIENT_AUTH otherwise)
 * that chains to the one trust anchor, the keys module's CA, and is valid at the wall-clock
 * time given to tls_conn_start.
 */

static const uint16_t suites[] = {
	BR_TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
	BR_TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
	BR_TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256,
};

/* X.500 attribute OIDs as BearSSL wants them: length, then the DER value. */
static const unsigned char oid_cn[] = {3, 0x55, 0x04, 0x03}; /* 2.5.4.3 commonName */
static const unsigned char oid_ou[] = {3, 0x55, 0x04, 0x0b}; /* 2.5.4.11 organizationalUnit */

static void set_hashes(br_ssl_engine_context *eng, br_x509_minimal_context *xc)
{
	static const br_hash_class *const hashes[] = {&br_sha256_vtable, &br_sha384_vtable,
	                                              &br_sha512_vtable};

	for (size_t i = 0; i < sizeof(hashes) / sizeof(hashes[0]); i++) {
		int id = (int)((hashes[i]->desc >> BR_HASHDESC_ID_OFF) & BR_HASHDESC_ID_MASK);
		br_ssl_engine_set_hash(eng, id, hashes[i]);
		br_x509_minimal_set_hash(xc, id, hashes[i]);
	}
}

/* The validator of client certificates: the CA, the clock, the names we want. */
static void setup_x509(struct tls_conn *c, const struct tls_keys *k, uint64_t now_unix)
{
	uint32_t days, secs;

	br_x509_minimal_init(&c->xc, &br_sha256_vtable, &k->ca, 1);
	br_x509_minimal_set_ecdsa(&c->xc, br_ec_get_default(), br_ecdsa_vrfy_asn1_get_default());
	tls_time_x509(now_unix, &days, &secs);
	br_x509_minimal_set_time(&c->xc, days, secs);
	memset(c->raw, 0, sizeof(c->raw));
	c->names[0] = (br_name_element){.oid = oid_cn, .buf = c->raw[0], .len = sizeof(c->raw[0])};
	c->names[1] = (br_name_element){.oid = oid_ou, .buf = c->raw[1], .len = sizeof(c->raw[1])};
	br_x509_minimal_set_name_elements(&c->xc, c->names, 2);
}

static void setup_engine(struct tls_conn *c, const struct tls_keys *k)
{
	br_ssl_server_context *sc = &c->sc;
	br_ssl_engine_context *eng = &sc->eng;

	br_ssl_server_zero(sc);
	br_ssl_engine_set_versions(eng, BR_TLS12, BR_TLS12);
	br_ssl_engine_set_suites(eng, suites, sizeof(suites) / sizeof(suites[0]));
	br_ssl_engine_set_prf_sha256(eng, &br_tls12_sha256_prf);
	br_ssl_engine_set_prf_sha384(eng, &br_tls12_sha384_prf);
	br_ssl_engine_set_default_aes_gcm(eng);
	br_ssl_engine_set_default_chapol(eng);
	br_ssl_engine_set_default_ecdsa(eng); /* ECDHE, and the client's CertificateVerify */
	br_ssl_server_set_single_ec(sc, k->chain, k->chain_len, &k->sk, BR_KEYTYPE_SIGN,
	                            BR_KEYTYPE_EC, br_ec_get_default(),
	                            br_ecdsa_sign_asn1_get_default());
	br_ssl_server_set_trust_anchor_names_alt(sc, &k->ca, 1); /* asks for a certificate */
	br_ssl_engine_add_flags(eng, BR_OPT_NO_RENEGOTIATION | BR_OPT_ENFORCE_SERVER_PREFERENCES);
	br_ssl_engine_set_buffer(eng, c->iobuf, sizeof(c->iobuf), 1);
	set_hashes(eng, &c->xc);
	br_ssl_engine_set_x509(eng, &c->xc.vtable);
}

int tls_conn_start(struct tls_conn *c, const struct tls_keys *k, const struct tls_io *io,
                   uint64_t now_unix, const uint8_t seed[32])
{
	memset(c->cn, 0, sizeof(c->cn));
	memset(c->ou, 0, sizeof(c->ou));
	c->io = *io;
	c->eof = false;
	c->error = 0;
	c->state = TLS_FAILED;
	if (now_unix == 0) {
		c->error = BR_ERR_X509_TIME_UNKNOWN; /* no clock: no certificate can be checked */
		return c->error;
	}
	setup_x509(c, k, now_unix);
	setup_engine(c, k);
	br_ssl_engine_inject_entropy(&c->sc.eng, seed, 32);
	if (!br_ssl_server_reset(&c->sc)) {
		c->error = br_ssl_engine_last_error(&c->sc.eng);
		return c->error ? c->error : BR_ERR_BAD_STATE;
	}
	c->state = TLS_HANDSHAKE;
	return 0;
}

/* ---- moving records ---- */

/* Hands the transport the records waiting. Returns true if some went. */
static bool push_records(struct tls_conn *c)
{
	size_t len;
	unsigned char *buf = br_ssl_engine_sendrec_buf(&c->sc.eng, &len);
	int n = c->io.send(c->io.ctx, buf, len < INT_MAX ? len : INT_MAX);

	if (n < 0)
		c->error = BR_ERR_IO;
	if (n <= 0)
		return false;
	br_ssl_engine_sendrec_ack(&c->sc.eng, (size_t)n);
	return true;
}

/* Gives the engine what the transport has. Returns true if bytes came. */
static bool pull_records(struct tls_conn *c)
{
	size_t len;
	unsigned char *buf = br_ssl_engine_recvrec_buf(&c->sc.eng, &len);
	int n = c->io.recv(c->io.ctx, buf, len < INT_MAX ? len : INT_MAX);

	if (n == 0)
		c->eof = true;
	else if (n < 0 && n != TLS_EAGAIN)
		c->error = BR_ERR_IO;
	if (n <= 0)
		return false;
	br_ssl_engine_recvrec_ack(&c->sc.eng, (size_t)n);
	return true;
}

/* The handshake is over: the client's names, made printable, become its identity. */
static void opened(struct tls_conn *c)
{
	if (c->names[0].status == 1)
		memcpy(c->cn, c->raw[0], sizeof(c->cn));
	if (c->names[1].status == 1)
		memcpy(c->ou, c->raw[1], sizeof(c->ou));
	tls_name_clean(c->cn, sizeof(c->cn));
	tls_name_clean(c->ou, sizeof(c->ou));
	c->state = TLS_OPEN;
}

/* The state after a pump: what the engine and the transport say. */
static enum tls_state settle(struct tls_conn *c)
{
	unsigned st = br_ssl_engine_current_state(&c->sc.eng);

	if (st & BR_SSL_CLOSED) {
		int err = br_ssl_engine_last_error(&c->sc.eng);
		c->error = err ? err : c->error;
		c->state = c->error ? TLS_FAILED : TLS_CLOSED;
	} else if (c->error) {
		c->state = TLS_FAILED;
	} else if (c->state == TLS_HANDSHAKE && (st & (BR_SSL_SENDAPP | BR_SSL_RECVAPP))) {
		opened(c);
	}
	if (c->eof && c->state == TLS_HANDSHAKE) {
		c->error = BR_ERR_IO; /* the client hung up during the handshake */
		c->state = TLS_FAILED;
	} else if (c->eof && c->state == TLS_OPEN && !(st & (BR_SSL_SENDREC | BR_SSL_RECVAPP))) {
		c->state = TLS_CLOSED; /* the stream ended (no close_notify), all of it read */
	}
	return c->state;
}

enum tls_state tls_conn_pump(struct tls_conn *c)
{
	if (c->state != TLS_HANDSHAKE && c->state != TLS_OPEN)
		return c->state;
	for (;;) {
		unsigned st = br_ssl_engine_current_state(&c->sc.eng);
		bool moved = false;
		if (st & BR_SSL_CLOSED)
			break;
		if (st & BR_SSL_SENDREC)
			moved = push_records(c);
		if (!c->error && !c->eof && (st & BR_SSL_RECVREC))
			moved = pull_records(c) || moved;
		if (!moved || c->error)
			break;
	}
	return settle(c);
}

/* ---- application data ---- */

int tls_conn_read(struct tls_conn *c, void *buf, size_t cap)
{
	size_t len;

	if (c->state != TLS_OPEN && c->state != TLS_CLOSED)
		return c->state == TLS_HANDSHAKE ? TLS_EAGAIN : TLS_EDONE;
	unsigned char *p = br_ssl_engine_recvapp_buf(&c->sc.eng, &len);
	if (!p || len == 0 || cap == 0)
		return c->state == TLS_CLOSED ? 0 : TLS_EAGAIN;
	size_t n = len < cap ? len : cap;
	n = n < INT_MAX ? n : INT_MAX;
	memcpy(buf, p, n);
	br_ssl_engine_recvapp_ack(&c->sc.eng, n);
	(void)tls_conn_pump(c);
	return (int)n;
}

/* Copies what fits of @len bytes at @data into the engine. Returns the count. */
static size_t put_app(struct tls_conn *c, const unsigned char *data, size_t len)
{
	size_t room;
	unsigned char *p = br_ssl_engine_sendapp_buf(&c->sc.eng, &room);

	if (!p || room == 0)
		return 0;
	size_t n = len < room ? len : room;
	memcpy(p, data, n);
	br_ssl_engine_sendapp_ack(&c->sc.eng, n);
	return n;
}

int tls_conn_write(struct tls_conn *c, const void *data, size_t len)
{
	const unsigned char *d = data;
	size_t done = 0;

	if (c->state != TLS_OPEN)
		return c->state == TLS_HANDSHAKE ? TLS_EAGAIN : TLS_EDONE;
	len = len < INT_MAX ? len : INT_MAX;
	while (done < len) {
		size_t n = put_app(c, d + done, len - done);
		if (n == 0 && tls_conn_pump(c) == TLS_OPEN)
			n = put_app(c, d + done, len - done); /* the pump made room */
		if (n == 0)
			break;
		done += n;
	}
	br_ssl_engine_flush(&c->sc.eng, 0);
	(void)tls_conn_pump(c);
	return done ? (int)done : c->state == TLS_OPEN ? TLS_EAGAIN : TLS_EDONE;
}

void tls_conn_close(struct tls_conn *c)
{
	if (c->state != TLS_HANDSHAKE && c->state != TLS_OPEN)
		return;
	br_ssl_engine_close(&c->sc.eng);
	(void)tls_conn_pump(c);
}

bool tls_conn_flushed(const struct tls_conn *c)
{
	if (c->state != TLS_HANDSHAKE && c->state != TLS_OPEN)
		return true;
	return !(br_ssl_engine_current_state(&c->sc.eng) & BR_SSL_SENDREC);
}
