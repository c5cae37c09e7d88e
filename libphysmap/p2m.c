/*
 * p2m.c - the three-level P2M tree (see physmap/p2m.h for the glossary)
 *
 * Every write operation runs in three steps under the writer lock:
 *   plan     walk the range and count the pages the write may allocate (an
 *            upper bound) and the pages it may retire (a hint);
 *   reserve  allocate the pages into the pool; a failure here returns
 *            -ENOMEM with nothing changed;
 *   apply    change the tree, drawing pages from the pool: cannot fail.
 * A sentinel is replaced by a real copy of it ("materialised") before one of
 * its entries changes; the copy means exactly what the sentinel meant, so it
 * can be published at once and then edited entry by entry, each store atomic.
 * Readers therefore see every entry old or new. Pages replaced by a sentinel
 * are retired, and freed after an RCU grace period.
 *
 * Memory ordering: pointers are published with release stores and read with
 * acquire loads; entries are read and written with relaxed atomics (a leaf's
 * contents are ordered by the release that publishes it). The grace period is
 * liburcu-bp's; under ThreadSanitizer the read-side unlock and the free are
 * annotated so TSan sees the ordering the grace period gives.
 */
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

/*
 * Inline liburcu's read-side fast path, except under sanitizers: TSan would
 * see half of its protocol, and UBSan rejects its reader struct (declared
 * 128-byte aligned, registered at addresses that are not).
 */
#if !defined(__SANITIZE_THREAD__) && !defined(__SANITIZE_ADDRESS__)
#define _LGPL_SOURCE
#endif
#include <urcu/urcu-bp.h>

#include "physmap/p2m.h"
#include "p2m-internal.h"
#include "pagepool.h"

#define PER_PAGE   PM_P2M_PER_PAGE
#define LEAF_PFNS  (UINT64_C(1) << PM_P2M_LEAF_SHIFT)
#define MID_PFNS   (UINT64_C(1) << PM_P2M_MID_SHIFT)

#define TOP_IDX(pfn)  ((pfn) >> PM_P2M_MID_SHIFT)
#define MID_IDX(pfn)  ((unsigned)(((pfn) >> PM_P2M_LEAF_SHIFT) & (PER_PAGE - 1)))
#define LEAF_IDX(pfn) ((unsigned)((pfn) & (PER_PAGE - 1)))

#if defined(__SANITIZE_THREAD__)
void __tsan_acquire(void *addr);
void __tsan_release(void *addr);
#define TSAN_RELEASE(addr) __tsan_release(addr)
#define TSAN_ACQUIRE(addr) __tsan_acquire(addr)
#else
#define TSAN_RELEASE(addr) do { (void)(addr); } while (0)
#define TSAN_ACQUIRE(addr) do { (void)(addr); } while (0)
#endif
/*
 * TSan sees neither liburcu's grace periods nor its call_rcu queue (both
 * are uninstrumented): these tokens stand for the orderings they provide.
 *   grace period: every read-side unlock before it, then the free;
 *   call_rcu:     the writer's hand-off of a batch, then its callback;
 *   rcu_barrier:  every callback, then pm_p2m_free.
 */
static char tsan_grace_period, tsan_barrier;

struct leaf {
	uint64_t e[PER_PAGE];
};

struct mid {
	struct leaf *l[PER_PAGE];
};

_Static_assert(sizeof(struct leaf) == PM_P2M_PAGE_SIZE, "leaf is a page");
_Static_assert(sizeof(struct mid) == PM_P2M_PAGE_SIZE, "mid is a page");

/*
 * The sentinels are const, so they live in read-only memory: a bug that
 * writes through one faults instead of corrupting every tree. The identity
 * leaf's contents are never read (lookups compare its address).
 */
static const struct leaf missing_leaf __attribute__((aligned(4096))) = {
	{ [0 ... PER_PAGE - 1] = PM_P2M_INVALID }
};
static const struct leaf identity_leaf __attribute__((aligned(4096))) = {
	{ [0 ... PER_PAGE - 1] = PM_P2M_INVALID }
};
static const struct mid mid_missing __attribute__((aligned(4096))) = {
	{ [0 ... PER_PAGE - 1] = (struct leaf *)&missing_leaf }
};
static const struct mid mid_identity __attribute__((aligned(4096))) = {
	{ [0 ... PER_PAGE - 1] = (struct leaf *)&identity_leaf }
};

#define MISSING      ((struct leaf *)&missing_leaf)
#define IDENTITY     ((struct leaf *)&identity_leaf)
#define MID_MISSING  ((struct mid *)&mid_missing)
#define MID_IDENTITY ((struct mid *)&mid_identity)

/*
 * The top level has room for every mid PM_P2M_MAX_PFN needs; the entries
 * past top_entries are never written and read as NULL (the struct is an
 * anonymous mapping, 32 MiB reserved, a page or so committed), so that a
 * lookup bounds the pfn against a constant.
 */
#define TOP_ROOM (PM_P2M_MAX_PFN >> PM_P2M_MID_SHIFT)

struct pm_p2m {
	/*
	 * The front, struct pm__p2m_front in the tree's own types: what every
	 * lookup reads, one cache line of it. @recycled is bumped before pages
	 * unpublished by a write are handed on to be written again. The top
	 * level is front_top, but for a tree whose lookups take the read
	 * section (another allocator's, or under ThreadSanitizer): front_top
	 * is NULL there, the top a separate array.
	 */
	uint64_t recycled;
	const struct leaf *identity;
	struct mid *front_top[TOP_ROOM];
	struct mid **top;

	uint64_t max_pfn;
	uint64_t top_entries;
	struct pm_p2m_allocator alloc;
	struct pm_pagepool *own_pool;  /* the default allocator's, or NULL */
	pthread_mutex_t lock;          /* serialises writers */

	/* statistics, written under the lock, read with relaxed loads */
	struct pm_p2m_stats stats;

	/* pages allocated ahead of a write (see the header comment) */
	void **pool;
	size_t pool_n, pool_cap;
	size_t reserved;               /* pool pages kept between writes */

	/* pages unpublished by the current write, freed after a grace period;
	 * a mid's pointer carries MID_TAG */
	void **retired;
	size_t retired_n, retired_cap;

