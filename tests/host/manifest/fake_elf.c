/* Fake ELF images: small x86_64 executables (and broken variants) for the manifest tests. */
#include "fake_elf.h"

#include <elf.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#define CODE 0x400000u
#define DATA 0x401000u

struct seg {
	uint64_t vaddr, filesz, memsz;
	uint32_t flags;
};

struct fake {
	const char *name;
	struct seg segs[3];
	unsigned n_segs;
	uint16_t type, machine;
	uint8_t cls;
	uint64_t entry;
	bool truncate_phdrs;
	uint32_t first_type; /* p_type of the first segment: PT_LOAD, or PT_NOTE for noload */
};

/* Good images: code (r-x) and data (rw-, partly bss). */
#define GOOD(n)                                                                               \
	{                                                                                     \
		n, {{CODE, 0x100, 0x100, PF_R | PF_X}, {DATA, 0x10, 0x2000, PF_R | PF_W}}, 2, \
			ET_EXEC, EM_X86_64, ELFCLASS64, CODE, false, PT_LOAD                  \
	}

static const struct fake fakes[] = {
	GOOD("console"),
	GOOD("ping"),
	GOOD("pong"),
	GOOD("faulty"),
	GOOD("client"),
	GOOD("server"),
	GOOD("worker"),
	GOOD("app"),
	GOOD("a"),
	GOOD("b"),
	GOOD("c"),
	GOOD("custom"),
	GOOD("copy-of-ping"),
	GOOD("driver"),
	GOOD("driver-v2"),
	GOOD("supervisor"),
	{"elf32",
         {{CODE, 0x100, 0x100, PF_R | PF_X}},
         1,
         ET_EXEC,
         EM_X86_64,
         ELFCLASS32,
         CODE,
         false,
         PT_LOAD},
	{"arm",
         {{CODE, 0x100, 0x100, PF_R | PF_X}},
         1,
         ET_EXEC,
         EM_AARCH64,
         ELFCLASS64,
         CODE,
         false,
         PT_LOAD},
	{"pie",
         {{CODE, 0x100, 0x100, PF_R | PF_X}},
         1,
         ET_DYN,
         EM_X86_64,
         ELFCLASS64,
         CODE,
         false,
         PT_LOAD},
	{"lowseg",
         {{0x1000, 0x100, 0x100, PF_R | PF_X}},
         1,
         ET_EXEC,
         EM_X86_64,
         ELFCLASS64,
         0x1000,
         false,
         PT_LOAD},
	{"highseg",
         {{CODE, 0x100, 0x100, PF_R | PF_X}, {0xfff0000, 0x10, 0x20000, PF_R | PF_W}},
         2,
         ET_EXEC,
         EM_X86_64,
         ELFCLASS64,
         CODE,
         false,
         PT_LOAD},
	{"wxseg",
         {{CODE, 0x100, 0x100, PF_R | PF_W | PF_X}},
         1,
         ET_EXEC,
         EM_X86_64,
         ELFCLASS64,
         CODE,
         false,
         PT_LOAD},
	{"noload",
         {{CODE, 0x100, 0x100, PF_R | PF_X}},
         1,
         ET_EXEC,
         EM_X86_64,
         ELFCLASS64,
         CODE,
         false,
         PT_NOTE},
	{"badentry",
         {{CODE, 0x100, 0x100, PF_R | PF_X}, {DATA, 0x10, 0x2000, PF_R | PF_W}},
         2,
         ET_EXEC,
         EM_X86_64,
         ELFCLASS64,
         DATA,
         false,
         PT_LOAD},
	{"sharedpage",
         {{CODE, 0x1800, 0x1800, PF_R | PF_X}, {CODE + 0x1800, 0x10, 0x100, PF_R | PF_W}},
         2,
         ET_EXEC,
         EM_X86_64,
         ELFCLASS64,
         CODE,
         false,
         PT_LOAD},
	{"truncphdr",
         {{CODE, 0x100, 0x100, PF_R | PF_X}},
         1,
         ET_EXEC,
         EM_X86_64,
         ELFCLASS64,
         CODE,
         true,
         PT_LOAD},
	/* 200 MiB of bss: for the memory total. */
	{"big",
         {{CODE, 0x100, 0x100, PF_R | PF_X}, {DATA, 0x10, 200u << 20, PF_R | PF_W}},
         2,
         ET_EXEC,
         EM_X86_64,
         ELFCLASS64,
         CODE,
         false,
         PT_LOAD},
};

static bool write_fake(FILE *f, const struct fake *k)
{
	Elf64_Ehdr eh;
	uint64_t off = sizeof(eh) + k->n_segs * sizeof(Elf64_Phdr);
	bool ok = true;

	memset(&eh, 0, sizeof(eh));
	memcpy(eh.e_ident, ELFMAG, SELFMAG);
	eh.e_ident[EI_CLASS] = k->cls;
	eh.e_ident[EI_DATA] = ELFDATA2LSB;
	eh.e_ident[EI_VERSION] = EV_CURRENT;
	eh.e_type = k->type;
	eh.e_machine = k->machine;
	eh.e_version = EV_CURRENT;
	eh.e_entry = k->entry;
	eh.e_phoff = sizeof(eh);
	eh.e_ehsize = sizeof(eh);
	eh.e_phentsize = sizeof(Elf64_Phdr);
	eh.e_phnum = (uint16_t)(k->truncate_phdrs ? 8 : k->n_segs);
	ok = fwrite(&eh, sizeof(eh), 1, f) == 1;
	for (unsigned i = 0; ok && i < k->n_segs; i++) {
		Elf64_Phdr ph = {i ? PT_LOAD : k->first_type,
		                 k->segs[i].flags,
		                 off,
		                 k->segs[i].vaddr,
		                 k->segs[i].vaddr,
		                 k->segs[i].filesz,
		                 k->segs[i].memsz,
		                 0x1000};
		ok = fwrite(&ph, sizeof(ph), 1, f) == 1;
		off += k->segs[i].filesz;
	}
	for (unsigned i = 0; ok && i < k->n_segs && !k->truncate_phdrs; i++)
		for (uint64_t b = 0; ok && b < k->segs[i].filesz; b++)
			ok = fputc(0x90, f) != EOF;
	return ok;
}

static bool write_file(const char *dir, const char *name, const struct fake *k)
{
	char path[4096];

	snprintf(path, sizeof(path), "%s/%s.elf", dir, name);
	FILE *f = fopen(path, "wb");
	if (!f)
		return false;
	bool ok = k ? write_fake(f, k) : fputs("#!/bin/sh\necho not an ELF file\n", f) >= 0;
	return fclose(f) == 0 && ok;
}

bool fake_elf_write_all(const char *dir)
{
	char name[16];
	bool ok = write_file(dir, "notelf", NULL);

	for (size_t i = 0; ok && i < sizeof(fakes) / sizeof(fakes[0]); i++)
		ok = write_file(dir, fakes[i].name, &fakes[i]);
	/* d00 .. d39: for systems with many domains. */
	for (unsigned i = 0; ok && i < 40; i++) {
		snprintf(name, sizeof(name), "d%02u", i);
		ok = write_file(dir, name, &fakes[0]);
	}
	return ok;
}
