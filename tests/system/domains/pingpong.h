/* pingpong test: what the initiator and the responder share. */
#ifndef PINGPONG_H
#define PINGPONG_H

#include <bh.h>

#include "verdict.h"

/* The build sets these per executable (the hostile test's witness pair runs fewer rounds). */
#ifndef PP_ROUNDS
#define PP_ROUNDS 100000u
#endif
#ifndef PP_TEST
#define PP_TEST "pingpong"
#endif

/* Opens channel "pp" into @ch, or reports @check as failed and returns false. */
static inline bool pp_open(const char *check, struct bh_channel *ch)
{
	if (bh_channel_open("pp", ch))
		return true;
	verdict(check, false, "no channel \"pp\" in the manifest");
	return false;
}

/* Reports @check failed at @what number @n: the error and the bits a wait returned. */
static inline void pp_fail(const char *check, const char *what, uint32_t n, enum bh_err err,
                           uint64_t bits, uint64_t want)
{
	verdict(check, false, "%s %u: err=%d bits=0x%llx expected 0x%llx", what, n, (int)err,
	        (unsigned long long)bits, (unsigned long long)want);
}

#endif
