/* bhc: command line of the manifest compiler (check a manifest, or compile it to a boot plan). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bulkhead/abi/plan.h>

#include "bhc.h"
#include "planwriter.h"
#include "summary.h"
#include "value.h"

#define MAX_IMAGE_DIRS 64

static const char usage_text[] =
	"usage: bhc check MANIFEST [--image-dir DIR]... [--memory SIZE]\n"
	"       bhc compile MANIFEST -o PLAN --modules LIST [--image-dir DIR]... [--memory SIZE]\n"
	"                   [--exit-when-idle]\n"
	"       bhc --help | bhc check --help | bhc compile --help\n";

static const char check_help[] =
	"bhc check MANIFEST [--image-dir DIR]... [--memory SIZE]\n"
	"  Checks a Bulkhead manifest and prints a summary: each domain's priority,\n"
	"  budget, memory, maps, channels, rings and ioports, then who can signal whom.\n"
	"  Errors go to stderr as FILE:LINE: error: MESSAGE; the exit status is 1.\n\n"
	"  --image-dir DIR  look for program images as DIR/NAME.elf (repeatable, in order)\n"
	"  --memory SIZE    the machine's RAM (e.g. 512M) when <system> has no memory=;\n"
	"                   default 512M\n";

static const char compile_help[] =
	"bhc compile MANIFEST -o PLAN --modules LIST [--image-dir DIR]... [--memory SIZE]\n"
	"            [--exit-when-idle]\n"
	"  Compiles a Bulkhead manifest into a boot plan (PLAN) and writes LIST, one line\n"
	"  per distinct image: MODULE_NAME<TAB>ABSOLUTE_PATH. Nothing is written when the\n"
	"  manifest has errors (FILE:LINE: error: MESSAGE on stderr, exit status 1).\n\n"
	"  -o PLAN            where to write the boot plan\n"
	"  --modules LIST     where to write the module list\n"
	"  --image-dir DIR    look for program images as DIR/NAME.elf (repeatable, in order)\n"
	"  --memory SIZE      the machine's RAM (e.g. 512M) when <system> has no memory=\n"
	"  --exit-when-idle   stop the machine once every domain has ended\n";

struct args {
	bool compile;
	const char *manifest, *out, *modules;
	const char *dirs[MAX_IMAGE_DIRS];
	size_t n_dirs;
	uint64_t memory;
	bool exit_when_idle;
};

static int usage_error(const char *fmt, const char *what)
{
	fputs("bhc: ", stderr);
	fprintf(stderr, fmt, what);
	fputs("\n", stderr);
	fputs(usage_text, stderr);
	return 2;
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

/* Returns 0 if argv[*i] was understood, 2 (after a message) if not. */
static int parse_option(struct args *a, int argc, char **argv, int *i)
{
	const char *arg = argv[*i] ? argv[*i] : "";
	bool bad = false;
	const char *v;

	if ((v = option_value(argc, argv, i, "--image-dir", &bad))) {
		if (a->n_dirs == MAX_IMAGE_DIRS)
			return usage_error("too many --image-dir options (at most %s)", "64");
		a->dirs[a->n_dirs++] = v;
	} else if ((v = option_value(argc, argv, i, "--memory", &bad))) {
		if (!value_size(v, &a->memory) || a->memory == 0)
			return usage_error("--memory '%s' is not a size such as 512M or 2G", v);
	} else if (a->compile && (v = option_value(argc, argv, i, "-o", &bad))) {
		a->out = v;
	} else if (a->compile && (v = option_value(argc, argv, i, "--modules", &bad))) {
		a->modules = v;
	} else if (a->compile && strcmp(arg, "--exit-when-idle") == 0) {
		a->exit_when_idle = true;
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
		return usage_error("%s: which manifest?", a->compile ? "compile" : "check");
	if (a->compile && (!a->out || !a->modules))
		return usage_error("%s: compile needs -o PLAN and --modules LIST", a->manifest);
	return 0;
}

static int write_outputs(const struct args *a, const struct bhc_result *r)
{
	char err[512];
	char *list = planwriter_modules(&r->l);
	bool ok = planwriter_write_file(a->modules, list, strlen(list), err, sizeof(err)) &&
	          planwriter_write_file(a->out, r->plan, r->plan_size, err, sizeof(err));

	free(list);
	if (ok)
		return 0;
	fprintf(stderr, "bhc: %s\n", err);
	remove(a->modules);
	return 1;
}

static int run(const struct args *a)
{
	struct bhc_result r;
	struct bhc_options o = {a->manifest, a->dirs, a->n_dirs,
	                        a->memory ? a->memory : MANIFEST_DEFAULT_MEMORY,
	                        a->exit_when_idle ? BP_FLAG_EXIT_WHEN_IDLE : 0};
	int rc = 1;

	memset(&r, 0, sizeof(r));
	if (bhc_compile(&o, &r))
		rc = a->compile ? write_outputs(a, &r) : 0;
	else
		diag_print(&r.diag, stderr);
	if (rc == 0 && !a->compile)
		summary_print(stdout, &r.m, &r.l);
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

int main(int argc, char **argv)
{
	struct args a;

	memset(&a, 0, sizeof(a));
	if (argc >= 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
		fputs(usage_text, stdout);
		return 0;
	}
	if (argc < 2 || (strcmp(argv[1], "check") != 0 && strcmp(argv[1], "compile") != 0))
		return usage_error(argc < 2 ? "which command?%s" : "unknown command '%s'",
		                   argc < 2 ? "" : argv[1]);
	a.compile = strcmp(argv[1], "compile") == 0;
	if (wants_help(argc, argv)) {
		fputs(a.compile ? compile_help : check_help, stdout);
		return 0;
	}
	int rc = parse_args(&a, argc, argv);
	return rc ? rc : run(&a);
}
