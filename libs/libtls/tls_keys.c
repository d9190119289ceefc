/* libtls: decoding the keys module (server chain, server key, CA) with BearSSL's decoders. */
#include <string.h>

#include "libtls.h"

/*
 * The module is PEM text: CERTIFICATE objects and one private key. BearSSL's PEM decoder
 * turns each object into DER, which goes straight into k->der (bounded by TLS_DER_MAX; a key
 * goes into a scratch buffer instead, and only its decoded scalar is kept). The certificates
 * are then split: the last is the CA, the ones before it the server's chain. Every check
 * BearSSL does not do is here: counts, sizes, that the key is EC P-256 and is the server
 * certificate's, that the CA is a CA with an EC key.
 */

#define KEY_DER_MAX 512u /* an EC private key's DER (PKCS#8 P-256 is 138 bytes) */

struct pem_sink {
	unsigned char *buf;
	size_t cap, len;
	bool over;
};

/* One PEM object's decoding: where its bytes go, and what it was. */
struct scan {
	struct tls_keys *k;
	size_t starts[TLS_CHAIN_MAX + 1]; /* offset in k->der of each certificate */
	size_t n_certs, n_keys;
	unsigned char key_der[KEY_DER_MAX];
	size_t key_len;
	struct pem_sink sink;
	bool in_key, in_cert;
};

static void sink_push(void *ctx, const void *src, size_t len)
{
	struct pem_sink *s = ctx;

	if (s->over || len > s->cap - s->len) {
		s->over = true;
		return;
	}
	memcpy(s->buf + s->len, src, len);
	s->len += len;
}

static bool is_key_label(const char *name)
{
	return strcmp(name, "PRIVATE KEY") == 0 || strcmp(name, "EC PRIVATE KEY") == 0;
}

/* A new object named @name begins. Returns TLS_KEYS_OK or why it cannot be taken. */
static enum tls_keys_err begin_object(struct scan *sc, br_pem_decoder_context *pc, const char *name)
{
	struct tls_keys *k = sc->k;

	sc->in_cert = strcmp(name, "CERTIFICATE") == 0;
	sc->in_key = is_key_label(name);
	if (!sc->in_cert && !sc->in_key)
		return TLS_KEYS_LABEL;
	if (sc->in_key && sc->n_keys++ > 0)
		return TLS_KEYS_TWO_KEYS;
	if (sc->in_cert && sc->n_certs == TLS_CHAIN_MAX + 1)
		return TLS_KEYS_TOO_BIG;
	if (sc->in_cert)
		sc->starts[sc->n_certs++] = k->der_len;
	sc->sink = sc->in_cert ? (struct pem_sink){k->der, sizeof(k->der), k->der_len, false} :
	                         (struct pem_sink){sc->key_der, sizeof(sc->key_der), 0, false};
	br_pem_decoder_setdest(pc, sink_push, &sc->sink);
	return TLS_KEYS_OK;
}

/* The current object ended. Returns TLS_KEYS_OK or TLS_KEYS_TOO_BIG. */
static enum tls_keys_err end_object(struct scan *sc)
{
	if (sc->sink.over)
		return TLS_KEYS_TOO_BIG;
	if (sc->in_cert)
		sc->k->der_len = sc->sink.len;
	else
		sc->key_len = sc->sink.len;
	sc->in_cert = sc->in_key = false;
	return TLS_KEYS_OK;
}

/* Handles the event the decoder raised. Returns TLS_KEYS_OK or the error. */
static enum tls_keys_err pem_event(struct scan *sc, br_pem_decoder_context *pc)
{
	switch (br_pem_decoder_event(pc)) {
	case BR_PEM_BEGIN_OBJ:
		return begin_object(sc, pc, br_pem_decoder_name(pc));
	case BR_PEM_END_OBJ:
		return end_object(sc);
	case BR_PEM_ERROR:
		return TLS_KEYS_PEM;
	default:
		return TLS_KEYS_OK;
	}
}

/* Runs the PEM decoder over @len bytes at @p (then a newline: the last END line needs one). */
static enum tls_keys_err scan_pem(struct scan *sc, const unsigned char *p, size_t len)
{
	br_pem_decoder_context pc;
	static const unsigned char nl = '\n';

	br_pem_decoder_init(&pc);
	for (int pass = 0; pass < 2; pass++) {
		const unsigned char *q = pass ? &nl : p;
		size_t left = pass ? 1 : len;
		while (left > 0) {
			size_t n = br_pem_decoder_push(&pc, q, left);
			q += n;
			left -= n;
			enum tls_keys_err err = pem_event(sc, &pc);
			if (err)
				return err;
		}
	}
	if (sc->in_cert || sc->in_key)
		return TLS_KEYS_PEM; /* an object without its END line */
	return TLS_KEYS_OK;
}

/* ---- the private key ---- */

static enum tls_keys_err load_key(struct tls_keys *k, const struct scan *sc)
{
	br_skey_decoder_context dc;

	br_skey_decoder_init(&dc);
	br_skey_decoder_push(&dc, sc->key_der, sc->key_len);
	const br_ec_private_key *ek = br_skey_decoder_get_ec(&dc);
	if (br_skey_decoder_last_error(&dc) != 0 || !ek || ek->curve != BR_EC_secp256r1 ||
	    ek->xlen > sizeof(k->sk_buf))
		return TLS_KEYS_BAD_KEY;
	memcpy(k->sk_buf, ek->x, ek->xlen);
	k->sk = (br_ec_private_key){.curve = ek->curve, .x = k->sk_buf, .xlen = ek->xlen};
	return TLS_KEYS_OK;
}

/* ---- certificates ---- */

