/* Host-test helper: runs the bhc executable as a child and captures its output. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

/* cmocka needs the headers above first. */
#include <cmocka.h>

#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>

#include "run_bhc.h"

static void slurp(const char *path, char *buf, size_t len)
{
	FILE *f = fopen(path, "r");
	size_t n = f ? fread(buf, 1, len - 1, f) : 0;

	buf[n] = '\0';
	if (f)
		fclose(f);
}

static void redirect(int fd, const char *path)
{
	int f = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);

	if (f < 0 || dup2(f, fd) < 0)
		_exit(127);
	close(f);
}

int run_bhc_exec(const char *bhc, const char *tmp, const char *const *args, char *out,
                 size_t out_len, char *err, size_t err_len)
{
	char out_path[PATH_MAX + 16], err_path[PATH_MAX + 16];
	const char *argv[RUN_BHC_MAX_ARGS + 2] = {bhc};
	size_t n = 1;

	for (; args[n - 1] && n <= RUN_BHC_MAX_ARGS; n++)
		argv[n] = args[n - 1];
	argv[n] = NULL;
	snprintf(out_path, sizeof(out_path), "%s/bhc.out", tmp);
	snprintf(err_path, sizeof(err_path), "%s/bhc.err", tmp);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		redirect(1, out_path);
		redirect(2, err_path);
		execv(bhc, (char *const *)argv);
		_exit(127);
	}
	int status = 0;
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	slurp(out_path, out, out_len);
	slurp(err_path, err, err_len);
	return WEXITSTATUS(status);
}
