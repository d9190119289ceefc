/* state test: two domains that share nothing load CPU state, switch, and check it is theirs. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "state_cross_asm.h"
#include "verdict.h"

/*
 * The same image runs as "sender" (role 0) and "receiver" (role 1), at one priority, with
 * nothing shared (the manifest's <no-flow> says so). Each round, each role loads values
 * of its own into everything ring 3 can write and yields to the other; after the switch
 * back it reads everything again. Its own values must be there and none of the other
 * role's: every value carries the role's mark, and both roles know both marks. A second
 * phase holds the state in a loop across timer preemptions. One verdict per item.
 */
#define ST_ROUNDS 5000u  /* yield rounds: a switch to the other role and back each */
#define ST_CHUNKS 64u    /* spin phase: loops that hold the state through timer ticks */
#define ST_SPINS 100000u /* iterations of one loop */
#define ST_MARKER 0x6d61726b65723031ull /* the word fs: and gs: must read ("marker01") */

static const uint64_t role_mark[2] = {0x53454e44u /* "SEND" */, 0x52454356u /* "RECV" */};

/* rflags bits ring 3 can set with popfq, without trapping (TF would). */
#define FL_CF 0x1ull
#define FL_PF 0x4ull
#define FL_AF 0x10ull
#define FL_ZF 0x40ull
#define FL_SF 0x80ull
#define FL_DF 0x400ull
#define FL_OF 0x800ull
#define FL_NT 0x4000ull
#define FL_AC 0x40000ull
#define FL_ID 0x200000ull
#define FL_FIXED 0x202ull /* bit 1 and IF */

/* Data selectors ring 3 can load besides 0: null with RPL 1-3, then the user code32, data
 * and code64 descriptors with every RPL. */
#define ST_NSEL 15u
#define ST_NNULL 3u
static const uint16_t selectors[ST_NSEL] = {0x1,  0x2,  0x3,  0x18, 0x19, 0x1a, 0x1b, 0x20,
                                            0x21, 0x22, 0x23, 0x28, 0x29, 0x2a, 0x2b};

static const char *const gpr_names[ST_NGPR] = {"rax", "rcx", "rdx", "rbx", "rsp", "rbp",
                                               "rsi", "rdi", "r8",  "r9",  "r10", "r11",
                                               "r12", "r13", "r14", "r15"};
static const char *const sel_names[4] = {"ds", "es", "fs", "gs"};

/* The checked items, in verdict order. */
enum item {
	I_GPR,
	I_RFLAGS,
	I_X87,
	I_X87_PTR,
	I_SSE,
	I_MXCSR,
	I_SEGMENTS,
	I_FSGS_BASE,
	I_TSC_AUX,
	I_AVX_OFF,
	I_PKRU_OFF,
	I_PREEMPT,
	I_COUNT
};
static const char *const item_names[I_COUNT] = {
	"state.gpr",     "state.rflags",  "state.x87",      "state.x87_pointers",
	"state.sse",     "state.mxcsr",   "state.segments", "state.fsgs_base",
	"state.tsc_aux", "state.avx_off", "state.pkru_off", "state.preempt"};

static uint32_t bad[I_COUNT];     /* rounds that failed each item */
static char first[I_COUNT][120];  /* what the first failure saw */
static struct st_round round_buf; /* static: 16-byte aligned, zeroed */
static volatile uint64_t probe_word = ST_MARKER;
static int role;

/* Counts a failure of @it and keeps the first description. */
__attribute__((format(printf, 2, 3))) static void fail(enum item it, const char *fmt, ...)
{
	va_list ap;

	if (bad[it]++)
		return;
	va_start(ap, fmt);
	vsnprintf(first[it], sizeof(first[it]), fmt, ap);
	va_end(ap);
}

struct cpuid_regs {
	uint32_t a, b, c, d;
};

static struct cpuid_regs cpuid(uint32_t leaf, uint32_t sub)
{
	struct cpuid_regs r;

	__asm__ volatile("cpuid"
	                 : "=a"(r.a), "=b"(r.b), "=c"(r.c), "=d"(r.d)
	                 : "a"(leaf), "c"(sub));
	return r;
}

/* The value role @who gives register @reg in round @n: its mark above, then reg and n. */
static uint64_t gpr_value(int who, int reg, uint32_t n, uint32_t phase)
{
	return role_mark[who] << 32 | (uint64_t)(phase << 28 | (uint32_t)reg << 20 | (n & 0xfffff));
}

