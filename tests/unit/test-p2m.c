/*
 * test-p2m.c - the three-level P2M: the traps of the 2011 identity-mapping
 * discussion one by one, a property test against a flat array, and an
 * allocation-failure sweep.
 */
#include <errno.h>
#include <inttypes.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <cmocka.h>
#include <urcu/urcu-bp.h>

#include "physmap/p2m.h"
#include "p2m-internal.h"
#include "p2m-testlib.h"
#include "pagepool.h"

#define LEAF  UINT64_C(512)
#define MID   (UINT64_C(1) << 18)
#define GiB_PFNS MID                 /* 1 GiB of 4 KiB pages */
#define ID(pfn) ((pfn) | PM_P2M_IDENTITY_BIT)
#define INV PM_P2M_INVALID

static struct pm_p2m *new_tree(uint64_t max_pfn)
{
	struct pm_p2m *p2m = NULL;

	assert_int_equal(pm_p2m_create(max_pfn, NULL, &p2m), 0);
	return p2m;
}

static void expect_entry(struct pm_p2m *p2m, uint64_t pfn, uint64_t want)
{
	uint64_t got = pm_p2m_lookup(p2m, pfn);

	if (got != want)
		fail_msg("pfn 0x%" PRIx64 ": got 0x%" PRIx64 ", expected 0x%" PRIx64,
			 pfn, got, want);
}

static void expect_consistent(struct pm_p2m *p2m)
{
	struct pm_p2m_stats kept, counted;
	uint64_t bad;

	pm_p2m_stats(p2m, &kept);
	pm__p2m_recount(p2m, &counted, &bad);
	assert_int_equal(bad, 0);
	assert_memory_equal(&kept, &counted, sizeof(kept));
}

static struct pm_p2m_stats stats_of(struct pm_p2m *p2m)
{
	struct pm_p2m_stats s;

	pm_p2m_stats(p2m, &s);
	return s;
}

/* --- the traps ---------------------------------------------------------- */

static void p2m_new_tree_is_missing_and_costs_only_the_top(void **state)
{
	struct pm_p2m *p2m = new_tree(4 * GiB_PFNS);
	struct pm_p2m_stats s = stats_of(p2m);

	(void)state;
	assert_int_equal(s.top_entries, 4);
	assert_int_equal(s.mids + s.leaves, 0);
	assert_int_equal(s.bytes, 4 * 8);
	assert_int_equal(s.top_to_mid_missing, 4);
	expect_entry(p2m, 0, INV);
	expect_entry(p2m, 4 * GiB_PFNS - 1, INV);
	expect_entry(p2m, 4 * GiB_PFNS, INV);   /* beyond max_pfn */
	pm_p2m_free(p2m);
}

static void p2m_set_pfn_equal_to_mfn_is_ram_not_identity(void **state)
{
	struct pm_p2m *p2m = new_tree(4 * GiB_PFNS);
	uint64_t x = 3 * GiB_PFNS + 12345;

	(void)state;
	/* the 2011 swap-over bug: this turned the whole GiB into identity */
	assert_int_equal(pm_p2m_set(p2m, x, x), 0);
	expect_entry(p2m, x, x);
	assert_int_equal(pm_p2m_kind_of(pm_p2m_lookup(p2m, x)), PM_P2M_RAM);
	expect_entry(p2m, x - 1, INV);
	expect_entry(p2m, x + 1, INV);
	expect_entry(p2m, 3 * GiB_PFNS, INV);
	expect_entry(p2m, 4 * GiB_PFNS - 1, INV);
	assert_int_equal(stats_of(p2m).mids, 1);
	assert_int_equal(stats_of(p2m).leaves, 1);
	expect_consistent(p2m);
	pm_p2m_free(p2m);
}

static void p2m_set_one_pfn_changes_only_that_pfn(void **state)
{
	struct pm_p2m *p2m = new_tree(2 * GiB_PFNS);

	(void)state;
	assert_int_equal(pm_p2m_set_identity(p2m, 0, 2 * GiB_PFNS), 2 * GiB_PFNS);
	assert_int_equal(pm_p2m_set(p2m, 700, INV), 0);
	expect_entry(p2m, 700, INV);
	expect_entry(p2m, 699, ID(699));
	expect_entry(p2m, 701, ID(701));
	expect_entry(p2m, GiB_PFNS + 700, ID(GiB_PFNS + 700));
	expect_consistent(p2m);
	pm_p2m_free(p2m);
}

static void p2m_identity_aligned_range_allocates_nothing(void **state)
{
	struct pm_p2m *p2m = new_tree(8 * GiB_PFNS);
	struct pm_p2m_stats s;

	(void)state;
	/* a 1 GiB hole at 3 GiB: one top pointer */
	assert_int_equal(pm_p2m_set_identity(p2m, 3 * GiB_PFNS, 4 * GiB_PFNS), GiB_PFNS);
	s = stats_of(p2m);
	assert_int_equal(s.mids + s.leaves, 0);
	assert_int_equal(s.top_to_mid_identity, 1);
	/* 2 MiB-aligned inside a missing mid: one mid, no leaf */
	assert_int_equal(pm_p2m_set_identity(p2m, 5 * GiB_PFNS + 4 * LEAF,
					     5 * GiB_PFNS + 9 * LEAF), 5 * LEAF);
	s = stats_of(p2m);
	assert_int_equal(s.mids, 1);
	assert_int_equal(s.leaves, 0);
	assert_int_equal(s.mid_to_identity, 5);
	expect_entry(p2m, 3 * GiB_PFNS, ID(3 * GiB_PFNS));
	expect_entry(p2m, 4 * GiB_PFNS - 1, ID(4 * GiB_PFNS - 1));
	expect_entry(p2m, 4 * GiB_PFNS, INV);
	expect_entry(p2m, 5 * GiB_PFNS + 4 * LEAF - 1, INV);
	expect_entry(p2m, 5 * GiB_PFNS + 9 * LEAF, INV);
	expect_consistent(p2m);
	pm_p2m_free(p2m);
}

