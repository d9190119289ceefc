/* Hypercalls: decode (check every untrusted argument), then perform (cannot fail). */
#include <bulkhead/abi/domain.h>
#include <bulkhead/abi/hypercall.h>
#include <bulkhead/abi/info.h>
#include <kernel/arch.h>
#include <kernel/channel.h>
#include <kernel/control.h>
#include <kernel/device.h>
#include <kernel/domain.h>
#include <kernel/sched.h>

static void set_ret(struct domain *d, enum bh_err err, uint64_t val)
{
	d->regs.rax = err;
	d->regs.rdx = val;
}

/*
 * Decode for SIGNAL and SIGNAL_WAIT: a channel cap with the SIGNAL right, or
 * NULL with the error already set in @d's return registers.
 */
static __attribute__((noinline, cold)) void refuse_signal(struct domain *d)
{
	enum bh_err err = BH_ERR_NO_CAP;
	(void)cap_lookup(&d->caps, d->regs.rdi, BH_CAP_CHANNEL, BH_RIGHT_SIGNAL, &err);
	set_ret(d, err, 0);
}

static inline __attribute__((always_inline)) const struct cap *decode_signal(struct domain *d)
{
	const struct cap *c = cap_find(&d->caps, d->regs.rdi, BH_CAP_CHANNEL, BH_RIGHT_SIGNAL);
	if (!c)
		refuse_signal(d);
	return c;
}

/*
 * One decoder per hypercall: it checks the untrusted registers, sets the
 * error, or calls the one function that performs the operation where its
 * state lives (channel.c, sched.c, domain.c). Nothing here writes domain
 * state or decides scheduling.
 */
static void hc_null(struct domain *d)
{
	set_ret(d, BH_OK, 0);
}

static void hc_signal(struct domain *d)
{
	const struct cap *c = decode_signal(d);
	if (!c)
		return;
	set_ret(d, BH_OK, 0);
	channel_send(d, c->peer, c->badge);
}

static void hc_wait(struct domain *d)
{
	channel_wait(d);
}

/* Any deadline is valid: one that has passed returns at once. */
static void hc_wait_until(struct domain *d)
{
	channel_wait_until(d, d->regs.rdi);
}

static void hc_poll(struct domain *d)
{
	set_ret(d, BH_OK, channel_poll(d));
}

static __attribute__((noinline)) void hc_signal_wait(struct domain *d)
{
	const struct cap *c = decode_signal(d);
	if (c)
		channel_signal_wait(d, c->peer, c->badge);
}

static void hc_yield(struct domain *d)
{
	set_ret(d, BH_OK, 0);
	sched_yield();
}

static void hc_exit(struct domain *d)
{
	domain_exit(d, (int64_t)d->regs.rdi);
}

static void hc_cap_info(struct domain *d)
{
	enum bh_err err = BH_ERR_NO_CAP;
	const struct cap *c = cap_get(&d->caps, d->regs.rdi, &err);
	if (c)
		set_ret(d, BH_OK, c->type | ((uint64_t)c->rights << 16));
	else
		set_ret(d, err, 0);
}

/*
 * Decode for the device calls: a device capability with @rights whose device
 * runs, or NULL with the error set (BH_ERR_INVALID: its device was stopped).
 */
static struct device *decode_device(struct domain *d, uint16_t rights)
{
	enum bh_err err = BH_ERR_NO_CAP;
	const struct cap *c = cap_lookup(&d->caps, d->regs.rdi, BH_CAP_DEVICE, rights, &err);
	struct device *dev = c ? device_get(c->index) : NULL;
	if (!dev)
		set_ret(d, c ? BH_ERR_INVALID : err, 0);
	return dev;
}

/* A config access: width 1, 2 or 4, aligned to it, inside the 4 KiB space. */
static bool cfg_args_ok(uint64_t offset, uint64_t width)
{
	return (width == 1 || width == 2 || width == 4) && offset < 4096 && !(offset & (width - 1));
}

static void hc_device_bar(struct domain *d)
{
	struct device *dev = decode_device(d, BH_RIGHT_READ);
	uint64_t out = 0;
	if (!dev)
		return;
	enum bh_err err = device_bar(dev, d->regs.rsi, &out);
	set_ret(d, err, out);
}

