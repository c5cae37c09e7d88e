/*
 * devmodel/transport/ioreq.c - physmap-dm as an ioreq server (see ioreq.h)
 */
#include <errno.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <stdint.h>

#include <xen/hvm/ioreq.h>

#include "physmap/hv.h"
#include "ioreq.h"
#include "unixsock.h"
#include "../xen/xenbus.h"

/* the PV devices physmap-dm serves (devmodel/xen/) */
extern const struct pm_xb_ops pm_xen_blkback, pm_xen_netback;
/* on Xen the dom0 kernel's netback serves vifs; disks with backendtype=qdisk are ours */
static const struct pm_xb_ops *const pv_devices_sim[] = { &pm_xen_blkback, &pm_xen_netback };
static const struct pm_xb_ops *const pv_devices_xen[] = { &pm_xen_blkback };

#define SPINS 20000

/* a write notifier the backend rings for us */
struct notifier {
	struct pm_as *as;
	uint64_t addr, data;
	unsigned size;
	bool match;
	int fd;
};

struct conn {
	struct pm_hv_ioreq *srv;
	struct pm_dm *dm;
	struct pm_mem_listener mem_l, io_l;
	int failed;              /* a claim the backend refused: -errno */
	struct notifier *wn;
	size_t nr_wn;
	struct pm_xb *bus;       /* the domain's PV devices: their store directories, rings, channels */
};

/*
 * claims or releases what a listener heard of: device ranges, and the
 * executable copies mmio-exec put in (RAM shared through its memfd)
 */
static void claim(struct conn *c, enum pm_hv_io type, const struct pm_flat_range *r, bool add)
{
	int fd = type == PM_HV_IO_MMIO ? pm_mr_ram_fd(r->mr) : -ENOENT;
	int rc;

	if (r->size == 0 || r->start + r->size < r->start)
		return;
	if (fd >= 0)
		rc = pm_hv_ioreq_exec(c->srv, r->start, r->size, fd, r->offset, add);
	else
		rc = pm_hv_ioreq_map_range(c->srv, type, r->start, r->start + r->size, add);
	if (rc && add && !c->failed)
		c->failed = rc;
}

static enum pm_hv_io io_type(struct conn *c, struct pm_as *as)
{
	return as == c->dm->as_io ? PM_HV_IO_PIO : PM_HV_IO_MMIO;
}

static void coalesce(struct pm_mem_listener *l, struct pm_as *as, uint64_t start, uint64_t size, bool add)
{
	struct conn *c = l->opaque;
	int rc;

	if (size == 0 || start + size < start)
		return;
	rc = pm_hv_ioreq_coalesce(c->srv, io_type(c, as), start, start + size, add);
	if (rc && add && !c->failed)
		c->failed = rc;
}

static void co_add(struct pm_mem_listener *l, struct pm_as *as, uint64_t start, uint64_t size)
{
	coalesce(l, as, start, size, true);
}

static void co_del(struct pm_mem_listener *l, struct pm_as *as, uint64_t start, uint64_t size)
{
	coalesce(l, as, start, size, false);
}