	/*
	 * The default allocator's trees keep their mids: a mid leaves the tree
	 * for this list, after its grace period, and comes back only as a mid
	 * (see pm_p2m_lookup). spare_cap >= mids_owned >= spare_n always, so
	 * that giving one back, in the call_rcu thread, never allocates.
	 */
	bool keep_mids;
	pthread_mutex_t spare_lock;
	void **spare;
	size_t spare_n, spare_cap;
	size_t mids_owned;             /* under the writer lock */
};

_Static_assert(offsetof(struct pm_p2m, recycled) == offsetof(struct pm__p2m_front, recycled) &&
	       offsetof(struct pm_p2m, identity) == offsetof(struct pm__p2m_front, identity) &&
	       offsetof(struct pm_p2m, front_top) == offsetof(struct pm__p2m_front, top) &&
	       sizeof(((struct pm_p2m *)0)->front_top) == sizeof(((struct pm__p2m_front *)0)->top),
	       "the front is where the inline lookup reads it");

#define MID_TAG ((uintptr_t)1)

/* A batch of retired pages waiting for a grace period. */
struct deferred {
	struct rcu_head head;
	struct pm_p2m *p2m;            /* outlives it: pm_p2m_free waits */
	size_t n;
	void *pages[];
};

/* --- atomics ------------------------------------------------------------ */

static inline struct mid *load_mid(struct mid *const *slot)
{
	return __atomic_load_n(slot, __ATOMIC_ACQUIRE);
}

static inline struct leaf *load_leaf(struct leaf *const *slot)
{
	return __atomic_load_n(slot, __ATOMIC_ACQUIRE);
}

static inline uint64_t load_entry(const uint64_t *e)
{
	return __atomic_load_n(e, __ATOMIC_RELAXED);
}

static inline void store_entry(uint64_t *e, uint64_t v)
{
	__atomic_store_n(e, v, __ATOMIC_RELAXED);
}

static inline void stat_add(uint64_t *counter, int64_t delta)
{
	__atomic_store_n(counter, *counter + (uint64_t)delta, __ATOMIC_RELAXED);
}

static inline void read_lock(void)
{
	urcu_bp_read_lock();
}

static inline void read_unlock(void)
{
	TSAN_RELEASE(&tsan_grace_period);
	urcu_bp_read_unlock();
}

/* --- classification ----------------------------------------------------- */

enum pm_p2m_kind pm_p2m_kind_of(uint64_t value)
{
	if (value == PM_P2M_INVALID)
		return PM_P2M_MISSING;
	if (value & PM_P2M_IDENTITY_BIT)
		return PM_P2M_IDENTITY;
	if (value & PM_P2M_FOREIGN_BIT)
		return PM_P2M_FOREIGN;
	return PM_P2M_RAM;
}

const char *pm_p2m_kind_name(enum pm_p2m_kind kind)
{
	switch (kind) {
	case PM_P2M_MISSING: return "missing";
	case PM_P2M_RAM: return "ram";
	case PM_P2M_IDENTITY: return "identity";
	case PM_P2M_FOREIGN: return "foreign";
	}
	return "?";
}

static inline bool is_sentinel_leaf(const struct leaf *l)
{
	return l == MISSING || l == IDENTITY;
}

static inline bool is_sentinel_mid(const struct mid *m)
{
	return m == MID_MISSING || m == MID_IDENTITY;
}

static enum pm_p2m_page_kind leaf_kind(const struct leaf *l)
{
	return l == MISSING ? PM_P2M_PAGE_MISSING :
	       l == IDENTITY ? PM_P2M_PAGE_IDENTITY : PM_P2M_PAGE_REAL;
}

static enum pm_p2m_page_kind mid_kind(const struct mid *m)
{
	return m == MID_MISSING ? PM_P2M_PAGE_MISSING :
	       m == MID_IDENTITY ? PM_P2M_PAGE_IDENTITY : PM_P2M_PAGE_REAL;
}

/* The value a valid entry may hold at @pfn; -EINVAL otherwise. */
static int check_value(uint64_t pfn, uint64_t value)
{
	if (value == PM_P2M_INVALID)
		return 0;
	if (value & PM_P2M_IDENTITY_BIT) {
		if ((value & PM_P2M_FOREIGN_BIT) ||
		    (value & PM_P2M_FRAME_MASK) != pfn)
			return -EINVAL;
	}
	return 0;
}

/* --- allocation: pool and retire list ----------------------------------- */

static int grow(void ***array, size_t *cap, size_t want)
{
	void **p;
	size_t n = *cap ? *cap : 16;

	if (want <= *cap)
		return 0;
	while (n < want)
		n *= 2;
	p = realloc(*array, n * sizeof(*p));
	if (!p)
		return -ENOMEM;
	*array = p;
	*cap = n;
	return 0;
}

/*
 * Make sure the pool holds @need pages, and try to make room in the retire
 * list for @retire more (if that fails, retire() flushes instead). On
 * failure, the pages this call allocated are freed again.
 */
static int reserve(struct pm_p2m *p2m, size_t need, size_t retire)
{
	size_t start = p2m->pool_n;
	int rc;

	(void)grow(&p2m->retired, &p2m->retired_cap, p2m->retired_n + retire);
	if (p2m->keep_mids) {
		/* room on the spare list for every mid this write may add */
		pthread_mutex_lock(&p2m->spare_lock);
		rc = grow(&p2m->spare, &p2m->spare_cap, p2m->mids_owned + need);
		pthread_mutex_unlock(&p2m->spare_lock);
		if (rc)
			return rc;
	}
	if (need <= p2m->pool_n)
		return 0;
	rc = grow(&p2m->pool, &p2m->pool_cap, need);
	if (rc)
		return rc;
	while (p2m->pool_n < need) {
		void *page = p2m->alloc.alloc_page(p2m->alloc.opaque);

		if (!page) {
			while (p2m->pool_n > start)
				p2m->alloc.free_page(p2m->alloc.opaque,
						     p2m->pool[--p2m->pool_n]);
			return -ENOMEM;
		}
		p2m->pool[p2m->pool_n++] = page;
	}
	return 0;
}

static void *pool_take(struct pm_p2m *p2m)
{
	/* the plan guarantees a page; running dry is a bug in the plan */
	if (p2m->pool_n == 0)
		abort();
	return p2m->pool[--p2m->pool_n];
}

/*
 * Hand on @n retired pages whose grace period has passed: a kept mid to
 * the spare list, every other page to the allocator. The generation moves
 * first, so that a lookup that read one of them before it left the tree
 * sees the bump before it could see the page written again.
 */
