/*
 * hv-xen-ioreq.c - the xen backend's ioreq servers: libxendevicemodel
 * creates one for the domain, libxenforeignmemory maps its pages (the
 * synchronous slots, Xen's ioreq_t a vCPU, and the buffered ring), one
 * libxenevtchn handle carries every vCPU's channel and the ring's.
 *
 * What Xen decides for itself: which writes go to the buffered ring (its
 * own list, not ours: coalescing is accepted and the writes come
 * synchronously) and write notifiers (no ioeventfd on Xen: -EOPNOTSUPP,
 * the writes come as ioreqs and physmap-dm's core rings them). mmio-exec
 * cannot put a memfd under a guest: -EOPNOTSUPP.
 *
 * "Gone" is a store watch on @releaseDomain: it fires for any domain, so
 * pm_hv_ioreq_gone asks Xen whether this one is.
 */
#define __XEN_TOOLS__ 1

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include <stdint.h>

#include <xenctrl.h>
#include <xendevicemodel.h>
#include <xenevtchn.h>
#include <xenforeignmemory.h>
#include <xenstore.h>
#include <xen/memory.h>
#include <xen/hvm/hvm_op.h>
#include <xen/hvm/ioreq.h>

#include "hv-internal.h"
#include "hv-xen.h"
#include "alloc-internal.h"

struct server {
	xendevicemodel_handle *dmod;
	xenforeignmemory_resource_handle *res;
	xenevtchn_handle *evtchn;
	struct xs_handle *xs;
	ioservid_t id;
	bool created, enabled;
	void *pages;                 /* [0] the buffered ring, [1] the slots */
	buffered_iopage_t *ring;
	evtchn_port_t *local;        /* [vcpus]: our end of each vCPU's channel */
	evtchn_port_t ring_local;
};

static int err(void)
{
	return errno ? -errno : -EIO;
}

static void xen_ioreq_close(struct pm_hv_ioreq *s)
{
	struct server *v = s->priv;
	struct pm_xen *x = s->hv->priv;

	if (!v)
		return;
	if (v->enabled)
		xendevicemodel_set_ioreq_server_state(v->dmod, (domid_t)s->domid, v->id, 0);
	if (v->res)
		xenforeignmemory_unmap_resource(x->fmem, v->res);
	if (v->created)
		xendevicemodel_destroy_ioreq_server(v->dmod, (domid_t)s->domid, v->id);
	if (v->evtchn)
		xenevtchn_close(v->evtchn);
	if (v->dmod)
		xendevicemodel_close(v->dmod);
	if (v->xs)
		xs_close(v->xs);
	free(v->local);
	free(v);
	s->priv = NULL;
}

static int xen_ioreq_open(struct pm_hv_ioreq *s)
{
	struct pm_xen *x = s->hv->priv;
	struct server *v = pm__calloc(1, sizeof(*v));
	evtchn_port_t ring_port = 0;
	unsigned int vcpus = 0;
	int rc = 0;

	if (!v)
		return -ENOMEM;
	s->priv = v;
	v->dmod = xendevicemodel_open(x->log, 0);
	v->evtchn = v->dmod ? xenevtchn_open(x->log, 0) : NULL;
	/* pending ports are read until there are none: never block there */
	if (v->evtchn)
		fcntl(xenevtchn_fd(v->evtchn), F_SETFL, fcntl(xenevtchn_fd(v->evtchn), F_GETFL) | O_NONBLOCK);
	v->xs = v->evtchn ? xs_open(XS_OPEN_SOCKETONLY) : NULL;
	if (!v->xs || !xs_watch(v->xs, "@releaseDomain", "gone")) {
		rc = err();
		goto out;
	}
	if (xendevicemodel_nr_vcpus(v->dmod, (domid_t)s->domid, &vcpus) ||
	    xendevicemodel_create_ioreq_server(v->dmod, (domid_t)s->domid, HVM_IOREQSRV_BUFIOREQ_ATOMIC, &v->id)) {
		rc = errno == ESRCH ? -ENOENT : errno == EEXIST ? -EEXIST : err();
		goto out;
	}
	v->created = true;
	v->res = xenforeignmemory_map_resource(x->fmem, (domid_t)s->domid, XENMEM_resource_ioreq_server, v->id,
					       XENMEM_resource_ioreq_server_frame_bufioreq, 2, &v->pages,
					       PROT_READ | PROT_WRITE, 0);
	if (!v->res || xendevicemodel_get_ioreq_server_info(v->dmod, (domid_t)s->domid, v->id, NULL, NULL,
							     &ring_port) ||
	    xendevicemodel_set_ioreq_server_state(v->dmod, (domid_t)s->domid, v->id, 1)) {
		rc = err();
		goto out;
	}
	v->enabled = true;
	v->ring = v->pages;
	s->slots = ((shared_iopage_t *)((char *)v->pages + 4096))->vcpu_ioreq;
	s->vcpus = vcpus;
	v->local = pm__calloc(vcpus, sizeof(*v->local));
	if (!v->local) {
		rc = -ENOMEM;
		goto out;
	}
	for (unsigned int i = 0; i < vcpus; i++) {
		xenevtchn_port_or_error_t p = xenevtchn_bind_interdomain(v->evtchn, s->domid, s->slots[i].vp_eport);

		if (p < 0) {
			rc = err();
			goto out;
		}
		v->local[i] = (evtchn_port_t)p;
	}
	{
		xenevtchn_port_or_error_t p = xenevtchn_bind_interdomain(v->evtchn, s->domid, ring_port);

		if (p < 0)
			rc = err();
		else
			v->ring_local = (evtchn_port_t)p;
	}
out:
	if (rc)
		xen_ioreq_close(s);
	return rc;
}

