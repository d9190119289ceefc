/* Manifest test of the bhc command line: usage, check's summary, compile's files, no half-writes. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <kernel/plan.h>

#include "run_bhc.h"
#include "test_util.h"

/* What one run of bhc printed and returned. */
struct run {
	int status;
	char out[16384];
	char err[16384];
};

static void slurp(const char *path, char *buf, size_t len)
{
	FILE *f = fopen(path, "r");
	size_t n = f ? fread(buf, 1, len - 1, f) : 0;

	buf[n] = '\0';
	if (f)
		fclose(f);
}

/* Runs bhc with the NULL-terminated arguments @args (after argv[0]). */
static void run_bhc(struct run *r, const char *const *args)
{
	r->status = run_bhc_exec(test_env.bhc, test_env.tmp, args, r->out, sizeof(r->out), r->err,
	                         sizeof(r->err));
}

static bool exists(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0;
}

static const char *demo(void)
{
	static char path[PATH_MAX + 16];

	snprintf(path, sizeof(path), "%s/demo.xml", test_env.manifests);
	return path;
}

void test_cli_usage(void **state)
{
	static struct run r;

	(void)state;
	run_bhc(&r, (const char *const[]){"--help", NULL});
	assert_int_equal(r.status, 0);
	assert_non_null(strstr(r.out, "usage: bhc check"));
	run_bhc(&r, (const char *const[]){"compile", "--help", NULL});
	assert_int_equal(r.status, 0);
	assert_non_null(strstr(r.out, "--modules LIST"));
	run_bhc(&r, (const char *const[]){"check", "--help", NULL});
	assert_int_equal(r.status, 0);
	run_bhc(&r, (const char *const[]){NULL});
	assert_int_equal(r.status, 2);
	assert_non_null(strstr(r.err, "usage:"));
	run_bhc(&r, (const char *const[]){"frob", NULL});
	assert_int_equal(r.status, 2);
	run_bhc(&r, (const char *const[]){"check", NULL});
	assert_int_equal(r.status, 2);
	run_bhc(&r, (const char *const[]){"check", "a.xml", "b.xml", NULL});
	assert_int_equal(r.status, 2);
	run_bhc(&r, (const char *const[]){"check", "a.xml", "--bogus", NULL});
	assert_int_equal(r.status, 2);
	run_bhc(&r, (const char *const[]){"check", "a.xml", "--memory", "lots", NULL});
	assert_int_equal(r.status, 2);
	run_bhc(&r, (const char *const[]){"check", "a.xml", "--image-dir", NULL});
	assert_int_equal(r.status, 2);
	run_bhc(&r, (const char *const[]){"compile", "a.xml", "-o", "x.plan", NULL});
	assert_int_equal(r.status, 2);
	run_bhc(&r, (const char *const[]){"check", "a.xml", "--exit-when-idle", NULL});
	assert_int_equal(r.status, 2);
}

void test_cli_check(void **state)
{
	static struct run r;

	(void)state;
	run_bhc(&r, (const char *const[]){"check", demo(), "--image-dir", "/nonexistent",
	                                  "--image-dir", test_env.images, NULL});
	assert_int_equal(r.status, 0);
	assert_string_equal(r.err, "");
	assert_non_null(
		strstr(r.out, "domain ping (image ping): priority 100, budget 2ms per 10ms"));
	assert_non_null(strstr(r.out, "  map shared rw at 0x40000000 (64 KiB), slot 3"));
	assert_non_null(strstr(r.out, "  channel pp: id 1, peer pong, may signal, slot 0"));
	assert_non_null(strstr(r.out, "  ring log: client, peer console, 16 KiB"));
	assert_non_null(strstr(r.out, "  ioport 0x3f8..0x3ff (8 ports), slot 4"));
	assert_non_null(strstr(r.out, "who can signal whom:\n"));
	assert_non_null(strstr(r.out, "  ping -> pong (channel pp)\n"));
	assert_non_null(strstr(r.out, "  kernel -> console (klog)\n"));
	/* Without the image directory the images are missing: errors, exit 1, no summary. */
	run_bhc(&r, (const char *const[]){"check", demo(), NULL});
	assert_int_equal(r.status, 1);
	assert_string_equal(r.out, "");
	assert_non_null(strstr(r.err, "demo.xml:17: error: image 'console' of domain 'console' "
	                              "not found"));
	/* --memory applies only when <system> has no memory= (demo has 512M). */
	run_bhc(&r, (const char *const[]){"check", demo(), "--image-dir", test_env.images,
	                                  "--memory", "16M", NULL});
	assert_int_equal(r.status, 0);
}