static void hc_device_cfg_read(struct domain *d)
{
	struct device *dev = decode_device(d, BH_RIGHT_READ);
	uint64_t offset = d->regs.rsi, width = d->regs.rdx, out = 0;
	if (!dev)
		return;
	enum bh_err err = cfg_args_ok(offset, width) ? device_cfg_read(dev, offset, width, &out) :
	                                               BH_ERR_INVALID;
	set_ret(d, err, out);
}

static void hc_device_cfg_write(struct domain *d)
{
	struct device *dev = decode_device(d, BH_RIGHT_WRITE);
	uint64_t offset = d->regs.rsi, width = d->regs.rdx, value = d->regs.r10;
	if (!dev)
		return;
	if (!cfg_args_ok(offset, width) || (width < 4 && value >> (8 * width)) || value >> 32)
		set_ret(d, BH_ERR_INVALID, 0);
	else
		set_ret(d, device_cfg_write(dev, offset, width, value), 0);
}

static void hc_device_ack(struct domain *d)
{
	struct device *dev = decode_device(d, BH_RIGHT_WRITE);
	if (dev)
		set_ret(d, device_ack(dev), 0);
}

static void hc_dma_addr(struct domain *d)
{
	struct device *dev = decode_device(d, BH_RIGHT_READ);
	uint64_t out = 0;
	if (!dev)
		return;
	enum bh_err err = device_dma_addr(dev, d->regs.rsi, &out);
	set_ret(d, err, out);
}

/*
 * Decode for the domain-control calls: the target of a domain capability
 * with @rights, or NULL with the error set.
 */
static struct domain *decode_domain(struct domain *d, uint16_t rights)
{
	enum bh_err err = BH_ERR_NO_CAP;
	const struct cap *c = cap_lookup(&d->caps, d->regs.rdi, BH_CAP_DOMAIN, rights, &err);
	if (!c)
		set_ret(d, err, 0);
	return c ? c->peer : NULL;
}

static void hc_domain_stop(struct domain *d)
{
	struct domain *t = decode_domain(d, BH_RIGHT_STOP);
	if (!t)
		return;
	if (t->halt != DOMAIN_LIVE) {
		set_ret(d, BH_ERR_STATE, 0);
		return;
	}
	set_ret(d, BH_OK, 0);
	control_stop(t);
}

/* Only a target its controller stopped resumes; a faulted or exited one is restarted. */
static void hc_domain_resume(struct domain *d)
{
	struct domain *t = decode_domain(d, BH_RIGHT_RESUME);
	if (!t)
		return;
	if (t->halt != DOMAIN_HELD) {
		set_ret(d, BH_ERR_STATE, 0);
		return;
	}
	set_ret(d, BH_OK, 0);
	control_resume(t);
}

/* Image 0 needs RESTART; an alternative (1 .. n) needs REPLACE as well; BH_RESTART_HELD may be added. */
static void hc_domain_restart(struct domain *d)
{
	bool held = (d->regs.rsi & BH_RESTART_HELD) != 0;
	uint64_t image = d->regs.rsi & ~(uint64_t)BH_RESTART_HELD;
	uint16_t rights = (uint16_t)(BH_RIGHT_RESTART | (image ? BH_RIGHT_REPLACE : 0));
	struct domain *t = decode_domain(d, rights);
	if (!t)
		return;
	if (image >= t->n_images) {
		set_ret(d, BH_ERR_INVALID, 0);
		return;
	}
	if (t->halt == DOMAIN_REFUSED) {
		set_ret(d, BH_ERR_STATE, 0);
		return;
	}
	set_ret(d, BH_OK, 0);
	control_restart(t, (uint32_t)arch_index_nospec(image, t->n_images), held);
}

static void hc_domain_state(struct domain *d)
{
	struct domain *t = decode_domain(d, 0);
	if (t)
		set_ret(d, BH_OK, control_state(t));
}

/* ---- management and state export (issue 11): slot, then BH_ERR_INVALID, then BH_ERR_STATE ---- */

/* Not running: held, faulted, exited or destroyed (one that never started has no state). */
static bool stopped(const struct domain *t)
{
	return t->halt != DOMAIN_LIVE && t->halt != DOMAIN_REFUSED;
}

/* The caller's own memory [@v, @v + @n): mapped, never a device window, writable with @write. */
static bool buf_ok(const struct domain *d, uint64_t v, uint64_t n, bool write)
{
	return arch_as_user_ok(d->as, v, n, write);
}

