/* Host tests: the kernel's x86_64 instruction decoder (kernel/arch/x86_64/insn.c) on real encodings. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

/* cmocka needs the headers above first. */
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include <insn.h>

/*
 * The bytes of every row were assembled with GNU as (`.intel_syntax noprefix`,
 * the source is the row's first field) and read back with objdump; rows marked
 * "(raw)" are encodings as does not choose by itself, written by hand.
 * Addresses follow from these registers.
 */
static const struct arch_regs regs = {
	.rax = 0x1234,
	.rbx = 0x1000,
	.rcx = 0x20,
	.rdx = 0xdead0021, /* dx = 0x21 */
	.rsi = 0x100002000,
	.rdi = 0x100003000,
	.rbp = 0x7fff1000,
	.rsp = 0x7fff0000,
	.r8 = 0x800000000000,     /* the first non-canonical address */
	.r9 = 0xffff800000000000, /* the first canonical address of the upper half */
	.r12 = 0x4000,
	.r13 = 0x5000,
	.rip = 0x401000,
};

struct row {
	const char *source;
	const char *bytes;
	size_t n; /* the instruction's length: every row holds exactly one instruction */
	bool bad; /* insn_decode must refuse it */
	enum insn_kind kind;
	const char *mnemonic;
	uint16_t port;
	uint8_t io_size;
	uint8_t mem_count;
	uint64_t address[2];
	uint8_t segment;   /* of mem[0] */
	bool noncanonical; /* mem[0] */
	bool stack;        /* mem[0] */
};

#define B(s) .bytes = (s), .n = sizeof(s) - 1
#define IO(name, p, size) .kind = INSN_IO, .mnemonic = (name), .port = (p), .io_size = (size)
#define PRIV(name) .kind = INSN_PRIVILEGED, .mnemonic = (name)
#define MEM1(a) .kind = INSN_MEMORY, .mem_count = 1, .address = {(a)}
#define MEM2(a, b) .kind = INSN_MEMORY, .mem_count = 2, .address = {(a), (b)}
#define AT(a) .mem_count = 1, .address = {(a)}
#define NC .noncanonical = true
#define SS .stack = true
#define BAD .bad = true

static const struct row io_rows[] = {
	{"in al, 0x60", B("\xe4\x60"), IO("in", 0x60, 1)},
	{"out 0x21, al", B("\xe6\x21"), IO("out", 0x21, 1)},
	{"in eax, dx", B("\xed"), IO("in", 0x21, 4)},
	{"out dx, ax", B("\x66\xef"), IO("out", 0x21, 2)},
	{"outsb", B("\x6e"), IO("outs", 0x21, 1), AT(0x100002000)},
	{"rep insd", B("\xf3\x6d"), IO("ins", 0x21, 4), AT(0x100003000)},
};

