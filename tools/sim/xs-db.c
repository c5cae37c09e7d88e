/*
 * tools/sim/xs-db.c - the store's database: nodes in a hash table keyed by
 * absolute path, path rules, permissions, and the views (database or
 * transaction overlay) every operation goes through
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "failalloc.h"
#include "xs-internal.h"

uint32_t xs_hash(const char *s)
{
	uint32_t h = 2166136261u;     /* FNV-1a */

	for (; *s; s++)
		h = (h ^ (uint8_t)*s) * 16777619u;
	return h;
}

int xs_table_init(struct xs_table *t)
{
	t->nbuckets = 64;
	t->count = 0;
	t->buckets = pm_t_calloc(t->nbuckets, sizeof(*t->buckets));
	return t->buckets ? 0 : -ENOMEM;
}

void xs_table_dispose(struct xs_table *t)
{
	for (size_t i = 0; t->buckets && i < t->nbuckets; i++) {
		struct xs_node *n = t->buckets[i], *next;

		for (; n; n = next) {
			next = n->hnext;
			xs_node_free(n);
		}
	}
	free(t->buckets);
	t->buckets = NULL;
	t->nbuckets = t->count = 0;
}

struct xs_node *xs_table_find(const struct xs_table *t, const char *path, uint32_t h)
{
	struct xs_node *n = t->buckets[h & (t->nbuckets - 1)];

	for (; n; n = n->hnext)
		if (n->hash == h && !strcmp(n->path, path))
			return n;
	return NULL;
}

/* grows at load 1; if the bigger array cannot be had, chains just get longer */
static void table_grow(struct xs_table *t)
{
	size_t nb = t->nbuckets * 2;
	struct xs_node **b = pm_t_calloc(nb, sizeof(*b));

	if (!b)
		return;
	for (size_t i = 0; i < t->nbuckets; i++) {
		struct xs_node *n = t->buckets[i], *next;

		for (; n; n = next) {
			next = n->hnext;
			n->hnext = b[n->hash & (nb - 1)];
			b[n->hash & (nb - 1)] = n;
		}
	}
	free(t->buckets);
	t->buckets = b;
	t->nbuckets = nb;
}

int xs_table_insert(struct xs_table *t, struct xs_node *n)
{
	struct xs_node **b;

	if (t->count >= t->nbuckets)
		table_grow(t);
	b = &t->buckets[n->hash & (t->nbuckets - 1)];
	n->hnext = *b;
	*b = n;
	t->count++;
	return 0;
}

struct xs_node *xs_table_take(struct xs_table *t, const char *path, uint32_t h)
{
	struct xs_node **pp = &t->buckets[h & (t->nbuckets - 1)];

	for (; *pp; pp = &(*pp)->hnext) {
		struct xs_node *n = *pp;

		if (n->hash == h && !strcmp(n->path, path)) {
			*pp = n->hnext;
			t->count--;
			return n;
		}
	}
	return NULL;
}

struct xs_node *xs_node_new(const char *path)
{
	struct xs_node *n = pm_t_calloc(1, sizeof(*n));

	if (!n)
		return NULL;
	n->path = pm_t_strdup(path);
	if (!n->path) {
		free(n);
		return NULL;
	}
	n->hash = xs_hash(path);
	return n;
}

void xs_node_free(struct xs_node *n)
{
	if (!n)
		return;
	free(n->path);
	free(n->value);
	free(n->children);
	free(n->perms);
	free(n);
}

static void *dup_bytes(const void *p, size_t len)
{
	void *q;

	if (!len)
		return NULL;
	q = pm_t_malloc(len);
	if (q)
		memcpy(q, p, len);
	return q;
}

struct xs_node *xs_node_copy(const struct xs_node *n)
{
	struct xs_node *c = xs_node_new(n->path);

	if (!c)
		return NULL;
	if (xs_node_set_value(c, n->value, n->vlen) ||
	    xs_node_set_perms(c, n->perms, n->nperms))
		goto fail;
	c->children = dup_bytes(n->children, n->clen);
	if (n->clen && !c->children)
		goto fail;
	c->clen = n->clen;
	c->gen = n->gen;
	return c;
fail:
	xs_node_free(c);
	return NULL;
}

int xs_node_set_value(struct xs_node *n, const void *v, uint32_t len)
{
	char *nv = dup_bytes(v, len);

	if (len && !nv)
		return -ENOMEM;
	free(n->value);
	n->value = nv;
	n->vlen = len;
	return 0;
}

