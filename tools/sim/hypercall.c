/*
 * tools/sim/hypercall.c - the hypercalls a guest makes, with Xen's numbers,
 * argument structures and error codes (xen/include/public)
 *
 * Every argument is checked as a hypervisor would: a pointer must lead to
 * the guest's own RAM for its whole length (else -EFAULT), counts and
 * commands must make sense (-EINVAL), a domain other than the caller's
 * gets -EPERM, an unknown hypercall -ENOSYS. Nothing a guest passes can
 * bring the simulator down. Guest structures are read field by field at
 * the guest's word size (8 on aarch64, 4 on x86_32).
 */
#include <errno.h>
#include <sched.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <xen/xen.h>
#include <xen/memory.h>
#include <xen/sched.h>
#include <xen/hvm/hvm_op.h>
#include <xen/hvm/params.h>
#include <xen/io/console.h>
#include <xen/version.h>
#include <xen/vcpu.h>
#include <xen/event_channel.h>
#include <xen/features.h>

#include "kvm.h"
#include "physmap/hv.h"

/* x86 guests' hvm_op, whatever the host: <xen/hvm/hvm_op.h> has it on x86 hosts only */
#ifndef HVMOP_set_evtchn_upcall_vector
#define HVMOP_set_evtchn_upcall_vector 23
#endif
#include "vcpu.h"

/* hypercall numbers (xen.h hides some behind __XEN_INTERFACE_VERSION__) */
#define HC_set_timer_op 15
#define HC_memory_op 12
#define HC_xen_version 17
#define HC_console_io 18
#define HC_sched_op 29
#define HC_vcpu_op 24
#define HC_event_channel_op 32
#define HC_hvm_op 34
#define HC_grant_table_op 20

#define PAGE 4096ull
#define CONSOLE_MAX (1u << 20)       /* bytes one console_io write may carry */
#define MAX_EXTENT_ORDER 9
#define MAX_EXTENTS (1ull << 20)

static int copy_in(struct sim_vcpu *v, uint64_t gpa, void *buf, size_t len)
{
	return sim_guest_copy(v->s, v->d, gpa, buf, len, false);
}

static int copy_out(struct sim_vcpu *v, uint64_t gpa, const void *buf, size_t len)
{
	return sim_guest_copy(v->s, v->d, gpa, (void *)buf, len, true);
}

/* a guest word at gpa */
static int read_word(struct sim_vcpu *v, uint64_t gpa, uint64_t *out)
{
	uint32_t w32;
	int rc;

	if (sim_guest_word(v) == 8)
		return copy_in(v, gpa, out, 8);
	rc = copy_in(v, gpa, &w32, 4);
	*out = w32;
	return rc;
}

static bool is_self(struct sim_vcpu *v, uint16_t domid)
{
	return domid == DOMID_SELF || domid == v->d->domid;
}

/* RAM came or went: every vCPU maps the range afresh before it runs on
 * (this one leaves the engine when its trap returns: sim_vcpu_leave) */
static void p2m_changed(struct sim_vcpu *v, uint64_t pfn, uint64_t count)
{
	sim_changed(v->s, v->d, pfn, count);
}

static long console_io(struct sim_vcpu *v, uint64_t cmd, uint64_t count, uint64_t buf)
{
	char chunk[512];

	if (cmd != CONSOLEIO_write)
		return -ENOSYS;
	if (count > CONSOLE_MAX)
		return -EINVAL;
	if (buf + count < buf)
		return -EFAULT;
	/* the whole buffer must be the guest's before a byte is written */
	for (uint64_t p = buf & ~(PAGE - 1); p < buf + count; p += PAGE)
		if (copy_in(v, p, chunk, 1))
			return -EFAULT;
	for (uint64_t done = 0; done < count;) {
		size_t n = count - done < sizeof(chunk) ? (size_t)(count - done) : sizeof(chunk);

		if (copy_in(v, buf + done, chunk, n))
			return -EFAULT;
		sim_console(v->d, chunk, n);
		done += n;
	}
	return 0;
}

/*
 * the console ring's output (struct xencons_interface), consumed as
 * xenconsoled would on the console's event channel: to the console log
 */
static void console_ring(struct sim_vcpu *v)
{
	uint64_t ring = v->d->params[HVM_PARAM_CONSOLE_PFN] * PAGE;
	uint32_t idx[2];   /* out_cons, out_prod */
	char out[sizeof(((struct xencons_interface *)0)->out)];

	if (!ring || copy_in(v, ring + offsetof(struct xencons_interface, out_cons), idx, sizeof(idx)) ||
	    copy_in(v, ring + offsetof(struct xencons_interface, out), out, sizeof(out)))
		return;
	if (idx[1] - idx[0] > sizeof(out))
		idx[0] = idx[1] - (uint32_t)sizeof(out);   /* a producer past the ring: its last ring's worth */
	for (; idx[0] != idx[1]; idx[0]++)
		sim_console(v->d, &out[idx[0] % sizeof(out)], 1);
	copy_out(v, ring + offsetof(struct xencons_interface, out_cons), &idx[0], sizeof(idx[0]));
}