static uint64_t flags_value(int who, uint32_t n)
{
	uint64_t f = FL_FIXED |
	             (who ? FL_PF | FL_AF | FL_SF : FL_CF | FL_ZF | FL_OF | FL_NT | FL_ID);

	return (n & 1) ? f | FL_DF | FL_AC : f;
}

/* Selector @k (ds, es, fs, gs) of role @who in round @n; non-null ones only if @nonnull. */
static uint16_t sel_value(int who, uint32_t n, int k, bool nonnull)
{
	uint32_t i = n * (2u * (uint32_t)k + 1u) + 5u * (uint32_t)who + 3u * (uint32_t)k;

	return nonnull ? selectors[ST_NNULL + i % (ST_NSEL - ST_NNULL)] : selectors[i % ST_NSEL];
}

/* Whether selector @got is @own as the CPU returns it: a null selector may come back as 0
 * (returning to ring 3, iretq clears a data segment register whose descriptor is null). */
static bool sel_is_own(uint64_t got, uint64_t own)
{
	return got == own || ((own & ~3ull) == 0 && got == 0);
}

/* FXSAVE's 64-bit layout. */
#define FX_FOP 6
#define FX_FIP 8
#define FX_FDP 16
#define FX_MXCSR 24
#define FX_MXCSR_MASK 28
#define FX_ST 32   /* ST0-7, 16 bytes apart, 10 used */
#define FX_XMM 160 /* XMM0-15, 16 bytes each */

/* Where ST(@i) and XMM(@i) lie in an FXSAVE image. */
static size_t st_at(size_t i)
{
	return FX_ST + 16 * i;
}

static size_t xmm_at(size_t i)
{
	return FX_XMM + 16 * i;
}

static uint32_t mxcsr_mask;
static uint32_t ptr_kept; /* rounds whose FIP/FDP/FOP came back unchanged */
static bool ptr_recorded; /* the CPU records our x87 instruction's FIP at all */

static void put16(uint8_t *p, uint32_t v)
{
	uint16_t x = (uint16_t)v;
	memcpy(p, &x, sizeof(x));
}

static void put64(uint8_t *p, uint64_t v)
{
	memcpy(p, &v, sizeof(v));
}

static uint64_t get64(const uint8_t *p)
{
	uint64_t v;
	memcpy(&v, p, sizeof(v));
	return v;
}

static uint32_t get32(const uint8_t *p)
{
	uint32_t v;
	memcpy(&v, p, sizeof(v));
	return v;
}

static uint64_t own_fip(int who)
{
	return (uint64_t)(who ? state_cross_mark1 : state_cross_mark0);
}

static uint64_t own_fdp(int who)
{
	return (uint64_t)(who ? state_cross_data1 : state_cross_data0);
}

/* Saves the state the C code runs with, and the role's marker. */
static void fx_setup(struct st_round *r)
{
	__asm__ volatile("fxsave64 %0" : "=m"(r->fx_clean));
	mxcsr_mask = get32(r->fx_clean + FX_MXCSR_MASK);
	mxcsr_mask = mxcsr_mask ? mxcsr_mask : 0xffbfu;
	r->mark = role ? state_cross_mark1 : state_cross_mark0;
	r->probe = (uint64_t)&probe_word;
}

/* MXCSR of a role: every exception masked (the C code between rounds computes); the
 * sender sets FZ, round-to-zero and every flag, the receiver varies RC, DAZ and flags. */
static uint32_t mxcsr_value(uint32_t n)
{
	uint32_t v = role ? 0x1f80u | (n & 3u) << 13 | (n & 0x3fu) | ((n & 4u) ? 0x40u : 0u) :
	                    0xffbfu;
	return v & mxcsr_mask;
}

/* The x87 control, status and tag words, and pointers, of a role in round @n. All x87
 * exceptions stay masked and ES clear, so no #MF is pending. */
