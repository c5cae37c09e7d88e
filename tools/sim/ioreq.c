/*
 * tools/sim/ioreq.c - ioreq servers (see ioreq.h)
 *
 * A vCPU fills its slot, sets STATE_IOREQ_READY and rings to_dm; the
 * device model serves it, sets STATE_IORESP_READY and rings the vCPU's
 * eventfd. Both sides spin a little before they sleep: on an idle host a
 * round trip then costs no wake-up at all.
 */
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <unistd.h>

#include "failalloc.h"
#include "ioreq.h"
#include "sim-proto.h"
#include "sim.h"
#include "vcpu.h"

#define SPINS 20000

static void ring(int fd)
{
	uint64_t one = 1;

	if (write(fd, &one, sizeof(one)) < 0)
		return;   /* the counter is full: the reader is awake anyway */
}

void sim_ioreq_free(struct sim_ioreq_server *srv, uint32_t vcpus)
{
	if (!srv)
		return;
	if (srv->page)
		munmap(srv->page, srv->buf_offset + sizeof(struct pm_sim_buf_iopage));
	for (size_t i = 0; i < srv->nr_wn; i++)
		close(srv->wn[i].fd);
	for (size_t i = 0; i < srv->nr_exec; i++)
		munmap(srv->exec[i].host, srv->exec[i].end - srv->exec[i].start);
	for (size_t i = 0; i < srv->nr_retired; i++)
		munmap(srv->retired[i].host, srv->retired[i].end - srv->retired[i].start);
	free(srv->wn);
	free(srv->exec);
	free(srv->retired);
	free(srv->co);
	if (srv->page_fd >= 0)
		close(srv->page_fd);
	if (srv->to_dm >= 0)
		close(srv->to_dm);
	for (uint32_t i = 0; srv->to_vcpu && i < vcpus; i++)
		if (srv->to_vcpu[i] >= 0)
			close(srv->to_vcpu[i]);
	free(srv->to_vcpu);
	free(srv->ranges);
	free(srv);
}

int sim_ioreq_create(struct sim_domain *d, int owner, int *fds, int max_fds)
{
	struct sim_ioreq_server *srv;
	int n = 0;

	if (d->ioreq)
		return -EEXIST;
	if (max_fds < 3)
		return -E2BIG;
	srv = pm_t_calloc(1, sizeof(*srv));
	if (!srv)
		return -ENOMEM;
	srv->owner = owner;
	srv->to_dm = -1;
	srv->page_size = (d->vcpus * sizeof(ioreq_t) + 4095) & ~4095ul;
	srv->buf_offset = srv->page_size;
	srv->page_fd = memfd_create("physmap-ioreq", MFD_CLOEXEC);
	srv->to_vcpu = pm_t_calloc(d->vcpus, sizeof(int));
	if (srv->page_fd < 0 || !srv->to_vcpu ||
	    ftruncate(srv->page_fd, (off_t)(srv->buf_offset + sizeof(struct pm_sim_buf_iopage))))
		goto fail;
	for (uint32_t i = 0; i < d->vcpus; i++)
		srv->to_vcpu[i] = -1;
	srv->page = mmap(NULL, srv->buf_offset + sizeof(struct pm_sim_buf_iopage), PROT_READ | PROT_WRITE,
			 MAP_SHARED, srv->page_fd, 0);
	if (srv->page == MAP_FAILED) {
		srv->page = NULL;
		goto fail;
	}
	srv->buf = (struct pm_sim_buf_iopage *)((char *)srv->page + srv->buf_offset);
	srv->to_dm = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (srv->to_dm < 0)
		goto fail;
	for (uint32_t i = 0; i < d->vcpus; i++) {
		srv->to_vcpu[i] = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
		if (srv->to_vcpu[i] < 0)
			goto fail;
		srv->page->vcpu_ioreq[i].vp_eport = i;
	}
	fds[n++] = srv->page_fd;
	fds[n++] = srv->to_dm;
	n += sim_ioreq_vcpu_fds(srv, d->vcpus, 0, fds + n, max_fds - n);
	d->ioreq = srv;
	return n;
fail:
	sim_ioreq_free(srv, d->vcpus);
	return -ENOMEM;
}