/* whether @v's vcpu_info says an upcall is pending */
static bool upcall_pending(struct sim_vcpu *v)
{
	uint8_t *vi = sim_evtchn_vcpu_info(v->s, v->d, v->id);

	return vi && __atomic_load_n(vi, __ATOMIC_SEQ_CST);   /* evtchn_upcall_pending: its first byte */
}

/*
 * SCHEDOP_poll: until one of the ports is pending or the timeout (system
 * time; 0: none) passes
 */
#define POLL_MAX_PORTS 128   /* Xen's limit */

static long poll_ports(struct sim_vcpu *v, uint64_t arg)
{
	unsigned int w = sim_guest_word(v);
	uint64_t ports, timeout;
	uint32_t nr, port[POLL_MAX_PORTS];
	bool waited = false;

	if (read_word(v, arg, &ports) || copy_in(v, arg + w, &nr, 4) || copy_in(v, arg + 2 * w, &timeout, 8))
		return -EFAULT;
	if (nr > POLL_MAX_PORTS)
		return -EINVAL;
	if (nr && copy_in(v, ports, port, nr * sizeof(port[0])))
		return -EFAULT;
	for (uint32_t i = 0; i < nr; i++)
		if (!port[i] || port[i] >= SIM_EVTCHNS)
			return -EINVAL;
	for (;;) {
		uint64_t now = sim_now_ns();

		sim_store_events(v->s, v->d);
		for (uint32_t i = 0; i < nr; i++)
			if (sim_evtchn_is_pending(v->s, v->d, port[i]))
				return 0;
		if (timeout && now >= timeout)
			return 0;
		if (v->d->run != SIM_RUN_GO)
			return 0;   /* paused or stopping: it polls again when it runs */
		if (waited && !v->d->shinfo_set)
			return 0;   /* no shared info known (a restored guest that has not mapped it again):
				     * as SCHEDOP_block, back at the domain's next event */
		waited = true;
		__atomic_store_n(&v->blocked, true, __ATOMIC_RELAXED);
		sim_block(v->s, v->d, timeout && timeout - now < 1000000000ull ? (unsigned int)((timeout - now) / 1000000 + 1) : 1000);
		__atomic_store_n(&v->blocked, false, __ATOMIC_RELAXED);
	}
}

static long sched_op(struct sim_vcpu *v, uint64_t cmd, uint64_t arg)
{
	struct sched_shutdown sd;

	switch (cmd) {
	case SCHEDOP_yield:
		pthread_mutex_unlock(&v->s->lock);
		sched_yield();
		pthread_mutex_lock(&v->s->lock);
		return 0;
	case SCHEDOP_block:
		/* until an event comes (a second at most), unless one waits already */
		sim_store_events(v->s, v->d);
		if (upcall_pending(v))
			return 0;
		__atomic_store_n(&v->blocked, true, __ATOMIC_RELAXED);
		sim_block(v->s, v->d, 1000);
		__atomic_store_n(&v->blocked, false, __ATOMIC_RELAXED);
		return 0;
	case SCHEDOP_poll:
		return poll_ports(v, arg);
	case SCHEDOP_watchdog: {
		struct sched_watchdog wd;

		if (copy_in(v, arg, &wd, sizeof(wd)))
			return -EFAULT;
		return sim_watchdog(v->d, wd.id, wd.timeout);
	}
	case SCHEDOP_shutdown:
		if (copy_in(v, arg, &sd, sizeof(sd)))
			return -EFAULT;
		if (sd.reason > SHUTDOWN_MAX)
			return -EINVAL;
		sim_shutdown(v->s, v->d, sd.reason,
			     sd.reason == SHUTDOWN_crash ? "the guest reported a crash (SCHEDOP_shutdown)" : NULL);
		return 0;
	}
	return -ENOSYS;
}

/*
 * xen_version: Xen 4.17's answers for an HVM domU. The strings name the
 * simulator; each is NUL-terminated with the rest of its buffer zeroed,
 * and a domU may not read the command line or the build id (-EPERM, as
 * Xen's XSM default has it).
 */
#define XENVER_build_id 10

