/*
 * tools/sim/evtchn.c - event channels, Xen's 2-level ABI (<xen/event_channel.h>)
 *
 * A domain has SIM_EVTCHNS ports. 1 and 2 are the console's and the
 * store's (the builder's), the rest a guest allocates (alloc_unbound) for
 * another domain to bind: a guest (bind_interdomain) or the toolstack
 * (pm_hv_evtchn_bind, an eventfd that rings when the guest sends); or
 * binds to a VIRQ (the timer's is raised by time.c) or as an IPI between
 * its own vCPUs.
 *
 * An event is delivered as Xen's 2-level ABI does: its bit in the shared
 * info's pending words; unless masked (the guest's mask words), its word's
 * bit in the selector of the vCPU it notifies and, on the first, that
 * vCPU's upcall_pending, which raises the upcall vector the vCPU chose
 * (HVMOP_set_evtchn_upcall_vector; KVM's local APIC) and wakes the
 * domain's blocked vCPUs. A vCPU's vcpu_info is in the shared info (the
 * first 32) or where it registered one (VCPUOP_register_vcpu_info).
 */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <xen/foreign/arm64.h>
#include <xen/foreign/x86_32.h>
#include <xen/foreign/x86_64.h>
#include <xen/hvm/params.h>

#include "physmap/domain.h"
#include "kvm.h"
#include "sim.h"
#include "vcpu.h"
#include "sim-proto.h"

#define PAGE 4096ull

void sim_evtchn_init(struct sim_domain *d)
{
	for (unsigned int p = 0; p < SIM_EVTCHNS; p++)
		d->evtchn[p] = (struct sim_evtchn){ .state = SIM_EC_FREE, .fd = -1 };
	d->evtchn[0].state = SIM_EC_RESERVED;   /* never a port */
	d->evtchn[PM_DOMAIN_CONSOLE_PORT].state = SIM_EC_RESERVED;
	d->evtchn[PM_DOMAIN_STORE_PORT].state = SIM_EC_RESERVED;
}

void sim_evtchn_dispose(struct sim_domain *d)
{
	for (unsigned int p = 0; p < SIM_EVTCHNS; p++)
		if (d->evtchn[p].fd >= 0) {
			close(d->evtchn[p].fd);
			d->evtchn[p].fd = -1;
		}
}

/* the frame of the guest's shared info, or NULL (none mapped, or no longer RAM) */
static uint8_t *shared_info(struct sim *s, struct sim_domain *d)
{
	uint64_t e;

	if (!d->shinfo_set)
		return NULL;
	e = pm_p2m_lookup(d->p2m, d->shinfo_pfn);
	if (pm_p2m_kind_of(e) != PM_P2M_RAM || e >= s->pool.total)
		return NULL;
	return (uint8_t *)s->pool_map + e * PAGE;
}

uint8_t *sim_evtchn_shared_info_ptr(struct sim *s, struct sim_domain *d)
{
	return shared_info(s, d);
}

/* where the 2-level ABI's words are, for the guest's layout */
struct layout {
	size_t pending, mask;        /* in the shared info */
	size_t sel, upcall, size;    /* in a vcpu_info; its size */
	unsigned int bits;           /* of a word */
};

static struct layout layout_of(const struct sim_domain *d)
{
	if (d->vcpu && d->vcpu[0].ctx.arch == PM_SIM_ARCH_AARCH64)
		return (struct layout){ offsetof(struct shared_info_arm64, evtchn_pending),
					offsetof(struct shared_info_arm64, evtchn_mask),
					offsetof(struct vcpu_info_arm64, evtchn_pending_sel),
					offsetof(struct vcpu_info_arm64, evtchn_upcall_pending),
					sizeof(struct vcpu_info_arm64), 64 };
	if (d->shinfo_64)
		return (struct layout){ offsetof(struct shared_info_x86_64, evtchn_pending),
					offsetof(struct shared_info_x86_64, evtchn_mask),
					offsetof(struct vcpu_info_x86_64, evtchn_pending_sel),
					offsetof(struct vcpu_info_x86_64, evtchn_upcall_pending),
					sizeof(struct vcpu_info_x86_64), 64 };
	return (struct layout){ offsetof(struct shared_info_x86_32, evtchn_pending),
				offsetof(struct shared_info_x86_32, evtchn_mask),
				offsetof(struct vcpu_info_x86_32, evtchn_pending_sel),
				offsetof(struct vcpu_info_x86_32, evtchn_upcall_pending),
				sizeof(struct vcpu_info_x86_32), 32 };
}

