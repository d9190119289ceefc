/* ELF loader for domain images. */
#ifndef KERNEL_ELF_H
#define KERNEL_ELF_H

#include <kernel/types.h>

/* Why an image was refused. */
enum elf_err {
	ELF_OK = 0,
	ELF_ERR_NOT_ELF,     /* no ELF magic, or shorter than a header */
	ELF_ERR_NOT_X86_64,  /* another class, byte order, machine or type */
	ELF_ERR_PHDR_BOUNDS, /* program headers outside the file */
	ELF_ERR_ENTRY,       /* entry point outside the image area */
	ELF_ERR_WX,          /* a segment both writable and executable */
	ELF_ERR_FILE_BOUNDS, /* a segment's bytes outside the file */
	ELF_ERR_IMAGE_AREA,  /* a segment outside the image area */
	ELF_ERR_MISALIGNED,  /* address and file offset differ within a page */
	ELF_ERR_SHARED_PAGE, /* two segments share a page */
	ELF_ERR_USER_HALF,   /* a segment outside the user half */
	ELF_ERR_NO_MEMORY,   /* no page left for a segment */
};

/**
 * Checks the untrusted ELF @image (@len bytes) and maps its loadable segments
 * into @as with their rights (never writable and executable).
 * Needs: boot time. Returns: ELF_OK and the entry in *@entry, or why not.
 */
enum elf_err elf_load(paddr_t as, const void *image, uint64_t len, uint64_t *entry);

/** Returns: @err in words, for the boot report (a static string). */
const char *elf_err_text(enum elf_err err);

#endif
