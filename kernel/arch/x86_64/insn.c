/* x86_64 instruction decoder: the length, kind and memory operands of one domain instruction. */
#include <stddef.h>

#include <insn.h>

/*
 * The decoder reads the bytes once, front to back, through next(), which
 * never reads at or past n: prefixes, opcode (one-byte map, 0F, 0F38, 0F3A,
 * or VEX), ModRM, SIB, displacement, immediate. Only then does it look at
 * the registers, to compute ports and addresses. Every loop is bounded by n
 * and every table is indexed by a byte into 256 entries.
 */

/* Opcode attributes: the immediate in bits 0-3, then flags. */
enum imm_kind {
	IMM_NONE,
	IMM_B,     /* 1 byte */
	IMM_W,     /* 2 bytes */
	IMM_Z,     /* 2 bytes with 0x66, else 4 */
	IMM_D,     /* 4 bytes (rel32 of a near branch: 0x66 ignored in 64-bit mode) */
	IMM_V,     /* 8 bytes with REX.W, 2 with 0x66, else 4 (mov r, imm) */
	IMM_MOFFS, /* 8 bytes, 4 with 0x67 */
	IMM_ENTER, /* iw, ib */
	IMM_GRP3,  /* test (/0, /1) only: ib for F6, iz for F7 */
};
#define IMM_MASK 0x0fu
#define A_MODRM 0x10u
#define A_BAD 0x20u /* invalid in 64-bit mode, or unsupported (EVEX, 3DNow!) */

/* Short names for the tables only. */
#define _ 0
#define X A_BAD
#define M A_MODRM
#define MB (A_MODRM | IMM_B)
#define MZ (A_MODRM | IMM_Z)
#define G (A_MODRM | IMM_GRP3)
#define B IMM_B
#define W IMM_W
#define Z IMM_Z
#define D IMM_D
#define V IMM_V
#define O IMM_MOFFS
#define E IMM_ENTER
#define M8 M, M, M, M, M, M, M, M
#define M16 M8, M8
#define ALU M, M, M, M, B, Z, X, X, M, M, M, M, B, Z, X, X

/* The one-byte map. Prefixes, REX, 0F, C4 and C5 never reach it (marked X). */
static const uint8_t map_one[256] = {
	/* 00 */ ALU,
	/* 10 */ ALU,
	/* 20 */ ALU,
	/* 30 */ ALU,
	/* 40 */ X,   X,  X, X,  X, X, X,  X,  X, X,  X, X,  X, X, X, X,
	/* 50 */ _,   _,  _, _,  _, _, _,  _,  _, _,  _, _,  _, _, _, _,
	/* 60 */ X,   X,  X, M,  X, X, X,  X,  Z, MZ, B, MB, _, _, _, _,
	/* 70 */ B,   B,  B, B,  B, B, B,  B,  B, B,  B, B,  B, B, B, B,
	/* 80 */ MB,  MZ, X, MB, M, M, M,  M,  M, M,  M, M,  M, M, M, M,
	/* 90 */ _,   _,  _, _,  _, _, _,  _,  _, _,  X, _,  _, _, _, _,
	/* a0 */ O,   O,  O, O,  _, _, _,  _,  B, Z,  _, _,  _, _, _, _,
	/* b0 */ B,   B,  B, B,  B, B, B,  B,  V, V,  V, V,  V, V, V, V,
	/* c0 */ MB,  MB, W, _,  X, X, MB, MZ, E, _,  W, _,  _, B, X, _,
	/* d0 */ M,   M,  M, M,  X, X, X,  _,  M, M,  M, M,  M, M, M, M,
	/* e0 */ B,   B,  B, B,  B, B, B,  B,  D, D,  X, B,  _, _, _, _,
	/* f0 */ X,   _,  X, X,  _, _, G,  G,  _, _,  _, _,  _, _, M, M,
};

