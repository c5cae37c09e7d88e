/*
 * tools/sim/xs-watch.c - watches and the events that fire them
 *
 * An event on path P fires every watch on P or an ancestor of P (the event
 * path is P); a recursive removal of P also fires the watches below P (the
 * event path is then the watch's own path). A watcher only hears about
 * nodes it may read, judged by the permissions the node had when it changed.
 *
 * What an event costs does not grow with the connections or watches the
 * store has: the watched paths are kept sorted (xs->wpaths), so an event
 * looks up its path's ancestors, and a recursive removal the range of paths
 * below it. The watches an event fires are delivered in the order a scan of
 * every connection (newest first) and its watches (oldest first) would.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "failalloc.h"
#include "xs-internal.h"

int xs_event_add(struct xs_event **head, struct xs_event ***tail, const char *path,
		 bool recursive, const struct xs_perm *perms, uint32_t nperms)
{
	struct xs_event *e = pm_t_calloc(1, sizeof(*e));

	if (!e)
		return -ENOMEM;
	e->path = pm_t_strdup(path);
	e->perms = nperms ? pm_t_malloc(nperms * sizeof(*perms)) : NULL;
	if (!e->path || (nperms && !e->perms)) {
		free(e->path);
		free(e->perms);
		free(e);
		return -ENOMEM;
	}
	if (nperms)
		memcpy(e->perms, perms, nperms * sizeof(*perms));
	e->nperms = nperms;
	e->recursive = recursive;
	if (!*tail)
		*tail = head;
	**tail = e;
	*tail = &e->next;
	return 0;
}

void xs_event_free_all(struct xs_event *e)
{
	while (e) {
		struct xs_event *next = e->next;

		free(e->path);
		free(e->perms);
		free(e);
		e = next;
	}
}

static void deliver(struct pm_xs_conn *c, const struct xs_watch *w, const char *epath)
{
	char home[32];
	size_t hlen;

	if (!c->priv && c->out_events >= c->xs->quota[PM_XS_QUOTA_WATCH_EVENTS]) {
		c->events_dropped++;
		return;
	}
	if (w->relative) {
		hlen = (size_t)snprintf(home, sizeof(home), "/local/domain/%u/", c->domid);
		if (!strncmp(epath, home, hlen))
			epath += hlen;
	}
	if (xs_conn_queue(c, XS_WATCH_EVENT, 0, 0, epath, (uint32_t)strlen(epath) + 1,
			  w->token, (uint32_t)strlen(w->token) + 1, true))
		c->events_dropped++;
}

/* strcmp of the first len bytes of key (a string of at least len bytes) against s */
static int keycmp(const char *key, size_t len, const char *s)
{
	int d = strncmp(key, s, len);

	return d ? d : -(unsigned char)s[len];
}