static void p2m_identity_unaligned_edges_get_real_leaves(void **state)
{
	struct pm_p2m *p2m = new_tree(4 * GiB_PFNS);
	uint64_t s0 = GiB_PFNS - 100, e0 = 2 * GiB_PFNS + 3 * LEAF + 7;

	(void)state;
	assert_int_equal(pm_p2m_set(p2m, s0 - 1, 42), 0);
	assert_int_equal(pm_p2m_set(p2m, e0, 43), 0);
	assert_int_equal(pm_p2m_set_identity(p2m, s0, e0), e0 - s0);
	/* edge leaves only: the one holding s0 and the one holding e0 */
	assert_int_equal(stats_of(p2m).leaves, 2);
	expect_entry(p2m, s0 - 1, 42);
	expect_entry(p2m, e0, 43);
	expect_entry(p2m, s0, ID(s0));
	expect_entry(p2m, e0 - 1, ID(e0 - 1));
	expect_entry(p2m, GiB_PFNS + 777, ID(GiB_PFNS + 777));
	expect_entry(p2m, e0 + 1, INV);
	expect_entry(p2m, s0 - 2, INV);
	assert_int_equal(stats_of(p2m).top_to_mid_identity, 1);
	expect_consistent(p2m);
	pm_p2m_free(p2m);
}

static void p2m_identity_leaves_ram_alone_and_counts_identity(void **state)
{
	struct pm_p2m *p2m = new_tree(GiB_PFNS);

	(void)state;
	assert_int_equal(pm_p2m_set_range(p2m, 100, 5000, 50), 0);
	/* 1000 pfns, 50 of them RAM */
	assert_int_equal(pm_p2m_set_identity(p2m, 80, 1080), 950);
	expect_entry(p2m, 100, 5000);
	expect_entry(p2m, 149, 5049);
	expect_entry(p2m, 150, ID(150));
	expect_entry(p2m, 99, ID(99));
	/* already identity counts again; nothing changes */
	assert_int_equal(pm_p2m_set_identity(p2m, 80, 1080), 950);
	expect_consistent(p2m);
	pm_p2m_free(p2m);
}

static void p2m_populate_in_identity_splits_the_sentinel(void **state)
{
	struct pm_p2m *p2m = new_tree(4 * GiB_PFNS);
	uint64_t x = 3 * GiB_PFNS + 5 * LEAF + 17;

	(void)state;
	pm_p2m_set_identity(p2m, 3 * GiB_PFNS, 4 * GiB_PFNS);
	assert_int_equal(pm_p2m_set(p2m, x, 0xabcde), 0);
	expect_entry(p2m, x, 0xabcde);
	for (uint64_t p = x & ~(LEAF - 1); p < (x | (LEAF - 1)) + 1; p++)
		if (p != x)
			expect_entry(p2m, p, ID(p));
	expect_entry(p2m, 3 * GiB_PFNS, ID(3 * GiB_PFNS));
	assert_int_equal(stats_of(p2m).mids, 1);
	assert_int_equal(stats_of(p2m).leaves, 1);
	assert_int_equal(stats_of(p2m).mid_to_identity, 511);
	/* giving it back (balloon out) leaves a missing hole, not identity */
	assert_int_equal(pm_p2m_set(p2m, x, INV), 0);
	expect_entry(p2m, x, INV);
	expect_consistent(p2m);
	pm_p2m_free(p2m);
}

static void p2m_lookup_of_identity_sentinel_compares_pointers(void **state)
{
	struct pm_p2m *p2m = new_tree(GiB_PFNS);
	struct pm_p2m_path path;

	(void)state;
	/* the identity sentinel's entries are INVALID: a lookup that read them
	 * would return INVALID here */
	pm_p2m_set_identity(p2m, 0, GiB_PFNS);
	expect_entry(p2m, 123456, ID(123456));
	assert_int_equal(pm_p2m_explain(p2m, 123456, &path), 0);
	assert_int_equal(path.mid, PM_P2M_PAGE_IDENTITY);
	assert_int_equal(path.leaf, PM_P2M_PAGE_IDENTITY);
	assert_int_equal(path.value, ID(123456));
	pm_p2m_free(p2m);
}

static void p2m_clear_range_returns_whole_pages_to_the_sentinel(void **state)
{
	struct pm_p2m *p2m = new_tree(4 * GiB_PFNS);
	struct pm_p2m_stats s;

	(void)state;
	assert_int_equal(pm_p2m_set_range(p2m, 0, 1000000, 4 * GiB_PFNS), 0);
	s = stats_of(p2m);
	assert_int_equal(s.mids, 4);
	assert_int_equal(s.leaves, 4 * 512);
	/* a whole GiB plus two partial leaves around it */
	assert_int_equal(pm_p2m_clear_range(p2m, GiB_PFNS - 10, 2 * GiB_PFNS + 10), 0);
	s = stats_of(p2m);
	assert_int_equal(s.mids, 3);
	assert_int_equal(s.leaves, 3 * 512);
	assert_int_equal(s.top_to_mid_missing, 1);
	expect_entry(p2m, GiB_PFNS - 11, 1000000 + GiB_PFNS - 11);
	expect_entry(p2m, GiB_PFNS - 10, INV);
	expect_entry(p2m, 2 * GiB_PFNS + 9, INV);
	expect_entry(p2m, 2 * GiB_PFNS + 10, 1000000 + 2 * GiB_PFNS + 10);
	/* clearing the rest of a leaf frees it */
	assert_int_equal(pm_p2m_clear_range(p2m, 2 * GiB_PFNS, 2 * GiB_PFNS + LEAF), 0);
	assert_int_equal(stats_of(p2m).leaves, 3 * 512 - 1);
	assert_int_equal(pm_p2m_clear_range(p2m, 0, 4 * GiB_PFNS), 0);
	s = stats_of(p2m);
	assert_int_equal(s.mids + s.leaves, 0);
	assert_int_equal(s.bytes, 4 * 8);
	expect_consistent(p2m);
	pm_p2m_free(p2m);
}

