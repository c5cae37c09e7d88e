/*
 * flatview.c - flattening a region tree into sorted, non-overlapping ranges
 *
 * Every terminal region reachable from the root (through containers and
 * aliases, each clipped to its parents' windows) becomes a candidate range
 * with a rank: its place in a walk that visits subregions in rendering
 * order (higher priority first, later-added first among equals) and a
 * non-container region after its own subregions. At any address the
 * candidate with the lowest rank wins; that is what QEMU's recursive
 * rendering computes. A sweep over the sorted range boundaries with a heap
 * of open candidates finds the winner of each piece in O(N log N); pieces
 * of one region with contiguous offsets and equal attributes are merged.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "memory-internal.h"

#define MAX_DEPTH 64

struct cand {
	pm_u128 start, end;
	struct pm_mr *mr;
	uint64_t offset;     /* offset in mr at start */
	size_t rank;
	bool readonly, romd, dirty_log;
};

struct cands {
	struct cand *v;
	size_t nr, cap;
	int oom;
};

static void push_cand(struct cands *c, const struct cand *x)
{
	if (c->oom)
		return;
	if (c->nr == c->cap) {
		size_t cap = c->cap ? 2 * c->cap : 64;
		struct cand *v = realloc(c->v, cap * sizeof(*v));

		if (!v) {
			c->oom = 1;
			return;
		}
		c->v = v;
		c->cap = cap;
	}
	c->v[c->nr++] = *x;
}

/*
 * @base: the absolute address of @mr's offset 0 (may lie below 0 through an
 * alias offset, hence signed 128-bit arithmetic in u128 with wraparound
 * never mattering: every kept range is clipped into [cs, ce))
 */
static void collect(struct cands *c, struct pm_mr *mr, pm_u128 base, pm_u128 cs, pm_u128 ce,
		    bool readonly, int depth)
{
	pm_u128 s = base, e = base + mr->size;

	if (!mr->enabled || depth > MAX_DEPTH)
		return;
	/* base may have wrapped below zero through an alias: compare as signed */
	if ((__int128)s < (__int128)cs)
		s = cs;
	if ((__int128)e > (__int128)ce)
		e = ce;
	if ((__int128)s >= (__int128)e)
		return;
	readonly |= mr->readonly;
	if (mr->kind == PM_MR_ALIAS) {
		collect(c, mr->alias, base - mr->alias_offset, s, e, readonly, depth + 1);
		return;
	}
	/* rendering order: the subregion array backwards */
	for (size_t i = mr->nr_subs; i-- > 0;)
		collect(c, mr->subs[i], base + mr->subs[i]->addr, s, e, readonly, depth + 1);
	if (mr->kind != PM_MR_CONTAINER) {
		struct cand x = {
			.start = s, .end = e, .mr = mr, .offset = (uint64_t)(s - base),
			.rank = c->nr, .readonly = readonly || mr->kind == PM_MR_ROM,
			.romd = mr->kind == PM_MR_ROMD && mr->romd_mode,
			.dirty_log = mr->dirty_log,
		};

		push_cand(c, &x);
	}
}

struct event {
	pm_u128 at;
	size_t cand;   /* (size_t)-1 for an end */
};

static int cmp_event(const void *a, const void *b)
{
	const struct event *x = a, *y = b;

	if (x->at != y->at)
		return x->at < y->at ? -1 : 1;
	return 0;
}

/* a binary min-heap of candidate indices by rank (rank == index) */
struct heap {
	size_t *v;
	size_t nr;
};

static void heap_push(struct heap *h, size_t x)
{
	size_t i = h->nr++;

	while (i > 0 && h->v[(i - 1) / 2] > x) {
		h->v[i] = h->v[(i - 1) / 2];
		i = (i - 1) / 2;
	}
	h->v[i] = x;
}

static void heap_pop(struct heap *h)
{
	size_t x = h->v[--h->nr], i = 0;

	for (;;) {
		size_t l = 2 * i + 1, m = i;

		if (l < h->nr && h->v[l] < x)
			m = l;
		if (l + 1 < h->nr && h->v[l + 1] < (m == i ? x : h->v[l]))
			m = l + 1;
		if (m == i)
			break;
		h->v[i] = h->v[m];
		i = m;
	}
	if (h->nr)
		h->v[i] = x;
}

