/*
 * libphysmap/hv/hv-sim-ioreq.c - ioreq servers on physmap-sim
 * (docs/specs/sim-protocol.md, "ioreq servers"): the slots and the
 * buffered ring share a memfd, an eventfd rings us, one eventfd a vCPU
 * rings it back; claims, coalesced ranges, notifiers and executable copies
 * are requests on the backend's connection, whose end says the domain is
 * gone.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <stdint.h>

#include <xen/hvm/ioreq.h>

#include "physmap/hv.h"
#include "hv-internal.h"
#include "hv-sim.h"
#include "sim-proto.h"
#include "alloc-internal.h"

_Static_assert(PM_HV_IOREQ_EXEC == PM_SIM_IOREQ_EXEC, "one exec ioreq type");
_Static_assert((int)PM_HV_IO_MMIO == PM_SIM_IO_MMIO && (int)PM_HV_IO_PIO == PM_SIM_IO_PIO, "io types");

struct sim_ioreq {
	int *fds;   /* [2 + vcpus]: the page, to us, then one a vCPU */
	int nr_fds;
	void *page;
	size_t page_size;
	struct pm_sim_buf_iopage *buf;
};

/* the vCPUs' descriptors past the first message's, PM_SIM_IOREQ_FDS_MAX at a time */
static int more_fds(struct pm_hv_ioreq *s, struct sim_ioreq *q, uint32_t vcpus)
{
	while ((uint32_t)q->nr_fds < vcpus + 2) {
		struct pm_sim_ioreq_fds rq = { s->domid, (uint32_t)q->nr_fds - 2 };
		int got = 0, rc;

		rc = pm__sim_call_fds(s->hv, PM_SIM_IOREQ_FDS, &rq, sizeof(rq), -1, NULL, 0, NULL,
				      q->fds + q->nr_fds, (int)(vcpus + 2) - q->nr_fds, &got);
		if (rc)
			return rc;
		if (got <= 0)
			return -EPROTO;
		q->nr_fds += got;
	}
	return 0;
}

static int sim_ioreq_open(struct pm_hv_ioreq *s)
{
	struct pm_sim_domid d = { s->domid, 0 };
	struct pm_sim_ioreq_info info;
	struct sim_ioreq *q = pm__calloc(1, sizeof(*q));
	int first[PM_SIM_MAX_FDS], nr_first = 0;
	int rc;

	if (!q)
		return -ENOMEM;
	q->page = MAP_FAILED;
	rc = pm__sim_call_fds(s->hv, PM_SIM_IOREQ_SERVER, &d, sizeof(d), -1, &info, sizeof(info), NULL,
			      first, PM_SIM_MAX_FDS, &nr_first);
	if (!rc && (nr_first < 3 || info.vcpus == 0 || info.vcpus > PM_SIM_MAX_VCPUS ||
		    (uint32_t)nr_first > info.vcpus + 2 ||
		    info.buf_offset < info.vcpus * sizeof(ioreq_t) || info.buf_offset % 4096 ||
		    info.buf_slots != PM_SIM_BUF_SLOTS))
		rc = -EPROTO;
	if (!rc && !(q->fds = pm__calloc(info.vcpus + 2, sizeof(int))))
		rc = -ENOMEM;
	if (q->fds) {
		memcpy(q->fds, first, (size_t)nr_first * sizeof(int));
		q->nr_fds = nr_first;
		nr_first = 0;
	}
	if (!rc)
		rc = more_fds(s, q, info.vcpus);
	if (!rc) {
		q->page_size = info.buf_offset + sizeof(struct pm_sim_buf_iopage);
		q->page = mmap(NULL, q->page_size, PROT_READ | PROT_WRITE, MAP_SHARED, q->fds[0], 0);
		if (q->page == MAP_FAILED)
			rc = -errno;
	}
	if (rc) {
		for (int i = 0; i < nr_first; i++)
			close(first[i]);
		for (int i = 0; i < q->nr_fds; i++)
			close(q->fds[i]);
		free(q->fds);
		free(q);
		return rc;
	}
	q->buf = (struct pm_sim_buf_iopage *)((char *)q->page + info.buf_offset);
	s->vcpus = info.vcpus;
	s->slots = ((shared_iopage_t *)q->page)->vcpu_ioreq;
	s->priv = q;
	return 0;
}

