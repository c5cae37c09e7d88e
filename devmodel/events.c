/*
 * events.c - coalesced MMIO and write notifiers
 *
 * Both are attached to MMIO regions with offsets in the region, and copied
 * into each rendered view with absolute addresses (only where the region
 * is visible), so readers consult the immutable view and listeners can be
 * told the differences between two views. Coalesced writes wait in one
 * queue per memory system (what becomes Xen's buffered ioreq ring); it is
 * flushed in order before any other device access, on commit and on demand.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "memory-internal.h"

static bool is_mmio(const struct pm_mr *mr)
{
	return mr->kind == PM_MR_MMIO && mr->ops;
}

int pm_mr_add_coalescing(struct pm_mr *mr, uint64_t offset, uint64_t size)
{
	struct pm_co_range *v;

	if (!is_mmio(mr) || size == 0 || offset + size < offset || offset + size > mr->size)
		return -EINVAL;
	v = realloc(mr->co, (mr->nr_co + 1) * sizeof(*v));
	if (!v)
		return -ENOMEM;
	mr->co = v;
	mr->co[mr->nr_co++] = (struct pm_co_range){ .start = offset, .end = offset + size };
	return pm__changed(mr->mem);
}

int pm_mr_clear_coalescing(struct pm_mr *mr)
{
	if (!mr->nr_co)
		return 0;
	free(mr->co);
	mr->co = NULL;
	mr->nr_co = 0;
	return pm__changed(mr->mem);
}

static bool same_wn(const struct pm_wn *w, uint64_t offset, unsigned size, bool match,
		    uint64_t data, pm_write_notify_fn *fn, void *opaque)
{
	return w->addr == offset && w->size == size && w->match == match &&
	       (!match || w->data == data) && w->fn == fn && w->opaque == opaque;
}

int pm_mr_add_write_notifier(struct pm_mr *mr, uint64_t offset, unsigned size, bool match_data,
			     uint64_t data, pm_write_notify_fn *fn, void *opaque)
{
	struct pm_wn *v;

	if (!is_mmio(mr) || !fn || (size != 0 && size != 1 && size != 2 && size != 4 && size != 8) ||
	    offset >= mr->size || offset + (size ? size : 1) > mr->size)
		return -EINVAL;
	for (size_t i = 0; i < mr->nr_wn; i++)
		if (same_wn(&mr->wn[i], offset, size, match_data, data, fn, opaque))
			return -EEXIST;
	v = realloc(mr->wn, (mr->nr_wn + 1) * sizeof(*v));
	if (!v)
		return -ENOMEM;
	mr->wn = v;
	mr->wn[mr->nr_wn++] = (struct pm_wn){
		.addr = offset, .size = size, .match = match_data, .data = match_data ? data : 0,
		.fn = fn, .opaque = opaque,
	};
	return pm__changed(mr->mem);
}

int pm_mr_del_write_notifier(struct pm_mr *mr, uint64_t offset, unsigned size, bool match_data,
			     uint64_t data, pm_write_notify_fn *fn, void *opaque)
{
	for (size_t i = 0; i < mr->nr_wn; i++) {
		if (!same_wn(&mr->wn[i], offset, size, match_data, data, fn, opaque))
			continue;
		memmove(&mr->wn[i], &mr->wn[i + 1], (mr->nr_wn - i - 1) * sizeof(*mr->wn));
		mr->nr_wn--;
		return pm__changed(mr->mem);
	}
	return -ENOENT;
}

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

static void store_le(uint8_t *p, unsigned n, uint64_t v)
{
	for (unsigned i = 0; i < n; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

/*
 * The queue is a ring (head, nr_queued). Device ops run with the lock held,
 * so a region cannot be forgotten (and freed) under a flush; the lock is
 * recursive so that a device that writes to a coalesced range from its own
 * op does not deadlock.
 */

long pm_mem_flush_coalesced(struct pm_mem *mem)
{
	long n = 0;

	pthread_mutex_lock(&mem->qlock);
	while (mem->nr_queued) {
		struct pm_qw w = mem->queue[mem->qhead];
		uint8_t b[8];

		mem->qhead = (mem->qhead + 1) % PM_QUEUE_MAX;
		__atomic_store_n(&mem->nr_queued, mem->nr_queued - 1, __ATOMIC_RELEASE);
		store_le(b, w.size, w.val);
		pm__mmio_access(w.mr, w.offset, b, w.size, true);
		n++;
	}
	pthread_mutex_unlock(&mem->qlock);
	return n;
}

void pm__queue_write(struct pm_mem *mem, struct pm_mr *mr, uint64_t offset, uint64_t val, unsigned size)
{
	pthread_mutex_lock(&mem->qlock);
	if (mem->nr_queued == PM_QUEUE_MAX)
		pm_mem_flush_coalesced(mem);
	mem->queue[(mem->qhead + mem->nr_queued) % PM_QUEUE_MAX] = (struct pm_qw){
		.mr = mr, .offset = offset, .val = val, .size = size,
	};
	__atomic_store_n(&mem->nr_queued, mem->nr_queued + 1, __ATOMIC_RELEASE);
	pthread_mutex_unlock(&mem->qlock);
}

void pm__queue_forget(struct pm_mem *mem, const struct pm_mr *mr)
{
	size_t keep = 0;

	pthread_mutex_lock(&mem->qlock);
	for (size_t i = 0; i < mem->nr_queued; i++) {
		struct pm_qw w = mem->queue[(mem->qhead + i) % PM_QUEUE_MAX];

		if (w.mr != mr)
			mem->queue[(mem->qhead + keep++) % PM_QUEUE_MAX] = w;
	}
	__atomic_store_n(&mem->nr_queued, keep, __ATOMIC_RELEASE);
	pthread_mutex_unlock(&mem->qlock);
}
