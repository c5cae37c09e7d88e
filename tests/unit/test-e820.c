/*
 * test-e820.c - E820 maps: sanitize edge cases (checked against a per-unit
 * brute force), holes, clamp, Linux's text format, JSON, and applying a map
 * to a P2M (identity holes, dom0 remap, all-or-nothing on -ENOMEM).
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
#include <cmocka.h>

#include "physmap/e820.h"
#include "physmap/p2m.h"
#include "p2m-internal.h"
#include "p2m-testlib.h"

#define K  UINT64_C(1024)
#define M  (K * K)
#define G  (M * K)
#define PFN(a) ((a) >> 12)
#define ID(p) ((p) | PM_P2M_IDENTITY_BIT)

static void expect_entries(const struct pm_e820 *map, size_t n,
			   const struct pm_e820_entry *want)
{
	if (map->nr != n)
		fail_msg("%zu entries, expected %zu", map->nr, n);
	for (size_t i = 0; i < n; i++) {
		const struct pm_e820_entry *e = &map->entries[i];

		if (e->addr != want[i].addr || e->size != want[i].size ||
		    e->type != want[i].type)
			fail_msg("entry %zu: 0x%" PRIx64 "+0x%" PRIx64 " type %u, expected "
				 "0x%" PRIx64 "+0x%" PRIx64 " type %u", i, e->addr, e->size,
				 e->type, want[i].addr, want[i].size, want[i].type);
	}
}

static void e820_sanitize_three_overlapping_entries_most_restrictive_wins(void **state)
{
	struct pm_e820 map;
	const struct pm_e820_entry want[] = {
		{ 0, 50, PM_E820_RAM },
		{ 50, 30, PM_E820_RESERVED },
		{ 80, 40, PM_E820_ACPI },
		{ 120, 30, PM_E820_RESERVED },
	};

	(void)state;
	pm_e820_init(&map);
	assert_int_equal(pm_e820_add(&map, 80, 40, PM_E820_ACPI), 0);
	assert_int_equal(pm_e820_add(&map, 0, 100, PM_E820_RAM), 0);
	assert_int_equal(pm_e820_add(&map, 50, 100, PM_E820_RESERVED), 0);
	assert_int_equal(pm_e820_sanitize(&map), 0);
	expect_entries(&map, 4, want);
	pm_e820_dispose(&map);
}

static void e820_sanitize_drops_zero_length_entries(void **state)
{
	struct pm_e820 map;
	const struct pm_e820_entry want[] = { { 0x1000, 0x1000, PM_E820_RAM } };

	(void)state;
	pm_e820_init(&map);
	pm_e820_add(&map, 0x5000, 0, PM_E820_RESERVED);
	pm_e820_add(&map, 0x1000, 0x1000, PM_E820_RAM);
	pm_e820_add(&map, 0x1800, 0, PM_E820_UNUSABLE);   /* inside RAM: no effect */
	assert_int_equal(pm_e820_sanitize(&map), 0);
	expect_entries(&map, 1, want);
	pm_e820_dispose(&map);
}

static void e820_sanitize_sorts_and_merges_adjacent_same_type(void **state)
{
	struct pm_e820 map;
	const struct pm_e820_entry want[] = {
		{ 0, 0x3000, PM_E820_RAM },
		{ 0x3000, 0x1000, PM_E820_RESERVED },
		{ 0x5000, 0x1000, PM_E820_RAM },
	};

	(void)state;
	pm_e820_init(&map);
	pm_e820_add(&map, 0x5000, 0x1000, PM_E820_RAM);
	pm_e820_add(&map, 0x2000, 0x1000, PM_E820_RAM);
	pm_e820_add(&map, 0x3000, 0x1000, PM_E820_RESERVED);
	pm_e820_add(&map, 0, 0x2000, PM_E820_RAM);
	assert_int_equal(pm_e820_sanitize(&map), 0);
	expect_entries(&map, 3, want);
	pm_e820_dispose(&map);
}