static void sim_ioreq_close(struct pm_hv_ioreq *s)
{
	struct sim_ioreq *q = s->priv;

	munmap(q->page, q->page_size);
	for (int i = 0; i < q->nr_fds; i++)
		close(q->fds[i]);
	free(q->fds);
	free(q);
}

static void ring(int fd)
{
	uint64_t one = 1;

	if (write(fd, &one, sizeof(one)) < 0)
		return;   /* its counter is full: it is awake anyway */
}

static void sim_ioreq_respond(struct pm_hv_ioreq *s, unsigned int vcpu)
{
	ring(((struct sim_ioreq *)s->priv)->fds[2 + vcpu]);
}

/* seq-cst on both pointers: the simulator either sees our progress or we see its slot */
static int sim_ioreq_buffered(struct pm_hv_ioreq *s, struct pm_hv_buf_ioreq *out)
{
	struct pm_sim_buf_iopage *b = ((struct sim_ioreq *)s->priv)->buf;
	uint32_t r = b->read_pointer;
	const struct pm_sim_buf_ioreq *q;

	if (r == __atomic_load_n(&b->write_pointer, __ATOMIC_SEQ_CST))
		return 0;
	q = &b->slot[r % PM_SIM_BUF_SLOTS];
	*out = (struct pm_hv_buf_ioreq){ q->type == IOREQ_TYPE_PIO ? PM_HV_IO_PIO : PM_HV_IO_MMIO, q->addr,
					 q->data, q->size };
	__atomic_store_n(&b->read_pointer, r + 1, __ATOMIC_SEQ_CST);
	return 1;
}

static int sim_ioreq_fd(const struct pm_hv_ioreq *s, bool gone)
{
	return gone ? pm__sim_fd(s->hv) : ((const struct sim_ioreq *)s->priv)->fds[1];
}

static void sim_ioreq_ack(struct pm_hv_ioreq *s)
{
	uint64_t n;

	if (read(((struct sim_ioreq *)s->priv)->fds[1], &n, sizeof(n)) < 0)
		return;   /* nothing was pending */
}

static int sim_ioreq_range(struct pm_hv_ioreq *s, bool coalesce, enum pm_hv_io type, uint64_t start,
			   uint64_t end, bool add)
{
	struct pm_sim_io_range io = { s->domid, (uint32_t)type, add, 0, start, end };

	return pm__sim_call_fds(s->hv, coalesce ? PM_SIM_COALESCE : PM_SIM_MAP_IO_RANGE, &io, sizeof(io), -1,
				NULL, 0, NULL, NULL, 0, NULL);
}

static int sim_ioreq_notifier(struct pm_hv_ioreq *s, const struct pm_hv_notifier *n, bool add, int *fd)
{
	struct pm_sim_notifier w = { s->domid, (uint32_t)n->type, add, n->size, n->match, 0, n->addr,
				     n->match ? n->data : 0 };
	int nr = 0, rc;

	rc = pm__sim_call_fds(s->hv, PM_SIM_NOTIFIER, &w, sizeof(w), -1, NULL, 0, NULL, fd, add ? 1 : 0, &nr);
	if (!rc && add && nr != 1)
		rc = -EPROTO;
	if (rc && nr == 1)
		close(*fd);
	return rc;
}

static int sim_ioreq_exec(struct pm_hv_ioreq *s, uint64_t start, uint64_t size, int fd, uint64_t offset,
			  bool add)
{
	struct pm_sim_exec x = { s->domid, add, start, size, offset };

	return pm__sim_call_fds(s->hv, PM_SIM_EXEC_MAP, &x, sizeof(x), add ? fd : -1, NULL, 0, NULL, NULL, 0,
				NULL);
}

const struct pm_hv_ioreq_ops pm__sim_ioreq_ops = {
	.open = sim_ioreq_open,
	.close = sim_ioreq_close,
	.respond = sim_ioreq_respond,
	.buffered = sim_ioreq_buffered,
	.fd = sim_ioreq_fd,
	.ack = sim_ioreq_ack,
	.range = sim_ioreq_range,
	.notifier = sim_ioreq_notifier,
	.exec = sim_ioreq_exec,
};
