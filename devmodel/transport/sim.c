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

/* a write notifier the simulator rings for us */
struct notifier {
	struct pm_as *as;
	uint64_t addr, data;
	unsigned size;
	bool match;
	int fd;
};

struct conn {
	int sock;
	uint32_t seq, domid;
	struct pm_dm *dm;
	struct pm_mem_listener mem_l, io_l;
	int failed;              /* a claim the simulator refused: -errno */
	struct notifier *wn;
	size_t nr_wn;
};

/* sends a request's header with @fd attached (SCM_RIGHTS) */
static int send_fd(int sock, const struct pm_sim_hdr *h, int fd)
{
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} ctl;
	struct iovec iov = { (void *)h, sizeof(*h) };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl.buf,
			      .msg_controllen = sizeof(ctl.buf) };
	struct cmsghdr *cm = CMSG_FIRSTHDR(&msg);

	memset(ctl.buf, 0, sizeof(ctl.buf));
	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(cm), &fd, sizeof(int));
	return sendmsg(sock, &msg, MSG_NOSIGNAL) == (ssize_t)sizeof(*h) ? 0 : -EPIPE;
}

/* one request (with @in_fd attached unless -1); its reply's payload into rep, fds (if any) into fds */
static int call_fd(struct conn *c, uint32_t op, const void *req, uint32_t len, int in_fd, void *rep,
		   uint32_t rep_len, int *fds, int *nr_fds)
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

	if ((in_fd >= 0 ? send_fd(c->sock, &h, in_fd)
			: -(write(c->sock, &h, sizeof(h)) != (ssize_t)sizeof(h))) ||
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

static int call(struct conn *c, uint32_t op, const void *req, uint32_t len, void *rep, uint32_t rep_len,
		int *fds, int *nr_fds)
{
	return call_fd(c, op, req, len, -1, rep, rep_len, fds, nr_fds);
}

/*
 * claims or releases what a listener heard of: device ranges, and the
 * executable copies mmio-exec put in (RAM shared through its memfd)
 */
static void claim(struct conn *c, uint32_t type, const struct pm_flat_range *r, bool add)
{
	struct pm_sim_io_range io = { c->domid, type, add, 0, r->start, r->start + r->size };
	int fd = type == PM_SIM_IO_MMIO ? pm_mr_ram_fd(r->mr) : -ENOENT;
	int rc;

	if (r->size == 0 || r->start + r->size < r->start)
		return;
	if (fd >= 0) {
		struct pm_sim_exec x = { c->domid, add, r->start, r->size, r->offset };

		rc = call_fd(c, PM_SIM_EXEC_MAP, &x, sizeof(x), add ? fd : -1, NULL, 0, NULL, NULL);
	} else {
		rc = call(c, PM_SIM_MAP_IO_RANGE, &io, sizeof(io), NULL, 0, NULL, NULL);
	}
	if (rc && add && !c->failed)
		c->failed = rc;
}

static void coalesce(struct pm_mem_listener *l, uint32_t type, uint64_t start, uint64_t size, bool add)
{
	struct conn *c = l->opaque;
	struct pm_sim_io_range io = { c->domid, type, add, 0, start, start + size };
	int rc;

	if (size == 0 || start + size < start)
		return;
	rc = call(c, PM_SIM_COALESCE, &io, sizeof(io), NULL, 0, NULL, NULL);
	if (rc && add && !c->failed)
		c->failed = rc;
}

static void co_add(struct pm_mem_listener *l, struct pm_as *as, uint64_t start, uint64_t size)
{
	coalesce(l, as == ((struct conn *)l->opaque)->dm->as_io ? PM_SIM_IO_PIO : PM_SIM_IO_MMIO, start, size,
		 true);
}

static void co_del(struct pm_mem_listener *l, struct pm_as *as, uint64_t start, uint64_t size)
{
	coalesce(l, as == ((struct conn *)l->opaque)->dm->as_io ? PM_SIM_IO_PIO : PM_SIM_IO_MMIO, start, size,
		 false);
}

static void wn_change(struct pm_mem_listener *l, struct pm_as *as, uint64_t addr, unsigned size,
		      bool match, uint64_t data, bool add)
{
	struct conn *c = l->opaque;
	struct pm_sim_notifier n = { c->domid, as == c->dm->as_io ? PM_SIM_IO_PIO : PM_SIM_IO_MMIO, add, size,
				     match, 0, addr, match ? data : 0 };
	int fd = -1, nr = 0, rc;
	struct notifier *w;

	rc = call(c, PM_SIM_NOTIFIER, &n, sizeof(n), NULL, 0, add ? &fd : NULL, add ? &nr : NULL);
	if (!add) {
		for (size_t i = 0; i < c->nr_wn; i++) {
			w = &c->wn[i];
			if (w->as == as && w->addr == addr && w->size == size && w->match == match &&
			    (!match || w->data == data)) {
				close(w->fd);
				*w = c->wn[--c->nr_wn];
				break;
			}
		}
		return;
	}
	if (!rc && nr != 1)
		rc = -EPROTO;
	if (!rc && !(w = realloc(c->wn, (c->nr_wn + 1) * sizeof(*w))))
		rc = -ENOMEM;
	if (rc) {
		if (nr == 1)
			close(fd);
		if (!c->failed)
			c->failed = rc;
		return;
	}
	c->wn = w;
	c->wn[c->nr_wn++] = (struct notifier){ as, addr, match ? data : 0, size, match, fd };
}

static void wn_add(struct pm_mem_listener *l, struct pm_as *as, uint64_t addr, unsigned size, bool match,
		   uint64_t data)
{
	wn_change(l, as, addr, size, match, data, true);
}

static void wn_del(struct pm_mem_listener *l, struct pm_as *as, uint64_t addr, unsigned size, bool match,
		   uint64_t data)
{
	wn_change(l, as, addr, size, match, data, false);
}

/*
 * the notifiers the simulator rang: each fires once however many rings
 * it counted (an ioeventfd's semantics), through the notifier's own
 * dispatch path; returns whether any fired
 */
static bool fire_notifiers(struct conn *c)
{
	bool any = false;

	for (size_t i = 0; i < c->nr_wn; i++) {
		const struct notifier *w = &c->wn[i];
		uint64_t n;

		if (read(w->fd, &n, sizeof(n)) != (ssize_t)sizeof(n) || !n)
			continue;
		pm_as_write(w->as, w->addr, w->data, w->size ? w->size : 4);
		any = true;
	}
	return any;
}

/* performs the coalesced writes the simulator buffered, in order */
static bool drain_buffered(struct pm_dm *dm, struct pm_sim_buf_iopage *b)
{
	uint32_t r = b->read_pointer;
	bool any = false;

	while (r != __atomic_load_n(&b->write_pointer, __ATOMIC_SEQ_CST)) {
		const struct pm_sim_buf_ioreq *q = &b->slot[r % PM_SIM_BUF_SLOTS];

		if (q->size == 1 || q->size == 2 || q->size == 4 || q->size == 8)
			pm_as_write(q->type == IOREQ_TYPE_PIO ? dm->as_io : dm->as_mem, q->addr, q->data, q->size);
		__atomic_store_n(&b->read_pointer, ++r, __ATOMIC_SEQ_CST);
		any = true;
	}
	if (any)
		pm_mem_flush_coalesced(dm->mem);
	return any;
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

/*
 * one ioreq slot: served if it is ready; returns whether it was. What the
 * simulator buffered and the notifiers it rang come first: a synchronous
 * access never overtakes them.
 */
static bool serve_slot(struct conn *c, struct pm_sim_buf_iopage *b, volatile ioreq_t *req, int to_vcpu)
{
	struct pm_dm *dm = c->dm;
	uint64_t one = 1, v;

	if (req->state != STATE_IOREQ_READY)
		return false;
	__atomic_thread_fence(__ATOMIC_ACQUIRE);
	req->state = STATE_IOREQ_INPROCESS;
	drain_buffered(dm, b);
	if (c->nr_wn)
		fire_notifiers(c);
	v = req->data;
	if (req->type == PM_SIM_IOREQ_EXEC) {
		struct pm_section sec;

		req->data = (uint64_t)(int64_t)pm_as_request_exec(dm->as_mem, req->addr, &sec);
	} else if (req->size == 1 || req->size == 2 || req->size == 4 || req->size == 8) {
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
	struct pm_sim_buf_iopage *buf = NULL;
	struct pollfd *p = NULL;
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
	if (info.buf_offset < info.vcpus * sizeof(ioreq_t) || info.buf_offset % 4096 ||
	    info.buf_slots != PM_SIM_BUF_SLOTS) {
		rc = -EPROTO;
		snprintf(err, errlen, "domain %u: an ioreq server: its buffered ring: %s", domid, strerror(-rc));
		goto out;
	}
	page_size = info.buf_offset + sizeof(struct pm_sim_buf_iopage);
	page = mmap(NULL, page_size, PROT_READ | PROT_WRITE, MAP_SHARED, fds[0], 0);
	if (page == MAP_FAILED) {
		rc = -errno;
		snprintf(err, errlen, "mapping the ioreq page: %s", strerror(-rc));
		goto out;
	}
	buf = (struct pm_sim_buf_iopage *)((char *)page + info.buf_offset);
	pm_mem_share_ram(dm->mem, true);   /* mmio-exec copies go to the simulator by memfd */
	c.mem_l = (struct pm_mem_listener){ .region_add = mem_add, .region_del = mem_del,
					    .coalesced_add = co_add, .coalesced_del = co_del,
					    .notifier_add = wn_add, .notifier_del = wn_del, .opaque = &c };
	c.io_l = (struct pm_mem_listener){ .region_add = io_add, .region_del = io_del,
					   .coalesced_add = co_add, .coalesced_del = co_del,
					   .notifier_add = wn_add, .notifier_del = wn_del, .opaque = &c };
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
		size_t np = 4 + c.nr_wn;
		struct pollfd *np_p = realloc(p, np * sizeof(*p));
		uint64_t n;
		int idle = 0;

		/* serve while there is work, spinning a little before sleeping */
		while (idle < SPINS) {
			bool any = drain_buffered(dm, buf);

			for (uint32_t i = 0; i < info.vcpus; i++)
				any |= serve_slot(&c, buf, &page->vcpu_ioreq[i], fds[2 + i]);
			idle = any ? 0 : idle + 1;
			if (any && in.len)
				input_poll(dm, &in, NULL, NULL);   /* the guest read: room in its FIFO */
		}
		if (!np_p) {
			rc = -ENOMEM;
			break;
		}
		p = np_p;
		p[0] = (struct pollfd){ .fd = fds[1], .events = POLLIN };
		p[1] = (struct pollfd){ .fd = c.sock, .events = POLLIN };
		p[2] = (struct pollfd){ .fd = in.listen, .events = POLLIN };
		p[3] = (struct pollfd){ .fd = in.conn, .events = POLLIN };
		for (size_t i = 0; i < c.nr_wn; i++)
			p[4 + i] = (struct pollfd){ .fd = c.wn[i].fd, .events = POLLIN };
		/* input waiting for room: look again soon, the guest polls its UART */
		if (poll(p, (nfds_t)np, in.len ? 10 : -1) < 0 && errno != EINTR) {
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
		if (c.nr_wn)
			fire_notifiers(&c);
		input_poll(dm, &in, &p[2], &p[3]);
	}
out:
	if (listening) {
		/* no more claims: the connection is gone or going */
		c.mem_l.region_del = c.io_l.region_del = NULL;
		c.mem_l.coalesced_del = c.io_l.coalesced_del = NULL;
		c.mem_l.notifier_del = c.io_l.notifier_del = NULL;
		pm_mem_listener_unregister(dm->mem, &c.mem_l);
		pm_mem_listener_unregister(dm->mem, &c.io_l);
	}
	if (page != MAP_FAILED)
		munmap(page, page_size);
	for (size_t i = 0; i < c.nr_wn; i++)
		close(c.wn[i].fd);
	free(c.wn);
	free(p);
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