/* The two-byte map (0F xx). 0F 38 and 0F 3A are escapes to maps handled apart. */
static const uint8_t map_0f[256] = {
	/* 00 */ M,   M,  M,  M,  X,  _,  _,  _, _, _, X,  _, X,  M, _, X,
	/* 10 */ M16,
	/* 20 */ M,   M,  M,  M,  X,  X,  X,  X, M, M, M,  M, M,  M, M, M,
	/* 30 */ _,   _,  _,  _,  _,  _,  X,  _, X, X, X,  X, X,  X, X, X,
	/* 40 */ M16,
	/* 50 */ M16,
	/* 60 */ M16,
	/* 70 */ MB,  MB, MB, MB, M,  M,  M,  _, M, M, X,  X, M,  M, M, M,
	/* 80 */ D,   D,  D,  D,  D,  D,  D,  D, D, D, D,  D, D,  D, D, D,
	/* 90 */ M16,
	/* a0 */ _,   _,  _,  M,  MB, M,  X,  X, _, _, _,  M, MB, M, M, M,
	/* b0 */ M,   M,  M,  M,  M,  M,  M,  M, M, M, MB, M, M,  M, M, M,
	/* c0 */ M,   M,  MB, M,  MB, MB, MB, M, _, _, _,  _, _,  _, _, _,
	/* d0 */ M16,
	/* e0 */ M16,
	/* f0 */ M16,
};

#undef _
#undef X
#undef M
#undef MB
#undef MZ
#undef G
#undef B
#undef W
#undef Z
#undef D
#undef V
#undef O
#undef E
#undef M8
#undef M16
#undef ALU

enum map { MAP_ONE, MAP_0F, MAP_0F38, MAP_0F3A };

#define REX_B 0x1u
#define REX_X 0x2u
#define REX_R 0x4u
#define REX_W 0x8u
#define NO_REG 0xffu

/* What the decoder has read so far. */
struct dec {
	const uint8_t *b;
	size_t n, pos;
	bool truncated; /* a read went past n */
	const struct arch_regs *r;
	uint8_t rex, seg;
	bool p66, p67, f2, f3, lock, vex;
	enum map map;
	uint8_t op, attr, modrm;
	bool mem;                   /* the ModRM names memory */
	bool rip_rel;               /* ... relative to the next instruction */
	uint8_t base, index, scale; /* NO_REG when absent */
	uint64_t disp, imm;
};

/* The next byte, or 0 (and truncated) when there is none: never reads bytes[n]. */
static uint8_t next(struct dec *d)
{
	if (d->pos >= d->n) {
		d->truncated = true;
		return 0;
	}
	return d->b[d->pos++];
}

/* @len (<= 8) little-endian bytes. */
static uint64_t next_le(struct dec *d, unsigned len)
{
	uint64_t v = 0;

	for (unsigned i = 0; i < len; i++)
		v |= (uint64_t)next(d) << (8 * i);
	return v;
}

/* Sign-extends the low @bits of @v, in unsigned arithmetic (no implementation-defined casts). */
static uint64_t sign_extend(uint64_t v, unsigned bits)
{
	uint64_t sign = (uint64_t)1 << (bits - 1);

	return (v ^ sign) - sign;
}

static bool rex_w(const struct dec *d)
{
	return (d->rex & REX_W) != 0;
}

static uint8_t modrm_reg(const struct dec *d)
{
	return (uint8_t)((d->modrm >> 3) & 7);
}

static uint8_t modrm_mod(const struct dec *d)
{
	return (uint8_t)(d->modrm >> 6);
}

/* Records legacy prefix @b; false if @b is not one. */
static bool legacy_prefix(struct dec *d, uint8_t b)
{
	switch (b) {
	case 0x66:
		d->p66 = true;
		return true;
	case 0x67:
		d->p67 = true;
		return true;
	case 0xf0:
		d->lock = true;
		return true;
	case 0xf2:
		d->f2 = true;
		return true;
	case 0xf3:
		d->f3 = true;
		return true;
	case 0x64:
	case 0x65:
		d->seg = b; /* the last fs:/gs: counts */
		return true;
	case 0x26:
	case 0x2e:
	case 0x36:
	case 0x3e:
		return true; /* es/cs/ss/ds: ignored in 64-bit mode */
	default:
		return false;
	}
}