static void p2m_clear_part_of_identity_mid_keeps_the_rest(void **state)
{
	struct pm_p2m *p2m = new_tree(2 * GiB_PFNS);

	(void)state;
	pm_p2m_set_identity(p2m, 0, 2 * GiB_PFNS);
	assert_int_equal(pm_p2m_clear_range(p2m, 1000, 3000), 0);
	expect_entry(p2m, 999, ID(999));
	expect_entry(p2m, 1000, INV);
	expect_entry(p2m, 2999, INV);
	expect_entry(p2m, 3000, ID(3000));
	expect_entry(p2m, GiB_PFNS, ID(GiB_PFNS));
	/* one mid, two edge leaves, the leaves between are missing sentinels */
	assert_int_equal(stats_of(p2m).mids, 1);
	assert_int_equal(stats_of(p2m).leaves, 2);
	expect_consistent(p2m);
	pm_p2m_free(p2m);
}

static void p2m_identity_then_clear_merges_back_to_sentinels(void **state)
{
	struct pm_p2m *p2m = new_tree(2 * GiB_PFNS);

	(void)state;
	pm_p2m_set_identity(p2m, 10, 2000);
	pm_p2m_set_identity(p2m, 0, 10);
	pm_p2m_set_identity(p2m, 2000, GiB_PFNS);
	/* the mid became wholly identity again */
	assert_int_equal(stats_of(p2m).mids, 0);
	assert_int_equal(stats_of(p2m).leaves, 0);
	assert_int_equal(stats_of(p2m).top_to_mid_identity, 1);
	pm_p2m_clear_range(p2m, 0, 5);
	pm_p2m_clear_range(p2m, 5, GiB_PFNS);
	assert_int_equal(stats_of(p2m).mids + stats_of(p2m).leaves, 0);
	assert_int_equal(stats_of(p2m).top_to_mid_missing, 2);
	expect_consistent(p2m);
	pm_p2m_free(p2m);
}

static void p2m_set_noalloc_fails_only_where_a_page_is_needed(void **state)
{
	struct pm_p2m *p2m = new_tree(GiB_PFNS);

	(void)state;
	assert_int_equal(pm_p2m_set_noalloc(p2m, 5, 77), -ENOMEM);
	expect_entry(p2m, 5, INV);
	assert_int_equal(stats_of(p2m).mids, 0);
	/* the sentinel already says it: fine without a page */
	assert_int_equal(pm_p2m_set_noalloc(p2m, 5, INV), 0);
	assert_int_equal(pm_p2m_set(p2m, 6, 78), 0);
	assert_int_equal(pm_p2m_set_noalloc(p2m, 5, 77), 0);
	expect_entry(p2m, 5, 77);
	pm_p2m_set_identity(p2m, LEAF, 2 * LEAF);
	assert_int_equal(pm_p2m_set_noalloc(p2m, LEAF + 1, ID(LEAF + 1)), 0);
	assert_int_equal(pm_p2m_set_noalloc(p2m, LEAF + 1, 99), -ENOMEM);
	/* emptying the leaf without allocating retires it */
	assert_int_equal(pm_p2m_set_noalloc(p2m, 5, INV), 0);
	assert_int_equal(pm_p2m_set_noalloc(p2m, 6, INV), 0);
	assert_int_equal(stats_of(p2m).leaves, 0);
	expect_consistent(p2m);
	pm_p2m_free(p2m);
}

static void p2m_bad_arguments_are_einval(void **state)
{
	struct pm_p2m *p2m = new_tree(GiB_PFNS);
	struct pm_p2m *none = NULL;
	struct pm_p2m_allocator half = { .alloc_page = counting_alloc_page };

	(void)state;
	assert_int_equal(pm_p2m_create(0, NULL, &none), -EINVAL);
	assert_int_equal(pm_p2m_create(PM_P2M_MAX_PFN + 1, NULL, &none), -EINVAL);
	assert_int_equal(pm_p2m_create(10, &half, &none), -EINVAL);
	assert_null(none);
	assert_int_equal(pm_p2m_set(p2m, GiB_PFNS, 1), -EINVAL);
	assert_int_equal(pm_p2m_set(p2m, 5, ID(6)), -EINVAL);
	assert_int_equal(pm_p2m_set(p2m, 5, ID(5) | PM_P2M_FOREIGN_BIT), 0 - EINVAL);
	assert_int_equal(pm_p2m_set_range(p2m, GiB_PFNS - 1, 1, 2), -EINVAL);
	assert_int_equal(pm_p2m_set_range(p2m, 1, UINT64_MAX - 1, 3), -EINVAL);
	assert_int_equal(pm_p2m_set_range(p2m, 0, PM_P2M_IDENTITY_BIT - 1, 2), -EINVAL);
	assert_int_equal(pm_p2m_set_range(p2m, 0, ID(0), 1), -EINVAL);
	assert_int_equal(pm_p2m_set_range(p2m, UINT64_MAX, 0, 2), -EINVAL);
	assert_int_equal(pm_p2m_clear_range(p2m, 5, 4), -EINVAL);
	assert_int_equal(pm_p2m_clear_range(p2m, 0, GiB_PFNS + 1), -EINVAL);
	assert_int_equal(pm_p2m_set_identity(p2m, 0, GiB_PFNS + 1), -EINVAL);
	assert_int_equal(pm_p2m_set_identity(p2m, 5, 5), 0);
	assert_int_equal(stats_of(p2m).mids, 0);
	pm_p2m_free(p2m);
	pm_p2m_free(NULL);
}