static const struct row privileged_rows[] = {
	{"hlt", B("\xf4"), PRIV("hlt")},
	{"cli", B("\xfa"), PRIV("cli")},
	{"sti", B("\xfb"), PRIV("sti")},
	{"wrmsr", B("\x0f\x30"), PRIV("wrmsr")},
	{"rdmsr", B("\x0f\x32"), PRIV("rdmsr")},
	{"rdpmc", B("\x0f\x33"), PRIV("rdpmc")},
	{"rdtsc", B("\x0f\x31"), PRIV("rdtsc")},
	{"rdtscp", B("\x0f\x01\xf9"), PRIV("rdtscp")},
	{"mov cr3, rax", B("\x0f\x22\xd8"), PRIV("mov to cr")},
	{"mov rax, cr0", B("\x0f\x20\xc0"), PRIV("mov from cr")},
	{"mov rax, cr0 with mod 00 (raw): no SIB, cr moves always name a register",
         B("\x0f\x20\x04"), PRIV("mov from cr")},
	{"mov rax, dr7", B("\x0f\x21\xf8"), PRIV("mov from dr")},
	{"mov cr3, rsp with mod 00 (raw)", B("\x0f\x22\x1c"), PRIV("mov to cr")},
	{"mov dr0, rbp with mod 00 (raw)", B("\x0f\x23\x05"), PRIV("mov to dr")},
	{"mov dr0, r9", B("\x41\x0f\x23\xc1"), PRIV("mov to dr")},
	{"lgdt [rax]", B("\x0f\x01\x10"), PRIV("lgdt"), AT(0x1234)},
	{"lidt [rbx+8]", B("\x0f\x01\x5b\x08"), PRIV("lidt"), AT(0x1008)},
	{"sgdt [rsp]", B("\x0f\x01\x04\x24"), PRIV("sgdt"), AT(0x7fff0000), SS},
	{"sidt [rip+0x40]", B("\x0f\x01\x0d\x40\x00\x00\x00"), PRIV("sidt"), AT(0x401047)},
	{"sldt ax", B("\x66\x0f\x00\xc0"), PRIV("sldt")},
	{"str ax", B("\x66\x0f\x00\xc8"), PRIV("str")},
	{"ltr ax", B("\x0f\x00\xd8"), PRIV("ltr")},
	{"lldt ax", B("\x0f\x00\xd0"), PRIV("lldt")},
	{"smsw eax", B("\x0f\x01\xe0"), PRIV("smsw")},
	{"smsw [rbx]", B("\x0f\x01\x23"), PRIV("smsw"), AT(0x1000)},
	{"lmsw ax", B("\x0f\x01\xf0"), PRIV("lmsw")},
	{"invlpg [rax]", B("\x0f\x01\x38"), PRIV("invlpg")}, /* names memory, never reads it */
	{"swapgs", B("\x0f\x01\xf8"), PRIV("swapgs")},
	{"wbinvd", B("\x0f\x09"), PRIV("wbinvd")},
	{"invd", B("\x0f\x08"), PRIV("invd")},
	{"clts", B("\x0f\x06"), PRIV("clts")},
	{"sysretq", B("\x48\x0f\x07"), PRIV("sysret")},
	{"xsetbv", B("\x0f\x01\xd1"), PRIV("xsetbv")},
	{"invpcid rax, [rbx]", B("\x66\x0f\x38\x82\x03"), PRIV("invpcid"), AT(0x1000)},
	{"xsaves [rax]", B("\x0f\xc7\x28"), PRIV("xsaves"), AT(0x1234)},
	{"xrstors [rbx]", B("\x0f\xc7\x1b"), PRIV("xrstors"), AT(0x1000)},
	{"vmread rax, rbx", B("\x0f\x78\xd8"), PRIV("vmread")},
	{"monitor", B("\x0f\x01\xc8"), PRIV("monitor")},
};

