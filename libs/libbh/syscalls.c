/* libbh: the system calls newlib leaves undefined (names fixed by newlib, not by this file). */
#include <errno.h>
#include <fcntl.h>
#include <malloc.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/times.h>
#include <sys/wait.h>
#include <unistd.h>

#include <bh.h>

#include "bh_internal.h"

/*
 * A domain has no files, processes or clock: fds 0, 1 and 2 are character devices (stdin is
 * always at end of file; stdout and stderr go line by line to the console ring), everything
 * else fails with an errno that says so. `nm -u libc.a` lists exactly the functions below
 * (plus _jp2uc_l/_uc2jp_l and regcomp/regexec/regfree, which only unused JIS and rpmatch
 * code needs). sbrk is in bh_heap.c.
 */
#define BH_PID 1

static bool is_std_fd(int fd)
{
	return fd >= 0 && fd <= 2;
}

static int fail(int err)
{
	errno = err;
	return -1;
}

_READ_WRITE_RETURN_TYPE write(int fd, const void *buf, size_t len)
{
	if (fd != 1 && fd != 2)
		return fail(EBADF);
	bh_stdout_write(buf, len);
	return (_READ_WRITE_RETURN_TYPE)len;
}

_READ_WRITE_RETURN_TYPE read(int fd, void *buf, size_t len)
{
	(void)buf;
	(void)len;
	return is_std_fd(fd) ? 0 : fail(EBADF);
}

int close(int fd)
{
	return is_std_fd(fd) ? 0 : fail(EBADF);
}

int fstat(int fd, struct stat *st)
{
	if (!is_std_fd(fd))
		return fail(EBADF);
	*st = (struct stat){.st_mode = S_IFCHR | 0620, .st_blksize = 0};
	return 0;
}

int isatty(int fd)
{
	if (!is_std_fd(fd)) {
		errno = EBADF;
		return 0;
	}
	return 1;
}

off_t lseek(int fd, off_t off, int whence)
{
	(void)off;
	(void)whence;
	return fail(is_std_fd(fd) ? ESPIPE : EBADF);
}

int open(const char *path, int flags, ...)
{
	(void)path;
	(void)flags;
	return fail(ENOENT);
}

int fcntl(int fd, int cmd, ...)
{
	(void)cmd;
	return fail(is_std_fd(fd) ? ENOSYS : EBADF);
}

int stat(const char *restrict path, struct stat *restrict st)
{
	(void)path;
	(void)st;
	return fail(ENOENT);
}

int mkdir(const char *path, mode_t mode)
{
	(void)path;
	(void)mode;
	return fail(EROFS);
}

int link(const char *old, const char *new_path)
{
	(void)old;
	(void)new_path;
	return fail(EROFS);
}

int unlink(const char *path)
{
	(void)path;
	return fail(ENOENT);
}

pid_t getpid(void)
{
	return BH_PID;
}

int kill(pid_t pid, int sig)
{
	if (pid != BH_PID)
		return fail(ESRCH);
	if (sig == 0)
		return 0;
	bh_exit(BH_EXIT_SIGNAL + sig);
}

int sigprocmask(int how, const sigset_t *set, sigset_t *old)
{
	(void)how;
	(void)set;
	if (old)
		*old = 0;
	return 0;
}

pid_t fork(void)
{
	return fail(ENOSYS);
}

int execve(const char *path, char *const argv[], char *const envp[])
{
	(void)path;
	(void)argv;
	(void)envp;
	return fail(ENOSYS);
}

pid_t wait(int *status) /* NOLINT(readability-non-const-parameter): POSIX signature */
{
	(void)status;
	return fail(ECHILD);
}

/* No wall clock and no tick: a domain times itself with bh_rdtsc(). */
clock_t times(struct tms *t)
{
	(void)t;
	return (clock_t)fail(ENOSYS);
}

int gettimeofday(struct timeval *restrict tv, void *restrict tz)
{
	(void)tv;
	(void)tz;
	return fail(ENOSYS);
}

/* No entropy source yet: arc4random() then kills the domain instead of using weak bytes. */
int getentropy(void *buf, size_t len)
{
	(void)buf;
	(void)len;
	return fail(ENOSYS);
}

int posix_memalign(void **out, size_t align, size_t size)
{
	if (align < sizeof(void *) || (align & (align - 1)) != 0)
		return EINVAL;
	void *p = memalign(align, size);
	if (!p)
		return ENOMEM;
	*out = p;
	return 0;
}

void _exit(int code)
{
	bh_exit(code);
}