/* Legacy prefixes and REX; a REX counts only right before the opcode. */
static void read_prefixes(struct dec *d)
{
	while (d->pos < d->n) {
		uint8_t b = d->b[d->pos];

		if (legacy_prefix(d, b))
			d->rex = 0;
		else if ((b & 0xf0) == 0x40)
			d->rex = b;
		else
			return;
		d->pos++;
	}
}

/* The attributes of @op in VEX map @map (1..3); A_BAD for what VEX cannot encode. */
static uint8_t vex_attr(enum map map, uint8_t op)
{
	if (map == MAP_0F38)
		return A_MODRM;
	if (map == MAP_0F3A)
		return A_MODRM | IMM_B;
	if (op == 0x77) /* vzeroupper, vzeroall */
		return 0;
	return (map_0f[op] & A_MODRM) ? map_0f[op] : A_BAD;
}

/* A VEX prefix (C4 or C5 @first already read): its REX bits, map and opcode. */
static void read_vex(struct dec *d, uint8_t first)
{
	bool after_rex = d->rex != 0;
	uint8_t b1 = next(d);
	uint8_t inv = (uint8_t)~b1;
	unsigned map = MAP_0F;

	d->vex = true;
	if (first == 0xc5) {
		d->rex = (uint8_t)((inv >> 5) & REX_R);
	} else {
		uint8_t b2 = next(d);
		d->rex = (uint8_t)(((inv >> 5) & 7) | ((b2 >> 4) & REX_W));
		map = b1 & 0x1fu;
	}
	d->op = next(d);
	/* VEX after 66/F2/F3/F0/REX is #UD; maps other than 1-3 are reserved. */
	if (after_rex || d->p66 || d->f2 || d->f3 || d->lock || map < MAP_0F || map > MAP_0F3A) {
		d->attr = A_BAD;
		return;
	}
	d->map = (enum map)map;
	d->attr = vex_attr(d->map, d->op);
}

/* The opcode bytes: one-byte map, 0F, 0F 38, 0F 3A or VEX. */
static void read_opcode(struct dec *d)
{
	uint8_t op = next(d);

	if (op == 0xc4 || op == 0xc5) {
		read_vex(d, op);
	} else if (op != 0x0f) {
		d->map = MAP_ONE;
		d->op = op;
		d->attr = map_one[op];
	} else {
		op = next(d);
		if (op == 0x38 || op == 0x3a) {
			d->map = op == 0x38 ? MAP_0F38 : MAP_0F3A;
			d->op = next(d);
			d->attr = op == 0x38 ? A_MODRM : (A_MODRM | IMM_B);
		} else {
			d->map = MAP_0F;
			d->op = op;
			d->attr = map_0f[op];
		}
	}
}

/* mov to/from cr/dr: the ModRM always names a register, whatever its mod. */
static bool reg_only(const struct dec *d)
{
	return d->map == MAP_0F && !d->vex && d->op >= 0x20 && d->op <= 0x23;
}

/* The SIB byte (ModRM rm = 100); returns true if it has no base (disp32 follows). */
static bool read_sib(struct dec *d)
{
	uint8_t sib = next(d);
	uint8_t index = (uint8_t)(((sib >> 3) & 7) | ((d->rex & REX_X) << 2));
	uint8_t base = sib & 7;

	d->scale = (uint8_t)(sib >> 6);
	d->index = index == 4 ? NO_REG : index; /* r12 can be an index, rsp cannot */
	if (base == 5 && modrm_mod(d) == 0)
		return true; /* no base: rbp and r13 need mod 01 or 10 */
	d->base = (uint8_t)(base | ((d->rex & REX_B) << 3));
	return false;
}

/* ModRM, SIB and displacement. */
static void read_modrm(struct dec *d)
{
	d->modrm = next(d);
	uint8_t mod = modrm_mod(d), rm = d->modrm & 7;
	bool disp32 = mod == 2;

	if (mod == 3 || reg_only(d))
		return;
	d->mem = true;
	if (rm == 4)
		disp32 |= read_sib(d);
	else if (mod == 0 && rm == 5)
		d->rip_rel = disp32 = true; /* rip-relative, also with REX.B (r13 needs mod 01) */
	else
		d->base = (uint8_t)(rm | ((d->rex & REX_B) << 3));
	if (mod == 1)
		d->disp = sign_extend(next(d), 8);
	else if (disp32)
		d->disp = sign_extend(next_le(d, 4), 32);
}