static long xen_version(struct sim_vcpu *v, uint64_t cmd, uint64_t arg)
{
	union {
		xen_extraversion_t extra;
		xen_compile_info_t ci;
		xen_capabilities_info_t caps;
		xen_changeset_info_t cs;
		xen_domain_handle_t handle;
		struct { uint32_t idx, submap; } feat;
	} u;
	size_t len = 0;

	memset(&u, 0, sizeof(u));
	switch (cmd) {
	case XENVER_version:
		return 4 << 16 | 17;
	case XENVER_pagesize:
		return (long)PAGE;
	case XENVER_extraversion:
		len = sizeof(u.extra);   /* "": pxl info's xen_extra on the simulator */
		break;
	case XENVER_compile_info:
		snprintf(u.ci.compiler, sizeof(u.ci.compiler), "physmap-sim");
		snprintf(u.ci.compile_by, sizeof(u.ci.compile_by), "physmap");
		snprintf(u.ci.compile_domain, sizeof(u.ci.compile_domain), "localdomain");
		snprintf(u.ci.compile_date, sizeof(u.ci.compile_date), "%s", __DATE__);
		len = sizeof(u.ci);
		break;
	case XENVER_capabilities:
		snprintf(u.caps, sizeof(u.caps), "%s",
			 v->ctx.arch == PM_SIM_ARCH_AARCH64 ? "xen-3.0-aarch64"
			 : v->s->kvm ? "hvm-3.0-x86_32 hvm-3.0-x86_32p hvm-3.0-x86_64" : "hvm-3.0-x86_32");
		len = sizeof(u.caps);
		break;
	case XENVER_changeset:
		snprintf(u.cs, sizeof(u.cs), "physmap-sim");
		len = sizeof(u.cs);
		break;
	case XENVER_platform_parameters:
		len = sim_guest_word(v);   /* virt_start: no hypervisor hole in a translated guest */
		break;
	case XENVER_get_features:
		if (copy_in(v, arg, &u.feat.idx, sizeof(u.feat.idx)))
			return -EFAULT;
		if (u.feat.idx == 0)   /* what a translated guest's page tables are: its own */
			u.feat.submap = 1u << XENFEAT_writable_page_tables | 1u << XENFEAT_auto_translated_physmap;
		len = sizeof(u.feat);
		break;
	case XENVER_guest_handle:
		len = sizeof(u.handle);   /* the domain's handle: none given on the simulator */
		break;
	case XENVER_commandline:
	case XENVER_build_id:
		return -EPERM;
	default:
		return -ENOSYS;
	}
	return copy_out(v, arg, &u, len) ? -EFAULT : 0;
}

/* struct xen_memory_reservation at the guest's word size */
struct reservation {
	uint64_t extent_start, nr_extents;
	uint32_t extent_order, mem_flags;
	uint16_t domid;
};

static int read_reservation(struct sim_vcpu *v, uint64_t gpa, struct reservation *r)
{
	unsigned int w = sim_guest_word(v);
	uint8_t b[32];

	if (copy_in(v, gpa, b, 2 * w + 10))
		return -EFAULT;
	r->extent_start = r->nr_extents = 0;
	memcpy(&r->extent_start, b, w);
	memcpy(&r->nr_extents, b + w, w);
	memcpy(&r->extent_order, b + 2 * w, 4);
	memcpy(&r->mem_flags, b + 2 * w + 4, 4);
	memcpy(&r->domid, b + 2 * w + 8, 2);
	return 0;
}

/* whether every pfn of [pfn, pfn + n) is RAM (want) or none is (!want) */
static bool all_ram(struct sim_domain *d, uint64_t pfn, uint64_t n, bool want)
{
	for (uint64_t p = pfn; p < pfn + n; p++)
		if ((pm_p2m_kind_of(pm_p2m_lookup(d->p2m, p)) == PM_P2M_RAM) != want)
			return false;
	return true;
}

/*
 * populate or decrease [pfn, pfn + n), checked extent by extent beforehand
 * so that a run fails whole or not at all. returns: 0; -errno
 */
static int apply_run(struct sim_vcpu *v, uint64_t cmd, uint64_t pfn, uint64_t n)
{
	if (!n)
		return 0;
	if (cmd == XENMEM_populate_physmap)
		return sim_populate(v->s, v->d, pfn, n);
	return sim_decrease(v->s, v->d, pfn, n) == (long)n ? 0 : -EIO;
}

/*
 * populate_physmap or decrease_reservation: the number of extents done.
 * Adjacent extents (a balloon driver's batch) are applied as one run: one
 * P2M update and one trip to the pool instead of one per page.
 */