/* Explicit operands: ModRM, SIB, displacements, rip, 0x67, fs/gs. */
static const struct row modrm_rows[] = {
	{"mov rax, [rbx]", B("\x48\x8b\x03"), MEM1(0x1000)},
	{"mov [r8], eax", B("\x41\x89\x00"), MEM1(0x800000000000), NC},
	{"mov rax, [r9-1]", B("\x49\x8b\x41\xff"), MEM1(0xffff7fffffffffff), NC},
	{"mov rax, [r9]", B("\x49\x8b\x01"), MEM1(0xffff800000000000)},
	{"mov rax, [rbx+rcx*4+0x10]", B("\x48\x8b\x44\x8b\x10"), MEM1(0x1090)},
	{"mov rax, [rcx*8+0x1000]", B("\x48\x8b\x04\xcd\x00\x10\x00\x00"), MEM1(0x1100)},
	{"mov rax, [rbx+rsi*2-0x10]", B("\x48\x8b\x44\x73\xf0"), MEM1(0x200004ff0)},
	{"mov rax, [rbp]", B("\x48\x8b\x45\x00"), MEM1(0x7fff1000), SS},
	{"mov [rbp-8], rdi", B("\x48\x89\x7d\xf8"), MEM1(0x7fff0ff8), SS},
	{"mov rax, [r13]", B("\x49\x8b\x45\x00"), MEM1(0x5000)},
	{"mov rax, [rsp+8]", B("\x48\x8b\x44\x24\x08"), MEM1(0x7fff0008), SS},
	{"mov rax, [rsp+r12]", B("\x4a\x8b\x04\x24"), MEM1(0x7fff4000), SS},
	{"mov rax, [r12]", B("\x49\x8b\x04\x24"), MEM1(0x4000)},
	{"mov rax, [r13+r12*2]", B("\x4b\x8b\x44\x65\x00"), MEM1(0xd000)},
	{"mov rax, [rbp+r13*1+8]", B("\x4a\x8b\x44\x2d\x08"), MEM1(0x7fff6008), SS},
	{"mov eax, [rip+0x10] with REX.B (raw): mod 00 rm 101 is rip, not r13",
         B("\x41\x8b\x05\x10\x00\x00\x00"), MEM1(0x401017)},
	{"mov eax, [0x2000] with REX.B (raw): SIB base 101 with mod 00 is no base, not r13",
         B("\x41\x8b\x04\x25\x00\x20\x00\x00"), MEM1(0x2000)},
	{"mov rax, [rip+0x100]", B("\x48\x8b\x05\x00\x01\x00\x00"), MEM1(0x401107)},
	{"mov rax, [rip-0x20]", B("\x48\x8b\x05\xe0\xff\xff\xff"), MEM1(0x400fe7)},
	{"mov dword ptr [rip+0x10], 0x12345678", B("\xc7\x05\x10\x00\x00\x00\x78\x56\x34\x12"),
         MEM1(0x40101a)},
	{"cmp byte ptr [rip+0x20], 5", B("\x80\x3d\x20\x00\x00\x00\x05"), MEM1(0x401027)},
	{"roundps xmm0, [rip+0x30], 4", B("\x66\x0f\x3a\x08\x05\x30\x00\x00\x00\x04"),
         MEM1(0x40103a)},
	{"vmovdqa ymm1, [rip+0x200]", B("\xc5\xfd\x6f\x0d\x00\x02\x00\x00"), MEM1(0x401208)},
	{"mov eax, [ebx-0x2000]", B("\x67\x8b\x83\x00\xe0\xff\xff"), MEM1(0xfffff000)},
	{"mov eax, [r8d]", B("\x67\x41\x8b\x00"), MEM1(0)},
	{"mov eax, [eip-0x80000000] (raw)", B("\x67\x8b\x05\x00\x00\x00\x80"), MEM1(0x80401007)},
	{"mov rax, fs:[0x28]", B("\x64\x48\x8b\x04\x25\x28\x00\x00\x00"), MEM1(0x28),
         .segment = 0x64},
	{"mov rax, gs:[rbx]", B("\x65\x48\x8b\x03"), MEM1(0x1000), .segment = 0x65},
	{"mov eax, fs:[rbp]", B("\x64\x8b\x45\x00"), MEM1(0x7fff1000), .segment = 0x64},
	{"mov ecx, gs:[rip+0x10]", B("\x65\x8b\x0d\x10\x00\x00\x00"), MEM1(0x401017),
         .segment = 0x65},
	{"mov eax, fs: gs: [rbx] (raw): the last one counts", B("\x64\x65\x8b\x03"), MEM1(0x1000),
         .segment = 0x65},
	{"mov eax, fs: ds: [rbx] (raw): ds is ignored", B("\x64\x3e\x8b\x03"), MEM1(0x1000),
         .segment = 0x64},
	{"mov al, [0x12345678] with 0x67 (raw): a 4-byte moffs", B("\x67\xa0\x78\x56\x34\x12"),
         MEM1(0x12345678)},
	{"movabs al, [0x1122334455667788]", B("\xa0\x88\x77\x66\x55\x44\x33\x22\x11"),
         MEM1(0x1122334455667788), NC},
	{"mov qword ptr es: fs:[eax+ecx*4+0x12345678], 0xdeadbeef (raw, 15 bytes)",
         B("\x26\x64\x67\x48\xc7\x84\x88\x78\x56\x34\x12\xef\xbe\xad\xde"), MEM1(0x1234692c),
         .segment = 0x64},
	{"fld qword ptr [rbx]", B("\xdd\x03"), MEM1(0x1000)},
	{"movaps xmm0, [rax]", B("\x0f\x28\x00"), MEM1(0x1234)},
	{"movdqu xmm1, [rbx+8]", B("\xf3\x0f\x6f\x4b\x08"), MEM1(0x1008)},
	{"pshufd xmm0, [rax], 0x1b", B("\x66\x0f\x70\x00\x1b"), MEM1(0x1234)},
	{"pshufb xmm0, [rax]", B("\x66\x0f\x38\x00\x00"), MEM1(0x1234)},
	{"vmovups ymm0, [rax]", B("\xc5\xfc\x10\x00"), MEM1(0x1234)},
	{"vpshufd ymm0, [rbx], 1", B("\xc5\xfd\x70\x03\x01"), MEM1(0x1000)},
	{"vmovdqu ymm0, [r8]", B("\xc4\xc1\x7e\x6f\x00"), MEM1(0x800000000000), NC},
	{"vpblendd ymm0, ymm1, [rax], 3", B("\xc4\xe3\x75\x02\x00\x03"), MEM1(0x1234)},
	{"lock add [rax], eax", B("\xf0\x01\x00"), MEM1(0x1234)},
	{"mov dword ptr [rax+rcx*4+0x12345678], 0xdeadbeef",
         B("\xc7\x84\x88\x78\x56\x34\x12\xef\xbe\xad\xde"), MEM1(0x1234692c)},
	{"test byte ptr [rax], 1", B("\xf6\x00\x01"), MEM1(0x1234)},
	{"neg qword ptr [rax]", B("\x48\xf7\x18"), MEM1(0x1234)},
	{"test dword ptr [rax], 0x12345678", B("\xf7\x00\x78\x56\x34\x12"), MEM1(0x1234)},
	{"test word ptr [rax], 0x1234", B("\x66\xf7\x00\x34\x12"), MEM1(0x1234)},
	{"add word ptr [rax], 0x1234", B("\x66\x81\x00\x34\x12"), MEM1(0x1234)},
	{"clflush [r8]", B("\x41\x0f\xae\x38"), MEM1(0x800000000000), NC},
	{"movbe eax, [rbx]", B("\x0f\x38\xf0\x03"), MEM1(0x1000)},
	{"mov ss, [rax]", B("\x8e\x10"), MEM1(0x1234)},
	{"shld [rax], ebx, 4", B("\x0f\xa4\x18\x04"), MEM1(0x1234)},
	{"cmpxchg16b [rax]", B("\x48\x0f\xc7\x08"), MEM1(0x1234)},
};

