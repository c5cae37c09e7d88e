/*
 * p2m-testlib.h - helpers shared by the P2M test programs: a counting
 * allocator that can fail its Nth allocation, and a small PRNG.
 */
#ifndef PM_P2M_TESTLIB_H
#define PM_P2M_TESTLIB_H

#include <stdint.h>
#include <stdlib.h>

#include "physmap/p2m.h"

struct counting_alloc {
	long allocs;        /* allocations so far */
	long live;          /* pages not yet freed */
	long fail_at;       /* fail the allocation with this number (1-based); 0: never */
};

static inline void *counting_alloc_page(void *opaque)
{
	struct counting_alloc *c = opaque;
	void *p;

	if (c->fail_at && ++c->allocs == c->fail_at)
		return NULL;
	if (!c->fail_at)
		c->allocs++;
	p = aligned_alloc(PM_P2M_PAGE_SIZE, PM_P2M_PAGE_SIZE);
	if (p)
		__atomic_add_fetch(&c->live, 1, __ATOMIC_RELAXED);
	return p;
}

static inline void counting_free_page(void *opaque, void *page)
{
	struct counting_alloc *c = opaque;

	__atomic_sub_fetch(&c->live, 1, __ATOMIC_RELAXED);
	free(page);
}

static inline struct pm_p2m_allocator counting_allocator(struct counting_alloc *c)
{
	return (struct pm_p2m_allocator){
		.alloc_page = counting_alloc_page,
		.free_page = counting_free_page,
		.opaque = c,
	};
}

/* xorshift64*: fast, deterministic from its seed */
static inline uint64_t rng_next(uint64_t *s)
{
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * UINT64_C(2685821657736338717);
}

static inline uint64_t rng_below(uint64_t *s, uint64_t n)
{
	return n ? rng_next(s) % n : 0;
}

#endif