/* Opcodes whose ModRM reg field or mod make them invalid (#UD), or XOP. */
static bool bad_modrm(const struct dec *d)
{
	uint8_t reg = modrm_reg(d);
	bool regform = modrm_mod(d) == 3;

	if (d->map != MAP_ONE)
		return false;
	switch (d->op) {
	case 0x8d: /* lea */
		return regform;
	case 0x8f: /* pop r/m; other reg values are AMD's XOP */
		return reg != 0;
	case 0xc6: /* mov r/m, imm; C6 F8 xabort, C7 F8 xbegin */
	case 0xc7:
		return reg != 0 && d->modrm != 0xf8;
	case 0xfe: /* inc, dec */
		return reg > 1;
	case 0xff: /* far call and far jmp need memory */
		return reg == 7 || ((reg == 3 || reg == 5) && regform);
	default:
		return false;
	}
}

/* The size of the immediate. */
static unsigned imm_size(const struct dec *d)
{
	unsigned z = d->p66 && !rex_w(d) ? 2 : 4;

	switch ((enum imm_kind)(d->attr & IMM_MASK)) {
	case IMM_B:
		return 1;
	case IMM_W:
		return 2;
	case IMM_Z:
		return z;
	case IMM_D:
		return 4;
	case IMM_V:
		return rex_w(d) ? 8 : z;
	case IMM_MOFFS:
		return d->p67 ? 4 : 8;
	case IMM_ENTER:
		return 3;
	case IMM_GRP3:
		return modrm_reg(d) > 1 ? 0 : (d->op & 1) ? z : 1;
	default:
		return 0;
	}
}

/* Reads the whole instruction; false if it is invalid, unsupported or cut short. */
static bool read_insn(struct dec *d)
{
	read_prefixes(d);
	read_opcode(d);
	if (d->attr & A_MODRM)
		read_modrm(d);
	if ((d->attr & A_BAD) || bad_modrm(d))
		return false;
	d->imm = next_le(d, imm_size(d));
	return !d->truncated;
}

/* ---- what the instruction is ---- */

struct named {
	uint8_t code;
	const char *name;
};

/* 0F xx that need ring 0 (or a CR4 bit): no ModRM names, no prefix rules. */
static const struct named priv_0f[] = {
	{0x06, "clts"},        {0x07, "sysret"},      {0x08, "invd"},      {0x09, "wbinvd"},
	{0x20, "mov from cr"}, {0x21, "mov from dr"}, {0x22, "mov to cr"}, {0x23, "mov to dr"},
	{0x30, "wrmsr"},       {0x31, "rdtsc"},       {0x32, "rdmsr"},     {0x33, "rdpmc"},
	{0x34, "sysenter"},    {0x35, "sysexit"},     {0xaa, "rsm"},
};

/* 0F 01 with a register ModRM (mod 11), by the whole ModRM byte. */
static const struct named priv_0f01_reg[] = {
	{0xc2, "vmlaunch"}, {0xc3, "vmresume"}, {0xc4, "vmxoff"},  {0xc8, "monitor"},
	{0xc9, "mwait"},    {0xca, "clac"},     {0xcb, "stac"},    {0xd1, "xsetbv"},
	{0xd8, "vmrun"},    {0xda, "vmload"},   {0xdb, "vmsave"},  {0xdc, "stgi"},
	{0xdd, "clgi"},     {0xde, "skinit"},   {0xdf, "invlpga"}, {0xf8, "swapgs"},
	{0xf9, "rdtscp"},
};

/* 0F 01 with memory, by ModRM reg; /4 smsw and /6 lmsw also take a register. */
static const char *const priv_0f01_mem[8] = {
	"sgdt", "sidt", "lgdt", "lidt", "smsw", NULL, "lmsw", "invlpg",
};