static void p2m_top_level_grows_past_512_gib(void **state)
{
	struct pm_p2m *p2m = new_tree(PM_P2M_MAX_PFN);
	uint64_t last = PM_P2M_MAX_PFN - 1;
	struct pm_p2m_path path;

	(void)state;
	assert_int_equal(stats_of(p2m).top_entries, UINT64_C(1) << 22);
	assert_int_equal(pm_p2m_set(p2m, last, 0x1234), 0);
	expect_entry(p2m, last, 0x1234);
	assert_int_equal(pm_p2m_explain(p2m, last, &path), 0);
	assert_int_equal(path.top_index, (UINT64_C(1) << 22) - 1);
	assert_int_equal(path.mid_index, 511);
	assert_int_equal(path.leaf_index, 511);
	assert_int_equal(path.mid, PM_P2M_PAGE_REAL);
	/* 1 TiB of identity over 4 PiB: top pointers only */
	assert_int_equal(pm_p2m_set_identity(p2m, UINT64_C(1) << 30, UINT64_C(1) << 31),
			 UINT64_C(1) << 30);
	assert_int_equal(stats_of(p2m).leaves, 1);
	pm_p2m_free(p2m);
}

static void p2m_runs_coalesce_by_kind_and_contiguous_frames(void **state)
{
	struct pm_p2m *p2m = new_tree(2 * GiB_PFNS);
	struct pm_p2m_run r;
	uint64_t pfn = 0;
	struct pm_p2m_run want[] = {
		{ 0, 1000, PM_P2M_RAM, 5000 },
		{ 1000, 1500, PM_P2M_RAM, 9000 },     /* frames jump: new run */
		{ 1500, 4096, PM_P2M_MISSING, 0 },
		{ 4096, GiB_PFNS + 3, PM_P2M_IDENTITY, 0 },
		{ GiB_PFNS + 3, GiB_PFNS + 5, PM_P2M_FOREIGN, 77 },
		{ GiB_PFNS + 5, 2 * GiB_PFNS, PM_P2M_MISSING, 0 },
	};
	size_t n = 0;

	(void)state;
	pm_p2m_set_range(p2m, 0, 5000, 1000);
	pm_p2m_set_range(p2m, 1000, 9000, 500);
	pm_p2m_set_identity(p2m, 4096, GiB_PFNS + 3);
	pm_p2m_set_range(p2m, GiB_PFNS + 3, 77 | PM_P2M_FOREIGN_BIT, 2);
	while (pm_p2m_next_run(p2m, pfn, &r) == 0) {
		assert_true(n < sizeof(want) / sizeof(want[0]));
		if (r.start != want[n].start || r.end != want[n].end ||
		    r.kind != want[n].kind || r.mfn != want[n].mfn)
			fail_msg("run %zu: [0x%" PRIx64 ", 0x%" PRIx64 ") %s mfn 0x%" PRIx64
				 ", expected [0x%" PRIx64 ", 0x%" PRIx64 ") %s mfn 0x%" PRIx64,
				 n, r.start, r.end, pm_p2m_kind_name(r.kind), r.mfn,
				 want[n].start, want[n].end,
				 pm_p2m_kind_name(want[n].kind), want[n].mfn);
		n++;
		pfn = r.end;
	}
	assert_int_equal(n, sizeof(want) / sizeof(want[0]));
	assert_int_equal(pm_p2m_next_run(p2m, 2 * GiB_PFNS, &r), -ENOENT);
	pm_p2m_free(p2m);
}

static void p2m_explain_names_each_level(void **state)
{
	struct pm_p2m *p2m = new_tree(3 * GiB_PFNS);
	struct pm_p2m_path p;

	(void)state;
	pm_p2m_set(p2m, 2 * GiB_PFNS + 3 * LEAF + 9, 4242);
	pm_p2m_explain(p2m, 2 * GiB_PFNS + 3 * LEAF + 9, &p);
	assert_int_equal(p.top_index, 2);
	assert_int_equal(p.mid_index, 3);
	assert_int_equal(p.leaf_index, 9);
	assert_int_equal(p.mid, PM_P2M_PAGE_REAL);
	assert_int_equal(p.leaf, PM_P2M_PAGE_REAL);
	assert_int_equal(p.value, 4242);
	pm_p2m_explain(p2m, 2 * GiB_PFNS + 4 * LEAF, &p);
	assert_int_equal(p.mid, PM_P2M_PAGE_REAL);
	assert_int_equal(p.leaf, PM_P2M_PAGE_MISSING);
	pm_p2m_explain(p2m, 5, &p);
	assert_int_equal(p.mid, PM_P2M_PAGE_MISSING);
	assert_int_equal(p.value, INV);
	assert_int_equal(pm_p2m_explain(p2m, 3 * GiB_PFNS, &p), -EINVAL);
	pm_p2m_free(p2m);
}

/* Frames: real pages get 1000 + a counter, sentinels fixed numbers. */
struct frames {
	const void *pages[64];
	uint64_t n;
};

static int frame_of(void *opaque, const void *page, int level,
		    enum pm_p2m_page_kind kind, uint64_t *mfn)
{
	struct frames *f = opaque;

	if (kind != PM_P2M_PAGE_REAL) {
		*mfn = (uint64_t)level * 10 + kind;
		return 0;
	}
	for (uint64_t i = 0; i < f->n; i++)
		if (f->pages[i] == page) {
			*mfn = 1000 + i;
			return 0;
		}
	if (f->n == 64)
		return -E2BIG;
	f->pages[f->n] = page;
	*mfn = 1000 + f->n++;
	return 0;
}