int xs_node_set_perms(struct xs_node *n, const struct xs_perm *p, uint32_t np)
{
	struct xs_perm *q = dup_bytes(p, np * sizeof(*p));

	if (np && !q)
		return -ENOMEM;
	free(n->perms);
	n->perms = q;
	n->nperms = np;
	return 0;
}

/* the offset of name in the packed child list, or -1 */
static long children_find(const struct xs_node *n, const char *name)
{
	size_t len = strlen(name) + 1;

	for (uint32_t off = 0; off < n->clen;) {
		const char *c = n->children + off;
		size_t clen = strlen(c) + 1;

		if (clen == len && !memcmp(c, name, len))
			return off;
		off += clen;
	}
	return -1;
}

bool xs_children_has(const struct xs_node *n, const char *name)
{
	return children_find(n, name) >= 0;
}

int xs_children_add(struct xs_node *n, const char *name)
{
	size_t len = strlen(name) + 1;
	char *c = pm_t_realloc(n->children, n->clen + len);

	if (!c)
		return -ENOMEM;
	memcpy(c + n->clen, name, len);
	n->children = c;
	n->clen += len;
	return 0;
}

void xs_children_del(struct xs_node *n, const char *name)
{
	long off = children_find(n, name);
	size_t len = strlen(name) + 1;

	if (off < 0)
		return;
	memmove(n->children + off, n->children + off + len, n->clen - off - len);
	n->clen -= len;
}

/* ---- paths ---------------------------------------------------------------- */

static bool path_char_ok(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '-' || c == '/' || c == '_' || c == '@';
}

bool xs_special_path(const char *p)
{
	return !strcmp(p, "@introduceDomain") || !strcmp(p, "@releaseDomain");
}

const char *xs_basename(const char *path)
{
	return strrchr(path, '/') + 1;
}

int xs_parent_path(const char *path, char *buf, size_t len)
{
	const char *slash = strrchr(path, '/');
	size_t plen = slash == path ? 1 : (size_t)(slash - path);

	if (plen >= len)
		return -ENAMETOOLONG;
	memcpy(buf, path, plen);
	buf[plen] = 0;
	return 0;
}

/*
 * The absolute path a connection means by in: relative paths hang below
 * /local/domain/<domid> (dom0's socket connections included, as in C
 * xenstored). Checks the character set, doubled and trailing slashes, the
 * length limits, and for unprivileged connections the path-max quota on
 * what lies below their home.
 */
int xs_canonical_path(const struct pm_xs_conn *c, const char *in, char **out)
{
	char home[32];
	size_t hlen, len = strlen(in);
	char *p;

	*out = NULL;
	if (!len)
		return -EINVAL;
	for (size_t i = 0; i < len; i++)
		if (!path_char_ok(in[i]) || (in[i] == '/' && in[i + 1] == '/'))
			return -EINVAL;
	if (in[0] == '@')
		return (*out = pm_t_strdup(in)) ? 0 : -ENOMEM;
	hlen = (size_t)snprintf(home, sizeof(home), "/local/domain/%u", c->domid);
	if (in[0] != '/') {
		if (len > XENSTORE_REL_PATH_MAX || in[len - 1] == '/')
			return -EINVAL;
		if (asprintf(&p, "%s/%s", home, in) < 0)
			return -ENOMEM;
	} else {
		if (len > 1 && in[len - 1] == '/')
			return -EINVAL;
		if (!(p = pm_t_strdup(in)))
			return -ENOMEM;
	}
	len = strlen(p);
	if (len > XENSTORE_ABS_PATH_MAX ||
	    (!c->priv && !strncmp(p, home, hlen) && p[hlen] == '/' &&
	     len - hlen - 1 > c->xs->quota[PM_XS_QUOTA_PATH_MAX])) {
		free(p);
		return -EINVAL;
	}
	*out = p;
	return 0;
}

/* ---- permissions ----------------------------------------------------------- */

/*
 * What c may do with a node: everything if privileged or the owner (or
 * the target of a device-model domain is the owner); else the first
 * entry naming c's domain or its target; else what perms[0] grants all.
 */
int xs_perm_parse(const char *s, struct xs_perm *p)
{
	char *end;
	unsigned long id;

	switch (s[0]) {
	case 'n': p->perms = XS_PERM_NONE; break;
	case 'r': p->perms = XS_PERM_READ; break;
	case 'w': p->perms = XS_PERM_WRITE; break;
	case 'b': p->perms = XS_PERM_BOTH; break;
	default: return -EINVAL;
	}
	if (s[1] < '0' || s[1] > '9')
		return -EINVAL;
	errno = 0;
	id = strtoul(s + 1, &end, 10);
	if (errno || *end || id > 0xffff)
		return -EINVAL;
	p->id = (uint32_t)id;
	return 0;
}

