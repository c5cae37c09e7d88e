/*
 * listener.c - telling listeners what changed between two flat views
 *
 * As QEMU's address_space_update_topology: walk both sorted range lists
 * once; a range is "the same" in both when start, end, region, offset and
 * attributes (readonly, romd) agree; dirty logging is compared separately
 * (log_start / log_stop on a kept range; an added or deleted range carries
 * its own dirty_log flag). Deletions go first, in a pass of
 * their own, so a listener never sees an addition overlap a live range.
 */
#include <errno.h>
#include <stdlib.h>

#include "memory-internal.h"

static bool same(const struct pm_fr *a, const struct pm_fr *b)
{
	return a->start == b->start && a->end == b->end && a->mr == b->mr &&
	       a->offset == b->offset && a->readonly == b->readonly && a->romd == b->romd;
}

static bool listens(const struct pm_mem_listener *l, const struct pm_as *as)
{
	return !l->as || l->as == as;
}

/* the last listener: the highest priority, where descending calls start */
static struct pm_mem_listener *last(struct pm_mem *mem)
{
	struct pm_mem_listener *l = mem->listeners;

	while (l && l->next)
		l = l->next;
	return l;
}

static void call_del(struct pm_mem *mem, struct pm_as *as, const struct pm_fr *f)
{
	struct pm_flat_range r = pm__public_range(f);

	for (struct pm_mem_listener *l = last(mem); l; l = l->prev)
		if (listens(l, as) && l->region_del)
			l->region_del(l, as, &r);
}

static void call_log_stop(struct pm_mem *mem, struct pm_as *as, const struct pm_fr *f)
{
	struct pm_flat_range r = pm__public_range(f);

	for (struct pm_mem_listener *l = last(mem); l; l = l->prev)
		if (listens(l, as) && l->log_stop)
			l->log_stop(l, as, &r);
}

static void call_add(struct pm_mem *mem, struct pm_as *as, const struct pm_fr *f, bool nop)
{
	struct pm_flat_range r = pm__public_range(f);

	for (struct pm_mem_listener *l = mem->listeners; l; l = l->next) {
		if (!listens(l, as))
			continue;
		if (nop && l->region_nop)
			l->region_nop(l, as, &r);
		else if (!nop && l->region_add)
			l->region_add(l, as, &r);
	}
}

static void call_log_start(struct pm_mem *mem, struct pm_as *as, const struct pm_fr *f)
{
	struct pm_flat_range r = pm__public_range(f);

	for (struct pm_mem_listener *l = mem->listeners; l; l = l->next)
		if (listens(l, as) && l->log_start)
			l->log_start(l, as, &r);
}

static void topology_pass(struct pm_mem *mem, struct pm_as *as, const struct pm_flatview *old,
			  const struct pm_flatview *new, bool adding)
{
	size_t i = 0, j = 0, no = old ? old->nr : 0, nn = new ? new->nr : 0;

	while (i < no || j < nn) {
		const struct pm_fr *o = i < no ? &old->ranges[i] : NULL;
		const struct pm_fr *n = j < nn ? &new->ranges[j] : NULL;

		if (o && (!n || o->start < n->start || (o->start == n->start && !same(o, n)))) {
			/* in the old view only */
			if (!adding)
				call_del(mem, as, o);
			i++;
		} else if (o && n && same(o, n)) {
			if (adding) {
				call_add(mem, as, n, true);
				if (o->dirty_log && !n->dirty_log)
					call_log_stop(mem, as, n);
				else if (!o->dirty_log && n->dirty_log)
					call_log_start(mem, as, n);
			}
			i++;
			j++;
		} else {
			/* in the new view only */
			if (adding)
				call_add(mem, as, n, false);
			j++;
		}
	}
}

static bool same_co(const struct pm_co_range *a, const struct pm_co_range *b)
{
	return a->start == b->start && a->end == b->end;
}

static bool same_wn(const struct pm_wn *a, const struct pm_wn *b)
{
	return a->addr == b->addr && a->size == b->size && a->match == b->match && a->data == b->data;
}

