/*
 * tools/sim/xs-server.c - the store's public face (xs.h): creation,
 * listening sockets, the poll loop, in-process connections, quotas, the
 * check; the top of the store's files (xs-internal.h draws them)
 *
 * Locking: xs->lock covers everything in the store; pm_xs_run drops it
 * only while it sleeps in epoll_wait(). Connections are freed only by the
 * loop's sweep (or pm_xs_free), so a handler may mark any connection dead.
 *
 * The loop's cost does not grow with the connections it has: sockets are
 * in an epoll set (edge-triggered), and a round flushes only the
 * connections that have something to move (xs->pending: output queued,
 * input or room came, a guest notified its ring); a ring is looked at when
 * its own guest notified (pm_xs_kick_domain), not with every other's.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "failalloc.h"
#include "monotime.h"
#include "unixsock.h"
#include "xs-internal.h"

int pm_xs_set_quota(struct pm_xs *xs, enum pm_xs_quota q, unsigned int value)
{
	if ((unsigned int)q >= PM_XS_QUOTA_COUNT)
		return -EINVAL;
	pthread_mutex_lock(&xs->lock);
	xs->quota[q] = value;
	pthread_mutex_unlock(&xs->lock);
	return 0;
}

long pm_xs_get_quota(struct pm_xs *xs, enum pm_xs_quota q)
{
	long v;

	if ((unsigned int)q >= PM_XS_QUOTA_COUNT)
		return -EINVAL;
	pthread_mutex_lock(&xs->lock);
	v = xs->quota[q];
	pthread_mutex_unlock(&xs->lock);
	return v;
}

int pm_xs_new(const struct pm_xs_ring_ops *ops, void *opaque, struct pm_xs **out)
{
	static const struct xs_perm root_perm = { 0, XS_PERM_NONE };
	struct pm_xs *xs = pm_t_calloc(1, sizeof(*xs));
	struct xs_node *root = NULL;
	int rc = -ENOMEM;

	*out = NULL;
	if (!xs)
		return -ENOMEM;
	xs->up = &xs_conn_ops;
	pthread_mutex_init(&xs->lock, NULL);
	xs->listen_fd = -1;
	xs->kick_fd = -1;
	xs->ep = -1;
	pthread_mutex_init(&xs->kick_lock, NULL);
	if (ops)
		xs->ops = *ops;
	xs->opaque = opaque;
	for (int q = 0; q < PM_XS_QUOTA_COUNT; q++)
		xs->quota[q] = xs_quota_default(q);
	xs->by_id = pm_t_calloc(XS_DOMIDS, sizeof(*xs->by_id));
	xs->kicked = pm_t_calloc(XS_DOMIDS, sizeof(*xs->kicked));
	xs->named = pm_t_calloc(XS_DOMIDS, sizeof(*xs->named));
	xs->kick_list = pm_t_calloc(XS_DOMIDS, sizeof(*xs->kick_list));
	if (!xs->by_id || !xs->kicked || !xs->kick_list || !xs->named || xs_table_init(&xs->db))
		goto fail;
	for (int i = 0; i < 2; i++) {
		xs->special_perms[i] = pm_t_malloc(sizeof(root_perm));
		if (!xs->special_perms[i])
			goto fail;
		xs->special_perms[i][0] = root_perm;
		xs->special_nperms[i] = 1;
	}
	root = xs_node_new("/");
	if (!root || xs_node_set_perms(root, &root_perm, 1) || !xs_domain_get(xs, 0))
		goto fail;
	xs_table_insert(&xs->db, root);
	xs_count_owner(xs, root, 1);
	root = NULL;
	xs->kick_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (xs->kick_fd < 0) {
		rc = -errno;
		goto fail;
	}
	*out = xs;
	return 0;
fail:
	xs_node_free(root);
	pm_xs_free(xs);
	return rc;
}

void pm_xs_free(struct pm_xs *xs)
{
	if (!xs)
		return;
	while (xs->conns)
		xs_conn_free(xs->conns);
	while (xs->domains) {
		struct xs_domain *d = xs->domains;

		xs->domains = d->next;
		if (d->ring && xs->ops.unmap_ring)
			xs->ops.unmap_ring(xs->opaque, d->domid, d->ring);
		xs_domain_socket_close(d);
		free(d);
	}
	free(xs->wpaths);   /* empty: the connections took their watches */
	free(xs->by_id);
	free(xs->kicked);
	free(xs->named);
	free(xs->kick_list);
	pthread_mutex_destroy(&xs->kick_lock);
	if (xs->listen_fd >= 0)
		close(xs->listen_fd);
	if (xs->listen_path)
		unlink(xs->listen_path);
	free(xs->listen_path);
	free(xs->domain_sock_dir);
	if (xs->kick_fd >= 0)
		close(xs->kick_fd);
	for (int i = 0; i < 2; i++)
		free(xs->special_perms[i]);
	xs_table_dispose(&xs->db);
	pthread_mutex_destroy(&xs->lock);
	free(xs);
}

