/* Save and restore of a domain: memory and vCPU to a slot of a volume and back, checked. */
#include <stdbool.h>
#include <string.h>

#include <bearssl_hash.h>
#include <bulkhead/abi/hypercall.h>

#include "ctl_save.h"

static struct save_header hdr; /* the header being written or checked */

static enum save_result fail_kernel(struct save_report *rep, enum bh_err e)
{
	rep->result = SAVE_E_KERNEL;
	rep->err = e;
	return SAVE_E_KERNEL;
}

static enum save_result finish(struct save_report *rep, enum save_result r)
{
	rep->result = r;
	return r;
}

static void hash_header(br_sha256_context *h, const struct save_header *src)
{
	static struct save_header copy;

	copy = *src;
	memset(copy.sha256, 0, sizeof(copy.sha256));
	br_sha256_init(h);
	br_sha256_update(h, &copy, sizeof(copy));
}

/* Stops the target if it runs (one not running is fine); *@word: its state word. */
static enum bh_err stop_if_running(const struct save_ops *ops, uint64_t *word)
{
	enum bh_err e = ops->state(ops->ctx, word);

	if (e != BH_OK || BH_DSTATE_STATE(*word) != BH_DSTATE_RUNNING)
		return e;
	return ops->stop(ops->ctx);
}

/* Spans and their total into hdr; SAVE_E_TOO_BIG if they do not fit the slot. */
static enum save_result read_layout(const struct save_ops *ops, struct save_report *rep)
{
	uint32_t n = 0;
	enum bh_err e = ops->layout(ops->ctx, hdr.spans, SAVE_MAX_SPANS, &n);

	if (e != BH_OK)
		return fail_kernel(rep, e);
	if (n > SAVE_MAX_SPANS || ops->slot_bytes < SAVE_HEADER_BYTES)
		return finish(rep, SAVE_E_TOO_BIG);
	hdr.n_spans = n;
	hdr.data_bytes = 0;
	for (uint32_t i = 0; i < n; i++)
		hdr.data_bytes += hdr.spans[i].size;
	if (hdr.data_bytes > ops->slot_bytes - SAVE_HEADER_BYTES)
		return finish(rep, SAVE_E_TOO_BIG);
	return SAVE_OK;
}

/* Copies one span to the disk at @*off, hashing it. */
static enum save_result save_span(const struct save_ops *ops, const struct bh_mem_span *s,
                                  uint64_t *off, br_sha256_context *h, struct save_report *rep)
{
	for (uint64_t done = 0; done < s->size;) {
		uint64_t len = s->size - done < ops->buf_size ? s->size - done : ops->buf_size;
		enum bh_err e = ops->mem_read(ops->ctx, s->vaddr + done, len);
		if (e != BH_OK)
			return fail_kernel(rep, e);
		br_sha256_update(h, ops->buf, (size_t)len);
		if (ops->disk_write(ops->ctx, *off, (size_t)len) != 0)
			return finish(rep, SAVE_E_DISK);
		done += len;
		*off += len;
		rep->bytes += len;
	}
	return SAVE_OK;
}

/* Writes hdr (through buf) at the slot's start. */
static int write_header(const struct save_ops *ops)
{
	memcpy(ops->buf, &hdr, sizeof(hdr));
	return ops->disk_write(ops->ctx, 0, sizeof(hdr));
}

static enum save_result save_body(const struct save_ops *ops, struct save_report *rep)
{
	br_sha256_context h;
	uint64_t off = SAVE_HEADER_BYTES;
	enum save_result r;

	hash_header(&h, &hdr);
	for (uint32_t i = 0; i < hdr.n_spans; i++)
		if ((r = save_span(ops, &hdr.spans[i], &off, &h, rep)) != SAVE_OK)
			return r;
	br_sha256_out(&h, hdr.sha256);
	memcpy(rep->sha256, hdr.sha256, sizeof(hdr.sha256));
	if (write_header(ops) != 0 || ops->disk_flush(ops->ctx) != 0)
		return finish(rep, SAVE_E_DISK);
	return finish(rep, SAVE_OK);
}