static long reservation_op(struct sim_vcpu *v, uint64_t cmd, uint64_t arg)
{
	unsigned int w = sim_guest_word(v);
	struct reservation r;
	uint64_t i, n, lo = UINT64_MAX, hi = 0, run_lo = 0, run_hi = 0, run_first = 0;
	bool populate = cmd == XENMEM_populate_physmap;

	if (read_reservation(v, arg, &r))
		return -EFAULT;
	if (!is_self(v, r.domid))
		return -EPERM;
	if (r.extent_order > MAX_EXTENT_ORDER || r.nr_extents > MAX_EXTENTS)
		return -EINVAL;
	n = 1ull << r.extent_order;
	for (i = 0; i < r.nr_extents; i++) {
		uint64_t gpfn;

		if (read_word(v, r.extent_start + i * w, &gpfn))
			break;
		if (gpfn % n || gpfn >= v->d->max_pfn || gpfn + n > v->d->max_pfn ||
		    !all_ram(v->d, gpfn, n, !populate) || (gpfn < run_hi && gpfn + n > run_lo))
			break;
		if (populate && v->d->tot_pages + (run_hi - run_lo) + n > v->d->max_pages)
			break;
		if (gpfn + n == run_lo) {
			run_lo = gpfn;
		} else if (gpfn == run_hi && run_hi > run_lo) {
			run_hi += n;
		} else {
			if (apply_run(v, cmd, run_lo, run_hi - run_lo)) {
				i = run_first;
				run_lo = run_hi = 0;
				break;
			}
			run_lo = gpfn;
			run_hi = gpfn + n;
			run_first = i;
		}
		lo = gpfn < lo ? gpfn : lo;
		hi = gpfn + n > hi ? gpfn + n : hi;
	}
	if (apply_run(v, cmd, run_lo, run_hi - run_lo))
		i = run_first;   /* the pool ran out: the last run is not done */
	if (hi)
		p2m_changed(v, lo, hi - lo);   /* the span of what changed */
	if (!i && r.nr_extents && read_word(v, r.extent_start, &n))
		return -EFAULT;
	return (long)i;
}

/*
 * XENMEM_add_to_physmap of the shared info (XENMAPSPACE_shared_info, idx
 * 0) or of a grant table frame (XENMAPSPACE_grant_table, gnttab.c):
 * struct xen_add_to_physmap is domid u16, size u16, space u32, idx
 * (xen_ulong_t), gpfn (xen_pfn_t), words at the guest's size
 */
static long add_to_physmap(struct sim_vcpu *v, uint64_t arg)
{
	unsigned int w = sim_guest_word(v);
	struct { uint16_t domid, size; uint32_t space; } h;
	uint64_t idx, gpfn;
	int rc;

	if (copy_in(v, arg, &h, sizeof(h)) || read_word(v, arg + 8, &idx) || read_word(v, arg + 8 + w, &gpfn))
		return -EFAULT;
	if (!is_self(v, h.domid))
		return -EPERM;
	if (h.space == XENMAPSPACE_grant_table)
		return sim_gnttab_add_to_physmap(v->s, v->d, idx, gpfn);
	if (h.space != XENMAPSPACE_shared_info)
		return -ENOSYS;
	if (idx != 0)
		return -EINVAL;
	v->d->shinfo_64 = v->long_mode;   /* its layout is the caller's, as Xen latches it */
	rc = sim_evtchn_shared_info(v->s, v->d, gpfn);
	if (rc)
		return rc;
	sim_time_shared_info(v->s, v->d);   /* but the wallclock and the vCPUs' clocks */
	sim_evtchn_early(v->s, v->d);       /* and the events that came before it */
	return 0;
}

/*
 * XENMEM_memory_map: struct xen_memory_map is nr_entries (unsigned int),
 * then a handle at the guest's word alignment; Xen's struct e820entry is
 * packed, 20 bytes. At most nr_entries of the map the toolstack set go
 * out and nr_entries says how many; without one, -ENOSYS as Xen says.
 */
static long memory_map(struct sim_vcpu *v, uint64_t arg)
{
	unsigned int w = sim_guest_word(v);
	struct sim_domain *d = v->d;
	uint64_t buf = 0;
	uint32_t nr;

	if (copy_in(v, arg, &nr, 4) || copy_in(v, arg + w, &buf, w))
		return -EFAULT;
	if (!d->e820)
		return -ENOSYS;
	if (nr > d->nr_e820)
		nr = d->nr_e820;
	for (uint32_t i = 0; i < nr; i++) {
		uint8_t e[20];

		memcpy(e, &d->e820[i].addr, 8);
		memcpy(e + 8, &d->e820[i].size, 8);
		memcpy(e + 16, &d->e820[i].type, 4);
		if (copy_out(v, buf + i * 20ull, e, sizeof(e)))
			return -EFAULT;
	}
	return copy_out(v, arg, &nr, 4) ? -EFAULT : 0;
}

static long memory_op(struct sim_vcpu *v, uint64_t cmd, uint64_t arg)
{
	uint16_t domid;

	switch (cmd) {
	case XENMEM_populate_physmap:
	case XENMEM_decrease_reservation:
		return reservation_op(v, cmd, arg);
	case XENMEM_add_to_physmap:
		return add_to_physmap(v, arg);
	case XENMEM_memory_map:
		return memory_map(v, arg);
	case XENMEM_current_reservation:
	case XENMEM_maximum_reservation:
		if (copy_in(v, arg, &domid, sizeof(domid)))
			return -EFAULT;
		if (!is_self(v, domid))
			return -EPERM;
		return (long)(cmd == XENMEM_current_reservation ? v->d->tot_pages : v->d->max_pages);
	}
	return -ENOSYS;
}

