/*
 * tools/sim/xs-server.c - the store's public face: creation, listening
 * sockets, the poll loop, in-process connections, quotas and the check
 *
 * Locking: xs->lock covers everything in the store; pm_xs_run drops it
 * only while it sleeps in poll(). Connections are freed only by the loop's
 * sweep (or pm_xs_free), so a handler may mark any connection dead.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "failalloc.h"
#include "unixsock.h"
#include "xs-internal.h"

/* C xenstored 4.17's defaults, where it has them */
static const struct {
	const char *name;
	unsigned int def;
} quotas[PM_XS_QUOTA_COUNT] = {
	[PM_XS_QUOTA_NODES] = { "nodes", 1000 },
	[PM_XS_QUOTA_NODE_SIZE] = { "node-size", 2048 },
	[PM_XS_QUOTA_WATCHES] = { "watches", 128 },
	[PM_XS_QUOTA_TRANSACTIONS] = { "transactions", 10 },
	[PM_XS_QUOTA_PERMISSIONS] = { "permissions", 5 },
	[PM_XS_QUOTA_PATH_MAX] = { "path-max", XENSTORE_REL_PATH_MAX },
	[PM_XS_QUOTA_OUTSTANDING] = { "outstanding", 20 },
	[PM_XS_QUOTA_WATCH_EVENTS] = { "watch-events", 1024 },
};

const char *pm_xs_quota_name(enum pm_xs_quota q)
{
	return (unsigned int)q < PM_XS_QUOTA_COUNT ? quotas[q].name : NULL;
}

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
	pthread_mutex_init(&xs->lock, NULL);
	xs->listen_fd = -1;
	xs->kick_fd = -1;
	if (ops)
		xs->ops = *ops;
	xs->opaque = opaque;
	for (int q = 0; q < PM_XS_QUOTA_COUNT; q++)
		xs->quota[q] = quotas[q].def;
	if (xs_table_init(&xs->db))
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

void xs_domain_socket_close(struct xs_domain *d)
{
	if (d->sock_fd >= 0)
		close(d->sock_fd);
	d->sock_fd = -1;
	if (d->sock_path)
		unlink(d->sock_path);
	free(d->sock_path);
	d->sock_path = NULL;
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

int xs_domain_socket_open(struct pm_xs *xs, struct xs_domain *d)
{
	int rc;

	if (asprintf(&d->sock_path, "%s/domain-%u", xs->domain_sock_dir, d->domid) < 0) {
		d->sock_path = NULL;
		return -ENOMEM;
	}
	rc = pm_listen_unix(d->sock_path, 64);
	if (rc < 0) {
		free(d->sock_path);
		d->sock_path = NULL;
		return rc;
	}
	d->sock_fd = rc;
	return 0;
}

void pm_xs_kick(struct pm_xs *xs)
{
	uint64_t one = 1;
	ssize_t r = write(xs->kick_fd, &one, sizeof(one));

	(void)r;   /* a full counter still wakes the loop */
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
	}
}

static void sweep(struct pm_xs *xs)
{
	struct pm_xs_conn *c = xs->conns, *next;

	for (; c; c = next) {
		next = c->next;
		if (c->dead && c->kind != XS_CONN_LOCAL)
			xs_conn_free(c);
	}
}