int sim_ioreq_vcpu_fds(const struct sim_ioreq_server *srv, uint32_t vcpus, uint32_t first, int *fds,
		       int max)
{
	int n = 0;

	if (first >= vcpus)
		return -EINVAL;
	for (uint32_t i = first; i < vcpus && n < max; i++)
		fds[n++] = srv->to_vcpu[i];
	return n;
}

/* adds or removes exactly [start, end) of @type in a list of ranges */
static int range_list(struct sim_io_range **list, size_t *nr, uint32_t type, uint64_t start, uint64_t end,
		      bool add)
{
	struct sim_io_range *r;

	if (start >= end || (type != PM_SIM_IO_MMIO && type != PM_SIM_IO_PIO))
		return -EINVAL;
	for (size_t i = 0; i < *nr; i++) {
		if ((*list)[i].type != type || (*list)[i].start != start || (*list)[i].end != end)
			continue;
		if (add)
			return -EEXIST;
		(*list)[i] = (*list)[--*nr];
		return 0;
	}
	if (!add)
		return -ENOENT;
	r = pm_t_realloc(*list, (*nr + 1) * sizeof(*r));
	if (!r)
		return -ENOMEM;
	*list = r;
	r[(*nr)++] = (struct sim_io_range){ type, start, end };
	return 0;
}

int sim_ioreq_map(struct sim_ioreq_server *srv, uint32_t type, uint64_t start, uint64_t end, bool add)
{
	return range_list(&srv->ranges, &srv->nr_ranges, type, start, end, add);
}

int sim_ioreq_coalesce(struct sim_ioreq_server *srv, uint32_t type, uint64_t start, uint64_t end, bool add)
{
	return range_list(&srv->co, &srv->nr_co, type, start, end, add);
}

int sim_ioreq_notifier(struct sim_ioreq_server *srv, const struct pm_sim_notifier *n, int *fd)
{
	struct sim_notifier *w;

	if ((n->type != PM_SIM_IO_MMIO && n->type != PM_SIM_IO_PIO) ||
	    (n->size != 0 && n->size != 1 && n->size != 2 && n->size != 4 && n->size != 8))
		return -EINVAL;
	for (size_t i = 0; i < srv->nr_wn; i++) {
		w = &srv->wn[i];
		if (w->type != n->type || w->addr != n->addr || w->size != n->size || w->match != !!n->match ||
		    (n->match && w->data != n->data))
			continue;
		if (n->add)
			return -EEXIST;
		close(w->fd);
		*w = srv->wn[--srv->nr_wn];
		return 0;
	}
	if (!n->add)
		return -ENOENT;
	w = pm_t_realloc(srv->wn, (srv->nr_wn + 1) * sizeof(*w));
	if (!w)
		return -ENOMEM;
	srv->wn = w;
	w = &w[srv->nr_wn];
	*w = (struct sim_notifier){ n->type, n->size, n->addr, n->match ? n->data : 0, n->match != 0, -1 };
	w->fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (w->fd < 0)
		return -errno;
	srv->nr_wn++;
	*fd = w->fd;
	return 0;
}

/* frees the retired copies every vCPU has stopped mapping */
static void reclaim(struct sim_domain *d)
{
	struct sim_ioreq_server *srv = d->ioreq;

	for (size_t i = srv->nr_retired; i-- > 0;) {
		struct sim_exec *x = &srv->retired[i];
		bool used = false;

		for (uint32_t j = 0; j < d->vcpus; j++)
			used |= d->vcpu[j].started && d->vcpu[j].mapped_gen < x->gone_gen;
		if (used)
			continue;
		munmap(x->host, x->end - x->start);
		*x = srv->retired[--srv->nr_retired];
	}
}