static void xen_ioreq_respond(struct pm_hv_ioreq *s, unsigned int vcpu)
{
	struct server *v = s->priv;

	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	xenevtchn_notify(v->evtchn, v->local[vcpu]);
}

static int xen_ioreq_buffered(struct pm_hv_ioreq *s, struct pm_hv_buf_ioreq *out)
{
	struct server *v = s->priv;
	uint32_t rp = __atomic_load_n(&v->ring->read_pointer, __ATOMIC_ACQUIRE);
	uint32_t wp = __atomic_load_n(&v->ring->write_pointer, __ATOMIC_ACQUIRE);
	const buf_ioreq_t *b;
	unsigned int qw;

	if (rp == wp)
		return 0;
	b = &v->ring->buf_ioreq[rp % IOREQ_BUFFER_SLOT_NUM];
	qw = b->size == 3;
	out->type = b->type == IOREQ_TYPE_PIO ? PM_HV_IO_PIO : PM_HV_IO_MMIO;
	out->addr = b->addr;
	out->size = 1u << b->size;
	out->data = b->data;
	if (qw)
		out->data |= (uint64_t)v->ring->buf_ioreq[(rp + 1) % IOREQ_BUFFER_SLOT_NUM].data << 32;
	__atomic_fetch_add(&v->ring->read_pointer, qw + 1, __ATOMIC_RELEASE);
	return 1;
}

static int xen_ioreq_fd(const struct pm_hv_ioreq *s, bool gone)
{
	const struct server *v = s->priv;

	return gone ? xs_fileno(v->xs) : xenevtchn_fd(v->evtchn);
}

static void xen_ioreq_ack(struct pm_hv_ioreq *s)
{
	struct server *v = s->priv;
	xenevtchn_port_or_error_t p;

	while ((p = xenevtchn_pending(v->evtchn)) >= 0)
		xenevtchn_unmask(v->evtchn, (evtchn_port_t)p);
}

static int xen_ioreq_gone(struct pm_hv_ioreq *s)
{
	struct server *v = s->priv;
	struct pm_hv_dominfo info;
	char **w;

	while ((w = xs_check_watch(v->xs)))
		free(w);
	return pm_hv_domain_getinfo(s->hv, s->domid, &info) || info.state == PM_HV_DYING;
}

static int xen_ioreq_range(struct pm_hv_ioreq *s, bool coalesce, enum pm_hv_io type, uint64_t start,
			   uint64_t end, bool add)
{
	struct server *v = s->priv;
	int mmio = type == PM_HV_IO_MMIO, r;

	if (coalesce)
		return 0;   /* Xen chooses what it buffers: these writes come one by one */
	r = add ? xendevicemodel_map_io_range_to_ioreq_server(v->dmod, (domid_t)s->domid, v->id, mmio, start,
							       end - 1)
		: xendevicemodel_unmap_io_range_from_ioreq_server(v->dmod, (domid_t)s->domid, v->id, mmio, start,
								   end - 1);
	return r ? err() : 0;
}

static int xen_ioreq_notifier(struct pm_hv_ioreq *s, const struct pm_hv_notifier *n, bool add, int *fd)
{
	(void)s, (void)n, (void)add, (void)fd;
	return -EOPNOTSUPP;
}

static int xen_ioreq_exec(struct pm_hv_ioreq *s, uint64_t start, uint64_t size, int fd, uint64_t offset,
			  bool add)
{
	(void)s, (void)start, (void)size, (void)fd, (void)offset;
	return add ? -EOPNOTSUPP : 0;
}

const struct pm_hv_ioreq_ops pm__xen_ioreq_ops = {
	.open = xen_ioreq_open,
	.close = xen_ioreq_close,
	.respond = xen_ioreq_respond,
	.buffered = xen_ioreq_buffered,
	.fd = xen_ioreq_fd,
	.ack = xen_ioreq_ack,
	.gone = xen_ioreq_gone,
	.range = xen_ioreq_range,
	.notifier = xen_ioreq_notifier,
	.exec = xen_ioreq_exec,
};
