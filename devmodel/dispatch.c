/*
 * dispatch.c - the radix tree that maps an address to its flat-view section
 *
 * Page numbers (4 KiB pages of a 64-bit space: 52 bits) index a tree of
 * 512-entry nodes, 9 bits a level, six levels; the nodes are one array of
 * 32-bit entries. A plain pointer names the first entry of a node one
 * level down, so the entry a lookup reads next is that number plus the
 * index, one add after the load; the shift that takes a level's index
 * bits steps down by 9 without looking at the entry. After the tree is
 * built, a node with a single child is bypassed: its parent's entry takes
 * the child's entry, or a bypass pointer that names the node further down
 * and its level (QEMU's skip count, said as the level reached); the root
 * is always a bypass pointer or a leaf. An empty subtree is a leaf of the
 * unassigned section, at whatever level.
 *
 * An aligned block of whole pages that one section covers becomes a single
 * leaf at the highest level it fills. A page that is covered partly, or by
 * several sections, gets a sub-page table: the page's byte ranges in
 * address order, each with its section (the rest of the page unassigned).
 * This is the 2013 fix in QEMU's dispatcher: a 256-byte region at the
 * start of a page (the a9-scu case) must not capture the rest of the page.
 * QEMU indexes a sub-page by byte offset (8 KiB a page); a sorted list of
 * boundaries costs a few bytes a section and a short search, and keeps
 * thousands of sub-pages out of the cache.
 *
 * A leaf whose section may not cover all of its block is marked CHECK: a
 * shared page's (it names the page's first piece), one that compaction
 * moved up past a level whose other entries are empty, and the unassigned
 * leaf. A lookup that meets one, or a bypass pointer below the root (a
 * level whose index bits nobody looked at), takes the checked path: the
 * section's bounds decide, then the page's sub-page table, then nothing.
 * Every other lookup is the fast path. It starts at the root's node with
 * the bits above that node's level compared to what every page below it
 * has, looks at each level's index bits down to an unmarked leaf, and so
 * knows the section covers the page without reading its bounds: the
 * section it reads is 16 bytes, the region and the offset's delta, and
 * the bounds sit in a parallel array only the checked path reads (at 32k
 * sections: 512 KiB a random lookup touches, not 1 MiB, so that most of it
 * stays in the level-2 cache). An access that leaves its page (the length
 * would need clamping to the section's end) goes the checked way too.
 *
 * A one-entry most-recently-used cache sits in front of the walk: the
 * level-0 node the fast path last ended in, and the 2 MiB block of pages it
 * maps (a paging-structure cache, as CPUs keep for their page walks). A
 * lookup in that block reads its page's leaf from the node at once: the
 * same page again (a driver polling a register) or a neighbour (devices
 * sit together: a hot spot of eight devices in one block hit it 80% of
 * the time, where a cache of the last page and section hit 10% and cost
 * more in mispredicted branches than it saved). Whether it answers depends
 * on addresses alone (a check against the bounds of the section the
 * previous lookup found would make every lookup wait for the one before:
 * lookups of independent addresses ran at half speed). It is per reader
 * thread (a vCPU's accesses have their own locality, and a shared one
 * would bounce a written cache line between vCPUs on every access); a
 * table's generation number, never reused, keeps a thread from trusting
 * an entry of a table that was freed.
 *
 * What bounds a run of independent lookups is how many fit in flight
 * while the oldest waits on memory (at 32k sections: the last node's
 * entry, then the section), so the fast path is kept to the fewest
 * instructions: each one measured about 0.1 ns a lookup there. The other
 * paths are out of line, the section is read once, and the walk's
 * critical path is a load and an add a level; the address space holds its
 * table's address (one load, not two), a leaf its section's byte offset
 * (no shift), and the cache sits at a fixed offset from the thread
 * pointer (no register for it). Measured and dropped: the section's
 * 16 bytes inline in each page of a level-0 node (one miss a lookup, not
 * two: random addresses 1 ns faster at 32k sections, but four times the
 * memory they spread over, and a hot spot whose lookups were 10% random
 * ran twice as slow on most runs).
 */
