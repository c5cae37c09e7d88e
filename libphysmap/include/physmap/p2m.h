/*
 * physmap/p2m.h - a guest's physical-to-machine map as a three-level tree
 *
 * Glossary
 *   pfn       guest (pseudo-)physical frame number
 *   mfn       machine frame number (a frame of the host, or of the simulator's
 *             frame pool)
 *   leaf      a page of 512 entries, pfn -> mfn; covers 2 MiB of guest memory
 *   mid       a page of 512 leaf pointers; covers 1 GiB
 *   top       the array of mid pointers, sized from max_pfn at creation
 *   sentinel  one of four shared read-only pages: the `missing` leaf (every
 *             entry INVALID), `mid_missing` (every pointer to `missing`), the
 *             `identity` leaf and `mid_identity` (every pointer to `identity`)
 *
 * A lookup is three dependent loads (top, mid, leaf). A pfn whose leaf is the
 * identity sentinel reads as `pfn | PM_P2M_IDENTITY_BIT`, decided by comparing
 * the leaf pointer, never by reading the sentinel. Unpopulated and identity
 * ranges therefore cost no memory when they cover whole leaves or mids.
 *
 * Invariants (checked by the tests): writing one pfn changes only that pfn;
 * no real leaf is wholly missing or wholly identity, and no real mid points
 * only to one leaf sentinel: such pages are replaced by the sentinel and
 * freed. Every write operation is all or nothing: it computes the pages it
 * needs and allocates them before changing anything, so -ENOMEM leaves the
 * tree exactly as it was.
 *
 * Concurrency: any number of threads may call the read functions (lookup,
 * explain, runs, stats, frame lists) at any time without a lock while
 * writers change the tree; writers are serialised by the tree's own lock.
 * A reader sees each entry either before or after a concurrent write, never
 * torn. Replaced pages are freed after an RCU grace period (liburcu's
 * "bulletproof" flavour, so reader threads need no registration).
 * pm_p2m_lookup() on a tree of the default allocator takes no read section
 * at all: it checks a generation the writer moves before a page that left
 * the tree is written again, and retries in a read section if it moved.
 */
#ifndef PHYSMAP_P2M_H
#define PHYSMAP_P2M_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Entry encoding, as Linux and Xen use it. */
#define PM_P2M_INVALID       (~UINT64_C(0))
#define PM_P2M_IDENTITY_BIT  (UINT64_C(1) << 62)
#define PM_P2M_FOREIGN_BIT   (UINT64_C(1) << 63)
#define PM_P2M_FRAME_MASK    (PM_P2M_IDENTITY_BIT - 1)

#define PM_P2M_PER_PAGE      512
#define PM_P2M_PAGE_SIZE     4096
#define PM_P2M_LEAF_SHIFT    9   /* pfns per leaf: 1 << 9 */
#define PM_P2M_MID_SHIFT     18  /* pfns per mid: 1 << 18 */
#define PM_P2M_MAX_PFN       (UINT64_C(1) << 40)

struct pm_p2m;

/** What an entry means. */
enum pm_p2m_kind {
	PM_P2M_MISSING = 0,  /* unpopulated or ballooned out (INVALID) */
	PM_P2M_RAM,          /* backed by a machine frame */
	PM_P2M_IDENTITY,     /* pfn == mfn: an E820 hole, MMIO passthrough */
	PM_P2M_FOREIGN,      /* a frame of another domain, mapped here */
};

/**
 * pm_p2m_kind_of - classify an entry value (as pm_p2m_lookup returns it)
 * returns: its kind; never fails.
 */
enum pm_p2m_kind pm_p2m_kind_of(uint64_t value);

/**
 * pm_p2m_kind_name - "missing", "ram", "identity" or "foreign"
 * returns: a static string; "?" for a value outside the enum.
 */
const char *pm_p2m_kind_name(enum pm_p2m_kind kind);

/**
 * struct pm_p2m_allocator - where tree pages come from
 * @alloc_page: returns a PM_P2M_PAGE_SIZE page, aligned to its size, or NULL
 * @free_page: gives a page back; may be called from liburcu's call_rcu
 *             thread, after a grace period
 * @opaque: passed to both
 * The simulator uses it to account tree pages; tests use it to fail the Nth
 * allocation. The allocator must outlive the tree (pm_p2m_free waits for
 * every deferred free).
 */
struct pm_p2m_allocator {
	void *(*alloc_page)(void *opaque);
	void (*free_page)(void *opaque, void *page);
	void *opaque;
};

