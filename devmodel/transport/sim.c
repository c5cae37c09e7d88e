/*
 * devmodel/transport/sim.c - physmap-dm as an ioreq server of physmap-sim
 * (see sim.h)
 */
#include <errno.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <stdint.h>

#include <xen/hvm/ioreq.h>

#include "sim-proto.h"
#include "sim.h"
#include "unixsock.h"

#define MAX_FDS 130
#define SPINS 20000

struct conn {
	int sock;
	uint32_t seq, domid;
	struct pm_dm *dm;
	struct pm_mem_listener mem_l, io_l;
	int failed;              /* a claim the simulator refused: -errno */
};

/* one request; its reply's payload into rep, fds (if any) into fds */
static int call(struct conn *c, uint32_t op, const void *req, uint32_t len, void *rep, uint32_t rep_len,
		int *fds, int *nr_fds)
{
	struct pm_sim_hdr h = { op, len, ++c->seq, 0 };
	union {
		char buf[CMSG_SPACE(sizeof(int) * MAX_FDS)];
		struct cmsghdr align;
	} ctl;
	struct iovec iov = { &h, sizeof(h) };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl.buf,
			      .msg_controllen = sizeof(ctl.buf) };
	struct cmsghdr *cm;
	ssize_t r;

	if (write(c->sock, &h, sizeof(h)) != (ssize_t)sizeof(h) ||
	    (len && write(c->sock, req, len) != (ssize_t)len))
		return -EPIPE;
	r = recvmsg(c->sock, &msg, MSG_CMSG_CLOEXEC | MSG_WAITALL);
	if (r != (ssize_t)sizeof(h))
		return -EPIPE;
	if (nr_fds)
		*nr_fds = 0;
	for (cm = CMSG_FIRSTHDR(&msg); cm; cm = CMSG_NXTHDR(&msg, cm)) {
		int n = (int)((cm->cmsg_len - CMSG_LEN(0)) / sizeof(int)), got[MAX_FDS];

		if (cm->cmsg_level != SOL_SOCKET || cm->cmsg_type != SCM_RIGHTS)
			continue;
		memcpy(got, CMSG_DATA(cm), sizeof(int) * (size_t)n);
		for (int i = 0; i < n; i++) {
			if (fds && nr_fds && *nr_fds < MAX_FDS)
				fds[(*nr_fds)++] = got[i];
			else
				close(got[i]);
		}
	}
	if (h.len && (h.len > rep_len || read(c->sock, rep, h.len) != (ssize_t)h.len))
		return -EPROTO;
	return h.status;
}

/* claims or releases what a listener heard of */
static void claim(struct conn *c, uint32_t type, const struct pm_flat_range *r, bool add)
{
	struct pm_sim_io_range io = { c->domid, type, add, 0, r->start, r->start + r->size };
	int rc;

	if (r->size == 0 || r->start + r->size < r->start)
		return;
	rc = call(c, PM_SIM_MAP_IO_RANGE, &io, sizeof(io), NULL, 0, NULL, NULL);
	if (rc && add && !c->failed)
		c->failed = rc;
}

static void mem_add(struct pm_mem_listener *l, struct pm_as *as, const struct pm_flat_range *r)
{
	claim(l->opaque, PM_SIM_IO_MMIO, r, true);
}

static void mem_del(struct pm_mem_listener *l, struct pm_as *as, const struct pm_flat_range *r)
{
	claim(l->opaque, PM_SIM_IO_MMIO, r, false);
}

static void io_add(struct pm_mem_listener *l, struct pm_as *as, const struct pm_flat_range *r)
{
	claim(l->opaque, PM_SIM_IO_PIO, r, true);
}

static void io_del(struct pm_mem_listener *l, struct pm_as *as, const struct pm_flat_range *r)
{
	claim(l->opaque, PM_SIM_IO_PIO, r, false);
}

/* one ioreq slot: served if it is ready; returns whether it was */
static bool serve_slot(struct pm_dm *dm, volatile ioreq_t *req, int to_vcpu)
{
	uint64_t one = 1, v;

	if (req->state != STATE_IOREQ_READY)
		return false;
	__atomic_thread_fence(__ATOMIC_ACQUIRE);
	req->state = STATE_IOREQ_INPROCESS;
	v = req->data;
	if (req->size == 1 || req->size == 2 || req->size == 4 || req->size == 8) {
		struct pm_as *as = req->type == IOREQ_TYPE_PIO ? dm->as_io : dm->as_mem;

		if (req->dir == IOREQ_READ) {
			if (pm_as_read(as, req->addr, &v, req->size))
				v = ~0ull;
			req->data = v;
		} else {
			pm_as_write(as, req->addr, v, req->size);
		}
	} else if (req->dir == IOREQ_READ) {
		req->data = ~0ull;
	}
	__atomic_thread_fence(__ATOMIC_RELEASE);
	req->state = STATE_IORESP_READY;
	if (write(to_vcpu, &one, sizeof(one)) < 0)
		return true;   /* its counter is full: it is awake */
	return true;
}

static int connect_sim(const char *rundir, int *out)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int s;

	if ((size_t)snprintf(sa.sun_path, sizeof(sa.sun_path), "%s/sim.sock", rundir) >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (s < 0)
		return -errno;
	if (connect(s, (struct sockaddr *)&sa, sizeof(sa))) {
		int rc = -errno;

		close(s);
		return rc;
	}
	*out = s;
	return 0;
}

/* console input: what the newest connection typed, fed to the UART as it makes room */
struct input {
	int listen, conn;
	uint8_t buf[4096];
	size_t len;
};