#define _LGPL_SOURCE             /* rcu_dereference inline */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "memory-internal.h"

#define PAGE_BITS 12
#define PAGE_SIZE (1u << PAGE_BITS)
#define L2_BITS   9
#define L2_SIZE   (1u << L2_BITS)
#define LEVELS    6                 /* 6 * 9 = 54 >= 64 - 12 */
#define SEC_MAX   (1u << 25)        /* sections: a leaf holds number * 16 below CHECK */
#define NODE_MAX  (1u << 21)        /* nodes: a plain pointer is below 2^30 */

/*
 * An entry (32 bits) is one of:
 *   - a plain pointer, below 2^30: the number of the first entry of a node
 *     one level down (the node's index * 512), so the entry a lookup reads
 *     next is nodes' entry v + index, one add on the critical path;
 *   - a bypass pointer, BYPASS | level << 24 | node index: a node further
 *     down, at @level (what compaction leaves, and the root);
 *   - a leaf, LEAF | the section's byte offset in the sections (its
 *     number * 16: the lookup adds it to the array, no shift), with CHECK
 *     if the section may not cover the whole block (a shared page's names
 *     its first piece's).
 */
#define LEAF      (1u << 31)
#define BYPASS    (1u << 30)
#define CHECK     (1u << 29)
#define SEC_MASK  (CHECK - 1)
#define SEC_LEAF(n) ((uint32_t)(n) << 4)
#define SEC_OF(e)   (((e) & SEC_MASK) >> 4)
#define UNASSIGNED 0u
#define NOTHING   (LEAF | CHECK | UNASSIGNED)   /* the leaf of an empty block */

#define PLAIN(n)          ((uint32_t)(n) << L2_BITS)
#define BYPASS_TO(lvl, n) (BYPASS | (uint32_t)(lvl) << 24 | (uint32_t)(n))
#define BYPASS_LEVEL(v)   (((v) >> 24) & 7u)
#define BYPASS_NODE(v)    ((v) & ((1u << 24) - 1))
#define IS_LEAF(v)        ((v) & LEAF)
#define IS_PLAIN(v)       ((v) < BYPASS)

/*
 * A section, one flat range (or nothing), in two halves in parallel
 * arrays. What every lookup reads: the region and how to get the offset
 * in it (16 bytes: four share a cache line).
 */
struct pm_dsection {
	uintptr_t mr_ro;               /* struct pm_mr * (0: unassigned) | READONLY */
	uint64_t delta;                /* offset in mr - start: offset = delta + addr */
} __attribute__((aligned(16)));
_Static_assert(sizeof(struct pm_dsection) == 16, "SEC_LEAF is the section number * 16");

/*
 * What only a checked lookup reads: the bounds, [start, last] (inclusive,
 * as a 2^64 end would not fit).
 */
struct pm_dbounds {
	uint64_t start, last;
};

#define READONLY ((uintptr_t)1)

struct node {
	uint32_t e[L2_SIZE];
};

/* the nodes as the lookup walks them: one array of entries, a node every L2_SIZE */
#define ENTRIES(d) ((const uint32_t *)(d)->nodes)

/* a page's pieces: piece i is [start[i], start[i + 1]) (the last to the page end) */
struct pm_subpage {
	unsigned nr, cap;
	uint16_t *start;
	uint32_t *sec;
};