/* the entries of @a missing from @b (both sorted by address) */
static void co_missing(struct pm_mem *mem, struct pm_as *as, const struct pm_flatview *a,
		       const struct pm_flatview *b, bool add)
{
	for (size_t i = 0; a && i < a->nr_co; i++) {
		bool found = false;

		for (size_t k = 0; b && k < b->nr_co && b->co[k].start <= a->co[i].start && !found; k++)
			found = same_co(&a->co[i], &b->co[k]);
		if (found)
			continue;
		for (struct pm_mem_listener *l = mem->listeners; l; l = l->next) {
			if (!listens(l, as))
				continue;
			if (add && l->coalesced_add)
				l->coalesced_add(l, as, a->co[i].start, a->co[i].end - a->co[i].start);
			else if (!add && l->coalesced_del)
				l->coalesced_del(l, as, a->co[i].start, a->co[i].end - a->co[i].start);
		}
	}
}

static void wn_missing(struct pm_mem *mem, struct pm_as *as, const struct pm_flatview *a,
		       const struct pm_flatview *b, bool add)
{
	for (size_t i = 0; a && i < a->nr_wn; i++) {
		const struct pm_wn *w = &a->wn[i];
		bool found = false;

		for (size_t k = 0; b && k < b->nr_wn && b->wn[k].addr <= w->addr && !found; k++)
			found = same_wn(w, &b->wn[k]);
		if (found)
			continue;
		for (struct pm_mem_listener *l = mem->listeners; l; l = l->next) {
			if (!listens(l, as))
				continue;
			if (add && l->notifier_add)
				l->notifier_add(l, as, w->addr, w->size, w->match, w->data);
			else if (!add && l->notifier_del)
				l->notifier_del(l, as, w->addr, w->size, w->match, w->data);
		}
	}
}

void pm__listeners_update(struct pm_mem *mem, struct pm_as *as, const struct pm_flatview *old,
			  const struct pm_flatview *new)
{
	if (!mem->listeners)
		return;
	topology_pass(mem, as, old, new, false);
	topology_pass(mem, as, old, new, true);
	co_missing(mem, as, old, new, false);
	wn_missing(mem, as, old, new, false);
	co_missing(mem, as, new, old, true);
	wn_missing(mem, as, new, old, true);
}

void pm__listeners_begin(struct pm_mem *mem)
{
	for (struct pm_mem_listener *l = mem->listeners; l; l = l->next)
		if (l->begin)
			l->begin(l);
}

void pm__listeners_commit(struct pm_mem *mem)
{
	for (struct pm_mem_listener *l = mem->listeners; l; l = l->next)
		if (l->commit)
			l->commit(l);
}

/* replay one listener's view of the current state, as if from nothing */
static void replay(struct pm_mem *mem, struct pm_mem_listener *l, bool add)
{
	struct pm_mem_listener *saved = mem->listeners, *saved_next = l->next, *saved_prev = l->prev;

	/* only this listener hears the replay */
	mem->listeners = l;
	l->next = l->prev = NULL;
	if (l->begin)
		l->begin(l);
	for (struct pm_as *as = mem->spaces; as; as = as->next) {
		if (!listens(l, as))
			continue;
		if (add)
			pm__listeners_update(mem, as, NULL, as->view);
		else
			pm__listeners_update(mem, as, as->view, NULL);
	}
	if (l->commit)
		l->commit(l);
	mem->listeners = saved;
	l->next = saved_next;
	l->prev = saved_prev;
}

int pm_mem_listener_register(struct pm_mem *mem, struct pm_mem_listener *l, struct pm_as *as)
{
	struct pm_mem_listener **p;

	for (struct pm_mem_listener *x = mem->listeners; x; x = x->next)
		if (x == l)
			return -EEXIST;
	l->as = as;
	replay(mem, l, true);
	/* after the last of equal priority: registration order among equals */
	l->prev = NULL;
	for (p = &mem->listeners; *p && (*p)->priority <= l->priority; p = &(*p)->next)
		l->prev = *p;
	l->next = *p;
	if (l->next)
		l->next->prev = l;
	*p = l;
	return 0;
}

void pm_mem_listener_unregister(struct pm_mem *mem, struct pm_mem_listener *l)
{
	struct pm_mem_listener **p;

	for (p = &mem->listeners; *p && *p != l; p = &(*p)->next)
		;
	if (!*p)
		return;
	*p = l->next;
	if (l->next)
		l->next->prev = l->prev;
	l->next = l->prev = NULL;
	replay(mem, l, false);
}
