/* libtls host tests: the keys module's checks, handshakes and their refusals, data, 8 at once. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "tls_pipe.h"

/*
 * The keys are `bulkhead keys`' (made at build time in the directory given as argv[1]): the
 * server's module is server.crt + server.key + ca.crt, as `bulkhead run` writes it; a client's
 * "module" is NAME.crt + NAME.key + the CA it trusts, decoded by the same tls_keys_load.
 */
#define PEM_MAX 16384u
#define JAN_2024 1704067200ull /* 2024-01-01 00:00:00 UTC: the bench's fixed clock */
#define JAN_2019 1546300800ull /* before every certificate */

static const char *keydir;
static struct tls_keys server_keys;
static struct tls_conn conns[8];
static struct client clients[8];
static const uint8_t seed[32] = {42};

/* Appends the file @name of the keys directory to @buf (holding *@len bytes). */
static void add_file(char *buf, size_t *len, const char *name)
{
	char path[512];
	snprintf(path, sizeof(path), "%s/%s", keydir, name);
	FILE *f = fopen(path, "rb");
	assert_non_null(f);
	*len += fread(buf + *len, 1, PEM_MAX - 1 - *len, f);
	buf[*len] = '\0';
	fclose(f);
}

/* @buf := the files named in @names (NULL-terminated), one after the other. Returns length. */
static size_t module(char *buf, const char *const *names)
{
	size_t len = 0;
	for (; *names; names++)
		add_file(buf, &len, *names);
	return len;
}

static enum tls_keys_err load(const char *const *names)
{
	static char pem[PEM_MAX];
	static struct tls_keys k;
	return tls_keys_load(&k, pem, module(pem, names));
}

static int setup_server(void **state)
{
	static char pem[PEM_MAX];
	static const char *const names[] = {"server.crt", "server.key", "ca.crt", NULL};
	(void)state;
	return tls_keys_load(&server_keys, pem, module(pem, names)) == TLS_KEYS_OK ? 0 : -1;
}

/* ---- the keys module ---- */

static void keys_module_of_bulkhead_keys_loads(void **state)
{
	(void)state;
	assert_int_equal(server_keys.chain_len, 1);
	assert_int_equal(server_keys.sk.curve, BR_EC_secp256r1);
	assert_int_equal(server_keys.ca.flags, BR_X509_TA_CA);
	assert_true(server_keys.ca.dn.len > 0);
}

static void keys_ec_private_key_form_loads(void **state)
{
	static const char *const names[] = {"server.crt", "server-ec.key", "ca.crt", NULL};
	(void)state;
	assert_int_equal(load(names), TLS_KEYS_OK);
}

static void keys_refusals(void **state)
{
	static const char *const no_ca[] = {"server.crt", "server.key", NULL};
	static const char *const no_key[] = {"server.crt", "ca.crt", NULL};
	static const char *const two_keys[] = {"server.crt", "server.key", "admin.key", "ca.crt",
	                                       NULL};
	static const char *const other_key[] = {"server.crt", "admin.key", "ca.crt", NULL};
	static const char *const p384[] = {"server.crt", "p384.key", "ca.crt", NULL};
	static const char *const not_ca[] = {"server.crt", "server.key", "admin.crt", NULL};
	(void)state;
	assert_int_equal(load(no_ca), TLS_KEYS_NO_CA);
	assert_int_equal(load(no_key), TLS_KEYS_NO_KEY);
	assert_int_equal(load(two_keys), TLS_KEYS_TWO_KEYS);
	assert_int_equal(load(other_key), TLS_KEYS_MISMATCH);
	assert_int_equal(load(p384), TLS_KEYS_BAD_KEY);
	assert_int_equal(load(not_ca), TLS_KEYS_CA_NOT_CA);
}