static void e820_sanitize_keeps_pram_neighbours_apart(void **state)
{
	struct pm_e820 map;
	const struct pm_e820_entry want[] = {
		{ 0x1000, 0x1000, PM_E820_PRAM },
		{ 0x2000, 0x1000, PM_E820_PRAM },
		{ 0x3000, 0x2000, PM_E820_PMEM },
	};

	(void)state;
	pm_e820_init(&map);
	pm_e820_add(&map, 0x2000, 0x1000, PM_E820_PRAM);
	pm_e820_add(&map, 0x1000, 0x1000, PM_E820_PRAM);
	pm_e820_add(&map, 0x3000, 0x1000, PM_E820_PMEM);
	pm_e820_add(&map, 0x4000, 0x1000, PM_E820_PMEM);
	assert_int_equal(pm_e820_sanitize(&map), 0);
	expect_entries(&map, 3, want);
	pm_e820_dispose(&map);
}

static void e820_entries_may_end_at_but_not_pass_2_64(void **state)
{
	struct pm_e820 map;
	const struct pm_e820_entry want[] = {
		{ UINT64_MAX - 0xfff, 0x800, PM_E820_RESERVED },
		{ UINT64_MAX - 0x7ff, 0x800, PM_E820_UNUSABLE },
	};

	(void)state;
	pm_e820_init(&map);
	assert_int_equal(pm_e820_add(&map, UINT64_MAX - 0xfff, 0x1001, PM_E820_RAM), -ERANGE);
	assert_int_equal(pm_e820_add(&map, UINT64_MAX, 2, PM_E820_RAM), -ERANGE);
	assert_int_equal(pm_e820_add(&map, 2, UINT64_MAX, PM_E820_RAM), -ERANGE);
	assert_int_equal(map.nr, 0);
	/* ending exactly at 2^64, overlapped at the very top */
	assert_int_equal(pm_e820_add(&map, UINT64_MAX - 0xfff, 0x1000, PM_E820_RESERVED), 0);
	assert_int_equal(pm_e820_add(&map, UINT64_MAX - 0x7ff, 0x800, PM_E820_UNUSABLE), 0);
	assert_int_equal(pm_e820_sanitize(&map), 0);
	expect_entries(&map, 2, want);
	assert_int_equal(pm_e820_add(&map, 0, 0, 0), -EINVAL);
	pm_e820_dispose(&map);
}

/* Random maps over a small space against a type-per-unit brute force. */
static void e820_sanitize_matches_brute_force(void **state)
{
	enum { SPACE = 256, ROUNDS = 20000 };
	static const uint32_t types[] = {
		PM_E820_RAM, PM_E820_RESERVED, PM_E820_ACPI, PM_E820_NVS,
		PM_E820_UNUSABLE, PM_E820_PMEM,
	};
	uint64_t rng = 0xe820;

	(void)state;
	for (int round = 0; round < ROUNDS; round++) {
		uint32_t unit[SPACE] = { 0 };
		struct pm_e820 map;
		int n = 1 + (int)rng_below(&rng, 8);
		uint64_t covered = 0;

		pm_e820_init(&map);
		for (int i = 0; i < n; i++) {
			uint64_t a = rng_below(&rng, SPACE);
			uint64_t s = rng_below(&rng, SPACE - a + 1);
			uint32_t t = types[rng_below(&rng, 6)];

			pm_e820_add(&map, a, s, t);
			for (uint64_t x = a; x < a + s; x++)
				if (t > unit[x])
					unit[x] = t;
		}
		assert_int_equal(pm_e820_sanitize(&map), 0);
		for (size_t i = 0; i < map.nr; i++) {
			const struct pm_e820_entry *e = &map.entries[i];

			assert_true(e->size > 0);
			if (i > 0) {
				const struct pm_e820_entry *p = &map.entries[i - 1];

				assert_true(p->addr + p->size <= e->addr);
				/* merged: no two touching entries of one type */
				assert_false(p->addr + p->size == e->addr && p->type == e->type);
			}
			for (uint64_t x = e->addr; x < e->addr + e->size; x++)
				if (unit[x] != e->type)
					fail_msg("round %d: unit %" PRIu64 " type %u, expected %u",
						 round, x, e->type, unit[x]);
			covered += e->size;
		}
		for (int x = 0; x < SPACE; x++)
			covered -= unit[x] != 0;
		assert_int_equal(covered, 0);
		pm_e820_dispose(&map);
	}
}