static void release(struct pm_p2m *p2m, void *const *pages, size_t n)
{
	if (n == 0)
		return;
	__atomic_fetch_add(&p2m->recycled, 1, __ATOMIC_RELAXED);
#if !defined(__SANITIZE_THREAD__)   /* TSan's lookups do not read it */
	__atomic_thread_fence(__ATOMIC_RELEASE);
#endif
	for (size_t i = 0; i < n; i++) {
		void *page = (void *)((uintptr_t)pages[i] & ~MID_TAG);

		if (p2m->keep_mids && ((uintptr_t)pages[i] & MID_TAG)) {
			pthread_mutex_lock(&p2m->spare_lock);
			p2m->spare[p2m->spare_n++] = page;
			pthread_mutex_unlock(&p2m->spare_lock);
		} else {
			p2m->alloc.free_page(p2m->alloc.opaque, page);
		}
	}
}

/*
 * Every retired page is already unreachable. When the list is full, wait
 * for a grace period and release what it holds: safe under the writer lock,
 * since readers never take it. So retiring never fails.
 */
static void retire(struct pm_p2m *p2m, void *page)
{
	if (p2m->retired_n == p2m->retired_cap) {
		urcu_bp_synchronize_rcu();
		TSAN_ACQUIRE(&tsan_grace_period);
		release(p2m, p2m->retired, p2m->retired_n);
		p2m->retired_n = 0;
	}
	p2m->retired[p2m->retired_n++] = page;
}

static void free_deferred(struct rcu_head *head)
{
	struct deferred *d = caa_container_of(head, struct deferred, head);

	TSAN_ACQUIRE(d);
	TSAN_ACQUIRE(&tsan_grace_period);
	release(d->p2m, d->pages, d->n);
	free(d);
	TSAN_RELEASE(&tsan_barrier);
}

/*
 * End of a write that may allocate: hand retired pages to call_rcu (or wait
 * for a grace period if the batch cannot be allocated) and free unreserved
 * pool pages.
 */
static void finish_write(struct pm_p2m *p2m)
{
	if (p2m->retired_n) {
		struct deferred *d = malloc(sizeof(*d) +
					    p2m->retired_n * sizeof(void *));

		if (d) {
			d->p2m = p2m;
			d->n = p2m->retired_n;
			memcpy(d->pages, p2m->retired, d->n * sizeof(void *));
			TSAN_RELEASE(d);
			urcu_bp_call_rcu(&d->head, free_deferred);
		} else {
			urcu_bp_synchronize_rcu();
			TSAN_ACQUIRE(&tsan_grace_period);
			release(p2m, p2m->retired, p2m->retired_n);
		}
		p2m->retired_n = 0;
	}
	while (p2m->pool_n > p2m->reserved)
		p2m->alloc.free_page(p2m->alloc.opaque, p2m->pool[--p2m->pool_n]);
}

/* --- publishing --------------------------------------------------------- */

static void publish_top(struct pm_p2m *p2m, uint64_t t, struct mid *mid)
{
	struct mid *old = p2m->top[t];

	if (old == MID_MISSING)
		stat_add(&p2m->stats.top_to_mid_missing, -1);
	else if (old == MID_IDENTITY)
		stat_add(&p2m->stats.top_to_mid_identity, -1);
	if (mid == MID_MISSING)
		stat_add(&p2m->stats.top_to_mid_missing, 1);
	else if (mid == MID_IDENTITY)
		stat_add(&p2m->stats.top_to_mid_identity, 1);
	__atomic_store_n(&p2m->top[t], mid, __ATOMIC_RELEASE);
}

/* @mid must be real. */
static void publish_leaf(struct pm_p2m *p2m, struct mid *mid, unsigned m,
			 struct leaf *leaf)
{
	struct leaf *old = mid->l[m];

	if (old == MISSING)
		stat_add(&p2m->stats.mid_to_missing, -1);
	else if (old == IDENTITY)
		stat_add(&p2m->stats.mid_to_identity, -1);
	if (leaf == MISSING)
		stat_add(&p2m->stats.mid_to_missing, 1);
	else if (leaf == IDENTITY)
		stat_add(&p2m->stats.mid_to_identity, 1);
	__atomic_store_n(&mid->l[m], leaf, __ATOMIC_RELEASE);
}

/* Retire a real leaf that is no longer reachable. */
static void retire_leaf(struct pm_p2m *p2m, struct leaf *leaf)
{
	stat_add(&p2m->stats.leaves, -1);
	stat_add(&p2m->stats.bytes, -PM_P2M_PAGE_SIZE);
	retire(p2m, leaf);
}

/* Retire a real mid no longer reachable from the top, and its real leaves. */
static void retire_mid(struct pm_p2m *p2m, struct mid *mid)
{
	for (unsigned m = 0; m < PER_PAGE; m++) {
		struct leaf *l = mid->l[m];

		if (l == MISSING)
			stat_add(&p2m->stats.mid_to_missing, -1);
		else if (l == IDENTITY)
			stat_add(&p2m->stats.mid_to_identity, -1);
		else
			retire_leaf(p2m, l);
	}
	stat_add(&p2m->stats.mids, -1);
	stat_add(&p2m->stats.bytes, -PM_P2M_PAGE_SIZE);
	retire(p2m, (void *)((uintptr_t)mid | MID_TAG));
}

/* A page for a new mid: a spare one if the tree keeps them, else the pool's. */
static struct mid *take_mid(struct pm_p2m *p2m)
{
	struct mid *mid = NULL;

	if (!p2m->keep_mids)
		return pool_take(p2m);
	pthread_mutex_lock(&p2m->spare_lock);
	if (p2m->spare_n)
		mid = p2m->spare[--p2m->spare_n];
	pthread_mutex_unlock(&p2m->spare_lock);
	if (!mid) {
		mid = pool_take(p2m);
		p2m->mids_owned++;
	}
	return mid;
}

/* The real mid for top entry @t, copying a sentinel from the pool. */
static struct mid *materialise_mid(struct pm_p2m *p2m, uint64_t t)
{
	struct mid *old = p2m->top[t], *mid;