static void keys_malformed_text(void **state)
{
	static char pem[PEM_MAX];
	static const char *const names[] = {"server.crt", "server.key", "ca.crt", NULL};
	static struct tls_keys k;
	static const char zeros[16384];
	static const char rsa[] = "-----BEGIN RSA PRIVATE KEY-----\nAAAA\n"
				  "-----END RSA PRIVATE KEY-----\n";
	(void)state;
	assert_int_equal(tls_keys_load(&k, zeros, sizeof(zeros)), TLS_KEYS_EMPTY);
	assert_int_equal(tls_keys_load(&k, "", 0), TLS_KEYS_EMPTY);
	assert_int_equal(tls_keys_load(&k, rsa, sizeof(rsa) - 1), TLS_KEYS_LABEL);
	size_t len = module(pem, names);
	assert_int_equal(tls_keys_load(&k, pem, len / 2), TLS_KEYS_PEM); /* cut in an object */
	char *body = strstr(pem, "\n") + 1;
	body[10] = '*'; /* not base64 */
	assert_int_not_equal(tls_keys_load(&k, pem, len), TLS_KEYS_OK);
	module(pem, names);
	body[10] = body[10] == 'A' ? 'B' : 'A'; /* valid base64, a broken certificate */
	assert_int_not_equal(tls_keys_load(&k, pem, len), TLS_KEYS_OK);
}

static void keys_stop_at_the_first_nul(void **state)
{
	static char pem[PEM_MAX];
	static const char *const names[] = {"server.crt", "server.key", "ca.crt", NULL};
	static struct tls_keys k;
	(void)state;
	size_t len = module(pem, names);
	memset(pem + len, 0, 2048); /* the region's zero tail */
	assert_int_equal(tls_keys_load(&k, pem, len + 2048), TLS_KEYS_OK);
	pem[len + 100] = '-'; /* after the NUL: never read */
	assert_int_equal(tls_keys_load(&k, pem, len + 2048), TLS_KEYS_OK);
}

static void keys_error_texts(void **state)
{
	(void)state;
	for (int e = 0; e < TLS_KEYS_ERR_COUNT; e++)
		assert_non_null(tls_keys_error_text((enum tls_keys_err)e));
	assert_string_equal(tls_keys_error_text(TLS_KEYS_NO_KEY),
	                    "no private key in the keys module");
}

/* ---- handshakes ---- */

/* Connects clients[i] with the keys NAME.crt/.key (trusting @trust), or none if @name is
 * NULL; the server checks dates at @now. Returns the server's state after the handshake. */
static enum tls_state connect_as(int i, const char *name, const char *trust, uint64_t now)
{
	static char pem[PEM_MAX];
	char crt[64], key[64];
	snprintf(crt, sizeof(crt), "%s.crt", name ? name : "admin");
	snprintf(key, sizeof(key), "%s.key", name ? name : "admin");
	const char *const names[] = {crt, key, trust, NULL};
	size_t len = module(pem, names);
	struct tls_io io = pipe_server_io(&clients[i]);

	assert_int_equal(client_start(&clients[i], pem, len, name != NULL), 0);
	assert_int_equal(tls_conn_start(&conns[i], &server_keys, &io, now, seed), 0);
	assert_int_equal(conns[i].state, TLS_HANDSHAKE);
	pump_pair(&conns[i], &clients[i]);
	return conns[i].state;
}

static void handshake_admin_names_cn_and_ou(void **state)
{
	(void)state;
	assert_int_equal(connect_as(0, "admin", "ca.crt", JAN_2024), TLS_OPEN);
	assert_string_equal(conns[0].cn, "admin");
	assert_string_equal(conns[0].ou, "admin");
	assert_int_equal(br_ssl_engine_get_version(&conns[0].sc.eng), BR_TLS12);
	assert_int_equal(connect_as(1, "operator", "ca.crt", JAN_2024), TLS_OPEN);
	assert_string_equal(conns[1].ou, "operator");
}

