/* Save and restore of a domain (Xen's suspend/resume): its memory and vCPU to a volume and back. */
#ifndef CONTROL_CTL_SAVE_H
#define CONTROL_CTL_SAVE_H

#include <stddef.h>
#include <stdint.h>

#include <bulkhead/abi/domain.h>
#include <bulkhead/abi/err.h>

/*
 * A save is a header (SAVE_HEADER_BYTES at the start of the domain's slot of the save
 * volume) and then every private span of the domain, in the order of BH_HC_DOMAIN_LAYOUT,
 * back to back. The header carries the spans, the vCPU state and a SHA-256 over the header
 * (its hash field zero) and the data. The header is written last, after the old one was
 * wiped first: a save cut short leaves no header that passes the check. A restore trusts
 * nothing it reads from the disk: it checks the header, writes each chunk into the target,
 * reads it back and compares, and resumes the target only when the whole hash matched.
 */
#define SAVE_MAGIC 0x31564153484b4842ull /* "BHKHSAV1" */
#define SAVE_VERSION 1u
#define SAVE_HEADER_BYTES 4096u
#define SAVE_MAX_SPANS 64u
#define SAVE_NAME 32u

struct save_header {
	uint64_t magic;
	uint32_t version;
	uint32_t n_spans;
	char domain[SAVE_NAME]; /* the saved domain's name, NUL-padded */
	uint32_t generation;    /* the instance that was saved */
	uint32_t image_index;   /* the image it ran: a restore restarts the domain with it */
	uint64_t data_bytes;    /* sum of the spans' sizes */
	uint64_t saved_unix;    /* wall clock of the save, or 0 */
	uint8_t sha256[32];     /* over this header with sha256 zero, then the data */
	uint8_t pad[56];
	struct bh_mem_span spans[SAVE_MAX_SPANS];
	struct bh_vcpu_state vcpu;
	uint8_t tail[SAVE_HEADER_BYTES - 160 - SAVE_MAX_SPANS * 24 - 768];
};
_Static_assert(sizeof(struct save_header) == SAVE_HEADER_BYTES, "save header");

/*
 * What a save or restore does with the target and the disk. The target calls return the
 * kernel's answer; the disk calls 0 or a nonzero status. Memory moves through @buf
 * (@buf_size bytes, a multiple of 4096: the data region the volume's requests use):
 * mem_read/disk_read fill buf[0..len), mem_write/disk_write take it from there; @check
 * (@buf_size bytes, private) receives the read-back of a restore.
 */
struct save_ops {
	void *ctx;
	uint8_t *buf, *check;
	size_t buf_size;
	uint64_t slot_bytes; /* room for this domain on the volume */
	enum bh_err (*stop)(void *ctx);
	enum bh_err (*restart_held)(void *ctx, uint32_t image);
	enum bh_err (*resume)(void *ctx);
	enum bh_err (*state)(void *ctx, uint64_t *word);
	enum bh_err (*layout)(void *ctx, struct bh_mem_span *spans, uint32_t max, uint32_t *n);
	enum bh_err (*mem_read)(void *ctx, uint64_t vaddr, uint64_t len);
	enum bh_err (*mem_write)(void *ctx, uint64_t vaddr, uint64_t len);
	enum bh_err (*vcpu_get)(void *ctx, struct bh_vcpu_state *v);
	enum bh_err (*vcpu_set)(void *ctx, const struct bh_vcpu_state *v);
	int (*disk_read)(void *ctx, uint64_t offset, size_t len);
	int (*disk_write)(void *ctx, uint64_t offset, size_t len);
	int (*disk_flush)(void *ctx);
};

/* How a save or restore ended (ctl_save_error names it). */
enum save_result {
	SAVE_OK = 0,
	SAVE_E_KERNEL,   /* the kernel refused a call: see `err` */
	SAVE_E_DISK,     /* a volume request failed */
	SAVE_E_TOO_BIG,  /* the domain's memory does not fit its slot of the volume */
	SAVE_E_NO_SAVE,  /* no valid header in the slot (never saved, or wiped) */
	SAVE_E_OTHER,    /* the slot holds another domain's save */
	SAVE_E_CORRUPT,  /* the header or the data fail their checks: target left paused */
	SAVE_E_LAYOUT,   /* the target's memory is laid out otherwise than the save's */
	SAVE_E_READBACK, /* the target's memory did not read back as written */
};

/* What a save or restore reports. */
struct save_report {
	enum save_result result;
	enum bh_err err; /* with SAVE_E_KERNEL: the refusal */
	uint64_t bytes;  /* data bytes moved */
	uint32_t spans;
	uint8_t sha256[32]; /* the hash of the save written or read back */
};

/**
 * Saves the domain @name through @ops: stops it if it runs (it stays stopped), wipes the
 * slot's header, writes the data, then the header, then flushes.
 * Needs: @ops complete; @name at most SAVE_NAME - 1 bytes. Returns: SAVE_OK or why not, in
 * @rep (with the hash of what was written).
 */
enum save_result ctl_save_domain(const struct save_ops *ops, const char *name, uint64_t now_unix,
                                 struct save_report *rep);

/**
 * Restores the save of domain @name through @ops: checks the header, restarts the target
 * held with the saved image, writes and reads back every span, loads the vCPU state and
 * resumes it only if every check passed (else it stays paused, with the state of a fresh
 * instance partly overwritten: restart it).
 * Needs: @ops complete. Returns: SAVE_OK or why not, in @rep.
 */
enum save_result ctl_restore_domain(const struct save_ops *ops, const char *name,
                                    struct save_report *rep);

/**
 * Checks the header @h (read from the disk, untrusted) for domain @name and a slot of
 * @slot_bytes: magic, version, name, span count, spans page aligned, ascending, not
 * overlapping, summing to data_bytes, which fits the slot.
 * Returns: SAVE_OK, SAVE_E_NO_SAVE, SAVE_E_OTHER or SAVE_E_CORRUPT.
 */
enum save_result ctl_save_check_header(const struct save_header *h, const char *name,
                                       uint64_t slot_bytes);

/** Returns: a short text for @r ("ok", "no save in the slot", ...). */
const char *ctl_save_error(enum save_result r);

#endif