/* 0F 00, by ModRM reg (sldt and str are refused by UMIP). */
static const char *const priv_0f00[8] = {"sldt", "str", "lldt", "ltr", NULL, NULL, NULL, NULL};

static const char *find_named(const struct named *t, size_t count, uint8_t code)
{
	for (size_t i = 0; i < count; i++) {
		if (t[i].code == code)
			return t[i].name;
	}
	return NULL;
}

#define FIND(table, code) find_named((table), sizeof(table) / sizeof((table)[0]), (code))

static const char *priv_group7(const struct dec *d)
{
	uint8_t reg = modrm_reg(d);

	if (!d->mem && reg != 4 && reg != 6)
		return FIND(priv_0f01_reg, d->modrm);
	return priv_0f01_mem[reg];
}

/* 0F C7 with memory: xrstors, xsaves and the VMX pointer instructions. */
static const char *priv_group9(const struct dec *d)
{
	if (!d->mem)
		return NULL;
	switch (modrm_reg(d)) {
	case 3:
		return "xrstors";
	case 5:
		return "xsaves";
	case 6:
		return d->f3 ? "vmxon" : d->p66 ? "vmclear" : "vmptrld";
	case 7:
		return (d->f3 || d->p66) ? NULL : "vmptrst";
	default:
		return NULL;
	}
}

/* A two-byte-map instruction that needs ring 0. */
static const char *priv_map_0f(const struct dec *d)
{
	switch (d->op) {
	case 0x00:
		return priv_0f00[modrm_reg(d)];
	case 0x01:
		return priv_group7(d);
	case 0x09:
		return d->f3 ? "wbnoinvd" : "wbinvd";
	case 0x78: /* with 66/F2 these are AMD's extrq/insertq */
		return (d->p66 || d->f2 || d->f3) ? NULL : "vmread";
	case 0x79:
		return (d->p66 || d->f2 || d->f3) ? NULL : "vmwrite";
	case 0xc7:
		return priv_group9(d);
	default:
		return FIND(priv_0f, d->op);
	}
}

/* The mnemonic if the instruction needs ring 0, else NULL. */
static const char *privileged(const struct dec *d)
{
	if (d->vex)
		return NULL;
	if (d->map == MAP_ONE)
		return d->op == 0xf4 ? "hlt" : d->op == 0xfa ? "cli" : d->op == 0xfb ? "sti" : NULL;
	if (d->map == MAP_0F)
		return priv_map_0f(d);
	if (d->map == MAP_0F38 && d->p66 && d->op >= 0x80 && d->op <= 0x82)
		return d->op == 0x80 ? "invept" : d->op == 0x81 ? "invvpid" : "invpcid";
	return NULL;
}

/* in/out/ins/outs: fills the port, size and mnemonic; false for anything else. */
static bool io(const struct dec *d, struct insn_info *out)
{
	static const char *const names[4] = {"ins", "outs", "in", "out"};
	uint8_t op = d->op;
	bool str = (op & 0xfc) == 0x6c, imm = (op & 0xfc) == 0xe4, dx = (op & 0xfc) == 0xec;

	if (d->map != MAP_ONE || d->vex || !(str || imm || dx))
		return false;
	out->kind = INSN_IO;
	out->mnemonic = names[(str ? 0 : 2) + ((op >> 1) & 1)];
	out->port = imm ? (uint16_t)d->imm : (uint16_t)d->r->rdx;
	out->port_known = true;
	out->io_size = (op & 1) ? (d->p66 ? 2 : 4) : 1;
	return true;
}

/* ---- memory operands ---- */