struct pm_dispatch {
	const struct pm_flatview *view;  /* whose table this is */
	uint32_t root;                 /* a leaf or a bypass pointer */
	struct node *nodes;
	struct pm_dsection *sections;
	uintptr_t leaf_base;           /* sections less LEAF: a leaf plus this is its section */
	struct pm_dbounds *bounds;     /* each section's */
	uint64_t gen;
	/*
	 * The fast path's walk: the first entry of the root's node, the shift
	 * that takes a page's index bits at its level, and what those bits and
	 * the ones above them less the index are for every page below it.
	 */
	uint32_t walk_first;
	unsigned walk_shift;
	uint64_t prefix;
	size_t nr_nodes, cap_nodes;
	void *frozen;                  /* nodes and sections, once built (see freeze) */
	size_t frozen_len;             /* its mapping's length; 0: from malloc */
	const struct pm_fr **ranges;   /* each section's flat range */
	size_t nr_sections, cap_sections;
	struct pm_subpage **subpages;  /* in page order */
	uint64_t *subpage_page;        /* each one's page number */
	size_t nr_subpages, cap_subpages, subpage_bytes;
};

static uint64_t next_gen = 1;

/*
 * The one-entry cache, per thread. Local-exec: a fixed offset from the
 * thread pointer, no load of it first (physmap-dm's programs link this
 * library in; a shared object could not, and the link would say so).
 */
static __thread __attribute__((tls_model("local-exec"))) struct {
	uint64_t gen;
	uint64_t block;                /* page >> 9: the 512 pages of one level-0 node */
	uint64_t node;                 /* that node's first entry */
} mru;

static long alloc_node(struct pm_dispatch *d)
{
	struct node *n;

	if (d->nr_nodes >= NODE_MAX)
		return -ENOMEM;
	if (d->nr_nodes == d->cap_nodes) {
		size_t cap = d->cap_nodes ? 2 * d->cap_nodes : 16;

		n = realloc(d->nodes, cap * sizeof(*n));
		if (!n)
			return -ENOMEM;
		d->nodes = n;
		d->cap_nodes = cap;
	}
	n = &d->nodes[d->nr_nodes];
	for (unsigned i = 0; i < L2_SIZE; i++)
		n->e[i] = NOTHING;
	return (long)d->nr_nodes++;
}

static long add_section(struct pm_dispatch *d, uint64_t start, uint64_t last, const struct pm_fr *fr)
{
	if (d->nr_sections >= SEC_MAX)
		return -ENOMEM;
	if (d->nr_sections == d->cap_sections) {
		size_t cap = d->cap_sections ? 2 * d->cap_sections : 16;
		struct pm_dsection *v = realloc(d->sections, cap * sizeof(*v));
		struct pm_dbounds *b;
		const struct pm_fr **r;

		if (!v)
			return -ENOMEM;
		d->sections = v;
		b = realloc(d->bounds, cap * sizeof(*b));
		if (!b)
			return -ENOMEM;
		d->bounds = b;
		r = realloc(d->ranges, cap * sizeof(*r));
		if (!r)
			return -ENOMEM;
		d->ranges = r;
		d->cap_sections = cap;
	}
	d->sections[d->nr_sections] = (struct pm_dsection){
		.mr_ro = fr ? (uintptr_t)fr->mr | (fr->readonly ? READONLY : 0) : 0,
		.delta = fr ? fr->offset - start : 0,
	};
	d->bounds[d->nr_sections] = (struct pm_dbounds){ .start = start, .last = last };
	d->ranges[d->nr_sections] = fr;
	return (long)d->nr_sections++;
}

/*
 * Point pages [*index, *index + *nb) at @leaf, below the entry at @e_idx of
 * node @node (or the root when @node < 0): that entry points to a node at
 * @level. While building, every pointer is plain (the root's included).
 */
