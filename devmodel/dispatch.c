/*
 * dispatch.c - the radix tree that maps an address to its flat-view section
 *
 * Page numbers (4 KiB pages of a 64-bit space: 52 bits) index a tree of
 * 512-entry nodes, 9 bits a level, six levels. An entry is a leaf (low
 * bits 0: a section number, or a sub-page table's) or a pointer to a node
 * with that node's level (as 9 * level + 1, the shift of a doubled page
 * number that leaves the node's index bits: one shift a level on the
 * lookup's critical path). After the tree is built, a node with a single
 * child is bypassed: its parent's entry takes the child's, so sparse paths
 * cost fewer loads (QEMU's skip count, said as the level reached). An
 * empty subtree is a leaf of the unassigned section, at whatever level.
 * Because bypassed levels' index bits are not checked, a lookup confirms
 * that the section it lands on covers the address (else: unassigned).
 *
 * An aligned block of whole pages that one section covers becomes a single
 * leaf at the highest level it fills. A page that is covered partly, or by
 * several sections, gets a sub-page table instead, named by a leaf entry
 * with the SUBPAGE bit: the page's byte ranges in address order,
 * each with its section (the rest of the page unassigned). This is the 2013
 * fix in QEMU's dispatcher: a 256-byte region at the start of a page (the
 * a9-scu case) must not capture the rest of the page. QEMU indexes a
 * sub-page by byte offset (8 KiB a page); a sorted list of boundaries costs
 * a few bytes a section and a short search, and keeps thousands of
 * sub-pages out of the cache.
 *
 * A section is 32 bytes, what a translate reads (its flat range, for the
 * dirty log, sits in a parallel array): at 32k sections, the table and
 * sections a random lookup touches are half what 64-byte ones would be.
 *
 * A one-entry most-recently-used cache sits in front of the walk, keyed by
 * page: a page that one section covers whole. Keyed by page, the check
 * needs only the address and what the previous lookup stored of its own
 * address, not the section the previous lookup found, so a miss is cheap
 * to discover (a cache checked against the last section's bounds makes
 * every lookup wait for the one before: lookups of independent addresses
 * ran at half speed). It is per reader thread (a vCPU's accesses have
 * their own locality, and a shared one would bounce a written cache line
 * between vCPUs on every access); a table's generation number, never
 * reused, keeps a thread from trusting an entry of a table that was freed.
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
#define PTR_MAX   (1u << 25)        /* sections, sub-pages and nodes each */
#define UNASSIGNED 0u
#define SUBPAGE   (1u << 25)        /* in a leaf's ptr: a sub-page table's number */

/* an entry: 0 (leaf) or 9 * level + 1 in its low 6 bits, ptr above */
struct entry {
	uint32_t v;
};

#define SKIP(e)        ((e).v & 63u)   /* 0: a leaf; else 9 * level + 1 */
#define PTR(e)         ((e).v >> 6)
#define ENTRY(lo, p)   ((struct entry){ (uint32_t)(lo) | (uint32_t)(p) << 6 })

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
	const struct pm_fr **ranges;   /* each section's flat range */
	size_t nr_sections, cap_sections;
	struct pm_subpage **subpages;
	size_t nr_subpages, cap_subpages, subpage_bytes;
	uint64_t gen;
};

static uint64_t next_gen = 1;

static __thread __attribute__((tls_model("initial-exec"))) struct {
	uint64_t gen, page;
	const struct pm_dsection *s;
} mru;

static long alloc_node(struct pm_dispatch *d)
{
	struct node *n;

	if (d->nr_nodes >= PTR_MAX)
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
		n->e[i] = ENTRY(0, UNASSIGNED);
	return (long)d->nr_nodes++;
}

