/*
 * tools/sim/xs-conn.c - connections (socket, guest ring, in-process): their
 * input framed and handed to the protocol (xs-proto.c), their output
 * (queued by xs-wire.c) moved over the transport; a domain's ring and
 * socket, set up at its introduction and gone at its release
 *
 * Every transport copies bytes into the connection's input buffer before
 * anything parses them, so a guest rewriting its ring page while we look
 * cannot change a message under us. A payload over XENSTORE_PAYLOAD_MAX,
 * or ring indexes more than a ring apart, end the connection (rings get
 * the reason in their error field); nothing a client sends can block the
 * store: a connection with too many replies not taken is simply not read.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "failalloc.h"
#include "unixsock.h"
#include "xs-internal.h"

struct pm_xs_conn *xs_conn_new(struct pm_xs *xs, enum xs_conn_kind kind, unsigned int domid)
{
	struct xs_domain *d = domid ? xs_domain_get(xs, domid) : NULL;
	struct pm_xs_conn *c;

	if (domid && !d)
		return NULL;
	c = pm_t_calloc(1, sizeof(*c));
	if (!c)
		return NULL;
	c->in = pm_t_malloc(XS_INBUF_SIZE);
	if (!c->in) {
		free(c);
		return NULL;
	}
	c->xs = xs;
	c->kind = kind;
	c->domid = domid;
	c->priv = domid == 0;
	c->fd = -1;
	c->out_tail = &c->out;
	c->seq = ++xs->seq;
	c->next = xs->conns;
	c->pprev = &xs->conns;
	if (xs->conns)
		xs->conns->pprev = &c->next;
	xs->conns = c;
	if (d) {
		c->dom_next = d->conns;
		c->dom_pprev = &d->conns;
		if (d->conns)
			d->conns->dom_pprev = &c->dom_next;
		d->conns = c;
	}
	return c;
}

void xs_conn_free(struct pm_xs_conn *c)
{
	struct xs_domain *d = c->priv ? NULL : xs_domain_find(c->xs, c->domid);

	*c->pprev = c->next;
	if (c->next)
		c->next->pprev = c->pprev;
	if (c->dom_pprev) {
		*c->dom_pprev = c->dom_next;
		if (c->dom_next)
			c->dom_next->dom_pprev = c->dom_pprev;
	}
	for (struct pm_xs_conn **pp = &c->xs->pending; c->pending && *pp; pp = &(*pp)->pend_next)
		if (*pp == c) {
			*pp = c->pend_next;
			break;
		}
	for (struct pm_xs_conn **pp = &c->xs->dead; c->dead && *pp; pp = &(*pp)->dead_next)
		if (*pp == c) {
			*pp = c->dead_next;
			break;
		}
	xs_watch_free_all(c);
	while (c->txs) {
		struct xs_tx *tx = c->txs;

		c->txs = tx->next;
		xs_tx_free(tx);
		if (d && d->txs)
			d->txs--;
	}
	while (c->out) {
		struct xs_outmsg *m = c->out;

		c->out = m->next;
		free(m);
	}
	if (d && d->ring_conn == c)
		d->ring_conn = NULL;
	if (c->fd >= 0)
		close(c->fd);
	free(c->in);
	free(c);
}

static void conn_violation(struct pm_xs_conn *c, uint32_t ring_error)
{
	xs_log(c->xs, "conn %p dom%u: protocol violation, disconnected", (void *)c, c->domid);
	xs_conn_kill(c);
	c->inlen = 0;
	if (c->ring)
		__atomic_store_n(&c->ring->error, ring_error, __ATOMIC_RELEASE);
}

/* handles every complete message in the input buffer, as far as output allows */
void xs_conn_input(struct pm_xs_conn *c)
{
	uint32_t off = 0;

	while (!c->dead && c->inlen - off >= XS_HDR_SIZE && !xs_conn_blocked(c)) {
		struct xsd_sockmsg hdr;

		memcpy(&hdr, c->in + off, XS_HDR_SIZE);
		if (hdr.len > XENSTORE_PAYLOAD_MAX) {
			conn_violation(c, XENSTORE_ERROR_PROTO);
			return;
		}
		if (c->inlen - off - XS_HDR_SIZE < hdr.len)
			break;
		xs_handle(c, &hdr, c->in + off + XS_HDR_SIZE);
		off += XS_HDR_SIZE + hdr.len;
	}
	if (c->dead)
		return;
	memmove(c->in, c->in + off, c->inlen - off);
	c->inlen -= off;
}

/* ---- guest rings ------------------------------------------------------------ */