int sim_ioreq_exec_map(struct sim_domain *d, const struct pm_sim_exec *x, int fd)
{
	struct sim_ioreq_server *srv = d->ioreq;
	struct sim_exec *e;
	void *host;

	if (x->size == 0 || x->size % 4096 || x->start % 4096 || x->offset % 4096 ||
	    x->start + x->size < x->start)
		return -EINVAL;
	reclaim(d);
	for (size_t i = 0; i < srv->nr_exec; i++) {
		e = &srv->exec[i];
		if (x->add) {
			if (x->start < e->end && e->start < x->start + x->size)
				return -EINVAL;
			continue;
		}
		if (e->start != x->start || e->end != x->start + x->size)
			continue;
		if (!(e = pm_t_realloc(srv->retired, (srv->nr_retired + 1) * sizeof(*e))))
			return -ENOMEM;
		srv->retired = e;
		e[srv->nr_retired] = srv->exec[i];
		e[srv->nr_retired++].gone_gen = d->p2m_gen + 1;   /* the caller's remap bumps it */
		srv->exec[i] = srv->exec[--srv->nr_exec];
		return 0;
	}
	if (!x->add)
		return -ENOENT;
	if (fd < 0)
		return -EBADF;
	e = pm_t_realloc(srv->exec, (srv->nr_exec + 1) * sizeof(*e));
	if (!e)
		return -ENOMEM;
	srv->exec = e;
	host = mmap(NULL, x->size, PROT_READ, MAP_SHARED, fd, (off_t)x->offset);
	if (host == MAP_FAILED)
		return -errno;
	e[srv->nr_exec++] = (struct sim_exec){ x->start, x->start + x->size, host, 0 };
	return 0;
}

static bool in_ranges(const struct sim_io_range *r, size_t n, uint32_t type, uint64_t addr)
{
	for (size_t i = 0; i < n; i++)
		if (r[i].type == type && addr >= r[i].start && addr < r[i].end)
			return true;
	return false;
}

static const struct sim_notifier *notifier(const struct sim_ioreq_server *srv, uint32_t type, uint64_t addr,
					   unsigned int size, uint64_t data)
{
	for (size_t i = 0; i < srv->nr_wn; i++) {
		const struct sim_notifier *w = &srv->wn[i];

		if (w->type == type && w->addr == addr && (!w->size || w->size == size) &&
		    (!w->match || w->data == data))
			return w;
	}
	return NULL;
}

/*
 * a coalesced write into the ring (s->lock held: one producer at a time);
 * false when it is full. Seq-cst on both pointers: either the device model
 * sees the new slot before it sleeps, or we see it had drained everything
 * and ring.
 */
static bool buffer(struct sim_ioreq_server *srv, uint32_t type, uint64_t addr, unsigned int size, uint64_t data)
{
	struct pm_sim_buf_iopage *b = srv->buf;
	uint32_t w = b->write_pointer, r = __atomic_load_n(&b->read_pointer, __ATOMIC_SEQ_CST);
	struct pm_sim_buf_ioreq *slot;

	if (w - r >= PM_SIM_BUF_SLOTS)
		return false;
	slot = &b->slot[w % PM_SIM_BUF_SLOTS];
	slot->addr = addr;
	slot->data = data;
	slot->size = (uint8_t)size;
	slot->type = type == PM_SIM_IO_PIO ? IOREQ_TYPE_PIO : IOREQ_TYPE_COPY;
	__atomic_store_n(&b->write_pointer, w + 1, __ATOMIC_SEQ_CST);
	if (__atomic_load_n(&b->read_pointer, __ATOMIC_SEQ_CST) == w)
		ring(srv->to_dm);
	return true;
}

/*
 * one request through @v's slot and its answer. While it waits the vCPU
 * counts as parked (a pause need not wait for the device model, which may
 * be asking the simulator something); answered during a pause, it parks
 * before it returns to the guest.
 */