static void handshake_names_are_cleaned(void **state)
{
	(void)state;
	/* quote.crt is valid from the time it was made (openssl x509 -req): check it now */
	assert_int_equal(connect_as(0, "quote", "ca.crt", (uint64_t)time(NULL)), TLS_OPEN);
	assert_string_equal(conns[0].cn, "qu?ote");
	assert_string_equal(conns[0].ou, "ad?min");
}

/* The server refuses: FAILED with @err, and no application data was ever readable. */
static void expect_refused(int i, enum tls_state st, int err)
{
	char buf[16];
	assert_int_equal(st, TLS_FAILED);
	assert_int_equal(conns[i].error, err);
	assert_int_equal(tls_conn_read(&conns[i], buf, sizeof(buf)), TLS_EDONE);
	assert_int_equal(tls_conn_write(&conns[i], "x", 1), TLS_EDONE);
	assert_string_equal(conns[i].cn, "");
}

static void refused_without_a_client_certificate(void **state)
{
	(void)state;
	expect_refused(0, connect_as(0, NULL, "ca.crt", JAN_2024), BR_ERR_NO_CLIENT_AUTH);
	assert_string_equal(tls_error_text(conns[0].error), "no client certificate");
}

static void refused_from_another_ca(void **state)
{
	(void)state;
	expect_refused(0, connect_as(0, "foreign", "ca.crt", JAN_2024), BR_ERR_X509_NOT_TRUSTED);
	assert_string_equal(tls_error_text(conns[0].error),
	                    "client certificate not issued by our CA");
}

static void refused_expired_and_not_yet_valid(void **state)
{
	(void)state;
	expect_refused(0, connect_as(0, "expired", "ca.crt", JAN_2024), BR_ERR_X509_EXPIRED);
	expect_refused(1, connect_as(1, "admin", "ca.crt", JAN_2019), BR_ERR_X509_EXPIRED);
}

static void refused_without_a_clock(void **state)
{
	struct tls_io io = pipe_server_io(&clients[0]);
	(void)state;
	assert_int_equal(tls_conn_start(&conns[0], &server_keys, &io, 0, seed),
	                 BR_ERR_X509_TIME_UNKNOWN);
	assert_int_equal(conns[0].state, TLS_FAILED);
}

/* Starts a client with @versions and @suite only, against a fresh server slot. */
static enum tls_state connect_limited(unsigned lo, unsigned hi, uint16_t suite)
{
	static char pem[PEM_MAX];
	static const char *const names[] = {"admin.crt", "admin.key", "ca.crt", NULL};
	size_t len = module(pem, names);
	struct tls_io io = pipe_server_io(&clients[0]);

	assert_int_equal(client_start(&clients[0], pem, len, true), 0);
	br_ssl_engine_set_versions(&clients[0].cc.eng, lo, hi);
	br_ssl_engine_set_suites(&clients[0].cc.eng, &suite, 1);
	assert_int_equal(br_ssl_client_reset(&clients[0].cc, "localhost", 0), 1);
	assert_int_equal(tls_conn_start(&conns[0], &server_keys, &io, JAN_2024, seed), 0);
	pump_pair(&conns[0], &clients[0]);
	return conns[0].state;
}

static void refused_tls_1_1_and_cbc(void **state)
{
	(void)state;
	assert_int_equal(connect_limited(BR_TLS10, BR_TLS11,
	                                 BR_TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA),
	                 TLS_FAILED);
	assert_int_equal(conns[0].error, BR_ERR_SEND_FATAL_ALERT + 70); /* protocol_version */
	assert_string_equal(tls_error_text(conns[0].error), "client offers no TLS 1.2");
	assert_int_equal(connect_limited(BR_TLS12, BR_TLS12,
	                                 BR_TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256),
	                 TLS_FAILED);
	assert_int_equal(conns[0].error, BR_ERR_SEND_FATAL_ALERT + 40); /* handshake_failure */
	assert_int_equal(connect_limited(BR_TLS12, BR_TLS12,
	                                 BR_TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256),
	                 TLS_OPEN);
}