void test_cli_compile(void **state)
{
	static struct run r;
	char plan[PATH_MAX + 16], mods[PATH_MAX + 16], want[4 * PATH_MAX + 128], why[256];
	static char buf[1 << 20];

	(void)state;
	snprintf(plan, sizeof(plan), "%s/out.plan", test_env.tmp);
	snprintf(mods, sizeof(mods), "%s/out.modules", test_env.tmp);
	run_bhc(&r,
	        (const char *const[]){"compile", demo(), "-o", plan, "--modules", mods,
	                              "--image-dir", test_env.images, "--exit-when-idle", NULL});
	assert_int_equal(r.status, 0);
	FILE *f = fopen(plan, "rb");
	assert_non_null(f);
	size_t n = fread(buf, 1, sizeof(buf), f);
	fclose(f);
	if (plan_check(buf, n, why, sizeof(why)) != PLAN_OK)
		fail_msg("the written plan is refused: %s", why);
	assert_int_equal(((const struct bp_header *)buf)->flags, BP_FLAG_EXIT_WHEN_IDLE);
	slurp(mods, buf, sizeof(buf));
	snprintf(want, sizeof(want),
	         "console\t%s/console.elf\nping\t%s/ping.elf\n"
	         "pong\t%s/pong.elf\nfaulty\t%s/faulty.elf\n",
	         test_env.images, test_env.images, test_env.images, test_env.images);
	assert_string_equal(buf, want);
}

void test_cli_compile_error_writes_nothing(void **state)
{
	static struct run r;
	char plan[PATH_MAX + 16], mods[PATH_MAX + 16], bad[PATH_MAX + 16];

	(void)state;
	snprintf(plan, sizeof(plan), "%s/bad.plan", test_env.tmp);
	snprintf(mods, sizeof(mods), "%s/bad.modules", test_env.tmp);
	snprintf(bad, sizeof(bad), "%s/invalid/perms-rwx.xml", test_env.corpus);
	run_bhc(&r, (const char *const[]){"compile", bad, "-o", plan, "--modules", mods,
	                                  "--image-dir", test_env.images, NULL});
	assert_int_equal(r.status, 1);
	assert_non_null(strstr(r.err, "perms-rwx.xml:"));
	assert_false(exists(plan));
	assert_false(exists(mods));
	/* An unwritable destination: exit 1, and no module list left behind. */
	run_bhc(&r, (const char *const[]){"compile", demo(), "-o", "/nonexistent/dir/x.plan",
	                                  "--modules", mods, "--image-dir", test_env.images, NULL});
	assert_int_equal(r.status, 1);
	assert_non_null(strstr(r.err, "cannot write /nonexistent/dir/x.plan"));
	assert_false(exists(mods));
}

void test_cli_compile_through_symlink(void **state)
{
	static struct run r;
	char plan[PATH_MAX + 16], mods[PATH_MAX + 16], link_path[PATH_MAX + 16];
	static char buf[1 << 16];
	struct stat st;

	(void)state;
	/* An output that is a symlink (as /dev/stdout is) or a device (as
	 * /dev/null is) is written through, never replaced by a rename. Only
	 * the symlink is tried here: a regression must not replace a device. */
	snprintf(plan, sizeof(plan), "%s/link.plan", test_env.tmp);
	snprintf(mods, sizeof(mods), "%s/link.target", test_env.tmp);
	snprintf(link_path, sizeof(link_path), "%s/link.modules", test_env.tmp);
	unlink(link_path);
	assert_int_equal(symlink(mods, link_path), 0);
	run_bhc(&r, (const char *const[]){"compile", demo(), "-o", plan, "--modules", link_path,
	                                  "--image-dir", test_env.images, NULL});
	assert_int_equal(r.status, 0);
	assert_int_equal(lstat(link_path, &st), 0);
	assert_true(S_ISLNK(st.st_mode));
	slurp(mods, buf, sizeof(buf));
	assert_non_null(strstr(buf, "console\t"));
}