/* QEMU's pc machine with 5 GiB: low RAM to 3 GiB, PCI hole, high RAM. */
static void pc_map(struct pm_e820 *map)
{
	pm_e820_init(map);
	pm_e820_add(map, 0, 0x9fc00, PM_E820_RAM);
	pm_e820_add(map, 0x9fc00, 0x400, PM_E820_RESERVED);
	pm_e820_add(map, 0xf0000, 0x10000, PM_E820_RESERVED);
	pm_e820_add(map, 0x100000, 3 * G - 0x100000, PM_E820_RAM);
	pm_e820_add(map, 0xfeffc000, 0x4000, PM_E820_RESERVED);
	pm_e820_add(map, 0xfffc0000, 0x40000, PM_E820_RESERVED);
	pm_e820_add(map, 4 * G, 2 * G, PM_E820_RAM);
	assert_int_equal(pm_e820_sanitize(map), 0);
}

static void e820_holes_are_gaps_and_non_ram_below_the_limit(void **state)
{
	struct pm_e820 map;
	struct pm_e820_range h[4];

	(void)state;
	pc_map(&map);
	assert_int_equal(pm_e820_ram_total(&map), 0x9fc00 + 3 * G - 0x100000 + 2 * G);
	assert_int_equal(pm_e820_ram_end(&map), 6 * G);
	assert_int_equal(pm_e820_identity_limit(&map), 6 * G);
	assert_int_equal(pm_e820_holes(&map, 0, h, 4), 0);
	assert_int_equal(pm_e820_holes(&map, 8 * G, h, 1), 3);   /* counts past max */
	assert_int_equal(pm_e820_holes(&map, 8 * G, h, 4), 3);
	assert_int_equal(h[0].start, 0x9fc00);
	assert_int_equal(h[0].end, 0x100000);
	assert_int_equal(h[1].start, 3 * G);
	assert_int_equal(h[1].end, 4 * G);
	assert_int_equal(h[2].start, 6 * G);
	assert_int_equal(h[2].end, 8 * G);
	assert_int_equal(pm_e820_holes(&map, 2 * G, h, 4), 1);
	pm_e820_dispose(&map);
}

static void e820_clamp_keeps_the_first_bytes_of_ram(void **state)
{
	struct pm_e820 map;

	(void)state;
	pc_map(&map);
	assert_int_equal(pm_e820_clamp(&map, 2 * G), 0);
	assert_int_equal(pm_e820_ram_total(&map), 2 * G);
	assert_int_equal(pm_e820_ram_end(&map), 0x100000 + 2 * G - 0x9fc00);
	/* the reserved entries above stay */
	assert_int_equal(map.entries[map.nr - 1].type, PM_E820_RESERVED);
	pm_e820_dispose(&map);
}

static void e820_text_round_trips_through_linux_format(void **state)
{
	struct pm_e820 map, back;
	char *text = NULL;
	long len;

	(void)state;
	pc_map(&map);
	pm_e820_add(&map, 7 * G, 4096, PM_E820_PMEM);
	pm_e820_add(&map, 8 * G, 4096, 99);
	pm_e820_add(&map, 9 * G, 4096, PM_E820_NVS);
	pm_e820_sanitize(&map);
	len = pm_e820_format(&map, &text);
	assert_true(len > 0);
	assert_non_null(strstr(text,
		"BIOS-e820: [mem 0x0000000000000000-0x000000000009fbff] usable\n"));
	assert_non_null(strstr(text,
		"BIOS-e820: [mem 0x00000000fffc0000-0x00000000ffffffff] reserved\n"));
	assert_non_null(strstr(text, "] persistent (type 7)\n"));
	assert_non_null(strstr(text, "] type 99\n"));
	assert_non_null(strstr(text, "] ACPI NVS\n"));
	pm_e820_init(&back);
	assert_int_equal(pm_e820_parse(text, &back, NULL), 0);
	expect_entries(&back, map.nr, map.entries);
	free(text);
	pm_e820_dispose(&back);
	pm_e820_dispose(&map);
}

