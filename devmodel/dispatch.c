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
 * unassigned section, at whatever level. Because a bypassed level's index
 * bits are not checked, a lookup confirms that the section it lands on
 * holds the address.
 *
 * An aligned block of whole pages that one section covers becomes a single
 * leaf at the highest level it fills. A page that is covered partly, or by
 * several sections, gets a sub-page table: the page's byte ranges in
 * address order, each with its section (the rest of the page unassigned).
 * Its leaf has the SUBPAGE bit and names the page's first piece's section,
 * so an access to that piece costs what a whole page's does, and one to
 * any other piece, or to the rest of the page, finds the section's bounds
 * do not hold it and takes the slow path through the table. This is the
 * 2013 fix in QEMU's dispatcher: a 256-byte region at the start of a page
 * (the a9-scu case) must not capture the rest of the page. QEMU indexes a
 * sub-page by byte offset (8 KiB a page); a sorted list of boundaries
 * costs a few bytes a section and a short search, and keeps thousands of
 * sub-pages out of the cache.
 *
 * A section is 32 bytes, what a translate reads (its flat range, for the
 * dirty log, sits in a parallel array): at 32k sections, the table and
 * sections a random lookup touches are half what 64-byte ones would be.
 *
 * A one-entry most-recently-used cache sits in front of the walk: the last
 * section found and its page. A lookup whose page differs misses at once,
 * on addresses alone (a check against the bounds of the section the
 * previous lookup found would make every lookup wait for the one before:
 * lookups of independent addresses ran at half speed); on the same page,
 * the section's bounds decide (a shared page's other pieces). It is per
 * reader thread (a vCPU's accesses have their own locality, and a shared
 * one would bounce a written cache line between vCPUs on every access); a
 * table's generation number, never reused, keeps a thread from trusting an
 * entry of a table that was freed.
 *
 * What bounds a run of independent lookups is how many fit in flight
 * while the oldest waits on memory (two dependent cache misses at 32k
 * sections: the last node's entry, then the section), so the fast path is
 * kept short: the slow paths are out of line, the section is read once,
 * and the walk's critical path is a load and an add a level.
 */
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
#define SEC_MAX   (1u << 29)        /* sections */
#define NODE_MAX  (1u << 21)        /* nodes: a plain pointer is below 2^30 */

/*
 * An entry (32 bits) is one of:
 *   - a plain pointer, below 2^30: the number of the first entry of a node
 *     one level down (the node's index * 512), so the entry a lookup reads
 *     next is nodes' entry v + index, one add on the critical path;
 *   - a bypass pointer, BYPASS | level << 24 | node index: a node further
 *     down, at @level (what compaction leaves, and the root);
 *   - a leaf, LEAF | section number, with SUBPAGE if the page is shared
 *     (the section is then the page's first piece's: see translate()).
 */
#define LEAF      (1u << 31)
#define BYPASS    (1u << 30)
#define SUBPAGE   (1u << 29)
#define SEC_MASK  (SUBPAGE - 1)
#define UNASSIGNED 0u

#define PLAIN(n)          ((uint32_t)(n) << L2_BITS)
#define BYPASS_TO(lvl, n) (BYPASS | (uint32_t)(lvl) << 24 | (uint32_t)(n))
#define BYPASS_LEVEL(v)   (((v) >> 24) & 7u)
#define BYPASS_NODE(v)    ((v) & ((1u << 24) - 1))
#define IS_LEAF(v)        ((v) & LEAF)
#define IS_PLAIN(v)       ((v) < BYPASS)

/*
 * The section a lookup finds: one flat range, or nothing. It holds what a
 * translate needs and no more, so that two share a cache line. [start,
 * last]: inclusive, as a 2^64 end would not fit. The flat range itself
 * (its dirty log) is in the parallel ranges array.
 */
struct pm_dsection {
	uint64_t start, last;
	uintptr_t mr_ro;               /* struct pm_mr * (0: unassigned) | READONLY */
	uint64_t offset;               /* in mr, at start */
} __attribute__((aligned(32)));

#define READONLY ((uintptr_t)1)

struct node {
	uint32_t e[L2_SIZE];
};

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
	uint64_t gen;
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

static __thread __attribute__((tls_model("initial-exec"))) struct {
	uint64_t gen, page;
	const struct pm_dsection *s;
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
		n->e[i] = LEAF | UNASSIGNED;
	return (long)d->nr_nodes++;
}

static long add_section(struct pm_dispatch *d, const struct pm_dsection *s, const struct pm_fr *fr)
{
	if (d->nr_sections >= SEC_MAX)
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
		rc = set_pages(d, page, 1, LEAF | SUBPAGE | sec);
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
		if (n->e[i] == (LEAF | UNASSIGNED))
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
	size_t bytes = nb + sb, len = 0;
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
	free(d->nodes);
	free(d->sections);
	d->nodes = (struct node *)p;
	d->sections = (struct pm_dsection *)(p + nb);
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
	d->root = LEAF | UNASSIGNED;
	d->gen = __atomic_fetch_add(&next_gen, 1, __ATOMIC_RELAXED);
	/* section 0: unassigned, covering everything */
	if (add_section(d, &(struct pm_dsection){ .start = 0, .last = UINT64_MAX }, NULL) < 0)
		goto out;
	for (size_t i = 0; i < view->nr; i++) {
		const struct pm_fr *fr = &view->ranges[i];
		uint64_t s = (uint64_t)fr->start, last = (uint64_t)(fr->end - 1);
		long sec = add_section(d, &(struct pm_dsection){
			.start = s, .last = last, .offset = fr->offset,
			.mr_ro = (uintptr_t)fr->mr | (fr->readonly ? READONLY : 0),
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

			if (set_pages(d, s >> PAGE_BITS, nb, LEAF | (uint32_t)sec))
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
		free(d->nodes);
	} else if (d->frozen_len) {
		munmap(d->frozen, d->frozen_len);
	} else {
		free(d->frozen);
	}
	free(d->ranges);
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

/* @len, at most @room bytes (0: 2^64, more than any length) */
static inline uint64_t clamp(uint64_t len, uint64_t room)
{
	return room && room < len ? room : len;
}

/* translate's unassigned case: up to the next range's start */
static __attribute__((noinline, cold)) void translate_unassigned(const struct pm_dispatch *d, uint64_t addr,
								 uint64_t len, struct pm_section *out,
								 const struct pm_fr **fr)
{
	const struct pm_flatview *fv = d->view;
	size_t lo = 0, hi = fv->nr;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;

		if (fv->ranges[mid].start <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	out->mr = NULL;
	out->readonly = false;
	out->offset = 0;
	out->len = clamp(len, lo < fv->nr ? (uint64_t)fv->ranges[lo].start - addr : 0 - addr);
	if (fr)
		*fr = NULL;
}

/*
 * Translate's answer from section @s, which holds @addr. The section is
 * read once, before anything is stored (the stores might alias it, and
 * the compiler would load it again), and the readonly bit is computed in
 * a register (GCC 12 would store the byte and then AND it in memory).
 */
static inline __attribute__((always_inline)) void
translate_fill(const struct pm_dispatch *d, const struct pm_dsection *s, uint64_t addr, uint64_t len,
	       struct pm_section *out, const struct pm_fr **fr)
{
	uintptr_t mr_ro = s->mr_ro;
	uint64_t start = s->start, last = s->last, offset = s->offset;
	uint64_t room = last - addr + 1;       /* bytes from addr to the section's end; 0: 2^64 */
	bool ro = mr_ro & READONLY;

	if (__builtin_expect(mr_ro == 0, 0)) {
		translate_unassigned(d, addr, len, out, fr);
		return;
	}
	__asm__("" : "+r"(ro));
	out->mr = (struct pm_mr *)(mr_ro & ~READONLY);
	out->offset = offset + (addr - start);
	out->len = clamp(len, room);
	out->readonly = ro;
	if (fr)
		*fr = d->ranges[s - d->sections];
}

/*
 * Translate's slow path: the leaf's section does not hold @addr. Another
 * piece of a shared page holds it, or nothing does (a bypassed level's
 * index bits did not match).
 */
static __attribute__((noinline, cold)) void translate_slow(const struct pm_dispatch *d, uint64_t addr,
							   uint64_t len, struct pm_section *out,
							   const struct pm_fr **fr, uint32_t leaf)
{
	uint64_t page = addr >> PAGE_BITS;
	size_t lo = 0, hi = d->nr_subpages;
	const struct pm_dsection *s = &d->sections[UNASSIGNED];

	if (leaf & SUBPAGE) {
		while (lo < hi) {
			size_t mid = (lo + hi) / 2;

			if (d->subpage_page[mid] < page)
				lo = mid + 1;
			else
				hi = mid;
		}
		if (lo < d->nr_subpages && d->subpage_page[lo] == page) {
			s = &d->sections[subpage_find(d->subpages[lo], (unsigned)(addr & (PAGE_SIZE - 1)))];
			if (!covers(s, addr))
				s = &d->sections[UNASSIGNED];
		}
	}
	translate_fill(d, s, addr, len, out, fr);
}

/*
 * The lookup. The MRU entry is the last section found and its page; it
 * answers when the page matches and the section holds the address (a
 * shared page's other pieces do not). The walk: a plain pointer leads one
 * level down, so the index shift only steps by 9 and the next entry's
 * address is one add away from the entry just loaded; a bypass pointer
 * (rare, and the root) sets the level. A bypassed level's index bits are
 * not checked, so the lookup confirms that the leaf's section holds the
 * address: a shared page's leaf names its first piece, which is the a9-scu
 * case, and any other piece takes the slow path (out of line).
 */
static inline __attribute__((always_inline)) void
translate(const struct pm_dispatch *d, uint64_t addr, uint64_t len, struct pm_section *out,
	  const struct pm_fr **fr)
{
	const uint32_t *ent = d->nodes->e;
	const struct pm_dsection *s;
	uint64_t page = addr >> PAGE_BITS;
	uint32_t e = d->root;
	unsigned sh = 0;           /* the root is a leaf or a bypass pointer */

	if (mru.page == page && mru.gen == d->gen && covers(mru.s, addr)) {
		s = mru.s;
	} else {
		while (!IS_LEAF(e)) {
			if (IS_PLAIN(e)) {
				sh -= L2_BITS;
			} else {
				sh = L2_BITS * BYPASS_LEVEL(e);
				e = PLAIN(BYPASS_NODE(e));
			}
			e = ent[e + ((page >> sh) & (L2_SIZE - 1))];
		}
		s = &d->sections[e & SEC_MASK];
		if (__builtin_expect(!covers(s, addr), 0)) {
			translate_slow(d, addr, len, out, fr, e);
			return;
		}
		mru.gen = d->gen;
		mru.page = page;
		mru.s = s;
	}
	translate_fill(d, s, addr, len, out, fr);
}

void pm__translate(struct pm_flatview *fv, uint64_t addr, uint64_t len, struct pm_section *out,
		   const struct pm_fr **fr)
{
	translate(fv->dispatch, addr, len, out, fr);
}

size_t pm__dispatch_bytes(const struct pm_dispatch *d)
{
	return sizeof(*d) + d->cap_nodes * sizeof(struct node) +
	       d->nr_sections * sizeof(struct pm_dsection) + d->cap_sections * sizeof(*d->ranges) +
	       d->subpage_bytes;
}