/* General register @i (0-15 in encoding order: rax, rcx, rdx, rbx, rsp, rbp, rsi, rdi, r8..). */
static uint64_t gpr(const struct arch_regs *r, uint8_t i)
{
	static const uint8_t offsets[16] = {
		offsetof(struct arch_regs, rax), offsetof(struct arch_regs, rcx),
		offsetof(struct arch_regs, rdx), offsetof(struct arch_regs, rbx),
		offsetof(struct arch_regs, rsp), offsetof(struct arch_regs, rbp),
		offsetof(struct arch_regs, rsi), offsetof(struct arch_regs, rdi),
		offsetof(struct arch_regs, r8),  offsetof(struct arch_regs, r9),
		offsetof(struct arch_regs, r10), offsetof(struct arch_regs, r11),
		offsetof(struct arch_regs, r12), offsetof(struct arch_regs, r13),
		offsetof(struct arch_regs, r14), offsetof(struct arch_regs, r15),
	};

	return *(const uint64_t *)(const void *)((const char *)r + offsets[i & 15]);
}

#define RAX 0
#define RBX 3
#define RSP 4
#define RBP 5
#define RSI 6
#define RDI 7

static bool canonical(uint64_t a)
{
	uint64_t top = a >> 47;

	return top == 0 || top == 0x1ffff;
}

/* Appends a memory operand at @address (in segment @seg; @stack: in ss). */
static void add_mem(struct insn_info *out, uint64_t address, uint8_t seg, bool stack)
{
	if (out->mem_count >= 2)
		return;
	out->mem[out->mem_count++] = (struct insn_mem){.address = address,
	                                               .segment = seg,
	                                               .canonical = canonical(address),
	                                               .stack = stack};
}

/* An address computed under the current address size (0x67: 32 bits). */
static uint64_t addr_size(const struct dec *d, uint64_t a)
{
	return d->p67 ? (a & 0xffffffffu) : a;
}

/* The bytes a push or pop of the operand size moves: 2 with 0x66 (unless REX.W), else 8. */
static unsigned stack_size(const struct dec *d)
{
	return d->p66 && !rex_w(d) ? 2 : 8;
}

/* The ModRM operand's effective address. */
static void add_modrm_mem(const struct dec *d, struct insn_info *out)
{
	uint64_t a = d->disp;

	if (d->map == MAP_ONE && d->op == 0x8f && d->base == RSP)
		a += stack_size(d); /* pop [rsp + x] addresses with rsp after the pop */

	if (d->rip_rel)
		a += d->r->rip + d->pos;
	if (d->base != NO_REG)
		a += gpr(d->r, d->base);
	if (d->index != NO_REG)
		a += gpr(d->r, d->index) << d->scale;
	add_mem(out, addr_size(d, a), d->seg, !d->seg && (d->base == RSP || d->base == RBP));
}

/* ModRM memory that is never accessed: lea, prefetches, hint nops, invlpg; VSIB gathers. */
static bool modrm_untouched(const struct dec *d)
{
	if (d->map == MAP_ONE)
		return d->op == 0x8d;
	if (d->map == MAP_0F38)
		return d->vex && d->op >= 0x90 && d->op <= 0x93; /* vector index: no one address */
	if (d->map != MAP_0F || d->vex)
		return false;
	return d->op == 0x0d || (d->op >= 0x18 && d->op <= 0x1f) ||
	       (d->op == 0x01 && modrm_reg(d) == 7);
}

/* Implicit memory operands of the one-byte map. */
enum implicit {
	IMP_NONE,
	IMP_PUSH,  /* push of the operand size: 2 with 0x66, else 8 */
	IMP_CALL,  /* near call: pushes 8 */
	IMP_FAR,   /* far call: pushes 2, 4 or 8 (REX.W) */
	IMP_POP,   /* reads at rsp */
	IMP_LEAVE, /* reads at rbp */
	IMP_SRC,   /* rsi */
	IMP_DST,   /* rdi */
	IMP_BOTH,  /* rsi, then rdi */
	IMP_XLAT,  /* rbx + al */
	IMP_MOFFS, /* the immediate */
};

static enum implicit implicit_ff(uint8_t reg)
{
	return reg == 2 ? IMP_CALL : reg == 3 ? IMP_FAR : reg == 6 ? IMP_PUSH : IMP_NONE;
}

