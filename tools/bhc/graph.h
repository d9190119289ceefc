/* System picture: the compiled system as a Graphviz DOT graph, optionally with a flow highlighted. */
#ifndef BHC_GRAPH_H
#define BHC_GRAPH_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "layout.h"
#include "manifest.h"

#define GRAPH_NO_DOMAIN (-1)

struct graph_options {
	const char *source;     /* the manifest's path, shown in the title */
	uint32_t checksum;      /* the boot plan's CRC-32 */
	int flow_from, flow_to; /* flow-graph nodes (domains, then devices) for --flow, or
	                         * GRAPH_NO_DOMAIN */
	int guard;              /* --except-through node, or GRAPH_NO_DOMAIN */
};

/**
 * Writes the system of @m as a DOT digraph to @f: a title (system name, counts,
 * memory, plan checksum), one node per domain in a cluster per role (driver,
 * service, application), the kernel, I/O port ranges, devices (in their
 * driver's cluster) and unshared regions as their own nodes, and labelled
 * edges for shared regions (writer to reader, a device through its driver's
 * DMA maps), rings (client to server, data both ways), channels (dashed),
 * stdout rings (thin, grey), a device and its driver, unconfined DMA (to every
 * domain) and the kernel log; then a legend. Every node, edge and cluster
 * has an `id` (dom_NAME, edge_ring_NAME, ...; see docs/manifest.md). With a
 * flow, every shortest path from o->flow_from to o->flow_to is drawn thick and
 * red and everything else grey.
 * Needs: @l built from @m without errors.
 */
void graph_write_dot(FILE *f, const struct manifest *m, const struct layout *l,
                     const struct graph_options *o);

#endif