/* the index of the first watched path not below key[0, len) in strcmp order */
static uint32_t wpath_lower(const struct pm_xs *xs, const char *key, size_t len)
{
	uint32_t lo = 0, hi = xs->nr_wpaths;

	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;

		if (keycmp(key, len, xs->wpaths[mid].path) > 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static struct xs_wpath *wpath_find(struct pm_xs *xs, const char *key, size_t len)
{
	uint32_t i = wpath_lower(xs, key, len);

	if (i < xs->nr_wpaths && !keycmp(key, len, xs->wpaths[i].path))
		return &xs->wpaths[i];
	return NULL;
}

struct match {
	struct xs_watch *w;
	const char *epath;
};

struct matches {
	struct match *m;
	size_t n, cap;      /* those past cap are only counted */
	bool direct;        /* deliver each at once, in no particular order */
};

static void add_all(struct pm_xs *xs, struct matches *ms, const struct xs_wpath *wp, const char *epath,
		    const struct xs_perm *perms, uint32_t nperms)
{
	for (struct xs_watch *w = wp->watches; w; w = w->pnext) {
		if (w->conn->dead || !(xs_perm_for(xs, w->conn, perms, nperms) & XS_PERM_READ))
			continue;
		if (ms->direct)
			deliver(w->conn, w, epath);
		else if (ms->n < ms->cap)
			ms->m[ms->n] = (struct match){ w, epath };
		ms->n++;
	}
}

/* the watches an event on path fires: on path or an ancestor; below it if recursive */
static void collect(struct pm_xs *xs, struct matches *ms, const char *path, bool recursive,
		    const struct xs_perm *perms, uint32_t nperms)
{
	size_t len = strlen(path);
	struct xs_wpath *wp;

	if (path[0] == '@') {
		if ((wp = wpath_find(xs, path, len)))
			add_all(xs, ms, wp, path, perms, nperms);
		return;
	}
	/* "/", each ancestor (path up to one of its '/'), path itself */
	if ((wp = wpath_find(xs, "/", 1)))
		add_all(xs, ms, wp, path, perms, nperms);
	for (size_t i = 1; i <= len && len > 1; i++)
		if ((i == len || path[i] == '/') && (wp = wpath_find(xs, path, i)))
			add_all(xs, ms, wp, path, perms, nperms);
	if (!recursive)
		return;
	/* below path: the paths that begin with path and a '/' ("/" is every absolute one) */
	char *prefix = NULL;
	size_t plen = len == 1 ? 1 : len + 1;
	if (len > 1) {
		prefix = pm_t_malloc(plen + 1);
		if (!prefix)
			return;
		memcpy(prefix, path, len);
		prefix[len] = '/';
		prefix[plen] = 0;
	}
	const char *pre = prefix ? prefix : path;
	for (uint32_t i = wpath_lower(xs, pre, plen); i < xs->nr_wpaths; i++) {
		const char *wpp = xs->wpaths[i].path;

		if (strncmp(wpp, pre, plen))
			break;
		if (wpp[plen])   /* not "/" itself, nor path's own "path/" */
			add_all(xs, ms, &xs->wpaths[i], wpp, perms, nperms);
	}
	free(prefix);
}

static int match_order(const void *a, const void *b)
{
	const struct xs_watch *x = ((const struct match *)a)->w, *y = ((const struct match *)b)->w;

	if (x->conn != y->conn)
		return x->conn->seq > y->conn->seq ? -1 : 1;   /* newest connection first */
	return x->seq < y->seq ? -1 : x->seq > y->seq;        /* then its watches, oldest first */
}

static void fire(struct pm_xs *xs, const char *path, bool recursive,
		 const struct xs_perm *perms, uint32_t nperms)
{
	struct match one[8];
	struct matches ms = { one, 0, 8, false };

	collect(xs, &ms, path, recursive, perms, nperms);
	if (ms.n > ms.cap) {
		/* more than fit: once more into an array of the size counted */
		struct match *m = pm_t_malloc(ms.n * sizeof(*m));

		ms = (struct matches){ m, 0, m ? ms.n : 0, !m };
		collect(xs, &ms, path, recursive, perms, nperms);
		if (!m)
			return;   /* no memory to order them: every watcher heard of it all the same */
	}
	qsort(ms.m, ms.n, sizeof(*ms.m), match_order);
	for (size_t i = 0; i < ms.n; i++)
		deliver(ms.m[i].w->conn, ms.m[i].w, ms.m[i].epath);
	if (ms.m != one)
		free(ms.m);
}

void xs_fire(struct pm_xs *xs, const char *path, bool recursive,
	     const struct xs_perm *perms, uint32_t nperms)
{
	if (path[0] == '/')
		fire(xs, path, recursive, perms, nperms);
}

void xs_fire_special(struct pm_xs *xs, int which)
{
	fire(xs, which ? "@releaseDomain" : "@introduceDomain", false,
	     xs->special_perms[which], xs->special_nperms[which]);
}

/* enter w among the watchers of its path */
static int wpath_add(struct pm_xs *xs, struct xs_watch *w)
{
	size_t len = strlen(w->path);
	uint32_t i = wpath_lower(xs, w->path, len);
	struct xs_watch **pp;

	if (i == xs->nr_wpaths || strcmp(xs->wpaths[i].path, w->path)) {
		char *copy;

		if (xs->nr_wpaths == xs->wpaths_cap) {
			uint32_t cap = xs->wpaths_cap ? 2 * xs->wpaths_cap : 64;
			struct xs_wpath *n = pm_t_realloc(xs->wpaths, cap * sizeof(*n));

			if (!n)
				return -ENOMEM;
			xs->wpaths = n;
			xs->wpaths_cap = cap;
		}
		copy = pm_t_strdup(w->path);
		if (!copy)
			return -ENOMEM;
		memmove(&xs->wpaths[i + 1], &xs->wpaths[i], (xs->nr_wpaths - i) * sizeof(*xs->wpaths));
		xs->wpaths[i] = (struct xs_wpath){ copy, NULL };
		xs->nr_wpaths++;
	}
	for (pp = &xs->wpaths[i].watches; *pp; pp = &(*pp)->pnext)
		;
	*pp = w;
	return 0;
}

/* take w from among the watchers of its path; the path goes once none is left */
static void wpath_del(struct pm_xs *xs, struct xs_watch *w)
{
	struct xs_wpath *wp = wpath_find(xs, w->path, strlen(w->path));

	if (!wp)
		return;
	for (struct xs_watch **pp = &wp->watches; *pp; pp = &(*pp)->pnext)
		if (*pp == w) {
			*pp = w->pnext;
			break;
		}
	if (wp->watches)
		return;
	free(wp->path);
	xs->nr_wpaths--;
	memmove(wp, wp + 1, (size_t)(&xs->wpaths[xs->nr_wpaths] - wp) * sizeof(*wp));
}

int xs_watch_add(struct pm_xs_conn *c, const char *path, const char *token, bool relative)
{
	struct xs_domain *d = NULL;
	struct xs_watch *w, **pp;

	for (pp = &c->watches; *pp; pp = &(*pp)->next)
		if (!strcmp((*pp)->path, path) && !strcmp((*pp)->token, token))
			return -EEXIST;
	if (!c->priv) {
		d = xs_domain_get(c->xs, c->domid);
		if (!d)
			return -ENOMEM;
		if (d->watches >= c->xs->quota[PM_XS_QUOTA_WATCHES])
			return -E2BIG;
	}
	w = pm_t_calloc(1, sizeof(*w));
	if (!w)
		return -ENOMEM;
	w->path = pm_t_strdup(path);
	w->token = pm_t_strdup(token);
	if (!w->path || !w->token || wpath_add(c->xs, w)) {
		free(w->path);
		free(w->token);
		free(w);
		return -ENOMEM;
	}
	w->conn = c;
	w->seq = ++c->xs->seq;
	w->relative = relative;
	*pp = w;
	if (d)
		d->watches++;
	return 0;
}

static void watch_free(struct pm_xs_conn *c, struct xs_watch *w)
{
	struct xs_domain *d = c->priv ? NULL : xs_domain_find(c->xs, c->domid);

	if (d && d->watches)
		d->watches--;
	wpath_del(c->xs, w);
	free(w->path);
	free(w->token);
	free(w);
}

int xs_watch_del(struct pm_xs_conn *c, const char *path, const char *token)
{
	for (struct xs_watch **pp = &c->watches; *pp; pp = &(*pp)->next) {
		struct xs_watch *w = *pp;

		if (!strcmp(w->path, path) && !strcmp(w->token, token)) {
			*pp = w->next;
			watch_free(c, w);
			return 0;
		}
	}
	return -ENOENT;
}

void xs_watch_free_all(struct pm_xs_conn *c)
{
	while (c->watches) {
		struct xs_watch *w = c->watches;

		c->watches = w->next;
		watch_free(c, w);
	}
}
