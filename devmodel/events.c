/*
 * events.c - coalesced MMIO and write notifiers, attached to MMIO regions
 * with offsets in the region
 *
 * flatview.c copies them into each rendered view with absolute addresses
 * (only where the region is visible), so readers consult the immutable
 * view and listeners can be told the differences between two views;
 * access.c acts on them, device-ops.c keeps the coalesced writes' queue.
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
