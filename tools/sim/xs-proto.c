/*
 * tools/sim/xs-proto.c - one handler per xs_wire request type
 *
 * A handler checks everything (arguments, path, permissions, quotas)
 * before it changes anything, so an error reply means nothing changed.
 * Replies carry the request's type, req_id and tx_id; errors are ERROR
 * replies naming the errno as <xen/io/xs_wire.h> spells it.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "failalloc.h"
#include "xs-internal.h"

#define DOMID_FIRST_RESERVED 0x7ff0u
#define MAX_ARGS 64

struct req {
	struct pm_xs_conn *c;
	struct pm_xs *xs;
	const struct xsd_sockmsg *hdr;
	const char *body;
	uint32_t len;
	const char *arg[MAX_ARGS];   /* the nul-terminated strings of the body */
	unsigned int nargs;
	bool too_many;               /* more strings than MAX_ARGS */
	struct xs_tx *tx;
};

static void reply(struct req *r, const void *body, uint32_t len)
{
	xs_conn_queue(r->c, r->hdr->type, r->hdr->req_id, r->hdr->tx_id, body, len,
		      NULL, 0, false);
}

static void reply_str(struct req *r, const char *s)
{
	reply(r, s, (uint32_t)strlen(s) + 1);
}

static void reply_err(struct req *r, int err)
{
	const char *name = "EINVAL";

	for (size_t i = 0; i < sizeof(xsd_errors) / sizeof(xsd_errors[0]); i++)
		if (xsd_errors[i].errnum == err)
			name = xsd_errors[i].errstring;
	xs_log(r->xs, "conn %p: error %s", (void *)r->c, name);
	xs_conn_queue(r->c, XS_ERROR, r->hdr->req_id, r->hdr->tx_id, name,
		      (uint32_t)strlen(name) + 1, NULL, 0, false);
}

/* splits the body into nul-terminated strings; a trailing part without nul is not one */
static void split_args(struct req *r)
{
	uint32_t start = 0;

	r->nargs = 0;
	for (uint32_t i = 0; i < r->len; i++)
		if (!r->body[i]) {
			if (r->nargs == MAX_ARGS) {
				r->too_many = true;
				return;
			}
			r->arg[r->nargs++] = r->body + start;
			start = i + 1;
		}
}

static int parse_domid(const char *s, unsigned int *out)
{
	char *end;
	unsigned long v;

	if (!s || s[0] < '0' || s[0] > '9')
		return -EINVAL;
	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || *end || v > 0xffff)
		return -EINVAL;
	*out = (unsigned int)v;
	return 0;
}

static void changed(struct req *r, const char *path, bool recursive,
		    const struct xs_perm *perms, uint32_t nperms)
{
	if (r->tx) {
		if (xs_event_add(&r->tx->events, &r->tx->events_tail, path, recursive,
				 perms, nperms))
			r->tx->failed = true;
	} else {
		xs_fire(r->xs, path, recursive, perms, nperms);
	}
}

/* the error for an absent node: EACCES if the caller may not even know */
static int absent_error(struct req *r, struct xs_view *v, const char *path)
{
	const struct xs_node *anc = NULL;

	if (xs_view_missing_ancestors(v, path, &anc) < 0 || !anc)
		return -ENOENT;
	return (xs_perm_for(r->xs, r->c, anc->perms, anc->nperms) & XS_PERM_READ) ? -ENOENT
										  : -EACCES;
}

/* canonical path of argument i; special (@) paths only where allowed */
static int path_arg(struct req *r, unsigned int i, bool special_ok, char **out)
{
	int rc;

	*out = NULL;
	if (i >= r->nargs)
		return -EINVAL;
	rc = xs_canonical_path(r->c, r->arg[i], out);
	if (rc)
		return rc;
	if ((*out)[0] == '@' && !special_ok) {
		free(*out);
		*out = NULL;
		return -EINVAL;
	}
	return 0;
}

/* a readable node at argument 0 */
static int readable_node(struct req *r, struct xs_view *v, char **path,
			 const struct xs_node **n)
{
	int rc = path_arg(r, 0, false, path);

	if (rc)
		return rc;
	*n = xs_view_get(v, *path);
	if (!*n)
		return absent_error(r, v, *path);
	if (!(xs_perm_for(r->xs, r->c, (*n)->perms, (*n)->nperms) & XS_PERM_READ))
		return -EACCES;
	return 0;
}

