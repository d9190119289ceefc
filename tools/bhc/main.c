/* bhc: command line of the manifest compiler (check a manifest, compile it, or draw it). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bulkhead/abi/plan.h>

#include "bhc.h"
#include "device.h"
#include "flow.h"
#include "graph.h"
#include "matrix.h"
#include "modregion.h"
#include "planwriter.h"
#include "summary.h"
#include "value.h"

#define MAX_IMAGE_DIRS 64
#define MATRIX_WIDTH 120 /* --matrix splits wider tables into column groups */

enum { EXIT_OK = 0, EXIT_INVALID = 1, EXIT_USAGE = 2, EXIT_NO_FLOW = 3 };

static const char usage_text[] =
	"usage: bhc check MANIFEST [--matrix] [--flow A B [--except-through G]]\n"
	"                 [--image-dir DIR]... [--memory SIZE]\n"
	"       bhc compile MANIFEST -o PLAN --modules LIST [--image-dir DIR]... [--memory SIZE]\n"
	"                   [--exit-when-idle]\n"
	"       bhc graph MANIFEST [-o FILE.dot] [--flow A B [--except-through G]]\n"
	"                 [--image-dir DIR]... [--memory SIZE]\n"
	"       bhc --help | bhc check --help | bhc compile --help | bhc graph --help\n";

static const char check_help[] =
	"bhc check MANIFEST [--matrix] [--flow A B [--except-through G]]\n"
	"          [--image-dir DIR]... [--memory SIZE]\n"
	"  Checks a Bulkhead manifest (its <policy> included) and prints a summary: each\n"
	"  domain's priority, budget, memory, maps, channels, rings, ioports and devices,\n"
	"  then who can signal whom. Errors go to stderr as FILE:LINE: error: MESSAGE;\n"
	"  the exit status is 1.\n\n"
	"  --matrix          print the access matrix instead: one row per domain and\n"
	"                    device, one column per region, ring, channel, I/O port\n"
	"                    range, device and the kernel log, each cell the rights\n"
	"  --flow A B        say whether information can flow from domain (or device) A\n"
	"                    to B (first line `flow: yes` or `flow: no`) and print every\n"
	"                    shortest path; exit status 0 for yes, 3 for no\n"
	"  --except-through G  with --flow: leave out paths that pass through G\n"
	"  --image-dir DIR   look for program images as DIR/NAME.elf (repeatable, in order)\n"
	"  --memory SIZE     the machine's RAM (e.g. 512M) when <system> has no memory=;\n"
	"                    default 512M\n";

static const char compile_help[] =
	"bhc compile MANIFEST -o PLAN --modules LIST [--data-modules LIST]\n"
	"            [--image-dir DIR]... [--memory SIZE] [--exit-when-idle]\n"
	"  Compiles a Bulkhead manifest into a boot plan (PLAN) and writes LIST, one line\n"
	"  per distinct image: MODULE_NAME<TAB>ABSOLUTE_PATH. Nothing is written when the\n"
	"  manifest has errors, a violated <policy> included (FILE:LINE: error: MESSAGE on\n"
	"  stderr, exit status 1).\n\n"
	"  -o PLAN            where to write the boot plan\n"
	"  --modules LIST     where to write the module list\n"
	"  --data-modules LIST  where to write the data modules <region module> needs,\n"
	"                     one line each: MODULE_NAME<TAB>MOST_BYTES (maybe empty)\n"
	"  --image-dir DIR    look for program images as DIR/NAME.elf (repeatable, in order)\n"
	"  --memory SIZE      the machine's RAM (e.g. 512M) when <system> has no memory=\n"
	"  --exit-when-idle   stop the machine once every domain has ended\n";