/* Implicit operands: the stack, string instructions, xlat. */
static const struct row implicit_rows[] = {
	{"push rax", B("\x50"), MEM1(0x7ffefff8), SS},
	{"pop rbx", B("\x5b"), MEM1(0x7fff0000), SS},
	{"push ax", B("\x66\x50"), MEM1(0x7ffefffe), SS},
	{"push 0x12345678", B("\x68\x78\x56\x34\x12"), MEM1(0x7ffefff8), SS},
	{"push 1", B("\x6a\x01"), MEM1(0x7ffefff8), SS},
	{"call .+5", B("\xe8\x00\x00\x00\x00"), MEM1(0x7ffefff8), SS},
	{"ret", B("\xc3"), MEM1(0x7fff0000), SS},
	{"ret 0x10", B("\xc2\x10\x00"), MEM1(0x7fff0000), SS},
	{"retfq", B("\x48\xcb"), MEM1(0x7fff0000), SS},
	{"call [rax]", B("\xff\x10"), MEM2(0x1234, 0x7ffefff8)},
	{"call rax", B("\xff\xd0"), MEM1(0x7ffefff8), SS},
	{"push qword ptr [rbx]", B("\xff\x33"), MEM2(0x1000, 0x7ffefff8)},
	{"pop qword ptr [rbx]", B("\x8f\x03"), MEM2(0x1000, 0x7fff0000)},
	{"pop qword ptr [rsp+8]", B("\x8f\x44\x24\x08"), MEM2(0x7fff0010, 0x7fff0000), SS},
	{"enter 0x20, 0", B("\xc8\x20\x00\x00"), MEM1(0x7ffefff8), SS},
	{"leave", B("\xc9"), MEM1(0x7fff1000), SS},
	{"pushfq", B("\x9c"), MEM1(0x7ffefff8), SS},
	{"popfq", B("\x9d"), MEM1(0x7fff0000), SS},
	{"pushfw", B("\x66\x9c"), MEM1(0x7ffefffe), SS},
	{"iretq", B("\x48\xcf"), MEM1(0x7fff0000), SS},
	{"push fs", B("\x0f\xa0"), MEM1(0x7ffefff8), SS},
	{"pop gs", B("\x0f\xa9"), MEM1(0x7fff0000), SS},
	{"call fword ptr [rbx]", B("\xff\x1b"), MEM2(0x1000, 0x7ffefffc)},
	{"movsb", B("\xa4"), MEM2(0x100002000, 0x100003000)},
	{"rep movsq", B("\xf3\x48\xa5"), MEM2(0x100002000, 0x100003000)},
	{"cmpsb", B("\xa6"), MEM2(0x100002000, 0x100003000)},
	{"stosq", B("\x48\xab"), MEM1(0x100003000)},
	{"lodsb", B("\xac"), MEM1(0x100002000)},
	{"scasb", B("\xae"), MEM1(0x100003000)},
	{"movsb byte ptr es:[edi], byte ptr ds:[esi]", B("\x67\xa4"), MEM2(0x2000, 0x3000)},
	{"movsb byte ptr es:[rdi], byte ptr fs:[rsi]", B("\x64\xa4"),
         MEM2(0x100002000, 0x100003000), .segment = 0x64},
	{"xlatb", B("\xd7"), MEM1(0x1034)},
	{"xlat byte ptr gs:[rbx]", B("\x65\xd7"), MEM1(0x1034), .segment = 0x65},
};

