/* ELF loader: checks a domain image and maps its segments W^X into an address space. */
#include <string.h>

#include <bulkhead/abi/layout.h>
#include <kernel/arch.h>
#include <kernel/elf.h>
#include <kernel/palloc.h>

#define PT_LOAD 1
#define PF_X 1
#define PF_W 2
#define PF_R 4

struct ehdr {
	uint8_t ident[16];
	uint16_t type, machine;
	uint32_t version;
	uint64_t entry, phoff, shoff;
	uint32_t flags;
	uint16_t ehsize, phentsize, phnum, shentsize, shnum, shstrndx;
};
struct phdr {
	uint32_t type, flags;
	uint64_t offset, vaddr, paddr, filesz, memsz, align;
};

static enum elf_err check_header(const struct ehdr *e, uint64_t len)
{
	static const uint8_t magic[4] = {0x7f, 'E', 'L', 'F'};
	if (len < sizeof(*e) || memcmp(e->ident, magic, sizeof(magic)) != 0)
		return ELF_ERR_NOT_ELF;
	if (e->ident[4] != 2 || e->ident[5] != 1 || e->machine != 62 || e->type != 2)
		return ELF_ERR_NOT_X86_64;
	if (e->phentsize != sizeof(struct phdr) || e->phoff > len ||
	    (uint64_t)e->phnum * sizeof(struct phdr) > len - e->phoff)
		return ELF_ERR_PHDR_BOUNDS;
	if (e->entry < BH_IMAGE_BASE || e->entry >= BH_IMAGE_END)
		return ELF_ERR_ENTRY;
	return ELF_OK;
}

/*
 * Every bound is checked without wrapping: the file range as offset <= len and
 * filesz <= len - offset, the memory range as vaddr inside the image area first,
 * then memsz <= BH_IMAGE_END - vaddr (which cannot underflow any more). The
 * kernel relies on these checks alone, never on the compiler's.
 */
static enum elf_err check_segment(const struct phdr *p, uint64_t len)
{
	if ((p->flags & PF_W) && (p->flags & PF_X))
		return ELF_ERR_WX;
	if (p->filesz > p->memsz || p->offset > len || p->filesz > len - p->offset)
		return ELF_ERR_FILE_BOUNDS;
	if (p->vaddr < BH_IMAGE_BASE || p->vaddr >= BH_IMAGE_END ||
	    p->memsz > BH_IMAGE_END - p->vaddr)
		return ELF_ERR_IMAGE_AREA;
	if ((p->vaddr & PAGE_MASK) != (p->offset & PAGE_MASK))
		return ELF_ERR_MISALIGNED;
	return ELF_OK;
}

/* Copies segment @s from @file into its pages, zeroing the rest of them. */
static void fill_segment(const struct elf_segment *s, const uint8_t *file)
{
	uint8_t *mem = arch_phys_to_virt(s->mem);
	memset(mem, 0, s->pages * PAGE_SIZE);
	memcpy(mem + s->skip, file + s->offset, s->filesz);
}

static enum elf_err load_segment(paddr_t as, const uint8_t *file, const struct phdr *p,
                                 struct elf_segment *s)
{
	uint64_t start = p->vaddr & ~PAGE_MASK, end = page_round_up(p->vaddr + p->memsz);
	paddr_t mem = palloc_pages((end - start) / PAGE_SIZE);
	if (!mem.v)
		return ELF_ERR_NO_MEMORY;
	*s = (struct elf_segment){
		mem,   (end - start) / PAGE_SIZE, p->vaddr - start, p->offset, p->filesz,
		start, (p->flags & PF_W) != 0};
	fill_segment(s, file);
	unsigned flags = ((p->flags & PF_R) ? ARCH_MAP_R : 0) |
	                 ((p->flags & PF_W) ? ARCH_MAP_W : 0) |
	                 ((p->flags & PF_X) ? ARCH_MAP_X : 0);
	enum arch_map_err rc = arch_as_map(as, va(start), mem, (end - start) / PAGE_SIZE, flags);
	if (rc == ARCH_MAP_OVERLAP)
		return ELF_ERR_SHARED_PAGE;
	if (rc == ARCH_MAP_BAD_ADDR)
		return ELF_ERR_USER_HALF;
	return rc ? ELF_ERR_NO_MEMORY : ELF_OK;
}

const char *elf_err_text(enum elf_err err)
{
	static const char *const text[] = {
		[ELF_OK] = "no error",
		[ELF_ERR_NOT_ELF] = "not an ELF file",
		[ELF_ERR_NOT_X86_64] = "not an x86_64 little-endian executable",
		[ELF_ERR_PHDR_BOUNDS] = "program headers out of bounds",
		[ELF_ERR_ENTRY] = "entry point outside the image area",
		[ELF_ERR_WX] = "segment both writable and executable (W^X)",
		[ELF_ERR_FILE_BOUNDS] = "segment out of file bounds",
		[ELF_ERR_IMAGE_AREA] = "segment outside the image area",
		[ELF_ERR_MISALIGNED] = "segment misaligned",
		[ELF_ERR_SHARED_PAGE] = "segments share a page",
		[ELF_ERR_USER_HALF] = "segment outside the user half",
		[ELF_ERR_NO_MEMORY] = "out of memory",
		[ELF_ERR_SEGMENTS] = "more than 8 loadable segments",
	};
	return (unsigned)err < sizeof(text) / sizeof(text[0]) ? text[err] : "unknown error";
}

enum elf_err elf_load(paddr_t as, const void *image, uint64_t len, struct elf_layout *out)
{
	const struct ehdr *e = image;
	enum elf_err why = check_header(e, len);
	if (why)
		return why;
	const struct phdr *ph = (const struct phdr *)((const uint8_t *)image + e->phoff);
	uint32_t n = 0;
	for (uint16_t i = 0; i < e->phnum && !why; i++)
		if (ph[i].type == PT_LOAD && ph[i].memsz && !(why = check_segment(&ph[i], len)))
			n++;
	if (!why && n > ELF_MAX_SEGMENTS)
		why = ELF_ERR_SEGMENTS;
	*out = (struct elf_layout){.file = image, .entry = e->entry};
	for (uint16_t i = 0; i < e->phnum && !why; i++)
		if (ph[i].type == PT_LOAD && ph[i].memsz)
			why = load_segment(as, image, &ph[i], &out->seg[out->n_segments++]);
	return why;
}

void elf_reload(const struct elf_layout *l)
{
	for (uint32_t i = 0; i < l->n_segments; i++)
		fill_segment(&l->seg[i], l->file);
}