	if (!is_sentinel_mid(old))
		return old;
	mid = take_mid(p2m);
	/* a spare mid may still be read by a lookup that is about to retry:
	 * every pointer it reads must be whole */
	for (unsigned m = 0; m < PER_PAGE; m++)
		__atomic_store_n(&mid->l[m], old->l[m], __ATOMIC_RELAXED);
	stat_add(&p2m->stats.mids, 1);
	stat_add(&p2m->stats.bytes, PM_P2M_PAGE_SIZE);
	stat_add(old == MID_MISSING ? &p2m->stats.mid_to_missing :
		 &p2m->stats.mid_to_identity, PER_PAGE);
	publish_top(p2m, t, mid);
	return mid;
}

/* The real leaf at slot @m of real @mid, whose first pfn is @base. */
static struct leaf *materialise_leaf(struct pm_p2m *p2m, struct mid *mid,
				     unsigned m, uint64_t base)
{
	struct leaf *old = mid->l[m], *leaf;

	if (!is_sentinel_leaf(old))
		return old;
	leaf = pool_take(p2m);
	for (unsigned i = 0; i < PER_PAGE; i++)
		leaf->e[i] = old == IDENTITY ? (base + i) | PM_P2M_IDENTITY_BIT :
					       PM_P2M_INVALID;
	stat_add(&p2m->stats.leaves, 1);
	stat_add(&p2m->stats.bytes, PM_P2M_PAGE_SIZE);
	publish_leaf(p2m, mid, m, leaf);
	return leaf;
}

/* A real leaf that has become uniform goes back to the sentinel. */
static void normalise_leaf(struct pm_p2m *p2m, struct mid *mid, unsigned m,
			   uint64_t base)
{
	struct leaf *leaf = mid->l[m];
	bool missing = true, identity = true;

	if (is_sentinel_leaf(leaf))
		return;
	for (unsigned i = 0; i < PER_PAGE && (missing || identity); i++) {
		uint64_t v = leaf->e[i];

		missing = missing && v == PM_P2M_INVALID;
		identity = identity && v == ((base + i) | PM_P2M_IDENTITY_BIT);
	}
	if (!missing && !identity)
		return;
	publish_leaf(p2m, mid, m, missing ? MISSING : IDENTITY);
	retire_leaf(p2m, leaf);
}

/* A real mid whose leaves are all one sentinel goes back to a mid sentinel. */
static void normalise_mid(struct pm_p2m *p2m, uint64_t t)
{
	struct mid *mid = p2m->top[t];
	struct leaf *first;

	if (is_sentinel_mid(mid))
		return;
	first = mid->l[0];
	if (!is_sentinel_leaf(first))
		return;
	for (unsigned m = 1; m < PER_PAGE; m++)
		if (mid->l[m] != first)
			return;
	publish_top(p2m, t, first == MISSING ? MID_MISSING : MID_IDENTITY);
	retire_mid(p2m, mid);
}

/* --- creation ----------------------------------------------------------- */

int pm_p2m_create(uint64_t max_pfn, const struct pm_p2m_allocator *alloc,
		  struct pm_p2m **out)
{
	struct pm_p2m *p2m = NULL;
	int rc;

	if (max_pfn == 0 || max_pfn > PM_P2M_MAX_PFN)
		return -EINVAL;
	if (alloc && (!alloc->alloc_page || !alloc->free_page))
		return -EINVAL;

	{
		void *map = mmap(NULL, sizeof(*p2m), PROT_READ | PROT_WRITE,
				 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);

		if (map == MAP_FAILED) {
			rc = -ENOMEM;
			goto out;
		}
		p2m = map;
	}
	p2m->identity = IDENTITY;
	p2m->max_pfn = max_pfn;
	p2m->top_entries = (max_pfn + MID_PFNS - 1) >> PM_P2M_MID_SHIFT;
	/* lookups without a read section only over the pool's pages: it
	 * never unmaps one while the tree lives (see pm_p2m_lookup) */
	p2m->top = NULL;
	if (alloc) {
		p2m->alloc = *alloc;
	} else {
		p2m->keep_mids = true;
#if !defined(__SANITIZE_THREAD__)
		p2m->top = p2m->front_top;
#endif
		p2m->own_pool = pm__pagepool_new();
		if (!p2m->own_pool) {
			rc = -ENOMEM;
			goto out;
		}
		p2m->alloc = (struct pm_p2m_allocator){
			.alloc_page = pm__pagepool_alloc,
			.free_page = pm__pagepool_give,
			.opaque = p2m->own_pool,
		};
	}
	if (!p2m->top)
		p2m->top = malloc(p2m->top_entries * sizeof(*p2m->top));
	if (!p2m->top) {
		rc = -ENOMEM;
		goto out;
	}
	for (uint64_t t = 0; t < p2m->top_entries; t++)
		p2m->top[t] = MID_MISSING;
	/* set_noalloc may retire two pages without growing the list */
	rc = grow(&p2m->retired, &p2m->retired_cap, 16);
	if (rc)
		goto out;
	pthread_mutex_init(&p2m->lock, NULL);
	pthread_mutex_init(&p2m->spare_lock, NULL);
	p2m->stats.top_entries = p2m->top_entries;
	p2m->stats.top_to_mid_missing = p2m->top_entries;
	p2m->stats.bytes = p2m->top_entries * sizeof(*p2m->top);
	*out = p2m;
	p2m = NULL;
	rc = 0;
out:
	if (p2m) {
		pm__pagepool_free(p2m->own_pool);
		if (p2m->top != p2m->front_top)
			free(p2m->top);
		free(p2m->retired);
		munmap(p2m, sizeof(*p2m));
	}
	return rc;
}

void pm_p2m_free(struct pm_p2m *p2m)
{
	if (!p2m)
		return;
	/* deferred frees of this tree may still be queued */
	urcu_bp_barrier();
	TSAN_ACQUIRE(&tsan_barrier);
	for (uint64_t t = 0; t < p2m->top_entries; t++) {
		struct mid *mid = p2m->top[t];

		if (is_sentinel_mid(mid))
			continue;
		for (unsigned m = 0; m < PER_PAGE; m++)
			if (!is_sentinel_leaf(mid->l[m]))
				p2m->alloc.free_page(p2m->alloc.opaque, mid->l[m]);
		p2m->alloc.free_page(p2m->alloc.opaque, mid);
	}
	for (size_t i = 0; i < p2m->retired_n; i++)
		p2m->alloc.free_page(p2m->alloc.opaque,
				     (void *)((uintptr_t)p2m->retired[i] & ~MID_TAG));
	for (size_t i = 0; i < p2m->pool_n; i++)
		p2m->alloc.free_page(p2m->alloc.opaque, p2m->pool[i]);
	for (size_t i = 0; i < p2m->spare_n; i++)
		p2m->alloc.free_page(p2m->alloc.opaque, p2m->spare[i]);
	pthread_mutex_destroy(&p2m->lock);
	pthread_mutex_destroy(&p2m->spare_lock);
	pm__pagepool_free(p2m->own_pool);
	free(p2m->retired);
	free(p2m->pool);
	free(p2m->spare);
	if (p2m->top != p2m->front_top)
		free(p2m->top);
	munmap(p2m, sizeof(*p2m));
}

