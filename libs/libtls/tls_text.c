/* libtls: words for errors, the X.509 clock, printable client names (pure functions). */
#include "libtls.h"

/* BearSSL's BR_ERR_* values that a refused or broken connection most often ends with. */
struct err_text {
	int err;
	const char *text;
};

static const struct err_text texts[] = {
	{BR_ERR_OK, "no error"},
	{BR_ERR_UNSUPPORTED_VERSION, "client offers no TLS 1.2"},
	{BR_ERR_BAD_VERSION, "wrong protocol version"},
	{BR_ERR_BAD_MAC, "record failed authentication"},
	{BR_ERR_NO_RANDOM, "no entropy"},
	{BR_ERR_UNEXPECTED, "unexpected message"},
	{BR_ERR_BAD_HANDSHAKE, "malformed handshake"},
	{BR_ERR_BAD_CIPHER_SUITE, "no common cipher suite"},
	{BR_ERR_BAD_FINISHED, "bad Finished message"},
	{BR_ERR_INVALID_ALGORITHM, "no common signature algorithm"},
	{BR_ERR_BAD_SIGNATURE, "bad client signature"},
	{BR_ERR_WRONG_KEY_USAGE, "client key not usable for signing"},
	{BR_ERR_NO_CLIENT_AUTH, "no client certificate"},
	{BR_ERR_IO, "connection closed or broken"},
	{BR_ERR_X509_EMPTY_CHAIN, "no client certificate"},
	{BR_ERR_X509_BAD_SIGNATURE, "client certificate signature does not verify"},
	{BR_ERR_X509_TIME_UNKNOWN, "no wall clock to check certificate dates"},
	{BR_ERR_X509_EXPIRED, "client certificate expired or not yet valid"},
	{BR_ERR_X509_DN_MISMATCH, "client certificate issuer name mismatch"},
	{BR_ERR_X509_CRITICAL_EXTENSION, "client certificate has an unknown critical extension"},
	{BR_ERR_X509_NOT_CA, "client chain has a non-CA issuer"},
	{BR_ERR_X509_FORBIDDEN_KEY_USAGE, "client certificate key usage forbids it"},
	{BR_ERR_X509_WEAK_PUBLIC_KEY, "client certificate key too weak"},
	{BR_ERR_X509_NOT_TRUSTED, "client certificate not issued by our CA"},
};

/* Alerts a client sends when it refuses us; the rest are "alert N from the client". */
static const struct err_text alerts[] = {
	{0, "client closed"},
	{40, "client handshake failure"},
	{42, "client rejected our certificate"},
	{45, "client: our certificate expired"},
	{46, "client rejected our certificate"},
	{48, "client: unknown CA"},
	{70, "client: protocol version"},
	{71, "client: insufficient security"},
};

/* Alerts we send when we refuse the client (BearSSL then reports only the alert). */
static const struct err_text sent[] = {
	{40, "handshake failure: no common cipher suite or algorithm"},
	{47, "illegal parameter from the client"},
	{50, "malformed message from the client"},
	{70, "client offers no TLS 1.2"},
	{71, "client offers nothing secure enough"},
	{80, "internal error"},
};

static const char *lookup(const struct err_text *t, size_t n, int err)
{
	for (size_t i = 0; i < n; i++)
		if (t[i].err == err)
			return t[i].text;
	return NULL;
}

const char *tls_error_text(int err)
{
	const char *t = NULL;

	if (err >= BR_ERR_RECV_FATAL_ALERT && err < BR_ERR_SEND_FATAL_ALERT)
		t = lookup(alerts, sizeof(alerts) / sizeof(alerts[0]),
		           err - BR_ERR_RECV_FATAL_ALERT);
	else if (err >= BR_ERR_SEND_FATAL_ALERT)
		t = lookup(sent, sizeof(sent) / sizeof(sent[0]), err - BR_ERR_SEND_FATAL_ALERT);
	else
		t = lookup(texts, sizeof(texts) / sizeof(texts[0]), err);
	if (t)
		return t;
	if (err >= BR_ERR_SEND_FATAL_ALERT)
		return "refused (fatal alert sent)";
	if (err >= BR_ERR_RECV_FATAL_ALERT)
		return "fatal alert from the client";
	return err >= BR_ERR_X509_OK ? "client certificate invalid" : "TLS protocol error";
}

void tls_time_x509(uint64_t secs_1970, uint32_t *days, uint32_t *secs)
{
	/* 1970-01-01 is day 719528 counted from 0000-01-01 (proleptic Gregorian). */
	*days = (uint32_t)(secs_1970 / 86400u + 719528u);
	*secs = (uint32_t)(secs_1970 % 86400u);
}

void tls_name_clean(char *s, size_t cap)
{
	if (cap == 0)
		return;
	s[cap - 1] = '\0';
	for (; *s; s++)
		if (*s < 0x20 || *s > 0x7e || *s == '"' || *s == '\\')
			*s = '?';
}