static uint64_t roundtrip(struct sim_vcpu *v, struct sim_ioreq_server *srv, uint8_t type, uint64_t addr,
			  unsigned int size, bool write, uint64_t data, bool *answered)
{
	struct sim_domain *d = v->d;
	volatile ioreq_t *req = &srv->page->vcpu_ioreq[v->id];
	int spins = 0;

	req->addr = addr;
	req->data = write ? data : 0;
	req->count = 1;
	req->size = size;
	req->data_is_ptr = 0;
	req->dir = write ? IOREQ_WRITE : IOREQ_READ;
	req->df = 0;
	req->type = type;
	__atomic_store_n(&v->in_ioreq, true, __ATOMIC_SEQ_CST);
	__atomic_thread_fence(__ATOMIC_RELEASE);
	req->state = STATE_IOREQ_READY;
	ring(srv->to_dm);
	*answered = false;
	for (;;) {
		struct pollfd p = { .fd = srv->to_vcpu[v->id], .events = POLLIN };
		uint64_t n;

		if (req->state == STATE_IORESP_READY)
			break;
		if (__atomic_load_n(&srv->dead, __ATOMIC_RELAXED) ||
		    __atomic_load_n(&d->run, __ATOMIC_RELAXED) == SIM_RUN_STOP) {
			__atomic_store_n(&v->in_ioreq, false, __ATOMIC_SEQ_CST);
			return ~0ull;
		}
		if (++spins < SPINS)
			continue;
		if (poll(&p, 1, 50) > 0 && read(p.fd, &n, sizeof(n)) < 0)
			continue;
	}
	__atomic_thread_fence(__ATOMIC_ACQUIRE);
	data = req->data;
	req->state = STATE_IOREQ_NONE;
	*answered = true;
	pthread_mutex_lock(&v->s->lock);
	__atomic_store_n(&v->in_ioreq, false, __ATOMIC_SEQ_CST);
	while (d->run == SIM_RUN_PAUSE) {
		v->parked = v->mid_insn = true;   /* its registers are not an instruction's end */
		pthread_cond_broadcast(&d->wake);
		pthread_cond_wait(&d->wake, &v->s->lock);
	}
	v->parked = v->mid_insn = false;
	pthread_mutex_unlock(&v->s->lock);
	return data;
}

bool sim_ioreq_access(struct sim_vcpu *v, uint32_t type, uint64_t addr, unsigned int size, bool write,
		      uint64_t *data)
{
	struct sim_domain *d = v->d;
	struct sim_ioreq_server *srv;
	const struct sim_notifier *w;
	bool answered;
	uint64_t r;

	pthread_mutex_lock(&v->s->lock);
	srv = d->ioreq && !d->ioreq->dead ? d->ioreq : NULL;
	if (srv && write && (w = notifier(srv, type, addr, size, *data))) {
		ring(w->fd);
		srv->notified++;
		pthread_mutex_unlock(&v->s->lock);
		return true;
	}
	if (srv && write && in_ranges(srv->co, srv->nr_co, type, addr) && buffer(srv, type, addr, size, *data)) {
		srv->buffered++;
		pthread_mutex_unlock(&v->s->lock);
		return true;
	}
	if (srv && !in_ranges(srv->ranges, srv->nr_ranges, type, addr))
		srv = NULL;
	if (srv)
		srv->ioreqs++;
	pthread_mutex_unlock(&v->s->lock);
	if (!srv)
		return false;
	/* the server lives until the domain's vCPUs have stopped */
	r = roundtrip(v, srv, type == PM_SIM_IO_PIO ? IOREQ_TYPE_PIO : IOREQ_TYPE_COPY, addr, size, write,
		      write ? *data : 0, &answered);
	if (!write)
		*data = r;
	return true;
}

int sim_ioreq_exec(struct sim_vcpu *v, uint64_t addr)
{
	struct sim_domain *d = v->d;
	struct sim_ioreq_server *srv;
	bool answered;
	uint64_t r;

	pthread_mutex_lock(&v->s->lock);
	srv = d->ioreq && !d->ioreq->dead && in_ranges(d->ioreq->ranges, d->ioreq->nr_ranges, PM_SIM_IO_MMIO, addr)
		      ? d->ioreq : NULL;
	if (srv)
		srv->execs++;
	pthread_mutex_unlock(&v->s->lock);
	if (!srv)
		return -ENXIO;
	r = roundtrip(v, srv, PM_SIM_IOREQ_EXEC, addr, 4, false, 0, &answered);
	if (!answered)
		return -EPIPE;
	return (int)(int64_t)r;
}

void sim_ioreq_gone(struct sim_ioreq_server *srv, uint32_t vcpus)
{
	__atomic_store_n(&srv->dead, true, __ATOMIC_RELAXED);
	for (uint32_t i = 0; i < vcpus; i++)
		ring(srv->to_vcpu[i]);
}