/* The implicit operands of the one-byte map (FF is decided by its ModRM reg). */
static const uint8_t implicit_one[256] = {
	[0x50 ... 0x57] = IMP_PUSH, [0x68] = IMP_PUSH,         [0x6a] = IMP_PUSH,
	[0x9c] = IMP_PUSH,          [0xc8] = IMP_PUSH,         [0x58 ... 0x5f] = IMP_POP,
	[0x8f] = IMP_POP,           [0x9d] = IMP_POP,          [0xc2 ... 0xc3] = IMP_POP,
	[0xca ... 0xcb] = IMP_POP,  [0xcf] = IMP_POP,          [0xa0 ... 0xa3] = IMP_MOFFS,
	[0xa4 ... 0xa7] = IMP_BOTH, [0xac ... 0xad] = IMP_SRC, [0x6e ... 0x6f] = IMP_SRC,
	[0xaa ... 0xab] = IMP_DST,  [0xae ... 0xaf] = IMP_DST, [0x6c ... 0x6d] = IMP_DST,
	[0xc9] = IMP_LEAVE,         [0xd7] = IMP_XLAT,         [0xe8] = IMP_CALL,
};

static enum implicit implicit_of(const struct dec *d)
{
	if (d->vex)
		return IMP_NONE;
	if (d->map == MAP_ONE && d->op == 0xff)
		return implicit_ff(modrm_reg(d));
	if (d->map == MAP_ONE)
		return (enum implicit)implicit_one[d->op];
	if (d->map == MAP_0F && (d->op & 0xf6) == 0xa0) /* push/pop fs, gs */
		return d->op & 1 ? IMP_POP : IMP_PUSH;
	return IMP_NONE;
}

/* The bytes a push writes. */
static unsigned push_size(const struct dec *d, enum implicit imp)
{
	if (imp == IMP_CALL)
		return 8;
	if (imp == IMP_FAR && !rex_w(d) && !d->p66)
		return 4;
	return stack_size(d);
}

static void add_implicit(const struct dec *d, struct insn_info *out, enum implicit imp)
{
	const struct arch_regs *r = d->r;

	if (imp == IMP_PUSH || imp == IMP_CALL || imp == IMP_FAR)
		add_mem(out, r->rsp - push_size(d, imp), 0, true);
	else if (imp == IMP_POP)
		add_mem(out, r->rsp, 0, true);
	else if (imp == IMP_LEAVE)
		add_mem(out, r->rbp, 0, true);
	else if (imp == IMP_XLAT)
		add_mem(out, addr_size(d, r->rbx + (r->rax & 0xff)), d->seg, false);
	else if (imp == IMP_MOFFS)
		add_mem(out, d->imm, d->seg, false);
	if (imp == IMP_SRC || imp == IMP_BOTH)
		add_mem(out, addr_size(d, r->rsi), d->seg, false);
	if (imp == IMP_DST || imp == IMP_BOTH)
		add_mem(out, addr_size(d, r->rdi), 0, false);
}

/* Kind, mnemonic, port and memory operands of the decoded instruction. */
static void describe(const struct dec *d, struct insn_info *out)
{
	out->mnemonic = privileged(d);
	if (out->mnemonic)
		out->kind = INSN_PRIVILEGED;
	else
		io(d, out);
	if (d->mem && !modrm_untouched(d))
		add_modrm_mem(d, out);
	add_implicit(d, out, implicit_of(d));
	if (out->mem_count) {
		out->address = out->mem[0].address;
		out->address_canonical = out->mem[0].canonical;
		out->segment_prefix = out->mem[0].segment;
		if (out->kind == INSN_UNKNOWN)
			out->kind = INSN_MEMORY;
	}
}

bool insn_decode(const uint8_t *bytes, size_t n, const struct arch_regs *r, struct insn_info *out)
{
	struct dec d = {.b = bytes,
	                .n = n > INSN_MAX_LEN ? INSN_MAX_LEN : n,
	                .r = r,
	                .base = NO_REG,
	                .index = NO_REG};

	if (!out)
		return false;
	*out = (struct insn_info){.kind = INSN_UNKNOWN};
	if (!bytes || !r)
		return false;
	if (!read_insn(&d)) {
		out->truncated = d.truncated;
		return false;
	}
	out->length = (uint8_t)d.pos;
	describe(&d, out);
	return true;
}