static int emit(struct pm_flatview *fv, size_t *cap, const struct cand *w, pm_u128 s, pm_u128 e)
{
	uint64_t off = w->offset + (uint64_t)(s - w->start);
	struct pm_fr *last = fv->nr ? &fv->ranges[fv->nr - 1] : NULL;

	if (last && last->mr == w->mr && last->end == s &&
	    last->offset + (uint64_t)(last->end - last->start) == off &&
	    last->readonly == w->readonly && last->romd == w->romd &&
	    last->dirty_log == w->dirty_log) {
		last->end = e;
		return 0;
	}
	if (fv->nr == *cap) {
		size_t n = *cap ? 2 * *cap : 16;
		struct pm_fr *r = realloc(fv->ranges, n * sizeof(*r));

		if (!r)
			return -ENOMEM;
		fv->ranges = r;
		*cap = n;
	}
	fv->ranges[fv->nr++] = (struct pm_fr){
		.start = s, .end = e, .mr = w->mr, .offset = off,
		.readonly = w->readonly, .romd = w->romd, .dirty_log = w->dirty_log,
	};
	return 0;
}

struct pm_flatview *pm__flatview_render(struct pm_mr *root)
{
	struct pm_flatview *fv = calloc(1, sizeof(*fv));
	struct cands c = { 0 };
	struct event *ev = NULL;
	struct heap h = { 0 };
	size_t nev = 0, cap = 0;
	int rc = -ENOMEM;

	if (!fv)
		return NULL;
	fv->root = root;
	if (root)
		collect(&c, root, 0, 0, (pm_u128)1 << 64, false, 0);
	if (c.oom)
		goto out;
	ev = malloc((2 * c.nr + 1) * sizeof(*ev));
	h.v = malloc((c.nr + 1) * sizeof(*h.v));
	if (!ev || !h.v)
		goto out;
	for (size_t i = 0; i < c.nr; i++) {
		ev[nev++] = (struct event){ c.v[i].start, i };
		ev[nev++] = (struct event){ c.v[i].end, (size_t)-1 };
	}
	qsort(ev, nev, sizeof(*ev), cmp_event);
	for (size_t i = 0; i < nev;) {
		pm_u128 at = ev[i].at;

		for (; i < nev && ev[i].at == at; i++)
			if (ev[i].cand != (size_t)-1)
				heap_push(&h, ev[i].cand);
		while (h.nr && c.v[h.v[0]].end <= at)
			heap_pop(&h);
		if (h.nr && i < nev && emit(fv, &cap, &c.v[h.v[0]], at, ev[i].at))
			goto out;
	}
	rc = 0;
out:
	free(c.v);
	free(ev);
	free(h.v);
	if (rc) {
		pm__flatview_free(fv);
		return NULL;
	}
	return fv;
}

void pm__flatview_free(struct pm_flatview *view)
{
	if (!view)
		return;
	pm__dispatch_free(view->dispatch);
	free(view->ranges);
	free(view->co);
	free(view->wn);
	free(view);
}

/* ---- the view's coalesced ranges and write notifiers (events.c attaches them to regions) ---- */

static int cmp_co(const void *a, const void *b)
{
	const struct pm_co_range *x = a, *y = b;

	return x->start < y->start ? -1 : x->start > y->start;
}

static int cmp_wn(const void *a, const void *b)
{
	const struct pm_wn *x = a, *y = b;

	return x->addr < y->addr ? -1 : x->addr > y->addr;
}

int pm__flatview_events(struct pm_flatview *fv)
{
	size_t nco = 0, nwn = 0;

	for (size_t i = 0; i < fv->nr; i++) {
		nco += fv->ranges[i].mr->nr_co;
		nwn += fv->ranges[i].mr->nr_wn;
	}
	if (nco && !(fv->co = malloc(nco * sizeof(*fv->co))))
		return -ENOMEM;
	if (nwn && !(fv->wn = malloc(nwn * sizeof(*fv->wn))))
		return -ENOMEM;
	for (size_t i = 0; i < fv->nr; i++) {
		const struct pm_fr *fr = &fv->ranges[i];
		struct pm_mr *mr = fr->mr;
		uint64_t first = fr->offset;
		pm_u128 end = (pm_u128)fr->offset + (fr->end - fr->start);

		for (size_t j = 0; j < mr->nr_co; j++) {
			uint64_t s = mr->co[j].start > first ? mr->co[j].start : first;
			pm_u128 e = mr->co[j].end < end ? mr->co[j].end : end;

			if (s >= e)
				continue;
			fv->co[fv->nr_co++] = (struct pm_co_range){
				.start = (uint64_t)(fr->start + (s - first)),
				.end = (uint64_t)(fr->start + (e - first)),
				.mr = mr, .offset = s,
			};
		}
		for (size_t j = 0; j < mr->nr_wn; j++) {
			const struct pm_wn *w = &mr->wn[j];

			if (w->addr < first || w->addr >= end)
				continue;
			fv->wn[fv->nr_wn] = *w;
			fv->wn[fv->nr_wn++].addr = (uint64_t)(fr->start + (w->addr - first));
		}
	}
	if (fv->nr_co)
		qsort(fv->co, fv->nr_co, sizeof(*fv->co), cmp_co);
	if (fv->nr_wn)
		qsort(fv->wn, fv->nr_wn, sizeof(*fv->wn), cmp_wn);
	return 0;
}