static void input_poll(struct pm_dm *dm, struct input *in, const struct pollfd *lp, const struct pollfd *cp)
{
	size_t took;

	if (lp && lp->revents) {
		int fd = accept4(in->listen, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);

		if (fd >= 0) {
			if (in->conn >= 0)
				close(in->conn);
			in->conn = fd;
		}
	}
	if (cp && cp->revents && in->conn >= 0 && in->len < sizeof(in->buf)) {
		ssize_t r = read(in->conn, in->buf + in->len, sizeof(in->buf) - in->len);

		if (r > 0) {
			in->len += (size_t)r;
		} else if (r == 0 || errno != EAGAIN) {
			close(in->conn);
			in->conn = -1;
		}
	}
	took = in->len ? pm_console_input(&dm->console, in->buf, in->len) : 0;
	memmove(in->buf, in->buf + took, in->len - took);
	in->len -= took;
}

int pm_sim_serve(struct pm_dm *dm, const char *rundir, uint32_t domid, int ready_fd, const char *input,
		 char *err, size_t errlen)
{
	struct input in = { .listen = -1, .conn = -1 };
	struct conn c = { .sock = -1, .domid = domid, .dm = dm };
	struct pm_sim_hello hello;
	struct pm_sim_domid d = { domid, 0 };
	struct pm_sim_ioreq_info info;
	int fds[MAX_FDS], nr = 0, rc;
	shared_iopage_t *page = MAP_FAILED;
	size_t page_size = 0;
	bool listening = false;

	rc = connect_sim(rundir, &c.sock);
	if (rc) {
		snprintf(err, errlen, "%s/sim.sock: %s", rundir, strerror(-rc));
		return rc;
	}
	rc = call(&c, PM_SIM_HELLO, NULL, 0, &hello, sizeof(hello), NULL, NULL);
	if (!rc)
		rc = call(&c, PM_SIM_IOREQ_SERVER, &d, sizeof(d), &info, sizeof(info), fds, &nr);
	if (!rc && (nr < 3 || (uint32_t)nr != info.vcpus + 2))
		rc = -EPROTO;
	if (rc) {
		snprintf(err, errlen, "domain %u: an ioreq server: %s", domid, strerror(-rc));
		goto out;
	}
	page_size = (info.vcpus * sizeof(ioreq_t) + 4095) & ~4095ul;
	page = mmap(NULL, page_size, PROT_READ | PROT_WRITE, MAP_SHARED, fds[0], 0);
	if (page == MAP_FAILED) {
		rc = -errno;
		snprintf(err, errlen, "mapping the ioreq page: %s", strerror(-rc));
		goto out;
	}
	c.mem_l = (struct pm_mem_listener){ .region_add = mem_add, .region_del = mem_del, .opaque = &c };
	c.io_l = (struct pm_mem_listener){ .region_add = io_add, .region_del = io_del, .opaque = &c };
	if (pm_mem_listener_register(dm->mem, &c.mem_l, dm->as_mem) ||
	    pm_mem_listener_register(dm->mem, &c.io_l, dm->as_io)) {
		rc = -ENOMEM;
		snprintf(err, errlen, "listening to the memory map: %s", strerror(-rc));
		goto out;
	}
	listening = true;
	if (c.failed) {
		rc = c.failed;
		snprintf(err, errlen, "claiming the devices' ranges: %s", strerror(-rc));
		goto out;
	}
	if (input) {
		in.listen = pm_listen_unix(input, 1);
		if (in.listen < 0) {
			rc = in.listen;
			snprintf(err, errlen, "console input %s: %s", input, strerror(-rc));
			goto out;
		}
	}
	if (ready_fd >= 0) {
		if (write(ready_fd, "ready\n", 6) != 6)
			rc = -EPIPE;
		close(ready_fd);
		ready_fd = -1;
	}
	for (;;) {
		struct pollfd p[4] = { { .fd = fds[1], .events = POLLIN }, { .fd = c.sock, .events = POLLIN },
				       { .fd = in.listen, .events = POLLIN }, { .fd = in.conn, .events = POLLIN } };
		uint64_t n;
		int idle = 0;

		/* serve while there is work, spinning a little before sleeping */
		while (idle < SPINS) {
			bool any = false;

			for (uint32_t i = 0; i < info.vcpus; i++)
				any |= serve_slot(dm, &page->vcpu_ioreq[i], fds[2 + i]);
			idle = any ? 0 : idle + 1;
			if (any && in.len)
				input_poll(dm, &in, NULL, NULL);   /* the guest read: room in its FIFO */
		}
		/* input waiting for room: look again soon, the guest polls its UART */
		if (poll(p, 4, in.len ? 10 : -1) < 0 && errno != EINTR) {
			rc = -errno;
			break;
		}
		if (p[1].revents) {
			rc = 0;   /* the simulator let go: the domain is gone */
			break;
		}
		if (p[0].revents && read(fds[1], &n, sizeof(n)) < 0 && errno != EAGAIN) {
			rc = -errno;
			break;
		}
		input_poll(dm, &in, &p[2], &p[3]);
	}
out:
	if (listening) {
		/* no more claims: the connection is gone or going */
		c.mem_l.region_del = c.io_l.region_del = NULL;
		pm_mem_listener_unregister(dm->mem, &c.mem_l);
		pm_mem_listener_unregister(dm->mem, &c.io_l);
	}
	if (page != MAP_FAILED)
		munmap(page, page_size);
	for (int i = 0; i < nr; i++)
		close(fds[i]);
	if (ready_fd >= 0)
		close(ready_fd);
	if (in.conn >= 0)
		close(in.conn);
	if (in.listen >= 0) {
		close(in.listen);
		unlink(input);
	}
	close(c.sock);
	return rc;
}
