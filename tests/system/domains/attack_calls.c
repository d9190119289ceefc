/* attack tests: flags and hypercall numbers the kernel must cope with; each prints a verdict. */
#include <stdint.h>

#include <bh_hypercall.h>

#include "attack.h"

#define HELD (ATTACK_DF | ATTACK_AC)
#define SPIN_CHUNKS 40u
#define SPIN_ITERS 1000000ull
#define CALL_ROUNDS 2000u

/* Spins @n iterations with DF and AC set, checking at each one that they still are, so
 * that timer interrupts (and NMIs) arrive with them set. Returns the iterations left: 0
 * if they held throughout. */
static uint64_t spin_held(uint64_t n)
{
	uint64_t f;

	__asm__ volatile("pushfq\n"
	                 "orq %[held], (%%rsp)\n"
	                 "popfq\n"
	                 "1: pushfq\n"
	                 "pop %[f]\n"
	                 "and %[held], %[f]\n"
	                 "cmp %[held], %[f]\n"
	                 "jne 2f\n"
	                 "dec %[n]\n"
	                 "jnz 1b\n"
	                 "2: pushfq\n"
	                 "andq %[clear], (%%rsp)\n"
	                 "popfq\n"
	                 : [n] "+r"(n), [f] "=&r"(f)
	                 : [held] "i"(HELD), [clear] "i"(~HELD)
	                 : "cc", "memory");
	return n;
}

/* Spins in chunks; reports, never checks, how many chunks took over twice as long as the
 * fastest (each was interrupted at least once). */
static bool spin_check(const char *check)
{
	uint64_t len[SPIN_CHUNKS], fastest = ~0ull, left = 0;
	uint32_t c, slow = 0;

	for (c = 0; c < SPIN_CHUNKS && left == 0; c++) {
		uint64_t t0 = bh_rdtsc();
		left = spin_held(SPIN_ITERS);
		len[c] = bh_rdtsc() - t0;
		fastest = len[c] < fastest ? len[c] : fastest;
	}
	for (uint32_t i = 0; i < c; i++)
		slow += len[i] > 2 * fastest;
	if (left)
		verdict(check, false,
		        "DF or AC was lost in chunk %u, %llu iterations before its end", c - 1,
		        (unsigned long long)left);
	else
		verdict(check, true, "chunks=%u iterations=%llu interrupted>=%u", SPIN_CHUNKS,
		        SPIN_ITERS, slow);
	return left == 0;
}

static bool flags_tick(void)
{
	return spin_check("attack.flags_tick");
}

static bool nmi_spin(void)
{
	return spin_check("attack.nmi_spin");
}

struct call_out {
	uint64_t rax, rdx, flags;
};

/* Hypercall @nr(@a0) made with DF and AC set; returns rax, rdx and rflags right after. */
static struct call_out call_held(uint64_t nr, uint64_t a0)
{
	struct call_out o;

	__asm__ volatile("pushfq\n"
	                 "orq %[held], (%%rsp)\n"
	                 "popfq\n"
	                 "syscall\n"
	                 "pushfq\n"
	                 "pop %[f]\n"
	                 "pushfq\n"
	                 "andq %[clear], (%%rsp)\n"
	                 "popfq\n"
	                 : "+a"(nr), "=d"(o.rdx), "+D"(a0), [f] "=&r"(o.flags)
	                 : [held] "i"(HELD), [clear] "i"(~HELD)
	                 : "rcx", "r11", "cc", "memory");
	o.rax = nr;
	return o;
}

/* One call with DF and AC set: it must answer @want_err (and @want_val when @check_val)
 * and give the flags back set. Prints the verdict FAIL line and returns false if not. */
static bool call_ok(uint64_t nr, uint64_t a0, uint64_t want_err, bool check_val, uint64_t want_val)
{
	struct call_out o = call_held(nr, a0);

	if (o.rax == want_err && (!check_val || o.rdx == want_val) && (o.flags & HELD) == HELD)
		return true;
	verdict("attack.flags_call", false,
	        "call 0x%llx(0x%llx): rax=0x%llx rdx=0x%llx rflags=0x%llx; expected rax=0x%llx",
	        (unsigned long long)nr, (unsigned long long)a0, (unsigned long long)o.rax,
	        (unsigned long long)o.rdx, (unsigned long long)o.flags,
	        (unsigned long long)want_err);
	return false;
}

/* Hypercalls with DF and AC set, whose answers the kernel computes and writes: each must
 * be the answer it gives with them clear. */
static bool flags_call(void)
{
	const struct bh_info_entry *out = bh_lookup("stdout", BH_RES_RING);
	uint64_t info = 0;

	if (!out || bh_hc1(BH_HC_CAP_INFO, out->slot, &info) != BH_OK) {
		verdict("attack.flags_call", false, "no stdout ring capability to ask about");
		return false;
	}
	for (uint32_t i = 0; i < CALL_ROUNDS; i++) {
		if (!call_ok(BH_HC_NULL, 0, BH_OK, false, 0) ||
		    !call_ok(BH_HC_CAP_INFO, out->slot, BH_OK, true, info) ||
		    !call_ok(BH_HC_CAP_INFO, BH_MAX_CAPS + i, BH_ERR_BAD_SLOT, false, 0) ||
		    !call_ok(BH_HC_YIELD, 0, BH_OK, false, 0) ||
		    !call_ok(BH_HC_COUNT + i, 0, BH_ERR_BAD_CALL, false, 0))
			return false;
	}
	verdict("attack.flags_call", true, "rounds=%u calls=%u", CALL_ROUNDS, 5 * CALL_ROUNDS);
	return true;
}

/* A raw `syscall` with @rax; returns rax afterwards. */
static uint64_t raw_call(uint64_t rax)
{
	__asm__ volatile("syscall" : "+a"(rax) : : "rcx", "rdx", "r11", "memory");
	return rax;
}

/* The floor is rax == 0x7fffffff exactly (all 64 bits): it answers rax unchanged; numbers
 * that only end in 0x7fffffff are unknown hypercalls. */
static bool floor64(void)
{
	static const uint64_t near[] = {0x17fffffffull, 0xffffffff7fffffffull,
	                                0x800000007fffffffull};
	uint64_t got = raw_call(BH_HC_FLOOR);

	if (got != BH_HC_FLOOR) {
		verdict("attack.floor64", false, "the floor answered 0x%llx",
		        (unsigned long long)got);
		return false;
	}
	for (size_t i = 0; i < sizeof(near) / sizeof(near[0]); i++) {
		got = raw_call(near[i]);
		if (got != BH_ERR_BAD_CALL) {
			verdict("attack.floor64", false, "rax=0x%llx answered 0x%llx, expected %d",
			        (unsigned long long)near[i], (unsigned long long)got,
			        BH_ERR_BAD_CALL);
			return false;
		}
	}
	verdict("attack.floor64", true, "floor=0x%x near-misses=%zu", BH_HC_FLOOR,
	        sizeof(near) / sizeof(near[0]));
	return true;
}

static const struct {
	const char *name;
	bool (*run)(void);
} checks[] = {
	{"flags_tick", flags_tick},
	{"nmi_spin", nmi_spin},
	{"flags_call", flags_call},
	{"floor64", floor64},
};

int main(void)
{
	for (size_t i = 0; i < sizeof(checks) / sizeof(checks[0]); i++)
		if (strcmp(bh_name(), checks[i].name) == 0)
			return checks[i].run() ? 0 : 1;
	verdict("attack.name", false, "this image has no check named %s", bh_name());
	return 1;
}
