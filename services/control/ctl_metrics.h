/* Control domain: GET /metrics, the Prometheus text format 0.0.4 (pure code). */
#ifndef CONTROL_CTL_METRICS_H
#define CONTROL_CTL_METRICS_H

#include "ctl_api.h"
#include "ctl_buf.h"

#define CTL_METRICS_TYPE "text/plain; version=0.0.4"

/**
 * Writes every family (docs/management.md lists them): one counter per bh_domain_stats field,
 * the generation and state gauges of the first CTL_DOMAINS_MAX domains of @api's backend
 * (a domain whose stats cannot be read is left out), and the request counters.
 * Returns: nothing (@b->full if it did not fit).
 */
void ctl_metrics_write(struct ctl_api *api, struct ctl_buf *b);

#endif
