/* Fuzz target `tlskeys`: libtls's decoding of the keys module (libs/libtls/tls_keys.c). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libtls.h>

/*
 * Input: the bytes of a keys module (the region a domain maps; the host wrote it, but a
 * broken or hostile file must get an error, never a crash). BearSSL decodes the PEM and the
 * DER; what is checked here is libtls's own part: its counts and bounds, and that what it
 * accepts is usable: one to TLS_CHAIN_MAX certificates inside its DER buffer, an EC P-256 key
 * in its own buffer, a trust anchor whose name and key lie in theirs. The input is copied into
 * a buffer of its exact size so that the address sanitizer sees any read past it.
 */

/**
 * libFuzzer's entry: decodes the @size bytes at @data as a keys module and checks the result.
 * Returns: 0; abort()s (after a line naming the broken rule) on any inconsistency.
 */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct tls_keys keys;

static void broken(const char *rule)
{
	fprintf(stderr, "fuzz_tlskeys: %s\n", rule);
	abort();
}

static bool inside(const void *p, size_t len, const void *buf, size_t cap)
{
	const unsigned char *q = p, *b = buf;
	return q >= b && len <= cap && (size_t)(q - b) <= cap - len;
}

static void check_accepted(const struct tls_keys *k)
{
	if (k->chain_len < 1 || k->chain_len > TLS_CHAIN_MAX)
		broken("accepted with a chain of a bad length");
	for (size_t i = 0; i < k->chain_len; i++)
		if (!inside(k->chain[i].data, k->chain[i].data_len, k->der, k->der_len))
			broken("a chain certificate outside the DER buffer");
	if (k->sk.curve != BR_EC_secp256r1 ||
	    !inside(k->sk.x, k->sk.xlen, k->sk_buf, sizeof(k->sk_buf)))
		broken("accepted a key that is not P-256 in its buffer");
	if (!inside(k->ca.dn.data, k->ca.dn.len, k->ca_dn, sizeof(k->ca_dn)) ||
	    !inside(k->ca.pkey.key.ec.q, k->ca.pkey.key.ec.qlen, k->ca_key, sizeof(k->ca_key)))
		broken("the trust anchor outside its buffers");
	if (k->ca.flags != BR_X509_TA_CA || k->ca.pkey.key_type != BR_KEYTYPE_EC)
		broken("a trust anchor that is not an EC CA");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t *copy = malloc(size ? size : 1);
	if (!copy)
		return 0;
	memcpy(copy, data, size);
	enum tls_keys_err err = tls_keys_load(&keys, copy, size);
	if ((unsigned)err >= TLS_KEYS_ERR_COUNT)
		broken("an error outside the enum");
	if (!tls_keys_error_text(err))
		broken("an error without a text");
	if (err == TLS_KEYS_OK)
		check_accepted(&keys);
	free(copy);
	return 0;
}
