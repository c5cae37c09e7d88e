/*
 * tools/sim/dirty.c - dirty logging: which pages of a domain changed since
 * the log was last cleaned
 *
 * Unicorn gives no cheap way to trap a vCPU's first write to a page (its
 * write-protect faults do not say where the store was, and a write hook on
 * every store would tax a guest for as long as the log runs), so the log
 * compares contents: cleaning records a 128-bit digest and the frame of
 * every page; a page is dirty when either differs now. That is exactly
 * what migration needs (a page written back with the same bytes need not
 * travel), sees writes from every source (vCPUs, the toolstack's
 * mappings, hypercalls), and cannot miss a write the way a racing hook
 * could: a change after a page was digested shows at the next read.
 * Ballooning shows too: a page that came or went changed its frame.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "sim.h"

#define PAGE 4096u

/* two independent lanes of multiply-xor over the page's words */
static void digest(const uint64_t *w, uint64_t *a, uint64_t *b)
{
	uint64_t x = 0x9e3779b97f4a7c15ull, y = 0xc2b2ae3d27d4eb4full;

	for (unsigned int i = 0; i < PAGE / 8; i += 2) {
		x = (x ^ w[i]) * 0xff51afd7ed558ccdull;
		y = (y ^ w[i + 1]) * 0xc4ceb9fe1a85ec53ull;
		x ^= x >> 29;
		y ^= y >> 31;
	}
	*a = x ^ (y >> 17);
	*b = y ^ (x << 13);
}

/* what page @pfn holds now */
static struct sim_dirty_page now(const struct sim *s, const struct sim_domain *d, uint64_t pfn)
{
	uint64_t e = pm_p2m_lookup(d->p2m, pfn);
	struct sim_dirty_page p = { 0, 0, PM_P2M_INVALID };

	if (pm_p2m_kind_of(e) != PM_P2M_RAM || e >= s->pool.total)
		return p;
	p.mfn = e;
	digest((const uint64_t *)((const char *)s->pool_map + e * PAGE), &p.h1, &p.h2);
	return p;
}

int sim_dirty_log(struct sim *s, struct sim_domain *d, bool enable)
{
	if (!enable) {
		free(d->dirty);
		d->dirty = NULL;
		return 0;
	}
	if (d->dirty)
		return -EBUSY;
	d->dirty = malloc(d->max_pfn * sizeof(*d->dirty));
	if (!d->dirty)
		return -ENOMEM;
	for (uint64_t pfn = 0; pfn < d->max_pfn; pfn++)
		d->dirty[pfn] = now(s, d, pfn);
	return 0;
}

long sim_dirty_read(struct sim *s, struct sim_domain *d, uint64_t pfn, uint64_t count, bool clean,
		    uint8_t *bitmap)
{
	long n = 0;

	if (!d->dirty)
		return -ENODATA;
	if (!count || pfn >= d->max_pfn || count > d->max_pfn - pfn)
		return -ERANGE;
	memset(bitmap, 0, (size_t)((count + 7) / 8));
	for (uint64_t i = 0; i < count; i++) {
		struct sim_dirty_page p = now(s, d, pfn + i), *was = &d->dirty[pfn + i];

		if (p.mfn == was->mfn && p.h1 == was->h1 && p.h2 == was->h2)
			continue;
		bitmap[i / 8] |= (uint8_t)(1u << (i % 8));
		n++;
		if (clean)
			*was = p;
	}
	return n;
}