int pm_xs_listen(struct pm_xs *xs, const char *path)
{
	char *copy = pm_t_strdup(path);
	int fd;

	if (!copy)
		return -ENOMEM;
	fd = pm_listen_unix(path, 64);
	if (fd < 0) {
		free(copy);
		return fd;
	}
	pthread_mutex_lock(&xs->lock);
	if (xs->listen_fd >= 0) {
		close(xs->listen_fd);
		unlink(xs->listen_path);
		free(xs->listen_path);
	}
	xs->listen_fd = fd;
	xs->listen_path = copy;
	pthread_mutex_unlock(&xs->lock);
	return 0;
}

int pm_xs_set_domain_socket_dir(struct pm_xs *xs, const char *dir)
{
	char *copy = pm_t_strdup(dir);

	if (!copy)
		return -ENOMEM;
	pthread_mutex_lock(&xs->lock);
	free(xs->domain_sock_dir);
	xs->domain_sock_dir = copy;
	pthread_mutex_unlock(&xs->lock);
	return 0;
}

void pm_xs_kick(struct pm_xs *xs)
{
	uint64_t one = 1;
	ssize_t r;

	__atomic_store_n(&xs->kick_all, true, __ATOMIC_RELEASE);
	r = write(xs->kick_fd, &one, sizeof(one));
	(void)r;   /* a full counter still wakes the loop */
}

void pm_xs_kick_domain(struct pm_xs *xs, unsigned int domid)
{
	uint64_t one = 1;
	ssize_t r;

	if (domid >= XS_DOMIDS)
		return;
	pthread_mutex_lock(&xs->kick_lock);
	if (!xs->kicked[domid]) {
		xs->kicked[domid] = 1;
		xs->kick_list[xs->nr_kick++] = (uint16_t)domid;
	}
	pthread_mutex_unlock(&xs->kick_lock);
	r = write(xs->kick_fd, &one, sizeof(one));
	(void)r;
}

/* from a thread other than the loop's: the loop wakes to move what is pending */
static void wake(struct pm_xs *xs)
{
	uint64_t one = 1;
	ssize_t r;

	if (!xs->pending)
		return;
	r = write(xs->kick_fd, &one, sizeof(one));
	(void)r;
}

/* the rings whose guests notified (all of them after a plain pm_xs_kick) go on the pending list */
static void take_kicks(struct pm_xs *xs)
{
	uint64_t v;
	ssize_t r = read(xs->kick_fd, &v, sizeof(v));

	(void)r;
	if (__atomic_exchange_n(&xs->kick_all, false, __ATOMIC_ACQ_REL)) {
		for (struct pm_xs_conn *c = xs->conns; c; c = c->next)
			if (c->kind == XS_CONN_RING)
				xs_conn_pend(c);
	}
	pthread_mutex_lock(&xs->kick_lock);
	for (uint32_t i = 0; i < xs->nr_kick; i++) {
		struct xs_domain *d = xs->by_id[xs->kick_list[i]];

		xs->kicked[xs->kick_list[i]] = 0;
		if (d && d->ring_conn)
			xs_conn_pend(d->ring_conn);
	}
	xs->nr_kick = 0;
	pthread_mutex_unlock(&xs->kick_lock);
}

