/* Flow tests of bhc's exact output: check --flow, check --matrix, policy errors, graph. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "matrix.h"
#include "test_flow.h"

/* Runs `bhc check tests/flow/NAME --image-dir IMAGES` plus up to five more arguments. */
static void check(struct flow_run *r, const char *name, const char *a1, const char *a2,
                  const char *a3, const char *a4, const char *a5)
{
	const char *path = flow_path(name);
	char copy[PATH_MAX + 300];

	snprintf(copy, sizeof(copy), "%s", path);
	flow_run_bhc(r, (const char *const[]){"check", copy, "--image-dir", flow_env.images, a1, a2,
	                                      a3, a4, a5, NULL});
}

void test_out_flow_yes(void **state)
{
	static struct flow_run r;

	(void)state;
	check(&r, "diamond.xml", "--flow", "s", "t", NULL, NULL);
	assert_string_equal(r.err, "");
	assert_int_equal(r.status, 0);
	assert_string_equal(r.out, "flow: yes\n"
	                           "2 shortest paths of 2 hops from s to t:\n"
	                           "s -[region:sl|chan:sl2]-> l -[ring:lt]-> t\n"
	                           "s -[region:sr]-> r -[ring:rt]-> t\n");
	check(&r, "diamond.xml", "--flow", "s", "t", "--except-through", "l");
	assert_int_equal(r.status, 0);
	assert_string_equal(r.out, "flow: yes\n"
	                           "1 shortest path of 2 hops from s to t not through l:\n"
	                           "s -[region:sr]-> r -[ring:rt]-> t\n");
	/* A domain always flows to itself, along a path of no hops. */
	check(&r, "diamond.xml", "--flow", "s", "s", NULL, NULL);
	assert_int_equal(r.status, 0);
	assert_string_equal(r.out, "flow: yes\n1 shortest path of 0 hops from s to s:\ns\n");
}

void test_out_flow_no(void **state)
{
	static struct flow_run r;

	(void)state;
	check(&r, "diamond.xml", "--flow", "t", "s", "--except-through", "l");
	assert_string_equal(r.err, "");
	assert_int_equal(r.status, 3);
	assert_string_equal(r.out, "flow: no\n"
	                           "from t, information can reach: l, r (paths through l not "
	                           "followed)\n");
	check(&r, "map-oneway.xml", "--flow", "r1", "w", NULL, NULL);
	assert_int_equal(r.status, 3);
	assert_string_equal(r.out, "flow: no\nfrom r1, information can reach no other domain\n");
}

void test_out_flow_many(void **state)
{
	static struct flow_run r;
	size_t lines = 0;

	(void)state;
	check(&r, "fan.xml", "--flow", "s", "t", NULL, NULL);
	assert_int_equal(r.status, 0);
	for (const char *p = r.out; *p; p++)
		lines += *p == '\n';
	assert_int_equal(lines, 2 + 20 + 1);
	assert_non_null(strstr(r.out, "flow: yes\n25 shortest paths of 3 hops from s to t:\n"
	                              "s -[region:L1]-> a1 -[region:L2]-> b1 -[region:L3]-> t\n"));
	assert_non_null(strstr(r.out, "\ns -[region:L1]-> a4 -[region:L2]-> b5 -[region:L3]-> t\n"
	                              "... and 5 more (only the first 20 shortest paths are "
	                              "printed)\n"));
}

static const char diamond_matrix[] =
	"access matrix of system diamond: 4 domains x 5 resources\n"
	"  region: r, rw, rx = map rights; ring: client or server end; chan: s = may signal,\n"
	"  - = may only be signalled; io: rw = in/out on the ports; klog: r = reads the kernel "
	"log\n"
	"  (the kernel writes it); . = no access\n"
	"\n"
	"domain  region:sl  region:sr  ring:lt  ring:rt  chan:sl2\n"
	"s       rw         rw         .        .        s\n"
	"l       r          .          client   .        s\n"
	"r       .          r          .        client   .\n"
	"t       .          .          server   server   .\n";