enum save_result ctl_save_domain(const struct save_ops *ops, const char *name, uint64_t now_unix,
                                 struct save_report *rep)
{
	enum save_result r;
	uint64_t word = 0;
	enum bh_err e;

	memset(rep, 0, sizeof(*rep));
	if ((e = stop_if_running(ops, &word)) != BH_OK)
		return fail_kernel(rep, e);
	memset(&hdr, 0, sizeof(hdr));
	if ((r = read_layout(ops, rep)) != SAVE_OK)
		return r;
	if ((e = ops->vcpu_get(ops->ctx, &hdr.vcpu)) != BH_OK)
		return fail_kernel(rep, e);
	rep->spans = hdr.n_spans;
	memset(ops->buf, 0, SAVE_HEADER_BYTES); /* wipe the old header first */
	if (ops->disk_write(ops->ctx, 0, SAVE_HEADER_BYTES) != 0 || ops->disk_flush(ops->ctx) != 0)
		return finish(rep, SAVE_E_DISK);
	hdr.magic = SAVE_MAGIC;
	hdr.version = SAVE_VERSION;
	strncpy(hdr.domain, name, SAVE_NAME - 1);
	hdr.generation = BH_DSTATE_GENERATION(word);
	hdr.image_index = BH_DSTATE_IMAGE(word);
	hdr.saved_unix = now_unix;
	return save_body(ops, rep);
}

static bool name_is(const char *field, const char *name)
{
	char got[SAVE_NAME + 1];

	memcpy(got, field, SAVE_NAME);
	got[SAVE_NAME] = '\0';
	return strcmp(got, name) == 0;
}

static bool spans_sane(const struct save_header *h, uint64_t room)
{
	uint64_t total = 0, end = 0;

	for (uint32_t i = 0; i < h->n_spans; i++) {
		const struct bh_mem_span *s = &h->spans[i];
		if ((s->vaddr | s->size) & 0xfffu || s->size == 0 || s->vaddr < end ||
		    s->size > room - total || s->vaddr + s->size < s->vaddr)
			return false;
		end = s->vaddr + s->size;
		total += s->size;
	}
	return total == h->data_bytes;
}

enum save_result ctl_save_check_header(const struct save_header *h, const char *name,
                                       uint64_t slot_bytes)
{
	if (h->magic != SAVE_MAGIC)
		return SAVE_E_NO_SAVE;
	if (h->version != SAVE_VERSION || h->n_spans > SAVE_MAX_SPANS ||
	    slot_bytes < SAVE_HEADER_BYTES)
		return SAVE_E_CORRUPT;
	if (!name_is(h->domain, name))
		return SAVE_E_OTHER;
	if (!spans_sane(h, slot_bytes - SAVE_HEADER_BYTES))
		return SAVE_E_CORRUPT;
	return SAVE_OK;
}

/* The target's spans now must be the save's, exactly. */
static enum save_result same_layout(const struct save_ops *ops, struct save_report *rep)
{
	static struct bh_mem_span now[SAVE_MAX_SPANS];
	uint32_t n = 0;
	enum bh_err e = ops->layout(ops->ctx, now, SAVE_MAX_SPANS, &n);

	if (e != BH_OK)
		return fail_kernel(rep, e);
	if (n != hdr.n_spans)
		return finish(rep, SAVE_E_LAYOUT);
	for (uint32_t i = 0; i < n; i++)
		if (now[i].vaddr != hdr.spans[i].vaddr || now[i].size != hdr.spans[i].size)
			return finish(rep, SAVE_E_LAYOUT);
	return SAVE_OK;
}

