/* Fuzz target `ctlapi`: the control domain's API (services/control) on arbitrary requests. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ctl_api.h>
#include <ctl_json.h>
#include <ctl_role.h>
#include <http_req.h>

#include "ctl_fake.h"

/*
 * Input: byte 0 the caller's role (mod 4), byte 1 how the fake system of tests/host/control
 * differs from the standard one (below), then the bytes a client sent: one request, parsed by
 * libhttp as main.c does (a refusal goes to ctl_api_refuse, a whole request with its body to
 * ctl_api_handle). Every answer must be a counted status whose body fits its buffer, a JSON
 * object the project's own reader accepts (or Prometheus text lines), with an audit line of
 * printable ASCII, an Allow header exactly with 405, 403 for every request of a caller
 * without a role, and the backend asked to act only when the role allows it and the answer
 * is 200.
 */

/**
 * libFuzzer's entry: answers the request in the @size bytes at @data and checks the answer.
 * Returns: 0; abort()s (after a line naming the broken rule) on any inconsistency.
 */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct fake f;
static struct ctl_api api;
static char reply_buf[CTL_REPLY_MAX];
static struct ctl_json_tok tokens[8192];

static void broken(const char *rule)
{
	fprintf(stderr, "fuzz_ctlapi: %s\n", rule);
	abort();
}

/* Byte @flags: counter paused (1), its operations failing with error flags >> 4 (2), the
 * request's bytes as a console line of counter (4), worker's stats failing (8). */
static void shape(uint8_t flags, const char *raw, size_t len)
{
	ctl_fake_init(&f);
	ctl_api_init(&api, &f.be);
	if (flags & 1u)
		ctl_fake_set_state(&f.d[0], 2);
	if (flags & 2u)
		f.d[0].force = (enum bh_err)((flags >> 4) % (BH_ERR_COUNT + 1u));
	if (flags & 4u) {
		f.d[0].lines[29] = raw;
		f.d[0].line_len[29] = (uint32_t)(len ? len : 1u);
	}
	if (flags & 8u)
		f.d[1].stats_err = BH_ERR_NO_CAP;
}

/* Prometheus text: every line a comment or a sample of ours, the last one ended. */
static void check_metrics(const struct ctl_reply *r)
{
	if (r->len == 0 || r->body[r->len - 1u] != '\n')
		broken("metrics text does not end its last line");
	for (const char *l = r->body; *l; l = strchr(l, '\n') + 1)
		if (strncmp(l, "# HELP bulkhead_", 16) != 0 &&
		    strncmp(l, "# TYPE bulkhead_", 16) != 0 && strncmp(l, "bulkhead_", 9) != 0)
			broken("a metrics line that is neither comment nor sample");
}

static void check_reply(const struct ctl_reply *r, enum ctl_role role, uint32_t ops_before)
{
	struct ctl_json_doc doc;
	bool known = false;

	for (unsigned c = 0; c < CTL_CODES; c++)
		known |= ctl_api_codes[c] == r->status;
	if (!known)
		broken("a status that is not counted");
	if (r->len >= r->cap || strlen(r->body) != r->len)
		broken("the body is not inside its buffer");
	if (strncmp(r->audit, "audit: ", 7) != 0)
		broken("no audit line");
	for (const char *c = r->audit; *c; c++)
		if (*c < 0x20 || *c >= 0x7f)
			broken("an audit line with a byte that is not printable ASCII");
	if ((r->status == 405) != (r->allow != NULL))
		broken("Allow without 405, or 405 without Allow");
	if (strcmp(r->content_type, "application/json") == 0) {
		ctl_json_init(&doc, tokens, sizeof(tokens) / sizeof(tokens[0]));
		if (ctl_json_parse(&doc, r->body, r->len) || doc.tok[0].type != CTL_JSON_OBJECT)
			broken("a JSON answer that is not a JSON object");
	} else {
		check_metrics(r);
	}
	if (f.ops != ops_before && (r->status != 200 || role < CTL_ROLE_OPERATOR))
		broken("the backend acted, but the answer is not 200 or the role may not");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ctl_caller who = {.user = "fuzz"};
	struct ctl_reply r = {.body = reply_buf, .cap = sizeof(reply_buf)};
	struct http_req req;

	if (size < 2)
		return 0;
	who.role = (enum ctl_role)(data[0] % 4u);
	char *raw = malloc(size - 2u ? size - 2u : 1u);
	if (!raw)
		return 0;
	memcpy(raw, data + 2, size - 2u);
	shape(data[1], raw, size - 2u);
	int st = http_req_parse(raw, size - 2u, &req);
	size_t avail = st == HTTP_REQ_DONE ? size - 2u - req.head_len : 0;
	if (st != HTTP_REQ_DONE && st != HTTP_REQ_MORE) {
		ctl_api_refuse(&api, &who, st, &r);
		check_reply(&r, who.role, 0);
	} else if (st == HTTP_REQ_DONE && (avail >= req.body_len || req.body_len > CTL_BODY_MAX)) {
		ctl_api_handle(&api, &who, &req, raw + req.head_len,
		               req.body_len > CTL_BODY_MAX ? 0 : req.body_len, &r);
		check_reply(&r, who.role, 0);
		if (who.role == CTL_ROLE_NONE && r.status != 403)
			broken("a caller without a role was not refused");
	}
	free(raw);
	return 0;
}