static void refused_when_the_client_hangs_up(void **state)
{
	static char pem[PEM_MAX];
	static const char *const names[] = {"admin.crt", "admin.key", "ca.crt", NULL};
	struct tls_io io = pipe_server_io(&clients[0]);
	(void)state;
	assert_int_equal(client_start(&clients[0], pem, module(pem, names), true), 0);
	assert_int_equal(tls_conn_start(&conns[0], &server_keys, &io, JAN_2024, seed), 0);
	(void)client_pump(&clients[0]); /* the ClientHello only */
	clients[0].up.closed = true;
	assert_int_equal(tls_conn_pump(&conns[0]), TLS_FAILED);
	assert_int_equal(conns[0].error, BR_ERR_IO);
}

/* ---- data ---- */

static void data_both_ways_in_pieces(void **state)
{
	static unsigned char big[100000], got[100000];
	char buf[64];
	(void)state;
	assert_int_equal(connect_as(0, "reader", "ca.crt", JAN_2024), TLS_OPEN);
	assert_int_equal(tls_conn_read(&conns[0], buf, sizeof(buf)), TLS_EAGAIN);
	assert_int_equal(client_write(&clients[0], "GET / HTTP/1.1\r\n\r\n", 18), 18);
	pump_pair(&conns[0], &clients[0]);
	assert_int_equal(tls_conn_read(&conns[0], buf, sizeof(buf)), 18);
	assert_memory_equal(buf, "GET / HTTP/1.1\r\n\r\n", 18);
	for (size_t i = 0; i < sizeof(big); i++)
		big[i] = (unsigned char)(i * 7u);
	size_t sent = 0, read = 0;
	for (int turn = 0; turn < 1000 && read < sizeof(big); turn++) {
		int n = tls_conn_write(&conns[0], big + sent, sizeof(big) - sent);
		sent += n > 0 ? (size_t)n : 0;
		pump_pair(&conns[0], &clients[0]);
		read += client_read(&clients[0], got + read, sizeof(got) - read);
	}
	assert_int_equal(read, sizeof(big));
	assert_memory_equal(got, big, sizeof(big));
	assert_true(tls_conn_flushed(&conns[0]));
}

static void close_notify_ends_in_order(void **state)
{
	char buf[8];
	(void)state;
	assert_int_equal(connect_as(0, "admin", "ca.crt", JAN_2024), TLS_OPEN);
	assert_int_equal(client_write(&clients[0], "bye", 3), 3);
	br_ssl_engine_close(&clients[0].cc.eng);
	pump_pair(&conns[0], &clients[0]);
	assert_int_equal(tls_conn_read(&conns[0], buf, sizeof(buf)), 3);
	pump_pair(&conns[0], &clients[0]);
	assert_int_equal(conns[0].state, TLS_CLOSED);
	assert_int_equal(tls_conn_read(&conns[0], buf, sizeof(buf)), 0);
	assert_int_equal(br_ssl_engine_current_state(&clients[0].cc.eng), BR_SSL_CLOSED);
	assert_int_equal(br_ssl_engine_last_error(&clients[0].cc.eng), BR_ERR_OK);
}

static void end_of_stream_after_the_data(void **state)
{
	char buf[8];
	(void)state;
	assert_int_equal(connect_as(0, "admin", "ca.crt", JAN_2024), TLS_OPEN);
	assert_int_equal(client_write(&clients[0], "last", 4), 4);
	(void)client_pump(&clients[0]);
	clients[0].up.closed = true;                          /* TCP's FIN, no close_notify */
	assert_int_equal(tls_conn_pump(&conns[0]), TLS_OPEN); /* until the data is read */
	assert_int_equal(tls_conn_read(&conns[0], buf, sizeof(buf)), 4);
	assert_memory_equal(buf, "last", 4);
	assert_int_equal(conns[0].state, TLS_CLOSED);
	assert_int_equal(tls_conn_read(&conns[0], buf, sizeof(buf)), 0);
	assert_int_equal(tls_conn_write(&conns[0], "late", 4), TLS_EDONE);
}