static void p2m_frame_lists_name_every_leaf_and_mid(void **state)
{
	struct pm_p2m *p2m = new_tree(3 * GiB_PFNS);
	uint64_t leaves[3 * 512], mids[3];
	struct frames f = { .n = 0 };

	(void)state;
	pm_p2m_set(p2m, 7, 1);                      /* real mid 0, real leaf 0 */
	pm_p2m_set_identity(p2m, LEAF, 2 * LEAF);   /* mid 0 leaf 1: identity */
	pm_p2m_set_identity(p2m, 2 * GiB_PFNS, 3 * GiB_PFNS);
	assert_int_equal(pm_p2m_frame_lists(p2m, frame_of, &f, leaves, 3 * 512 - 1,
					    mids, 3), -ENOSPC);
	assert_int_equal(pm_p2m_frame_lists(p2m, frame_of, &f, leaves, 3 * 512,
					    mids, 3), 0);
	assert_int_equal(mids[0], 1000);            /* first real page seen */
	assert_int_equal(leaves[0], 1001);
	assert_int_equal(leaves[1], 10 + PM_P2M_PAGE_IDENTITY);
	assert_int_equal(leaves[2], 10 + PM_P2M_PAGE_MISSING);
	assert_int_equal(mids[1], 20 + PM_P2M_PAGE_MISSING);
	assert_int_equal(leaves[512 + 77], 10 + PM_P2M_PAGE_MISSING);
	assert_int_equal(mids[2], 20 + PM_P2M_PAGE_IDENTITY);
	assert_int_equal(leaves[2 * 512 + 511], 10 + PM_P2M_PAGE_IDENTITY);
	pm_p2m_free(p2m);
}

/* --- flat-array model ---------------------------------------------------- */

enum op { OP_SET, OP_SET_NOALLOC, OP_SET_RANGE, OP_CLEAR, OP_IDENTITY, OP_FOREIGN };

struct model {
	uint64_t *v;
	uint64_t max_pfn;
};

/* A position biased to leaf and mid boundaries. */
static uint64_t pick_pfn(uint64_t *rng, uint64_t max_pfn)
{
	uint64_t r = rng_below(rng, 10), base;

	if (r < 4)
		return rng_below(rng, max_pfn);
	base = r < 7 ? rng_below(rng, max_pfn / LEAF + 1) * LEAF :
		       rng_below(rng, max_pfn / MID + 1) * MID;
	base += rng_below(rng, 5);
	base -= rng_below(rng, 3) ? 0 : rng_below(rng, 3) + 1;
	return base >= max_pfn ? max_pfn - 1 : base;
}

/* A length biased to whole and nearly whole leaves and mids. */
static uint64_t pick_len(uint64_t *rng)
{
	uint64_t r = rng_below(rng, 100), unit;

	if (r < 45)
		return 1 + rng_below(rng, 64);
	if (r < 70)
		return 1 + rng_below(rng, 2048);
	unit = r < 99 ? LEAF : MID;
	return unit * (1 + rng_below(rng, r < 99 ? 8 : 1)) +
	       rng_below(rng, 3) - 1;
}

/* Apply @op to the tree and, if it succeeded, to the model. */
static int apply_op(struct pm_p2m *p2m, struct model *m, enum op op,
		    uint64_t s, uint64_t len, uint64_t mfn)
{
	uint64_t e = s + len > m->max_pfn ? m->max_pfn : s + len;
	long rc;

	switch (op) {
	case OP_SET:
	case OP_SET_NOALLOC: {
		uint64_t v = mfn % 3 == 0 ? INV : mfn % 3 == 1 ? ID(s) : mfn;

		rc = op == OP_SET ? pm_p2m_set(p2m, s, v) :
				    pm_p2m_set_noalloc(p2m, s, v);
		if (rc == 0)
			m->v[s] = v;
		return (int)rc;
	}
	case OP_SET_RANGE:
	case OP_FOREIGN:
		if (op == OP_FOREIGN)
			mfn |= PM_P2M_FOREIGN_BIT;
		rc = pm_p2m_set_range(p2m, s, mfn, e - s);
		if (rc == 0)
			for (uint64_t p = s; p < e; p++)
				m->v[p] = mfn + (p - s);
		return (int)rc;
	case OP_CLEAR:
		rc = pm_p2m_clear_range(p2m, s, e);
		if (rc == 0)
			for (uint64_t p = s; p < e; p++)
				m->v[p] = INV;
		return (int)rc;
	case OP_IDENTITY: {
		uint64_t want = 0;

		rc = pm_p2m_set_identity(p2m, s, e);
		if (rc < 0)
			return (int)rc;
		for (uint64_t p = s; p < e; p++) {
			if (m->v[p] == INV)
				m->v[p] = ID(p);
			want += pm_p2m_kind_of(m->v[p]) == PM_P2M_IDENTITY;
		}
		if ((uint64_t)rc != want)
			fail_msg("set_identity [0x%" PRIx64 ", 0x%" PRIx64 ") = %ld, expected %" PRIu64,
				 s, e, rc, want);
		return 0;
	}
	}
	return -EINVAL;
}

static void compare_range(struct pm_p2m *p2m, const struct model *m,
			  uint64_t s, uint64_t e, long opno)
{
	for (uint64_t p = s; p < e && p < m->max_pfn; p++) {
		uint64_t got = pm_p2m_lookup(p2m, p);

		if (got != m->v[p])
			fail_msg("op %ld: pfn 0x%" PRIx64 ": tree 0x%" PRIx64 ", model 0x%" PRIx64,
				 opno, p, got, m->v[p]);
	}
}