static void accept_conns(struct pm_xs *xs, int fd, unsigned int domid)
{
	for (;;) {
		int cfd = accept4(fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		struct pm_xs_conn *c;

		if (cfd < 0)
			return;
		c = xs_conn_new(xs, XS_CONN_SOCKET, domid);
		if (!c) {
			close(cfd);
			return;
		}
		c->fd = cfd;
		if (xs_ep_add(xs, cfd, (uintptr_t)c | XS_EP_CONN, EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET)) {
			xs_log(xs, "a connection refused: %s", strerror(errno));
			xs_conn_kill(c);
		}
		xs_conn_pend(c);   /* what it sent before we looked */
	}
}

static void sweep(struct pm_xs *xs)
{
	while (xs->dead)
		xs_conn_free(xs->dead);   /* takes it off xs->dead */
}

/* the fixed descriptors' tags */
#define TAG_STOP ((0u << 2) | XS_EP_FIXED)
#define TAG_KICK ((1u << 2) | XS_EP_FIXED)
#define TAG_LISTEN ((2u << 2) | XS_EP_FIXED)

/* the epoll set with what exists now: the fixed fds, domains' sockets, socket connections (each pending) */
static int ep_setup(struct pm_xs *xs, int stop_fd)
{
	xs->ep = epoll_create1(EPOLL_CLOEXEC);
	if (xs->ep < 0)
		return -errno;
	if (xs_ep_add(xs, stop_fd, TAG_STOP, EPOLLIN) || xs_ep_add(xs, xs->kick_fd, TAG_KICK, EPOLLIN) ||
	    (xs->listen_fd >= 0 && xs_ep_add(xs, xs->listen_fd, TAG_LISTEN, EPOLLIN)))
		return -errno;
	for (struct xs_domain *d = xs->domains; d; d = d->next)
		if (d->sock_fd >= 0 && xs_ep_add(xs, d->sock_fd, (uintptr_t)d | XS_EP_DOMAIN, EPOLLIN))
			return -errno;
	for (struct pm_xs_conn *c = xs->conns; c; c = c->next)
		if (c->kind == XS_CONN_SOCKET && !c->dead) {
			if (xs_ep_add(xs, c->fd, (uintptr_t)c | XS_EP_CONN, EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET))
				return -errno;
			xs_conn_pend(c);
		}
	return 0;
}

/*
 * Before it sleeps, the loop polls for 32 us (QEMU's iothreads' default
 * poll-max-ns): a client that pipelines, or answers an event with a
 * request, finds the store awake, not behind a wake-up (10-20 us each on
 * a nested host: the pipelined reads went 0.9 -> 1.16M/s, a watch's event
 * 55 -> 26 us). Idle, the store costs 32 us of a core per wake.
 */
#define POLL_NS 32000

/* epoll_wait, but a wait of -1 polls POLL_NS first */
static int wait_events(struct pm_xs *xs, struct epoll_event *evs, int max, int timeout)
{
	uint64_t until;
	int n = epoll_wait(xs->ep, evs, max, 0);

	if (n || !timeout)
		return n;
	until = pm_mono_ns() + POLL_NS;
	while ((n = epoll_wait(xs->ep, evs, max, 0)) == 0 && pm_mono_ns() < until)
		;
	return n ? n : epoll_wait(xs->ep, evs, max, timeout);
}

int pm_xs_run(struct pm_xs *xs, int stop_fd)
{
	struct epoll_event evs[64];
	bool stop = false;
	int rc;

	pthread_mutex_lock(&xs->lock);
	rc = ep_setup(xs, stop_fd);
	while (!rc && !stop) {
		int n, timeout = xs->pending ? 0 : -1;

		pthread_mutex_unlock(&xs->lock);
		n = wait_events(xs, evs, 64, timeout);
		pthread_mutex_lock(&xs->lock);
		if (n < 0) {
			if (errno != EINTR)
				rc = -errno;
			continue;
		}
		for (int i = 0; i < n; i++) {
			uint64_t tag = evs[i].data.u64;

			if (tag == TAG_STOP) {
				stop = true;
			} else if (tag == TAG_KICK) {
				take_kicks(xs);
			} else if (tag == TAG_LISTEN) {
				accept_conns(xs, xs->listen_fd, 0);
			} else if ((tag & 3) == XS_EP_DOMAIN) {
				struct xs_domain *d = (struct xs_domain *)(uintptr_t)(tag & ~(uint64_t)3);

				/* a RELEASE handled before may have closed it */
				if (d->sock_fd >= 0)
					accept_conns(xs, d->sock_fd, d->domid);
			} else {
				xs_conn_pend((struct pm_xs_conn *)(uintptr_t)(tag & ~(uint64_t)3));
			}
		}
		/* replies, and the events one connection's writes caused elsewhere */
		xs_flush_pending(xs);
		if (xs->dead)
			sweep(xs);
	}
	if (xs->ep >= 0)
		close(xs->ep);
	xs->ep = -1;
	pthread_mutex_unlock(&xs->lock);
	return rc;
}

int pm_xs_domain_shutdown(struct pm_xs *xs, unsigned int domid)
{
	struct xs_domain *d;
	int rc = -ENOENT;

	pthread_mutex_lock(&xs->lock);
	d = xs_domain_find(xs, domid);
	if (d && d->introduced) {
		if (!d->shutdown_fired)
			xs_fire_special(xs, 1);
		d->shutdown_fired = true;
		rc = 0;
	}
	wake(xs);
	pthread_mutex_unlock(&xs->lock);
	return rc;
}

int pm_xs_domain_resume(struct pm_xs *xs, unsigned int domid)
{
	struct xs_domain *d;
	int rc = -ENOENT;

	pthread_mutex_lock(&xs->lock);
	d = xs_domain_find(xs, domid);
	if (d && d->introduced) {
		d->shutdown_fired = false;
		rc = 0;
	}
	pthread_mutex_unlock(&xs->lock);
	return rc;
}

int pm_xs_domain_destroyed(struct pm_xs *xs, unsigned int domid)
{
	struct xs_domain *d;
	int rc = -ENOENT;

	pthread_mutex_lock(&xs->lock);
	d = xs_domain_find(xs, domid);
	if (d && d->introduced)
		rc = xs_domain_release(xs, domid);
	else if (d) {
		xs_owner_changed(xs, domid, 0);
		xs_fire_special(xs, 1);
		rc = 0;
	}
	wake(xs);
	pthread_mutex_unlock(&xs->lock);
	return rc;
}

int pm_xs_conn_open(struct pm_xs *xs, unsigned int domid, struct pm_xs_conn **out)
{
	pthread_mutex_lock(&xs->lock);
	*out = xs_conn_new(xs, XS_CONN_LOCAL, domid);
	pthread_mutex_unlock(&xs->lock);
	return *out ? 0 : -ENOMEM;
}

int pm_xs_conn_send(struct pm_xs_conn *c, const void *buf, size_t len)
{
	struct pm_xs *xs = c->xs;
	const char *p = buf;
	int rc = 0;

	pthread_mutex_lock(&xs->lock);
	while (len && !c->dead) {
		size_t n = XS_INBUF_SIZE - c->inlen;

		if (n > len)
			n = len;
		memcpy(c->in + c->inlen, p, n);
		c->inlen += (uint32_t)n;
		p += n;
		len -= n;
		xs_conn_input(c);
		if (c->inlen == XS_INBUF_SIZE) {
			rc = -EBUSY;   /* replies must be taken before more input */
			break;
		}
	}
	xs_flush_pending(xs);   /* the events its writes caused elsewhere */
	wake(xs);
	if (c->dead)
		rc = -EPROTO;
	pthread_mutex_unlock(&xs->lock);
	return rc;
}

size_t pm_xs_conn_recv(struct pm_xs_conn *c, void *buf, size_t len)
{
	struct pm_xs *xs = c->xs;
	char *p = buf;
	size_t done = 0;

	pthread_mutex_lock(&xs->lock);
	while (c->out && done < len) {
		const struct xs_outmsg *m = c->out;
		size_t n = m->len - m->off;

		if (n > len - done)
			n = len - done;
		memcpy(p + done, m->data + m->off, n);
		done += n;
		xs_out_advance(c, (uint32_t)n);
	}
	/* input that waited for output room */
	if (!c->dead && c->inlen >= XS_HDR_SIZE)
		xs_conn_input(c);
	wake(xs);
	pthread_mutex_unlock(&xs->lock);
	return done;
}

void pm_xs_conn_close(struct pm_xs_conn *c)
{
	struct pm_xs *xs;

	if (!c)
		return;
	xs = c->xs;
	pthread_mutex_lock(&xs->lock);
	xs_conn_free(c);
	pthread_mutex_unlock(&xs->lock);
}

void pm_xs_set_logging(struct pm_xs *xs, bool on)
{
	pthread_mutex_lock(&xs->lock);
	xs->logging = on;
	pthread_mutex_unlock(&xs->lock);
}

size_t pm_xs_nodes(struct pm_xs *xs)
{
	size_t n;

	pthread_mutex_lock(&xs->lock);
	n = xs->db.count;
	pthread_mutex_unlock(&xs->lock);
	return n;
}

int pm_xs_check(struct pm_xs *xs)
{
	int rc;

	pthread_mutex_lock(&xs->lock);
	rc = xs_check(xs);
	pthread_mutex_unlock(&xs->lock);
	return rc;
}