void test_out_matrix(void **state)
{
	static struct flow_run r;
	static char both[8192];

	(void)state;
	check(&r, "diamond.xml", "--matrix", NULL, NULL, NULL, NULL);
	assert_string_equal(r.err, "");
	assert_int_equal(r.status, 0);
	assert_string_equal(r.out, diamond_matrix);
	/* --flow and --matrix together: the flow first, then the matrix; the flow's status. */
	check(&r, "diamond.xml", "--matrix", "--flow", "t", "s", "--except-through");
	assert_int_equal(r.status, 2);
	check(&r, "read-only.xml", "--matrix", "--flow", "x", "y", NULL);
	assert_int_equal(r.status, 3);
	assert_non_null(strstr(r.out, "flow: no\n"));
	assert_non_null(strstr(r.out, "\n\naccess matrix of system read-only: 2 domains x 2 "));
	assert_non_null(strstr(r.out, "\nx       r             rx\n"));
	check(&r, "diamond.xml", "--flow", "s", "l", "--matrix", NULL);
	snprintf(both, sizeof(both),
	         "flow: yes\n1 shortest path of 1 hop from s to l:\n"
	         "s -[region:sl|chan:sl2]-> l\n\n%s",
	         diamond_matrix);
	assert_string_equal(r.out, both);
	/* The console's column holds the stdout rings, the ports and the kernel log. */
	check(&r, "console.xml", "--matrix", NULL, NULL, NULL, NULL);
	assert_int_equal(r.status, 0);
	assert_non_null(strstr(r.out, "domain   region:note  ring:keys  ring:stdout.alice  "
	                              "ring:stdout.bob  ring:stdout.kbd  io:0x3f8+8  io:0x80+1  "
	                              "klog\n"
	                              "console  .            .          server             server "
	                              "          server           rw          .          r\n"));
}

/* Counts the occurrences of @needle in @hay. */
static size_t count(const char *hay, const char *needle)
{
	size_t n = 0;

	for (const char *p = strstr(hay, needle); p; p = strstr(p + 1, needle))
		n++;
	return n;
}

void test_out_matrix_groups(void **state)
{
	struct bhc_result res;
	struct matrix mx;
	char *text = NULL;
	size_t len = 0;

	(void)state;
	assert_true(flow_compile("console.xml", &res));
	matrix_build(&mx, &res.m, &res.l);
	assert_int_equal(mx.n_cols, 8);
	FILE *f = open_memstream(&text, &len);
	matrix_print(f, &mx, 50);
	fclose(f);
	/* Three groups of columns, each with every domain's row and no line past 50. */
	assert_int_equal(count(text, "\ncolumns "), 3);
	assert_non_null(strstr(text, "\ncolumns 1-3 of 8:\ndomain   region:note  ring:keys  "
	                             "ring:stdout.alice\n"));
	assert_int_equal(count(text, "\ndomain "), 3);
	assert_int_equal(count(text, "\nkbd "), 3);
	/* Each column once, after the legend (which names kinds such as klog). */
	const char *tables = strstr(text, "\n\n");
	assert_non_null(tables);
	for (size_t c = 0; c < mx.n_cols; c++)
		assert_int_equal(count(tables, mx.cols[c].label), 1);
	/* Every table line fits (the legend above is fixed text). */
	for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n"))
		if (strncmp(line, "  ", 2) != 0 && strncmp(line, "access ", 7) != 0)
			assert_in_range(strlen(line), 1, 50);
	free(text);
	matrix_free(&mx);
	bhc_result_free(&res);
}