static long add_section(struct pm_dispatch *d, const struct pm_dsection *s, const struct pm_fr *fr)
{
	if (d->nr_sections >= PTR_MAX)
		return -ENOMEM;
	if (d->nr_sections == d->cap_sections) {
		size_t cap = d->cap_sections ? 2 * d->cap_sections : 16;
		struct pm_dsection *v = realloc(d->sections, cap * sizeof(*v));
		const struct pm_fr **r;

		if (!v)
			return -ENOMEM;
		d->sections = v;
		r = realloc(d->ranges, cap * sizeof(*r));
		if (!r)
			return -ENOMEM;
		d->ranges = r;
		d->cap_sections = cap;
	}
	d->sections[d->nr_sections] = *s;
	d->ranges[d->nr_sections] = fr;
	return (long)d->nr_sections++;
}

/*
 * Point pages [*index, *index + *nb) at @leaf (a section's entry or a
 * sub-page's), below the entry at @e_idx
 * of node @node (or the root when @node < 0), which sits at @level.
 */
static int set_level(struct pm_dispatch *d, long node, unsigned e_idx, uint64_t *index,
		     uint64_t *nb, struct entry leaf, int level)
{
	struct entry *lp = node < 0 ? &d->root : &d->nodes[node].e[e_idx];
	uint64_t step = (uint64_t)1 << (level * L2_BITS);
	long child;
	unsigned i;
	int rc;

	if (SKIP(*lp) == 0) {
		/* unassigned so far (sections never overlap): a node of its own */
		child = alloc_node(d);
		if (child < 0)
			return (int)child;
		lp = node < 0 ? &d->root : &d->nodes[node].e[e_idx];  /* nodes may move */
		*lp = ENTRY(9 * level + 1, child);
	}
	child = PTR(*lp);
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

static int set_pages(struct pm_dispatch *d, uint64_t first, uint64_t nb, struct entry leaf)
{
	return set_level(d, -1, 0, &first, &nb, leaf, LEVELS - 1);
}

/* the leaf entry for @page: a section's, a sub-page's, or unassigned */
static inline struct entry find_leaf(const struct pm_dispatch *d, uint64_t page)
{
	struct entry e = d->root;

	/* (page << 1) >> (9 * level + 1): the node's index bits, one shift */
	page <<= 1;
	while (SKIP(e))
		e = d->nodes[PTR(e)].e[(page >> SKIP(e)) & (L2_SIZE - 1)];
	return e;
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
	struct entry e = find_leaf(d, page);
	struct pm_subpage *sp;
	unsigned off = (unsigned)(s & (PAGE_SIZE - 1)), end_off = (unsigned)(e_last & (PAGE_SIZE - 1)) + 1;
	int rc;

	if (!(PTR(e) & SUBPAGE)) {
		if (d->nr_subpages >= PTR_MAX)
			return -ENOMEM;
		if (d->nr_subpages == d->cap_subpages) {
			size_t cap = d->cap_subpages ? 2 * d->cap_subpages : 16;
			struct pm_subpage **v = realloc(d->subpages, cap * sizeof(*v));

			if (!v)
				return -ENOMEM;
			d->subpages = v;
			d->subpage_bytes += (cap - d->cap_subpages) * sizeof(*v);
			d->cap_subpages = cap;
		}
		sp = calloc(1, sizeof(*sp));
		if (!sp)
			return -ENOMEM;
		d->subpages[d->nr_subpages] = sp;
		d->subpage_bytes += sizeof(*sp);
		rc = set_pages(d, page, 1, ENTRY(0, SUBPAGE | d->nr_subpages++));
		if (rc)
			return rc;
		if ((rc = subpage_append(d, sp, 0, UNASSIGNED)))
			return rc;
	} else {
		sp = d->subpages[PTR(e) & ~SUBPAGE];
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

	if (SKIP(*lp) == 0)
		return;
	n = &d->nodes[PTR(*lp)];
	for (unsigned i = 0; i < L2_SIZE; i++) {
		if (SKIP(n->e[i]) == 0 && PTR(n->e[i]) == UNASSIGNED)
			continue;
		valid++;
		only = i;
		compact(d, &n->e[i]);
	}
	if (valid != 1)
		return;
	if (SKIP(n->e[only]) == 0)
		*lp = n->e[only];
	else
		*lp = n->e[only];
}

int pm__dispatch_build(struct pm_flatview *view)
{
	struct pm_dispatch *d = calloc(1, sizeof(*d));
	int rc = -ENOMEM;

	if (!d)
		return -ENOMEM;
	d->root = ENTRY(0, UNASSIGNED);
	d->gen = __atomic_fetch_add(&next_gen, 1, __ATOMIC_RELAXED);
	/* section 0: unassigned, covering everything */
	if (add_section(d, &(struct pm_dsection){ .start = 0, .last = UINT64_MAX }, NULL) < 0)
		goto out;
	for (size_t i = 0; i < view->nr; i++) {
		const struct pm_fr *fr = &view->ranges[i];
		uint64_t s = (uint64_t)fr->start, last = (uint64_t)(fr->end - 1);
		long sec = add_section(d, &(struct pm_dsection){
			.start = s, .last = last, .offset = fr->offset,
			.mr_ro = (uintptr_t)fr->mr | (fr->readonly ? PM_DSECTION_READONLY : 0),
		}, fr);

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

			if (set_pages(d, s >> PAGE_BITS, nb, ENTRY(0, sec)))
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
	for (size_t i = 0; i < d->nr_subpages; i++)
		subpage_free(d->subpages[i]);
	free(d->subpages);
	free(d->sections);
	free(d->ranges);
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

static inline const struct pm_dsection *lookup(struct pm_dispatch *d, uint64_t addr)
{
	const struct pm_dsection *s;
	uint64_t page = addr >> PAGE_BITS;
	struct entry e;

	if (mru.page == page && mru.gen == d->gen)
		return mru.s;
	e = find_leaf(d, page);
	if (PTR(e) & SUBPAGE) {
		s = &d->sections[subpage_find(d->subpages[PTR(e) & ~SUBPAGE], (unsigned)(addr & (PAGE_SIZE - 1)))];
		return covers(s, addr) ? s : &d->sections[UNASSIGNED];
	}
	s = &d->sections[PTR(e)];
	if (!covers(s, addr))
		return &d->sections[UNASSIGNED];
	/* a section's leaf entry means it covers the page whole */
	if (s->mr_ro) {
		mru.gen = d->gen;
		mru.page = page;
		mru.s = s;
	}
	return s;
}

void pm__translate(struct pm_flatview *fv, uint64_t addr, uint64_t len, struct pm_section *out,
		   const struct pm_fr **fr)
{
	struct pm_dispatch *d = fv->dispatch;
	const struct pm_dsection *s = lookup(d, addr);
	uint64_t room;

	out->mr = pm__dsection_mr(s);
	out->readonly = pm__dsection_readonly(s);
	if (out->mr) {
		out->offset = s->offset + (addr - s->start);
		room = s->last - addr;           /* bytes after addr in the section */
	} else {
		/* unassigned: up to the next range */
		size_t lo = 0, hi = fv->nr;

		out->offset = 0;
		while (lo < hi) {
			size_t mid = (lo + hi) / 2;

			if (fv->ranges[mid].start <= addr)
				lo = mid + 1;
			else
				hi = mid;
		}
		room = lo < fv->nr ? (uint64_t)(fv->ranges[lo].start - addr - 1) : UINT64_MAX - addr;
	}
	out->len = len == 0 || len - 1 <= room ? len : room + 1;
	if (fr)
		*fr = d->ranges[s - d->sections];
}

size_t pm__dispatch_bytes(const struct pm_dispatch *d)
{
	return sizeof(*d) + d->cap_nodes * sizeof(struct node) +
	       d->cap_sections * (sizeof(struct pm_dsection) + sizeof(*d->ranges)) + d->subpage_bytes;
}