static void e820_parse_reads_dmesg_and_names_the_bad_line(void **state)
{
	const char *dmesg =
		"# from a Xen PV guest\n"
		"[    0.000000] BIOS-e820: [mem 0x0000000000000000-0x000000000009ffff] usable\n"
		"\n"
		"[    0.000000] Xen: [mem 0x00000000000a0000-0x00000000000fffff] reserved\r\n"
		"e820: [mem 0x0000000000100000-0x000000003fffffff] ACPI data\n";
	struct pm_e820 map;
	unsigned line = 0;

	(void)state;
	pm_e820_init(&map);
	assert_int_equal(pm_e820_parse(dmesg, &map, &line), 0);
	assert_int_equal(map.nr, 3);
	assert_int_equal(map.entries[1].addr, 0xa0000);
	assert_int_equal(map.entries[1].size, 0x60000);
	assert_int_equal(map.entries[2].type, PM_E820_ACPI);

	assert_int_equal(pm_e820_parse("BIOS-e820: [mem 0x0-0xfff] usable\n"
				       "BIOS-e820: [mem 0x1000-0x1fff] usabel\n", &map, &line), -EINVAL);
	assert_int_equal(line, 2);
	assert_int_equal(map.nr, 3);   /* nothing added */
	assert_int_equal(pm_e820_parse("\n\nBIOS-e820: [mem 0x2000-0x1fff] usable\n", &map, &line), -ERANGE);
	assert_int_equal(line, 3);
	assert_int_equal(pm_e820_parse("hello\n", &map, &line), -EINVAL);
	assert_int_equal(pm_e820_parse("[mem 0x10000000000000000-0x1] usable", &map, &line), -EINVAL);
	assert_int_equal(pm_e820_parse("[mem 0x0-0x1]usable", &map, &line), -EINVAL);
	assert_int_equal(pm_e820_parse("[mem 0x0-0x1] type 0", &map, &line), -EINVAL);
	assert_int_equal(pm_e820_parse("[mem 0x0-0x1] type 7x", &map, &line), -EINVAL);
	assert_int_equal(map.nr, 3);
	pm_e820_dispose(&map);
}

static void e820_json_lists_each_entry(void **state)
{
	struct pm_e820 map;
	char *json = NULL;

	(void)state;
	pm_e820_init(&map);
	pm_e820_add(&map, 0, 0x9fc00, PM_E820_RAM);
	pm_e820_add(&map, 0xfffc0000, 0x40000, PM_E820_RESERVED);
	assert_true(pm_e820_json(&map, &json) > 0);
	assert_non_null(strstr(json, "\"addr\": \"0x0\""));
	assert_non_null(strstr(json, "\"last\": \"0x9fbff\""));
	assert_non_null(strstr(json, "\"name\": \"reserved\""));
	assert_non_null(strstr(json, "\"size\": \"0x40000\""));
	assert_non_null(strstr(json, "\"type\": 2"));
	free(json);
	pm_e820_dispose(&map);
}

/* Populate the RAM of @map's first @bytes as a PVH/HVM builder would. */
static void populate_ram(struct pm_p2m *p2m, const struct pm_e820 *map, uint64_t mfn)
{
	for (size_t i = 0; i < map->nr; i++) {
		const struct pm_e820_entry *e = &map->entries[i];
		uint64_t s = (e->addr + 4095) >> 12, end = (e->addr + e->size) >> 12;

		if (e->type == PM_E820_RAM && end > s) {
			assert_int_equal(pm_p2m_set_range(p2m, s, mfn + s, end - s), 0);
		}
	}
}

