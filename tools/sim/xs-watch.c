/*
 * tools/sim/xs-watch.c - watches and the events that fire them
 *
 * An event on path P fires every watch on P or an ancestor of P (the event
 * path is P); a recursive removal of P also fires the watches below P (the
 * event path is then the watch's own path). A watcher only hears about
 * nodes it may read, judged by the permissions the node had when it changed.
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

/* child is parent, or lies below it */
static bool is_child(const char *child, const char *parent)
{
	size_t plen = strlen(parent);

	if (!strcmp(parent, "/"))
		return child[0] == '/';
	return !strncmp(child, parent, plen) && (child[plen] == 0 || child[plen] == '/');
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

void xs_fire(struct pm_xs *xs, const char *path, bool recursive,
	     const struct xs_perm *perms, uint32_t nperms)
{
	for (struct pm_xs_conn *c = xs->conns; c; c = c->next) {
		if (c->dead || !c->watches)
			continue;
		if (!(xs_perm_for(xs, c, perms, nperms) & XS_PERM_READ))
			continue;
		for (struct xs_watch *w = c->watches; w; w = w->next) {
			if (w->path[0] == '@')
				continue;
			if (is_child(path, w->path))
				deliver(c, w, path);
			else if (recursive && is_child(w->path, path))
				deliver(c, w, w->path);
		}
	}
}

void xs_fire_special(struct pm_xs *xs, int which)
{
	const char *name = which ? "@releaseDomain" : "@introduceDomain";

	for (struct pm_xs_conn *c = xs->conns; c; c = c->next) {
		if (c->dead || !c->watches)
			continue;
		if (!(xs_perm_for(xs, c, xs->special_perms[which], xs->special_nperms[which]) &
		      XS_PERM_READ))
			continue;
		for (struct xs_watch *w = c->watches; w; w = w->next)
			if (!strcmp(w->path, name))
				deliver(c, w, name);
	}
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
	if (!w->path || !w->token) {
		free(w->path);
		free(w->token);
		free(w);
		return -ENOMEM;
	}
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