/**
 * pm_p2m_create - a tree for pfns [0, max_pfn), every entry missing
 * @max_pfn: 1 .. PM_P2M_MAX_PFN (2^40 pfns, 4 PiB of guest memory)
 * @alloc: page allocator, copied; NULL for the default: pages cut from
 *     2 MiB chunks (transparent huge pages where the kernel grants them)
 *     that the tree maps and unmaps itself
 * @out: receives the tree; the caller frees it with pm_p2m_free()
 * The top level has ceil(max_pfn / 2^18) entries; nothing else is allocated.
 * returns:
 *   0, on success
 *   -EINVAL, if max_pfn is 0 or above PM_P2M_MAX_PFN, or @alloc lacks a hook
 *   -ENOMEM, if the top level (or the default allocator) could not be
 *   allocated
 */
int pm_p2m_create(uint64_t max_pfn, const struct pm_p2m_allocator *alloc,
		  struct pm_p2m **out);

/**
 * pm_p2m_free - free the tree and every page it owns
 * Waits for pending deferred frees. No reader may be using the tree.
 * NULL is allowed (idempotent dispose for error paths).
 */
void pm_p2m_free(struct pm_p2m *p2m);

/**
 * pm_p2m_max_pfn - the end of the pfn space given at creation
 */
uint64_t pm_p2m_max_pfn(const struct pm_p2m *p2m);

/**
 * pm_p2m_lookup - the entry for @pfn
 * Lock-free; safe against concurrent writers. Compiled inline into the
 * caller (GCC and Clang; the library exports it too): over a tree of the
 * default allocator it needs no read section and no call.
 * returns: the mfn (possibly with PM_P2M_FOREIGN_BIT), `pfn |
 *   PM_P2M_IDENTITY_BIT` for identity, PM_P2M_INVALID for missing and for
 *   any pfn >= max_pfn.
 */
uint64_t pm_p2m_lookup(const struct pm_p2m *p2m, uint64_t pfn);

/*
 * What the inline lookup reads: the front of every tree. Not API: it
 * changes only with the library's soname. How a lookup may read the tree
 * without a read section, and why that is safe, is told in p2m.c.
 */
struct pm__p2m_front {
	uint64_t recycled;                  /* the generation */
	const uint64_t *identity;           /* the identity sentinel leaf */
	const uint64_t *const *top[PM_P2M_MAX_PFN >> PM_P2M_MID_SHIFT];  /* NULL: call */
};

/**
 * pm__p2m_lookup_slow - pm_p2m_lookup() in a read section: what the
 * inline lookup calls when it cannot read the tree on its own
 * returns: as pm_p2m_lookup()
 */
uint64_t pm__p2m_lookup_slow(const struct pm_p2m *p2m, uint64_t pfn);

#if defined(__GNUC__)
/* inline only (no symbol anywhere), so that p2m.c's exported copy is this */
extern __inline__ __attribute__((__gnu_inline__, __always_inline__)) uint64_t
pm__p2m_lookup_inline(const struct pm_p2m *p2m, uint64_t pfn)
{
#if defined(__SANITIZE_THREAD__)
	/* ThreadSanitizer knows no fences: the read section it understands */
	return pm__p2m_lookup_slow(p2m, pfn);
#else
	const struct pm__p2m_front *f = (const struct pm__p2m_front *)(const void *)p2m;
	uint64_t gen = __atomic_load_n(&f->recycled, __ATOMIC_ACQUIRE), v;
	const uint64_t *const *mid;
	const uint64_t *leaf;

	if (pfn >= PM_P2M_MAX_PFN)
		return PM_P2M_INVALID;
	mid = __atomic_load_n(&f->top[pfn >> PM_P2M_MID_SHIFT], __ATOMIC_ACQUIRE);
	if (!mid)
		return pm__p2m_lookup_slow(p2m, pfn);
#ifdef PM__P2M_LOOKUP_STALL
	PM__P2M_LOOKUP_STALL();   /* a test's: here pages may leave the tree */
#endif
	leaf = __atomic_load_n(&mid[(pfn >> PM_P2M_LEAF_SHIFT) & (PM_P2M_PER_PAGE - 1)],
			       __ATOMIC_ACQUIRE);
#ifdef PM__P2M_LOOKUP_STALL
	PM__P2M_LOOKUP_STALL();
#endif
	if (leaf == f->identity)
		v = pfn | PM_P2M_IDENTITY_BIT;
	else
		v = __atomic_load_n(&leaf[pfn & (PM_P2M_PER_PAGE - 1)], __ATOMIC_RELAXED);
	__atomic_thread_fence(__ATOMIC_ACQUIRE);
	if (__atomic_load_n(&f->recycled, __ATOMIC_RELAXED) != gen)
		return pm__p2m_lookup_slow(p2m, pfn);
	return v;
#endif
}