static int do_read(struct req *r, struct xs_view *v)
{
	char *path;
	const struct xs_node *n;
	int rc = readable_node(r, v, &path, &n);

	if (!rc)
		reply(r, n->value, n->vlen);
	free(path);
	return rc;
}

static int do_directory(struct req *r, struct xs_view *v)
{
	char *path;
	const struct xs_node *n;
	int rc = readable_node(r, v, &path, &n);

	if (!rc && n->clen > XENSTORE_PAYLOAD_MAX)
		rc = -E2BIG;
	if (!rc)
		reply(r, n->children, n->clen);
	free(path);
	return rc;
}

/*
 * A chunk of the child list from a byte offset, after the node's gen;
 * the last chunk ends with an extra empty name (libxenstore's end mark).
 */
static int do_directory_part(struct req *r, struct xs_view *v)
{
	char *path, gen[24], *buf = NULL;
	const struct xs_node *n;
	unsigned long off;
	uint32_t glen, take;
	char *end;
	int rc = readable_node(r, v, &path, &n);

	if (rc)
		goto out;
	rc = -EINVAL;
	if (r->nargs < 2 || r->arg[1][0] < '0' || r->arg[1][0] > '9')
		goto out;
	errno = 0;
	off = strtoul(r->arg[1], &end, 10);
	if (errno || *end || off > n->clen)
		goto out;
	glen = (uint32_t)snprintf(gen, sizeof(gen), "%" PRIu64, n->gen) + 1;
	take = 0;
	while (off + take < n->clen) {
		uint32_t nl = (uint32_t)strlen(n->children + off + take) + 1;

		if (glen + take + nl + 1 > XENSTORE_PAYLOAD_MAX)
			break;
		take += nl;
	}
	if (off + take < n->clen && !take) {
		rc = -E2BIG;
		goto out;
	}
	rc = -ENOMEM;
	buf = pm_t_malloc(glen + take + 1);
	if (!buf)
		goto out;
	memcpy(buf, gen, glen);
	memcpy(buf + glen, n->children + off, take);
	buf[glen + take] = 0;
	reply(r, buf, glen + take + (off + take == n->clen ? 1 : 0));
	rc = 0;
out:
	free(buf);
	free(path);
	return rc;
}

static const struct xs_perm *special_perms(struct pm_xs *xs, const char *path, uint32_t *np)
{
	int which = !strcmp(path, "@releaseDomain");

	*np = xs->special_nperms[which];
	return xs->special_perms[which];
}

static int do_get_perms(struct req *r, struct xs_view *v)
{
	char *path, buf[XENSTORE_PAYLOAD_MAX];
	const struct xs_perm *perms;
	uint32_t np, len = 0;
	int rc = path_arg(r, 0, true, &path);

	if (rc)
		return rc;
	if (path[0] == '@') {
		rc = -ENOENT;
		if (!xs_special_path(path))
			goto out;
		perms = special_perms(r->xs, path, &np);
	} else {
		const struct xs_node *n = xs_view_get(v, path);

		if (!n) {
			rc = absent_error(r, v, path);
			goto out;
		}
		perms = n->perms;
		np = n->nperms;
	}
	rc = -EACCES;
	if (!(xs_perm_for(r->xs, r->c, perms, np) & XS_PERM_READ))
		goto out;
	for (uint32_t i = 0; i < np && len + 16 < sizeof(buf); i++)
		len += (uint32_t)xs_perm_format(&perms[i], buf + len, sizeof(buf) - len) + 1;
	reply(r, buf, len);
	rc = 0;
out:
	free(path);
	return rc;
}

static bool may_own(struct req *r, const struct xs_perm *perms, uint32_t np)
{
	const struct xs_domain *d;

	if (r->c->priv)
		return true;
	if (!np)
		return false;
	if (perms[0].id == r->c->domid)
		return true;
	d = xs_domain_find(r->xs, r->c->domid);
	return d && d->has_target && perms[0].id == d->target;
}

