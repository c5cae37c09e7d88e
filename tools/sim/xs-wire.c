/*
 * tools/sim/xs-wire.c - what goes out on a connection: messages framed
 * (xsd_sockmsg) and queued, taken off as the transport delivers them, the
 * bound on replies not taken; a connection marked to be moved (pending)
 * or dropped (dead), for the loop; the store's log. Below everything that
 * answers or fires: the protocol and the watches queue here, and the
 * connections (xs-conn.c) move it.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "failalloc.h"
#include "xs-internal.h"

/* dom0 connections are bounded too, so a client that never reads costs little */
#define XS_PRIV_OUTSTANDING 1024

int xs_conn_queue(struct pm_xs_conn *c, uint32_t type, uint32_t req_id, uint32_t tx_id,
		  const void *body, uint32_t len, const void *body2, uint32_t len2, bool event)
{
	struct xsd_sockmsg hdr = { .type = type, .req_id = req_id, .tx_id = tx_id,
				   .len = len + len2 };
	struct xs_outmsg *m;

	if (c->dead)
		return 0;
	if (hdr.len > XENSTORE_PAYLOAD_MAX)
		return -E2BIG;   /* only an event can be this long: dropped */
	m = pm_t_malloc(sizeof(*m) + XS_HDR_SIZE + hdr.len);
	if (!m && !event) {
		/* every request gets its reply: one that cannot be queued ends the
		 * connection (its client sees it close, never waits for ever) */
		xs_log(c->xs, "conn %p dom%u: out of memory for a reply, disconnected", (void *)c, c->domid);
		xs_conn_kill(c);
		c->inlen = 0;
	}
	if (!m)
		return -ENOMEM;
	m->next = NULL;
	m->len = XS_HDR_SIZE + hdr.len;
	m->off = 0;
	m->event = event;
	memcpy(m->data, &hdr, XS_HDR_SIZE);
	if (len)
		memcpy(m->data + XS_HDR_SIZE, body, len);
	if (len2)
		memcpy(m->data + XS_HDR_SIZE + len, body2, len2);
	*c->out_tail = m;
	c->out_tail = &m->next;
	if (event)
		c->out_events++;
	else
		c->out_replies++;
	xs_conn_pend(c);
	return 0;
}

/* drops the first message once it is wholly delivered */
void xs_out_advance(struct pm_xs_conn *c, uint32_t n)
{
	while (n && c->out) {
		struct xs_outmsg *m = c->out;
		uint32_t step = m->len - m->off < n ? m->len - m->off : n;

		m->off += step;
		n -= step;
		if (m->off < m->len)
			break;
		c->out = m->next;
		if (!c->out)
			c->out_tail = &c->out;
		if (m->event)
			c->out_events--;
		else
			c->out_replies--;
		free(m);
	}
}

bool xs_conn_blocked(const struct pm_xs_conn *c)
{
	unsigned int limit = c->priv ? XS_PRIV_OUTSTANDING : c->xs->quota[PM_XS_QUOTA_OUTSTANDING];

	return c->out_replies >= limit;
}

void xs_conn_pend(struct pm_xs_conn *c)
{
	if (c->pending || c->kind == XS_CONN_LOCAL)
		return;   /* an in-process client takes its replies itself */
	c->pending = true;
	c->pend_next = c->xs->pending;
	c->xs->pending = c;
}

void xs_conn_kill(struct pm_xs_conn *c)
{
	if (c->dead)
		return;
	c->dead = true;
	if (c->kind != XS_CONN_LOCAL) {
		c->dead_next = c->xs->dead;
		c->xs->dead = c;
	}
	if (c->kind == XS_CONN_SOCKET)
		xs_conn_pend(c);   /* the loop sweeps it */
}

void xs_log(struct pm_xs *xs, const char *fmt, ...)
{
	char line[512];
	va_list ap;

	if (!xs->logging || !xs->ops.log)
		return;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	xs->ops.log(xs->opaque, line);
}