uint64_t pm_p2m_max_pfn(const struct pm_p2m *p2m)
{
	return p2m->max_pfn;
}

/* --- reading ------------------------------------------------------------ */

/*
 * A range is walked one top entry at a time: [s, e) within mid t, and inside
 * it one leaf at a time. These helpers give the sub-range of the next step.
 */
static inline uint64_t step_end(uint64_t s, uint64_t e, uint64_t span)
{
	uint64_t boundary = (s | (span - 1)) + 1;

	return boundary < e ? boundary : e;
}

static inline bool whole(uint64_t s, uint64_t e, uint64_t span)
{
	return (s & (span - 1)) == 0 && e - s == span;
}

static int check_range(const struct pm_p2m *p2m, uint64_t start, uint64_t end)
{
	return start > end || end > p2m->max_pfn ? -EINVAL : 0;
}


/* Inside a read-side critical section (or under the writer lock). */
static inline uint64_t lookup_rcu(const struct pm_p2m *p2m, uint64_t pfn)
{
	struct mid *mid = load_mid(&p2m->top[TOP_IDX(pfn)]);
	struct leaf *leaf = load_leaf(&mid->l[MID_IDX(pfn)]);

	if (leaf == IDENTITY)
		return pfn | PM_P2M_IDENTITY_BIT;
	return load_entry(&leaf->e[LEAF_IDX(pfn)]);
}

/* The lookup in a read section: another allocator's tree, or a retry. */
uint64_t pm__p2m_lookup_slow(const struct pm_p2m *p2m, uint64_t pfn)
{
	uint64_t v;

	if (pfn >= p2m->max_pfn)
		return PM_P2M_INVALID;
	read_lock();
	v = lookup_rcu(p2m, pfn);
	read_unlock();
	return v;
}

/*
 * The lookup the header inlines reads the generation, walks, and reads
 * the generation again; if no page left the tree to be written again in
 * between, what it read was the tree. Over the default allocator's pages
 * it needs no read section (one cost 3x the walk: it keeps fewer
 * lookups' cache misses in flight). What makes reading a page that has
 * left the tree harmless: the pool never unmaps one while the tree lives,
 * and a mid is only ever reused as a mid, so the pointer taken from it is
 * some leaf's (or a sentinel's); a leaf's entry is only a number, checked
 * by the generation before it is returned. A pfn at or past max_pfn reads
 * as missing from the tree itself (no write reaches it; past the last mid
 * the top entry is NULL). Here is the exported copy, for a call.
 */
uint64_t pm_p2m_lookup(const struct pm_p2m *p2m, uint64_t pfn)
{
	return pm__p2m_lookup_inline(p2m, pfn);
}

/*
 * A batch goes a slice at a time in two passes: the first walks top and
 * mid (pages few enough to stay in the cache) for every pfn of the slice
 * and prefetches its entry, the second reads the entries. The leaves'
 * cache misses, one a lookup, are then all in flight together, as a flat
 * array's loads are (a pipeline 32 ahead kept too few in flight on this
 * nested host: 2x a flat array, against 0.9-1.05x). An identity leaf is
 * never read: its "entry" is the pfn's own value, kept aside.
 */
#define SLICE 256

static inline const uint64_t *entry_at(const struct pm_p2m *p2m, uint64_t pfn, uint64_t *aside)
{
	static const uint64_t invalid = PM_P2M_INVALID;
	const struct leaf *leaf;

	if (pfn >= p2m->max_pfn)
		return &invalid;
	leaf = load_leaf(&load_mid(&p2m->top[TOP_IDX(pfn)])->l[MID_IDX(pfn)]);
	if (leaf == IDENTITY) {
		*aside = pfn | PM_P2M_IDENTITY_BIT;
		return aside;
	}
	return &leaf->e[LEAF_IDX(pfn)];
}

int pm_p2m_lookup_batch(const struct pm_p2m *p2m, const uint64_t *pfns,
			uint64_t *out, size_t n)
{
	const uint64_t *at[SLICE];
	uint64_t aside[SLICE];

	read_lock();
	for (size_t first = 0; first < n; first += SLICE) {
		size_t len = n - first < SLICE ? n - first : SLICE;

		for (size_t i = 0; i < len; i++) {
			at[i] = entry_at(p2m, pfns[first + i], &aside[i]);
			__builtin_prefetch(at[i]);
		}
		for (size_t i = 0; i < len; i++)
			out[first + i] = load_entry(at[i]);
	}
	read_unlock();
	return 0;
}

int pm_p2m_read_range(const struct pm_p2m *p2m, uint64_t start, uint64_t end,
		      uint64_t *out)
{
	if (check_range(p2m, start, end))
		return -EINVAL;
	read_lock();
	for (uint64_t ls = start; ls < end; ls = step_end(ls, end, LEAF_PFNS)) {
		uint64_t le = step_end(ls, end, LEAF_PFNS);
		struct mid *mid = load_mid(&p2m->top[TOP_IDX(ls)]);
		struct leaf *leaf = load_leaf(&mid->l[MID_IDX(ls)]);

		for (uint64_t p = ls; p < le; p++)
			*out++ = leaf == IDENTITY ? p | PM_P2M_IDENTITY_BIT :
				 leaf == MISSING ? PM_P2M_INVALID :
				 load_entry(&leaf->e[LEAF_IDX(p)]);
	}
	read_unlock();
	return 0;
}

int pm_p2m_explain(const struct pm_p2m *p2m, uint64_t pfn,
		   struct pm_p2m_path *path)
{
	struct mid *mid;
	struct leaf *leaf;