/*
 * event channels (evtchn.c), Xen's 2-level ABI: alloc_unbound,
 * bind_interdomain, bind_virq, bind_ipi, bind_vcpu, send, close, status,
 * unmask; a send on the store's port tells the store, on the console's it
 * drains the console ring. The FIFO ABI is not offered: init_control
 * judges its arguments as Xen does, then answers -EOPNOTSUPP (a guest
 * keeps the 2-level ABI, as Linux does). The structures are the same on
 * every architecture.
 */
#define FIFO_CONTROL_BLOCK 72   /* struct evtchn_fifo_control_block: ready, a word, 16 heads */

static long evtchn_alloc_unbound(struct sim_vcpu *v, uint64_t arg)
{
	struct { uint16_t dom, remote_dom; uint32_t port; } au;
	long r;

	if (copy_in(v, arg, &au, sizeof(au)))
		return -EFAULT;
	if (!is_self(v, au.dom))
		return -EPERM;
	r = sim_evtchn_alloc(v->d, au.remote_dom == DOMID_SELF ? v->d->domid : au.remote_dom);
	if (r < 0)
		return r;
	au.port = (uint32_t)r;
	if (copy_out(v, arg, &au, sizeof(au))) {
		sim_evtchn_close(v->s, v->d, au.port);
		return -EFAULT;
	}
	return 0;
}

static long evtchn_bind_interdomain(struct sim_vcpu *v, uint64_t arg)
{
	struct { uint16_t remote_dom, pad; uint32_t remote_port, local_port; } bi;
	struct sim_domain *peer;
	int rc;

	if (copy_in(v, arg, &bi, sizeof(bi)))
		return -EFAULT;
	peer = sim_domain_find(v->s, bi.remote_dom == DOMID_SELF ? v->d->domid : bi.remote_dom);
	if (!peer || !peer->domid)
		return -ESRCH;
	rc = sim_evtchn_bind(v->s, peer, bi.remote_port, v->d, &bi.local_port);
	if (rc)
		return rc;
	if (copy_out(v, arg, &bi, sizeof(bi))) {
		sim_evtchn_close(v->s, v->d, bi.local_port);
		return -EFAULT;
	}
	return 0;
}

/* bind_virq, bind_ipi, bind_vcpu: a port of one vCPU's */
static long evtchn_bind_percpu(struct sim_vcpu *v, uint64_t cmd, uint64_t arg)
{
	uint32_t b[3];   /* virq, vcpu, port; vcpu, port; port, vcpu */
	unsigned int len = cmd == EVTCHNOP_bind_virq ? 12 : 8;
	long r;

	if (copy_in(v, arg, b, len))
		return -EFAULT;
	if (cmd == EVTCHNOP_bind_vcpu)
		return sim_evtchn_bind_vcpu(v->d, b[0], b[1]);
	r = cmd == EVTCHNOP_bind_virq ? sim_evtchn_bind_virq(v->d, b[0], b[1]) : sim_evtchn_bind_ipi(v->d, b[0]);
	if (r < 0)
		return r;
	b[cmd == EVTCHNOP_bind_virq ? 2 : 1] = (uint32_t)r;
	if (copy_out(v, arg, b, len)) {
		sim_evtchn_close(v->s, v->d, (uint32_t)r);
		return -EFAULT;
	}
	return 0;
}

static long evtchn_status_op(struct sim_vcpu *v, uint64_t arg)
{
	struct sim_evtchn_status st;
	uint8_t b[24] = { 0 };   /* struct evtchn_status */
	uint16_t dom;
	uint32_t port;
	int rc;

	if (copy_in(v, arg, b, 8))
		return -EFAULT;
	memcpy(&dom, b, 2);
	memcpy(&port, b + 4, 4);
	if (!is_self(v, dom))
		return -EPERM;   /* another domain's ports are the toolstack's to ask about */
	rc = sim_evtchn_status(v->d, port, &st);
	if (rc)
		return rc;
	memcpy(b + 8, &st.status, 4);
	memcpy(b + 12, &st.vcpu, 4);
	if (st.status == EVTCHNSTAT_unbound || st.status == EVTCHNSTAT_interdomain) {
		dom = (uint16_t)st.dom;
		memcpy(b + 16, &dom, 2);
		if (st.status == EVTCHNSTAT_interdomain)
			memcpy(b + 20, &st.port, 4);
	} else if (st.status == EVTCHNSTAT_virq) {
		memcpy(b + 16, &st.virq, 4);
	}
	return copy_out(v, arg, b, sizeof(b)) ? -EFAULT : 0;
}