extern __inline__ __attribute__((__gnu_inline__, __always_inline__)) uint64_t
pm_p2m_lookup(const struct pm_p2m *p2m, uint64_t pfn)
{
	return pm__p2m_lookup_inline(p2m, pfn);
}
#endif

/**
 * pm_p2m_lookup_batch - pm_p2m_lookup() of @n pfns, in one read-side section
 * @pfns: the pfns, any order
 * @out: receives the entries (same rules as pm_p2m_lookup())
 * A single lookup pays for entering RCU (a thread-local access through the
 * dynamic linker) and a call; a batch pays once, and independent lookups
 * overlap in the CPU. What the simulator and migration use.
 * returns: 0 (cannot fail)
 */
int pm_p2m_lookup_batch(const struct pm_p2m *p2m, const uint64_t *pfns,
			uint64_t *out, size_t n);

/**
 * pm_p2m_read_range - the entries of [start, end) into @out
 * @out: end - start entries
 * Whole sentinel leaves are filled without being read.
 * returns:
 *   0, on success
 *   -EINVAL, if start > end or end > max_pfn
 */
int pm_p2m_read_range(const struct pm_p2m *p2m, uint64_t start, uint64_t end,
		      uint64_t *out);

/**
 * pm_p2m_set - set one entry, allocating a leaf (and mid) as needed
 * @value: an mfn (< 2^62), an mfn | PM_P2M_FOREIGN_BIT, `pfn |
 *         PM_P2M_IDENTITY_BIT`, or PM_P2M_INVALID to clear it
 * Only @pfn changes: a value of pfn itself in a missing range is RAM, never
 * identity. A leaf or mid left wholly missing or identity becomes the
 * sentinel again.
 * returns:
 *   0, on success
 *   -EINVAL, if pfn >= max_pfn, or @value carries the identity bit with a
 *            frame other than pfn, or both flag bits (and is not INVALID)
 *   -ENOMEM, if a page could not be allocated (nothing changed)
 */
int pm_p2m_set(struct pm_p2m *p2m, uint64_t pfn, uint64_t value);

/**
 * pm_p2m_set_noalloc - pm_p2m_set() for contexts that cannot allocate
 * Like Linux's __set_phys_to_machine: succeeds when the entry lives in a
 * real leaf, or when the sentinel already says @value (INVALID in a missing
 * leaf, identity in an identity leaf).
 * returns:
 *   0, on success
 *   -EINVAL, as pm_p2m_set()
 *   -ENOMEM, if the write would need a new page, or would retire one
 *            while earlier pages retired this way still wait for the next
 *            allocating write (nothing changed); the caller retries with
 *            pm_p2m_set() where it may allocate
 * It neither allocates nor blocks: pages it retires are handed to RCU by
 * the next write that may allocate, or freed by pm_p2m_free().
 */
int pm_p2m_set_noalloc(struct pm_p2m *p2m, uint64_t pfn, uint64_t value);

/**
 * pm_p2m_set_range - map [pfn, pfn + count) to [mfn, mfn + count)
 * @mfn: the first frame, optionally with PM_P2M_FOREIGN_BIT
 * returns:
 *   0, on success (count 0 included)
 *   -EINVAL, if the range passes max_pfn or wraps, @mfn carries the
 *            identity bit, or mfn + count would reach the flag bits
 *   -ENOMEM, if pages could not be allocated (nothing changed)
 */
int pm_p2m_set_range(struct pm_p2m *p2m, uint64_t pfn, uint64_t mfn,
		     uint64_t count);

/**
 * pm_p2m_clear_range - make [start, end) missing
 * Whole leaves and mids become the missing sentinels; their pages are freed
 * after a grace period. Clearing part of an identity sentinel leaf needs a
 * real leaf (at most two leaves and two mids for any range).
 * returns:
 *   0, on success (start == end included)
 *   -EINVAL, if start > end or end > max_pfn
 *   -ENOMEM, if a page could not be allocated (nothing changed)
 */
int pm_p2m_clear_range(struct pm_p2m *p2m, uint64_t start, uint64_t end);

/**
 * pm_p2m_set_identity - map [start, end) 1:1 (E820 holes, MMIO)
 * Missing entries become identity; RAM and foreign entries are left alone.
 * Whole aligned leaves and mids share the identity sentinels; a partial leaf
 * gets a real leaf; at most two leaves and two mids are allocated, so 1 TiB
 * costs nothing but top-level pointers.
 * returns:
 *   the number of pfns in [start, end) that are identity afterwards
 *   -EINVAL, if start > end or end > max_pfn
 *   -ENOMEM, if a page could not be allocated (nothing changed)
 */
long pm_p2m_set_identity(struct pm_p2m *p2m, uint64_t start, uint64_t end);

