/*
 * dispatch.c - the radix tree that maps an address to its flat-view section
 *
 * Page numbers (4 KiB pages of a 64-bit space: 52 bits) index a tree of
 * 512-entry nodes, 9 bits a level, six levels. An entry is a leaf (a
 * section number) or a pointer to a node with a skip count: after the tree
 * is built, a node with a single child is bypassed by adding its skip to
 * its parent's entry, so sparse paths cost fewer loads. Because skipped
 * levels' index bits are not checked, a lookup confirms that the section
 * it lands on covers the address (else: unassigned).
 *
 * An aligned block of whole pages that one section covers becomes a single
 * leaf at the highest level it fills. A page that is covered partly, or by
 * several sections, gets a sub-page section: the page's byte ranges in
 * address order, each with its section (the rest of the page unassigned).
 * This is the 2013 fix in QEMU's dispatcher: a 256-byte region at the
 * start of a page (the a9-scu case) must not capture the rest of the page.
 * QEMU indexes a sub-page by byte offset (8 KiB a page); a sorted list of
 * boundaries costs a few bytes a section and a short search, and keeps
 * thousands of sub-pages out of the cache.
 *
 * A one-entry most-recently-used cache sits in front of the walk. It is
 * per reader thread (a vCPU's accesses have their own locality, and a
 * shared one would bounce a written cache line between vCPUs on every
 * access); a table's generation number, never reused, keeps a thread from
 * trusting an entry of a table that was freed.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "memory-internal.h"

#define PAGE_BITS 12
#define PAGE_SIZE (1u << PAGE_BITS)
#define L2_BITS   9
#define L2_SIZE   (1u << L2_BITS)
#define LEVELS    6                 /* 6 * 9 = 54 >= 64 - 12 */
#define NIL       ((1u << 26) - 1)
#define UNASSIGNED 0u

struct entry {
	uint32_t skip : 6;
	uint32_t ptr : 26;
};

struct node {
	struct entry e[L2_SIZE];
};

/* a page's pieces: piece i is [start[i], start[i + 1]) (the last to the page end) */
struct pm_subpage {
	unsigned nr, cap;
	uint16_t *start;
	uint32_t *sec;
};

struct pm_dispatch {
	struct entry root;
	struct node *nodes;
	size_t nr_nodes, cap_nodes;
	struct pm_dsection *sections;
	size_t nr_sections, cap_sections;
	size_t nr_subpages, subpage_bytes;
	uint64_t gen;
};

static uint64_t next_gen = 1;

static __thread __attribute__((tls_model("initial-exec"))) struct {
	uint64_t gen;
	const struct pm_dsection *s;
} mru;

static long alloc_node(struct pm_dispatch *d, int leaf_level)
{
	struct node *n;

	if (d->nr_nodes >= NIL)
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
		n->e[i] = leaf_level ? (struct entry){ 0, UNASSIGNED } : (struct entry){ 1, NIL };
	return (long)d->nr_nodes++;
}

