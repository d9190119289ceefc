/* Plan writer: lays the plan tables out as the checksummed binary of abi/plan.h and writes it. */
#include "planwriter.h"

#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <kernel/crc32.h>

/* Places @count records of @size bytes at *@pos, rounded up to 8 bytes. */
static struct bp_table place_table(size_t *pos, size_t count, size_t size)
{
	struct bp_table t;

	*pos = (*pos + 7) & ~(size_t)7;
	t.offset = (uint32_t)*pos;
	t.count = (uint32_t)count;
	*pos += count * size;
	return t;
}

static void put(char *buf, struct bp_table t, const void *records, size_t size)
{
	if (t.count)
		memcpy(buf + t.offset, records, t.count * size);
}

static void fill_header(const struct manifest *m, const struct layout *l, struct bp_header *h,
                        size_t *pos)
{
	h->magic = BP_MAGIC;
	h->version = BP_VERSION;
	h->header_size = sizeof(*h);
	h->memory_bytes = l->memory_bytes;
	memcpy(h->system_name, m->name, strnlen(m->name, BP_NAME_LEN - 1));
	*pos = sizeof(*h);
	h->domains = place_table(pos, l->n_domains, sizeof(struct bp_domain));
	h->regions = place_table(pos, l->n_regions, sizeof(struct bp_region));
	h->maps = place_table(pos, l->n_maps, sizeof(struct bp_map));
	h->channels = place_table(pos, l->n_channels, sizeof(struct bp_channel));
	h->caps = place_table(pos, l->n_caps, sizeof(struct bp_cap));
	h->ioports = place_table(pos, l->n_ioports, sizeof(struct bp_ioport));
	h->infos = place_table(pos, l->n_domains, sizeof(struct bh_start_info));
	h->devices = place_table(pos, l->n_devices, sizeof(struct bp_device));
	h->images = place_table(pos, l->n_images, sizeof(struct bp_image));
	h->faults = place_table(pos, l->n_faults, sizeof(struct bp_fault));
	*pos = (*pos + 7) & ~(size_t)7;
	h->total_size = (uint32_t)*pos;
	h->klog_domain = l->klog_domain;
	h->klog_region = l->klog_region;
	h->klog_bit = l->klog_bit;
	h->flags = l->flags;
}

void *planwriter_serialize(const struct manifest *m, const struct layout *l, size_t *size)
{
	struct bp_header h;
	size_t total;

	memset(&h, 0, sizeof(h));
	fill_header(m, l, &h, &total);
	char *buf = calloc(1, total);
	if (!buf)
		abort();
	put(buf, h.domains, l->domains, sizeof(struct bp_domain));
	put(buf, h.regions, l->regions, sizeof(struct bp_region));
	put(buf, h.maps, l->maps, sizeof(struct bp_map));
	put(buf, h.channels, l->channels, sizeof(struct bp_channel));
	put(buf, h.caps, l->caps, sizeof(struct bp_cap));
	put(buf, h.ioports, l->ioports, sizeof(struct bp_ioport));
	put(buf, h.infos, l->infos, sizeof(struct bh_start_info));
	put(buf, h.devices, l->devices, sizeof(struct bp_device));
	put(buf, h.images, l->images, sizeof(struct bp_image));
	put(buf, h.faults, l->faults, sizeof(struct bp_fault));
	memcpy(buf, &h, sizeof(h));
	h.checksum = crc32_update(0, buf, total);
	memcpy(buf + offsetof(struct bp_header, checksum), &h.checksum, sizeof(h.checksum));
	*size = total;
	return buf;
}

static bool write_all_nosync(int fd, const void *data, size_t size)
{
	const char *p = data;

	while (size > 0) {
		ssize_t n = write(fd, p, size);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return false;
		p += n;
		size -= (size_t)n;
	}
	return true;
}

static bool write_all(int fd, const void *data, size_t size)
{
	return write_all_nosync(fd, data, size) && fsync(fd) == 0;
}

/* Writes straight into an existing path that is not a plain file (a device
 * such as /dev/null, a pipe, a symlink such as /dev/stdout): renaming a
 * temporary file over it would replace it. */
static bool write_special(const char *path, const void *data, size_t size, char *err, size_t errlen)
{
	int fd = open(path, O_WRONLY | O_TRUNC | O_CREAT, 0644);
	bool ok = fd >= 0 && write_all_nosync(fd, data, size);
	if (fd >= 0)
		ok = close(fd) == 0 && ok;
	if (!ok)
		snprintf(err, errlen, "cannot write %s: %s", path, strerror(errno));
	return ok;
}

bool planwriter_write_file(const char *path, const void *data, size_t size, char *err,
                           size_t errlen)
{
	struct stat st;
	if (lstat(path, &st) == 0 && !S_ISREG(st.st_mode))
		return write_special(path, data, size, err, errlen);
	size_t len = strlen(path) + 16;
	char *tmp = malloc(len);

	if (!tmp)
		abort();
	snprintf(tmp, len, "%s.tmpXXXXXX", path);
	int fd = mkstemp(tmp);
	bool ok = fd >= 0 && fchmod(fd, 0644) == 0 && write_all(fd, data, size);
	if (fd >= 0)
		ok = close(fd) == 0 && ok;
	ok = ok && rename(tmp, path) == 0;
	if (!ok) {
		snprintf(err, errlen, "cannot write %s: %s", path, strerror(errno));
		if (fd >= 0)
			unlink(tmp);
	}
	free(tmp);
	return ok;
}

char *planwriter_modules(const struct layout *l)
{
	size_t len = 1;

	for (size_t i = 0; i < l->n_modules; i++)
		len += strlen(l->modules[i].name) + strlen(l->modules[i].path) + 2;
	char *s = malloc(len);
	if (!s)
		abort();
	s[0] = '\0';
	for (size_t i = 0; i < l->n_modules; i++)
		snprintf(s + strlen(s), len - strlen(s), "%s\t%s\n", l->modules[i].name,
		         l->modules[i].path);
	return s;
}