static int do_set_perms(struct req *r, struct xs_view *v)
{
	struct xs_perm perms[MAX_ARGS];
	uint32_t np = 0;
	char *path;
	int rc = path_arg(r, 0, true, &path);

	if (rc)
		return rc;
	rc = -EINVAL;
	for (unsigned int i = 1; i < r->nargs; i++) {
		if (!r->arg[i][0] && i == r->nargs - 1)
			break;     /* the reserved trailing field */
		if (xs_perm_parse(r->arg[i], &perms[np++]))
			goto out;
	}
	if (!np)
		goto out;
	rc = -ENOSPC;
	if (!r->c->priv && np > r->xs->quota[PM_XS_QUOTA_PERMISSIONS])
		goto out;
	if (path[0] == '@') {
		int which = !strcmp(path, "@releaseDomain");
		struct xs_perm *copy;

		rc = xs_special_path(path) ? -EACCES : -ENOENT;
		if (rc == -EACCES && r->c->priv) {
			rc = -ENOMEM;
			copy = pm_t_malloc(np * sizeof(*copy));
			if (copy) {
				memcpy(copy, perms, np * sizeof(*copy));
				free(r->xs->special_perms[which]);
				r->xs->special_perms[which] = copy;
				r->xs->special_nperms[which] = np;
				rc = 0;
			}
		}
		if (!rc)
			reply_str(r, "OK");
		goto out;
	}
	{
		const struct xs_node *n = xs_view_get(v, path);
		struct xs_node *m;

		if (!n) {
			rc = absent_error(r, v, path);
			goto out;
		}
		rc = -EACCES;
		if (!may_own(r, n->perms, n->nperms))
			goto out;
		rc = -EPERM;
		if (!r->c->priv && perms[0].id != n->perms[0].id)
			goto out;
		rc = -ENOMEM;
		if (!xs_domain_get(r->xs, perms[0].id))
			goto out;
		m = xs_view_mut(v, path);
		if (!m)
			goto out;
		if (!r->tx)
			xs_count_owner(r->xs, m, -1);
		rc = xs_node_set_perms(m, perms, np);
		if (!r->tx)
			xs_count_owner(r->xs, m, 1);
		if (rc)
			goto out;
		changed(r, path, false, m->perms, m->nperms);
		reply_str(r, "OK");
	}
out:
	free(path);
	return rc;
}

/* room for `missing` more nodes of the caller's own */
static int nodes_quota_ok(struct req *r, long missing)
{
	struct xs_domain *d;

	if (r->c->priv || !missing)
		return 0;
	d = xs_domain_get(r->xs, r->c->domid);
	if (!d)
		return -ENOMEM;
	if (d->nodes + (r->tx ? r->tx->new_nodes : 0) + missing >
	    (long)r->xs->quota[PM_XS_QUOTA_NODES])
		return -ENOSPC;
	return 0;
}

/* the node at path, created (with its ancestors) if needed and allowed */
static int writable_node(struct req *r, struct xs_view *v, const char *path,
			 struct xs_node **out, bool *created)
{
	const struct xs_node *anc = NULL;
	long missing = xs_view_missing_ancestors(v, path, &anc);
	int rc;

	*created = false;
	if (missing < 0)
		return (int)missing;
	if (!(xs_perm_for(r->xs, r->c, anc->perms, anc->nperms) & XS_PERM_WRITE))
		return -EACCES;
	if (!missing) {
		*out = xs_view_mut(v, path);
		return *out ? 0 : -ENOMEM;
	}
	rc = nodes_quota_ok(r, missing);
	if (rc)
		return rc;
	rc = xs_view_create(v, r->c, path, out);
	if (!rc)
		*created = true;
	return rc;
}

static int do_write(struct req *r, struct xs_view *v)
{
	const char *nul = memchr(r->body, 0, r->len);
	uint32_t plen, vlen;
	struct xs_node *n;
	bool created;
	char *path;
	int rc;

	if (!nul)
		return -EINVAL;
	plen = (uint32_t)(nul - r->body);
	vlen = r->len - plen - 1;
	rc = path_arg(r, 0, false, &path);
	if (rc)
		return rc;
	rc = -ENOSPC;
	if (!r->c->priv && vlen > r->xs->quota[PM_XS_QUOTA_NODE_SIZE])
		goto out;
	rc = writable_node(r, v, path, &n, &created);
	if (rc)
		goto out;
	rc = xs_node_set_value(n, nul + 1, vlen);
	if (rc)
		goto out;
	changed(r, path, false, n->perms, n->nperms);
	reply_str(r, "OK");
out:
	free(path);
	return rc;
}