/* copies what the guest produced; false if its indexes are nonsense */
static bool ring_pull(struct pm_xs_conn *c, bool *progress)
{
	struct xenstore_domain_interface *r = c->ring;
	XENSTORE_RING_IDX cons = __atomic_load_n(&r->req_cons, __ATOMIC_RELAXED);
	XENSTORE_RING_IDX prod = __atomic_load_n(&r->req_prod, __ATOMIC_ACQUIRE);
	uint32_t avail = prod - cons, room = XS_INBUF_SIZE - c->inlen, n;

	if (avail > XENSTORE_RING_SIZE)
		return false;
	n = avail < room ? avail : room;
	for (uint32_t done = 0; done < n;) {
		uint32_t at = MASK_XENSTORE_IDX(cons + done);
		uint32_t chunk = XENSTORE_RING_SIZE - at;

		if (chunk > n - done)
			chunk = n - done;
		memcpy(c->in + c->inlen + done, r->req + at, chunk);
		done += chunk;
	}
	if (n) {
		c->inlen += n;
		__atomic_store_n(&r->req_cons, cons + n, __ATOMIC_RELEASE);
		*progress = true;
	}
	return true;
}

/* copies queued output into the reply ring as far as it has room */
static bool ring_push(struct pm_xs_conn *c, bool *progress)
{
	struct xenstore_domain_interface *r = c->ring;
	XENSTORE_RING_IDX prod = __atomic_load_n(&r->rsp_prod, __ATOMIC_RELAXED);
	XENSTORE_RING_IDX cons = __atomic_load_n(&r->rsp_cons, __ATOMIC_ACQUIRE);
	uint32_t used = prod - cons, sent = 0;

	if (used > XENSTORE_RING_SIZE)
		return false;
	while (c->out && used + sent < XENSTORE_RING_SIZE) {
		struct xs_outmsg *m = c->out;
		uint32_t at = MASK_XENSTORE_IDX(prod + sent);
		uint32_t chunk = XENSTORE_RING_SIZE - at;

		if (chunk > XENSTORE_RING_SIZE - used - sent)
			chunk = XENSTORE_RING_SIZE - used - sent;
		if (chunk > m->len - m->off)
			chunk = m->len - m->off;
		memcpy(r->rsp + at, m->data + m->off, chunk);
		sent += chunk;
		xs_out_advance(c, chunk);
	}
	if (sent) {
		__atomic_store_n(&r->rsp_prod, prod + sent, __ATOMIC_RELEASE);
		*progress = true;
	}
	return true;
}

/*
 * serves one ring until neither side can move, or for a few rounds (a
 * guest that keeps feeding it must not starve the others: the loop comes
 * back); notifies the guest if anything moved
 */
static void ring_service(struct pm_xs_conn *c)
{
	bool progress = false, moved;
	struct xs_domain *d = xs_domain_find(c->xs, c->domid);
	int rounds = 0;

	do {
		moved = false;
		if (!ring_pull(c, &moved) || !ring_push(c, &moved)) {
			conn_violation(c, XENSTORE_ERROR_RINGIDX);
			break;
		}
		xs_conn_input(c);
		if (!ring_push(c, &moved)) {
			conn_violation(c, XENSTORE_ERROR_RINGIDX);
			break;
		}
		progress |= moved;
	} while (moved && !c->dead && ++rounds < 8);
	if (moved && !c->dead)
		xs_conn_pend(c);   /* more to do: come back after the others */
	if (progress && d && c->xs->ops.notify)
		c->xs->ops.notify(c->xs->opaque, c->domid, d->evtchn);
}

/* ---- sockets ------------------------------------------------------------------ */

/* reads what fits; the socket is edge-triggered, so a read that filled the room comes back for more */
static void sock_pull(struct pm_xs_conn *c)
{
	uint32_t room = XS_INBUF_SIZE - c->inlen;
	ssize_t r;

	if (!room)
		return;   /* input first: xs_conn_input makes room and the flush comes back */
	r = read(c->fd, c->in + c->inlen, room);
	if (r == 0 || (r < 0 && errno != EAGAIN && errno != EINTR)) {
		xs_conn_kill(c);
	} else if (r > 0) {
		c->inlen += (uint32_t)r;
		if ((uint32_t)r == room)
			xs_conn_pend(c);
	}
}

static void sock_push(struct pm_xs_conn *c)
{
	while (c->out) {
		struct xs_outmsg *m = c->out;
		char buf[16 * 1024];
		uint32_t len = 0;
		ssize_t r;

		/* gather small messages so a pipelining client costs one write */
		for (; m && len + (m->len - m->off) <= sizeof(buf); m = m->next) {
			memcpy(buf + len, m->data + m->off, m->len - m->off);
			len += m->len - m->off;
		}
		if (!len)
			r = write(c->fd, c->out->data + c->out->off, c->out->len - c->out->off);
		else
			r = write(c->fd, buf, len);
		if (r < 0) {
			if (errno != EAGAIN && errno != EINTR)
				xs_conn_kill(c);
			return;   /* full: the socket's EPOLLOUT edge brings it back */
		}
		xs_out_advance(c, (uint32_t)r);
	}
}