void test_out_usage(void **state)
{
	static struct flow_run r;

	(void)state;
	check(&r, "diamond.xml", "--flow", "s", "nope", NULL, NULL);
	assert_int_equal(r.status, 2);
	assert_string_equal(r.out, "");
	assert_string_equal(r.err, "bhc: --flow: system diamond has no domain 'nope'; its domains "
	                           "are: s, l, r, t\n");
	check(&r, "diamond.xml", "--flow", "s", NULL, NULL, NULL);
	assert_int_equal(r.status, 2);
	assert_non_null(strstr(r.err, "--flow needs two domain names"));
	check(&r, "diamond.xml", "--except-through", "l", NULL, NULL, NULL);
	assert_int_equal(r.status, 2);
	check(&r, "diamond.xml", "--flow", "s", "t", "--except-through", "t");
	assert_int_equal(r.status, 2);
	assert_non_null(strstr(r.err, "the guard must be a third domain"));
	check(&r, "diamond.xml", "--flow", "s", "t", "--except-through", "zz");
	assert_int_equal(r.status, 2);
	flow_run_bhc(&r, (const char *const[]){"compile", "x.xml", "--flow", "a", "b", NULL});
	assert_int_equal(r.status, 2);
	flow_run_bhc(&r, (const char *const[]){"compile", "x.xml", "--matrix", NULL});
	assert_int_equal(r.status, 2);
	flow_run_bhc(&r, (const char *const[]){"graph", NULL});
	assert_int_equal(r.status, 2);
	flow_run_bhc(&r, (const char *const[]){"graph", "--help", NULL});
	assert_int_equal(r.status, 0);
	assert_non_null(strstr(r.out, "bhc graph MANIFEST [-o FILE.dot]"));
	flow_run_bhc(&r, (const char *const[]){"check", "--help", NULL});
	assert_non_null(strstr(r.out, "--matrix"));
	assert_non_null(strstr(r.out, "--flow A B"));
	/* An invalid manifest is still exit status 1, with --flow too. */
	check(&r, "../manifest-none.xml", "--flow", "a", "b", NULL, NULL);
	assert_int_equal(r.status, 1);
}

void test_out_policy(void **state)
{
	static struct flow_run r;
	char want[PATH_MAX + 512], plan[PATH_MAX + 32], mods[PATH_MAX + 32];
	struct stat st;

	(void)state;
	check(&r, "policy-violation.xml", NULL, NULL, NULL, NULL, NULL);
	assert_int_equal(r.status, 1);
	assert_string_equal(r.out, "");
	snprintf(want, sizeof(want),
	         "%s:19: error: policy violated: information can flow from high to low "
	         "without passing through guard: high -[region:leak]-> low; remove that access "
	         "or route it through guard\n",
	         flow_path("policy-violation.xml"));
	assert_string_equal(r.err, want);
	/* compile stops too, and writes nothing. */
	snprintf(plan, sizeof(plan), "%s/violation.plan", flow_env.tmp);
	snprintf(mods, sizeof(mods), "%s/violation.modules", flow_env.tmp);
	flow_run_bhc(&r, (const char *const[]){"compile", flow_path("policy-violation.xml"), "-o",
	                                       plan, "--modules", mods, "--image-dir",
	                                       flow_env.images, NULL});
	assert_int_equal(r.status, 1);
	assert_int_not_equal(stat(plan, &st), 0);
	assert_int_not_equal(stat(mods, &st), 0);
	/* A policy that holds (guards accepted) compiles. */
	check(&r, "guard.xml", NULL, NULL, NULL, NULL, NULL);
	assert_int_equal(r.status, 0);
	check(&r, "console.xml", NULL, NULL, NULL, NULL, NULL);
	assert_int_equal(r.status, 0);
}

/* Returns the line of @dot that holds id="@id" (static buffer), failing if there is none. */
static const char *line_with_id(const char *dot, const char *id)
{
	static char line[2048];
	char needle[128];

	snprintf(needle, sizeof(needle), "id=\"%s\"", id);
	const char *p = strstr(dot, needle);
	if (!p) {
		fail_msg("no %s in the graph", needle);
		return "";
	}
	const char *start = p, *end = strchr(p, '\n');
	while (start > dot && start[-1] != '\n')
		start--;
	snprintf(line, sizeof(line), "%.*s", (int)((end ? end : p + strlen(p)) - start), start);
	return line;
}