static int do_mkdir(struct req *r, struct xs_view *v)
{
	const struct xs_node *n;
	struct xs_node *m;
	bool created;
	char *path;
	int rc = path_arg(r, 0, false, &path);

	if (rc)
		return rc;
	n = xs_view_get(v, path);
	if (n) {
		rc = (xs_perm_for(r->xs, r->c, n->perms, n->nperms) & XS_PERM_WRITE) ? 0 : -EACCES;
	} else {
		rc = writable_node(r, v, path, &m, &created);
		if (!rc)
			changed(r, path, false, m->perms, m->nperms);
	}
	if (!rc)
		reply_str(r, "OK");
	free(path);
	return rc;
}

static int do_rm(struct req *r, struct xs_view *v)
{
	char parent[XENSTORE_ABS_PATH_MAX + 1];
	const struct xs_node *n;
	struct xs_perm *perms = NULL;
	uint32_t np;
	char *path;
	int rc = path_arg(r, 0, false, &path);

	if (rc)
		return rc;
	rc = -EINVAL;
	if (!strcmp(path, "/"))
		goto out;
	n = xs_view_get(v, path);
	if (!n) {
		xs_parent_path(path, parent, sizeof(parent));
		rc = xs_view_get(v, parent) ? 0 : absent_error(r, v, path);
		if (!rc)
			reply_str(r, "OK");
		goto out;
	}
	rc = -EACCES;
	if (!(xs_perm_for(r->xs, r->c, n->perms, n->nperms) & XS_PERM_WRITE))
		goto out;
	rc = -ENOMEM;
	np = n->nperms;
	perms = pm_t_malloc(np * sizeof(*perms) + 1);
	if (!perms)
		goto out;
	memcpy(perms, n->perms, np * sizeof(*perms));
	rc = xs_view_remove(v, path);
	if (rc)
		goto out;
	changed(r, path, true, perms, np);
	reply_str(r, "OK");
out:
	free(perms);
	free(path);
	return rc;
}

/* WATCH and UNWATCH: path and token */
static int watch_op(struct req *r, bool add)
{
	char *path;
	int rc;

	if (r->nargs < 2)
		return -EINVAL;
	rc = path_arg(r, 0, true, &path);
	if (rc)
		return rc;
	if (!add)
		rc = xs_watch_del(r->c, path, r->arg[1]);
	else
		rc = xs_watch_add(r->c, path, r->arg[1], r->arg[0][0] != '/' && r->arg[0][0] != '@');
	if (!rc)
		reply_str(r, "OK");
	/* a new watch fires once at once, with the path as the watcher gave it */
	if (!rc && add)
		xs_conn_queue(r->c, XS_WATCH_EVENT, 0, 0, r->arg[0], (uint32_t)strlen(r->arg[0]) + 1,
			      r->arg[1], (uint32_t)strlen(r->arg[1]) + 1, true);
	free(path);
	return rc;
}

static int do_watch(struct req *r, struct xs_view *v)
{
	return watch_op(r, true);
}

static int do_unwatch(struct req *r, struct xs_view *v)
{
	return watch_op(r, false);
}

static int do_reset_watches(struct req *r, struct xs_view *v)
{
	struct xs_domain *d = r->c->priv ? NULL : xs_domain_find(r->xs, r->c->domid);

	xs_watch_free_all(r->c);
	while (r->c->txs) {
		struct xs_tx *tx = r->c->txs;

		r->c->txs = tx->next;
		xs_tx_free(tx);
		if (d && d->txs)
			d->txs--;
	}
	reply_str(r, "OK");
	return 0;
}

static int do_transaction_start(struct req *r, struct xs_view *v)
{
	struct xs_domain *d = NULL;
	struct xs_tx *tx, *t;
	char id[16];

	if (r->hdr->tx_id)
		return -EBUSY;
	if (!r->c->priv) {
		d = xs_domain_get(r->xs, r->c->domid);
		if (!d)
			return -ENOMEM;
		if (d->txs >= r->xs->quota[PM_XS_QUOTA_TRANSACTIONS])
			return -ENOSPC;
	}
	tx = pm_t_calloc(1, sizeof(*tx));
	if (!tx || xs_table_init(&tx->overlay)) {
		xs_tx_free(tx);
		return -ENOMEM;
	}
	/* ids are per connection; never 0, never one still open */
	do {
		tx->id = ++r->c->next_txid;
		for (t = r->c->txs; t && tx->id; t = t->next)
			if (t->id == tx->id)
				tx->id = 0;
	} while (!tx->id);
	tx->next = r->c->txs;
	r->c->txs = tx;
	if (d)
		d->txs++;
	snprintf(id, sizeof(id), "%u", tx->id);
	reply_str(r, id);
	return 0;
}