/* Decoded, but none of IO, privileged or memory. */
static const struct row other_rows[] = {
	{"lea rax, [r8]", B("\x49\x8d\x00")},
	{"nop dword ptr [rax+rax]", B("\x0f\x1f\x04\x00")},
	{"prefetcht0 [r8]", B("\x41\x0f\x18\x08")},
	{"fstp st(1)", B("\xdd\xd9")},
	{"add rax, rbx", B("\x48\x01\xd8")},
	{"movabs rax, 0x1122334455667788", B("\x48\xb8\x88\x77\x66\x55\x44\x33\x22\x11")},
	{"mov ax, 0x1234", B("\x66\xb8\x34\x12")},
	{"mov ax, 0x1234 after a REX (raw): a REX before a prefix is ignored",
         B("\x48\x66\xb8\x34\x12")},
	{"mov rax, imm64 with 0x66 (raw): REX.W wins",
         B("\x66\x48\xb8\x88\x77\x66\x55\x44\x33\x22\x11")},
	{"int 0x80", B("\xcd\x80")},
	{"ud2", B("\x0f\x0b")},
	{"syscall", B("\x0f\x05")},
	{"je .+0x1000", B("\x0f\x84\xfa\x0f\x00\x00")},
	{"jmp .+2", B("\xeb\x00")},
	{"xbegin .+6", B("\xc7\xf8\x00\x00\x00\x00")},
	{"xabort 1", B("\xc6\xf8\x01")},
	{"vzeroupper", B("\xc5\xf8\x77")},
	{"vpgatherdd ymm0, [rax+ymm1*4], ymm2", B("\xc4\xe2\x6d\x90\x04\x88")},
	{"rdrand eax", B("\x0f\xc7\xf0")},
	{"xchg ax, ax after 13 more 0x66 (raw): 15 bytes",
         B("\x66\x66\x66\x66\x66\x66\x66\x66\x66\x66\x66\x66\x66\x66\x90")},
};

/* Invalid in 64-bit mode, or not supported. */
static const struct row bad_rows[] = {
	{"push es (raw)", B("\x06"), BAD},
	{"0f 04 (raw)", B("\x0f\x04"), BAD},
	{"salc (raw)", B("\xd6"), BAD},
	{"pop with /1 (raw): AMD's XOP", B("\x8f\xc8"), BAD},
	{"ff /7 (raw)", B("\xff\xf8"), BAD},
	{"lea with a register operand (raw)", B("\x8d\xc0"), BAD},
	{"c6 /1 (raw)", B("\xc6\xc8\x00"), BAD},
	{"3DNow! (raw)", B("\x0f\x0f\x00\x00"), BAD},
	{"vmovups zmm0, [rax]", B("\x62\xf1\x7c\x48\x10\x00"), BAD},
	{"vzeroupper after 0x66 (raw)", B("\x66\xc5\xf8\x77"), BAD},
	{"vzeroupper after a REX (raw)", B("\x48\xc5\xf8\x77"), BAD},
	{"VEX map 0 (raw)", B("\xc4\xe0\x7d\x10\x00"), BAD},
};