/* Without -o the graph goes to standard output; without --flow nothing is red. */
static void graph_stdout(void)
{
	static struct flow_run r;

	flow_run_bhc(&r, (const char *const[]){"graph", flow_path("diamond.xml"), "--image-dir",
	                                       flow_env.images, NULL});
	assert_int_equal(r.status, 0);
	assert_non_null(strstr(r.out, "digraph \"diamond\" {"));
	assert_null(strstr(r.out, "#d62728"));
}

/* Copies the text of @out after @from up to @to into @buf (@len bytes), failing if absent. */
static void text_between(const char *out, const char *from, const char *to, char *buf, size_t len)
{
	const char *p = strstr(out, from);
	const char *end = p ? strstr(p + strlen(from), to) : NULL;

	if (!end)
		fail_msg("no \"%s...%s\" in:\n%s", from, to, out);
	p += strlen(from);
	snprintf(buf, len, "%.*s", (int)(end - p), p);
}

/* The graph spells sizes as `bhc check` does: the system's memory and the console's. */
static void graph_sizes_as_check(const char *dot)
{
	static struct flow_run r;
	char total[64], domain[64], want[160];

	flow_run_bhc(&r, (const char *const[]){"check", flow_path("console.xml"), "--image-dir",
	                                       flow_env.images, NULL});
	assert_int_equal(r.status, 0);
	text_between(r.out, "\nmemory: ", " (kernel reserve", total, sizeof(total));
	const char *console = strstr(r.out, "\ndomain console ");
	assert_non_null(console);
	text_between(console, "\n  memory ", ":", domain, sizeof(domain));
	snprintf(want, sizeof(want), "memory %s &#183;", total);
	assert_non_null(strstr(dot, want));
	snprintf(want, sizeof(want), "%s</font>", domain);
	assert_non_null(strstr(line_with_id(dot, "dom_console"), want));
}

void test_out_graph(void **state)
{
	static const char *const ids[] = {
		"dom_console",
		"dom_alice",
		"dom_bob",
		"dom_kbd",
		"edge_ring_keys",
		"edge_ring_stdout.alice",
		"edge_ring_stdout.bob",
		"edge_ring_stdout.kbd",
		"edge_klog",
		"node_kernel",
		"io_0x3f8_8",
		"io_0x80_1",
		"edge_io_0x3f8_8",
		"edge_io_0x80_1",
		"region_note",
		"edge_region_note_alice",
		"cluster_service",
		"cluster_driver",
		"cluster_application",
	};
	static struct flow_run r;
	static char dot[65536];
	char out[PATH_MAX + 16];

	(void)state;
	graph_stdout();
	snprintf(out, sizeof(out), "%s/console.dot", flow_env.tmp);
	flow_run_bhc(&r, (const char *const[]){"graph", flow_path("console.xml"), "-o", out,
	                                       "--image-dir", flow_env.images, "--flow", "alice",
	                                       "bob", NULL});
	assert_int_equal(r.status, 0);
	assert_string_equal(r.err, "");
	FILE *f = fopen(out, "r");
	assert_non_null(f);
	dot[fread(dot, 1, sizeof(dot) - 1, f)] = '\0';
	fclose(f);
	for (size_t i = 0; i < sizeof(ids) / sizeof(ids[0]); i++)
		line_with_id(dot, ids[i]);
	/* bob has role="service"; kbd has I/O ports: a driver. */
	const char *service = strstr(dot, "subgraph cluster_service");
	const char *app = strstr(dot, "subgraph cluster_application");
	const char *bob = strstr(dot, "id=\"dom_bob\"");
	assert_true(service && app && bob && service < bob && bob < app);
	assert_true(strstr(dot, "subgraph cluster_driver") < strstr(dot, "id=\"dom_kbd\""));
	/* The path alice -> console -> bob is red; the keys ring is grey. */
	assert_non_null(strstr(line_with_id(dot, "edge_ring_stdout.alice"), "#d62728"));
	assert_non_null(strstr(line_with_id(dot, "edge_ring_stdout.bob"), "#d62728"));
	assert_null(strstr(line_with_id(dot, "edge_ring_keys"), "#d62728"));
	assert_null(strstr(line_with_id(dot, "edge_ring_stdout.kbd"), "#d62728"));
	assert_non_null(strstr(dot, "flow alice &#8594; bob: yes, 1 shortest path of 2 hops"));
	/* The title block, with the legend, is the graph's label. */
	assert_non_null(strstr(dot, "\tlabel=<<table "));
	assert_non_null(strstr(dot, "<b>System console</b>"));
	assert_non_null(strstr(dot, "<b>legend</b>"));
	graph_sizes_as_check(dot);
}

