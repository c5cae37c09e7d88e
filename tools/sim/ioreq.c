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

#include "ioreq.h"
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
		munmap(srv->page, srv->page_size);
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
	if ((int)d->vcpus + 2 > max_fds)
		return -E2BIG;
	srv = calloc(1, sizeof(*srv));
	if (!srv)
		return -ENOMEM;
	srv->owner = owner;
	srv->to_dm = -1;
	srv->page_size = (d->vcpus * sizeof(ioreq_t) + 4095) & ~4095ul;
	srv->page_fd = memfd_create("physmap-ioreq", MFD_CLOEXEC);
	srv->to_vcpu = calloc(d->vcpus, sizeof(int));
	if (srv->page_fd < 0 || !srv->to_vcpu || ftruncate(srv->page_fd, (off_t)srv->page_size))
		goto fail;
	for (uint32_t i = 0; i < d->vcpus; i++)
		srv->to_vcpu[i] = -1;
	srv->page = mmap(NULL, srv->page_size, PROT_READ | PROT_WRITE, MAP_SHARED, srv->page_fd, 0);
	if (srv->page == MAP_FAILED) {
		srv->page = NULL;
		goto fail;
	}
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
	for (uint32_t i = 0; i < d->vcpus; i++)
		fds[n++] = srv->to_vcpu[i];
	d->ioreq = srv;
	return n;
fail:
	sim_ioreq_free(srv, d->vcpus);
	return -ENOMEM;
}

int sim_ioreq_map(struct sim_ioreq_server *srv, uint32_t type, uint64_t start, uint64_t end, bool add)
{
	struct sim_io_range *r;

	if (start >= end || (type != PM_SIM_IO_MMIO && type != PM_SIM_IO_PIO))
		return -EINVAL;
	for (size_t i = 0; i < srv->nr_ranges; i++) {
		if (srv->ranges[i].type != type || srv->ranges[i].start != start || srv->ranges[i].end != end)
			continue;
		if (add)
			return -EEXIST;
		srv->ranges[i] = srv->ranges[--srv->nr_ranges];
		return 0;
	}
	if (!add)
		return -ENOENT;
	r = realloc(srv->ranges, (srv->nr_ranges + 1) * sizeof(*r));
	if (!r)
		return -ENOMEM;
	srv->ranges = r;
	r[srv->nr_ranges++] = (struct sim_io_range){ type, start, end };
	return 0;
}

static bool claimed(const struct sim_ioreq_server *srv, uint32_t type, uint64_t addr)
{
	for (size_t i = 0; i < srv->nr_ranges; i++)
		if (srv->ranges[i].type == type && addr >= srv->ranges[i].start && addr < srv->ranges[i].end)
			return true;
	return false;
}

bool sim_ioreq_access(struct sim_vcpu *v, uint32_t type, uint64_t addr, unsigned int size, bool write,
		      uint64_t *data)
{
	struct sim_domain *d = v->d;
	struct sim_ioreq_server *srv;
	volatile ioreq_t *req;
	int spins = 0;

	pthread_mutex_lock(&v->s->lock);
	srv = d->ioreq && !d->ioreq->dead && claimed(d->ioreq, type, addr) ? d->ioreq : NULL;
	pthread_mutex_unlock(&v->s->lock);
	if (!srv)
		return false;
	/* the server lives until the domain's vCPUs have stopped */
	req = &srv->page->vcpu_ioreq[v->id];
	req->addr = addr;
	req->data = write ? *data : 0;
	req->count = 1;
	req->size = size;
	req->data_is_ptr = 0;
	req->dir = write ? IOREQ_WRITE : IOREQ_READ;
	req->df = 0;
	req->type = type == PM_SIM_IO_PIO ? IOREQ_TYPE_PIO : IOREQ_TYPE_COPY;
	__atomic_thread_fence(__ATOMIC_RELEASE);
	req->state = STATE_IOREQ_READY;
	ring(srv->to_dm);
	for (;;) {
		struct pollfd p = { .fd = srv->to_vcpu[v->id], .events = POLLIN };
		uint64_t n;

		if (req->state == STATE_IORESP_READY)
			break;
		if (__atomic_load_n(&srv->dead, __ATOMIC_RELAXED) ||
		    __atomic_load_n(&d->run, __ATOMIC_RELAXED) == SIM_RUN_STOP) {
			*data = write ? *data : ~0ull;
			return true;
		}
		if (++spins < SPINS)
			continue;
		if (poll(&p, 1, 50) > 0 && read(p.fd, &n, sizeof(n)) < 0)
			continue;
	}
	__atomic_thread_fence(__ATOMIC_ACQUIRE);
	if (!write)
		*data = req->data;
	req->state = STATE_IOREQ_NONE;
	return true;
}

void sim_ioreq_gone(struct sim_ioreq_server *srv, uint32_t vcpus)
{
	__atomic_store_n(&srv->dead, true, __ATOMIC_RELAXED);
	for (uint32_t i = 0; i < vcpus; i++)
		ring(srv->to_vcpu[i]);
}
