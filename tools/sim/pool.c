/*
 * tools/sim/pool.c - the simulator's frame pool
 */
#include <errno.h>
#include <stdint.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "failalloc.h"
#include "pool.h"

#define PAGE 4096ull

int sim_pool_init(struct sim_pool *p, uint64_t pages)
{
	memset(p, 0, sizeof(*p));
	p->fd = -1;
	p->fd = memfd_create("physmap-pool", MFD_CLOEXEC);
	if (p->fd < 0)
		return -errno;
	if (ftruncate(p->fd, (off_t)(pages * PAGE))) {
		int rc = -errno;

		sim_pool_dispose(p);
		return rc;
	}
	/*
	 * Free extents are never adjacent, so there are at most
	 * ceil(pages / 2) of them: that many are reserved now (address space;
	 * the host commits what is touched), and giving frames back never
	 * needs memory that could be refused.
	 */
	p->cap = pages / 2 + 1;
	if (p->cap > SIZE_MAX / sizeof(*p->ext)) {
		sim_pool_dispose(p);
		return -ENOMEM;
	}
	p->ext = pm_t_malloc(p->cap * sizeof(*p->ext));
	if (!p->ext) {
		sim_pool_dispose(p);
		return -ENOMEM;
	}
	p->ext[0] = (struct sim_extent){ 0, pages };
	p->n = 1;
	p->total = p->free = pages;
	return 0;
}

void sim_pool_dispose(struct sim_pool *p)
{
	if (p->fd >= 0)
		close(p->fd);
	free(p->ext);
	memset(p, 0, sizeof(*p));
	p->fd = -1;
}

/* removes [start, start + count) from extent i (which holds it) */
static void take(struct sim_pool *p, size_t i, uint64_t count)
{
	p->ext[i].start += count;
	p->free -= count;
	if (p->ext[i].start == p->ext[i].end) {
		memmove(&p->ext[i], &p->ext[i + 1], (p->n - i - 1) * sizeof(*p->ext));
		p->n--;
	}
}

long sim_pool_alloc(struct sim_pool *p, uint64_t count, struct sim_extent **runs)
{
	struct sim_extent *r = NULL;
	size_t nr = 0, best = (size_t)-1;

	*runs = NULL;
	if (count > p->free)
		return -ENOMEM;
	/* the smallest extent that holds it whole */
	for (size_t i = 0; i < p->n; i++)
		if (p->ext[i].end - p->ext[i].start >= count &&
		    (best == (size_t)-1 ||
		     p->ext[i].end - p->ext[i].start < p->ext[best].end - p->ext[best].start))
			best = i;
	if (best != (size_t)-1) {
		r = pm_t_malloc(sizeof(*r));
		if (!r)
			return -ENOMEM;
		r[0] = (struct sim_extent){ p->ext[best].start, p->ext[best].start + count };
		take(p, best, count);
		*runs = r;
		return 1;
	}
	/* else the largest extents first (at most p->n of them) */
	r = pm_t_malloc(p->n * sizeof(*r));
	if (!r)
		return -ENOMEM;
	while (count) {
		size_t big = 0;
		uint64_t n;

		for (size_t i = 1; i < p->n; i++)
			if (p->ext[i].end - p->ext[i].start > p->ext[big].end - p->ext[big].start)
				big = i;
		n = p->ext[big].end - p->ext[big].start;
		if (n > count)
			n = count;
		r[nr++] = (struct sim_extent){ p->ext[big].start, p->ext[big].start + n };
		take(p, big, n);
		count -= n;
	}
	*runs = r;
	return (long)nr;
}

int sim_pool_free(struct sim_pool *p, uint64_t mfn, uint64_t count)
{
	uint64_t end = mfn + count;
	size_t i;

	if (!count || end < mfn || end > p->total)
		return -EINVAL;
	/* i: the first extent after mfn */
	for (i = 0; i < p->n && p->ext[i].start <= mfn; i++)
		;
	if ((i > 0 && p->ext[i - 1].end > mfn) || (i < p->n && p->ext[i].start < end))
		return -EINVAL;
	fallocate(p->fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, (off_t)(mfn * PAGE),
		  (off_t)(count * PAGE));
	p->free += count;
	if (i > 0 && p->ext[i - 1].end == mfn) {
		p->ext[i - 1].end = end;
		if (i < p->n && p->ext[i].start == end) {
			p->ext[i - 1].end = p->ext[i].end;
			memmove(&p->ext[i], &p->ext[i + 1], (p->n - i - 1) * sizeof(*p->ext));
			p->n--;
		}
		return 0;
	}
	if (i < p->n && p->ext[i].start == end) {
		p->ext[i].start = mfn;
		return 0;
	}
	memmove(&p->ext[i + 1], &p->ext[i], (p->n - i) * sizeof(*p->ext));
	p->ext[i] = (struct sim_extent){ mfn, end };
	p->n++;
	return 0;
}