static const char graph_help[] =
	"bhc graph MANIFEST [-o FILE.dot] [--flow A B [--except-through G]]\n"
	"          [--image-dir DIR]... [--memory SIZE]\n"
	"  Checks a Bulkhead manifest and writes the system as a Graphviz DOT graph:\n"
	"  domains grouped by role, rings, channels and shared regions as labelled edges,\n"
	"  I/O port ranges and the kernel as nodes, a title and a legend. Render it with\n"
	"  `dot -Tsvg FILE.dot -o FILE.svg` (or use `bulkhead graph`). Errors as for check.\n\n"
	"  -o FILE.dot        where to write the graph (default: standard output)\n"
	"  --flow A B         draw every shortest path from domain A to domain B in red\n"
	"  --except-through G with --flow: leave out paths that pass through domain G\n"
	"  --image-dir DIR    look for program images as DIR/NAME.elf (repeatable, in order)\n"
	"  --memory SIZE      the machine's RAM (e.g. 512M) when <system> has no memory=\n";

enum command { CMD_CHECK, CMD_COMPILE, CMD_GRAPH };

struct args {
	enum command cmd;
	const char *manifest, *out, *modules, *data_modules;
	const char *dirs[MAX_IMAGE_DIRS];
	size_t n_dirs;
	uint64_t memory;
	bool exit_when_idle;
	bool matrix;
	const char *flow_from, *flow_to, *guard; /* --flow A B, --except-through G */
};

static const char *const command_names[] = {"check", "compile", "graph"};

static int usage_error(const char *fmt, const char *what)
{
	fputs("bhc: ", stderr);
	fprintf(stderr, fmt, what);
	fputs("\n", stderr);
	fputs(usage_text, stderr);
	return EXIT_USAGE;
}

/* Returns the value of option @name at argv[*i] ("--name V" or "--name=V"), or NULL. */
static const char *option_value(int argc, char **argv, int *i, const char *name, bool *bad)
{
	size_t len = strlen(name);

	if (!argv[*i] || strncmp(argv[*i], name, len) != 0)
		return NULL;
	if (argv[*i][len] == '=')
		return argv[*i] + len + 1;
	if (argv[*i][len] != '\0')
		return NULL;
	if (*i + 1 >= argc) {
		*bad = true;
		return NULL;
	}
	return argv[++*i];
}

/* --flow A B: two values. Returns 0, or 2 after a message. */
static int parse_flow(struct args *a, int argc, char **argv, int *i)
{
	if (a->cmd == CMD_COMPILE)
		return usage_error("unknown option '%s'", argv[*i]);
	if (*i + 2 >= argc)
		return usage_error("%s needs two domain names: --flow FROM TO", argv[*i]);
	a->flow_from = argv[++*i];
	a->flow_to = argv[++*i];
	return 0;
}

/* Options of check and graph only. Returns 1 if argv[*i] is not one, else 0 or 2. */
static int parse_view_option(struct args *a, int argc, char **argv, int *i, bool *bad)
{
	const char *arg = argv[*i] ? argv[*i] : "";
	const char *v;

	if (a->cmd == CMD_COMPILE)
		return 1;
	if (strcmp(arg, "--flow") == 0)
		return parse_flow(a, argc, argv, i);
	if ((v = option_value(argc, argv, i, "--except-through", bad))) {
		a->guard = v;
		return 0;
	}
	if (a->cmd == CMD_CHECK && strcmp(arg, "--matrix") == 0) {
		a->matrix = true;
		return 0;
	}
	if (a->cmd == CMD_GRAPH && (v = option_value(argc, argv, i, "-o", bad))) {
		a->out = v;
		return 0;
	}
	return 1;
}

static int parse_compile_option(struct args *a, int argc, char **argv, int *i, bool *bad)
{
	const char *v;

	if (a->cmd != CMD_COMPILE)
		return 1;
	if ((v = option_value(argc, argv, i, "-o", bad)))
		a->out = v;
	else if ((v = option_value(argc, argv, i, "--modules", bad)))
		a->modules = v;
	else if ((v = option_value(argc, argv, i, "--data-modules", bad)))
		a->data_modules = v;
	else if (argv[*i] && strcmp(argv[*i], "--exit-when-idle") == 0)
		a->exit_when_idle = true;
	else
		return 1;
	return 0;
}