/* Decodes @cert; its subject DN goes to @dn. Returns false if it does not decode. */
static bool decode_cert(br_x509_decoder_context *dc, const br_x509_certificate *cert,
                        struct pem_sink *dn)
{
	br_x509_decoder_init(dc, dn ? sink_push : NULL, dn);
	br_x509_decoder_push(dc, cert->data, cert->data_len);
	return br_x509_decoder_last_error(dc) == 0 && br_x509_decoder_get_pkey(dc) != NULL &&
	       !(dn && dn->over);
}

/* The last certificate @cert becomes the trust anchor. */
static enum tls_keys_err load_ca(struct tls_keys *k, const br_x509_certificate *cert)
{
	br_x509_decoder_context dc;
	struct pem_sink dn = {k->ca_dn, sizeof(k->ca_dn), 0, false};

	if (!decode_cert(&dc, cert, &dn))
		return dn.over ? TLS_KEYS_TOO_BIG : TLS_KEYS_BAD_CERT;
	const br_x509_pkey *pk = br_x509_decoder_get_pkey(&dc);
	if (!br_x509_decoder_isCA(&dc) || pk->key_type != BR_KEYTYPE_EC ||
	    pk->key.ec.qlen > sizeof(k->ca_key))
		return TLS_KEYS_CA_NOT_CA;
	memcpy(k->ca_key, pk->key.ec.q, pk->key.ec.qlen);
	k->ca = (br_x509_trust_anchor){
		.dn = {.data = k->ca_dn, .len = dn.len},
		.flags = BR_X509_TA_CA,
		.pkey = {.key_type = BR_KEYTYPE_EC,
	                 .key.ec = {.curve = pk->key.ec.curve,
	                            .q = k->ca_key,
	                            .qlen = pk->key.ec.qlen}},
	};
	k->ca_name = (br_x500_name){.data = k->ca_dn, .len = dn.len};
	return TLS_KEYS_OK;
}

/* The server certificate (the first) must carry the public key of k->sk. */
static enum tls_keys_err check_server_cert(const struct tls_keys *k)
{
	br_x509_decoder_context dc;
	unsigned char pub[BR_EC_KBUF_PUB_MAX_SIZE];

	if (!decode_cert(&dc, &k->chain[0], NULL))
		return TLS_KEYS_BAD_CERT;
	const br_x509_pkey *pk = br_x509_decoder_get_pkey(&dc);
	size_t n = br_ec_compute_pub(br_ec_get_default(), NULL, pub, &k->sk);
	if (pk->key_type != BR_KEYTYPE_EC || pk->key.ec.curve != k->sk.curve || n == 0 ||
	    pk->key.ec.qlen != n || memcmp(pk->key.ec.q, pub, n) != 0)
		return TLS_KEYS_MISMATCH;
	return TLS_KEYS_OK;
}

/* Splits k->der into the chain (all but the last certificate) and the CA (the last). */
static enum tls_keys_err split_certs(struct tls_keys *k, const struct scan *sc)
{
	if (sc->n_certs < 2)
		return TLS_KEYS_NO_CA;
	if (sc->n_certs - 1 > TLS_CHAIN_MAX)
		return TLS_KEYS_TOO_BIG;
	for (size_t i = 0; i < sc->n_certs; i++) {
		size_t end = i + 1 < sc->n_certs ? sc->starts[i + 1] : k->der_len;
		br_x509_certificate cert = {k->der + sc->starts[i], end - sc->starts[i]};
		if (i + 1 < sc->n_certs)
			k->chain[k->chain_len++] = cert;
		else
			return load_ca(k, &cert);
	}
	return TLS_KEYS_NO_CA;
}

enum tls_keys_err tls_keys_load(struct tls_keys *k, const void *pem, size_t len)
{
	static struct scan sc; /* 1 KiB: kept off the small stacks of domains */
	const unsigned char *p = pem;
	const unsigned char *nul = memchr(p, 0, len);

	memset(k, 0, sizeof(*k));
	memset(&sc, 0, sizeof(sc));
	sc.k = k;
	enum tls_keys_err err = scan_pem(&sc, p, nul ? (size_t)(nul - p) : len);
	if (err)
		return err;
	if (sc.n_certs == 0 && sc.n_keys == 0)
		return TLS_KEYS_EMPTY;
	if (sc.n_keys == 0)
		return TLS_KEYS_NO_KEY;
	err = load_key(k, &sc);
	if (!err)
		err = split_certs(k, &sc);
	if (!err)
		err = check_server_cert(k);
	memset(&sc, 0, sizeof(sc)); /* no copy of the key's DER left behind */
	return err;
}

const char *tls_keys_error_text(enum tls_keys_err err)
{
	switch (err) {
	case TLS_KEYS_OK:
		return "ok";
	case TLS_KEYS_EMPTY:
		return "the keys module is missing or empty";
	case TLS_KEYS_PEM:
		return "the keys module is not well-formed PEM";
	case TLS_KEYS_LABEL:
		return "the keys module holds an object that is neither CERTIFICATE nor an EC key";
	case TLS_KEYS_TOO_BIG:
		return "the keys module holds too many or too large certificates";
	case TLS_KEYS_NO_CA:
		return "the keys module needs the server certificate and the CA certificate last";
	case TLS_KEYS_NO_KEY:
		return "no private key in the keys module";
	case TLS_KEYS_TWO_KEYS:
		return "more than one private key in the keys module";
	case TLS_KEYS_BAD_KEY:
		return "the private key is not an EC P-256 key";
	case TLS_KEYS_BAD_CERT:
		return "a certificate of the keys module does not decode";
	case TLS_KEYS_CA_NOT_CA:
		return "the last certificate is not an EC CA certificate";
	case TLS_KEYS_MISMATCH:
		return "the private key is not the server certificate's";
	default:
		return "unknown keys error";
	}
}
