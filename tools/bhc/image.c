/* Image: finds each domain's ELF program and checks that the kernel can load it. */
#include "image.h"

#include <elf.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <bulkhead/abi/layout.h>
#include <kernel/sha256.h>

#include "value.h"

#define IMAGE_MAX_PHDRS 64u

struct elf_view {
	Elf64_Ehdr eh;
	Elf64_Phdr ph[IMAGE_MAX_PHDRS];
	uint64_t file_size;
};

/* Why an image is refused, written into a caller's buffer. */
struct refusal {
	char text[256];
};

static bool is_file(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

/* Joins @dir and @name (+ @suffix) into a new string. */
static char *join(const char *dir, const char *name, const char *suffix)
{
	size_t len = strlen(dir) + strlen(name) + strlen(suffix) + 2;
	char *p = malloc(len);

	if (p)
		snprintf(p, len, "%s/%s%s", dir, name, suffix);
	return p;
}

/* An image to find and check: a domain's own, or one of its alternatives. */
struct image_ref {
	const char *image;  /* as written */
	const char *what;   /* "image" or "alternative image" */
	const char *domain; /* its domain's name */
	int line;
};

static void report_missing_program(struct manifest *m, const struct image_ref *d,
                                   const char *const *dirs, size_t n_dirs)
{
	char list[1024] = "";

	if (n_dirs == 0) {
		diag_error(m->diag, d->line,
		           "%s '%s' of domain '%s' not found: no --image-dir "
		           "was given; pass --image-dir DIR where %s.elf lives, or give a path "
		           "containing '/'",
		           d->what, d->image, d->domain, d->image);
		return;
	}
	for (size_t i = 0; i < n_dirs; i++)
		snprintf(list + strlen(list), sizeof(list) - strlen(list), "%s%s", i ? ", " : "",
		         dirs[i]);
	diag_error(m->diag, d->line,
	           "%s '%s' of domain '%s' not found: no %s.elf in %s; "
	           "build the program, or pass the --image-dir that holds it",
	           d->what, d->image, d->domain, d->image, list);
}

/* Returns the absolute path of image @d, or NULL (reported). Caller frees. */
static char *resolve(struct manifest *m, const struct image_ref *d, const char *const *dirs,
                     size_t n_dirs)
{
	char *abs = NULL;

	if (strchr(d->image, '/')) {
		char *p = d->image[0] == '/' ? strdup(d->image) : join(m->dir, d->image, "");
		abs = p && is_file(p) ? realpath(p, NULL) : NULL;
		if (!abs)
			diag_error(m->diag, d->line,
			           "%s file '%s' of domain '%s' does not exist "
			           "(looked for %s); fix the path, which is relative to the "
			           "manifest's directory",
			           d->what, d->image, d->domain, p ? p : d->image);
		free(p);
		return abs;
	}
	for (size_t i = 0; !abs && i < n_dirs; i++) {
		char *p = join(dirs[i], d->image, ".elf");
		abs = p && is_file(p) ? realpath(p, NULL) : NULL;
		free(p);
	}
	if (!abs)
		report_missing_program(m, d, dirs, n_dirs);
	return abs;
}

static bool read_at(FILE *f, uint64_t off, void *buf, size_t len)
{
	return fseeko(f, (off_t)off, SEEK_SET) == 0 && fread(buf, 1, len, f) == len;
}

static bool read_header(FILE *f, struct elf_view *v, struct refusal *why)
{
	const unsigned char *id = v->eh.e_ident;

	if (v->file_size < sizeof(v->eh) || !read_at(f, 0, &v->eh, sizeof(v->eh)) ||
	    memcmp(id, ELFMAG, SELFMAG) != 0) {
		snprintf(why->text, sizeof(why->text),
		         "is not an ELF file; point image at a program "
		         "built for Bulkhead");
		return false;
	}
	if (id[EI_CLASS] != ELFCLASS64 || id[EI_DATA] != ELFDATA2LSB ||
	    v->eh.e_machine != EM_X86_64) {
		snprintf(why->text, sizeof(why->text),
		         "is not a 64-bit x86_64 ELF file; build it "
		         "for x86_64");
		return false;
	}
	if (v->eh.e_type != ET_EXEC) {
		snprintf(why->text, sizeof(why->text),
		         "is not an ELF executable (ELF type %u); "
		         "link it as a static, non-PIE executable at 0x%llx",
		         v->eh.e_type, (unsigned long long)BH_IMAGE_BASE);
		return false;
	}
	return true;
}

static bool read_phdrs(FILE *f, struct elf_view *v, struct refusal *why)
{
	uint64_t len = (uint64_t)v->eh.e_phnum * sizeof(Elf64_Phdr);

	if (v->eh.e_phentsize != sizeof(Elf64_Phdr) || v->eh.e_phnum == 0 ||
	    v->eh.e_phnum > IMAGE_MAX_PHDRS || v->eh.e_phoff > v->file_size ||
	    len > v->file_size - v->eh.e_phoff || !read_at(f, v->eh.e_phoff, v->ph, len)) {
		snprintf(why->text, sizeof(why->text),
		         "has a damaged or missing program header "
		         "table (%u entries); rebuild it",
		         v->eh.e_phnum);
		return false;
	}
	return true;
}

static bool check_segment(const struct elf_view *v, unsigned i, struct refusal *why)
{
	const Elf64_Phdr *p = &v->ph[i];

	if (p->p_filesz > p->p_memsz || p->p_offset > v->file_size ||
	    p->p_filesz > v->file_size - p->p_offset) {
		snprintf(why->text, sizeof(why->text),
		         "has a damaged segment %u (its bytes lie outside the file); rebuild it",
		         i);
		return false;
	}
	if (p->p_vaddr < BH_IMAGE_BASE || p->p_vaddr > BH_IMAGE_END ||
	    p->p_memsz > BH_IMAGE_END - p->p_vaddr) {
		unsigned long long start = p->p_vaddr, end = start + p->p_memsz;
		snprintf(why->text, sizeof(why->text),
		         "has segment %u at 0x%llx..0x%llx, outside [0x%llx, 0x%llx); link the "
		         "program at 0x%llx",
		         i, start, end, BH_IMAGE_BASE, BH_IMAGE_END, BH_IMAGE_BASE);
		return false;
	}
	if ((p->p_flags & PF_W) && (p->p_flags & PF_X)) {
		snprintf(why->text, sizeof(why->text),
		         "has segment %u writable and executable, "
		         "which W^X forbids; link code and data into separate segments",
		         i);
		return false;
	}
	return true;
}

static uint64_t page_down(uint64_t x)
{
	return x & ~(BH_PAGE_SIZE - 1);
}

static uint64_t page_up(uint64_t x)
{
	return page_down(x + BH_PAGE_SIZE - 1);
}

/* Two segments sharing a page where one writes and the other executes: a W+X page. */
static bool check_shared_pages(const struct elf_view *v, unsigned i, struct refusal *why)
{
	const Elf64_Phdr *a = &v->ph[i];

	for (unsigned j = 0; j < i; j++) {
		const Elf64_Phdr *b = &v->ph[j];
		uint32_t f = a->p_flags | b->p_flags;
		if (b->p_type != PT_LOAD || !(f & PF_W) || !(f & PF_X) ||
		    page_down(a->p_vaddr) >= page_up(b->p_vaddr + b->p_memsz) ||
		    page_down(b->p_vaddr) >= page_up(a->p_vaddr + a->p_memsz))
			continue;
		snprintf(why->text, sizeof(why->text),
		         "has segments %u and %u on a shared page, "
		         "one writable and one executable, which W^X forbids; link with "
		         "-z separate-code -z max-page-size=0x1000",
		         j, i);
		return false;
	}
	return true;
}

/* Bytes of whole pages the loadable segments cover, each page counted once. */
static uint64_t page_bytes(const struct elf_view *v)
{
	uint64_t start[IMAGE_MAX_PHDRS], end[IMAGE_MAX_PHDRS], total = 0, covered = 0;
	unsigned n = 0;

	for (unsigned i = 0; i < v->eh.e_phnum; i++) {
		const Elf64_Phdr *p = &v->ph[i];
		if (p->p_type != PT_LOAD || p->p_memsz == 0)
			continue;
		unsigned j = n++;
		for (; j > 0 && start[j - 1] > page_down(p->p_vaddr); j--) {
			start[j] = start[j - 1];
			end[j] = end[j - 1];
		}
		start[j] = page_down(p->p_vaddr);
		end[j] = page_up(p->p_vaddr + p->p_memsz);
	}
	for (unsigned i = 0; i < n; i++) {
		uint64_t s = start[i] > covered ? start[i] : covered;
		if (end[i] > s)
			total += end[i] - s;
		if (end[i] > covered)
			covered = end[i];
	}
	return total;
}

static bool entry_executable(const struct elf_view *v)
{
	for (unsigned i = 0; i < v->eh.e_phnum; i++) {
		const Elf64_Phdr *p = &v->ph[i];
		if (p->p_type == PT_LOAD && (p->p_flags & PF_X) && v->eh.e_entry >= p->p_vaddr &&
		    v->eh.e_entry - p->p_vaddr < p->p_memsz)
			return true;
	}
	return false;
}

static bool check_segments(struct elf_view *v, struct m_image *img, struct refusal *why)
{
	unsigned loads = 0;

	for (unsigned i = 0; i < v->eh.e_phnum; i++) {
		if (v->ph[i].p_type != PT_LOAD)
			continue;
		if (!check_segment(v, i, why) || !check_shared_pages(v, i, why))
			return false;
		loads++;
	}
	if (loads == 0) {
		snprintf(why->text, sizeof(why->text), "has no loadable segment; rebuild it");
		return false;
	}
	if (!entry_executable(v)) {
		snprintf(why->text, sizeof(why->text),
		         "has its entry point 0x%llx outside every "
		         "executable segment; rebuild it",
		         (unsigned long long)v->eh.e_entry);
		return false;
	}
	img->n_segments = loads;
	img->pages_bytes = page_bytes(v);
	return true;
}

/* Hashes the whole file @f, as the kernel hashes the boot module. */
static bool hash_file(FILE *f, struct m_image *img, struct refusal *why)
{
	unsigned char buf[65536];
	struct sha256 s;
	size_t n;

	sha256_init(&s);
	rewind(f);
	while ((n = fread(buf, 1, sizeof(buf), f)) > 0)
		sha256_update(&s, buf, n);
	sha256_final(&s, img->sha256);
	if (!ferror(f))
		return true;
	snprintf(why->text, sizeof(why->text), "cannot be read");
	return false;
}

static bool inspect(const char *path, struct m_image *img, struct refusal *why)
{
	struct elf_view *v = calloc(1, sizeof(*v));
	FILE *f = fopen(path, "rb");
	struct stat st;
	bool ok = false;

	if (!v || !f || fstat(fileno(f), &st) != 0)
		snprintf(why->text, sizeof(why->text), "cannot be read");
	else {
		v->file_size = (uint64_t)st.st_size;
		ok = read_header(f, v, why) && read_phdrs(f, v, why) &&
		     check_segments(v, img, why) && hash_file(f, img, why);
	}
	if (f)
		fclose(f);
	free(v);
	return ok;
}

/* Finds and checks image @ref into @img. */
static void check_one(struct manifest *m, const struct image_ref *ref, struct m_image *img,
                      const char *const *dirs, size_t n_dirs)
{
	struct refusal why;

	img->path = resolve(m, ref, dirs, n_dirs);
	if (!img->path)
		return;
	img->ok = inspect(img->path, img, &why);
	if (!img->ok)
		diag_error(m->diag, ref->line, "%s '%s' of domain '%s' %s", ref->what, ref->image,
		           ref->domain, why.text);
}

void image_check_all(struct manifest *m, const char *const *dirs, size_t n_dirs)
{
	for (size_t i = 0; i < m->n_domains; i++) {
		struct m_domain *d = &m->domains[i];
		if (!d->name)
			continue;
		struct image_ref ref = {d->image, "image", d->name, d->line};
		if (d->image)
			check_one(m, &ref, &d->img, dirs, n_dirs);
		for (size_t k = 0; k < d->n_alts; k++) {
			struct image_ref alt = {d->alts[k].image, "alternative image", d->name,
			                        d->alts[k].line};
			if (alt.image)
				check_one(m, &alt, &d->alts[k].img, dirs, n_dirs);
		}
	}
}