static int do_transaction_end(struct req *r, struct xs_view *v)
{
	struct xs_domain *d = r->c->priv ? NULL : xs_domain_find(r->xs, r->c->domid);
	struct xs_tx **pp;
	bool commit;
	int rc = 0;

	if (!r->tx)
		return -ENOENT;
	if (r->nargs < 1 || (strcmp(r->arg[0], "T") && strcmp(r->arg[0], "F")))
		return -EINVAL;
	commit = r->arg[0][0] == 'T';
	for (pp = &r->c->txs; *pp != r->tx; pp = &(*pp)->next)
		;
	*pp = r->tx->next;
	if (d && d->txs)
		d->txs--;
	if (commit)
		rc = xs_tx_commit(r->xs, r->tx);
	xs_tx_free(r->tx);
	r->tx = NULL;
	if (!rc)
		reply_str(r, "OK");
	return rc;
}

static int do_introduce(struct req *r, struct xs_view *v)
{
	unsigned int domid, evtchn;
	long long mfn;
	char *end;
	int rc;

	if (r->nargs < 3 || parse_domid(r->arg[0], &domid) || parse_domid(r->arg[2], &evtchn))
		return -EINVAL;
	/* the mfn is signed decimal on the wire (xenstore.txt) */
	errno = 0;
	mfn = strtoll(r->arg[1], &end, 10);
	if (errno || end == r->arg[1] || *end)
		return -EINVAL;
	if (!domid || domid >= DOMID_FIRST_RESERVED)
		return -EINVAL;
	rc = r->xs->up->introduce(r->xs, domid, (uint64_t)mfn, evtchn);
	if (!rc)
		reply_str(r, "OK");
	return rc;
}

static int domid_arg(struct req *r, unsigned int *domid)
{
	if (r->nargs < 1 || parse_domid(r->arg[0], domid))
		return -EINVAL;
	return 0;
}

static int do_release(struct req *r, struct xs_view *v)
{
	unsigned int domid;
	int rc = domid_arg(r, &domid);

	if (!rc && (!domid || domid >= DOMID_FIRST_RESERVED))
		rc = -EINVAL;
	if (!rc)
		rc = r->xs->up->release(r->xs, domid);
	if (!rc)
		reply_str(r, "OK");
	return rc;
}

static int do_get_domain_path(struct req *r, struct xs_view *v)
{
	unsigned int domid;
	char buf[32];
	int rc = domid_arg(r, &domid);

	if (rc)
		return rc;
	snprintf(buf, sizeof(buf), "/local/domain/%u", domid);
	reply_str(r, buf);
	return 0;
}

static int do_is_domain_introduced(struct req *r, struct xs_view *v)
{
	const struct xs_domain *d;
	unsigned int domid;
	int rc = domid_arg(r, &domid);

	if (rc)
		return rc;
	d = xs_domain_find(r->xs, domid);
	reply_str(r, !domid || (d && d->introduced) ? "T" : "F");
	return 0;
}

static int do_resume(struct req *r, struct xs_view *v)
{
	struct xs_domain *d;
	unsigned int domid;
	int rc = domid_arg(r, &domid);

	if (rc)
		return rc;
	d = xs_domain_find(r->xs, domid);
	if (!d || !d->introduced)
		return -ENOENT;
	d->shutdown_fired = false;
	reply_str(r, "OK");
	return 0;
}

static int do_set_target(struct req *r, struct xs_view *v)
{
	unsigned int domid, target;
	struct xs_domain *d;

	if (r->nargs < 2 || parse_domid(r->arg[0], &domid) || parse_domid(r->arg[1], &target))
		return -EINVAL;
	d = xs_domain_get(r->xs, domid);
	if (!d)
		return -ENOMEM;
	d->has_target = true;
	d->target = target;
	reply_str(r, "OK");
	return 0;
}