static void hc_domain_destroy(struct domain *d)
{
	struct domain *t = decode_domain(d, BH_RIGHT_DESTROY);
	if (!t)
		return;
	if (t->halt == DOMAIN_REFUSED) {
		set_ret(d, BH_ERR_STATE, 0);
		return;
	}
	set_ret(d, BH_OK, 0);
	control_destroy(t);
}

/* Any holder of the cap may read the statistics; every domain its own (slot BH_NO_SLOT). */
static void hc_domain_stats(struct domain *d)
{
	struct domain *t = d->regs.rdi == BH_NO_SLOT ? d : decode_domain(d, 0);
	if (!t)
		return;
	if (!buf_ok(d, d->regs.rsi, sizeof(struct bh_domain_stats), true)) {
		set_ret(d, BH_ERR_INVALID, 0);
		return;
	}
	set_ret(d, BH_OK, 0);
	control_stats(d, t, d->regs.rsi);
}

static void hc_domain_layout(struct domain *d)
{
	struct domain *t = decode_domain(d, BH_RIGHT_READ_MEMORY);
	uint64_t buf = d->regs.rsi, max = d->regs.rdx;
	if (!t)
		return;
	max = max < DOMAIN_MAX_SPANS ? max : DOMAIN_MAX_SPANS;
	if (max && !buf_ok(d, buf, max * sizeof(struct bh_mem_span), true)) {
		set_ret(d, BH_ERR_INVALID, 0);
		return;
	}
	set_ret(d, BH_OK, control_layout(d, t, buf, (uint32_t)max));
}

#define MEM_CALL_MAX 0x10000u /* bytes per MEM_READ or MEM_WRITE */

/*
 * MEM_READ (@write false) and MEM_WRITE: (slot, vaddr, buf, len); the target's
 * range inside one private span, the caller's inside its own memory
 * (writable for a read), 1 .. MEM_CALL_MAX bytes, then the target stopped.
 */
static void hc_domain_mem(struct domain *d, bool write)
{
	struct domain *t = decode_domain(d, write ? BH_RIGHT_WRITE_MEMORY : BH_RIGHT_READ_MEMORY);
	uint64_t v = d->regs.rsi, buf = d->regs.rdx, len = d->regs.r10;
	paddr_t at;
	if (!t)
		return;
	if (!len || len > MEM_CALL_MAX || !control_span_at(t, v, len, &at) ||
	    !buf_ok(d, buf, len, !write)) {
		set_ret(d, BH_ERR_INVALID, 0);
		return;
	}
	if (!stopped(t)) {
		set_ret(d, BH_ERR_STATE, 0);
		return;
	}
	set_ret(d, BH_OK, 0);
	if (write)
		control_mem_write(d, at, buf, len);
	else
		control_mem_read(d, at, buf, len);
}

static void hc_domain_vcpu_get(struct domain *d)
{
	struct domain *t = decode_domain(d, BH_RIGHT_VCPU);
	if (!t)
		return;
	if (!buf_ok(d, d->regs.rsi, sizeof(struct bh_vcpu_state), true)) {
		set_ret(d, BH_ERR_INVALID, 0);
		return;
	}
	if (!stopped(t)) {
		set_ret(d, BH_ERR_STATE, 0);
		return;
	}
	set_ret(d, BH_OK, 0);
	control_vcpu_get(d, t, d->regs.rsi);
}

/* The state is copied out of the caller's memory once; the checks and the load use the copy. */
static void hc_domain_vcpu_set(struct domain *d)
{
	static struct bh_vcpu_state copy;
	struct domain *t = decode_domain(d, BH_RIGHT_VCPU);
	uint64_t buf = d->regs.rsi;
	if (!t)
		return;
	if (!buf_ok(d, buf, sizeof(copy), false) ||
	    arch_as_read(d->as, va(buf), &copy, sizeof(copy)) != sizeof(copy) ||
	    !arch_vcpu_ok(&copy)) {
		set_ret(d, BH_ERR_INVALID, 0);
		return;
	}
	if (!stopped(t)) {
		set_ret(d, BH_ERR_STATE, 0);
		return;
	}
	set_ret(d, BH_OK, 0);
	control_vcpu_set(t, &copy);
}

/* Any domain may draw entropy; BH_ERR_UNAVAILABLE if the CPU has none to give. */
static void hc_entropy(struct domain *d)
{
	uint64_t v = 0;
	if (arch_random64(&v))
		set_ret(d, BH_OK, v);
	else
		set_ret(d, BH_ERR_UNAVAILABLE, 0);
}

