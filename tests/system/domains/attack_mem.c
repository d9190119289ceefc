/* attack tests: memory accesses ring 3 must not get away with; each must stop this domain. */
#include <stdint.h>

#include "attack.h"

/* Addresses: a non-canonical one, the first page of the kernel's .text (mapped for the
 * kernel only, or not at all in a domain's page tables with mitigations forced on), its
 * alias in the direct map of physical memory, and a kernel-half address nothing maps. */
#define NONCANONICAL 0x5a5a5a5a5a5a5000ull
#define KERNEL_TEXT 0xffffffff80106000ull
#define KERNEL_DIRECT 0xffff800000106000ull
#define KERNEL_NOTHING 0xffffc00000000000ull

static void read_at(uint64_t addr)
{
	uint64_t v;

	__asm__ volatile("mov (%1), %0" : "=r"(v) : "r"(addr) : "memory");
	say("read 0x%llx: 0x%llx\n", (unsigned long long)addr, (unsigned long long)v);
}

static void write_at(uint64_t addr)
{
	__asm__ volatile("movq $0x5a, (%0)" : : "r"(addr) : "memory");
	say("wrote 0x%llx\n", (unsigned long long)addr);
}

static void noncanon_read(void)
{
	read_at(NONCANONICAL);
}

static void noncanon_write(void)
{
	write_at(NONCANONICAL);
}

static void kernel_read(void)
{
	read_at(KERNEL_TEXT);
}

static void kernel_write(void)
{
	write_at(KERNEL_TEXT);
}

/* A jump to the kernel's .text: an instruction fetch from a supervisor page. */
static void kernel_exec(void)
{
	__asm__ volatile("call *%0" : : "r"(KERNEL_TEXT) : "memory");
}

static void kernel_unmapped(void)
{
	read_at(KERNEL_NOTHING);
}

static void directmap_read(void)
{
	read_at(KERNEL_DIRECT);
}

static const struct attack attacks[] = {
	{"noncanon_read", noncanon_read},
	{"noncanon_write", noncanon_write},
	{"kernel_read", kernel_read},
	{"kernel_write", kernel_write},
	{"kernel_exec", kernel_exec},
	{"kernel_unmapped", kernel_unmapped},
	{"directmap_read", directmap_read},
	/* with mitigations forced on: the same reads, which must find nothing mapped */
	{"kpti_text", kernel_read},
	{"kpti_directmap", directmap_read},
};

int main(void)
{
	return attack_main(attacks, sizeof(attacks) / sizeof(attacks[0]));
}