static int control_quota(struct req *r)
{
	char buf[1024];
	size_t len = 0;
	unsigned int domid;

	if (r->nargs == 1) {
		for (int q = 0; q < PM_XS_QUOTA_COUNT; q++)
			len += (size_t)snprintf(buf + len, sizeof(buf) - len, "%-13s %u\n",
						pm_xs_quota_name(q), r->xs->quota[q]);
		reply_str(r, buf);
		return 0;
	}
	if (!strcmp(r->arg[1], "set")) {
		char *end;
		unsigned long val;

		if (r->nargs < 4)
			return -EINVAL;
		errno = 0;
		val = strtoul(r->arg[3], &end, 10);
		if (errno || *end || end == r->arg[3] || val > 0x7fffffff)
			return -EINVAL;
		for (int q = 0; q < PM_XS_QUOTA_COUNT; q++)
			if (!strcmp(r->arg[2], pm_xs_quota_name(q))) {
				r->xs->quota[q] = (unsigned int)val;
				reply_str(r, "OK");
				return 0;
			}
		return -EINVAL;
	}
	if (!parse_domid(r->arg[1], &domid)) {
		const struct xs_domain *d = xs_domain_find(r->xs, domid);

		if (!d)
			return -ENOENT;
		snprintf(buf, sizeof(buf), "nodes         %ld\nwatches       %u\ntransactions  %u\n",
			 d->nodes, d->watches, d->txs);
		reply_str(r, buf);
		return 0;
	}
	return -EINVAL;
}

/* a domain's ring connection, or NULL */
static struct pm_xs_conn *ring_of(struct pm_xs *xs, unsigned int domid)
{
	struct xs_domain *d = domid ? xs_domain_find(xs, domid) : NULL;

	for (struct pm_xs_conn *c = d ? d->conns : NULL; c; c = c->dom_next)
		if (c->kind == XS_CONN_RING && !c->dead)
			return c;
	return NULL;
}

/*
 * "watches DOMID": the watches domain DOMID's ring set, a line each,
 * "PATH\tTOKEN", PATH as the guest gave it (relative to its home, or
 * absolute); "watch DOMID PATH TOKEN" sets one on its behalf and fires it
 * once, as its own would. Save and restore carry a guest's watches so:
 * its store connection moves with it.
 */
static int control_watches(struct req *r)
{
	struct pm_xs_conn *c;
	unsigned int domid;
	char *buf = NULL, home[64];
	size_t len = 0, cap = 0, hl;

	if (r->nargs != 2 || parse_domid(r->arg[1], &domid))
		return -EINVAL;
	c = ring_of(r->xs, domid);
	if (!c)
		return -ENOENT;
	hl = (size_t)snprintf(home, sizeof(home), "/local/domain/%u/", domid);
	for (const struct xs_watch *w = c->watches; w; w = w->next) {
		const char *path = w->relative && !strncmp(w->path, home, hl) ? w->path + hl : w->path;
		size_t need = strlen(path) + strlen(w->token) + 3;

		if (strpbrk(w->token, "\t\n"))
			continue;   /* not expressible in a line: tokens are the guest's choice */
		if (len + need > cap) {
			char *b = pm_t_realloc(buf, cap = (len + need) * 2);

			if (!b) {
				free(buf);
				return -ENOMEM;
			}
			buf = b;
		}
		len += (size_t)snprintf(buf + len, cap - len, "%s\t%s\n", path, w->token);
	}
	reply_str(r, buf ? buf : "");
	free(buf);
	return 0;
}

static int control_watch(struct req *r)
{
	struct pm_xs_conn *c;
	unsigned int domid;
	char *path;
	int rc;

	if (r->nargs != 4 || parse_domid(r->arg[1], &domid) || !r->arg[2][0])
		return -EINVAL;
	c = ring_of(r->xs, domid);
	if (!c)
		return -ENOENT;
	if (r->arg[2][0] == '/' || r->arg[2][0] == '@')
		path = pm_t_strdup(r->arg[2]);
	else if (asprintf(&path, "/local/domain/%u/%s", domid, r->arg[2]) < 0)
		path = NULL;
	if (!path)
		return -ENOMEM;
	rc = xs_watch_add(c, path, r->arg[3], r->arg[2][0] != '/' && r->arg[2][0] != '@');
	free(path);
	if (rc)
		return rc;
	xs_conn_queue(c, XS_WATCH_EVENT, 0, 0, r->arg[2], (uint32_t)strlen(r->arg[2]) + 1, r->arg[3],
		      (uint32_t)strlen(r->arg[3]) + 1, true);
	c->xs->up->flush(c);
	reply_str(r, "OK");
	return 0;
}