static void fx_fill_x87(uint8_t *img, uint32_t n)
{
	uint32_t who = (uint32_t)role;

	put16(img + 0, 0x7fu | ((n + who) & 3u) << 8 | ((n / 4 + 2 * who) & 3u) << 10);
	put16(img + 2, (role ? 0x4215u : 0x052au) | (n & 7u) << 11);
	img[4] = role ? 0x7e : 0xe7;
	put16(img + FX_FOP, role ? 0x1aau : 0x2bbu);
	put64(img + FX_FIP, role_mark[role] << 32 | 0xf1f1u);
	put64(img + FX_FDP, role_mark[role] << 32 | 0xd1d1u);
	for (uint32_t i = 0; i < 8; i++) {
		put64(img + st_at((size_t)i), role_mark[role] << 32 | i << 24 | (n & 0xffffffu));
		put16(img + st_at((size_t)i) + 8, (role ? 0x4a00u : 0x3d00u) | i);
	}
}

/* The FXSAVE image role loads in round @n: x87, MXCSR and XMM0-15 all its own. */
static void fx_fill(uint8_t *img, const uint8_t *clean, uint32_t n)
{
	memcpy(img, clean, 512);
	fx_fill_x87(img, n);
	put64(img + FX_MXCSR, mxcsr_value(n) | (uint64_t)get32(clean + FX_MXCSR_MASK) << 32);
	for (uint32_t i = 0; i < 16; i++) {
		uint64_t v = role_mark[role] << 32 | (0x80u + i) << 24 | (n & 0xffffffu);
		put64(img + xmm_at((size_t)i), v);
		put64(img + xmm_at((size_t)i) + 8, ~v);
	}
}

static const char *whose(uint64_t v)
{
	return v >> 32 == role_mark[!role] ? " (the other domain's)" : "";
}

/* FIP, FDP, FOP after the switch: never the other role's instruction or data address. A
 * kernel may scrub them (AMD's FXSAVE does not save them unless an exception is pending),
 * so our own values need not come back. */
static void fx_check_ptr(const uint8_t *before, const uint8_t *after, uint32_t n)
{
	uint64_t fip = get64(after + FX_FIP), fdp = get64(after + FX_FDP);
	uint32_t fop = get32(after + FX_FOP) & 0x7ffu;
	int other = !role;

	if (fip == own_fip(other) || fdp == own_fdp(other) || fip >> 32 == role_mark[other] ||
	    fdp >> 32 == role_mark[other])
		fail(I_X87_PTR, "round %u: fip=0x%llx fdp=0x%llx fop=0x%x: the other domain's", n,
		     (unsigned long long)fip, (unsigned long long)fdp, fop);
	ptr_kept += memcmp(before + FX_FOP, after + FX_FOP, 18) == 0;
	if (n == 0)
		ptr_recorded = get64(before + FX_FIP) == own_fip(role);
}

static const char *fx_ptr_summary(void)
{
	static char s[64];

	snprintf(s, sizeof(s), "recorded=%s kept=%u", ptr_recorded ? "yes" : "no", ptr_kept);
	return s;
}

/* Everything FXSAVE holds, before against after the switch. */
static void fx_check(const uint8_t *before, const uint8_t *after, uint32_t n)
{
	if (memcmp(before, after, 6) != 0)
		fail(I_X87, "round %u: fcw/fsw/ftw 0x%llx, mine 0x%llx", n,
		     (unsigned long long)(get64(after) & 0xffffffffffffull),
		     (unsigned long long)(get64(before) & 0xffffffffffffull));
	for (int i = 0; i < 8; i++)
		if (memcmp(before + st_at((size_t)i), after + st_at((size_t)i), 10) != 0)
			fail(I_X87, "round %u: st%d mantissa 0x%llx%s, mine 0x%llx", n, i,
			     (unsigned long long)get64(after + st_at((size_t)i)),
			     whose(get64(after + st_at((size_t)i))),
			     (unsigned long long)get64(before + st_at((size_t)i)));
	fx_check_ptr(before, after, n);
	if (get32(before + FX_MXCSR) != get32(after + FX_MXCSR))
		fail(I_MXCSR, "round %u: mxcsr=0x%x, mine 0x%x", n, get32(after + FX_MXCSR),
		     get32(before + FX_MXCSR));
	for (int i = 0; i < 16; i++)
		if (memcmp(before + xmm_at((size_t)i), after + xmm_at((size_t)i), 16) != 0)
			fail(I_SSE, "round %u: xmm%d low 0x%llx%s, mine 0x%llx", n, i,
			     (unsigned long long)get64(after + xmm_at((size_t)i)),
			     whose(get64(after + xmm_at((size_t)i))),
			     (unsigned long long)get64(before + xmm_at((size_t)i)));
}