/* The runs of the tree, rebuilt into values, must equal the model. */
static void compare_runs(struct pm_p2m *p2m, const struct model *m)
{
	struct pm_p2m_run r;
	uint64_t pfn = 0, prev_end = 0;
	enum pm_p2m_kind prev_kind = PM_P2M_MISSING;
	uint64_t prev_next_mfn = 0;

	while (pm_p2m_next_run(p2m, pfn, &r) == 0) {
		assert_int_equal(r.start, pfn);
		assert_true(r.end > r.start);
		for (uint64_t p = r.start; p < r.end; p++) {
			uint64_t want = r.kind == PM_P2M_MISSING ? INV :
					r.kind == PM_P2M_IDENTITY ? ID(p) :
					(r.mfn + (p - r.start)) |
					(r.kind == PM_P2M_FOREIGN ? PM_P2M_FOREIGN_BIT : 0);

			if (m->v[p] != want)
				fail_msg("run [0x%" PRIx64 ", 0x%" PRIx64 ") %s disagrees at 0x%" PRIx64,
					 r.start, r.end, pm_p2m_kind_name(r.kind), p);
		}
		/* maximal: the next run could not have continued this one */
		if (pfn && r.kind == prev_kind) {
			assert_true(r.kind == PM_P2M_RAM || r.kind == PM_P2M_FOREIGN);
			assert_true(r.mfn != prev_next_mfn);
		}
		prev_kind = r.kind;
		prev_next_mfn = r.mfn + (r.end - r.start);
		prev_end = r.end;
		pfn = r.end;
	}
	assert_int_equal(prev_end, m->max_pfn);
}

/* The bulk readers agree with the model too. */
static void compare_bulk(struct pm_p2m *p2m, const struct model *m, uint64_t seed)
{
	uint64_t *all = malloc(m->max_pfn * sizeof(*all));
	uint64_t pfns[1000], out[1000], rng = seed;

	assert_non_null(all);
	assert_int_equal(pm_p2m_read_range(p2m, 0, m->max_pfn, all), 0);
	for (uint64_t p = 0; p < m->max_pfn; p++)
		if (all[p] != m->v[p])
			fail_msg("read_range: pfn 0x%" PRIx64 ": 0x%" PRIx64 ", model 0x%" PRIx64,
				 p, all[p], m->v[p]);
	assert_int_equal(pm_p2m_read_range(p2m, 7, 7 + LEAF + 3, all), 0);
	for (uint64_t p = 7; p < 7 + LEAF + 3; p++)
		assert_int_equal(all[p - 7], m->v[p]);
	assert_int_equal(pm_p2m_read_range(p2m, 0, m->max_pfn + 1, all), -EINVAL);
	for (int i = 0; i < 1000; i++)
		pfns[i] = rng_below(&rng, m->max_pfn + 10);
	assert_int_equal(pm_p2m_lookup_batch(p2m, pfns, out, 1000), 0);
	for (int i = 0; i < 1000; i++)
		assert_int_equal(out[i], pfns[i] < m->max_pfn ? m->v[pfns[i]] : INV);
	/* batches shorter and longer than a slice (256), ending on its edges, from an offset */
	static const size_t sizes[] = { 0, 1, 7, 70, 255, 256, 257, 511, 512, 513, 600 };

	for (size_t k = 0; k < sizeof(sizes) / sizeof(sizes[0]); k++) {
		size_t n = sizes[k];

		assert_int_equal(pm_p2m_lookup_batch(p2m, pfns + 3, out, n), 0);
		for (size_t i = 0; i < n; i++)
			assert_int_equal(out[i], pfns[3 + i] < m->max_pfn ? m->v[pfns[3 + i]] : INV);
	}
	free(all);
}

static void run_random_ops(struct pm_p2m *p2m, struct model *m, uint64_t seed,
			   long ops)
{
	uint64_t rng = seed;

	for (long i = 0; i < ops; i++) {
		enum op op = (enum op)rng_below(&rng, 6);
		uint64_t s = pick_pfn(&rng, m->max_pfn);
		uint64_t len = pick_len(&rng);
		uint64_t mfn = rng_below(&rng, UINT64_C(1) << 40);
		int rc = apply_op(p2m, m, op, s, len, mfn);

		if (rc != 0 && !(rc == -ENOMEM && op == OP_SET_NOALLOC))
			fail_msg("op %ld (%d at 0x%" PRIx64 "+%" PRIu64 ") = %d", i, op, s, len, rc);
		compare_range(p2m, m, s, s + (op <= OP_SET_NOALLOC ? 1 : len), i);
		for (int k = 0; k < 8; k++) {
			uint64_t p = rng_below(&rng, m->max_pfn);

			compare_range(p2m, m, p, p + 1, i);
		}
	}
}

static void p2m_matches_flat_array_over_random_operations(void **state)
{
	const char *seed_env = getenv("P2M_SEED");
	const char *ops_env = getenv("P2M_OPS");
	uint64_t seed = seed_env ? strtoull(seed_env, NULL, 0) : 0x5eed2011;
	long ops = ops_env ? atol(ops_env) : 1000000;
	struct model m = { .max_pfn = 5 * MID + 3 * LEAF + 100 };
	struct counting_alloc c = { 0 };
	struct pm_p2m_allocator a = counting_allocator(&c);
	struct pm_p2m *p2m = NULL;

	(void)state;
	print_message("# P2M_SEED=0x%" PRIx64 " P2M_OPS=%ld\n", seed, ops);
	m.v = malloc(m.max_pfn * sizeof(*m.v));
	assert_non_null(m.v);
	for (uint64_t p = 0; p < m.max_pfn; p++)
		m.v[p] = INV;
	assert_int_equal(pm_p2m_create(m.max_pfn, &a, &p2m), 0);

	run_random_ops(p2m, &m, seed, ops);

	compare_range(p2m, &m, 0, m.max_pfn, ops);
	compare_runs(p2m, &m);
	compare_bulk(p2m, &m, seed);
	expect_consistent(p2m);
	pm_p2m_free(p2m);
	assert_int_equal(c.live, 0);
	free(m.v);
}

/*
 * For every N: run a fixed sequence with the Nth page allocation failing.
 * The failing operation must return -ENOMEM and leave the tree exactly as
 * the model says it was; the rest of the sequence then continues normally.
 */