static int set_level(struct pm_dispatch *d, long node, unsigned e_idx, uint64_t *index,
		     uint64_t *nb, uint32_t leaf, int level)
{
	uint32_t *lp = node < 0 ? &d->root : &d->nodes[node].e[e_idx];
	uint64_t step = (uint64_t)1 << (level * L2_BITS);
	long child;
	unsigned i;
	int rc;

	if (IS_LEAF(*lp)) {
		/* unassigned so far (sections never overlap): a node of its own */
		child = alloc_node(d);
		if (child < 0)
			return (int)child;
		lp = node < 0 ? &d->root : &d->nodes[node].e[e_idx];  /* nodes may move */
		*lp = PLAIN(child);
	}
	child = (long)(*lp >> L2_BITS);
	for (i = (unsigned)((*index >> (level * L2_BITS)) & (L2_SIZE - 1)); *nb && i < L2_SIZE; i++) {
		if ((*index & (step - 1)) == 0 && *nb >= step) {
			d->nodes[child].e[i] = leaf;
			*index += step;
			*nb -= step;
		} else {
			rc = set_level(d, child, i, index, nb, leaf, level - 1);
			if (rc)
				return rc;
		}
	}
	return 0;
}

static int set_pages(struct pm_dispatch *d, uint64_t first, uint64_t nb, uint32_t leaf)
{
	return set_level(d, -1, 0, &first, &nb, leaf, LEVELS - 1);
}

static int subpage_append(struct pm_dispatch *d, struct pm_subpage *sp, unsigned start, uint32_t sec)
{
	/* a piece that starts where the last one does replaces it */
	if (sp->nr && sp->start[sp->nr - 1] == start) {
		sp->sec[sp->nr - 1] = sec;
		return 0;
	}
	if (sp->nr == sp->cap) {
		unsigned cap = sp->cap ? 2 * sp->cap : 4;
		uint16_t *st = realloc(sp->start, cap * sizeof(*st));

		if (!st)
			return -ENOMEM;
		sp->start = st;
		uint32_t *sc = realloc(sp->sec, cap * sizeof(*sc));

		if (!sc)
			return -ENOMEM;
		sp->sec = sc;
		d->subpage_bytes += (cap - sp->cap) * (sizeof(*st) + sizeof(*sc));
		sp->cap = cap;
	}
	sp->start[sp->nr] = (uint16_t)start;
	sp->sec[sp->nr++] = sec;
	return 0;
}

static void subpage_free(struct pm_subpage *sp)
{
	if (!sp)
		return;
	free(sp->start);
	free(sp->sec);
	free(sp);
}

/* a new, empty sub-page table for @page, after all others (pages come in order) */
static struct pm_subpage *subpage_new(struct pm_dispatch *d, uint64_t page)
{
	struct pm_subpage *sp;

	if (d->nr_subpages == d->cap_subpages) {
		size_t cap = d->cap_subpages ? 2 * d->cap_subpages : 16;
		struct pm_subpage **v = realloc(d->subpages, cap * sizeof(*v));
		uint64_t *pg;

		if (!v)
			return NULL;
		d->subpages = v;
		pg = realloc(d->subpage_page, cap * sizeof(*pg));
		if (!pg)
			return NULL;
		d->subpage_page = pg;
		d->subpage_bytes += (cap - d->cap_subpages) * (sizeof(*v) + sizeof(*pg));
		d->cap_subpages = cap;
	}
	sp = calloc(1, sizeof(*sp));
	if (!sp)
		return NULL;
	d->subpages[d->nr_subpages] = sp;
	d->subpage_page[d->nr_subpages++] = page;
	d->subpage_bytes += sizeof(*sp);
	return sp;
}

/*
 * Give bytes [s, e_last] of one page to section @sec. The flat view's
 * ranges come in address order and never overlap, so a page's pieces
 * arrive in order too, and a page's table is the last one made if it has
 * one: append this piece, then an unassigned rest of the page. The page's
 * leaf names its first piece's section.
 */
static int set_subpage(struct pm_dispatch *d, uint64_t s, uint64_t e_last, uint32_t sec)
{
	uint64_t page = s >> PAGE_BITS;
	struct pm_subpage *sp;
	unsigned off = (unsigned)(s & (PAGE_SIZE - 1)), end_off = (unsigned)(e_last & (PAGE_SIZE - 1)) + 1;
	int rc;

	if (d->nr_subpages && d->subpage_page[d->nr_subpages - 1] == page) {
		sp = d->subpages[d->nr_subpages - 1];
	} else {
		sp = subpage_new(d, page);
		if (!sp)
			return -ENOMEM;
		rc = set_pages(d, page, 1, LEAF | CHECK | SEC_LEAF(sec));
		if (rc)
			return rc;
		if ((rc = subpage_append(d, sp, 0, UNASSIGNED)))
			return rc;
	}
	if ((rc = subpage_append(d, sp, off, sec)))
		return rc;
	if (end_off < PAGE_SIZE)
		rc = subpage_append(d, sp, end_off, UNASSIGNED);
	return rc;
}

