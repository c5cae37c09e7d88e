/*
 * tools/sim/pool.h - the simulator's frame pool: one memfd of host memory,
 * handed out in extents of contiguous frames
 *
 * Free frames are kept as a sorted list of [start, end) extents. A request
 * is served from the smallest extent that holds it whole, else from the
 * largest extents first, so guests get long runs of contiguous frames.
 * Freed frames are hole-punched: the host gets the memory back.
 */
#ifndef PHYSMAP_SIM_POOL_H
#define PHYSMAP_SIM_POOL_H

#include <stddef.h>
#include <stdint.h>

struct sim_extent {
	uint64_t start, end;      /* mfns, [start, end) */
};

struct sim_pool {
	int fd;                   /* the memfd; frame m is at offset m * 4096 */
	uint64_t total, free;     /* pages */
	struct sim_extent *ext;   /* free extents, sorted, never adjacent */
	size_t n, cap;            /* cap: the most there can be, reserved at init */
};

/**
 * sim_pool_init - a pool of pages frames (a sparse memfd)
 * returns: 0; -errno from memfd_create/ftruncate; -ENOMEM
 */
int sim_pool_init(struct sim_pool *p, uint64_t pages);

/** sim_pool_dispose - close and free; idempotent */
void sim_pool_dispose(struct sim_pool *p);

/**
 * sim_pool_alloc - take count frames
 * @runs: receives a malloc'ed array of the extents taken (caller frees)
 * returns: the number of extents; -ENOMEM if fewer than count are free
 *   (nothing taken)
 */
long sim_pool_alloc(struct sim_pool *p, uint64_t count, struct sim_extent **runs);

/**
 * sim_pool_free - give [mfn, mfn + count) back (hole-punched); needs no
 *   memory, so a domain's end always returns its frames
 * returns: 0; -EINVAL if any of it is free already or beyond the pool
 *   (nothing changed)
 */
int sim_pool_free(struct sim_pool *p, uint64_t mfn, uint64_t count);

#endif