static void e820_identity_maps_holes_and_leaves_ram(void **state)
{
	struct pm_e820 map;
	struct pm_p2m *p2m = NULL;
	struct pm_p2m_stats before, after;
	long n;

	(void)state;
	pc_map(&map);
	assert_int_equal(pm_p2m_create(PFN(8 * G), NULL, &p2m), 0);
	populate_ram(p2m, &map, 0x100000);
	pm_p2m_stats(p2m, &before);
	n = pm_e820_apply_identity(&map, p2m, 0);
	/* pfn 0x9f is part hole (identity), 0xa0..0xff, and 3..4 GiB */
	assert_int_equal(n, 0x100 - 0x9f + PFN(G));
	assert_int_equal(pm_p2m_lookup(p2m, 0x9e), 0x100000 + 0x9e);
	assert_int_equal(pm_p2m_lookup(p2m, 0x9f), ID(UINT64_C(0x9f)));
	assert_int_equal(pm_p2m_lookup(p2m, 0xff), ID(UINT64_C(0xff)));
	assert_int_equal(pm_p2m_lookup(p2m, 0x100), 0x100000 + 0x100);
	assert_int_equal(pm_p2m_lookup(p2m, PFN(3 * G)), ID(PFN(3 * G)));
	assert_int_equal(pm_p2m_lookup(p2m, PFN(4 * G)), 0x100000 + PFN(4 * G));
	/* above the top of RAM: missing (the default limit is the top of RAM) */
	assert_int_equal(pm_p2m_lookup(p2m, PFN(6 * G)), PM_P2M_INVALID);
	/* the aligned 1 GiB hole costs no page; the low one was a real leaf */
	pm_p2m_stats(p2m, &after);
	assert_int_equal(after.leaves, before.leaves);
	assert_int_equal(after.mids, before.mids);
	assert_int_equal(after.top_to_mid_identity, 1);
	pm_p2m_free(p2m);
	pm_e820_dispose(&map);
}

static void e820_remap_moves_ram_out_of_holes(void **state)
{
	struct pm_e820 map;
	struct pm_p2m *p2m = NULL;
	struct pm_e820_remap r;
	const uint64_t base = 0x200000;

	(void)state;
	pm_e820_init(&map);
	pm_e820_add(&map, 0, 3 * G, PM_E820_RAM);
	pm_e820_add(&map, 3 * G, G, PM_E820_RESERVED);
	pm_e820_add(&map, 4 * G, G, PM_E820_RAM);
	pm_e820_sanitize(&map);
	assert_int_equal(pm_p2m_create(PFN(8 * G), NULL, &p2m), 0);
	/* dom0 was given 4 GiB as pfns [0, 4 GiB), mfns contiguous */
	assert_int_equal(pm_p2m_set_range(p2m, 0, base, PFN(4 * G)), 0);

	assert_int_equal(pm_e820_apply_remap(&map, p2m, 0, &r), 0);
	assert_int_equal(r.pages, PFN(G));
	assert_int_equal(r.start, PFN(5 * G));
	assert_int_equal(r.identity, PFN(G));
	assert_int_equal(pm_p2m_lookup(p2m, PFN(3 * G) - 1), base + PFN(3 * G) - 1);
	assert_int_equal(pm_p2m_lookup(p2m, PFN(3 * G)), ID(PFN(3 * G)));
	assert_int_equal(pm_p2m_lookup(p2m, PFN(5 * G)), base + PFN(3 * G));
	assert_int_equal(pm_p2m_lookup(p2m, PFN(6 * G) - 1), base + PFN(4 * G) - 1);
	assert_int_equal(pm_p2m_lookup(p2m, PFN(6 * G)), PM_P2M_INVALID);
	/* the map says where the memory went */
	assert_int_equal(pm_e820_ram_total(&map), 5 * G);
	assert_int_equal(pm_e820_ram_end(&map), 6 * G);
	assert_int_equal(map.nr, 3);   /* [4G, 5G) and [5G, 6G) merged */

	/* nothing left to move: a no-op that still reports the identity */
	assert_int_equal(pm_e820_apply_remap(&map, p2m, 0, &r), 0);
	assert_int_equal(r.pages, 0);
	assert_int_equal(r.identity, PFN(G));
	pm_p2m_free(p2m);

	/* not enough pfn space for the moved pages */
	assert_int_equal(pm_p2m_create(PFN(5 * G) + 10, NULL, &p2m), 0);
	pm_p2m_set_range(p2m, 0, base, PFN(4 * G));
	pm_e820_dispose(&map);
	pm_e820_init(&map);
	pm_e820_add(&map, 0, 3 * G, PM_E820_RAM);
	pm_e820_add(&map, 4 * G, G, PM_E820_RAM);
	assert_int_equal(pm_e820_apply_remap(&map, p2m, 0, &r), -ENOSPC);
	assert_int_equal(pm_p2m_lookup(p2m, PFN(3 * G)), base + PFN(3 * G));
	assert_int_equal(pm_e820_ram_total(&map), 4 * G);
	pm_p2m_free(p2m);
	pm_e820_dispose(&map);
}