/* The general registers after a yield: the preserved ones exactly ours, rax BH_OK, and the
 * clobbered ones (rcx, rdx, r11) without the other role's mark. */
static void check_gprs(const struct st_regs *in, const struct st_regs *out, uint32_t n)
{
	for (int i = 0; i < ST_NGPR; i++) {
		bool clobbered = i == 0 || i == 1 || i == 2 || i == 11;
		if (i == 4)
			continue;
		if (out->gpr[i] >> 32 == role_mark[!role])
			fail(I_GPR, "round %u: %s=0x%llx holds the other domain's value", n,
			     gpr_names[i], (unsigned long long)out->gpr[i]);
		else if (!clobbered && out->gpr[i] != in->gpr[i])
			fail(I_GPR, "round %u: %s=0x%llx, mine 0x%llx", n, gpr_names[i],
			     (unsigned long long)out->gpr[i], (unsigned long long)in->gpr[i]);
	}
	if (out->gpr[0] != BH_OK)
		fail(I_GPR, "round %u: yield returned rax=0x%llx", n,
		     (unsigned long long)out->gpr[0]);
}

/* rflags, selectors and the fs/gs bases after a yield or a spin. */
static void check_flags_segs(const struct st_regs *out, uint64_t flags, const uint64_t *sel,
                             uint64_t flags_mask, uint32_t n)
{
	if ((out->flags & flags_mask) != (flags & flags_mask))
		fail(I_RFLAGS, "round %u: rflags=0x%llx, mine 0x%llx", n,
		     (unsigned long long)out->flags, (unsigned long long)flags);
	for (int k = 0; k < 4; k++)
		if (!sel_is_own(out->sel[k], sel[k]))
			fail(I_SEGMENTS, "round %u: %s=0x%llx, mine 0x%llx", n, sel_names[k],
			     (unsigned long long)out->sel[k], (unsigned long long)sel[k]);
}

static void check_bases(const struct st_regs *out, uint32_t n)
{
	if (out->fs_probe != ST_MARKER || out->gs_probe != ST_MARKER)
		fail(I_FSGS_BASE, "round %u: fs:probe=0x%llx gs:probe=0x%llx, expected 0x%llx", n,
		     (unsigned long long)out->fs_probe, (unsigned long long)out->gs_probe,
		     ST_MARKER);
}

static uint32_t tsc_aux(void)
{
	uint32_t lo, hi, aux;

	__asm__ volatile("rdtscp" : "=a"(lo), "=d"(hi), "=c"(aux));
	(void)lo;
	(void)hi;
	return aux;
}

static bool have_rdtscp;
static uint32_t aux_first;

/* What the CPU says about itself: TSC_AUX unchanged, no OSXSAVE (AVX), no OSPKE (PKRU). */
static void check_cpu(uint32_t n)
{
	if (have_rdtscp && tsc_aux() != aux_first)
		fail(I_TSC_AUX, "round %u: TSC_AUX changed from 0x%x", n, aux_first);
	if (cpuid(1, 0).c & (1u << 27))
		fail(I_AVX_OFF, "round %u: CPUID says OSXSAVE is on (XCR0 and AVX usable)", n);
	if (cpuid(7, 0).c & (1u << 4))
		fail(I_PKRU_OFF, "round %u: CPUID says OSPKE is on (PKRU usable)", n);
}

/* One yield round @n: load, switch, check. */
static void yield_round(uint32_t n)
{
	struct st_round *r = &round_buf;

	memset(&r->out, 0, sizeof(r->out));
	for (int i = 0; i < ST_NGPR; i++)
		r->in.gpr[i] = gpr_value(role, i, n, 1);
	r->in.flags = flags_value(role, n);
	for (int k = 0; k < 4; k++)
		r->in.sel[k] = sel_value(role, n, k, false);
	fx_fill(r->fx_img, r->fx_clean, n);
	memset(r->fx_before, 0, sizeof(r->fx_before));
	memset(r->fx_after, 0, sizeof(r->fx_after));
	state_cross_round(r);
	check_gprs(&r->in, &r->out, n);
	check_flags_segs(&r->out, r->in.flags, r->in.sel, ~0ull, n);
	check_bases(&r->out, n);
	fx_check(r->fx_before, r->fx_after, n);
	check_cpu(n);
}