/* Writes the graph of tests/flow/@name with --flow @from @to into @dot (static, @len bytes). */
static void graph_flow(const char *name, const char *from, const char *to, char *dot, size_t len)
{
	static struct flow_run r;
	char out[PATH_MAX + 16];

	snprintf(out, sizeof(out), "%s/hops.dot", flow_env.tmp);
	flow_run_bhc(&r, (const char *const[]){"graph", flow_path(name), "-o", out, "--image-dir",
	                                       flow_env.images, "--flow", from, to, NULL});
	assert_int_equal(r.status, 0);
	FILE *f = fopen(out, "r");
	assert_non_null(f);
	dot[fread(dot, 1, len - 1, f)] = '\0';
	fclose(f);
}

/* A code-sharing region's writer -> executor hop and a machine port's hops carry their name. */
void test_out_hops_named(void **state)
{
	static struct flow_run r;
	static char dot[65536];

	(void)state;
	check(&r, "map-rw-chain.xml", "--flow", "p", "s", NULL, NULL);
	assert_int_equal(r.status, 0);
	assert_string_equal(r.out, "flow: yes\n1 shortest path of 2 hops from p to s:\n"
	                           "p -[region:shm]-> q -[region:out (code injection)]-> s\n");
	check(&r, "machine.xml", "--flow", "kbd", "app", NULL, NULL);
	assert_int_equal(r.status, 0);
	assert_string_equal(r.out, "flow: yes\n1 shortest path of 1 hop from kbd to app:\n"
	                           "kbd -[io:0x60+5 (machine control)]-> app\n");
	check(&r, "machine.xml", "--flow", "app", "kbd", NULL, NULL);
	assert_int_equal(r.status, 3);
	check(&r, "machine.xml", "--matrix", NULL, NULL, NULL, NULL);
	assert_non_null(strstr(r.out,
	                       "\n  io:0x60+5 controls the machine: its holder reaches every "
	                       "domain (machine control)\n\n"));
	check(&r, "map-rw-chain.xml", "--matrix", NULL, NULL, NULL, NULL);
	assert_non_null(strstr(r.out,
	                       "\n  region:out is code-sharing: code written through rw runs "
	                       "where it is rx (code injection)\n\n"));
	assert_null(strstr(r.out, "region:shm is code-sharing"));
	graph_flow("map-rw-chain.xml", "q", "s", dot, sizeof(dot));
	const char *edge = line_with_id(dot, "edge_region_out_q_s");
	assert_non_null(strstr(edge, "label=\"region:out (rw -> rx) code injection\""));
	assert_non_null(strstr(edge, "#d62728"));
	assert_non_null(
		strstr(dot, "a code-sharing region: the writer's code runs in the executor"));
	graph_flow("machine.xml", "kbd", "net", dot, sizeof(dot));
	edge = line_with_id(dot, "edge_machine_0x60_5_net");
	assert_non_null(strstr(edge, "label=\"io:0x60+5 (machine control)\""));
	assert_non_null(strstr(edge, "#d62728"));
	assert_null(strstr(line_with_id(dot, "edge_machine_0x60_5_app"), "#d62728"));
	assert_non_null(strstr(dot, "a machine port: its owner reaches every domain"));
	/* An ordinary port range draws no such edge, and no legend line for it. */
	graph_flow("console.xml", "alice", "bob", dot, sizeof(dot));
	assert_null(strstr(dot, "edge_machine_"));
	assert_null(strstr(dot, "machine control"));
	assert_null(strstr(dot, "code injection"));
}