static void p2m_allocation_failure_leaves_tree_unchanged(void **state)
{
	const long ops = 400;
	struct model m = { .max_pfn = 3 * MID + 100 };
	long total_allocs, n;

	(void)state;
	m.v = malloc(m.max_pfn * sizeof(*m.v));
	assert_non_null(m.v);

	/* how many allocations does the sequence make when none fails? */
	{
		struct counting_alloc c = { 0 };
		struct pm_p2m_allocator a = counting_allocator(&c);
		struct pm_p2m *p2m = NULL;

		for (uint64_t p = 0; p < m.max_pfn; p++)
			m.v[p] = INV;
		assert_int_equal(pm_p2m_create(m.max_pfn, &a, &p2m), 0);
		run_random_ops(p2m, &m, 0xfa11, ops);
		total_allocs = c.allocs;
		pm_p2m_free(p2m);
		assert_int_equal(c.live, 0);
	}
	assert_true(total_allocs > 50);

	for (n = 1; n <= total_allocs; n++) {
		struct counting_alloc c = { .fail_at = n };
		struct pm_p2m_allocator a = counting_allocator(&c);
		struct pm_p2m *p2m = NULL;
		uint64_t rng = 0xfa11;
		int failures = 0;

		for (uint64_t p = 0; p < m.max_pfn; p++)
			m.v[p] = INV;
		assert_int_equal(pm_p2m_create(m.max_pfn, &a, &p2m), 0);
		for (long i = 0; i < ops; i++) {
			enum op op = (enum op)rng_below(&rng, 6);
			uint64_t s = pick_pfn(&rng, m.max_pfn);
			uint64_t len = pick_len(&rng);
			uint64_t mfn = rng_below(&rng, UINT64_C(1) << 40);
			struct pm_p2m_stats before, after;
			int rc;

			pm_p2m_stats(p2m, &before);
			rc = apply_op(p2m, &m, op, s, len, mfn);
			for (int k = 0; k < 8; k++)
				rng_below(&rng, m.max_pfn);  /* keep the sequence */
			if (rc == 0 || (rc == -ENOMEM && op == OP_SET_NOALLOC))
				continue;
			if (rc != -ENOMEM)
				fail_msg("N=%ld op %ld: rc %d", n, i, rc);
			failures++;
			pm_p2m_stats(p2m, &after);
			assert_memory_equal(&before, &after, sizeof(before));
			compare_range(p2m, &m, s > LEAF ? s - LEAF : 0, s + len + LEAF, i);
		}
		if (failures != 1)
			fail_msg("N=%ld: %d operations failed, expected 1", n, failures);
		if (n % 64 == 0 || n == total_allocs)
			compare_range(p2m, &m, 0, m.max_pfn, ops);
		expect_consistent(p2m);
		pm_p2m_free(p2m);
		if (c.live != 0)
			fail_msg("N=%ld: %ld pages leaked", n, c.live);
	}
	print_message("# %ld allocation failures injected\n", total_allocs);
	free(m.v);
}

/* --- the lookup without a read section ----------------------------------- */

/*
 * Past max_pfn a lookup reads missing, whether the tree answers it (the
 * rest of the last leaf and mid: no write reaches them, even an identity
 * range ending at max_pfn), the top's unused room (NULL) or the bound;
 * inline and through the exported call, on both kinds of tree.
 */
static void p2m_lookup_past_max_pfn_reads_missing(void **state)
{
	const uint64_t max = 2 * MID + 3 * LEAF + 100;
	const uint64_t past[] = { max, max + 1, (max | (LEAF - 1)), 3 * MID - 1, 3 * MID,
				  PM_P2M_MAX_PFN - 1, PM_P2M_MAX_PFN, UINT64_MAX };
	uint64_t (*call)(const struct pm_p2m *, uint64_t) = pm_p2m_lookup;
	struct counting_alloc c = { 0 };
	struct pm_p2m_allocator a = counting_allocator(&c);

	(void)state;
	for (int kind = 0; kind < 2; kind++) {
		struct pm_p2m *p2m = NULL;

		assert_int_equal(pm_p2m_create(max, kind ? &a : NULL, &p2m), 0);
		assert_int_equal(pm_p2m_set_identity(p2m, 0, max), (long)max);
		assert_int_equal(pm_p2m_set_range(p2m, max - 50, 7, 50), 0);
		expect_entry(p2m, max - 51, ID(max - 51));
		expect_entry(p2m, max - 1, 7 + 49);
		assert_int_equal(call(p2m, max - 1), 7 + 49);
		assert_int_equal(call(p2m, 5), ID(5));
		for (size_t i = 0; i < sizeof(past) / sizeof(past[0]); i++) {
			expect_entry(p2m, past[i], INV);
			assert_int_equal(call(p2m, past[i]), INV);
		}
		pm_p2m_free(p2m);
	}
	assert_int_equal(c.live, 0);
}

static int page_address(void *opaque, const void *page, int level,
			enum pm_p2m_page_kind kind, uint64_t *mfn)
{
	(void)opaque;
	(void)level;
	(void)kind;
	*mfn = (uint64_t)(uintptr_t)page;
	return 0;
}

/*
 * On the default allocator, a mid that left the tree comes back only as a
 * mid (a lookup that read it late takes a leaf's pointer from it, never a
 * number), after the generation moved; another allocator's tree gets its
 * mids back, and its lookups take the call (its front's top is NULL).
 */