uint8_t *sim_evtchn_vcpu_info(struct sim *s, struct sim_domain *d, uint32_t vcpu)
{
	struct layout l = layout_of(d);
	uint8_t *si;
	uint64_t e;

	if (vcpu >= d->vcpus)
		return NULL;
	if (d->vcpu[vcpu].vcpu_info_set) {
		uint64_t gpa = d->vcpu[vcpu].vcpu_info_gpa;

		if (gpa / PAGE >= d->max_pfn)
			return NULL;
		e = pm_p2m_lookup(d->p2m, gpa / PAGE);
		if (pm_p2m_kind_of(e) != PM_P2M_RAM || e >= s->pool.total)
			return NULL;
		return (uint8_t *)s->pool_map + e * PAGE + gpa % PAGE;
	}
	si = shared_info(s, d);
	return si && vcpu < 32 ? si + vcpu * l.size : NULL;
}

/* bit @n of the words at @w (@bits wide): set (@op 1), cleared (-1) or read (0); returns: what it was */
static bool bit_op(uint8_t *w, unsigned int bits, uint32_t n, int op)
{
	if (bits == 64) {
		uint64_t *p = (uint64_t *)w + n / 64, m = 1ull << (n % 64);

		return (op > 0 ? __atomic_fetch_or(p, m, __ATOMIC_SEQ_CST)
			: op < 0 ? __atomic_fetch_and(p, ~m, __ATOMIC_SEQ_CST) : __atomic_load_n(p, __ATOMIC_SEQ_CST)) & m;
	}
	{
		uint32_t *p = (uint32_t *)w + n / 32, m = 1u << (n % 32);

		return (op > 0 ? __atomic_fetch_or(p, m, __ATOMIC_SEQ_CST)
			: op < 0 ? __atomic_fetch_and(p, ~m, __ATOMIC_SEQ_CST) : __atomic_load_n(p, __ATOMIC_SEQ_CST)) & m;
	}
}

/* the selector bit of @port's word in vCPU @vcpu's vcpu_info and, on the first, its upcall */
static void mark_pending(struct sim *s, struct sim_domain *d, uint32_t vcpu, uint32_t port)
{
	struct layout l = layout_of(d);
	uint8_t *vi = sim_evtchn_vcpu_info(s, d, vcpu);

	if (!vi || bit_op(vi + l.sel, l.bits, port / l.bits, 1))
		return;
	if (__atomic_exchange_n(vi + l.upcall, 1, __ATOMIC_SEQ_CST))
		return;
	if (d->vcpu[vcpu].upcall_vector && s->kvm)
		s->hooks->interrupt(&d->vcpu[vcpu], d->vcpu[vcpu].upcall_vector);
}

void sim_evtchn_raise(struct sim *s, struct sim_domain *d, uint32_t port)
{
	uint8_t *si = shared_info(s, d);
	struct layout l = layout_of(d);
	uint32_t vcpu = port < SIM_EVTCHNS && d->evtchn[port].vcpu < d->vcpus ? d->evtchn[port].vcpu : 0;

	if (!si && port < SIM_EVTCHNS)
		d->early[port / 64] |= 1ull << (port % 64);   /* pending from the moment the page is mapped */
	if (si && port < SIM_EVTCHNS && !bit_op(si + l.pending, l.bits, port, 1) &&
	    !bit_op(si + l.mask, l.bits, port, 0))
		mark_pending(s, d, vcpu, port);
	sim_event(s, d->domid);
}

bool sim_evtchn_is_pending(struct sim *s, struct sim_domain *d, uint32_t port)
{
	uint8_t *si = shared_info(s, d);
	struct layout l = layout_of(d);

	return si && port < SIM_EVTCHNS && bit_op(si + l.pending, l.bits, port, 0);
}

int sim_evtchn_register_vcpu_info(struct sim *s, struct sim_domain *d, uint32_t vcpu, uint64_t gpa)
{
	struct layout l = layout_of(d);
	struct sim_vcpu *t = &d->vcpu[vcpu];
	uint8_t *old, *now, keep[64];

	if (t->vcpu_info_set || gpa % PAGE > PAGE - l.size || gpa / PAGE >= d->max_pfn ||
	    pm_p2m_kind_of(pm_p2m_lookup(d->p2m, gpa / PAGE)) != PM_P2M_RAM)
		return -EINVAL;
	old = sim_evtchn_vcpu_info(s, d, vcpu);
	if (old)
		memcpy(keep, old, l.size);
	else
		memset(keep, 0, l.size);
	t->vcpu_info_gpa = gpa;
	t->vcpu_info_set = true;
	now = sim_evtchn_vcpu_info(s, d, vcpu);
	memcpy(now, keep, l.size);
	memset(now + l.sel, 0xff, l.bits / 8);   /* every selector bit: the guest looks at every word */
	now[l.upcall] = 1;
	if (t->upcall_vector && s->kvm)
		s->hooks->interrupt(t, t->upcall_vector);
	return 0;
}

