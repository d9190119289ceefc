/* libtls host tests: byte pipes between a libtls server and a BearSSL client, in memory. */
#ifndef TLS_PIPE_H
#define TLS_PIPE_H

#include <stdbool.h>
#include <stddef.h>

#include "libtls.h"

#define PIPE_CAP 3000u /* small: records cross it in pieces */

/* One direction: a bounded byte queue that can be closed (end of stream). */
struct pipe {
	unsigned char buf[PIPE_CAP];
	size_t head, len;
	size_t moved; /* bytes that ever went in or out */
	bool closed;
};

/* A BearSSL client with its own keys, over two pipes to a server slot. */
struct client {
	br_ssl_client_context cc;
	br_x509_minimal_context xc;
	struct tls_keys keys; /* its certificate and key (if any), and the CA it trusts */
	bool has_cert;
	unsigned char iobuf[BR_SSL_BUFSIZE_BIDI];
	struct pipe up, down; /* client to server, server to client */
};

/** Returns: the server side's transport over @cl's pipes. */
struct tls_io pipe_server_io(struct client *cl);

/**
 * Starts client @cl: trusts the CA of @keys_pem; presents the certificate and key of
 * @keys_pem unless @with_cert is false. Returns: 0 or a BR_ERR_*.
 */
int client_start(struct client *cl, const char *keys_pem, size_t len, bool with_cert);

/** Moves the client's records to and from its pipes. Returns: true if anything moved. */
bool client_pump(struct client *cl);

/** Pumps @server and @cl in turns until neither moves. */
void pump_pair(struct tls_conn *server, struct client *cl);

/** Client application data: write all of @len (flushed) / read up to @cap. Return counts. */
size_t client_write(struct client *cl, const void *data, size_t len);
size_t client_read(struct client *cl, void *buf, size_t cap);

#endif