/* Snapshot of a tree as its runs. */
static size_t snapshot(struct pm_p2m *p2m, struct pm_p2m_run *runs, size_t max)
{
	struct pm_p2m_run r;
	size_t n = 0;

	for (uint64_t pfn = 0; pm_p2m_next_run(p2m, pfn, &r) == 0; pfn = r.end) {
		assert_true(n < max);
		runs[n++] = r;
	}
	return n;
}

static void e820_apply_fails_whole_when_pages_run_out(void **state)
{
	static struct pm_p2m_run before[64], after[64];

	(void)state;
	for (int which = 0; which < 2; which++) {
		for (long n = 1; ; n++) {
			struct counting_alloc c = { 0 };
			struct pm_p2m_allocator a = counting_allocator(&c);
			struct pm_p2m *p2m = NULL;
			struct pm_e820 map;
			size_t nb, na, map_nr;
			long rc;

			pc_map(&map);
			/* unaligned holes so edges need pages */
			pm_e820_add(&map, 6 * G + 12345 * 4096, 3 * 4096, PM_E820_RESERVED);
			pm_e820_add(&map, 6 * G + 40000 * 4096, 3 * 4096, PM_E820_RAM);
			pm_e820_sanitize(&map);
			map_nr = map.nr;
			assert_int_equal(pm_p2m_create(PFN(16 * G), &a, &p2m), 0);
			/* RAM on both sides of the 3 GiB edge: 8 leaves to move */
			pm_p2m_set_range(p2m, PFN(3 * G) - 4096, 0x100000, 8192 + 77);
			nb = snapshot(p2m, before, 64);
			c.fail_at = c.allocs + n;
			rc = which == 0 ? pm_e820_apply_identity(&map, p2m, 7 * G) :
					  pm_e820_apply_remap(&map, p2m, 7 * G, NULL);
			if (rc >= 0) {
				pm_p2m_free(p2m);
				pm_e820_dispose(&map);
				assert_true(n > 1);   /* some allocation was needed */
				break;
			}
			assert_int_equal(rc, -ENOMEM);
			na = snapshot(p2m, after, 64);
			assert_int_equal(na, nb);
			for (size_t i = 0; i < nb; i++) {
				assert_int_equal(after[i].start, before[i].start);
				assert_int_equal(after[i].end, before[i].end);
				assert_int_equal(after[i].kind, before[i].kind);
				assert_int_equal(after[i].mfn, before[i].mfn);
			}
			assert_int_equal(map.nr, map_nr);
			pm_p2m_free(p2m);
			assert_int_equal(c.live, 0);
			pm_e820_dispose(&map);
		}
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(e820_sanitize_three_overlapping_entries_most_restrictive_wins),
		cmocka_unit_test(e820_sanitize_drops_zero_length_entries),
		cmocka_unit_test(e820_sanitize_sorts_and_merges_adjacent_same_type),
		cmocka_unit_test(e820_sanitize_keeps_pram_neighbours_apart),
		cmocka_unit_test(e820_entries_may_end_at_but_not_pass_2_64),
		cmocka_unit_test(e820_sanitize_matches_brute_force),
		cmocka_unit_test(e820_holes_are_gaps_and_non_ram_below_the_limit),
		cmocka_unit_test(e820_clamp_keeps_the_first_bytes_of_ram),
		cmocka_unit_test(e820_text_round_trips_through_linux_format),
		cmocka_unit_test(e820_parse_reads_dmesg_and_names_the_bad_line),
		cmocka_unit_test(e820_json_lists_each_entry),
		cmocka_unit_test(e820_identity_maps_holes_and_leaves_ram),
		cmocka_unit_test(e820_remap_moves_ram_out_of_holes),
		cmocka_unit_test(e820_apply_fails_whole_when_pages_run_out),
	};

	return cmocka_run_group_tests_name("e820", tests, NULL, NULL);
}
