/* Fuzz target `insn`: the kernel's x86_64 instruction decoder (kernel/arch/x86_64/insn.c). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <insn.h>

/*
 * Input: one byte whose low four bits are the instruction length n (0-15),
 * then the n instruction bytes (fewer if the input ends), then the registers
 * as struct arch_regs holds them (entry.S order, little-endian; missing bytes
 * are zero). The decoder gets the instruction in a buffer of exactly n bytes,
 * so AddressSanitizer catches a read past it. Then the result must be
 * self-consistent, must not depend on anything past .length, and its kind,
 * length and operand shapes must not depend on the registers.
 */

/**
 * libFuzzer's entry: decodes the instruction in the @size bytes at @data.
 * Returns: 0; abort()s (after a line naming the broken rule) on any inconsistency.
 */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void broken(const char *rule)
{
	fprintf(stderr, "fuzz_insn: %s\n", rule);
	abort();
}

static bool decode_exact(const uint8_t *bytes, size_t n, const struct arch_regs *r,
                         struct insn_info *out)
{
	uint8_t *copy = malloc(n ? n : 1);

	if (!copy)
		abort();
	memcpy(copy, bytes, n);
	memset(out, 0xa5, sizeof(*out)); /* every field must be written */
	bool ok = insn_decode(copy, n, r, out);
	free(copy);
	return ok;
}

static bool canonical(uint64_t a)
{
	return (a >> 47) == 0 || (a >> 47) == 0x1ffff;
}

static bool printable_name(const char *s)
{
	size_t len = strnlen(s, 32);

	if (len == 0 || len == 32)
		return false;
	for (size_t i = 0; i < len; i++) {
		if (s[i] < 0x20 || s[i] > 0x7e)
			return false;
	}
	return true;
}

static void check_refused(const struct insn_info *in, size_t n)
{
	if (in->kind != INSN_UNKNOWN || in->length || in->mnemonic || in->mem_count ||
	    in->port_known)
		broken("a refused instruction must leave the result empty");
	if (n == 0 && !in->truncated)
		broken("no bytes at all must count as truncated");
}

static void check_mem(const struct insn_info *in)
{
	if (in->mem_count > 2)
		broken("more than two memory operands");
	for (unsigned i = 0; i < in->mem_count; i++) {
		const struct insn_mem *m = &in->mem[i];
		if (m->canonical != canonical(m->address))
			broken(".canonical disagrees with the address");
		if (m->segment != 0 && m->segment != 0x64 && m->segment != 0x65)
			broken("a segment other than none, fs or gs");
		if (m->stack && m->segment)
			broken("a stack operand with an fs/gs prefix");
	}
	if (in->mem_count &&
	    (in->address != in->mem[0].address || in->address_canonical != in->mem[0].canonical ||
	     in->segment_prefix != in->mem[0].segment))
		broken(".address, .address_canonical, .segment_prefix must repeat mem[0]");
	if (!in->mem_count && (in->address || in->address_canonical || in->segment_prefix))
		broken("an address without a memory operand");
}

static void check_kind(const struct insn_info *in)
{
	switch (in->kind) {
	case INSN_IO:
		if (!in->mnemonic || !in->port_known ||
		    (in->io_size != 1 && in->io_size != 2 && in->io_size != 4))
			broken("an I/O instruction needs a mnemonic, a port and a size of 1, 2 or 4");
		break;
	case INSN_PRIVILEGED:
		if (!in->mnemonic || in->port_known)
			broken("a privileged instruction needs a mnemonic (and no port)");
		break;
	case INSN_MEMORY:
		if (in->mnemonic || in->port_known || in->mem_count == 0)
			broken("a memory instruction needs a memory operand (and no mnemonic or port)");
		break;
	case INSN_UNKNOWN:
		if (in->mnemonic || in->port_known || in->mem_count)
			broken("an unknown instruction has no mnemonic, port or memory operand");
		break;
	default:
		broken("a kind outside the enum");
	}
	if (in->mnemonic && !printable_name(in->mnemonic))
		broken("a mnemonic must be a short printable string");
}

static void check_decoded(const struct insn_info *in, size_t n)
{
	if (in->length == 0 || in->length > n || in->length > INSN_MAX_LEN)
		broken("the length must be within 1..n and at most 15");
	if (in->truncated)
		broken("a decoded instruction is not truncated");
	check_kind(in);
	check_mem(in);
}

static bool same_info(const struct insn_info *a, const struct insn_info *b)
{
	if (a->kind != b->kind || a->length != b->length || a->mnemonic != b->mnemonic ||
	    a->port != b->port || a->io_size != b->io_size || a->mem_count != b->mem_count ||
	    a->truncated != b->truncated)
		return false;
	for (unsigned i = 0; i < a->mem_count && i < 2; i++) {
		const struct insn_mem *x = &a->mem[i], *y = &b->mem[i];
		if (x->address != y->address || x->segment != y->segment ||
		    x->canonical != y->canonical || x->stack != y->stack)
			return false;
	}
	return true;
}

/* The decoder reads the instruction and nothing more: its first .length bytes give the
 * same result, and fewer bytes are refused as truncated. */
static void check_prefixes(const uint8_t *insn, const struct arch_regs *r,
                           const struct insn_info *in)
{
	struct insn_info again;

	if (!decode_exact(insn, in->length, r, &again) || !same_info(in, &again))
		broken("the instruction's own bytes decode differently from the longer input");
	for (size_t k = 0; k < in->length; k++) {
		if (decode_exact(insn, k, r, &again) || !again.truncated)
			broken("a proper prefix of a decoded instruction must be refused as truncated");
	}
}

/* The registers give ports and addresses, never the shape of the instruction. */
static void check_register_independence(const uint8_t *insn, size_t n, const struct arch_regs *r,
                                        bool ok, const struct insn_info *in)
{
	struct arch_regs other;
	struct insn_info again;

	memcpy(&other, r, sizeof(other));
	for (size_t i = 0; i < sizeof(other); i++)
		((uint8_t *)&other)[i] ^= 0xff;
	if (decode_exact(insn, n, &other, &again) != ok || again.kind != in->kind ||
	    again.length != in->length || again.mnemonic != in->mnemonic ||
	    again.mem_count != in->mem_count || again.io_size != in->io_size)
		broken("other register values change the kind, length or operands");
	for (unsigned i = 0; i < in->mem_count && i < 2; i++) {
		if (again.mem[i].segment != in->mem[i].segment ||
		    again.mem[i].stack != in->mem[i].stack)
			broken("other register values change an operand's segment");
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct arch_regs r;
	struct insn_info in;

	if (size == 0)
		return 0;
	size_t n = data[0] & 0x0fu;
	if (n > size - 1)
		n = size - 1;
	const uint8_t *insn = data + 1;
	size_t rest = size - 1 - n;
	memset(&r, 0, sizeof(r));
	memcpy(&r, insn + n, rest < sizeof(r) ? rest : sizeof(r));

	bool ok = decode_exact(insn, n, &r, &in);
	if (!ok) {
		check_refused(&in, n);
	} else {
		check_decoded(&in, n);
		check_prefixes(insn, &r, &in);
	}
	check_register_independence(insn, n, &r, ok, &in);
	return 0;
}
