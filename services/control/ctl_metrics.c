/* Control domain: GET /metrics, the Prometheus text format 0.0.4 (pure code). */
#include <stddef.h>
#include <string.h>

#include <bulkhead/abi/hypercall.h>

#include "ctl_metrics.h"
#include "ctl_view.h"

/* The counter families, one per bh_domain_stats field. */
static const struct {
	const char *name, *help;
	size_t offset;
} counters[] = {
	{"bulkhead_domain_cycles_total", "TSC cycles the domain has run, kernel entries included.",
         offsetof(struct bh_domain_stats, cycles)},
	{"bulkhead_domain_overruns_total", "Times the domain's budget ran out inside a period.",
         offsetof(struct bh_domain_stats, overruns)},
	{"bulkhead_domain_faults_total", "CPU faults, DMA faults of its devices, and exits.",
         offsetof(struct bh_domain_stats, faults)},
	{"bulkhead_domain_restarts_total", "Restarts and replaces of the domain.",
         offsetof(struct bh_domain_stats, restarts)},
	{"bulkhead_domain_signals_sent_total", "Channel signals the domain sent.",
         offsetof(struct bh_domain_stats, signals_sent)},
	{"bulkhead_domain_signals_received_total",
         "Channel bits set on the domain by peers, devices and the kernel.",
         offsetof(struct bh_domain_stats, signals_recv)},
	{"bulkhead_domain_ring_sent_total", "Messages the domain produced on its rings.",
         offsetof(struct bh_domain_stats, ring_sent)},
	{"bulkhead_domain_ring_received_total", "Messages the domain consumed on its rings.",
         offsetof(struct bh_domain_stats, ring_recv)},
};

/* Reads every domain's stats and state into @api->samples. Returns: how many domains. */
static uint32_t sample(struct ctl_api *api)
{
	const struct ctl_backend *be = api->backend;
	uint32_t n = be->count(be->ctx);

	n = n < CTL_DOMAINS_MAX ? n : CTL_DOMAINS_MAX;
	for (uint32_t i = 0; i < n; i++) {
		struct ctl_sample *s = &api->samples[i];
		s->ok = be->stats(be->ctx, i, &s->stats) == BH_OK;
		enum ctl_op underway = be->underway ? be->underway(be->ctx, i) : CTL_OP_NONE;
		s->state = (uint8_t)ctl_view_state(&s->stats, underway);
	}
	return n;
}

/* "# HELP NAME HELP" and "# TYPE NAME TYPE" lines. */
static void header(struct ctl_buf *b, const char *name, const char *help, const char *type)
{
	ctl_buf_puts(b, "# HELP ");
	ctl_buf_puts(b, name);
	ctl_buf_puts(b, " ");
	ctl_buf_puts(b, help);
	ctl_buf_puts(b, "\n# TYPE ");
	ctl_buf_puts(b, name);
	ctl_buf_puts(b, " ");
	ctl_buf_puts(b, type);
	ctl_buf_puts(b, "\n");
}

/* A label value: '\\' and '"' escaped, any byte that is not printable ASCII as '?'. */
static void label(struct ctl_buf *b, const char *s)
{
	for (; *s; s++) {
		char c = *s;
		if (c == '\\' || c == '"')
			ctl_buf_puts(b, c == '\\' ? "\\\\" : "\\\"");
		else
			ctl_buf_put(b, c >= 0x20 && c < 0x7f ? &c : "?", 1);
	}
}

/* NAME{domain="D"[,state="S"]} VALUE */
static void domain_sample(struct ctl_buf *b, const char *name, const char *domain,
                          const char *state, uint64_t value)
{
	ctl_buf_puts(b, name);
	ctl_buf_puts(b, "{domain=\"");
	label(b, domain);
	if (state) {
		ctl_buf_puts(b, "\",state=\"");
		ctl_buf_puts(b, state);
	}
	ctl_buf_puts(b, "\"} ");
	ctl_buf_u64(b, value);
	ctl_buf_puts(b, "\n");
}

/* The counter families. */
static void put_counters(struct ctl_api *api, struct ctl_buf *b, uint32_t n)
{
	const struct ctl_backend *be = api->backend;

	for (size_t c = 0; c < sizeof(counters) / sizeof(counters[0]); c++) {
		header(b, counters[c].name, counters[c].help, "counter");
		for (uint32_t i = 0; i < n; i++) {
			if (!api->samples[i].ok)
				continue;
			uint64_t value;
			memcpy(&value, (const char *)&api->samples[i].stats + counters[c].offset,
			       sizeof(value));
			domain_sample(b, counters[c].name, be->name(be->ctx, i), NULL, value);
		}
	}
}

/* The generation and state gauges. */
static void put_gauges(struct ctl_api *api, struct ctl_buf *b, uint32_t n)
{
	const struct ctl_backend *be = api->backend;
	static const char gen[] = "bulkhead_domain_generation", state[] = "bulkhead_domain_state";

	header(b, gen, "Instances of the domain started after the first (+1 per restart).",
	       "gauge");
	for (uint32_t i = 0; i < n; i++)
		if (api->samples[i].ok)
			domain_sample(b, gen, be->name(be->ctx, i), NULL,
			              BH_DSTATE_GENERATION(api->samples[i].stats.state));
	header(b, state, "The domain's state: 1 for the state it is in, 0 for the others.",
	       "gauge");
	for (uint32_t i = 0; i < n; i++) {
		if (!api->samples[i].ok)
			continue;
		for (unsigned s = 0; s < CTL_STATE_COUNT; s++)
			domain_sample(b, state, be->name(be->ctx, i),
			              ctl_view_state_name((enum ctl_state)s),
			              api->samples[i].state == s);
	}
}

/* The request counters, one sample per status. */
static void put_requests(const struct ctl_api *api, struct ctl_buf *b)
{
	static const char name[] = "bulkhead_control_requests_total";

	header(b, name, "Requests the control domain answered, by HTTP status.", "counter");
	for (unsigned c = 0; c < CTL_CODES; c++) {
		ctl_buf_puts(b, name);
		ctl_buf_puts(b, "{code=\"");
		ctl_buf_u64(b, (uint64_t)ctl_api_codes[c]);
		ctl_buf_puts(b, "\"} ");
		ctl_buf_u64(b, api->requests[c]);
		ctl_buf_puts(b, "\n");
	}
}

/* The control domain's own cycles, if the backend can tell. */
static void put_self(const struct ctl_api *api, struct ctl_buf *b)
{
	static const char name[] = "bulkhead_control_cycles_total";
	const struct ctl_backend *be = api->backend;
	uint64_t cycles;

	if (!be->self_cycles || !be->self_cycles(be->ctx, &cycles))
		return;
	header(b, name, "TSC cycles the control domain itself has run, kernel entries included.",
	       "counter");
	ctl_buf_puts(b, name);
	ctl_buf_puts(b, " ");
	ctl_buf_u64(b, cycles);
	ctl_buf_puts(b, "\n");
}

void ctl_metrics_write(struct ctl_api *api, struct ctl_buf *b)
{
	uint32_t n = sample(api);

	put_counters(api, b, n);
	put_gauges(api, b, n);
	put_requests(api, b);
	put_self(api, b);
}
