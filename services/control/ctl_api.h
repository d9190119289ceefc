/* Control domain: the management API's logic, HTTP request in, answer and audit line out. */
#ifndef CONTROL_CTL_API_H
#define CONTROL_CTL_API_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <bulkhead/abi/domain.h>
#include <bulkhead/abi/err.h>

#include <http_req.h>

/*
 * Pure code: no hypercall, no network, no TLS. The TLS layer says who is asking (struct
 * ctl_caller, from the client certificate), libhttp parses the head, and struct ctl_backend
 * (implemented with hypercalls in main.c, with a fake in the host tests) reaches the domains.
 * ctl_api_handle() answers one request: status, content type, Allow, the body (JSON, or the
 * Prometheus text of GET /metrics) and the audit line. docs/management.md is the API for
 * users.
 */

#define CTL_USER_MAX 64u      /* bytes of a user name (the certificate's CN) kept */
#define CTL_BODY_MAX 4096u    /* a request body above this is 413 */
#define CTL_LINES_DEFAULT 20u /* GET .../console without ?lines= */
#define CTL_LINES_MAX 64u     /* ?lines= is 1..this */
#define CTL_LINE_MAX 256u     /* bytes of one console line shown; the rest is cut */
#define CTL_AUDIT_MAX 512u    /* the audit line, NUL included: always fits */

/*
 * The answer buffer: every answer fits in CTL_REPLY_MAX bytes for up to CTL_DOMAINS_MAX
 * domains. GET /metrics is the largest: 44,634 bytes for 32 domains with 31-byte names and
 * every counter at its largest (host/control checks that it fits); GET .../console gives fewer
 * lines, the newest, if those asked for do not fit. A smaller buffer (at least 128 bytes)
 * works too: an answer that does not fit becomes a 500.
 */
#define CTL_REPLY_MAX 65536u
#define CTL_DOMAINS_MAX 32u /* domains shown; the backend's others are not */

/* The caller's role, the client certificate's OU. */
enum ctl_role {
	CTL_ROLE_NONE = 0, /* any other OU, or none: every request is 403 */
	CTL_ROLE_READER = 1,
	CTL_ROLE_OPERATOR = 2,
	CTL_ROLE_ADMIN = 3,
};

/* Who is asking, as the TLS layer verified it. */
struct ctl_caller {
	char user[CTL_USER_MAX +
	          1]; /* the CN, NUL-terminated (any bytes: the audit line cleans it) */
	enum ctl_role role;
};

/* What a request does: the reads, and the operations the backend performs. */
enum ctl_op {
	CTL_OP_READ = 0, /* every GET */
	CTL_OP_PAUSE,    /* BH_HC_DOMAIN_STOP */
	CTL_OP_RESUME,   /* BH_HC_DOMAIN_RESUME */
	CTL_OP_RESTART,  /* BH_HC_DOMAIN_RESTART, image 0 */
	CTL_OP_REPLACE,  /* BH_HC_DOMAIN_RESTART, image @arg (1..255) */
	CTL_OP_DESTROY,  /* BH_HC_DOMAIN_DESTROY */
	CTL_OP_SAVE,     /* stop, then memory and vCPU state to the save volume */
	CTL_OP_RESTORE,  /* restart held, memory and vCPU state back, resume */
	CTL_OP_COUNT,
	CTL_OP_NONE = CTL_OP_COUNT, /* ctl_backend.underway: nothing under way */
};

/* Called once per console line, oldest first: @len bytes at @line, no line end. */
typedef void (*ctl_line_fn)(void *arg, const char *line, size_t len);

/*
 * The domains, as main.c reaches them. Domain @i is 0..count()-1 in start-info order (one
 * per <control> the control domain holds). Every function but the optional ones is required.
 */