static const char unconfined_matrix[] =
	"access matrix of system unconfined: 3 domains and 1 device x 3 resources\n"
	"  region: r, rw, rx = map rights; ring: client or server end; chan: s = may signal,\n"
	"  - = may only be signalled; io: rw = in/out on the ports; klog: r = reads the kernel "
	"log\n"
	"  (the kernel writes it); . = no access\n"
	"  devices are rows too: region: what their DMA may do there (the owner's dma=\"yes\"\n"
	"  maps); dev: owner = drives it and takes its interrupts, self = the device, rw = its\n"
	"  unconfined DMA reads and writes that domain's memory\n"
	"  dev:nic is PCI 00:03.0, driven by drv; unconfined DMA: it reads and writes every "
	"domain's memory\n"
	"\n"
	"domain  region:buf  region:bmem  dev:nic\n"
	"drv     rw          .            owner\n"
	"a       .           .            rw\n"
	"b       .           rw           rw\n"
	"nic     rw          rw           self\n";

/* Devices in `check`: the summary, the matrix's rows and notes, flows from and to them. */
void test_out_devices(void **state)
{
	static struct flow_run r;

	(void)state;
	check(&r, "unconfined.xml", "--matrix", NULL, NULL, NULL, NULL);
	assert_int_equal(r.status, 0);
	assert_string_equal(r.out, unconfined_matrix);
	check(&r, "dma.xml", "--matrix", NULL, NULL, NULL, NULL);
	assert_non_null(strstr(r.out, "\n  dev:disk is PCI 00:04.0, driven by drv; the IOMMU "
	                              "confines its DMA to drv's DMA maps\n\n"));
	assert_non_null(strstr(r.out, "\ndisk    rw             r             .              "
	                              "self\n"));
	check(&r, "dma.xml", "--flow", "app", "peer", NULL, NULL);
	assert_int_equal(r.status, 0);
	assert_string_equal(r.out, "flow: yes\n2 shortest paths of 2 hops from app to peer:\n"
	                           "app -[region:inbox]-> drv -[region:dmabuf]-> peer\n"
	                           "app -[region:inbox]-> disk -[region:dmabuf]-> peer\n");
	check(&r, "dma.xml", "--flow", "disk", "app", NULL, NULL);
	assert_int_equal(r.status, 3);
	assert_string_equal(r.out, "flow: no\nfrom disk, information can reach: drv, spy, peer\n");
	check(&r, "unconfined.xml", "--flow", "a", "b", "--except-through", "drv");
	assert_int_equal(r.status, 0);
	assert_string_equal(r.out,
	                    "flow: yes\n1 shortest path of 2 hops from a to b not through "
	                    "drv:\na -[dev:nic (unconfined DMA)]-> nic -[region:bmem|dev:nic "
	                    "(unconfined DMA)]-> b\n");
	check(&r, "dma.xml", "--flow", "app", "nothere", NULL, NULL);
	assert_int_equal(r.status, 2);
	assert_string_equal(r.err, "bhc: --flow: system dma has no domain 'nothere'; its domains "
	                           "are: drv, app, spy, peer; its devices are: disk\n");
	check(&r, "dma.xml", NULL, NULL, NULL, NULL, NULL);
	assert_int_equal(r.status, 0);
	assert_non_null(strstr(r.out, "system dma: 4 domains, 3 regions, 0 channels, 0 rings "
	                              "(including stdout), 1 device\n"));
	assert_non_null(strstr(r.out, "\n  map inbox r at 0x50000000 (64 KiB), DMA, slot 1\n"));
	assert_non_null(strstr(r.out, "\n  device disk: pci 00:04.0, irq id 5, registers in "
	                              "0x610000000000 (1 GiB), slot 3\n"));
	assert_non_null(strstr(r.out, "\n  device disk -> drv (irq)\n"));
}