/* A heap copy of exactly @n bytes, so that AddressSanitizer catches any read past them. */
static uint8_t *exact_copy(const char *bytes, size_t n)
{
	uint8_t *p = malloc(n ? n : 1);

	assert_non_null(p);
	memcpy(p, bytes, n);
	return p;
}

static bool decode_exact(const char *bytes, size_t n, struct insn_info *out)
{
	uint8_t *p = exact_copy(bytes, n);
	bool ok = insn_decode(p, n, &regs, out);

	free(p);
	return ok;
}

static void expect_mem(const struct row *t, const struct insn_info *got)
{
	for (unsigned i = 0; i < t->mem_count; i++) {
		if (got->mem[i].address != t->address[i])
			fail_msg("%s: mem[%u] = 0x%llx, want 0x%llx", t->source, i,
			         (unsigned long long)got->mem[i].address,
			         (unsigned long long)t->address[i]);
	}
	if (t->mem_count == 0)
		return;
	if (got->mem[0].canonical == t->noncanonical || got->mem[0].stack != t->stack ||
	    got->mem[0].segment != t->segment)
		fail_msg("%s: mem[0] canonical %d stack %d segment 0x%x", t->source,
		         got->mem[0].canonical, got->mem[0].stack, got->mem[0].segment);
	if (got->address != t->address[0] || got->address_canonical != !t->noncanonical ||
	    got->segment_prefix != t->segment)
		fail_msg("%s: .address, .address_canonical or .segment_prefix differ from mem[0]",
		         t->source);
}

static void expect_row(const struct row *t, const struct insn_info *got)
{
	if (got->kind != t->kind || got->length != t->n || got->mem_count != t->mem_count)
		fail_msg("%s: kind %d length %u mem_count %u, want %d %zu %u", t->source, got->kind,
		         got->length, got->mem_count, t->kind, t->n, t->mem_count);
	if ((got->mnemonic == NULL) != (t->mnemonic == NULL) ||
	    (t->mnemonic && strcmp(got->mnemonic, t->mnemonic) != 0))
		fail_msg("%s: mnemonic \"%s\", want \"%s\"", t->source,
		         got->mnemonic ? got->mnemonic : "(none)",
		         t->mnemonic ? t->mnemonic : "(none)");
	if (t->kind == INSN_IO &&
	    (got->port != t->port || !got->port_known || got->io_size != t->io_size))
		fail_msg("%s: port 0x%x (known %d) size %u", t->source, got->port, got->port_known,
		         got->io_size);
	expect_mem(t, got);
}

static bool same_info(const struct insn_info *a, const struct insn_info *b)
{
	bool same = a->kind == b->kind && a->length == b->length && a->mnemonic == b->mnemonic &&
	            a->port == b->port && a->port_known == b->port_known &&
	            a->io_size == b->io_size && a->mem_count == b->mem_count &&
	            a->truncated == b->truncated;

	for (unsigned i = 0; same && i < a->mem_count; i++)
		same = a->mem[i].address == b->mem[i].address &&
		       a->mem[i].segment == b->mem[i].segment &&
		       a->mem[i].canonical == b->mem[i].canonical &&
		       a->mem[i].stack == b->mem[i].stack;
	return same;
}

/* The bytes after the instruction must not change anything. */
static void expect_padding_ignored(const struct row *t, const struct insn_info *want)
{
	static const uint8_t fill[] = {0x00, 0x0f, 0x66, 0xff};

	for (size_t f = 0; f < sizeof(fill); f++) {
		char buf[INSN_MAX_LEN];
		struct insn_info got;

		memset(buf, fill[f], sizeof(buf));
		memcpy(buf, t->bytes, t->n);
		bool ok = decode_exact(buf, sizeof(buf), &got);
		if (ok != !t->bad || !same_info(&got, want))
			fail_msg("%s: followed by 0x%02x bytes it decodes differently", t->source,
			         fill[f]);
	}
}