int xs_perm_format(const struct xs_perm *p, char *buf, size_t len)
{
	static const char letter[] = "nrwb";

	return snprintf(buf, len, "%c%u", letter[p->perms & 3], p->id);
}

/* ---- views ------------------------------------------------------------------ */

/* a transaction's entry for path: its first look at the database, kept */
static struct xs_node *tx_entry(struct xs_view *v, const char *path, uint32_t h)
{
	struct xs_node *o = xs_table_find(&v->tx->overlay, path, h);
	const struct xs_node *m;

	if (o)
		return o;
	m = xs_table_find(&v->xs->db, path, h);
	o = m ? xs_node_copy(m) : xs_node_new(path);
	if (!o) {
		v->tx->failed = true;
		return NULL;
	}
	o->deleted = !m;
	xs_table_insert(&v->tx->overlay, o);
	return o;
}

const struct xs_node *xs_view_get(struct xs_view *v, const char *path)
{
	uint32_t h = xs_hash(path);
	struct xs_node *n;

	if (!v->tx)
		return xs_table_find(&v->xs->db, path, h);
	n = tx_entry(v, path, h);
	return n && !n->deleted ? n : NULL;
}

struct xs_node *xs_view_mut(struct xs_view *v, const char *path)
{
	uint32_t h = xs_hash(path);
	struct xs_node *n;

	if (!v->tx) {
		n = xs_table_find(&v->xs->db, path, h);
		if (n)
			n->gen = ++v->xs->gen;
		return n;
	}
	n = tx_entry(v, path, h);
	if (!n || n->deleted)
		return NULL;
	n->modified = true;
	return n;
}

/*
 * How many of path and its ancestors do not exist in the view; the
 * nearest existing ancestor (or the node itself) in *existing.
 */
long xs_view_missing_ancestors(struct xs_view *v, const char *path,
			       const struct xs_node **existing)
{
	char buf[XENSTORE_ABS_PATH_MAX + 1];
	long missing = 0;

	if (strlen(path) > XENSTORE_ABS_PATH_MAX)
		return -EINVAL;
	strcpy(buf, path);
	for (;;) {
		const struct xs_node *n = xs_view_get(v, buf);

		if (n) {
			*existing = n;
			return missing;
		}
		missing++;
		xs_parent_path(buf, buf, sizeof(buf));
	}
}

/* whether perms[j]'s domain appears in perms[0..j) already */
static bool named_before(const struct xs_node *n, uint32_t j)
{
	for (uint32_t k = 0; k < j; k++)
		if (n->perms[k].id == n->perms[j].id)
			return true;
	return false;
}

void xs_count_owner(struct pm_xs *xs, const struct xs_node *n, long delta)
{
	struct xs_domain *d;

	if (!n || !n->nperms)
		return;
	d = xs_domain_find(xs, n->perms[0].id);
	if (d)
		d->nodes += delta;
	/* every domain the node names (owner or entry), once: xs_owner_changed skips one named nowhere */
	for (uint32_t j = 0; j < n->nperms; j++)
		if (n->perms[j].id < XS_DOMIDS && !named_before(n, j))
			xs->named[n->perms[j].id] += (int32_t)delta;
}

/* puts a new node (owned by the caller until now) into the view */
static int view_put(struct xs_view *v, struct xs_node *n)
{
	struct xs_node *mark;

	if (!v->tx) {
		n->gen = ++v->xs->gen;
		xs_table_insert(&v->xs->db, n);
		xs_count_owner(v->xs, n, 1);
		return 0;
	}
	/* the absent mark's gen is what the transaction saw: keep it */
	mark = xs_table_take(&v->tx->overlay, n->path, n->hash);
	n->gen = mark ? mark->gen : 0;
	n->modified = true;
	xs_node_free(mark);
	xs_table_insert(&v->tx->overlay, n);
	return 0;
}

/*
 * Creates path (absent in the view) and any missing ancestors, each with
 * its parent's permissions; nodes an unprivileged domain creates are its own.
 */
int xs_view_create(struct xs_view *v, const struct pm_xs_conn *c, const char *path,
		   struct xs_node **out)
{
	char parent_path[XENSTORE_ABS_PATH_MAX + 1];
	struct xs_node *parent, *n = NULL;
	int rc;