struct ctl_backend {
	void *ctx; /* passed back to every function */
	const char *(*system_name)(void *ctx);
	uint32_t (*count)(void *ctx);
	const char *(*name)(void *ctx, uint32_t i);
	/* The manifest's rights on it: BH_RIGHT_STOP..BH_RIGHT_VCPU bits of the capability. */
	uint32_t (*rights)(void *ctx, uint32_t i);
	/* BH_HC_DOMAIN_STATS (its `state` is the BH_DSTATE word). */
	enum bh_err (*stats)(void *ctx, uint32_t i, struct bh_domain_stats *out);
	/*
	 * Performs @op (not CTL_OP_READ) on domain @i; @arg is the image of CTL_OP_REPLACE.
	 * Returns the kernel's error, or for save and restore: BH_ERR_STATE when the domain's state
	 * forbids it, BH_ERR_INVALID when there is no saved state to restore, BH_ERR_UNAVAILABLE
	 * when there is no save volume.
	 */
	enum bh_err (*op)(void *ctx, uint32_t i, enum ctl_op op, uint32_t arg);
	/* The last @nlines (<= CTL_LINES_MAX) lines domain @i printed, to @fn, oldest first. */
	enum bh_err (*console)(void *ctx, uint32_t i, uint32_t nlines, ctl_line_fn fn, void *arg);
	/* Optional (may be NULL): an operation on @i still under way (a restore: "restarting"). */
	enum ctl_op (*underway)(void *ctx, uint32_t i);
	/* Optional (may be NULL): where a faulted @i stopped (BH_HC_DOMAIN_VCPU_GET's rip). */
	bool (*fault_rip)(void *ctx, uint32_t i, uint64_t *rip);
	/* Optional (may be NULL): the control domain's own cycles so far (its own statistics). */
	bool (*self_cycles)(void *ctx, uint64_t *cycles);
};

/* Statuses counted in bulkhead_control_requests_total, in this order. */
#define CTL_CODES 13u
extern const int ctl_api_codes[CTL_CODES];

/* One domain's numbers at one moment: GET /metrics reads every domain's first. */
struct ctl_sample {
	struct bh_domain_stats stats;
	uint8_t state; /* enum ctl_state (ctl_view.h) */
	bool ok;       /* the stats call worked (else the domain is left out) */
};

/* The API's state: the backend, the request counters, room for the metrics' samples. */
struct ctl_api {
	const struct ctl_backend *backend;
	uint64_t requests[CTL_CODES]; /* answers given, per status (ctl_api_codes) */
	struct ctl_sample samples[CTL_DOMAINS_MAX];
};

/* One answer. The caller sets @body and @cap; ctl_api_handle() fills in everything else. */
struct ctl_reply {
	char *body;                /* the caller's buffer (CTL_REPLY_MAX bytes is enough) */
	size_t cap;                /* its size, at least 128 */
	size_t len;                /* bytes of body written (the text is NUL-terminated too) */
	int status;                /* HTTP status */
	const char *content_type;  /* "application/json" or the Prometheus text type */
	const char *allow;         /* with 405: the Allow header's value; else NULL */
	bool close;                /* the request's body was not read: close the connection */
	char audit[CTL_AUDIT_MAX]; /* "audit: USER (ROLE) METHOD PATH -> STATUS" */
};

/** Starts @api over @backend (which must outlive it), every counter 0. Returns: nothing. */
void ctl_api_init(struct ctl_api *api, const struct ctl_backend *backend);

/**
 * Answers the request @req (a head libhttp accepted) with its body (@body_len bytes at @body,
 * all of it: @body_len == @req->body_len; when @req->body_len is above CTL_BODY_MAX the body
 * need not be read and @body may be NULL) from caller @who. Needs: @out->body and @out->cap
 * set. Returns: nothing; @out holds the answer, and the request is counted.
 */
void ctl_api_handle(struct ctl_api *api, const struct ctl_caller *who, const struct http_req *req,
                    const char *body, size_t body_len, struct ctl_reply *out);

/**
 * Answers a request libhttp refused with @status (400, 413, 414, 431, 501, 505) from @who
 * (NULL: not known): a JSON error, an audit line with "-" for method and path, close.
 * Needs: @out->body and @out->cap set. Returns: nothing; the request is counted.
 */
void ctl_api_refuse(struct ctl_api *api, const struct ctl_caller *who, int status,
                    struct ctl_reply *out);

#define CTL_HEAD_MAX 192u /* the answer's head, as ctl_api_head() writes it, always fits */

/**
 * Writes the head of answer @r (status line, Content-Type, Content-Length, Allow with 405,
 * "Connection: close" when @keep_alive is false or @r->close) into @buf (@cap bytes).
 * Returns: its length (without a NUL), or 0 if it does not fit (CTL_HEAD_MAX always does).
 */
size_t ctl_api_head(const struct ctl_reply *r, bool keep_alive, char *buf, size_t cap);

#endif