static int do_control(struct req *r, struct xs_view *v)
{
	if (r->nargs < 1)
		return -EINVAL;
	if (!strcmp(r->arg[0], "check")) {
		int rc = xs_check(r->xs);

		if (!rc)
			reply_str(r, "OK");
		return rc;
	}
	if (!strcmp(r->arg[0], "log")) {
		if (r->nargs < 2 || (strcmp(r->arg[1], "on") && strcmp(r->arg[1], "off")))
			return -EINVAL;
		r->xs->logging = !strcmp(r->arg[1], "on");
		reply_str(r, "OK");
		return 0;
	}
	if (!strcmp(r->arg[0], "quota"))
		return control_quota(r);
	if (!strcmp(r->arg[0], "watches"))
		return control_watches(r);
	if (!strcmp(r->arg[0], "watch"))
		return control_watch(r);
	if (!strcmp(r->arg[0], "help")) {
		reply_str(r, "check\nlog on|off\nquota [set <name> <value>|<domid>]\nwatches <domid>\n"
			     "watch <domid> <path> <token>\nhelp\n");
		return 0;
	}
	return -EINVAL;
}

struct handler {
	const char *name;
	int (*fn)(struct req *r, struct xs_view *v);
	bool priv;          /* dom0 only */
	bool tx;            /* works inside a transaction */
};

static const struct handler handlers[XS_TYPE_COUNT] = {
	[XS_CONTROL] = { "CONTROL", do_control, true, false },
	[XS_DIRECTORY] = { "DIRECTORY", do_directory, false, true },
	[XS_READ] = { "READ", do_read, false, true },
	[XS_GET_PERMS] = { "GET_PERMS", do_get_perms, false, true },
	[XS_WATCH] = { "WATCH", do_watch, false, false },
	[XS_UNWATCH] = { "UNWATCH", do_unwatch, false, false },
	[XS_TRANSACTION_START] = { "TRANSACTION_START", do_transaction_start, false, false },
	[XS_TRANSACTION_END] = { "TRANSACTION_END", do_transaction_end, false, true },
	[XS_INTRODUCE] = { "INTRODUCE", do_introduce, true, false },
	[XS_RELEASE] = { "RELEASE", do_release, true, false },
	[XS_GET_DOMAIN_PATH] = { "GET_DOMAIN_PATH", do_get_domain_path, false, false },
	[XS_WRITE] = { "WRITE", do_write, false, true },
	[XS_MKDIR] = { "MKDIR", do_mkdir, false, true },
	[XS_RM] = { "RM", do_rm, false, true },
	[XS_SET_PERMS] = { "SET_PERMS", do_set_perms, false, true },
	[XS_IS_DOMAIN_INTRODUCED] = { "IS_DOMAIN_INTRODUCED", do_is_domain_introduced, false, false },
	[XS_RESUME] = { "RESUME", do_resume, true, false },
	[XS_SET_TARGET] = { "SET_TARGET", do_set_target, true, false },
	[XS_RESET_WATCHES] = { "RESET_WATCHES", do_reset_watches, false, false },
	[XS_DIRECTORY_PART] = { "DIRECTORY_PART", do_directory_part, false, true },
};

void xs_handle(struct pm_xs_conn *c, const struct xsd_sockmsg *hdr, const char *body)
{
	struct req r = { .c = c, .xs = c->xs, .hdr = hdr, .body = body, .len = hdr->len };
	const struct handler *h = hdr->type < XS_TYPE_COUNT ? &handlers[hdr->type] : NULL;
	struct xs_view v = { .xs = c->xs };
	int rc;

	split_args(&r);
	if (c->xs->logging)
		xs_log(c->xs, "conn %p dom%u: %s %s", (void *)c, c->domid,
		       h && h->name ? h->name : "(unknown)", r.nargs ? r.arg[0] : "");
	/* a WRITE's value may hold any number of nuls; nothing else has that many strings */
	if (!h || !h->fn || (r.too_many && hdr->type != XS_WRITE)) {
		reply_err(&r, EINVAL);
		return;
	}
	if (h->priv && !c->priv) {
		reply_err(&r, EACCES);
		return;
	}
	/* requests that know no transaction ignore tx_id (WATCH, per xenstore.txt) */
	if (hdr->tx_id && h->tx) {
		for (r.tx = c->txs; r.tx && r.tx->id != hdr->tx_id; r.tx = r.tx->next)
			;
		if (!r.tx) {
			reply_err(&r, ENOENT);
			return;
		}
		v.tx = r.tx;
	}
	rc = h->fn(&r, &v);
	if (rc)
		reply_err(&r, -rc);
}