/* the FIFO ABI's control block: checked as Xen checks it, then refused (the 2-level ABI is served) */
static long evtchn_init_control(struct sim_vcpu *v, uint64_t arg)
{
	struct { uint64_t gfn; uint32_t offset, vcpu; } ic;

	if (copy_in(v, arg, &ic, sizeof(ic)))
		return -EFAULT;
	if (ic.vcpu >= v->d->vcpus)
		return -ENOENT;
	if ((ic.offset & 7) || ic.offset > PAGE - FIFO_CONTROL_BLOCK || ic.gfn >= v->d->max_pfn ||
	    pm_p2m_kind_of(pm_p2m_lookup(v->d->p2m, ic.gfn)) != PM_P2M_RAM)
		return -EINVAL;
	return -EOPNOTSUPP;
}

/* send, close, unmask: a port of the caller's */
static long evtchn_port_op(struct sim_vcpu *v, uint64_t cmd, uint64_t arg)
{
	uint32_t port;

	if (copy_in(v, arg, &port, sizeof(port)))
		return -EFAULT;
	if (cmd == EVTCHNOP_unmask)
		return sim_evtchn_unmask(v->s, v->d, port);
	if (cmd == EVTCHNOP_close)
		return sim_evtchn_close(v->s, v->d, port);
	if (port && port == v->d->params[HVM_PARAM_STORE_EVTCHN]) {
		pm_xs_kick_domain(v->s->xs, v->d->domid);
		return 0;
	}
	if (port && port == v->d->params[HVM_PARAM_CONSOLE_EVTCHN]) {
		console_ring(v);
		return 0;
	}
	return sim_evtchn_send(v->s, v->d, port);
}

static long event_channel_op(struct sim_vcpu *v, uint64_t cmd, uint64_t arg)
{
	switch (cmd) {
	case EVTCHNOP_alloc_unbound:
		return evtchn_alloc_unbound(v, arg);
	case EVTCHNOP_bind_interdomain:
		return evtchn_bind_interdomain(v, arg);
	case EVTCHNOP_bind_virq:
	case EVTCHNOP_bind_ipi:
	case EVTCHNOP_bind_vcpu:
		return evtchn_bind_percpu(v, cmd, arg);
	case EVTCHNOP_status:
		return evtchn_status_op(v, arg);
	case EVTCHNOP_init_control:
		return evtchn_init_control(v, arg);
	case EVTCHNOP_expand_array:
	case EVTCHNOP_set_priority:
		return -EOPNOTSUPP;   /* the FIFO ABI's */
	case EVTCHNOP_send:
	case EVTCHNOP_close:
	case EVTCHNOP_unmask:
		return evtchn_port_op(v, cmd, arg);
	default:
		return -ENOSYS;
	}
}

/*
 * vcpu_op for x86 PVH guests: VCPUOP_initialise with a 32-bit
 * vcpu_hvm_context (<xen/hvm/hvm_vcpu.h>: flat 32-bit protected mode, the
 * registers it names), VCPUOP_up, VCPUOP_down of the caller, VCPUOP_is_up;
 * register_vcpu_info; the singleshot timer (the caller's own) and the
 * periodic one (time.c)
 */
#define VCPU_HVM_MODE_32B 0
#define VCPU_HVM_MODE_64B 1
#define MIN_PERIOD_NS 1000000ull   /* Xen's shortest periodic timer */

/* VCPUOP_register_vcpu_info: @t's vcpu_info moves to a guest frame (evtchn.c), its clock with it */
static long register_vcpu_info(struct sim_vcpu *v, struct sim_vcpu *t, uint64_t arg)
{
	struct { uint64_t gfn; uint32_t offset, rsvd; } r;
	int rc;

	if (copy_in(v, arg, &r, sizeof(r)))
		return -EFAULT;
	if (r.offset >= PAGE || r.gfn >= (1ull << 52))
		return -EINVAL;
	rc = sim_evtchn_register_vcpu_info(v->s, v->d, t->id, r.gfn * PAGE + r.offset);
	if (!rc)
		sim_time_pvclock(v->s, v->d, t->id);
	return rc;
}

/*
 * VCPUOP_initialise with a 64-bit vcpu_hvm_context (KVM only): long mode
 * with paging on as the context's cr0, cr3, cr4 and efer say (PG, PE,
 * PAE and LME required, LMA implied), Xen's flat segments (64-bit code,
 * selectors 0; GDTR and IDTR are the guest's to load), FPU as reset; the
 * whole state is where VCPUOP_up starts the vCPU, each time
 */
