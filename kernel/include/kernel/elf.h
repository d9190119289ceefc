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
	ELF_ERR_SEGMENTS,    /* more loadable segments than ELF_MAX_SEGMENTS */
};

/* Loadable segments an image may have (the kernel records each, to reload it). */
#define ELF_MAX_SEGMENTS 8

/* Where a loaded segment lives, so that a restart can copy it again. */
struct elf_segment {
	paddr_t mem; /* its pages, contiguous */
	uint64_t pages;
	uint64_t skip;   /* bytes from the first page to the segment's start */
	uint64_t offset; /* its bytes in the file */
	uint64_t filesz;
	uint64_t vaddr; /* where the domain sees its first page */
	bool writable;  /* mapped writable (else read-only or executable text) */
};

/* A loaded image: its file (a boot module, kept), entry and segments. */
struct elf_layout {
	const uint8_t *file;
	uint64_t entry;
	uint32_t n_segments;
	struct elf_segment seg[ELF_MAX_SEGMENTS];
};

/**
 * Checks the untrusted ELF @image (@len bytes) and maps its loadable segments
 * into @as with their rights (never writable and executable).
 * Needs: boot time; @image stays in memory as long as @out is used.
 * Returns: ELF_OK and the entry and segments in *@out, or why not.
 */
enum elf_err elf_load(paddr_t as, const void *image, uint64_t len, struct elf_layout *out);

/**
 * Makes every segment of the loaded @l as it was when loaded: the file's
 * bytes copied again, the rest of each segment's pages zeroed.
 * Needs: @l filled by elf_load. Returns: nothing; cannot fail.
 */
void elf_reload(const struct elf_layout *l);

/** Returns: @err in words, for the boot report (a static string). */
const char *elf_err_text(enum elf_err err);

#endif