/*
 * Bypass single-child nodes below *@lp, a pointer to a node at @level: the
 * entry takes its only child's (a leaf, or a bypass pointer to the node
 * further down), as QEMU's skip count does.
 */
static void compact(struct pm_dispatch *d, uint32_t *lp, int level)
{
	unsigned valid = 0, only = 0;
	struct node *n = &d->nodes[*lp >> L2_BITS];

	for (unsigned i = 0; i < L2_SIZE; i++) {
		if (n->e[i] == NOTHING)
			continue;
		valid++;
		only = i;
		if (!IS_LEAF(n->e[i]))
			compact(d, &n->e[i], level - 1);
	}
	if (valid != 1)
		return;
	if (IS_PLAIN(n->e[only]))
		*lp = BYPASS_TO(level - 1, n->e[only] >> L2_BITS);
	else if (IS_LEAF(n->e[only]))
		*lp = n->e[only] | CHECK;      /* its section covers part of the block now */
	else
		*lp = n->e[only];
}

#define HUGE_SIZE (UINT64_C(2) << 20)
#define HUGE_MIN  (UINT64_C(1) << 20)

/*
 * Move the built nodes and sections into one block. A lookup at random
 * addresses touches a node line and a section anywhere in them; on 4 KiB
 * pages a table of a few MiB costs TLB misses on top of cache misses, so a
 * table of at least HUGE_MIN sits on transparent huge pages (rounded up to
 * whole ones: at most half of it wasted). Smaller tables stay on malloc's
 * pages (a 2 MiB page each would waste far more than they cost).
 */