/**
 * struct pm_p2m_run - a maximal range of one kind
 * @start, @end: pfns, [start, end)
 * @kind: what the range is
 * @mfn: for RAM and foreign runs the first frame (without flag bits); the
 *       run maps to [mfn, mfn + end - start). 0 for the other kinds.
 */
struct pm_p2m_run {
	uint64_t start, end;
	enum pm_p2m_kind kind;
	uint64_t mfn;
};

/**
 * pm_p2m_next_run - the run that contains @pfn, extended to its end
 * Coalesces RAM and foreign entries with contiguous frames, and identity
 * and missing entries. Iterate with `for (pfn = 0; pm_p2m_next_run(p2m, pfn,
 * &run) == 0; pfn = run.end)`. Whole sentinel leaves and mids are skipped
 * without reading them.
 * returns:
 *   0, on success (@run filled; run->start == pfn)
 *   -ENOENT, if pfn >= max_pfn (the end of iteration)
 */
int pm_p2m_next_run(const struct pm_p2m *p2m, uint64_t pfn,
		    struct pm_p2m_run *run);

/** What a level of the tree is, on the path of one pfn. */
enum pm_p2m_page_kind {
	PM_P2M_PAGE_REAL = 0,         /* a page of this tree */
	PM_P2M_PAGE_MISSING,          /* the missing (leaf or mid) sentinel */
	PM_P2M_PAGE_IDENTITY,         /* the identity (leaf or mid) sentinel */
};

/**
 * struct pm_p2m_path - how the tree resolves one pfn (for `pxl p2m --pfn`)
 */
struct pm_p2m_path {
	uint64_t pfn;
	uint64_t top_index;                /* pfn >> 18 */
	unsigned mid_index, leaf_index;    /* (pfn >> 9) & 511, pfn & 511 */
	enum pm_p2m_page_kind mid, leaf;   /* what each level points to */
	uint64_t value;                    /* what pm_p2m_lookup() returns */
};

/**
 * pm_p2m_explain - the tree path of @pfn
 * returns:
 *   0, on success
 *   -EINVAL, if pfn >= max_pfn
 */
int pm_p2m_explain(const struct pm_p2m *p2m, uint64_t pfn,
		   struct pm_p2m_path *path);

/**
 * struct pm_p2m_stats - the tree's shape and cost
 * @top_entries: entries of the top level
 * @mids, @leaves: real pages allocated at each level
 * @bytes: memory of the tree: top level plus 4 KiB per real page
 * @top_to_mid_missing, @top_to_mid_identity: top entries pointing at the
 *     mid sentinels
 * @mid_to_missing, @mid_to_identity: entries of real mids pointing at the
 *     leaf sentinels
 */
struct pm_p2m_stats {
	uint64_t top_entries;
	uint64_t mids, leaves;
	uint64_t bytes;
	uint64_t top_to_mid_missing, top_to_mid_identity;
	uint64_t mid_to_missing, mid_to_identity;
};

/**
 * pm_p2m_stats - the counters the tree keeps as it changes
 * returns: 0 (cannot fail)
 */
int pm_p2m_stats(const struct pm_p2m *p2m, struct pm_p2m_stats *stats);

/**
 * pm_p2m_frame_fn - assigns a machine frame to a page of the tree
 * @page: the page (a real page or a sentinel)
 * @level: 1 for a leaf, 2 for a mid
 * @kind: whether @page is real or which sentinel it is
 * @mfn: receives the frame
 * returns: 0, or a negative errno that aborts the export and is returned
 */
typedef int (*pm_p2m_frame_fn)(void *opaque, const void *page, int level,
			       enum pm_p2m_page_kind kind, uint64_t *mfn);

/**
 * pm_p2m_frame_lists - the frame lists as Xen's tools read them
 * @leaf_frames: receives, for top entry t and mid entry m, the frame of the
 *     leaf page at [t * 512 + m] (what Xen calls the p2m frame list)
 * @nr_leaf: its length, at least top_entries * 512
 * @mid_frames: receives the frame of each mid page at [t] (the frame list
 *     list's entries)
 * @nr_mid: its length, at least top_entries
 * Runs as a reader (no lock); @fn is called once per slot.
 * returns:
 *   0, on success
 *   -ENOSPC, if an array is too short (nothing written)
 *   whatever @fn returned, if it failed
 */
int pm_p2m_frame_lists(const struct pm_p2m *p2m, pm_p2m_frame_fn fn,
		       void *opaque, uint64_t *leaf_frames, size_t nr_leaf,
		       uint64_t *mid_frames, size_t nr_mid);

#ifdef __cplusplus
}
#endif

#endif /* PHYSMAP_P2M_H */