int sim_evtchn_unmask(struct sim *s, struct sim_domain *d, uint32_t port)
{
	uint8_t *si = shared_info(s, d);
	struct layout l = layout_of(d);

	if (!port || port >= SIM_EVTCHNS)
		return -EINVAL;
	if (si && bit_op(si + l.mask, l.bits, port, -1) && bit_op(si + l.pending, l.bits, port, 0)) {
		mark_pending(s, d, d->evtchn[port].vcpu < d->vcpus ? d->evtchn[port].vcpu : 0, port);
		sim_event(s, d->domid);
	}
	return 0;
}

int sim_evtchn_shared_info(struct sim *s, struct sim_domain *d, uint64_t pfn)
{
	uint8_t *si;
	int rc;

	if (pfn >= d->max_pfn)
		return -EINVAL;
	if (pm_p2m_kind_of(pm_p2m_lookup(d->p2m, pfn)) != PM_P2M_RAM) {
		if (d->tot_pages + 1 > d->max_pages)
			return -ENOMEM;
		rc = sim_populate(s, d, pfn, 1);
		if (rc)
			return rc;
		sim_changed(s, d, pfn, 1);
	}
	d->shinfo_pfn = pfn;
	d->shinfo_set = true;
	si = shared_info(s, d);
	if (si)
		memset(si, 0, PAGE);   /* what Xen's fresh shared info holds: nothing pending */
	/* its caller fills the wallclock and the vCPUs' clocks (time.c), then raises the early events */
	return 0;
}

void sim_evtchn_early(struct sim *s, struct sim_domain *d)
{
	uint8_t *si = shared_info(s, d);

	for (uint32_t p = 1; si && p < SIM_EVTCHNS; p++)
		if (d->early[p / 64] & (1ull << (p % 64)))
			sim_evtchn_raise(s, d, p);
	memset(d->early, 0, sizeof(d->early));
}

/* a free port of @d for a channel, or 0 */
static uint32_t free_port(const struct sim_domain *d)
{
	for (uint32_t p = 1; p < SIM_EVTCHNS; p++)
		if (d->evtchn[p].state == SIM_EC_FREE)
			return p;
	return 0;
}

long sim_evtchn_alloc(struct sim_domain *d, uint32_t remote)
{
	uint32_t p = free_port(d);

	if (!p)
		return -ENOSPC;
	d->evtchn[p] = (struct sim_evtchn){ .state = SIM_EC_UNBOUND, .remote_dom = remote, .fd = -1 };
	return p;
}

/* VIRQs Xen binds per vCPU (TIMER, DEBUG, XENOPROF, XENPMU); the rest are global */
static bool virq_per_vcpu(uint32_t virq)
{
	return virq == 0 || virq == 1 || virq == 7 || virq == 13;
}

long sim_evtchn_bind_virq(struct sim_domain *d, uint32_t virq, uint32_t vcpu)
{
	uint32_t p;

	if (virq >= SIM_NR_VIRQS || (!virq_per_vcpu(virq) && vcpu != 0))
		return -EINVAL;
	if (vcpu >= d->vcpus)
		return -ENOENT;
	if (d->vcpu[vcpu].virq[virq])
		return -EEXIST;
	p = free_port(d);
	if (!p)
		return -ENOSPC;
	d->evtchn[p] = (struct sim_evtchn){ .state = SIM_EC_VIRQ, .fd = -1, .vcpu = vcpu, .virq = virq };
	d->vcpu[vcpu].virq[virq] = p;
	return p;
}

long sim_evtchn_bind_ipi(struct sim_domain *d, uint32_t vcpu)
{
	uint32_t p;

	if (vcpu >= d->vcpus)
		return -ENOENT;
	p = free_port(d);
	if (!p)
		return -ENOSPC;
	d->evtchn[p] = (struct sim_evtchn){ .state = SIM_EC_IPI, .fd = -1, .vcpu = vcpu };
	return p;
}

int sim_evtchn_bind_vcpu(struct sim_domain *d, uint32_t port, uint32_t vcpu)
{
	struct sim_evtchn *e = port < SIM_EVTCHNS ? &d->evtchn[port] : NULL;

	if (!e || (e->state != SIM_EC_UNBOUND && e->state != SIM_EC_INTERDOMAIN &&
		   !(e->state == SIM_EC_VIRQ && !virq_per_vcpu(e->virq))))
		return -EINVAL;
	if (vcpu >= d->vcpus)
		return -ENOENT;
	if (e->state == SIM_EC_VIRQ) {
		d->vcpu[e->vcpu].virq[e->virq] = 0;
		d->vcpu[vcpu].virq[e->virq] = port;
	}
	e->vcpu = vcpu;
	return 0;
}

