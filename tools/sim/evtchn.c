/*
 * tools/sim/evtchn.c - event channels, Xen's 2-level ABI (<xen/event_channel.h>)
 *
 * A domain has SIM_EVTCHNS ports. 1 and 2 are the console's and the
 * store's (the builder's), the rest a guest allocates (alloc_unbound) for
 * another domain to bind: a guest (bind_interdomain) or the toolstack
 * (pm_hv_evtchn_bind, an eventfd that rings when the guest sends). A port
 * made pending sets its bit in the guest's shared info (if it mapped one
 * with XENMEM_add_to_physmap), its selector bit and upcall flag in vCPU
 * 0's vcpu_info, and wakes the guest's blocked vCPUs. The simulator
 * injects no upcall interrupt: a guest looks at its shared info when
 * SCHEDOP_block returns, or polls it.
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

#include "physmap/domain.h"
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

void sim_evtchn_raise(struct sim *s, struct sim_domain *d, uint32_t port)
{
	uint8_t *si = shared_info(s, d);

	if (si && d->vcpu && d->vcpu[0].ctx.arch == PM_SIM_ARCH_AARCH64) {
		uint64_t *pending = (uint64_t *)(si + offsetof(struct shared_info_arm64, evtchn_pending));
		uint64_t *sel = (uint64_t *)(si + offsetof(struct vcpu_info_arm64, evtchn_pending_sel));

		__atomic_fetch_or(&pending[port / 64], 1ull << (port % 64), __ATOMIC_SEQ_CST);
		__atomic_fetch_or(sel, 1ull << (port / 64), __ATOMIC_SEQ_CST);
		__atomic_store_n(si + offsetof(struct vcpu_info_arm64, evtchn_upcall_pending), 1, __ATOMIC_SEQ_CST);
	} else if (si && d->shinfo_64) {
		uint64_t *pending = (uint64_t *)(si + offsetof(struct shared_info_x86_64, evtchn_pending));
		uint64_t *sel = (uint64_t *)(si + offsetof(struct vcpu_info_x86_64, evtchn_pending_sel));

		__atomic_fetch_or(&pending[port / 64], 1ull << (port % 64), __ATOMIC_SEQ_CST);
		__atomic_fetch_or(sel, 1ull << (port / 64), __ATOMIC_SEQ_CST);
		__atomic_store_n(si + offsetof(struct vcpu_info_x86_64, evtchn_upcall_pending), 1, __ATOMIC_SEQ_CST);
	} else if (si) {
		uint32_t *pending = (uint32_t *)(si + offsetof(struct shared_info_x86_32, evtchn_pending));
		uint32_t *sel = (uint32_t *)(si + offsetof(struct vcpu_info_x86_32, evtchn_pending_sel));

		__atomic_fetch_or(&pending[port / 32], 1u << (port % 32), __ATOMIC_SEQ_CST);
		__atomic_fetch_or(sel, 1u << (port / 32), __ATOMIC_SEQ_CST);
		__atomic_store_n(si + offsetof(struct vcpu_info_x86_32, evtchn_upcall_pending), 1, __ATOMIC_SEQ_CST);
	}
	sim_event(s, d->domid);
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
		sim_changed(d, pfn, 1);
	}
	d->shinfo_pfn = pfn;
	d->shinfo_set = true;
	si = shared_info(s, d);
	if (si)
		memset(si, 0, PAGE);   /* what Xen's fresh shared info holds: nothing pending */
	return 0;
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
	if (e->fd >= 0)
		close(e->fd);
	*e = (struct sim_evtchn){ .state = SIM_EC_FREE, .fd = -1 };
	return 0;
}