static long initialise64(struct sim_vcpu *v, struct sim_vcpu *t, uint64_t arg)
{
	struct { uint64_t rax, rcx, rdx, rbx, rsp, rbp, rsi, rdi, rip, rflags, cr0, cr3, cr4, efer; } c;
	static const uint64_t seg_ar[PM_HV_X86_NR_SEGS] = { 0xa9b, 0xc93, 0xc93, 0xc93, 0xc93, 0xc93, 0x8b, 0x10000 };
	struct pm_sim_vcpu_state *st = &t->init64_state;

	if (!v->s->kvm)
		return -EINVAL;   /* Unicorn's x86 vCPUs are 32-bit */
	if (copy_in(v, arg + 8, &c, sizeof(c)))
		return -EFAULT;
	if ((c.cr0 & 0x80000001u) != 0x80000001u || !(c.cr4 & 0x20) || !(c.efer & 0x100))
		return -EINVAL;   /* long mode needs paging, PAE and LME */
	memset(st, 0, sizeof(*st));
	*st = (struct pm_sim_vcpu_state){ .domid = v->d->domid, .vcpu = t->id, .arch = PM_SIM_ARCH_X86_32,
					  .nr = PM_HV_X86_NR, .up = 1 };
	st->reg[0] = c.rax, st->reg[1] = c.rcx, st->reg[2] = c.rdx, st->reg[3] = c.rbx, st->reg[4] = c.rsp;
	st->reg[5] = c.rbp, st->reg[6] = c.rsi, st->reg[7] = c.rdi, st->reg[8] = c.rip, st->reg[9] = c.rflags | 2;
	st->reg[10] = c.cr0, st->reg[12] = c.cr3, st->reg[13] = c.cr4;
	st->reg[PM_HV_X86_EFER] = c.efer | 0x400;   /* LMA */
	for (unsigned int i = 0; i < PM_HV_X86_NR_SEGS; i++) {
		st->reg[PM_HV_X86_SEG + 4 * i + 2] = i == PM_HV_X86_TR ? 0x67 : i == PM_HV_X86_LDTR ? 0 : 0xffffffff;
		st->reg[PM_HV_X86_SEG + 4 * i + 3] = seg_ar[i];
	}
	st->reg[PM_HV_X86_FXSAVE] = 0x037f;                       /* fcw */
	st->reg[PM_HV_X86_FXSAVE + 3] = 0x1f80;                   /* mxcsr (bytes 24-27) */
	t->init64 = true;
	t->ctx = v->ctx;
	t->ctx.vcpu = t->id;
	t->ctx.pc = c.rip;
	t->ctx.sp = c.rsp;
	t->initialised = true;
	return 0;
}

static long vcpu_op(struct sim_vcpu *v, uint64_t cmd, uint64_t vcpuid, uint64_t arg)
{
	struct sim_domain *d = v->d;
	struct sim_vcpu *t;
	struct {
		uint32_t mode, pad;
		uint32_t eax, ecx, edx, ebx, esp, ebp, esi, edi, eip, eflags, cr0, cr3, cr4;
	} c;

	if (v->ctx.arch != PM_SIM_ARCH_X86_32 && cmd != VCPUOP_register_vcpu_info)
		return -ENOSYS;   /* ARM guests use PSCI and their own timer */
	if (vcpuid >= d->vcpus)
		return -ENOENT;
	t = &d->vcpu[vcpuid];
	switch (cmd) {
	case VCPUOP_initialise:
		if (t->started && !t->exited)
			return -EEXIST;
		if (copy_in(v, arg, &c.mode, sizeof(c.mode)))
			return -EFAULT;
		if (c.mode == VCPU_HVM_MODE_64B)
			return initialise64(v, t, arg);
		if (copy_in(v, arg, &c, sizeof(c)))
			return -EFAULT;
		if (c.mode != VCPU_HVM_MODE_32B || c.cr3 || c.cr4)
			return -EINVAL;   /* flat 32-bit, paging off: what the simulator models */
		t->init64 = false;
		t->ctx = v->ctx;
		t->ctx.vcpu = (uint32_t)vcpuid;
		t->ctx.pc = c.eip;
		t->ctx.sp = c.esp;
		t->ctx.regs[0] = c.eax;
		t->ctx.regs[1] = c.ebx;
		t->ctx.regs[2] = c.ecx;
		t->ctx.regs[3] = c.edx;
		t->ctx.cr0 = c.cr0;
		t->initialised = true;   /* not started by an unpause: by VCPUOP_up */
		return 0;
	case VCPUOP_up: {
		int rc;

		if (!t->initialised && !t->ctx_set)
			return -EINVAL;
		rc = v->s->hooks->vcpu_up(d, (uint32_t)vcpuid, &t->ctx);
		return rc == -EEXIST ? 0 : rc;
	}
	case VCPUOP_down:
		if (t != v)
			return -EINVAL;   /* only the caller takes itself down here */
		v->off = true;        /* it leaves the engine when the trap returns */
		return 0;
	case VCPUOP_is_up:
		return t->started && !t->exited && !t->off;
	case VCPUOP_register_vcpu_info:
		return register_vcpu_info(v, t, arg);
	case VCPUOP_set_periodic_timer: {
		uint64_t period;

		if (copy_in(v, arg, &period, sizeof(period)))
			return -EFAULT;
		if (period < MIN_PERIOD_NS || period > INT64_MAX)
			return -EINVAL;
		sim_time_set(v->s, t, t->timer_ns, period);
		return 0;
	}
	case VCPUOP_stop_periodic_timer:
		sim_time_set(v->s, t, t->timer_ns, 0);
		return 0;
	case VCPUOP_set_singleshot_timer: {
		struct { uint64_t timeout; uint32_t flags; } st;

		if (t != v)
			return -EINVAL;
		if (copy_in(v, arg, &st, 12))
			return -EFAULT;
		if ((st.flags & VCPU_SSHOTTMR_future) && st.timeout < sim_now_ns())
			return -ETIME;
		sim_time_set(v->s, t, st.timeout ? st.timeout : 1, t->period_ns);   /* 0 is "none": as good as past */
		return 0;
	}
	case VCPUOP_stop_singleshot_timer:
		if (t != v)
			return -EINVAL;
		sim_time_set(v->s, t, 0, t->period_ns);
		return 0;
	}
	return -ENOSYS;
}