	rc = xs_parent_path(path, parent_path, sizeof(parent_path));
	if (rc)
		return rc;
	parent = xs_view_mut(v, parent_path);
	if (!parent) {
		if (v->tx && v->tx->failed)
			return -ENOMEM;
		rc = xs_view_create(v, c, parent_path, &parent);
		if (rc)
			return rc;
	}
	n = xs_node_new(path);
	if (!n)
		return -ENOMEM;
	rc = xs_node_set_perms(n, parent->perms, parent->nperms);
	if (rc)
		goto fail;
	if (!c->priv && n->nperms)
		n->perms[0].id = c->domid;
	if (n->nperms && !xs_domain_get(v->xs, n->perms[0].id)) {
		rc = -ENOMEM;
		goto fail;
	}
	rc = xs_children_add(parent, xs_basename(path));
	if (rc)
		goto fail;
	if (v->tx && !c->priv)
		v->tx->new_nodes++;
	view_put(v, n);
	*out = n;
	return 0;
fail:
	xs_node_free(n);
	return rc;
}

/* turns a transaction's entry into a deletion mark (its gen stays: what it saw) */
static void tx_delete(struct xs_view *v, struct xs_node *o)
{
	free(o->value);
	free(o->children);
	free(o->perms);
	o->value = o->children = NULL;
	o->perms = NULL;
	o->vlen = o->clen = o->nperms = 0;
	o->deleted = true;
	o->modified = true;
}

/* removes the descendants of n (which stays), leaving n's child list alone */
static void view_remove_below(struct xs_view *v, const struct xs_node *n)
{
	size_t plen = strlen(n->path);
	/* n may be freed or rewritten while we walk: work on a copy of the list */
	char *names = n->clen ? pm_t_malloc(n->clen) : NULL;
	uint32_t clen = n->clen;

	if (clen && !names) {
		if (v->tx)
			v->tx->failed = true;
		return;
	}
	if (clen)
		memcpy(names, n->children, clen);
	for (uint32_t off = 0; off < clen; off += strlen(names + off) + 1) {
		char *cp;
		const struct xs_node *child;

		if (asprintf(&cp, "%s/%s", plen == 1 ? "" : n->path, names + off) < 0) {
			if (v->tx)
				v->tx->failed = true;
			continue;
		}
		child = xs_view_get(v, cp);
		if (child) {
			view_remove_below(v, child);
			if (!v->tx) {
				struct xs_node *m = xs_table_take(&v->xs->db, cp, xs_hash(cp));

				xs_count_owner(v->xs, m, -1);
				xs_node_free(m);
			} else {
				tx_delete(v, (struct xs_node *)child);
			}
		}
		free(cp);
	}
	free(names);
}

/* removes path (which exists in the view, and is not "/") and everything below */
int xs_view_remove(struct xs_view *v, const char *path)
{
	char parent_path[XENSTORE_ABS_PATH_MAX + 1];
	const struct xs_node *n = xs_view_get(v, path);
	struct xs_node *parent;
	uint32_t h = xs_hash(path);

	if (!n)
		return -ENOENT;
	xs_parent_path(path, parent_path, sizeof(parent_path));
	view_remove_below(v, n);
	if (!v->tx) {
		struct xs_node *m = xs_table_take(&v->xs->db, path, h);

		xs_count_owner(v->xs, m, -1);
		xs_node_free(m);
	} else {
		tx_delete(v, (struct xs_node *)n);
	}
	parent = xs_view_mut(v, parent_path);
	if (parent)
		xs_children_del(parent, xs_basename(path));
	return 0;
}

/* ---- transactions ------------------------------------------------------------- */

void xs_tx_free(struct xs_tx *tx)
{
	if (!tx)
		return;
	xs_table_dispose(&tx->overlay);
	xs_event_free_all(tx->events);
	free(tx);
}

/*
 * Commits tx if nothing it saw has changed since it looked; the overlay's
 * nodes then replace (or delete) the database's, each with a new gen, and
 * the transaction's events fire. tx is not freed.
 */