static void p2m_default_tree_reuses_a_mid_only_as_a_mid(void **state)
{
	struct pm_p2m *p2m = new_tree(2 * MID);
	const struct pm__p2m_front *front = (const void *)p2m;
	uint64_t leaves[2 * 512], mids[2], gen, first_mid;
	struct counting_alloc c = { 0 };
	struct pm_p2m_allocator a = counting_allocator(&c);

	(void)state;
	assert_int_equal(pm_p2m_set_range(p2m, 0, 1000, MID), 0);
	assert_int_equal(pm_p2m_frame_lists(p2m, page_address, NULL, leaves, 1024, mids, 2), 0);
	first_mid = mids[0];
	assert_non_null(front->top[0]);
	assert_int_equal((uintptr_t)front->top[0], first_mid);
	gen = front->recycled;
	assert_int_equal(pm_p2m_clear_range(p2m, 0, MID), 0);
	urcu_bp_barrier();   /* its grace period has passed: handed on */
	assert_true(front->recycled > gen);
	/* the next mid is that page again; the leaves, pages of the pool */
	assert_int_equal(pm_p2m_set_range(p2m, MID, 5000, 2 * LEAF), 0);
	assert_int_equal(pm_p2m_frame_lists(p2m, page_address, NULL, leaves, 1024, mids, 2), 0);
	assert_int_equal(mids[1], first_mid);
	for (int i = 0; i < 1024; i++)
		assert_true(leaves[i] != first_mid);
	expect_entry(p2m, MID + 1, 5001);
	expect_entry(p2m, 1, INV);
	pm_p2m_free(p2m);

	assert_int_equal(pm_p2m_create(2 * MID, &a, &p2m), 0);
	front = (const void *)p2m;
	assert_int_equal(pm_p2m_set_range(p2m, 0, 1000, MID), 0);
	assert_null(front->top[0]);
	expect_entry(p2m, 7, 1007);
	assert_int_equal(pm_p2m_clear_range(p2m, 0, MID), 0);
	pm_p2m_free(p2m);
	assert_int_equal(c.live, 0);
}

static int page_cmp(const void *a, const void *b)
{
	uintptr_t x = (uintptr_t)*(void *const *)a, y = (uintptr_t)*(void *const *)b;

	return x < y ? -1 : x > y;
}

static bool mapped(const void *page)
{
	unsigned char v;

	return mincore((void *)page, 4096, &v) == 0;
}

static bool resident(const void *page)
{
	unsigned char v = 0;

	return mincore((void *)page, 4096, &v) == 0 && (v & 1);
}

/*
 * The default allocator: aligned, distinct pages; a page given back comes
 * out again; of two chunks wholly given back, one keeps its memory and one
 * gives it to the kernel, both still mapped (a lookup may read a page the
 * tree gave back) until the pool is freed.
 */
static void pagepool_reuses_pages_and_discards_all_but_one_empty_chunk(void **state)
{
	enum { N = 3 * 512 };
	struct pm_pagepool *pool = pm__pagepool_new();
	void **pages = malloc(N * sizeof(*pages)), **sorted = malloc(N * sizeof(*sorted));
	unsigned still = 0;

	(void)state;
	assert_non_null(pool);
	for (int i = 0; i < N; i++) {
		pages[i] = pm__pagepool_alloc(pool);
		assert_non_null(pages[i]);
		assert_int_equal((uintptr_t)pages[i] % 4096, 0);
		memset(pages[i], 0xa5, 4096);
	}
	memcpy(sorted, pages, N * sizeof(*sorted));
	qsort(sorted, N, sizeof(*sorted), page_cmp);
	for (int i = 1; i < N; i++)
		assert_true(sorted[i] != sorted[i - 1]);
	/* the second and third chunks' pages all back: one chunk's memory
	 * stays, the other's is the kernel's again; both read without a fault */
	for (int i = 512; i < N; i++)
		pm__pagepool_give(pool, pages[i]);
	still = resident(pages[512]) + resident(pages[1024]);
	assert_int_equal(still, 1);
	assert_true(mapped(pages[512]) && mapped(pages[1024]));
	assert_true(*(volatile unsigned char *)((char *)pages[resident(pages[512]) ? 1024 : 512] + 100) == 0);
	/* a page given back is handed out again: no new chunk is mapped */
	pm__pagepool_give(pool, pages[7]);
	void *again = pm__pagepool_alloc(pool);
	bool reused = again == pages[7];

	for (int i = 512; i < N && !reused; i++)
		reused = again == pages[i];
	assert_true(reused);
	assert_true(mapped(again));
	assert_true(mapped(pages[0]));
	pm__pagepool_free(pool);
	assert_false(mapped(pages[0]));
	free(pages);
	free(sorted);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(p2m_new_tree_is_missing_and_costs_only_the_top),
		cmocka_unit_test(p2m_set_pfn_equal_to_mfn_is_ram_not_identity),
		cmocka_unit_test(p2m_set_one_pfn_changes_only_that_pfn),
		cmocka_unit_test(p2m_identity_aligned_range_allocates_nothing),
		cmocka_unit_test(p2m_identity_unaligned_edges_get_real_leaves),
		cmocka_unit_test(p2m_identity_leaves_ram_alone_and_counts_identity),
		cmocka_unit_test(p2m_populate_in_identity_splits_the_sentinel),
		cmocka_unit_test(p2m_lookup_of_identity_sentinel_compares_pointers),
		cmocka_unit_test(p2m_clear_range_returns_whole_pages_to_the_sentinel),
		cmocka_unit_test(p2m_clear_part_of_identity_mid_keeps_the_rest),
		cmocka_unit_test(p2m_identity_then_clear_merges_back_to_sentinels),
		cmocka_unit_test(p2m_set_noalloc_fails_only_where_a_page_is_needed),
		cmocka_unit_test(p2m_bad_arguments_are_einval),
		cmocka_unit_test(p2m_top_level_grows_past_512_gib),
		cmocka_unit_test(p2m_runs_coalesce_by_kind_and_contiguous_frames),
		cmocka_unit_test(p2m_explain_names_each_level),
		cmocka_unit_test(p2m_frame_lists_name_every_leaf_and_mid),
		cmocka_unit_test(p2m_matches_flat_array_over_random_operations),
		cmocka_unit_test(p2m_allocation_failure_leaves_tree_unchanged),
		cmocka_unit_test(p2m_lookup_past_max_pfn_reads_missing),
		cmocka_unit_test(p2m_default_tree_reuses_a_mid_only_as_a_mid),
		cmocka_unit_test(pagepool_reuses_pages_and_discards_all_but_one_empty_chunk),
	};

	return cmocka_run_group_tests_name("p2m", tests, NULL, NULL);
}