static void wn_change(struct pm_mem_listener *l, struct pm_as *as, uint64_t addr, unsigned size,
		      bool match, uint64_t data, bool add)
{
	struct conn *c = l->opaque;
	struct pm_hv_notifier n = { io_type(c, as), addr, match ? data : 0, size, match };
	struct notifier *w;
	int fd = -1, rc;

	rc = pm_hv_ioreq_notifier(c->srv, &n, add, &fd);
	if (rc == -EOPNOTSUPP)
		return;   /* the backend cannot: the writes come as ioreqs, the core rings the notifier */
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
	if (!rc && !(w = realloc(c->wn, (c->nr_wn + 1) * sizeof(*w))))
		rc = -ENOMEM;
	if (rc) {
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

static void mem_add(struct pm_mem_listener *l, struct pm_as *as, const struct pm_flat_range *r)
{
	claim(l->opaque, PM_HV_IO_MMIO, r, true);
}

static void mem_del(struct pm_mem_listener *l, struct pm_as *as, const struct pm_flat_range *r)
{
	claim(l->opaque, PM_HV_IO_MMIO, r, false);
}

static void io_add(struct pm_mem_listener *l, struct pm_as *as, const struct pm_flat_range *r)
{
	claim(l->opaque, PM_HV_IO_PIO, r, true);
}

static void io_del(struct pm_mem_listener *l, struct pm_as *as, const struct pm_flat_range *r)
{
	claim(l->opaque, PM_HV_IO_PIO, r, false);
}

/*
 * the notifiers the backend rang: each fires once however many rings it
 * counted (an ioeventfd's semantics), through the notifier's own dispatch
 * path; returns whether any fired
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

/* performs the coalesced writes the backend buffered, in order */
static bool drain_buffered(struct conn *c)
{
	struct pm_hv_buf_ioreq q;
	bool any = false;

	while (pm_hv_ioreq_buffered(c->srv, &q) == 1) {
		if (q.size == 1 || q.size == 2 || q.size == 4 || q.size == 8)
			pm_as_write(q.type == PM_HV_IO_PIO ? c->dm->as_io : c->dm->as_mem, q.addr, q.data, q.size);
		any = true;
	}
	if (any)
		pm_mem_flush_coalesced(c->dm->mem);
	return any;
}

/*
 * one ioreq slot: served if it is ready; returns whether it was. What the
 * backend buffered and the notifiers it rang come first: a synchronous
 * access never overtakes them.
 */
static bool serve_slot(struct conn *c, unsigned int vcpu)
{
	volatile ioreq_t *req = pm_hv_ioreq_slot(c->srv, vcpu);
	struct pm_dm *dm = c->dm;
	uint64_t v;

	if (req->state != STATE_IOREQ_READY)
		return false;
	__atomic_thread_fence(__ATOMIC_ACQUIRE);
	req->state = STATE_IOREQ_INPROCESS;
	drain_buffered(c);
	if (c->nr_wn)
		fire_notifiers(c);
	v = req->data;
	if (req->type == PM_HV_IOREQ_EXEC) {
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
	pm_hv_ioreq_respond(c->srv, vcpu);
	return true;
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
	memmove(in->buf + 0, in->buf + took, in->len - took);
	in->len -= took;
}

/*
 * the control socket: the toolstack saves and loads the devices' state
 * there (the domain is paused meanwhile). One request a connection, read
 * with a deadline so that a stuck client cannot stall the device model:
 *   "save\n"       -> "ok LEN\n" and LEN bytes of pm_dm_save's blob
 *   "load LEN\n" + LEN bytes -> "ok\n"
 *   "ping\n"       -> "ok\n" (the model is alive and serving)
 * or "error WHAT\n".
 */
#define CONTROL_MAX (128u << 20)
#define CONTROL_WAIT_MS 5000

static int read_full(int fd, void *buf, size_t len)
{
	size_t got = 0;

	while (got < len) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		ssize_t r;

		if (poll(&p, 1, CONTROL_WAIT_MS) <= 0)
			return -ETIMEDOUT;
		r = read(fd, (char *)buf + got, len - got);
		if (r < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (r <= 0)
			return r ? -errno : -EPIPE;
		got += (size_t)r;
	}
	return 0;
}

static int write_full(int fd, const void *buf, size_t len)
{
	size_t put = 0;

	while (put < len) {
		struct pollfd p = { .fd = fd, .events = POLLOUT };
		ssize_t w;

		if (poll(&p, 1, CONTROL_WAIT_MS) <= 0)
			return -ETIMEDOUT;
		w = write(fd, (const char *)buf + put, len - put);
		if (w < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (w < 0)
			return -errno;
		put += (size_t)w;
	}
	return 0;
}

static void control_one(struct conn *c, int fd)
{
	struct pm_dm *dm = c->dm;
	char line[64], reply[512];
	size_t n = 0;
	unsigned long long len;
	int rc;

	/* the request line, a byte at a time: what follows it is the blob */
	while (n < sizeof(line) - 1) {
		if (read_full(fd, line + n, 1))
			return;
		if (line[n++] == '\n')
			break;
	}
	line[n] = 0;
	if (!strcmp(line, "ping\n")) {
		write_full(fd, "ok\n", 3);
		return;
	}
	if (!strcmp(line, "save\n")) {
		struct pm_vmstate_buf b;

		/* the writes the guest made before its pause are the devices' before their state */
		drain_buffered(c);
		pm_mem_flush_coalesced(dm->mem);
		rc = pm_dm_save(dm, &b);
		if (rc) {
			snprintf(reply, sizeof(reply), "error saving: %s\n", strerror(-rc));
			write_full(fd, reply, strlen(reply));
			return;
		}
		snprintf(reply, sizeof(reply), "ok %zu\n", b.len);
		if (!write_full(fd, reply, strlen(reply)))
			write_full(fd, b.data, b.len);
		free(b.data);
		return;
	}
	if (sscanf(line, "load %llu\n", &len) == 1 && len <= CONTROL_MAX) {
		uint8_t *buf = malloc(len ? (size_t)len : 1);
		char err[256];

		if (!buf) {
			write_full(fd, "error out of memory\n", 20);
			return;
		}
		rc = read_full(fd, buf, (size_t)len);
		if (!rc) {
			rc = pm_dm_load_state(dm, buf, (size_t)len, err, sizeof(err));
			if (rc)
				snprintf(reply, sizeof(reply), "error %s\n", err);
			else
				snprintf(reply, sizeof(reply), "ok\n");
			write_full(fd, reply, strlen(reply));
		}
		free(buf);
		return;
	}
	snprintf(reply, sizeof(reply), "error unknown request\n");
	write_full(fd, reply, strlen(reply));
}

static void control_poll(struct conn *c, int listen_fd)
{
	int fd = accept4(listen_fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);

	if (fd < 0)
		return;
	control_one(c, fd);
	close(fd);
}

/* serves until the domain is gone; returns 0 then, or -errno */
static int serve(struct conn *c, struct input *in, int control)
{
	struct pollfd *p = NULL;
	unsigned int vcpus = pm_hv_ioreq_vcpus(c->srv);
	int rc = 0;

	bool spin = true;

	for (;;) {
		size_t nxb = pm_xb_nr_fds(c->bus), np = 5 + c->nr_wn + nxb;
		struct pollfd *g = realloc(p, np * sizeof(*p));
		/* after a vCPU's ioreq, spin a little before sleeping (the next
		 * access comes soon); after a PV backend's or the console's
		 * event, look once: spinning would only take the CPU the
		 * guest's vCPU needs */
		int idle = spin ? 0 : SPINS - 1;

		spin = false;
		while (idle < SPINS) {
			bool any = drain_buffered(c);

			for (unsigned int i = 0; i < vcpus; i++)
				any |= serve_slot(c, i);
			idle = any ? 0 : idle + 1;
			spin |= any;
			if (any && in->len)
				input_poll(c->dm, in, NULL, NULL);   /* the guest read: room in its FIFO */
		}
		if (!g) {
			rc = -ENOMEM;
			break;
		}
		p = g;
		p[0] = (struct pollfd){ .fd = pm_hv_ioreq_fd(c->srv), .events = POLLIN };
		p[1] = (struct pollfd){ .fd = pm_hv_ioreq_gone_fd(c->srv), .events = POLLIN };
		p[2] = (struct pollfd){ .fd = in->listen, .events = POLLIN };
		p[3] = (struct pollfd){ .fd = in->conn, .events = POLLIN };
		p[4] = (struct pollfd){ .fd = control, .events = POLLIN };
		for (size_t i = 0; i < c->nr_wn; i++)
			p[5 + i] = (struct pollfd){ .fd = c->wn[i].fd, .events = POLLIN };
		nxb = pm_xb_fds(c->bus, p + 5 + c->nr_wn, nxb);
		/* input waiting for room: look again soon, the guest polls its UART */
		if (poll(p, (nfds_t)np, in->len ? 10 : -1) < 0 && errno != EINTR) {
			rc = -errno;
			break;
		}
		if (p[1].revents && pm_hv_ioreq_gone(c->srv)) {
			drain_buffered(c);   /* what it wrote last still reaches the console */
			break;   /* the backend let go: the domain is gone */
		}
		if (p[0].revents) {
			pm_hv_ioreq_ack(c->srv);
			spin = true;
		}
		if (c->nr_wn)
			fire_notifiers(c);
		input_poll(c->dm, in, &p[2], &p[3]);
		if (p[4].revents)
			control_poll(c, control);
		pm_xb_poll(c->bus, p + 5 + c->nr_wn, nxb);
	}
	free(p);
	return rc;
}

/*
 * @c claims the ranges of both address spaces as they are and as they
 * change (*@listening once it must stop); 0, or -errno said in @err
 */
static int listen_map(struct pm_dm *dm, struct conn *c, bool *listening, char *err, size_t errlen)
{
	pm_mem_share_ram(dm->mem, true);   /* mmio-exec copies go to the backend by memfd */
	c->mem_l = (struct pm_mem_listener){ .region_add = mem_add, .region_del = mem_del,
					     .coalesced_add = co_add, .coalesced_del = co_del,
					     .notifier_add = wn_add, .notifier_del = wn_del, .opaque = c };
	c->io_l = (struct pm_mem_listener){ .region_add = io_add, .region_del = io_del,
					    .coalesced_add = co_add, .coalesced_del = co_del,
					    .notifier_add = wn_add, .notifier_del = wn_del, .opaque = c };
	if (pm_mem_listener_register(dm->mem, &c->mem_l, dm->as_mem) ||
	    pm_mem_listener_register(dm->mem, &c->io_l, dm->as_io)) {
		snprintf(err, errlen, "listening to the memory map: %s", strerror(ENOMEM));
		return -ENOMEM;
	}
	*listening = true;
	if (c->failed)
		snprintf(err, errlen, "claiming the devices' ranges: %s", strerror(-c->failed));
	return c->failed;
}

/* no more claims (the backend is gone or going), and no more listening */
static void unlisten(struct pm_dm *dm, struct conn *c)
{
	c->mem_l.region_del = c->io_l.region_del = NULL;
	c->mem_l.coalesced_del = c->io_l.coalesced_del = NULL;
	c->mem_l.notifier_del = c->io_l.notifier_del = NULL;
	pm_mem_listener_unregister(dm->mem, &c->mem_l);
	pm_mem_listener_unregister(dm->mem, &c->io_l);
}

/* a unix socket listening at @path (or none without one): *@fd, *@ino; 0, or -errno said in @err */
static int listen_at(const char *path, int backlog, const char *what, int *fd, ino_t *ino, char *err, size_t errlen)
{
	if (!path)
		return 0;
	*fd = pm_listen_unix_id(path, backlog, ino);
	if (*fd >= 0)
		return 0;
	snprintf(err, errlen, "%s %s: %s", what, path, strerror(-*fd));
	return *fd;
}

int pm_ioreq_serve(struct pm_dm *dm, const char *connect, uint32_t domid, int ready_fd, const char *input,
		   const char *control, char *err, size_t errlen)
{
	struct input in = { .listen = -1, .conn = -1 };
	int control_fd = -1;
	ino_t input_ino = 0, control_ino = 0;
	struct conn c = { .dm = dm };
	struct pm_hv *hv = NULL;
	bool listening = false;
	int rc;

	rc = pm_hv_open(connect, &hv);
	if (rc) {
		snprintf(err, errlen, "the backend: %s", strerror(-rc));
		goto out;
	}
	rc = pm_hv_ioreq_open(hv, domid, &c.srv);
	if (rc) {
		snprintf(err, errlen, "domain %u: an ioreq server: %s", domid, strerror(-rc));
		goto out;
	}
	rc = listen_map(dm, &c, &listening, err, errlen);
	if (!rc)
		rc = listen_at(input, 1, "console input", &in.listen, &input_ino, err, errlen);
	if (!rc)
		rc = listen_at(control, 4, "control socket", &control_fd, &control_ino, err, errlen);
	if (rc)
		goto out;
	if (!strcmp(pm_hv_backend(hv), "xen"))
		rc = pm_xb_open(hv, domid, pv_devices_xen, 1, &c.bus);
	else
		rc = pm_xb_open(hv, domid, pv_devices_sim, 2, &c.bus);
	if (rc) {
		snprintf(err, errlen, "domain %u: watching its PV devices in the store: %s", domid, strerror(-rc));
		goto out;
	}
	if (ready_fd >= 0) {
		if (write(ready_fd, "ready\n", 6) != 6)
			rc = -EPIPE;
		close(ready_fd);
		ready_fd = -1;
	}
	if (!rc)
		rc = serve(&c, &in, control_fd);
	if (rc)
		snprintf(err, errlen, "serving domain %u: %s", domid, strerror(-rc));
out:
	if (listening)
		unlisten(dm, &c);
	for (size_t i = 0; i < c.nr_wn; i++)
		close(c.wn[i].fd);
	free(c.wn);
	pm_xb_close(c.bus);
	pm_hv_ioreq_close(c.srv);
	if (hv)
		pm_hv_close(hv);
	if (ready_fd >= 0)
		close(ready_fd);
	if (in.conn >= 0)
		close(in.conn);
	/* renamed with the domain (its files follow its name), the paths may be another's now */
	if (in.listen >= 0)
		pm_unlink_unix(in.listen, input, input_ino);
	if (control_fd >= 0)
		pm_unlink_unix(control_fd, control, control_ino);
	return rc;
}