/* The lower half holds every canonical user address; anything above is non-canonical or the kernel's. */
#define USER_END 0x0000800000000000ull

static void hc_set_fsbase(struct domain *d)
{
	uint64_t v = d->regs.rdi;
	if (v >= USER_END) {
		set_ret(d, BH_ERR_INVALID, 0);
		return;
	}
	set_ret(d, BH_OK, 0);
	arch_set_fsbase(d, v);
}

/* Management and state export (issue 11). */
static __attribute__((noinline)) void dispatch_manage(struct domain *d, uint64_t nr)
{
	if (nr == BH_HC_DOMAIN_DESTROY)
		hc_domain_destroy(d);
	else if (nr == BH_HC_DOMAIN_STATS)
		hc_domain_stats(d);
	else if (nr == BH_HC_DOMAIN_LAYOUT)
		hc_domain_layout(d);
	else if (nr == BH_HC_DOMAIN_MEM_READ || nr == BH_HC_DOMAIN_MEM_WRITE)
		hc_domain_mem(d, nr == BH_HC_DOMAIN_MEM_WRITE);
	else if (nr == BH_HC_DOMAIN_VCPU_GET)
		hc_domain_vcpu_get(d);
	else if (nr == BH_HC_DOMAIN_VCPU_SET)
		hc_domain_vcpu_set(d);
	else
		set_ret(d, BH_ERR_BAD_CALL, 0);
}

/* Domain control: no benchmark times it, so it stays out of dispatch_other's way. */
static __attribute__((noinline)) void dispatch_control(struct domain *d, uint64_t nr)
{
	if (nr == BH_HC_DOMAIN_STOP)
		hc_domain_stop(d);
	else if (nr == BH_HC_DOMAIN_RESUME)
		hc_domain_resume(d);
	else if (nr == BH_HC_DOMAIN_RESTART)
		hc_domain_restart(d);
	else if (nr == BH_HC_DOMAIN_STATE)
		hc_domain_state(d);
	else if (nr == BH_HC_ENTROPY)
		hc_entropy(d);
	else if (nr == BH_HC_SET_FSBASE)
		hc_set_fsbase(d);
	else
		dispatch_manage(d, nr);
}

/**
 * Handles the hypercall whose registers entry.S saved in the current domain,
 * then leaves the kernel. Needs: interrupts off. Never returns.
 */
void hypercall_entry(void);

/* The hypercalls that no benchmark times. */
static __attribute__((noinline)) void dispatch_other(struct domain *d, uint64_t nr)
{
	switch (nr) {
	case BH_HC_SIGNAL:
		hc_signal(d);
		break;
	case BH_HC_WAIT:
		hc_wait(d);
		break;
	case BH_HC_POLL:
		hc_poll(d);
		break;
	case BH_HC_YIELD:
		hc_yield(d);
		break;
	case BH_HC_EXIT:
		hc_exit(d);
		break;
	case BH_HC_CAP_INFO:
		hc_cap_info(d);
		break;
	case BH_HC_DEVICE_BAR:
		hc_device_bar(d);
		break;
	case BH_HC_DEVICE_CFG_READ:
		hc_device_cfg_read(d);
		break;
	case BH_HC_DEVICE_CFG_WRITE:
		hc_device_cfg_write(d);
		break;
	case BH_HC_DEVICE_ACK:
		hc_device_ack(d);
		break;
	case BH_HC_DMA_ADDR:
		hc_dma_addr(d);
		break;
	case BH_HC_WAIT_UNTIL:
		hc_wait_until(d);
		break;
	default:
		dispatch_control(d, nr);
		break;
	}
}

/*
 * Compares, not a table of function pointers: no indirect branch for a domain
 * to train (Spectre v2; a retpoline would cost 3 instructions more) and no
 * array indexed by the domain's number (Spectre v1). The channel round trip
 * and the null call are tested first. See docs/decisions.md.
 */
void hypercall_entry(void)
{
	struct domain *d = sched_current;
	uint64_t nr = d->regs.rax;
	if (nr == BH_HC_SIGNAL_WAIT)
		hc_signal_wait(d);
	else if (nr == BH_HC_NULL)
		hc_null(d);
	else
		dispatch_other(d, nr);
	sched_exit_kernel();
}
