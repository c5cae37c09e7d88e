/*
 * pagepool.c - the P2M's default page allocator: 2 MiB chunks cut into pages
 *
 * aligned_alloc(4096, 4096) costs glibc two pages for each one it returns
 * (the chunk header needs the page before), doubling a tree's real memory
 * and spreading its leaves over twice the address space. Here a chunk is
 * one 2 MiB-aligned mapping (advised to be a transparent huge page, so a
 * lookup's leaf seldom misses the TLB; but the first, so that a small
 * guest's tree costs its few pages, not 2 MiB) handed out page by page; a page
 * given back goes on its chunk's free list, and a chunk none of whose pages
 * is in use is discarded, but for one kept (a page that comes and goes must
 * not fault 2 MiB in each time): its memory goes back to the kernel
 * (MADV_DONTNEED) and the chunk is cut again from its start when pages are
 * wanted. No chunk is unmapped before the pool is freed: the tree's
 * lookups may read a page after it was given back (they retry when the
 * tree's generation moved; see pm_p2m_lookup), so a page must stay
 * readable, if not meaningful, as long as the tree.
 *
 * Pages are taken under the tree's writer lock and given back from
 * liburcu's call_rcu thread, so the pool has its own lock.
 */
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "pagepool.h"

#define CHUNK_SIZE  ((size_t)2 << 20)
#define PAGES       (CHUNK_SIZE / PM_PAGEPOOL_PAGE_SIZE)

struct chunk {
	char *base;
	void *free;          /* pages given back, linked through their first word */
	unsigned carved;     /* pages [0, carved) have been handed out at least once */
	unsigned used;       /* pages handed out now */
};

struct pm_pagepool {
	pthread_mutex_t lock;
	struct chunk *chunks;  /* sorted by base */
	size_t nr, cap;
	size_t cur;            /* a chunk with room, if cur < nr */
	size_t empty;          /* chunks with no page in use whose memory is kept: one at most */
};

struct pm_pagepool *pm__pagepool_new(void)
{
	struct pm_pagepool *pp = calloc(1, sizeof(*pp));

	if (!pp)
		return NULL;
	pthread_mutex_init(&pp->lock, NULL);
	return pp;
}

void pm__pagepool_free(struct pm_pagepool *pp)
{
	if (!pp)
		return;
	for (size_t i = 0; i < pp->nr; i++)
		munmap(pp->chunks[i].base, CHUNK_SIZE);
	pthread_mutex_destroy(&pp->lock);
	free(pp->chunks);
	free(pp);
}

static bool has_room(const struct chunk *c)
{
	return c->free || c->carved < PAGES;
}

/* a new chunk, in sorted place; its index, or -ENOMEM */
static long add_chunk(struct pm_pagepool *pp)
{
	char *raw, *base;
	size_t i;

	if (pp->nr == pp->cap) {
		size_t cap = pp->cap ? 2 * pp->cap : 8;
		struct chunk *c = realloc(pp->chunks, cap * sizeof(*c));

		if (!c)
			return -ENOMEM;
		pp->chunks = c;
		pp->cap = cap;
	}
	/* twice the size, then the aligned middle kept */
	raw = mmap(NULL, 2 * CHUNK_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (raw == MAP_FAILED)
		return -ENOMEM;
	base = (char *)(((uintptr_t)raw + CHUNK_SIZE - 1) & ~(uintptr_t)(CHUNK_SIZE - 1));
	if (base > raw)
		munmap(raw, (size_t)(base - raw));
	munmap(base + CHUNK_SIZE, (size_t)(raw + CHUNK_SIZE - base));
	/* advice, may be refused: a tree's first chunk in small pages (a small
	 * guest's whole tree is a few pages of it: a huge page would cost 2 MiB
	 * of memory a domain), its later ones huge */
	(void)madvise(base, CHUNK_SIZE, pp->nr ? MADV_HUGEPAGE : MADV_NOHUGEPAGE);
	for (i = pp->nr; i > 0 && pp->chunks[i - 1].base > base; i--)
		pp->chunks[i] = pp->chunks[i - 1];
	pp->chunks[i] = (struct chunk){ .base = base };
	pp->nr++;
	return (long)i;
}

void *pm__pagepool_alloc(void *opaque)
{
	struct pm_pagepool *pp = opaque;
	struct chunk *c;
	void *page = NULL;

	pthread_mutex_lock(&pp->lock);
	if (pp->cur >= pp->nr || !has_room(&pp->chunks[pp->cur])) {
		long i;

		for (pp->cur = 0; pp->cur < pp->nr && !has_room(&pp->chunks[pp->cur]); pp->cur++)
			;
		if (pp->cur == pp->nr) {
			i = add_chunk(pp);
			if (i < 0)
				goto out;
			pp->cur = (size_t)i;
		}
	}
	c = &pp->chunks[pp->cur];
	if (c->used == 0 && c->carved)
		pp->empty--;
	if (c->free) {
		page = c->free;
		memcpy(&c->free, page, sizeof(void *));
	} else {
		page = c->base + (size_t)c->carved++ * PM_PAGEPOOL_PAGE_SIZE;
	}
	c->used++;
out:
	pthread_mutex_unlock(&pp->lock);
	return page;
}

void pm__pagepool_give(void *opaque, void *page)
{
	struct pm_pagepool *pp = opaque;
	char *base = (char *)((uintptr_t)page & ~(uintptr_t)(CHUNK_SIZE - 1));
	size_t lo = 0, hi;
	struct chunk *c;

	pthread_mutex_lock(&pp->lock);
	hi = pp->nr;
	while (hi - lo > 1) {
		size_t mid = (lo + hi) / 2;

		if (pp->chunks[mid].base <= base)
			lo = mid;
		else
			hi = mid;
	}
	/* a page this pool never gave is a caller's bug: fail loudly */
	if (pp->nr == 0 || pp->chunks[lo].base != base)
		abort();
	c = &pp->chunks[lo];
	memcpy(page, &c->free, sizeof(void *));
	c->free = page;
	/* an empty chunk is kept for the next page, unless one already is;
	 * another is discarded (a failed madvise only keeps the memory) */
	if (--c->used == 0 && ++pp->empty > 1) {
		pp->empty--;
		(void)madvise(c->base, CHUNK_SIZE, MADV_DONTNEED);
		c->free = NULL;
		c->carved = 0;
	}
	pthread_mutex_unlock(&pp->lock);
}