/*
 * hvm_op: get_param; set_param of HVM_PARAM_CALLBACK_IRQ (the only one a
 * guest sets here), where only "none" is taken: a callback via GSI, INTx
 * or a vector needs an interrupt path the simulator does not model (the
 * vector is delivered without the local APIC on Xen, which KVM cannot
 * do), so -EOPNOTSUPP and the guest uses the per-vCPU upcall vector
 * (set_evtchn_upcall_vector, cpuid leaf 0x40000004 says it is there)
 */
static long hvm_op(struct sim_vcpu *v, uint64_t cmd, uint64_t arg)
{
	struct xen_hvm_param p;

	if (cmd == HVMOP_set_evtchn_upcall_vector) {
		struct { uint32_t vcpu; uint8_t vector; } u;
		struct sim_vcpu *t;
		uint8_t *vi;

		if (copy_in(v, arg, &u, 5))
			return -EFAULT;
		if (u.vector < 0x10)
			return -EINVAL;
		if (u.vcpu >= v->d->vcpus)
			return -ENOENT;
		t = &v->d->vcpu[u.vcpu];
		t->upcall_vector = u.vector;
		vi = sim_evtchn_vcpu_info(v->s, v->d, t->id);
		if (vi && *vi && v->s->kvm)
			v->s->hooks->interrupt(t, u.vector);   /* evtchn_upcall_pending already: its upcall now */
		return 0;
	}
	if (cmd != HVMOP_get_param && cmd != HVMOP_set_param)
		return -ENOSYS;
	if (copy_in(v, arg, &p, sizeof(p)))
		return -EFAULT;
	if (!is_self(v, p.domid))
		return -EPERM;
	if (p.index >= HVM_NR_PARAMS || p.index >= SIM_NR_PARAMS)
		return -EINVAL;
	if (cmd == HVMOP_set_param) {
		if (p.index != HVM_PARAM_CALLBACK_IRQ)
			return -EPERM;
		if (p.value)
			return -EOPNOTSUPP;
		v->d->params[p.index] = 0;
		return 0;
	}
	p.value = v->d->params[p.index];
	return copy_out(v, arg, &p, sizeof(p)) ? -EFAULT : 0;
}

long sim_hypercall(struct sim_vcpu *v, uint64_t op, const uint64_t arg[5])
{
	long ret = -ENOSYS;

	pthread_mutex_lock(&v->s->lock);
	switch (op) {
	case HC_console_io:
		ret = console_io(v, arg[0], arg[1], arg[2]);
		break;
	case HC_xen_version:
		ret = xen_version(v, arg[0], arg[1]);
		break;
	case HC_set_timer_op: {   /* its 64-bit deadline in two words from 32-bit code */
		uint64_t t = sim_guest_word(v) == 8 ? arg[0] : (arg[0] & 0xffffffffu) | arg[1] << 32;

		sim_time_set(v->s, v, t, v->period_ns);
		ret = 0;
		break;
	}
	case HC_sched_op:
		ret = sched_op(v, arg[0], arg[1]);
		break;
	case HC_memory_op:
		ret = memory_op(v, arg[0], arg[1]);
		break;
	case HC_vcpu_op:
		ret = vcpu_op(v, arg[0], arg[1], arg[2]);
		break;
	case HC_event_channel_op:
		ret = event_channel_op(v, arg[0], arg[1]);
		break;
	case HC_hvm_op:
		ret = hvm_op(v, arg[0], arg[1]);
		break;
	case HC_grant_table_op:
		ret = sim_gnttab_op(v, arg[0], arg[1], arg[2]);
		break;
	}
	pthread_mutex_unlock(&v->s->lock);
	return ret;
}