static void spin_table(uint64_t *t, uint32_t c)
{
	for (int i = 0; i < ST_NGPR; i++)
		t[i] = gpr_value(role, i, c, 2);
	t[ST_T_FLAGS] = flags_value(role, c);
	t[ST_T_HELD] = t[ST_T_FLAGS] & ST_FL_HELD;
	for (int k = 0; k < 4; k++)
		t[ST_T_SEL + k] = sel_value(role, c, k, true);
	t[ST_T_COUNT] = ST_SPINS;
	t[ST_T_PROBE] = (uint64_t)&probe_word;
	t[ST_T_MARKER] = ST_MARKER;
}

/* Writes "NAME=GOT, mine WANT" into @what if @got differs from @want; returns whether. */
static bool differs(char *what, size_t size, const char *name, uint64_t got, uint64_t want)
{
	if (got == want)
		return false;
	snprintf(what, size, "%s=0x%llx, mine 0x%llx", name, (unsigned long long)got,
	         (unsigned long long)want);
	return true;
}

/* Says what differed when spin loop @c stopped early. */
static void spin_failed(const struct st_round *r, uint32_t c)
{
	const uint64_t *t = r->table;
	char what[96] = "the fs:/gs: probe, or a value that changed back";
	bool found = false;

	for (int i = 0; i < ST_NGPR; i++)
		found = found ||
		        (i != 4 && differs(what, sizeof(what), gpr_names[i], r->out.gpr[i], t[i]));
	for (int k = 0; k < 4; k++)
		found = found ||
		        differs(what, sizeof(what), sel_names[k], r->out.sel[k], t[ST_T_SEL + k]);
	if (!found)
		differs(what, sizeof(what), "rflags&held", r->out.flags & ST_FL_HELD, t[ST_T_HELD]);
	fail(I_PREEMPT, "loop %u: %s", c, what);
}

/* The spin phase; returns how many loops took over twice as long as the fastest (each of
 * those was interrupted at least once: reported, never checked). */
static uint32_t spin_phase(void)
{
	uint64_t len[ST_CHUNKS], fastest = ~0ull;
	uint32_t slow = 0;

	for (uint32_t c = 0; c < ST_CHUNKS; c++) {
		memset(&round_buf.out, 0, sizeof(round_buf.out));
		spin_table(round_buf.table, c);
		uint64_t t0 = bh_rdtsc();
		state_cross_spin(&round_buf);
		len[c] = bh_rdtsc() - t0;
		fastest = len[c] < fastest ? len[c] : fastest;
		if (round_buf.table[ST_T_COUNT] != 0)
			spin_failed(&round_buf, c);
	}
	for (uint32_t c = 0; c < ST_CHUNKS; c++)
		slow += len[c] > 2 * fastest;
	return slow;
}

static void report(uint32_t slow)
{
	for (int it = 0; it < I_COUNT; it++) {
		if (bad[it])
			verdict(item_names[it], false, "%u failed: %s", bad[it], first[it]);
		else if (it == I_PREEMPT)
			verdict(item_names[it], true, "loops=%u iterations=%u interrupted>=%u",
			        ST_CHUNKS, ST_SPINS, slow);
		else if (it == I_X87_PTR)
			verdict(item_names[it], true, "rounds=%u %s", ST_ROUNDS, fx_ptr_summary());
		else if (it == I_TSC_AUX)
			verdict(item_names[it], true, "rounds=%u rdtscp=%s aux=0x%x", ST_ROUNDS,
			        have_rdtscp ? "yes" : "no", aux_first);
		else
			verdict(item_names[it], true, "rounds=%u", ST_ROUNDS);
	}
}

int main(void)
{
	if (strcmp(bh_name(), "sender") != 0 && strcmp(bh_name(), "receiver") != 0) {
		verdict("state.role", false, "domain %s: name it sender or receiver", bh_name());
		return 1;
	}
	role = strcmp(bh_name(), "receiver") == 0;
	have_rdtscp = (cpuid(0x80000001u, 0).d >> 27) & 1;
	aux_first = have_rdtscp ? tsc_aux() : 0;
	fx_setup(&round_buf);
	say("%u yield rounds, then %u spin loops\n", ST_ROUNDS, ST_CHUNKS);
	for (uint32_t n = 0; n < ST_ROUNDS; n++)
		yield_round(n);
	report(spin_phase());
	return 0;
}
