/* libtls: TLS 1.2 servers with client certificates over BearSSL, event-driven (docs/tls.md). */
#ifndef LIBTLS_LIBTLS_H
#define LIBTLS_LIBTLS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <bearssl.h>

/*
 * A domain calls tls_setup() once (the canary, the entropy, the keys module), then for each
 * accepted TCP connection tls_conn_start_tcp() on a slot of its own static array of struct
 * tls_conn. Its loop, after every net_port_run_once, calls tls_conn_pump() on each open slot,
 * then tls_conn_read() / tls_conn_write(); none of them ever blocks. Only TLS 1.2 is spoken,
 * only ECDHE-ECDSA with AES-GCM or ChaCha20-Poly1305, and only to a client whose certificate
 * chains to the CA of the keys module and is valid now by the wall clock: everything else
 * fails the handshake, before a byte of application data moves.
 */

#define TLS_CHAIN_MAX 4u       /* certificates of the server's chain */
#define TLS_DER_MAX 8192u      /* bytes of DER of every certificate of the keys module */
#define TLS_DN_MAX 512u        /* bytes of the CA's subject name */
#define TLS_NAME_MAX 65u       /* CN and OU of a client: 64 characters and a NUL */
#define TLS_MODULE_NAME "keys" /* the region the keys module is copied into */

/* What tls_keys_load found wrong (0: nothing). tls_keys_error_text() says it in words. */
enum tls_keys_err {
	TLS_KEYS_OK = 0,
	TLS_KEYS_EMPTY,     /* no PEM object at all (the module is absent or all zero) */
	TLS_KEYS_PEM,       /* not well-formed PEM */
	TLS_KEYS_LABEL,     /* an object that is neither CERTIFICATE nor an EC private key */
	TLS_KEYS_TOO_BIG,   /* more certificates or bytes than TLS_CHAIN_MAX, TLS_DER_MAX */
	TLS_KEYS_NO_CA,     /* fewer than two certificates: no server certificate or no CA */
	TLS_KEYS_NO_KEY,    /* no private key */
	TLS_KEYS_TWO_KEYS,  /* more than one private key */
	TLS_KEYS_BAD_KEY,   /* the key does not decode, or is not EC P-256 */
	TLS_KEYS_BAD_CERT,  /* a certificate does not decode */
	TLS_KEYS_CA_NOT_CA, /* the last certificate is not a CA, or its key is not EC */
	TLS_KEYS_MISMATCH,  /* the private key is not the server certificate's */
	TLS_KEYS_ERR_COUNT
};

/* The server's key material, decoded from the keys module; all of it in this structure. */
struct tls_keys {
	br_x509_certificate chain[TLS_CHAIN_MAX];
	size_t chain_len;
	br_ec_private_key sk;
	br_x509_trust_anchor ca;
	size_t der_len;
	unsigned char der[TLS_DER_MAX];
	unsigned char sk_buf[BR_EC_KBUF_PRIV_MAX_SIZE];
	unsigned char ca_dn[TLS_DN_MAX];
	unsigned char ca_key[BR_EC_KBUF_PUB_MAX_SIZE];
	br_x500_name ca_name; /* for the CertificateRequest */
};

/* The state of a connection, as tls_conn_pump returns it. */
enum tls_state {
	TLS_FREE = 0,  /* the slot holds no connection */
	TLS_HANDSHAKE, /* the handshake is under way */
	TLS_OPEN,      /* the client is authenticated: cn, ou hold its names; data flows */
	TLS_CLOSED,    /* the connection ended in order: close_notify, or the end of the TCP
	                * stream once every byte before it was read (nothing more is written) */
	TLS_FAILED,    /* the handshake or a record failed: tls_conn_error() says why */
};

/* Returns of tls_conn_read / tls_conn_write when nothing can move now. */
#define TLS_EAGAIN (-1) /* wait for readiness: pump again later */
#define TLS_EDONE (-2)  /* the connection is not open (closed or failed) */

/* The transport below a connection: the bytes of TLS records, both ways. */
struct tls_io {
	/* Sends up to @len bytes; returns the count taken (0: none now), or < 0: broken. */
	int (*send)(void *ctx, const void *buf, size_t len);
	/* Reads up to @cap bytes; returns the count (> 0), TLS_EAGAIN: none now, 0: the end of
	 * the stream, < 0 otherwise: broken. */
	int (*recv)(void *ctx, void *buf, size_t cap);
	void *ctx;
};

struct tls_conn {
	enum tls_state state;
	int error; /* BearSSL's BR_ERR_* (or BR_ERR_IO: the transport broke) */
	bool eof;  /* the transport's stream ended */
	struct tls_io io;
	void *net; /* tls_conn_start_tcp: the stack and socket */
	int sock;
	char cn[TLS_NAME_MAX]; /* the client's subject CN and OU once TLS_OPEN ("" if absent,
	                        * and always "" for a client that was refused) */
	char ou[TLS_NAME_MAX];
	br_name_element names[2];
	char raw[2][TLS_NAME_MAX]; /* where BearSSL puts CN and OU while it checks the chain */
	br_ssl_server_context sc;
	br_x509_minimal_context xc;
	unsigned char iobuf[BR_SSL_BUFSIZE_BIDI];
};