	if (pfn >= p2m->max_pfn)
		return -EINVAL;
	read_lock();
	mid = load_mid(&p2m->top[TOP_IDX(pfn)]);
	leaf = load_leaf(&mid->l[MID_IDX(pfn)]);
	path->pfn = pfn;
	path->top_index = TOP_IDX(pfn);
	path->mid_index = MID_IDX(pfn);
	path->leaf_index = LEAF_IDX(pfn);
	path->mid = mid_kind(mid);
	path->leaf = leaf_kind(leaf);
	path->value = leaf == IDENTITY ? pfn | PM_P2M_IDENTITY_BIT :
		      load_entry(&leaf->e[LEAF_IDX(pfn)]);
	read_unlock();
	return 0;
}

/* Does @v continue a run of @kind whose entry at @pfn would be @expect? */
static inline bool continues(enum pm_p2m_kind kind, uint64_t v, uint64_t expect)
{
	switch (kind) {
	case PM_P2M_MISSING: return v == PM_P2M_INVALID;
	case PM_P2M_IDENTITY: return v != PM_P2M_INVALID && (v & PM_P2M_IDENTITY_BIT);
	default: return v == expect;
	}
}

int pm_p2m_next_run(const struct pm_p2m *p2m, uint64_t pfn,
		    struct pm_p2m_run *run)
{
	uint64_t first, end = p2m->max_pfn, next;
	enum pm_p2m_kind kind;
	const struct leaf *want_leaf;
	const struct mid *want_mid;

	if (pfn >= end)
		return -ENOENT;
	read_lock();
	first = lookup_rcu(p2m, pfn);
	kind = pm_p2m_kind_of(first);
	/* whole pages of these sentinels continue a run without being read */
	want_leaf = kind == PM_P2M_MISSING ? MISSING :
		    kind == PM_P2M_IDENTITY ? IDENTITY : NULL;
	want_mid = kind == PM_P2M_MISSING ? MID_MISSING :
		   kind == PM_P2M_IDENTITY ? MID_IDENTITY : NULL;

	next = pfn + 1;
	while (next < end) {
		struct mid *mid = load_mid(&p2m->top[TOP_IDX(next)]);
		struct leaf *leaf;

		if ((next & (MID_PFNS - 1)) == 0 && want_mid && mid == want_mid) {
			next += MID_PFNS;
			continue;
		}
		leaf = load_leaf(&mid->l[MID_IDX(next)]);
		if (want_leaf && leaf == want_leaf) {
			next = (next | (LEAF_PFNS - 1)) + 1;
			continue;
		}
		if (leaf == IDENTITY || leaf == MISSING) {
			/* a sentinel of the other kind ends the run here */
			break;
		}
		{
			unsigned i = LEAF_IDX(next);
			uint64_t expect = first + (next - pfn);

			while (i < PER_PAGE &&
			       continues(kind, load_entry(&leaf->e[i]), expect)) {
				i++;
				expect++;
			}
			next = (next & ~(LEAF_PFNS - 1)) + i;
			if (i < PER_PAGE)
				break;
		}
	}
	read_unlock();

	run->start = pfn;
	run->end = next < end ? next : end;
	run->kind = kind;
	run->mfn = (kind == PM_P2M_RAM || kind == PM_P2M_FOREIGN) ?
		   first & PM_P2M_FRAME_MASK : 0;
	return 0;
}

int pm_p2m_stats(const struct pm_p2m *p2m, struct pm_p2m_stats *stats)
{
	const struct pm_p2m_stats *s = &p2m->stats;

	stats->top_entries = s->top_entries;
	stats->mids = __atomic_load_n(&s->mids, __ATOMIC_RELAXED);
	stats->leaves = __atomic_load_n(&s->leaves, __ATOMIC_RELAXED);
	stats->bytes = __atomic_load_n(&s->bytes, __ATOMIC_RELAXED);
	stats->top_to_mid_missing = __atomic_load_n(&s->top_to_mid_missing, __ATOMIC_RELAXED);
	stats->top_to_mid_identity = __atomic_load_n(&s->top_to_mid_identity, __ATOMIC_RELAXED);
	stats->mid_to_missing = __atomic_load_n(&s->mid_to_missing, __ATOMIC_RELAXED);
	stats->mid_to_identity = __atomic_load_n(&s->mid_to_identity, __ATOMIC_RELAXED);
	return 0;
}

int pm__p2m_recount(const struct pm_p2m *p2m, struct pm_p2m_stats *st,
		    uint64_t *bad_pages)
{
	uint64_t bad = 0;

	memset(st, 0, sizeof(*st));
	st->top_entries = p2m->top_entries;
	st->bytes = p2m->top_entries * sizeof(*p2m->top);
	read_lock();
	for (uint64_t t = 0; t < p2m->top_entries; t++) {
		struct mid *mid = load_mid(&p2m->top[t]);
		unsigned n_missing = 0, n_identity = 0;

		if (mid == MID_MISSING) {
			st->top_to_mid_missing++;
			continue;
		}
		if (mid == MID_IDENTITY) {
			st->top_to_mid_identity++;
			continue;
		}
		st->mids++;
		for (unsigned m = 0; m < PER_PAGE; m++) {
			struct leaf *l = load_leaf(&mid->l[m]);
			uint64_t base = (t << PM_P2M_MID_SHIFT) |
					((uint64_t)m << PM_P2M_LEAF_SHIFT);
			bool missing = true, identity = true;

			if (l == MISSING) {
				n_missing++;
				continue;
			}
			if (l == IDENTITY) {
				n_identity++;
				continue;
			}
			st->leaves++;
			for (unsigned i = 0; i < PER_PAGE; i++) {
				uint64_t v = load_entry(&l->e[i]);

				missing = missing && v == PM_P2M_INVALID;
				identity = identity &&
					   v == ((base + i) | PM_P2M_IDENTITY_BIT);
			}
			bad += missing || identity;
		}
		st->mid_to_missing += n_missing;
		st->mid_to_identity += n_identity;
		bad += n_missing == PER_PAGE || n_identity == PER_PAGE;
	}
	read_unlock();
	st->bytes += (st->mids + st->leaves) * PM_P2M_PAGE_SIZE;
	if (bad_pages)
		*bad_pages = bad;
	return 0;
}

