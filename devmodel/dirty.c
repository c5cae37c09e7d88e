/*
 * dirty.c - dirty logging of RAM regions: one bit per 4 KiB page
 *
 * Writers set bits with atomic ORs; get-and-clear takes each word with an
 * atomic AND of its complement mask, so a concurrent write is reported
 * either in this round or the next, never lost.
 */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "memory-internal.h"

#define WORD_BITS (sizeof(unsigned long) * CHAR_BIT)

int pm_mr_set_dirty_log(struct pm_mr *mr, bool on)
{
	if (mr->kind != PM_MR_RAM)
		return -EINVAL;
	if (mr->dirty_log == on)
		return 0;
	if (on && !mr->dirty) {
		size_t pages = (size_t)((mr->size + PM_DIRTY_PAGE - 1) / PM_DIRTY_PAGE);

		mr->dirty = calloc((pages + WORD_BITS - 1) / WORD_BITS + 1, sizeof(unsigned long));
		if (!mr->dirty)
			return -ENOMEM;
		mr->dirty_pages = pages;
	}
	mr->dirty_log = on;
	return pm__changed(mr->mem);
}

void pm_mr_set_dirty(struct pm_mr *mr, uint64_t offset, uint64_t len)
{
	uint64_t first, last;

	if (!mr->dirty || len == 0 || offset >= mr->size)
		return;
	if (len > mr->size - offset)
		len = (uint64_t)(mr->size - offset);
	first = offset / PM_DIRTY_PAGE;
	last = (offset + len - 1) / PM_DIRTY_PAGE;
	for (uint64_t p = first; p <= last; p++)
		__atomic_fetch_or(&mr->dirty[p / WORD_BITS], 1UL << (p % WORD_BITS), __ATOMIC_RELAXED);
}

long pm_mr_dirty_get_and_clear(struct pm_mr *mr, uint64_t offset, uint64_t len,
			       unsigned long *bitmap)
{
	uint64_t first, pages;
	long n = 0;

	if (mr->kind != PM_MR_RAM || offset % PM_DIRTY_PAGE || offset > mr->size)
		return -EINVAL;
	first = offset / PM_DIRTY_PAGE;
	pages = len / PM_DIRTY_PAGE + (len % PM_DIRTY_PAGE != 0);
	if (bitmap)
		memset(bitmap, 0, (pages + WORD_BITS - 1) / WORD_BITS * sizeof(unsigned long));
	if (!mr->dirty)
		return 0;
	if (pages > mr->dirty_pages - first)
		pages = mr->dirty_pages - first;
	for (uint64_t i = 0; i < pages;) {
		uint64_t p = first + i;
		unsigned bit = (unsigned)(p % WORD_BITS);
		uint64_t take = WORD_BITS - bit < pages - i ? WORD_BITS - bit : pages - i;
		unsigned long mask = (take == WORD_BITS ? ~0UL : ((1UL << take) - 1)) << bit;
		unsigned long *w = &mr->dirty[p / WORD_BITS];
		unsigned long got;

		if (!(__atomic_load_n(w, __ATOMIC_RELAXED) & mask)) {
			i += take;
			continue;
		}
		got = __atomic_fetch_and(w, ~mask, __ATOMIC_RELAXED) & mask;
		for (uint64_t k = 0; k < take; k++) {
			if (!(got >> (bit + k) & 1))
				continue;
			n++;
			if (bitmap)
				bitmap[(i + k) / WORD_BITS] |= 1UL << ((i + k) % WORD_BITS);
		}
		i += take;
	}
	return n;
}
