/* libtls: the glibc symbols Debian's libbearssl.a needs, for domains on newlib. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <bh.h>

#include "libtls.h"

/*
 * Debian builds BearSSL with the stack protector and _FORTIFY_SOURCE, against glibc. Its
 * objects therefore call __stack_chk_fail, the __*_chk copies (each given the size of its
 * destination when the compiler knew it), __errno_location and time. A check that fails
 * stops the domain at once, as glibc's abort would: nothing after an overflow can be
 * trusted. (open, read and close, which BearSSL's system seeder uses, are libbh's: open
 * fails, so the seeder finds nothing and libtls's own entropy is the only one.) These are
 * the names glibc gives them, so they break the project's naming rule on purpose.
 */

/* glibc declares these in its own headers; newlib does not. */
__attribute__((noreturn)) void __stack_chk_fail(void);
int *__errno_location(void);

/* Prints why and stops the domain (SIGABRT's exit code, as abort() gives). */
__attribute__((noreturn)) static void stop(const char *what)
{
	bh_say("tls: %s: stopping", what);
	bh_exit(BH_EXIT_SIGNAL + 6);
}

/** BearSSL's stack protector found its canary changed. Returns: never. */
__attribute__((noreturn)) void __stack_chk_fail(void)
{
	stop("stack smashing detected");
}

/** memcpy of @len bytes into a destination of @dstlen. Returns: @dst; stops on overflow. */
void *__memcpy_chk(void *dst, const void *src, size_t len, size_t dstlen)
{
	if (len > dstlen)
		stop("buffer overflow in memcpy");
	return memcpy(dst, src, len);
}

/** memmove of @len bytes into a destination of @dstlen. Returns: @dst; stops on overflow. */
void *__memmove_chk(void *dst, const void *src, size_t len, size_t dstlen)
{
	if (len > dstlen)
		stop("buffer overflow in memmove");
	return memmove(dst, src, len);
}

/** memset of @len bytes of a destination of @dstlen. Returns: @dst; stops on overflow. */
void *__memset_chk(void *dst, int c, size_t len, size_t dstlen)
{
	if (len > dstlen)
		stop("buffer overflow in memset");
	return memset(dst, c, len);
}

/** glibc's errno: newlib's. Returns: the address of errno. */
int *__errno_location(void)
{
	return &errno;
}

/** The wall clock (tls_wall_time), also in *@out if not NULL. Returns: it, or -1 without. */
time_t time(time_t *out)
{
	uint64_t now = tls_wall_time();
	time_t t = now ? (time_t)now : (time_t)-1;

	if (out)
		*out = t;
	return t;
}
