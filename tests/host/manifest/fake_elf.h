/* Fake ELF images: small x86_64 executables (and broken variants) for the manifest tests. */
#ifndef TEST_FAKE_ELF_H
#define TEST_FAKE_ELF_H

#include <stdbool.h>

/**
 * Writes the program images the test corpus names into @dir as NAME.elf:
 * good ones (console, ping, pong, ...: code at 0x400000, data after it) and
 * one broken image per check the compiler makes (notelf, elf32, arm, pie,
 * lowseg, highseg, wxseg, noload, badentry, sharedpage, truncphdr, big).
 * Needs: @dir exists and is writable. Returns: true if every file was written.
 */
bool fake_elf_write_all(const char *dir);

#endif