static int freeze(struct pm_dispatch *d)
{
	size_t nb = d->nr_nodes * sizeof(struct node), sb = d->nr_sections * sizeof(struct pm_dsection);
	size_t bb = d->nr_sections * sizeof(struct pm_dbounds);
	size_t bytes = nb + sb + bb, len = 0;
	uint8_t *p;

	if (bytes >= HUGE_MIN) {
		uint8_t *raw;
		size_t pre;

		len = (bytes + HUGE_SIZE - 1) & ~(HUGE_SIZE - 1);
		raw = mmap(NULL, len + HUGE_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (raw == MAP_FAILED)
			return -ENOMEM;
		pre = (HUGE_SIZE - ((uintptr_t)raw & (HUGE_SIZE - 1))) & (HUGE_SIZE - 1);
		if (pre)
			munmap(raw, pre);
		munmap(raw + pre + len, HUGE_SIZE - pre);
		p = raw + pre;
		(void)madvise(p, len, MADV_HUGEPAGE);   /* advice: may be refused */
	} else {
		p = aligned_alloc(64, (bytes + 63) & ~(size_t)63);
		if (!p)
			return -ENOMEM;
	}
	if (nb)                     /* an empty space has no nodes (and memcpy no NULL) */
		memcpy(p, d->nodes, nb);
	memcpy(p + nb, d->sections, sb);
	memcpy(p + nb + sb, d->bounds, bb);
	free(d->nodes);
	free(d->sections);
	free(d->bounds);
	d->nodes = (struct node *)p;
	d->sections = (struct pm_dsection *)(p + nb);
	d->leaf_base = (uintptr_t)d->sections - LEAF;
	d->bounds = (struct pm_dbounds *)(p + nb + sb);
	d->cap_nodes = d->nr_nodes;
	d->frozen = p;
	d->frozen_len = len;
	return 0;
}

int pm__dispatch_build(struct pm_flatview *view)
{
	struct pm_dispatch *d = calloc(1, sizeof(*d));
	int rc = -ENOMEM;

	if (!d)
		return -ENOMEM;
	d->view = view;
	d->root = NOTHING;
	d->gen = __atomic_fetch_add(&next_gen, 1, __ATOMIC_RELAXED);
	/* section 0: unassigned, covering everything */
	if (add_section(d, 0, UINT64_MAX, NULL) < 0)
		goto out;
	for (size_t i = 0; i < view->nr; i++) {
		const struct pm_fr *fr = &view->ranges[i];
		uint64_t s = (uint64_t)fr->start, last = (uint64_t)(fr->end - 1);
		long sec = add_section(d, s, last, fr);

		if (sec < 0)
			goto out;
		/* a partial first page, or a range inside one page */
		if (s & (PAGE_SIZE - 1) || last - s < PAGE_SIZE - 1) {
			uint64_t page_last = s | (PAGE_SIZE - 1);

			rc = set_subpage(d, s, last < page_last ? last : page_last, (uint32_t)sec);
			if (rc)
				goto out;
			rc = -ENOMEM;
			if (last <= page_last)
				continue;
			s = page_last + 1;
		}
		/* whole pages */
		if (last - s >= PAGE_SIZE - 1) {
			uint64_t nb = ((last - s) >> PAGE_BITS) + ((last & (PAGE_SIZE - 1)) == PAGE_SIZE - 1);

			if (set_pages(d, s >> PAGE_BITS, nb, LEAF | SEC_LEAF(sec)))
				goto out;
			if ((last & (PAGE_SIZE - 1)) == PAGE_SIZE - 1)
				continue;
			s += nb << PAGE_BITS;
		}
		/* a partial last page */
		if (set_subpage(d, s, last, (uint32_t)sec))
			goto out;
	}
	/* the root: a leaf, or a pointer to the top node or the node compaction reached */
	if (!IS_LEAF(d->root)) {
		uint32_t top = d->root;

		compact(d, &d->root, LEVELS - 1);
		if (d->root == top)
			d->root = BYPASS_TO(LEVELS - 1, top >> L2_BITS);
	}
	/*
	 * The fast path starts at the root's node. Every page below it has the
	 * same bits above that node's level (any section's first page will
	 * do), so page >> walk_shift less prefix is the index in the node, and
	 * anything from 512 up is a page outside it. A root that is a leaf
	 * leaves the fast path nothing: no page is within 512 of 2^63.
	 */
	d->prefix = UINT64_C(1) << 63;
	if (!IS_LEAF(d->root)) {
		unsigned level = BYPASS_LEVEL(d->root);

		d->walk_first = PLAIN(BYPASS_NODE(d->root));
		d->walk_shift = L2_BITS * level;
		d->prefix = ((d->bounds[1].start >> PAGE_BITS) >> d->walk_shift) & ~(uint64_t)(L2_SIZE - 1);
	}
	rc = freeze(d);
	if (rc)
		goto out;
	view->dispatch = d;
	return 0;
out:
	pm__dispatch_free(d);
	return rc;
}

void pm__dispatch_free(struct pm_dispatch *d)
{
	if (!d)
		return;
	for (size_t i = 0; i < d->nr_subpages; i++)
		subpage_free(d->subpages[i]);
	free(d->subpages);
	free(d->subpage_page);
	if (!d->frozen) {
		free(d->sections);
		free(d->bounds);
		free(d->nodes);
	} else if (d->frozen_len) {
		munmap(d->frozen, d->frozen_len);
	} else {
		free(d->frozen);
	}
	free(d->ranges);
	free(d);
}

static inline bool covers(const struct pm_dbounds *b, uint64_t addr)
{
	return b->start <= addr && addr <= b->last;
}

static uint32_t subpage_find(const struct pm_subpage *sp, unsigned off)
{
	unsigned lo = 0, hi = sp->nr;

	/* the last piece starting at or before off (piece 0 starts at 0) */
	while (hi - lo > 1) {
		unsigned mid = (lo + hi) / 2;

		if (sp->start[mid] <= off)
			lo = mid;
		else
			hi = mid;
	}
	return sp->sec[lo];
}

/* translate's unassigned case: up to the next range's start */
static __attribute__((noinline, cold)) void translate_unassigned(const struct pm_dispatch *d, uint64_t addr,
								 uint64_t len, struct pm_section *out,
								 const struct pm_fr **fr)
{
	const struct pm_flatview *fv = d->view;
	size_t lo = 0, hi = fv->nr;
	uint64_t room;                 /* bytes to the next range; 0: 2^64 */

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;

		if (fv->ranges[mid].start <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	room = lo < fv->nr ? (uint64_t)fv->ranges[lo].start - addr : 0 - addr;
	out->mr = NULL;
	out->readonly = false;
	out->offset = 0;
	out->len = room && room < len ? room : len;
	if (fr)
		*fr = NULL;
}

/*
 * The checked path: the page's leaf, reached by any path, and the bounds
 * of its section decide. A shared page's leaf names its first piece; if
 * that does not hold @addr, the page's sub-page table does, or nothing
 * (a bypassed level's index bits did not match). The length is clamped
 * to the section's end.
 */
static __attribute__((noinline)) void translate_leaf(const struct pm_dispatch *d, uint64_t addr,
						     uint64_t len, uint32_t e, struct pm_section *out,
						     const struct pm_fr **fr)
{
	uint64_t page = addr >> PAGE_BITS, rest;
	uint32_t sec = SEC_OF(e);
	const struct pm_dsection *s;

	if (!covers(&d->bounds[sec], addr)) {
		size_t lo = 0, hi = d->nr_subpages;

		while (lo < hi) {
			size_t mid = (lo + hi) / 2;

			if (d->subpage_page[mid] < page)
				lo = mid + 1;
			else
				hi = mid;
		}
		sec = UNASSIGNED;
		if (lo < d->nr_subpages && d->subpage_page[lo] == page) {
			sec = subpage_find(d->subpages[lo], (unsigned)(addr & (PAGE_SIZE - 1)));
			if (!covers(&d->bounds[sec], addr))
				sec = UNASSIGNED;
		}
	}
	s = &d->sections[sec];
	if (!s->mr_ro) {
		translate_unassigned(d, addr, len, out, fr);
		return;
	}
	rest = d->bounds[sec].last - addr;    /* bytes to the section's end, less one */
	out->mr = (struct pm_mr *)(s->mr_ro & ~READONLY);
	out->offset = s->delta + addr;
	out->len = rest < len ? rest + 1 : len;
	out->readonly = s->mr_ro & READONLY;
	if (fr)
		*fr = d->ranges[sec];
}

static __attribute__((noinline)) void translate_checked(const struct pm_dispatch *d, uint64_t addr,
							uint64_t len, struct pm_section *out,
							const struct pm_fr **fr)
{
	uint64_t page = addr >> PAGE_BITS;
	uint32_t e = d->root;
	unsigned sh = 0;               /* the root is a leaf or a bypass pointer */

	while (!IS_LEAF(e)) {
		if (IS_PLAIN(e)) {
			sh -= L2_BITS;
		} else {
			sh = L2_BITS * BYPASS_LEVEL(e);
			e = PLAIN(BYPASS_NODE(e));
		}
		e = ENTRIES(d)[e + ((page >> sh) & (L2_SIZE - 1))];
	}
	translate_leaf(d, addr, len, e, out, fr);
}

/*
 * The lookup. The fast path answers an access inside one page whose leaf
 * is not marked CHECK, found by plain pointers from the root's node after
 * the bits above that node matched (the top index is below 512): every
 * level's index bits were looked at, so the leaf's section covers the
 * page's whole block. No bounds to read, then: all it reads of the
 * section is the region and the offset's delta (16 bytes), and the length
 * asked for stands. The MRU entry is the last level-0 node the fast path
 * ended in: a page of its block takes its leaf from there, and the leaf
 * decides as the walk's would. A leaf marked CHECK found so (this page's
 * own: a shared page's first piece, most often) goes to its bounds and
 * sub-pages out of line, without walking again; everything else (an
 * access that leaves its page, a bypass pointer below the root, a root
 * that is a leaf) takes the checked path, out of line.
 */
static inline __attribute__((always_inline)) void
translate(const struct pm_dispatch *d, uint64_t addr, uint64_t len, struct pm_section *out,
	  const struct pm_fr **fr)
{
	const struct pm_dsection *s;
	uint64_t page = addr >> PAGE_BITS;
	uintptr_t mr_ro;
	bool ro;

	if (__builtin_expect(len > PAGE_SIZE - (addr & (PAGE_SIZE - 1)), 0))
		goto checked;
	if (mru.block == page >> L2_BITS && mru.gen == d->gen) {
		uint32_t e = ENTRIES(d)[mru.node + (page & (L2_SIZE - 1))];   /* a leaf */

		if (__builtin_expect(e & CHECK, 0)) {
			translate_leaf(d, addr, len, e, out, fr);
			return;
		}
		s = (const struct pm_dsection *)(d->leaf_base + e);
	} else {
		unsigned sh = d->walk_shift;
		uint64_t top = (page >> sh) - d->prefix, i;
		uint32_t e;

		if (__builtin_expect(top >= L2_SIZE, 0))
			goto checked;
		i = d->walk_first + top;
		e = ENTRIES(d)[i];
		while (IS_PLAIN(e)) {
			sh -= L2_BITS;
			i = e + ((page >> sh) & (L2_SIZE - 1));
			e = ENTRIES(d)[i];
		}
		if (__builtin_expect(e & (BYPASS | CHECK), 0)) {   /* a leaf has LEAF, not BYPASS */
			if (e & BYPASS)
				goto checked;
			translate_leaf(d, addr, len, e, out, fr);   /* this page's own leaf */
			return;
		}
		s = (const struct pm_dsection *)(d->leaf_base + e);
		if (__builtin_expect(sh == 0, 1)) {   /* a level-0 node's leaf */
			uint64_t g = d->gen;

			__asm__("" : "+r"(g));    /* GCC would build one 16-byte store of two */
			mru.gen = g;
			mru.block = addr >> (PAGE_BITS + L2_BITS);
			mru.node = i & ~(uint64_t)(L2_SIZE - 1);
		}
	}
	mr_ro = s->mr_ro;
	ro = mr_ro & READONLY;
	__asm__("" : "+r"(ro));        /* GCC 12 would store the byte, then AND it in memory */
	out->mr = (struct pm_mr *)(mr_ro & ~READONLY);
	out->offset = s->delta + addr;
	out->len = len;
	out->readonly = ro;
	if (fr)
		*fr = d->ranges[s - d->sections];
	return;
checked:
	translate_checked(d, addr, len, out, fr);
}

void pm__translate(struct pm_flatview *fv, uint64_t addr, uint64_t len, struct pm_section *out,
		   const struct pm_fr **fr)
{
	translate(fv->dispatch, addr, len, out, fr);
}

/* the public lookup, here so that it is the lookup (one call, no second) */
void pm_as_translate(struct pm_as *as, uint64_t addr, uint64_t len, struct pm_section *out)
{
	translate(rcu_dereference(as->dispatch), addr, len, out, NULL);
}

size_t pm__dispatch_bytes(const struct pm_dispatch *d)
{
	return sizeof(*d) + d->cap_nodes * sizeof(struct node) +
	       d->nr_sections * (sizeof(struct pm_dsection) + sizeof(struct pm_dbounds)) +
	       d->cap_sections * sizeof(*d->ranges) + d->subpage_bytes;
}