static void eight_connections_at_once(void **state)
{
	static const char *const who[] = {"admin", "operator", "reader", "admin"};
	char buf[32], want[32];
	(void)state;
	for (int i = 0; i < 8; i++)
		assert_int_equal(connect_as(i, who[i % 4], "ca.crt", JAN_2024), TLS_OPEN);
	for (int i = 0; i < 8; i++) {
		int n = snprintf(want, sizeof(want), "request %d", i);
		assert_int_equal(client_write(&clients[i], want, (size_t)n), n);
	}
	for (int i = 7; i >= 0; i--) {
		pump_pair(&conns[i], &clients[i]);
		int n = snprintf(want, sizeof(want), "request %d", i);
		assert_int_equal(tls_conn_read(&conns[i], buf, sizeof(buf)), n);
		assert_memory_equal(buf, want, (size_t)n);
		assert_string_equal(conns[i].cn, who[i % 4]);
	}
}

/* ---- pure helpers ---- */

static void x509_clock(void **state)
{
	uint32_t days, secs;
	(void)state;
	tls_time_x509(0, &days, &secs);
	assert_int_equal(days, 719528);
	assert_int_equal(secs, 0);
	tls_time_x509(JAN_2024 + 3723, &days, &secs);
	assert_int_equal(days, 739251);
	assert_int_equal(secs, 3723);
}

static void names_cleaned(void **state)
{
	char s[8] = "a\nb\"c\\";
	char full[4] = {'a', 'b', 'c', 'd'};
	(void)state;
	s[6] = (char)0xc3;
	tls_name_clean(s, sizeof(s));
	assert_string_equal(s, "a?b?c??");
	tls_name_clean(full, sizeof(full)); /* no NUL: cut at the last byte */
	assert_string_equal(full, "abc");
}

static void error_texts(void **state)
{
	(void)state;
	assert_string_equal(tls_error_text(BR_ERR_X509_EXPIRED),
	                    "client certificate expired or not yet valid");
	assert_string_equal(tls_error_text(BR_ERR_RECV_FATAL_ALERT + 48), "client: unknown CA");
	assert_string_equal(tls_error_text(BR_ERR_RECV_FATAL_ALERT + 99),
	                    "fatal alert from the client");
	assert_string_equal(tls_error_text(BR_ERR_X509_BAD_DN), "client certificate invalid");
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(keys_module_of_bulkhead_keys_loads),
		cmocka_unit_test(keys_ec_private_key_form_loads),
		cmocka_unit_test(keys_refusals),
		cmocka_unit_test(keys_malformed_text),
		cmocka_unit_test(keys_stop_at_the_first_nul),
		cmocka_unit_test(keys_error_texts),
		cmocka_unit_test(handshake_admin_names_cn_and_ou),
		cmocka_unit_test(handshake_names_are_cleaned),
		cmocka_unit_test(refused_without_a_client_certificate),
		cmocka_unit_test(refused_from_another_ca),
		cmocka_unit_test(refused_expired_and_not_yet_valid),
		cmocka_unit_test(refused_without_a_clock),
		cmocka_unit_test(refused_tls_1_1_and_cbc),
		cmocka_unit_test(refused_when_the_client_hangs_up),
		cmocka_unit_test(data_both_ways_in_pieces),
		cmocka_unit_test(close_notify_ends_in_order),
		cmocka_unit_test(end_of_stream_after_the_data),
		cmocka_unit_test(eight_connections_at_once),
		cmocka_unit_test(x509_clock),
		cmocka_unit_test(names_cleaned),
		cmocka_unit_test(error_texts),
	};
	if (argc < 2) {
		fprintf(stderr, "usage: test_libtls KEYDIR (made by mkkeys.py)\n");
		return 2;
	}
	keydir = argv[1];
	return cmocka_run_group_tests(tests, setup_server, NULL);
}