int pm_p2m_frame_lists(const struct pm_p2m *p2m, pm_p2m_frame_fn fn,
		       void *opaque, uint64_t *leaf_frames, size_t nr_leaf,
		       uint64_t *mid_frames, size_t nr_mid)
{
	int rc = 0;

	if (nr_mid < p2m->top_entries ||
	    nr_leaf / PER_PAGE < p2m->top_entries)
		return -ENOSPC;
	read_lock();
	for (uint64_t t = 0; t < p2m->top_entries && rc == 0; t++) {
		struct mid *mid = load_mid(&p2m->top[t]);

		rc = fn(opaque, mid, 2, mid_kind(mid), &mid_frames[t]);
		for (unsigned m = 0; m < PER_PAGE && rc == 0; m++) {
			struct leaf *l = load_leaf(&mid->l[m]);

			rc = fn(opaque, l, 1, leaf_kind(l),
				&leaf_frames[t * PER_PAGE + m]);
		}
	}
	read_unlock();
	return rc;
}

/* --- writing: single entries -------------------------------------------- */

/*
 * Pages a write of @value at @pfn needs: 0 if the entry is in a real leaf or
 * the sentinel already means @value, else a leaf and possibly a mid.
 */
static size_t set_needs(const struct pm_p2m *p2m, uint64_t pfn, uint64_t value)
{
	struct mid *mid = p2m->top[TOP_IDX(pfn)];
	struct leaf *leaf = mid->l[MID_IDX(pfn)];

	if (!is_sentinel_leaf(leaf))
		return 0;
	if ((leaf == MISSING && value == PM_P2M_INVALID) ||
	    (leaf == IDENTITY && value == (pfn | PM_P2M_IDENTITY_BIT)))
		return 0;
	return 1 + is_sentinel_mid(mid);
}

static void set_apply(struct pm_p2m *p2m, uint64_t pfn, uint64_t value)
{
	uint64_t t = TOP_IDX(pfn);
	unsigned m = MID_IDX(pfn);
	uint64_t base = pfn & ~(LEAF_PFNS - 1);
	struct mid *mid;
	struct leaf *leaf;

	if (set_needs(p2m, pfn, value) == 0 && is_sentinel_leaf(p2m->top[t]->l[m]))
		return;  /* the sentinel already says it */
	mid = materialise_mid(p2m, t);
	leaf = materialise_leaf(p2m, mid, m, base);
	store_entry(&leaf->e[LEAF_IDX(pfn)], value);
	if (value == PM_P2M_INVALID || (value & PM_P2M_IDENTITY_BIT)) {
		normalise_leaf(p2m, mid, m, base);
		normalise_mid(p2m, t);
	}
}

int pm_p2m_set(struct pm_p2m *p2m, uint64_t pfn, uint64_t value)
{
	int rc;

	if (pfn >= p2m->max_pfn || check_value(pfn, value))
		return -EINVAL;
	pthread_mutex_lock(&p2m->lock);
	rc = reserve(p2m, set_needs(p2m, pfn, value), 2);
	if (rc == 0)
		set_apply(p2m, pfn, value);
	finish_write(p2m);
	pthread_mutex_unlock(&p2m->lock);
	return rc;
}

int pm_p2m_set_noalloc(struct pm_p2m *p2m, uint64_t pfn, uint64_t value)
{
	int rc = 0;

	if (pfn >= p2m->max_pfn || check_value(pfn, value))
		return -EINVAL;
	pthread_mutex_lock(&p2m->lock);
	/*
	 * No allocation at all: not a page, not a call_rcu batch. Pages this
	 * retires wait in the retire list for the next allocating write (or
	 * pm_p2m_free), which is why that list always has room for two.
	 */
	if (set_needs(p2m, pfn, value) > p2m->pool_n ||
	    p2m->retired_cap - p2m->retired_n < 2)
		rc = -ENOMEM;
	else
		set_apply(p2m, pfn, value);
	pthread_mutex_unlock(&p2m->lock);
	return rc;
}

/* --- writing: ranges ---------------------------------------------------- */

/* Real pages under [s, e) that a write could retire. */
static size_t real_pages_in(const struct pm_p2m *p2m, uint64_t s, uint64_t e)
{
	size_t n = 0;

	for (uint64_t ms = s; ms < e; ms = step_end(ms, e, MID_PFNS)) {
		struct mid *mid = p2m->top[TOP_IDX(ms)];
		uint64_t me = step_end(ms, e, MID_PFNS);

		if (is_sentinel_mid(mid))
			continue;
		n++;
		for (uint64_t ls = ms; ls < me; ls = step_end(ls, me, LEAF_PFNS))
			n += !is_sentinel_leaf(mid->l[MID_IDX(ls)]);
	}
	return n;
}

int pm_p2m_set_range(struct pm_p2m *p2m, uint64_t pfn, uint64_t mfn,
		     uint64_t count)
{
	uint64_t end = pfn + count, frame = mfn & PM_P2M_FRAME_MASK;
	size_t need = 0;
	int rc;

	if (end < pfn || end > p2m->max_pfn || (mfn & PM_P2M_IDENTITY_BIT) ||
	    frame + count < frame || frame + count > PM_P2M_IDENTITY_BIT)
		return -EINVAL;
	if (count == 0)
		return 0;

	pthread_mutex_lock(&p2m->lock);
	/* plan: a mid for each sentinel mid, a leaf for each sentinel leaf */
	for (uint64_t ms = pfn; ms < end; ms = step_end(ms, end, MID_PFNS)) {
		struct mid *mid = p2m->top[TOP_IDX(ms)];
		uint64_t me = step_end(ms, end, MID_PFNS);

		need += is_sentinel_mid(mid);
		for (uint64_t ls = ms; ls < me; ls = step_end(ls, me, LEAF_PFNS))
			need += is_sentinel_leaf(mid->l[MID_IDX(ls)]);
	}
	rc = reserve(p2m, need, 0);
	if (rc)
		goto out;

	for (uint64_t ls = pfn; ls < end; ls = step_end(ls, end, LEAF_PFNS)) {
		uint64_t le = step_end(ls, end, LEAF_PFNS);
		struct mid *mid = materialise_mid(p2m, TOP_IDX(ls));
		struct leaf *leaf = materialise_leaf(p2m, mid, MID_IDX(ls),
						     ls & ~(LEAF_PFNS - 1));
		uint64_t v = mfn + (ls - pfn);

		for (unsigned i = LEAF_IDX(ls); i < LEAF_IDX(le - 1) + 1u; i++)
			store_entry(&leaf->e[i], v++);
	}
out:
	finish_write(p2m);
	pthread_mutex_unlock(&p2m->lock);
	return rc;
}