int sim_evtchn_status(const struct sim_domain *d, uint32_t port, struct sim_evtchn_status *st)
{
	const struct sim_evtchn *e = port < SIM_EVTCHNS ? &d->evtchn[port] : NULL;

	if (!e || !port)
		return -EINVAL;
	*st = (struct sim_evtchn_status){ .vcpu = e->vcpu };
	switch (e->state) {
	case SIM_EC_FREE:
		st->status = 0;   /* EVTCHNSTAT_closed */
		break;
	case SIM_EC_UNBOUND:
		st->status = 1, st->dom = e->remote_dom;
		break;
	case SIM_EC_RESERVED:     /* the console's and the store's: dom0's daemons at the other end */
	case SIM_EC_TOOLSTACK:
		st->status = 2;
		break;
	case SIM_EC_INTERDOMAIN:
		st->status = 2, st->dom = e->remote_dom, st->port = e->remote_port;
		break;
	case SIM_EC_VIRQ:
		st->status = 4, st->virq = e->virq;
		break;
	case SIM_EC_IPI:
		st->status = 5;
		break;
	}
	return 0;
}

int sim_evtchn_bind(struct sim *s, struct sim_domain *d, uint32_t port, struct sim_domain *peer, uint32_t *local)
{
	struct sim_evtchn *e = port < SIM_EVTCHNS ? &d->evtchn[port] : NULL;

	if (!e || e->state != SIM_EC_UNBOUND)
		return -EINVAL;
	if (!peer) {
		/* the toolstack: an eventfd it is given */
		if (e->remote_dom != 0)
			return -EPERM;
		e->fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
		if (e->fd < 0)
			return -errno;
		e->state = SIM_EC_TOOLSTACK;
		*local = port;
		return 0;
	}
	if (e->remote_dom != peer->domid)
		return -EPERM;
	*local = free_port(peer);
	if (!*local)
		return -ENOSPC;
	peer->evtchn[*local] = (struct sim_evtchn){ .state = SIM_EC_INTERDOMAIN, .remote_dom = d->domid,
						    .remote_port = port, .fd = -1 };
	*e = (struct sim_evtchn){ .state = SIM_EC_INTERDOMAIN, .remote_dom = peer->domid, .remote_port = *local,
				  .fd = -1 };
	(void)s;
	return 0;
}

int sim_evtchn_send(struct sim *s, struct sim_domain *d, uint32_t port)
{
	struct sim_evtchn *e = port < SIM_EVTCHNS ? &d->evtchn[port] : NULL;
	struct sim_domain *peer;
	uint64_t one = 1;

	if (!e)
		return -EINVAL;
	switch (e->state) {
	case SIM_EC_TOOLSTACK:
		if (write(e->fd, &one, sizeof(one)) < 0 && errno != EAGAIN)
			return -errno;
		return 0;
	case SIM_EC_INTERDOMAIN:
		peer = sim_domain_find(s, e->remote_dom);
		if (peer && e->remote_port < SIM_EVTCHNS)
			sim_evtchn_raise(s, peer, e->remote_port);
		return 0;
	case SIM_EC_IPI:
		sim_evtchn_raise(s, d, port);
		return 0;
	}
	return -EINVAL;
}

int sim_evtchn_close(struct sim *s, struct sim_domain *d, uint32_t port)
{
	struct sim_evtchn *e = port < SIM_EVTCHNS ? &d->evtchn[port] : NULL;
	struct sim_domain *peer;

	if (!e || e->state == SIM_EC_RESERVED || e->state == SIM_EC_FREE)
		return -EINVAL;
	if (e->state == SIM_EC_INTERDOMAIN && (peer = sim_domain_find(s, e->remote_dom)) &&
	    e->remote_port < SIM_EVTCHNS && peer->evtchn[e->remote_port].state == SIM_EC_INTERDOMAIN)
		/* as Xen: the other end waits for a new binding */
		peer->evtchn[e->remote_port] = (struct sim_evtchn){ .state = SIM_EC_UNBOUND,
								    .remote_dom = d->domid, .fd = -1 };
	if (e->state == SIM_EC_VIRQ && e->vcpu < d->vcpus)
		d->vcpu[e->vcpu].virq[e->virq] = 0;
	if (e->fd >= 0)
		close(e->fd);
	*e = (struct sim_evtchn){ .state = SIM_EC_FREE, .fd = -1 };
	return 0;
}

void sim_store_events(struct sim *s, struct sim_domain *only)
{
	for (struct sim_domain *d = only ? only : s->domains; d; d = only ? NULL : d->next)
		if (d->domid < SIM_MAX_DOMID && __atomic_exchange_n(&s->store_kicked[d->domid], 0, __ATOMIC_SEQ_CST) &&
		    d->params[HVM_PARAM_STORE_EVTCHN])
			sim_evtchn_raise(s, d, (uint32_t)d->params[HVM_PARAM_STORE_EVTCHN]);
}
