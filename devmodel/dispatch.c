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
 * several sections, gets a sub-page section: a table of 4096 section
 * numbers, one per byte offset. This is the 2013 fix in QEMU's dispatcher:
 * a 256-byte region at the start of a page (the a9-scu case) must not
 * capture the rest of the page.
 *
 * A one-entry most-recently-used cache sits in front of the walk.
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

struct pm_dispatch {
	struct entry root;
	struct node *nodes;
	size_t nr_nodes, cap_nodes;
	struct pm_dsection *sections;
	size_t nr_sections, cap_sections;
	size_t nr_subpages;
	const struct pm_dsection *mru;
};

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
static struct entry *find_leaf(struct pm_dispatch *d, uint64_t page)
{
	struct entry *lp = &d->root;
	int i = LEVELS;

	while (lp->skip && (i -= lp->skip) >= 0) {
		if (lp->ptr == NIL)
			return NULL;
		lp = &d->nodes[lp->ptr].e[(page >> (i * L2_BITS)) & (L2_SIZE - 1)];
	}
	return lp->skip ? NULL : lp;
}

/* give byte range [s, e) of one page to section @sec, through its sub-page table */
static int set_subpage(struct pm_dispatch *d, pm_u128 s, pm_u128 e, uint32_t sec)
{
	uint64_t page = (uint64_t)(s >> PAGE_BITS);
	struct entry *lp = find_leaf(d, page);
	struct pm_dsection *sp;
	uint32_t *table;
	long idx;
	int rc;

	if (!lp || !d->sections[lp->ptr].subpage) {
		uint32_t old = lp ? lp->ptr : UNASSIGNED;

		table = malloc(PAGE_SIZE * sizeof(*table));
		if (!table)
			return -ENOMEM;
		for (unsigned i = 0; i < PAGE_SIZE; i++)
			table[i] = old;
		idx = add_section(d, &(struct pm_dsection){
			.start = (pm_u128)page << PAGE_BITS,
			.end = ((pm_u128)page + 1) << PAGE_BITS,
			.subpage = table,
		});
		if (idx < 0) {
			free(table);
			return (int)idx;
		}
		d->nr_subpages++;
		rc = set_pages(d, page, 1, (uint32_t)idx);
		if (rc)
			return rc;
		lp = find_leaf(d, page);
	}
	sp = &d->sections[lp->ptr];
	for (pm_u128 a = s; a < e; a++)
		sp->subpage[(unsigned)(a & (PAGE_SIZE - 1))] = sec;
	return 0;
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
	if (add_section(d, &(struct pm_dsection){ 0 }) < 0)
		goto out;
	for (size_t i = 0; i < view->nr; i++) {
		const struct pm_fr *fr = &view->ranges[i];
		pm_u128 s = fr->start, e = fr->end;
		long sec = add_section(d, &(struct pm_dsection){ .start = s, .end = e, .fr = fr });

		if (sec < 0)
			goto out;
		/* a partial first page */
		if (s & (PAGE_SIZE - 1)) {
			pm_u128 pe = ((s >> PAGE_BITS) + 1) << PAGE_BITS;

			rc = set_subpage(d, s, pe < e ? pe : e, (uint32_t)sec);
			if (rc)
				goto out;
			s = pe < e ? pe : e;
			rc = -ENOMEM;
		}
		/* whole pages */
		if (e - s >= PAGE_SIZE) {
			uint64_t nb = (uint64_t)((e - s) >> PAGE_BITS);

			if (set_pages(d, (uint64_t)(s >> PAGE_BITS), nb, (uint32_t)sec))
				goto out;
			s += (pm_u128)nb << PAGE_BITS;
		}
		/* a partial last page */
		if (s < e && set_subpage(d, s, e, (uint32_t)sec))
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
		free(d->sections[i].subpage);
	free(d->sections);
	free(d->nodes);
	free(d);
}

static bool covers(const struct pm_dsection *s, uint64_t addr)
{
	return s->start <= addr && addr < s->end;
}

const struct pm_dsection *pm__dispatch_lookup(struct pm_dispatch *d, uint64_t addr)
{
	const struct pm_dsection *s = __atomic_load_n(&d->mru, __ATOMIC_RELAXED);
	const struct entry *lp;

	if (s && covers(s, addr))
		return s;
	lp = find_leaf(d, addr >> PAGE_BITS);
	s = &d->sections[lp ? lp->ptr : UNASSIGNED];
	if (s->subpage)
		s = &d->sections[s->subpage[addr & (PAGE_SIZE - 1)]];
	if (!covers(s, addr))
		return &d->sections[UNASSIGNED];
	__atomic_store_n(&d->mru, s, __ATOMIC_RELAXED);
	return s;
}

size_t pm__dispatch_bytes(const struct pm_dispatch *d)
{
	return sizeof(*d) + d->cap_nodes * sizeof(struct node) +
	       d->cap_sections * sizeof(struct pm_dsection) +
	       d->nr_subpages * PAGE_SIZE * sizeof(uint32_t);
}