/*
 * The plan of clear_range (fill with missing) and set_identity (fill with
 * identity): whole pages simply point at the fill's sentinel, so only a
 * partly covered page of the *other* sentinel needs a real copy - at most
 * two mids and two leaves for any range.
 */
static size_t pages_to_fill(const struct pm_p2m *p2m, uint64_t start,
			    uint64_t end, const struct mid *fill)
{
	const struct mid *other = fill == MID_MISSING ? MID_IDENTITY : MID_MISSING;
	const struct leaf *other_leaf = other->l[0];
	size_t need = 0;

	for (uint64_t ms = start; ms < end; ms = step_end(ms, end, MID_PFNS)) {
		uint64_t me = step_end(ms, end, MID_PFNS);
		struct mid *mid = p2m->top[TOP_IDX(ms)];

		if (mid == fill || whole(ms, me, MID_PFNS))
			continue;
		need += mid == other;
		for (uint64_t ls = ms; ls < me; ls = step_end(ls, me, LEAF_PFNS))
			need += mid->l[MID_IDX(ls)] == other_leaf &&
				!whole(ls, step_end(ls, me, LEAF_PFNS), LEAF_PFNS);
	}
	return need;
}

int pm_p2m_clear_range(struct pm_p2m *p2m, uint64_t start, uint64_t end)
{
	size_t need = 0;
	int rc;

	if (check_range(p2m, start, end))
		return -EINVAL;
	if (start == end)
		return 0;

	pthread_mutex_lock(&p2m->lock);
	need = pages_to_fill(p2m, start, end, MID_MISSING);
	rc = reserve(p2m, need, real_pages_in(p2m, start, end) + need);
	if (rc)
		goto out;

	for (uint64_t ms = start; ms < end; ms = step_end(ms, end, MID_PFNS)) {
		uint64_t me = step_end(ms, end, MID_PFNS), t = TOP_IDX(ms);
		struct mid *mid = p2m->top[t];

		if (mid == MID_MISSING)
			continue;
		if (whole(ms, me, MID_PFNS)) {
			publish_top(p2m, t, MID_MISSING);
			if (mid != MID_IDENTITY)
				retire_mid(p2m, mid);
			continue;
		}
		mid = materialise_mid(p2m, t);
		for (uint64_t ls = ms; ls < me; ls = step_end(ls, me, LEAF_PFNS)) {
			uint64_t le = step_end(ls, me, LEAF_PFNS);
			unsigned m = MID_IDX(ls);
			struct leaf *leaf = mid->l[m];

			if (leaf == MISSING)
				continue;
			if (whole(ls, le, LEAF_PFNS)) {
				publish_leaf(p2m, mid, m, MISSING);
				if (leaf != IDENTITY)
					retire_leaf(p2m, leaf);
				continue;
			}
			leaf = materialise_leaf(p2m, mid, m, ls & ~(LEAF_PFNS - 1));
			for (unsigned i = LEAF_IDX(ls); i < LEAF_IDX(le - 1) + 1u; i++)
				store_entry(&leaf->e[i], PM_P2M_INVALID);
			normalise_leaf(p2m, mid, m, ls & ~(LEAF_PFNS - 1));
		}
		normalise_mid(p2m, t);
	}
out:
	finish_write(p2m);
	pthread_mutex_unlock(&p2m->lock);
	return rc;
}

long pm_p2m_set_identity(struct pm_p2m *p2m, uint64_t start, uint64_t end)
{
	uint64_t count = 0;
	size_t need = 0;
	int rc;

	if (check_range(p2m, start, end))
		return -EINVAL;
	if (start == end)
		return 0;

	pthread_mutex_lock(&p2m->lock);
	need = pages_to_fill(p2m, start, end, MID_IDENTITY);
	rc = reserve(p2m, need, real_pages_in(p2m, start, end) + need);
	if (rc)
		goto out;

	for (uint64_t ms = start; ms < end; ms = step_end(ms, end, MID_PFNS)) {
		uint64_t me = step_end(ms, end, MID_PFNS), t = TOP_IDX(ms);
		struct mid *mid = p2m->top[t];

		if (mid == MID_IDENTITY) {
			count += me - ms;
			continue;
		}
		if (mid == MID_MISSING && whole(ms, me, MID_PFNS)) {
			publish_top(p2m, t, MID_IDENTITY);
			count += me - ms;
			continue;
		}
		mid = materialise_mid(p2m, t);
		for (uint64_t ls = ms; ls < me; ls = step_end(ls, me, LEAF_PFNS)) {
			uint64_t le = step_end(ls, me, LEAF_PFNS);
			uint64_t base = ls & ~(LEAF_PFNS - 1);
			unsigned m = MID_IDX(ls);
			struct leaf *leaf = mid->l[m];

			if (leaf == IDENTITY) {
				count += le - ls;
				continue;
			}
			if (leaf == MISSING && whole(ls, le, LEAF_PFNS)) {
				publish_leaf(p2m, mid, m, IDENTITY);
				count += le - ls;
				continue;
			}
			leaf = materialise_leaf(p2m, mid, m, base);
			for (unsigned i = LEAF_IDX(ls); i < LEAF_IDX(le - 1) + 1u; i++) {
				uint64_t v = leaf->e[i];

				if (v == PM_P2M_INVALID) {
					v = (base + i) | PM_P2M_IDENTITY_BIT;
					store_entry(&leaf->e[i], v);
				}
				count += pm_p2m_kind_of(v) == PM_P2M_IDENTITY;
			}
			normalise_leaf(p2m, mid, m, base);
		}
		normalise_mid(p2m, t);
	}
out:
	finish_write(p2m);
	pthread_mutex_unlock(&p2m->lock);
	return rc ? rc : (long)count;
}

/* --- reservations ------------------------------------------------------- */

int pm__p2m_reserve(struct pm_p2m *p2m, size_t pages)
{
	int rc;

	pthread_mutex_lock(&p2m->lock);
	rc = reserve(p2m, p2m->pool_n + pages, 0);
	if (rc == 0)
		p2m->reserved = p2m->pool_n;
	pthread_mutex_unlock(&p2m->lock);
	return rc;
}

void pm__p2m_unreserve(struct pm_p2m *p2m)
{
	pthread_mutex_lock(&p2m->lock);
	p2m->reserved = 0;
	while (p2m->pool_n)
		p2m->alloc.free_page(p2m->alloc.opaque, p2m->pool[--p2m->pool_n]);
	pthread_mutex_unlock(&p2m->lock);
}
