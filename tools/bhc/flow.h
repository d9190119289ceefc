/* Information flow: which domain can influence which, along which shortest paths; policy checks. */
#ifndef BHC_FLOW_H
#define BHC_FLOW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "layout.h"
#include "manifest.h"
#include "matrix.h"

#define FLOW_MAX_PATHS 20u /* shortest paths listed; the rest are counted */
#define FLOW_NO_GUARD (-1)

/* One-hop flows between nodes (domains, then devices): bit b of edge[a] means a -> b. */
struct flow_graph {
	size_t n;
	uint64_t edge[MATRIX_MAX_NODES];
};

/* The answer to "can information flow from one domain to another?". */
struct flow_result {
	bool yes;
	size_t hops;      /* length of every shortest path (0: from and to are one domain) */
	uint64_t n_paths; /* how many shortest paths there are (saturates at UINT64_MAX) */
	size_t n_listed;  /* how many are in path[]: at most FLOW_MAX_PATHS */
	uint8_t path[FLOW_MAX_PATHS][MATRIX_MAX_NODES]; /* node indices, hops + 1 of them */
	uint64_t reach;                     /* every node information from `from` reaches */
	uint64_t on_path[MATRIX_MAX_NODES]; /* bit b of on_path[a]: hop a -> b is on a shortest path */
};

/**
 * Says whether resource @c carries information from node @a to node @b in one
 * hop: a map @a may write and @b may read (a device through its owner's DMA
 * maps); the two ends of a ring or of a channel (both ways, whatever the
 * channel's rights: a signal is a one-bit flow, and so is its absence); I/O
 * ports held by both; a machine port range (machine="yes") from its holder to
 * every domain, since it can reset or reconfigure the machine; a device and
 * its owner, both ways (the owner programs it, it interrupts and answers); a
 * device with unconfined DMA and every domain, both ways (it reads and writes
 * all memory); a <control>'s holder and target, both ways (the holder
 * restarts or replaces the target and learns of its faults and state). The
 * kernel log carries nothing between domains (the kernel writes it).
 * Needs: @a != @b.
 */
bool flow_carries(const struct matrix_col *c, size_t a, size_t b);

/**
 * Names what hop @a -> @b over @c is beyond a data flow: "code injection" when
 * @a may write a code-sharing region that @b may execute, "machine control"
 * over a machine port range, "unconfined DMA" between a device whose DMA no
 * IOMMU confines and a domain other than its owner, "domain control" over a
 * <control>. Needs: flow_carries(@c, @a, @b). Returns: the phrase, or NULL for
 * an ordinary hop.
 */
const char *flow_hop_note(const struct matrix_col *c, size_t a, size_t b);

/** Fills @g with every one-hop flow of @mx. */
void flow_graph_build(struct flow_graph *g, const struct matrix *mx);

/**
 * Answers whether information can flow from node @from to node @to along any
 * chain of one-hop flows, and finds every shortest such chain. With @guard a
 * node index (not @from or @to), chains through @guard are left out; with
 * FLOW_NO_GUARD every chain counts. A node always flows to itself (0 hops).
 * Needs: @from, @to < g->n. Returns: the answer in @r.
 */
void flow_query(const struct flow_graph *g, size_t from, size_t to, int guard,
                struct flow_result *r);

/**
 * Writes path @p of @hops hops as "a -[region:x|chan:y]-> b -[ring:z]-> c":
 * every resource that carries the hop, in matrix column order, with its note
 * in parentheses (flow_hop_note): "region:jit (code injection)".
 */
void flow_write_path(FILE *f, const struct matrix *mx, const uint8_t *p, size_t hops);

/**
 * Writes the answer of `bhc check --flow`: "flow: yes" and every shortest path
 * (at most FLOW_MAX_PATHS, then how many more), or "flow: no" and what @from
 * reaches. Returns: true if information can flow.
 */
bool flow_print(FILE *f, const struct matrix *mx, size_t from, size_t to, int guard);

/**
 * Checks every <no-flow> of @m against the compiled system: a rule is violated
 * when a chain of one-hop flows leads from its from domain to its to domain
 * without passing its except-through domain; the error, at the rule's line,
 * shows one shortest such chain.
 * Needs: @l built from @m without errors. Returns: nothing; errors go to m->diag.
 */
void flow_check_policy(struct manifest *m, const struct layout *l);

#endif