int pm_xs_run(struct pm_xs *xs, int stop_fd)
{
	struct pollfd *pfd = NULL;
	/* what each pollfd is: a connection, or a domain's listening socket */
	struct pm_xs_conn **conn_of = NULL;
	struct xs_domain **dom_of = NULL;
	size_t cap = 0;
	int rc = 0;

	pthread_mutex_lock(&xs->lock);
	for (;;) {
		size_t n = 0, need = 3;
		int r;

		for (struct pm_xs_conn *c = xs->conns; c; c = c->next)
			need++;
		for (struct xs_domain *d = xs->domains; d; d = d->next)
			need++;
		if (need > cap) {
			struct pollfd *np = pm_t_realloc(pfd, need * sizeof(*pfd));
			struct pm_xs_conn **nc = NULL;
			struct xs_domain **nd = NULL;

			if (np) {
				pfd = np;
				nc = pm_t_realloc(conn_of, need * sizeof(*nc));
			}
			if (nc) {
				conn_of = nc;
				nd = pm_t_realloc(dom_of, need * sizeof(*nd));
			}
			if (nd) {
				dom_of = nd;
				cap = need;
			} else if (cap < 3) {
				rc = -ENOMEM;   /* not even its own descriptors: the store cannot run */
				break;
			} else {
				/* the newest connections past what fits are closed (their clients see
				 * it), never left unread */
				size_t k = 0;

				xs_log(xs, "out of memory for %zu descriptors: connections past %zu closed", need, cap);
				for (struct xs_domain *d = xs->domains; d; d = d->next)
					k += d->sock_fd >= 0;
				for (struct pm_xs_conn *c = xs->conns; c; c = c->next)
					if (c->kind == XS_CONN_SOCKET && !c->dead && ++k > cap - 3)
						c->dead = true;
				sweep(xs);
				continue;
			}
		}
		pfd[n++] = (struct pollfd){ .fd = stop_fd, .events = POLLIN };
		pfd[n++] = (struct pollfd){ .fd = xs->kick_fd, .events = POLLIN };
		pfd[n++] = (struct pollfd){ .fd = xs->listen_fd, .events = POLLIN };
		for (struct xs_domain *d = xs->domains; d; d = d->next)
			if (d->sock_fd >= 0) {
				conn_of[n] = NULL;
				dom_of[n] = d;
				pfd[n++] = (struct pollfd){ .fd = d->sock_fd, .events = POLLIN };
			}
		for (struct pm_xs_conn *c = xs->conns; c; c = c->next)
			if (c->kind == XS_CONN_SOCKET && !c->dead) {
				short ev = 0;

				if (c->inlen < XS_INBUF_SIZE && !xs_conn_blocked(c))
					ev |= POLLIN;
				if (c->out)
					ev |= POLLOUT;
				conn_of[n] = c;
				dom_of[n] = NULL;
				pfd[n++] = (struct pollfd){ .fd = c->fd, .events = ev };
			}
		pthread_mutex_unlock(&xs->lock);
		r = poll(pfd, n, -1);
		pthread_mutex_lock(&xs->lock);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			rc = -errno;
			break;
		}
		if (pfd[0].revents)
			break;
		if (pfd[1].revents) {
			uint64_t v;
			ssize_t rr = read(xs->kick_fd, &v, sizeof(v));

			(void)rr;
		}
		if (pfd[2].revents)
			accept_conns(xs, xs->listen_fd, 0);
		for (size_t i = 3; i < n; i++) {
			if (!pfd[i].revents)
				continue;
			if (dom_of[i]) {
				/* a RELEASE handled above may have closed it */
				if (dom_of[i]->sock_fd == pfd[i].fd)
					accept_conns(xs, pfd[i].fd, dom_of[i]->domid);
			} else if (!conn_of[i]->dead &&
				   (pfd[i].revents & (POLLIN | POLLHUP | POLLERR))) {
				xs_conn_read_socket(conn_of[i]);
			}
		}
		/* replies and the events one connection's writes caused elsewhere */
		for (struct pm_xs_conn *c = xs->conns; c; c = c->next)
			xs_conn_flush(c);
		sweep(xs);
	}
	pthread_mutex_unlock(&xs->lock);
	free(pfd);
	free(conn_of);
	free(dom_of);
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
	pthread_mutex_unlock(&xs->lock);
	pm_xs_kick(xs);
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
	pthread_mutex_unlock(&xs->lock);
	pm_xs_kick(xs);
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
	for (struct pm_xs_conn *o = xs->conns; o; o = o->next)
		if (o != c)
			xs_conn_flush(o);
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

int xs_check(struct pm_xs *xs)
{
	char parent[XENSTORE_ABS_PATH_MAX + 1];

	for (size_t i = 0; i < xs->db.nbuckets; i++)
		for (struct xs_node *n = xs->db.buckets[i]; n; n = n->hnext) {
			const struct xs_node *p;

			if (!n->nperms)
				return -EIO;
			for (uint32_t off = 0; off < n->clen; off += strlen(n->children + off) + 1) {
				char *cp;
				bool ok;

				if (asprintf(&cp, "%s/%s", strcmp(n->path, "/") ? n->path : "",
					     n->children + off) < 0)
					return -ENOMEM;
				ok = xs_table_find(&xs->db, cp, xs_hash(cp));
				free(cp);
				if (!ok)
					return -EIO;
			}
			if (!strcmp(n->path, "/"))
				continue;
			xs_parent_path(n->path, parent, sizeof(parent));
			p = xs_table_find(&xs->db, parent, xs_hash(parent));
			if (!p || !xs_children_has(p, xs_basename(n->path)))
				return -EIO;
		}
	for (struct xs_domain *d = xs->domains; d; d = d->next) {
		long owned = 0;

		for (size_t i = 0; i < xs->db.nbuckets; i++)
			for (struct xs_node *n = xs->db.buckets[i]; n; n = n->hnext)
				owned += n->perms[0].id == d->domid;
		if (owned != d->nodes)
			return -EIO;
	}
	return 0;
}

int pm_xs_check(struct pm_xs *xs)
{
	int rc;

	pthread_mutex_lock(&xs->lock);
	rc = xs_check(xs);
	pthread_mutex_unlock(&xs->lock);
	return rc;
}