/* Every proper prefix of the instruction is refused, as truncated if it was valid. */
static void expect_prefixes_refused(const struct row *t)
{
	for (size_t k = 0; k < t->n; k++) {
		struct insn_info got;

		memset(&got, 0x5a, sizeof(got));
		bool ok = decode_exact(t->bytes, k, &got);
		if (ok || got.kind != INSN_UNKNOWN || got.length != 0 || got.mem_count != 0 ||
		    (!t->bad && !got.truncated))
			fail_msg("%s: its first %zu bytes decode (ok %d, length %u, truncated %d)",
			         t->source, k, ok, got.length, got.truncated);
	}
}

static void check_rows(const struct row *rows, size_t count)
{
	for (size_t i = 0; i < count; i++) {
		const struct row *t = &rows[i];
		struct insn_info got;

		assert_true(t->n <= INSN_MAX_LEN);
		bool ok = decode_exact(t->bytes, t->n, &got);
		if (ok != !t->bad)
			fail_msg("%s: insn_decode returned %d", t->source, ok);
		if (ok)
			expect_row(t, &got);
		else if (got.kind != INSN_UNKNOWN || got.length || got.mem_count || got.truncated)
			fail_msg("%s: refused but kind %d length %u truncated %d", t->source,
			         got.kind, got.length, got.truncated);
		expect_padding_ignored(t, &got);
		expect_prefixes_refused(t);
	}
}

#define CHECK_ROWS(rows) check_rows((rows), sizeof(rows) / sizeof((rows)[0]))

static void io(void **state)
{
	(void)state;
	CHECK_ROWS(io_rows);
}

static void privileged(void **state)
{
	(void)state;
	CHECK_ROWS(privileged_rows);
}

static void modrm_operands(void **state)
{
	(void)state;
	CHECK_ROWS(modrm_rows);
}

static void implicit_operands(void **state)
{
	(void)state;
	CHECK_ROWS(implicit_rows);
}

static void other(void **state)
{
	(void)state;
	CHECK_ROWS(other_rows);
}

static void refused(void **state)
{
	(void)state;
	CHECK_ROWS(bad_rows);
}

/* A non-canonical rsp: the stack operand is reported (the CPU raises #SS). */
static void stack_noncanonical(void **state)
{
	(void)state;
	struct arch_regs r = regs;
	struct insn_info got;
	uint8_t push = 0x50, pop = 0x58;

	r.rsp = 0x800000000008;
	assert_true(insn_decode(&push, 1, &r, &got));
	assert_int_equal(got.kind, INSN_MEMORY);
	assert_int_equal(got.address, 0x800000000000);
	assert_false(got.address_canonical);
	assert_true(got.mem[0].stack);
	r.rsp = 0x7ffffffffff8; /* the last canonical slot: a pop reads it, a push below it */
	assert_true(insn_decode(&pop, 1, &r, &got));
	assert_true(got.address_canonical);
	r.rsp = 0xffff800000000000;
	assert_true(insn_decode(&push, 1, &r, &got));
	assert_int_equal(got.address, 0xffff7ffffffffff8);
	assert_false(got.address_canonical);
}

/* Sixteen bytes: the CPU stops at fifteen (#GP), and so does the decoder. */
static void too_long(void **state)
{
	(void)state;
	char bytes[16];
	struct insn_info got;

	memset(bytes, 0x66, 15);
	bytes[15] = (char)0x90;
	assert_false(decode_exact(bytes, sizeof(bytes), &got));
	assert_true(got.truncated);
	assert_int_equal(got.kind, INSN_UNKNOWN);
	assert_true(decode_exact(bytes + 1, 15, &got));
	assert_int_equal(got.length, 15);
}

static void no_input(void **state)
{
	(void)state;
	struct insn_info got;
	uint8_t nop = 0x90;

	assert_false(insn_decode(NULL, 1, &regs, &got));
	assert_false(insn_decode(&nop, 1, NULL, &got));
	assert_false(insn_decode(&nop, 1, &regs, NULL));
	assert_false(insn_decode(&nop, 0, &regs, &got));
	assert_true(got.truncated);
	assert_true(insn_decode(&nop, 1, &regs, &got));
	assert_int_equal(got.length, 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(io),
		cmocka_unit_test(privileged),
		cmocka_unit_test(modrm_operands),
		cmocka_unit_test(implicit_operands),
		cmocka_unit_test(other),
		cmocka_unit_test(refused),
		cmocka_unit_test(stack_noncanonical),
		cmocka_unit_test(too_long),
		cmocka_unit_test(no_input),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