/**
 * Decodes the keys module: @len bytes at @pem (untrusted; decoding stops at the first NUL),
 * PEM objects in the order server certificate (then any intermediate ones), server private
 * key (PKCS#8 "PRIVATE KEY" or "EC PRIVATE KEY", EC P-256), CA certificate last: the one
 * trust anchor of client certificates. Fills @k. Needs: tls_init done (in a domain).
 * Returns: TLS_KEYS_OK, or what is wrong (then @k must not be used).
 */
enum tls_keys_err tls_keys_load(struct tls_keys *k, const void *pem, size_t len);

/**
 * Returns: a sentence for @err (e.g. "no private key in the keys module").
 */
const char *tls_keys_error_text(enum tls_keys_err err);

/**
 * Starts a server connection in slot @c over transport @io with key material @k: the
 * handshake begins with the next tls_conn_pump. @now_unix: the wall clock (seconds since
 * 1970, UTC) the client certificate's validity is checked against; @seed: 32 fresh random
 * bytes for the engine. Needs: @k loaded and kept. Returns: 0, or the BR_ERR_* that stopped
 * it (the slot is then TLS_FAILED).
 */
int tls_conn_start(struct tls_conn *c, const struct tls_keys *k, const struct tls_io *io,
                   uint64_t now_unix, const uint8_t seed[32]);

/**
 * Moves records between the engine and the transport until neither can move more; notes
 * the handshake's end (the client's CN and OU then in @c->cn, @c->ou) and the connection's.
 * Returns: the state after it.
 */
enum tls_state tls_conn_pump(struct tls_conn *c);

/**
 * Reads up to @cap bytes of application data into @buf (then pumps).
 * Returns: the bytes read, 0 when the peer closed in order, TLS_EAGAIN, TLS_EDONE.
 */
int tls_conn_read(struct tls_conn *c, void *buf, size_t cap);

/**
 * Writes up to @len bytes of application data and sends them (a record goes out at the end
 * of the call; then pumps). Returns: the bytes taken (may be fewer: call again once pumped),
 * TLS_EAGAIN (none now: the handshake is not done or the engine's buffer is full),
 * TLS_EDONE.
 */
int tls_conn_write(struct tls_conn *c, const void *data, size_t len);

/**
 * Ends @c's TLS session in order (close_notify, then pumps). The transport stays open: the
 * caller closes it (tls_conn_end_tcp does both). Returns: nothing.
 */
void tls_conn_close(struct tls_conn *c);

/**
 * Returns: true if everything written so far has left the engine for the transport.
 */
bool tls_conn_flushed(const struct tls_conn *c);

/**
 * Returns: a few words for BearSSL error @err (BR_ERR_*, also a received alert
 * BR_ERR_RECV_FATAL_ALERT + n), e.g. "client certificate expired or not yet valid".
 */
const char *tls_error_text(int err);

/**
 * Converts Unix time @secs_1970 (seconds since 1970, UTC) into BearSSL's X.509 clock: days since
 * January 1st of year 0 (proleptic Gregorian) in *@days and seconds in that day in *@secs.
 */
void tls_time_x509(uint64_t secs_1970, uint32_t *days, uint32_t *secs);

/**
 * Makes @s (NUL-terminated, @cap bytes) safe to print and to put in JSON: every byte that is
 * not printable ASCII, or is '"' or '\\', becomes '?'. Returns: nothing.
 */
void tls_name_clean(char *s, size_t cap);

/* ---- over a libnet TCP socket (tls_tcp.c) ---- */

struct net_stack;

/**
 * tls_conn_start over TCP connection @sock of @stack (its handle stays the caller's until
 * tls_conn_end_tcp). Returns: as tls_conn_start.
 */
int tls_conn_start_tcp(struct tls_conn *c, const struct tls_keys *k, struct net_stack *stack,
                       int sock, uint64_t now_unix, const uint8_t seed[32]);

/**
 * Ends a connection started by tls_conn_start_tcp: close_notify if it is open, then the TCP
 * connection is closed (@abort: reset at once) and the slot is TLS_FREE again.
 */
void tls_conn_end_tcp(struct tls_conn *c, bool abort);

/* ---- in a domain (tls_bh.c) ---- */

/**
 * Prepares the domain for BearSSL: a TLS block whose canary (fs:0x28, which BearSSL's stack
 * protector reads) is random, set as the FS base. Needs: nothing; call before any other libtls
 * or BearSSL function. Returns: 0, or the bh_err of BH_HC_ENTROPY / BH_HC_SET_FSBASE (then no
 * TLS: one console line says so).
 */
int tls_init(void);

/**
 * tls_init, then tls_keys_load of the region TLS_MODULE_NAME the domain maps (the keys
 * module). Returns: 0, or -1 after one console line that says what is wrong and what to do.
 */
int tls_setup(struct tls_keys *k);

/**
 * Fills @buf with @len bytes from BH_HC_ENTROPY. Returns: 0, or the bh_err (the domain must
 * not then make keys).
 */
int tls_random(void *buf, size_t len);

/**
 * Returns: the wall clock (seconds since 1970, UTC) from the start-info's RTC reading and the
 * TSC, or 0 when the kernel could not read the RTC.
 */
uint64_t tls_wall_time(void);

/**
 * tls_conn_start_tcp with the wall clock and a fresh seed from tls_random.
 * Returns: as tls_conn_start, or BR_ERR_NO_RANDOM without entropy.
 */
int tls_accept(struct tls_conn *c, const struct tls_keys *k, struct net_stack *stack, int sock);

#endif