int xs_tx_commit(struct pm_xs *xs, struct xs_tx *tx)
{
	if (tx->failed)
		return -EAGAIN;
	for (size_t i = 0; i < tx->overlay.nbuckets; i++)
		for (struct xs_node *o = tx->overlay.buckets[i]; o; o = o->hnext) {
			const struct xs_node *m = xs_table_find(&xs->db, o->path, o->hash);

			if ((m ? m->gen : 0) != o->gen)
				return -EAGAIN;
		}
	for (size_t i = 0; i < tx->overlay.nbuckets; i++) {
		struct xs_node *o = tx->overlay.buckets[i], *next;

		for (; o; o = next) {
			struct xs_node *m;

			next = o->hnext;
			if (!o->modified) {
				xs_node_free(o);
				continue;
			}
			m = xs_table_take(&xs->db, o->path, o->hash);
			if (m) {
				xs_count_owner(xs, m, -1);
				xs_node_free(m);
			}
			if (o->deleted) {
				xs_node_free(o);
				continue;
			}
			o->gen = ++xs->gen;
			o->modified = false;
			xs_table_insert(&xs->db, o);
			xs_count_owner(xs, o, 1);
		}
		tx->overlay.buckets[i] = NULL;
	}
	tx->overlay.count = 0;
	for (struct xs_event *e = tx->events; e; e = e->next)
		xs_fire(xs, e->path, e->recursive, e->perms, e->nperms);
	return 0;
}

/* a domain is gone: what it owned passes to new_owner, its own entries go */
/* @n no longer names @old_owner: its owner @new_owner if it was @old_owner, its entry for it gone */
static void disown(struct pm_xs *xs, struct xs_node *n, uint32_t old_owner, uint32_t new_owner)
{
	uint32_t j, k;
	bool named = false;

	for (j = 0; j < n->nperms && !named; j++)
		named = n->perms[j].id == old_owner;
	if (!named)
		return;
	xs_count_owner(xs, n, -1);
	if (n->perms[0].id == old_owner)
		n->perms[0].id = new_owner;
	for (j = k = 1; j < n->nperms; j++)
		if (n->perms[j].id != old_owner)
			n->perms[k++] = n->perms[j];
	n->nperms = k;
	n->gen = ++xs->gen;
	xs_count_owner(xs, n, 1);
}

/* disown() over the tree at @path (a buffer of XENSTORE_ABS_PATH_MAX + 1 it may extend) */
static void disown_tree(struct pm_xs *xs, char *path, uint32_t old_owner, uint32_t new_owner)
{
	struct xs_node *n = xs_table_find(&xs->db, path, xs_hash(path));
	size_t len = strlen(path);

	if (!n)
		return;
	disown(xs, n, old_owner, new_owner);
	for (uint32_t off = 0; off < n->clen; off += (uint32_t)strlen(n->children + off) + 1) {
		if (len + 1 + strlen(n->children + off) > XENSTORE_ABS_PATH_MAX)
			continue;
		snprintf(path + len, XENSTORE_ABS_PATH_MAX + 1 - len, "/%s", n->children + off);
		disown_tree(xs, path, old_owner, new_owner);
		path[len] = 0;
	}
}

void xs_owner_changed(struct pm_xs *xs, uint32_t old_owner, uint32_t new_owner)
{
	char path[XENSTORE_ABS_PATH_MAX + 1];

	/* its home first: where a domain's nodes are, so that a release walks
	 * them, not the whole store; the rest only if a node elsewhere names it */
	snprintf(path, sizeof(path), "/local/domain/%u", old_owner);
	disown_tree(xs, path, old_owner, new_owner);
	if (old_owner < XS_DOMIDS && !xs->named[old_owner])
		return;
	for (size_t i = 0; i < xs->db.nbuckets; i++)
		for (struct xs_node *n = xs->db.buckets[i]; n; n = n->hnext)
			disown(xs, n, old_owner, new_owner);
}

/* ---- the check (CONTROL check, pm_xs_check) ---- */

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
	for (uint32_t id = 0; id < XS_DOMIDS; id++) {
		long named = 0;

		if (!xs->named[id])
			continue;   /* a count that should be non-zero is found below, by the nodes */
		for (size_t i = 0; i < xs->db.nbuckets; i++)
			for (struct xs_node *n = xs->db.buckets[i]; n; n = n->hnext)
				for (uint32_t j = 0; j < n->nperms; j++)
					if (n->perms[j].id == id) {
						named++;
						break;
					}
		if (named != xs->named[id])
			return -EIO;
	}
	for (size_t i = 0; i < xs->db.nbuckets; i++)
		for (struct xs_node *n = xs->db.buckets[i]; n; n = n->hnext)
			for (uint32_t j = 0; j < n->nperms; j++)
				if (n->perms[j].id < XS_DOMIDS && !xs->named[n->perms[j].id])
					return -EIO;   /* named by a node, counted nowhere */
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