/* Devices in the picture: a node in the owner's cluster, its edges, unconfined DMA in bold. */
void test_out_devices_graph(void **state)
{
	static char dot[65536];

	(void)state;
	graph_flow("dma.xml", "app", "peer", dot, sizeof(dot));
	const char *node = line_with_id(dot, "dev_disk");
	assert_non_null(strstr(node, "\"(dev:disk)\" [id=\"dev_disk\", shape=component"));
	assert_non_null(strstr(node, "PCI 00:04.0 &#183; irq 5<br/>DMA through the IOMMU"));
	assert_non_null(strstr(node, "#d62728")); /* on a shortest path */
	const char *at = strstr(dot, "id=\"dev_disk\"");
	assert_true(strstr(dot, "subgraph cluster_driver") < at);
	assert_true(at < strstr(dot, "subgraph cluster_application"));
	assert_non_null(strstr(line_with_id(dot, "edge_dev_disk"),
	                       "\"drv\" -> \"(dev:disk)\" [id=\"edge_dev_disk\", dir=both"));
	assert_non_null(strstr(line_with_id(dot, "edge_region_dmabuf_disk_peer"), "#d62728"));
	assert_non_null(strstr(line_with_id(dot, "edge_region_inbox_app_disk"),
	                       "label=\"region:inbox (rw -> r)\""));
	assert_null(strstr(dot, "edge_region_secret_disk")); /* no DMA map: no edge */
	assert_null(strstr(dot, "unconfined DMA"));
	assert_non_null(strstr(dot, "0 I/O port ranges &#183; 1 device</font>"));
	graph_flow("unconfined.xml", "a", "drv", dot, sizeof(dot));
	const char *dma = line_with_id(dot, "edge_dma_nic_a");
	assert_non_null(strstr(dma, "label=\"dev:nic (unconfined DMA)\""));
	assert_non_null(strstr(dma, "style=bold"));
	assert_non_null(strstr(dma, "#d62728"));
	assert_null(strstr(line_with_id(dot, "edge_dma_nic_b"), "#d62728"));
	assert_null(strstr(dot, "edge_dma_nic_drv"));
	assert_non_null(strstr(line_with_id(dot, "dev_nic"), "unconfined DMA: all memory"));
	assert_non_null(
		strstr(dot, "no IOMMU confines it: it reads and writes every domain's memory"));
	/* A device may be an end of the flow. */
	graph_flow("dma.xml", "disk", "spy", dot, sizeof(dot));
	assert_non_null(strstr(dot, "flow disk &#8594; spy: yes, 1 shortest path of 2 hops"));
	assert_non_null(strstr(line_with_id(dot, "edge_dev_disk"), "#d62728"));
	assert_non_null(strstr(line_with_id(dot, "edge_region_secret_drv_spy"), "#d62728"));
}

/* Domain control: a C and a T cell in the matrix, an arrow from holder to target in the graph. */
void test_out_control(void **state)
{
	static struct flow_run r;

	(void)state;
	check(&r, "control.xml", "--matrix", NULL, NULL, NULL, NULL);
	assert_int_equal(r.status, 0);
	assert_non_null(strstr(r.out, "\ndomain  ctl:sup/drv  ctl:app/sup\n"
	                              "sup     C            T\n"
	                              "drv     T            .\n"
	                              "app     .            C\n"
	                              "lone    .            .\n"));
	assert_non_null(strstr(r.out, "\n  ctl:sup/drv has the rights: restart faults (domain "
	                              "control)\n"));
	check(&r, "control.xml", NULL, NULL, NULL, NULL, NULL);
	assert_int_equal(r.status, 0);
	assert_non_null(strstr(r.out, "\n  control drv: restart faults, slot 0, fault page r at "));
	assert_non_null(strstr(r.out, "\n  kernel -> sup (faults of drv)\n"));
	flow_run_bhc(&r, (const char *const[]){"graph", flow_path("control.xml"), "--image-dir",
	                                       flow_env.images, "--flow", "app", "drv", NULL});
	assert_int_equal(r.status, 0);
	const char *edge = line_with_id(r.out, "edge_ctl_sup_drv");
	assert_non_null(strstr(edge, "\"sup\" -> \"drv\""));
	assert_non_null(strstr(edge, "label=\"ctl (restart faults)\""));
	assert_non_null(strstr(edge, "#d62728")); /* on the path from app to drv */
}