/* Moves one span from the disk at @*off into the target, reading each chunk back. */
static enum save_result restore_span(const struct save_ops *ops, const struct bh_mem_span *s,
                                     uint64_t *off, br_sha256_context *h, struct save_report *rep)
{
	for (uint64_t done = 0; done < s->size;) {
		uint64_t len = s->size - done < ops->buf_size ? s->size - done : ops->buf_size;
		enum bh_err e;
		if (ops->disk_read(ops->ctx, *off, (size_t)len) != 0)
			return finish(rep, SAVE_E_DISK);
		br_sha256_update(h, ops->buf, (size_t)len);
		memcpy(ops->check, ops->buf, (size_t)len);
		if ((e = ops->mem_write(ops->ctx, s->vaddr + done, len)) != BH_OK ||
		    (e = ops->mem_read(ops->ctx, s->vaddr + done, len)) != BH_OK)
			return fail_kernel(rep, e);
		if (memcmp(ops->check, ops->buf, (size_t)len) != 0)
			return finish(rep, SAVE_E_READBACK);
		done += len;
		*off += len;
		rep->bytes += len;
	}
	return SAVE_OK;
}

static enum save_result restore_body(const struct save_ops *ops, struct save_report *rep)
{
	br_sha256_context h;
	uint64_t off = SAVE_HEADER_BYTES;
	enum save_result r;
	enum bh_err e;

	hash_header(&h, &hdr);
	for (uint32_t i = 0; i < hdr.n_spans; i++)
		if ((r = restore_span(ops, &hdr.spans[i], &off, &h, rep)) != SAVE_OK)
			return r;
	br_sha256_out(&h, rep->sha256);
	if (memcmp(rep->sha256, hdr.sha256, sizeof(hdr.sha256)) != 0)
		return finish(rep, SAVE_E_CORRUPT);
	if ((e = ops->vcpu_set(ops->ctx, &hdr.vcpu)) != BH_OK ||
	    (e = ops->resume(ops->ctx)) != BH_OK)
		return fail_kernel(rep, e);
	return finish(rep, SAVE_OK);
}

enum save_result ctl_restore_domain(const struct save_ops *ops, const char *name,
                                    struct save_report *rep)
{
	enum save_result r;
	uint64_t word;
	enum bh_err e;

	memset(rep, 0, sizeof(*rep));
	if (ops->disk_read(ops->ctx, 0, SAVE_HEADER_BYTES) != 0)
		return finish(rep, SAVE_E_DISK);
	memcpy(&hdr, ops->buf, sizeof(hdr)); /* copied once: only the copy is checked and used */
	if ((r = ctl_save_check_header(&hdr, name, ops->slot_bytes)) != SAVE_OK)
		return finish(rep, r);
	rep->spans = hdr.n_spans;
	if ((e = stop_if_running(ops, &word)) != BH_OK ||
	    (e = ops->restart_held(ops->ctx, hdr.image_index)) != BH_OK)
		return fail_kernel(rep, e);
	if ((r = same_layout(ops, rep)) != SAVE_OK)
		return r;
	return restore_body(ops, rep);
}

const char *ctl_save_error(enum save_result r)
{
	static const char *const text[] = {
		[SAVE_OK] = "ok",
		[SAVE_E_KERNEL] = "the kernel refused",
		[SAVE_E_DISK] = "the save volume failed a request",
		[SAVE_E_TOO_BIG] = "the domain's memory does not fit its slot of the save volume",
		[SAVE_E_NO_SAVE] = "no save of it on the volume",
		[SAVE_E_OTHER] = "its slot holds another domain's save",
		[SAVE_E_CORRUPT] = "the save on the volume is corrupt",
		[SAVE_E_LAYOUT] = "its memory is laid out otherwise than the save's",
		[SAVE_E_READBACK] = "its memory did not read back as written",
	};

	return (unsigned)r < sizeof(text) / sizeof(text[0]) ? text[r] : "unknown";
}
