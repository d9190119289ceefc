/* libtls host tests: byte pipes between a libtls server and a BearSSL client, in memory. */
#include <string.h>

#include "tls_pipe.h"

static size_t pipe_put(struct pipe *p, const void *data, size_t len)
{
	size_t n = 0;
	const unsigned char *d = data;

	for (; n < len && p->len < PIPE_CAP; n++, p->len++)
		p->buf[(p->head + p->len) % PIPE_CAP] = d[n];
	p->moved += n;
	return n;
}

static size_t pipe_get(struct pipe *p, void *buf, size_t cap)
{
	size_t n = 0;
	unsigned char *b = buf;

	for (; n < cap && p->len > 0; n++, p->len--, p->head = (p->head + 1) % PIPE_CAP)
		b[n] = p->buf[p->head];
	p->moved += n;
	return n;
}

static int server_send(void *ctx, const void *buf, size_t len)
{
	struct client *cl = ctx;

	return (int)pipe_put(&cl->down, buf, len);
}

static int server_recv(void *ctx, void *buf, size_t cap)
{
	struct client *cl = ctx;
	size_t n = pipe_get(&cl->up, buf, cap);

	if (n == 0)
		return cl->up.closed ? 0 : TLS_EAGAIN;
	return (int)n;
}

struct tls_io pipe_server_io(struct client *cl)
{
	return (struct tls_io){.send = server_send, .recv = server_recv, .ctx = cl};
}

int client_start(struct client *cl, const char *keys_pem, size_t len, bool with_cert)
{
	static const unsigned char seed[32] = {1, 2, 3};
	enum tls_keys_err err = tls_keys_load(&cl->keys, keys_pem, len);

	if (err != TLS_KEYS_OK)
		return -(int)err;
	cl->has_cert = with_cert;
	memset(&cl->up, 0, sizeof(cl->up));
	memset(&cl->down, 0, sizeof(cl->down));
	br_ssl_client_init_full(&cl->cc, &cl->xc, &cl->keys.ca, 1);
	br_x509_minimal_set_time(&cl->xc, 739251u, 0); /* 2024-01-01 */
	if (with_cert)
		br_ssl_client_set_single_ec(&cl->cc, cl->keys.chain, cl->keys.chain_len,
		                            &cl->keys.sk, BR_KEYTYPE_SIGN, BR_KEYTYPE_EC,
		                            br_ec_get_default(), br_ecdsa_sign_asn1_get_default());
	br_ssl_engine_set_buffer(&cl->cc.eng, cl->iobuf, sizeof(cl->iobuf), 1);
	br_ssl_engine_inject_entropy(&cl->cc.eng, seed, sizeof(seed));
	if (!br_ssl_client_reset(&cl->cc, "localhost", 0))
		return br_ssl_engine_last_error(&cl->cc.eng);
	return 0;
}

bool client_pump(struct client *cl)
{
	br_ssl_engine_context *eng = &cl->cc.eng;
	unsigned st = br_ssl_engine_current_state(eng);
	bool moved = false;
	size_t len;

	if (st & BR_SSL_SENDREC) {
		unsigned char *p = br_ssl_engine_sendrec_buf(eng, &len);
		size_t n = pipe_put(&cl->up, p, len);
		br_ssl_engine_sendrec_ack(eng, n);
		moved = n > 0;
	}
	if (st & BR_SSL_RECVREC) {
		unsigned char *p = br_ssl_engine_recvrec_buf(eng, &len);
		size_t n = pipe_get(&cl->down, p, len);
		if (n > 0)
			br_ssl_engine_recvrec_ack(eng, n);
		moved = moved || n > 0;
	}
	return moved;
}

void pump_pair(struct tls_conn *server, struct client *cl)
{
	for (int i = 0; i < 10000; i++) {
		enum tls_state before = server->state;
		size_t up = cl->up.moved, down = cl->down.moved;
		(void)client_pump(cl);
		(void)tls_conn_pump(server);
		if (before == server->state && up == cl->up.moved && down == cl->down.moved)
			return;
	}
}

size_t client_write(struct client *cl, const void *data, size_t len)
{
	size_t done = 0, room;

	while (done < len) {
		unsigned char *p = br_ssl_engine_sendapp_buf(&cl->cc.eng, &room);
		if (!p) {
			if (!client_pump(cl))
				break;
			continue;
		}
		size_t n = room < len - done ? room : len - done;
		memcpy(p, (const unsigned char *)data + done, n);
		br_ssl_engine_sendapp_ack(&cl->cc.eng, n);
		done += n;
	}
	br_ssl_engine_flush(&cl->cc.eng, 0);
	return done;
}

size_t client_read(struct client *cl, void *buf, size_t cap)
{
	size_t len;
	unsigned char *p = br_ssl_engine_recvapp_buf(&cl->cc.eng, &len);

	if (!p)
		return 0;
	size_t n = len < cap ? len : cap;
	memcpy(buf, p, n);
	br_ssl_engine_recvapp_ack(&cl->cc.eng, n);
	return n;
}
