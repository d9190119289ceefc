/* attack tests: one image holds many attacks, and the domain's name picks the one it runs. */
#ifndef TESTS_ATTACK_H
#define TESTS_ATTACK_H

#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "verdict.h"

/*
 * An attack the kernel must answer by stopping the domain. It runs in a domain named
 * after it; the test's expect file waits for `bulkhead: domain NAME stopped: ...`.
 */
struct attack {
	const char *name;  /* the domain's name; the verdict is attack.NAME */
	void (*run)(void); /* returns only if the kernel let the attack through */
};

/*
 * Runs the attack of @list (@n entries) named like this domain: prints
 * `TEST attack.NAME ARMED`, runs it, and if the domain is still alive after it prints
 * `TEST attack.NAME FAIL` (the harness rejects that line). Returns the exit code.
 */
static inline int attack_main(const struct attack *list, size_t n)
{
	char check[64];

	for (size_t i = 0; i < n; i++) {
		if (strcmp(bh_name(), list[i].name) != 0)
			continue;
		snprintf(check, sizeof(check), "attack.%s", list[i].name);
		say("TEST %s ARMED\n", check);
		list[i].run();
		verdict(check, false, "the domain survived the attack");
		return 1;
	}
	verdict("attack.name", false, "this image has no attack named %s", bh_name());
	return 1;
}

/* rflags bits the attacks set. */
#define ATTACK_TF 0x100ull
#define ATTACK_DF 0x400ull
#define ATTACK_AC 0x40000ull

#endif