/* moves whatever the connection's transport allows, in and out */
void xs_conn_flush(struct pm_xs_conn *c)
{
	if (c->dead)
		return;
	switch (c->kind) {
	case XS_CONN_RING:
		if (c->ring)
			ring_service(c);
		break;
	case XS_CONN_SOCKET: {
		bool full;

		sock_push(c);
		full = c->inlen == XS_INBUF_SIZE;
		if (!c->dead)
			sock_pull(c);
		/* output drained: input that waited for it may go on */
		if (!c->dead && c->inlen >= XS_HDR_SIZE && !xs_conn_blocked(c)) {
			xs_conn_input(c);
			sock_push(c);
		}
		if (!c->dead && full && c->inlen < XS_INBUF_SIZE)
			xs_conn_pend(c);   /* room made: what waited in the socket is read next round */
		break;
	}
	case XS_CONN_LOCAL:
		break;
	}
}

void xs_flush_pending(struct pm_xs *xs)
{
	struct pm_xs_conn *list = xs->pending;

	/* this round's: what they queue for one another comes in the next */
	xs->pending = NULL;
	while (list) {
		struct pm_xs_conn *c = list;

		list = c->pend_next;
		c->pending = false;
		c->pend_next = NULL;
		xs_conn_flush(c);
	}
}

/* ---- domains: their rings and sockets ------------------------------------------ */

int xs_domain_introduce(struct pm_xs *xs, unsigned int domid, uint64_t mfn, unsigned int evtchn)
{
	struct xs_domain *d = xs_domain_get(xs, domid);
	struct xenstore_domain_interface *ring = NULL;
	struct pm_xs_conn *c = NULL;
	int rc;

	if (!d)
		return -ENOMEM;
	if (d->introduced)
		return d->mfn == mfn && d->evtchn == evtchn ? 0 : -EEXIST;
	if (xs->ops.map_ring) {
		errno = EINVAL;
		ring = xs->ops.map_ring(xs->opaque, domid, mfn, evtchn);
		if (!ring)
			return errno ? -errno : -EINVAL;
		c = xs_conn_new(xs, XS_CONN_RING, domid);
		if (!c) {
			rc = -ENOMEM;
			goto fail;
		}
		c->ring = ring;
		ring->server_features |= XENSTORE_SERVER_FEATURE_ERROR;
	}
	if (xs->domain_sock_dir) {
		rc = xs_domain_socket_open(xs, d);
		if (rc)
			goto fail;
	}
	d->ring = ring;
	d->ring_conn = c;
	d->mfn = mfn;
	d->evtchn = evtchn;
	d->introduced = true;
	d->shutdown_fired = false;
	xs_fire_special(xs, 0);
	if (c)
		xs_conn_flush(c);   /* the guest may have written before we came */
	return 0;
fail:
	if (c)
		xs_conn_free(c);
	if (ring && xs->ops.unmap_ring)
		xs->ops.unmap_ring(xs->opaque, domid, ring);
	return rc;
}

int xs_domain_release(struct pm_xs *xs, unsigned int domid)
{
	struct xs_domain *d = xs_domain_find(xs, domid);

	if (!d || !d->introduced)
		return -ENOENT;
	xs_fire_special(xs, 1);
	for (struct pm_xs_conn *c = d->conns; c; c = c->dom_next) {
		xs_conn_kill(c);
		c->ring = NULL;
	}
	d->ring_conn = NULL;
	if (d->ring && xs->ops.unmap_ring)
		xs->ops.unmap_ring(xs->opaque, domid, d->ring);
	d->ring = NULL;
	xs_domain_socket_close(d);
	/* XSA-322: a later domain with this id must not inherit its rights */
	xs_owner_changed(xs, domid, 0);
	d->introduced = false;
	d->has_target = false;
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
	if (xs->ep >= 0 && xs_ep_add(xs, rc, (uintptr_t)d | XS_EP_DOMAIN, EPOLLIN))
		xs_log(xs, "dom%u's socket: not watched: %s", d->domid, strerror(errno));
	return 0;
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

int xs_ep_add(struct pm_xs *xs, int fd, uint64_t tag, uint32_t events)
{
	struct epoll_event ev = { .events = events, .data.u64 = tag };

	return epoll_ctl(xs->ep, EPOLL_CTL_ADD, fd, &ev);
}

/* what the protocol asks of the connections (pm_xs_new sets it: xs->up) */
const struct xs_conn_ops xs_conn_ops = {
	.introduce = xs_domain_introduce,
	.release = xs_domain_release,
	.flush = xs_conn_flush,
};
