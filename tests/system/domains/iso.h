/* isolation test: what every faulting domain does before its fault. */
#ifndef TESTS_ISO_H
#define TESTS_ISO_H

#include <bh.h>

#include "verdict.h"

/*
 * Prints `TEST isolation.@kind ARMED`, then signals the witness on channel
 * "witness" so that it knows this fault is about to happen. The witness runs at a
 * lower priority, so it cannot run before this domain faults and stops.
 */
static inline void iso_arm(const char *kind)
{
	struct bh_channel w;

	say("TEST isolation.%s ARMED\n", kind);
	if (!bh_channel_open("witness", &w))
		say("no channel \"witness\" in the manifest: the witness will wait forever\n");
	else
		bh_signal(w.slot);
}

/* Reached only if the fault did not stop this domain. */
static inline int iso_survived(const char *kind)
{
	char name[64];

	snprintf(name, sizeof(name), "isolation.%s", kind);
	verdict(name, false, "the domain survived its fault");
	return 1;
}

#endif
