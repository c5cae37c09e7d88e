/*
 * pagepool.h - 4 KiB pages cut from 2 MiB chunks (the P2M's default
 * allocator; see pagepool.c)
 */
#ifndef PHYSMAP_PAGEPOOL_H
#define PHYSMAP_PAGEPOOL_H

#include <stdbool.h>

#define PM_PAGEPOOL_PAGE_SIZE 4096u

struct pm_pagepool;

/**
 * pm__pagepool_new - an empty pool; nothing is mapped until the first page
 * returns: the pool, freed with pm__pagepool_free(); NULL if memory ran out
 */
struct pm_pagepool *pm__pagepool_new(void);

/**
 * pm__pagepool_free - unmap every chunk, whether or not its pages were given
 * back, and free the pool. NULL is allowed.
 */
void pm__pagepool_free(struct pm_pagepool *pool);

/**
 * pm__pagepool_alloc - one page, aligned to its size, contents undefined
 * @pool: a struct pm_pagepool (the shape of pm_p2m_allocator's hook)
 * Thread-safe. returns: the page, or NULL if no chunk could be mapped
 */
void *pm__pagepool_alloc(void *pool);

/**
 * pm__pagepool_give - give back a page pm__pagepool_alloc() returned
 * Thread-safe. A chunk whose every page is back gives its memory back to
 * the kernel (one such chunk's is kept) but stays mapped, readable, until
 * pm__pagepool_free(). A page from elsewhere aborts.
 */
void pm__pagepool_give(void *pool, void *page);

#endif /* PHYSMAP_PAGEPOOL_H */