/* Returns 0 if argv[*i] was understood, 2 (after a message) if not. */
static int parse_option(struct args *a, int argc, char **argv, int *i)
{
	const char *arg = argv[*i] ? argv[*i] : "";
	bool bad = false;
	const char *v;
	int rc;

	if ((v = option_value(argc, argv, i, "--image-dir", &bad))) {
		if (a->n_dirs == MAX_IMAGE_DIRS)
			return usage_error("too many --image-dir options (at most %s)", "64");
		a->dirs[a->n_dirs++] = v;
	} else if ((v = option_value(argc, argv, i, "--memory", &bad))) {
		if (!value_size(v, &a->memory) || a->memory == 0)
			return usage_error("--memory '%s' is not a size such as 512M or 2G", v);
	} else if (!bad && (rc = parse_compile_option(a, argc, argv, i, &bad)) != 1) {
		return rc;
	} else if (!bad && (rc = parse_view_option(a, argc, argv, i, &bad)) != 1) {
		return rc;
	} else if (bad) {
		return usage_error("option %s needs a value", arg);
	} else if (arg[0] == '-' || a->manifest) {
		return usage_error(
			arg[0] == '-' ? "unknown option '%s'" : "unexpected argument '%s'", arg);
	} else {
		a->manifest = arg;
	}
	return 0;
}

static int parse_args(struct args *a, int argc, char **argv)
{
	for (int i = 2; i < argc; i++) {
		int rc = parse_option(a, argc, argv, &i);
		if (rc)
			return rc;
	}
	if (!a->manifest)
		return usage_error("%s: which manifest?", command_names[a->cmd]);
	if (a->cmd == CMD_COMPILE && (!a->out || !a->modules))
		return usage_error("%s: compile needs -o PLAN and --modules LIST", a->manifest);
	if (a->guard && !a->flow_from)
		return usage_error("--except-through %s needs --flow FROM TO", a->guard);
	return 0;
}

/* ---- after a successful compilation ---- */

static int write_outputs(const struct args *a, const struct bhc_result *r)
{
	char err[512];
	char *list = planwriter_modules(&r->l), *data = modregion_list(&r->l);
	bool ok = planwriter_write_file(a->modules, list, strlen(list), err, sizeof(err)) &&
	          (!a->data_modules ||
	           planwriter_write_file(a->data_modules, data, strlen(data), err, sizeof(err))) &&
	          planwriter_write_file(a->out, r->plan, r->plan_size, err, sizeof(err));

	free(list);
	free(data);
	if (ok)
		return EXIT_OK;
	fprintf(stderr, "bhc: %s\n", err);
	remove(a->modules);
	if (a->data_modules)
		remove(a->data_modules);
	return EXIT_INVALID;
}

/* Lists the devices of @m after a usage error, if there are any. */
static void list_devices(const struct manifest *m)
{
	bool any = false;

	for (size_t d = 0; d < m->n_domains; d++)
		for (size_t k = 0; k < m->domains[d].n_devices; k++, any = true)
			fprintf(stderr, "%s %s",
			        any ? "," : "; its devices are:", m->domains[d].devices[k].name);
}

/*
 * Looks up a domain or device named on the command line: its flow-graph node
 * (a device's comes after every domain's); a usage error lists the names there are.
 */
static int find_domain(const struct manifest *m, const char *option, const char *name, int *idx)
{
	int dev = device_find(m, name);

	*idx = manifest_find_domain(m, name);
	if (*idx < 0 && dev >= 0)
		*idx = (int)m->n_domains + dev;
	if (*idx >= 0)
		return EXIT_OK;
	fprintf(stderr, "bhc: %s: system %s has no domain '%s'; its domains are:", option, m->name,
	        name);
	for (size_t i = 0; i < m->n_domains; i++)
		fprintf(stderr, "%s %s", i ? "," : "", m->domains[i].name);
	list_devices(m);
	fputc('\n', stderr);
	return EXIT_USAGE;
}

/* Resolves --flow A B and --except-through G into @from, @to, @guard (-1 when not given). */
static int resolve_flow(const struct args *a, const struct manifest *m, int *from, int *to,
                        int *guard)
{
	int rc;

	*from = *to = *guard = -1;
	if (!a->flow_from)
		return EXIT_OK;
	if ((rc = find_domain(m, "--flow", a->flow_from, from)) ||
	    (rc = find_domain(m, "--flow", a->flow_to, to)))
		return rc;
	if (a->guard && (rc = find_domain(m, "--except-through", a->guard, guard)))
		return rc;
	if (a->guard && (*guard == *from || *guard == *to)) {
		fprintf(stderr,
		        "bhc: --except-through %s: the guard must be a third domain, not the "
		        "flow's own end\n",
		        a->guard);
		return EXIT_USAGE;
	}
	return EXIT_OK;
}