static long add_section(struct pm_dispatch *d, const struct pm_dsection *s)
{
	if (d->nr_sections >= NIL)
		return -ENOMEM;
	if (d->nr_sections == d->cap_sections) {
		size_t cap = d->cap_sections ? 2 * d->cap_sections : 16;
		struct pm_dsection *v = realloc(d->sections, cap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		d->sections = v;
		d->cap_sections = cap;
	}
	d->sections[d->nr_sections] = *s;
	return (long)d->nr_sections++;
}

/*
 * Point pages [*index, *index + *nb) at @leaf, below the entry at @e_idx
 * of node @node (or the root when @node < 0), which sits at @level.
 */
static int set_level(struct pm_dispatch *d, long node, unsigned e_idx, uint64_t *index,
		     uint64_t *nb, uint32_t leaf, int level)
{
	struct entry *lp = node < 0 ? &d->root : &d->nodes[node].e[e_idx];
	uint64_t step = (uint64_t)1 << (level * L2_BITS);
	long child;
	unsigned i;
	int rc;

	if (lp->skip && lp->ptr == NIL) {
		child = alloc_node(d, level == 0);
		if (child < 0)
			return (int)child;
		lp = node < 0 ? &d->root : &d->nodes[node].e[e_idx];  /* nodes may move */
		lp->ptr = (uint32_t)child;
	}
	child = lp->ptr;
	for (i = (unsigned)((*index >> (level * L2_BITS)) & (L2_SIZE - 1)); *nb && i < L2_SIZE; i++) {
		if ((*index & (step - 1)) == 0 && *nb >= step) {
			d->nodes[child].e[i] = (struct entry){ 0, leaf };
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

/* the leaf entry for @page, or NULL if the walk ends in an empty subtree */
static inline const struct entry *find_leaf(const struct pm_dispatch *d, uint64_t page)
{
	const struct entry *lp = &d->root;
	int i = LEVELS;

	while (lp->skip && (i -= lp->skip) >= 0) {
		if (lp->ptr == NIL)
			return NULL;
		lp = &d->nodes[lp->ptr].e[(page >> (i * L2_BITS)) & (L2_SIZE - 1)];
	}
	return lp->skip ? NULL : lp;
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

/*
 * Give bytes [s, e) of one page to section @sec. The flat view's ranges
 * come in address order and never overlap, so a page's pieces arrive in
 * order too: append this one, then an unassigned rest of the page.
 */
static int set_subpage(struct pm_dispatch *d, uint64_t s, uint64_t e_last, uint32_t sec)
{
	uint64_t page = s >> PAGE_BITS;
	const struct entry *lp = find_leaf(d, page);
	struct pm_subpage *sp;
	unsigned off = (unsigned)(s & (PAGE_SIZE - 1)), end_off = (unsigned)(e_last & (PAGE_SIZE - 1)) + 1;
	int rc;

	if (!lp || !d->sections[lp->ptr].subpage) {
		long idx;

		sp = calloc(1, sizeof(*sp));
		if (!sp)
			return -ENOMEM;
		idx = add_section(d, &(struct pm_dsection){
			.start = page << PAGE_BITS,
			.last = (page << PAGE_BITS) + PAGE_SIZE - 1,
			.subpage = sp,
		});
		if (idx < 0) {
			free(sp);
			return (int)idx;
		}
		d->nr_subpages++;
		d->subpage_bytes += sizeof(*sp);
		rc = set_pages(d, page, 1, (uint32_t)idx);
		if (rc)
			return rc;
		if ((rc = subpage_append(d, sp, 0, UNASSIGNED)))
			return rc;
	} else {
		sp = d->sections[lp->ptr].subpage;
	}
	if ((rc = subpage_append(d, sp, off, sec)))
		return rc;
	if (end_off < PAGE_SIZE)
		rc = subpage_append(d, sp, end_off, UNASSIGNED);
	return rc;
}

static void compact(struct pm_dispatch *d, struct entry *lp)
{
	unsigned valid = 0, only = 0;
	struct node *n;

	if (lp->ptr == NIL || lp->skip == 0)
		return;
	n = &d->nodes[lp->ptr];
	for (unsigned i = 0; i < L2_SIZE; i++) {
		if (n->e[i].ptr == NIL)
			continue;
		valid++;
		only = i;
		if (n->e[i].skip)
			compact(d, &n->e[i]);
	}
	if (valid != 1)
		return;
	if (n->e[only].skip == 0) {
		lp->skip = 0;
		lp->ptr = n->e[only].ptr;
	} else {
		lp->skip += n->e[only].skip;
		lp->ptr = n->e[only].ptr;
	}
}

int pm__dispatch_build(struct pm_flatview *view)
{
	struct pm_dispatch *d = calloc(1, sizeof(*d));
	int rc = -ENOMEM;

	if (!d)
		return -ENOMEM;
	d->root = (struct entry){ 1, NIL };
	d->gen = __atomic_fetch_add(&next_gen, 1, __ATOMIC_RELAXED);
	/* section 0: unassigned, covering everything */
	if (add_section(d, &(struct pm_dsection){ .start = 0, .last = UINT64_MAX }) < 0)
		goto out;
	for (size_t i = 0; i < view->nr; i++) {
		const struct pm_fr *fr = &view->ranges[i];
		uint64_t s = (uint64_t)fr->start, last = (uint64_t)(fr->end - 1);
		long sec = add_section(d, &(struct pm_dsection){
			.start = s, .last = last, .mr = fr->mr, .offset = fr->offset, .fr = fr,
			.readonly = fr->readonly,
		});

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

			if (set_pages(d, s >> PAGE_BITS, nb, (uint32_t)sec))
				goto out;
			if ((last & (PAGE_SIZE - 1)) == PAGE_SIZE - 1)
				continue;
			s += nb << PAGE_BITS;
		}
		/* a partial last page */
		if (set_subpage(d, s, last, (uint32_t)sec))
			goto out;
	}
	compact(d, &d->root);
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
	for (size_t i = 0; i < d->nr_sections; i++)
		subpage_free(d->sections[i].subpage);
	free(d->sections);
	free(d->nodes);
	free(d);
}

static inline bool covers(const struct pm_dsection *s, uint64_t addr)
{
	return s->start <= addr && addr <= s->last;
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

const struct pm_dsection *pm__dispatch_lookup(struct pm_dispatch *d, uint64_t addr)
{
	const struct pm_dsection *s;
	const struct entry *lp;

	s = mru.s;
	if (s && mru.gen == d->gen && covers(s, addr))
		return s;
	lp = find_leaf(d, addr >> PAGE_BITS);
	s = &d->sections[lp ? lp->ptr : UNASSIGNED];
	if (s->subpage)
		s = &d->sections[subpage_find(s->subpage, (unsigned)(addr & (PAGE_SIZE - 1)))];
	if (!covers(s, addr))
		return &d->sections[UNASSIGNED];
	if (s->mr) {
		mru.gen = d->gen;
		mru.s = s;
	}
	return s;
}

size_t pm__dispatch_bytes(const struct pm_dispatch *d)
{
	return sizeof(*d) + d->cap_nodes * sizeof(struct node) +
	       d->cap_sections * sizeof(struct pm_dsection) + d->subpage_bytes;
}