static int run_check(const struct args *a, const struct bhc_result *r)
{
	int from, to, guard, rc = resolve_flow(a, &r->m, &from, &to, &guard);
	struct matrix mx;

	if (rc)
		return rc;
	if (!a->matrix && !a->flow_from) {
		summary_print(stdout, &r->m, &r->l);
		return EXIT_OK;
	}
	matrix_build(&mx, &r->m, &r->l);
	if (a->flow_from &&
	    !flow_print(stdout, &mx, (size_t)from, (size_t)to, guard < 0 ? FLOW_NO_GUARD : guard))
		rc = EXIT_NO_FLOW;
	if (a->matrix && a->flow_from)
		fputc('\n', stdout);
	if (a->matrix)
		matrix_print(stdout, &mx, MATRIX_WIDTH);
	matrix_free(&mx);
	return rc;
}

static int run_graph(const struct args *a, const struct bhc_result *r)
{
	const struct bp_header *h = r->plan;
	struct graph_options o = {a->manifest, h->checksum, -1, -1, -1};
	char err[512] = "cannot write the graph", *text = NULL;
	size_t len = 0;
	int rc = resolve_flow(a, &r->m, &o.flow_from, &o.flow_to, &o.guard);

	if (rc)
		return rc;
	FILE *f = open_memstream(&text, &len);
	if (!f) {
		perror("bhc: open_memstream");
		return EXIT_INVALID;
	}
	graph_write_dot(f, &r->m, &r->l, &o);
	fclose(f);
	if (!a->out || strcmp(a->out, "-") == 0)
		rc = fwrite(text, 1, len, stdout) == len ? EXIT_OK : EXIT_INVALID;
	else if (!planwriter_write_file(a->out, text, len, err, sizeof(err)))
		rc = EXIT_INVALID;
	if (rc == EXIT_INVALID)
		fprintf(stderr, "bhc: %s\n", err);
	free(text);
	return rc;
}

static int run(const struct args *a)
{
	struct bhc_result r;
	struct bhc_options o = {a->manifest, a->dirs, a->n_dirs,
	                        a->memory ? a->memory : MANIFEST_DEFAULT_MEMORY,
	                        a->exit_when_idle ? BP_FLAG_EXIT_WHEN_IDLE : 0};
	int rc = EXIT_INVALID;

	memset(&r, 0, sizeof(r));
	if (!bhc_compile(&o, &r))
		diag_print(&r.diag, stderr);
	else if (a->cmd == CMD_COMPILE)
		rc = write_outputs(a, &r);
	else if (a->cmd == CMD_GRAPH)
		rc = run_graph(a, &r);
	else
		rc = run_check(a, &r);
	bhc_result_free(&r);
	return rc;
}

static bool wants_help(int argc, char **argv)
{
	for (int i = 2; i < argc; i++)
		if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0)
			return true;
	return false;
}

/* Returns the command named @name, or -1. */
static int find_command(const char *name)
{
	for (int c = 0; c < (int)(sizeof(command_names) / sizeof(command_names[0])); c++)
		if (strcmp(name, command_names[c]) == 0)
			return c;
	return -1;
}

int main(int argc, char **argv)
{
	static const char *const helps[] = {check_help, compile_help, graph_help};
	struct args a;
	int cmd = argc >= 2 ? find_command(argv[1]) : -1;

	memset(&a, 0, sizeof(a));
	if (argc >= 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
		fputs(usage_text, stdout);
		return EXIT_OK;
	}
	if (cmd < 0)
		return usage_error(argc < 2 ? "which command?%s" : "unknown command '%s'",
		                   argc < 2 ? "" : argv[1]);
	a.cmd = (enum command)cmd;
	if (wants_help(argc, argv)) {
		fputs(helps[cmd], stdout);
		return EXIT_OK;
	}
	int rc = parse_args(&a, argc, argv);
	return rc ? rc : run(&a);
}
