/*
 * test-memory.c - physmap-dm's memory API: priorities and overlap, aliases,
 * gaps filled by non-container regions, disable and move, the sub-page case
 * (QEMU's a9-scu trap), translate's length, ROMD, readonly, access sizes and
 * endianness, transactions, the mtree text, and a randomized differential
 * test of flattening and dispatch against a brute-force reference.
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

#include "memory.h"

#define KiB (UINT64_C(1) << 10)

/* an MMIO device that answers with its tag and the offset, and logs writes */
struct dev {
	uint64_t tag;
	uint64_t last_addr, last_val;
	unsigned last_size, reads, writes;
};

static uint64_t dev_read(void *opaque, uint64_t addr, unsigned size)
{
	struct dev *d = opaque;

	d->reads++;
	d->last_addr = addr;
	d->last_size = size;
	return d->tag + addr;
}

static void dev_write(void *opaque, uint64_t addr, uint64_t val, unsigned size)
{
	struct dev *d = opaque;

	d->writes++;
	d->last_addr = addr;
	d->last_val = val;
	d->last_size = size;
}

static const struct pm_mr_ops dev_ops = {
	.read = dev_read, .write = dev_write,
	.valid = { .min_access_size = 1, .max_access_size = 8 },
};

/* the region and offset the flat view gives @addr */
static struct pm_mr *owner(struct pm_as *as, uint64_t addr, uint64_t *offset)
{
	struct pm_section s;

	pm_mem_read_lock();
	pm_as_translate(as, addr, 1, &s);
	pm_mem_read_unlock();
	if (offset)
		*offset = s.offset;
	return s.mr;
}

static void higher_priority_wins_and_equal_priority_later_added_wins(void **state)
{
	struct pm_mem *mem = pm_mem_new();
	struct pm_mr *root = pm_mr_new_container(mem, "root", 64 * KiB);
	struct pm_mr *a = pm_mr_new_ram(mem, "a", 8 * KiB), *b = pm_mr_new_ram(mem, "b", 8 * KiB);
	struct pm_mr *c = pm_mr_new_ram(mem, "c", 8 * KiB);
	struct pm_as *as = pm_as_new(mem, "memory", root);

	(void)state;
	assert_int_equal(pm_mr_add_subregion(root, 0, a, 1), 0);
	assert_int_equal(pm_mr_add_subregion(root, 4 * KiB, b, 0), 0);
	assert_ptr_equal(owner(as, 4 * KiB, NULL), a);      /* a is higher */
	assert_ptr_equal(owner(as, 8 * KiB, NULL), b);      /* b shows past a */
	/* equal priority: c, added later than a, wins */
	assert_int_equal(pm_mr_add_subregion(root, 6 * KiB, c, 1), 0);
	assert_ptr_equal(owner(as, 6 * KiB, NULL), c);
	assert_ptr_equal(owner(as, 5 * KiB, NULL), a);
	assert_ptr_equal(owner(as, 14 * KiB - 1, NULL), c);
	assert_null(owner(as, 14 * KiB, NULL));
	pm_mem_free(mem);
}

static void alias_chains_show_their_targets_window(void **state)
{
	struct pm_mem *mem = pm_mem_new();
	struct pm_mr *root = pm_mr_new_container(mem, "root", PM_MR_SIZE_2_64);
	struct pm_mr *ram = pm_mr_new_ram(mem, "ram", 64 * KiB);
	struct pm_mr *a1 = pm_mr_new_alias(mem, "a1", 16 * KiB, ram, 32 * KiB);
	struct pm_mr *a2 = pm_mr_new_alias(mem, "a2", 8 * KiB, a1, 4 * KiB);
	struct pm_as *as = pm_as_new(mem, "memory", root);
	uint64_t off;

	(void)state;
	assert_int_equal(pm_mr_add_subregion(root, 0x100000, a2, 0), 0);
	assert_ptr_equal(owner(as, 0x100000, &off), ram);
	assert_int_equal(off, 36 * KiB);
	assert_ptr_equal(owner(as, 0x100000 + 8 * KiB - 1, &off), ram);
	assert_int_equal(off, 44 * KiB - 1);
	assert_null(owner(as, 0x100000 + 8 * KiB, NULL));
	/* moving the alias window */
	assert_int_equal(pm_mr_set_alias_offset(a2, 0), 0);
	assert_ptr_equal(owner(as, 0x100000, &off), ram);
	assert_int_equal(off, 32 * KiB);
	assert_int_equal(pm_mr_set_alias_offset(root, 0), -EINVAL);
	/* the last byte of a 2^64 space */
	assert_int_equal(pm_mr_add_subregion(root, UINT64_MAX - 4095, ram, 0), 0);
	assert_ptr_equal(owner(as, UINT64_MAX, &off), ram);
	assert_int_equal(off, 4095);
	pm_mem_free(mem);
}

static void region_with_subregions_fills_the_gaps_itself(void **state)
{
	struct pm_mem *mem = pm_mem_new();
	struct dev io = { .tag = 0x1000 }, sub = { .tag = 0x2000 };
	struct pm_mr *root = pm_mr_new_mmio(mem, "io", 0x10000, &dev_ops, &io);
	struct pm_mr *rtc = pm_mr_new_mmio(mem, "rtc", 2, &dev_ops, &sub);
	struct pm_as *as = pm_as_new(mem, "I/O", root);
	uint64_t v, off;

	(void)state;
	assert_int_equal(pm_mr_add_subregion(root, 0x70, rtc, 0), 0);
	assert_ptr_equal(owner(as, 0x70, &off), rtc);
	assert_ptr_equal(owner(as, 0x72, &off), root);
	assert_int_equal(off, 0x72);
	assert_int_equal(pm_as_read(as, 0x71, &v, 1), PM_MEM_OK);
	assert_int_equal(v & 0xff, (0x2000 + 1) & 0xff);
	/* disabled: the parent shows through; moved: it answers elsewhere */
	assert_int_equal(pm_mr_set_enabled(rtc, false), 0);
	assert_ptr_equal(owner(as, 0x70, NULL), root);
	assert_int_equal(pm_mr_set_enabled(rtc, true), 0);
	assert_int_equal(pm_mr_set_address(rtc, 0x80), 0);
	assert_ptr_equal(owner(as, 0x70, NULL), root);
	assert_ptr_equal(owner(as, 0x81, NULL), rtc);
	assert_int_equal(pm_mr_del_subregion(rtc), 0);
	assert_ptr_equal(owner(as, 0x81, NULL), root);
	assert_int_equal(pm_mr_free(rtc), 0);
	pm_mem_free(mem);
}

static void a9_scu_256_byte_region_does_not_capture_the_rest_of_its_page(void **state)
{
	struct pm_mem *mem = pm_mem_new();
	struct dev scu = { .tag = 0x5c0 }, gic = { .tag = 0x61c };
	struct pm_mr *root = pm_mr_new_container(mem, "root", PM_MR_SIZE_2_64);
	struct pm_mr *r_scu = pm_mr_new_mmio(mem, "a9-scu", 0x100, &dev_ops, &scu);
	struct pm_mr *r_gic = pm_mr_new_mmio(mem, "gic-cpu", 0x100, &dev_ops, &gic);
	struct pm_as *as = pm_as_new(mem, "memory", root);
	struct pm_section s;
	uint64_t v;

	(void)state;
	assert_int_equal(pm_mr_add_subregion(root, 0x1f000000, r_scu, 0), 0);
	assert_int_equal(pm_mr_add_subregion(root, 0x1f000100, r_gic, 0), 0);
	assert_ptr_equal(owner(as, 0x1f0000ff, NULL), r_scu);
	assert_ptr_equal(owner(as, 0x1f000100, NULL), r_gic);
	assert_null(owner(as, 0x1f000200, NULL));
	assert_null(owner(as, 0x1f000fff, NULL));
	assert_int_equal(pm_as_read(as, 0x1f000104, &v, 4), PM_MEM_OK);
	assert_int_equal(v, 0x61c + 4);
	assert_int_equal(pm_as_read(as, 0x1f000800, &v, 4), PM_MEM_UNASSIGNED);
	assert_int_equal(v, 0xffffffff);
	/* translate stops at the section's end, not at the page's */
	pm_mem_read_lock();
	pm_as_translate(as, 0x1f000010, 0x1000, &s);
	assert_int_equal(s.len, 0xf0);
	pm_as_translate(as, 0x1f000200, 0x10000, &s);
	assert_null(s.mr);
	assert_int_equal(s.len, 0x10000);
	pm_mem_read_unlock();
	pm_mem_free(mem);
}

/*
 * A shared page's leaf names its first piece, and the one-entry cache
 * remembers the last level-0 node and its block: lookups that alternate
 * between the pieces of one page, its gaps, and pages a bypassed level
 * leads past must each find their own section, in any order.
 */
static void lookups_alternating_within_a_shared_page_and_past_bypassed_levels_find_their_own(void **state)
{
	struct pm_mem *mem = pm_mem_new();
	struct pm_mr *root = pm_mr_new_container(mem, "root", PM_MR_SIZE_2_64);
	struct pm_as *as = pm_as_new(mem, "memory", root);
	struct dev da = { .tag = 0xa }, db = { .tag = 0xb }, dc = { .tag = 0xc }, dd = { .tag = 0xd };
	struct pm_mr *a = pm_mr_new_mmio(mem, "a", 0x100, &dev_ops, &da);
	struct pm_mr *b = pm_mr_new_mmio(mem, "b", 0x100, &dev_ops, &db);
	struct pm_mr *c = pm_mr_new_mmio(mem, "c", 0x1000, &dev_ops, &dc);
	struct pm_mr *far = pm_mr_new_mmio(mem, "far", 0x1000, &dev_ops, &dd);
	const uint64_t page = 0x100000000, lone = 0x100200000;
	struct { uint64_t addr; struct pm_mr *mr; uint64_t offset; } want[] = {
		{ page + 0x10, a, 0x10 },       /* the piece the page's leaf names */
		{ page + 0x410, b, 0x10 },      /* another piece: same page as the cache's */
		{ page + 0x20, a, 0x20 },
		{ page + 0x200, NULL, 0 },      /* a gap of the shared page */
		{ page + 0x4ff, b, 0xff },
		{ page + 0x900, c, 0x100 },     /* c starts mid-page ... */
		{ page + 0x1000, c, 0x800 },    /* ... and ends mid-page */
		{ page + 0x1800, NULL, 0 },
		{ page + 0x30, a, 0x30 },
		{ lone + 0x10, far, 0x10 },     /* a level-0 node of one leaf: bypassed */
		{ lone + 0x1010, NULL, 0 },     /* its node's other pages */
		{ lone + 0x10, far, 0x10 },
		{ lone - 0x1000, NULL, 0 },
		{ UINT64_C(0x7f0100200010), NULL, 0 },  /* bits of bypassed top levels */
		{ page + 0x410, b, 0x10 },
	};

	(void)state;
	assert_int_equal(pm_mr_add_subregion(root, page, a, 0), 0);
	assert_int_equal(pm_mr_add_subregion(root, page + 0x400, b, 0), 0);
	assert_int_equal(pm_mr_add_subregion(root, page + 0x800, c, 0), 0);
	assert_int_equal(pm_mr_add_subregion(root, lone, far, 0), 0);
	for (int round = 0; round < 3; round++) {
		for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
			size_t k = round == 1 ? sizeof(want) / sizeof(want[0]) - 1 - i : i;
			uint64_t offset = 0;

			assert_ptr_equal(owner(as, want[k].addr, &offset), want[k].mr);
			if (want[k].mr)
				assert_int_equal(offset, want[k].offset);
		}
	}
	pm_mem_free(mem);
}

static void translate_length_runs_to_the_section_end_across_pages(void **state)
{
	struct pm_mem *mem = pm_mem_new();
	struct pm_mr *root = pm_mr_new_container(mem, "root", PM_MR_SIZE_2_64);
	struct pm_mr *ram = pm_mr_new_ram(mem, "ram", 3 * 4096);
	struct pm_as *as = pm_as_new(mem, "memory", root);
	struct pm_section s;

	(void)state;
	/* starts mid-page and spans four pages */
	assert_int_equal(pm_mr_add_subregion(root, 0x10800, ram, 0), 0);
	pm_mem_read_lock();
	pm_as_translate(as, 0x10900, UINT64_MAX, &s);
	assert_ptr_equal(s.mr, ram);
	assert_int_equal(s.offset, 0x100);
	assert_int_equal(s.len, 3 * 4096 - 0x100);
	pm_as_translate(as, 0x10900, 16, &s);
	assert_int_equal(s.len, 16);
	pm_mem_read_unlock();
	pm_mem_free(mem);
}

static void lengths_past_the_page_are_clamped_to_the_section_even_on_a_cached_page(void **state)
{
	struct pm_mem *mem = pm_mem_new();
	struct pm_mr *root = pm_mr_new_container(mem, "root", PM_MR_SIZE_2_64);
	struct pm_mr *ram = pm_mr_new_ram(mem, "ram", 0x3000);
	struct pm_as *as = pm_as_new(mem, "memory", root);
	/* [0x10800, 0x13800): pages 0x11000 and 0x12000 are whole */
	static const struct { uint64_t addr, len, want; } cases[] = {
		{ 0x11ff0, 1, 1 },              /* inside a whole page: the cache takes it */
		{ 0x11ff0, 0x10, 0x10 },        /* up to the page's end: still inside */
		{ 0x11ff0, 0x100, 0x100 },      /* past it, inside the section */
		{ 0x11ff0, UINT64_MAX, 0x1810 },/* past the section: to its end */
		{ 0x11ff0, 0, 0 },
		{ 0x137ff, 2, 1 },              /* the section's last byte */
		{ 0x12000, 0x2000, 0x1800 },
	};
	struct pm_section s;

	(void)state;
	assert_int_equal(pm_mr_add_subregion(root, 0x10800, ram, 0), 0);
	pm_mem_read_lock();
	for (int round = 0; round < 2; round++) {
		for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
			pm_as_translate(as, cases[i].addr, cases[i].len, &s);
			assert_ptr_equal(s.mr, ram);
			assert_int_equal(s.offset, cases[i].addr - 0x10800);
			assert_int_equal(s.len, cases[i].want);
		}
	}
	pm_mem_read_unlock();
	pm_mem_free(mem);
}

static void a_space_whose_root_is_one_leaf_finds_the_region_and_nothing_past_it(void **state)
{
	struct pm_mem *mem = pm_mem_new();
	struct pm_mr *root = pm_mr_new_container(mem, "root", PM_MR_SIZE_2_64);
	/* 2^57 bytes: one entry of the top level, which compaction makes the root */
	struct pm_mr *big = pm_mr_new_mmio(mem, "big", UINT64_C(1) << 57, &dev_ops, NULL);
	struct pm_mr *ro = pm_mr_new_ram(mem, "ro", 0x1000);
	struct pm_as *as = pm_as_new(mem, "memory", root);
	uint64_t offset = 0;
	struct pm_section s;

	(void)state;
	assert_int_equal(pm_mr_add_subregion(root, 0, big, 0), 0);
	assert_ptr_equal(owner(as, 0x1234, &offset), big);
	assert_int_equal(offset, 0x1234);
	assert_ptr_equal(owner(as, (UINT64_C(1) << 57) - 1, &offset), big);
	assert_ptr_equal(owner(as, UINT64_C(1) << 57, NULL), NULL);
	pm_mem_read_lock();
	pm_as_translate(as, (UINT64_C(1) << 57) - 8, 16, &s);
	assert_int_equal(s.len, 8);
	pm_as_translate(as, UINT64_C(1) << 57, UINT64_MAX, &s);
	assert_null(s.mr);
	assert_int_equal(s.len, 0 - (UINT64_C(1) << 57));
	pm_mem_read_unlock();
	/* and a readonly page found by the fast path says so */
	assert_int_equal(pm_mr_add_subregion(root, UINT64_C(1) << 58, ro, 0), 0);
	pm_mr_set_readonly(ro, true);
	pm_mem_read_lock();
	for (int round = 0; round < 2; round++) {
		pm_as_translate(as, (UINT64_C(1) << 58) + 0x10, 4, &s);
		assert_ptr_equal(s.mr, ro);
		assert_true(s.readonly);
		assert_int_equal(s.offset, 0x10);
		pm_as_translate(as, 0x10, 4, &s);
		assert_ptr_equal(s.mr, big);
		assert_false(s.readonly);
	}
	pm_mem_read_unlock();
	pm_mem_free(mem);
}

static void the_last_node_cache_tells_pages_blocks_and_tables_apart(void **state)
{
	struct pm_mem *mem = pm_mem_new();
	struct pm_mr *root = pm_mr_new_container(mem, "root", PM_MR_SIZE_2_64);
	struct pm_as *as = pm_as_new(mem, "memory", root);
	struct dev da = { .tag = 0xa }, db = { .tag = 0xb }, dc = { .tag = 0xc }, dp = { .tag = 0xd };
	struct pm_mr *a = pm_mr_new_mmio(mem, "a", 0x1000, &dev_ops, &da);
	struct pm_mr *b = pm_mr_new_mmio(mem, "b", 0x1000, &dev_ops, &db);
	struct pm_mr *c = pm_mr_new_mmio(mem, "c", 0x1000, &dev_ops, &dc);
	struct pm_mr *piece = pm_mr_new_mmio(mem, "piece", 0x100, &dev_ops, &dp);
	struct pm_mr *low = pm_mr_new_mmio(mem, "low", 0x1000, &dev_ops, &dp);
	/* two 2 MiB blocks, each with a page at index 5 (same low index bits) */
	const uint64_t blk = 0x40000000, other = 0x40200000;
	struct { uint64_t addr; struct pm_mr *mr; } want[] = {
		{ blk + 0x5010, a },
		{ blk + 0x5ff8, a },            /* the same page */
		{ blk + 0x6010, NULL },         /* the same block: an empty page */
		{ other + 0x5010, b },          /* the same index in another block */
		{ blk + 0x7010, c },            /* the first block again */
		{ blk + 0x8010, piece },        /* a shared page's piece ... */
		{ blk + 0x8110, NULL },         /* ... and the rest of it */
		{ blk + 0x5010, a },
		{ other + 0x6010, NULL },
	};

	(void)state;
	assert_int_equal(pm_mr_add_subregion(root, blk + 0x5000, a, 0), 0);
	assert_int_equal(pm_mr_add_subregion(root, other + 0x5000, b, 0), 0);
	assert_int_equal(pm_mr_add_subregion(root, blk + 0x7000, c, 0), 0);
	assert_int_equal(pm_mr_add_subregion(root, blk + 0x8000, piece, 0), 0);
	for (int round = 0; round < 2; round++)
		for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++)
			assert_ptr_equal(owner(as, want[i].addr, NULL), want[i].mr);
	/*
	 * A new table, where a region at a lower address takes the node
	 * numbers the old table gave blk's path: the cached node was the old
	 * table's, and the block the same.
	 */
	assert_ptr_equal(owner(as, blk + 0x5010, NULL), a);
	assert_int_equal(pm_mr_add_subregion(root, 0x5000, low, 0), 0);
	assert_ptr_equal(owner(as, blk + 0x5010, NULL), a);
	assert_ptr_equal(owner(as, 0x5010, NULL), low);
	pm_mr_set_address(a, blk + 0x6000);
	assert_ptr_equal(owner(as, blk + 0x5010, NULL), NULL);
	assert_ptr_equal(owner(as, blk + 0x6010, NULL), a);
	pm_mem_free(mem);
}

static void romd_reads_backing_and_writes_ops_until_romd_is_off(void **state)
{
	struct pm_mem *mem = pm_mem_new();
	struct dev flash = { .tag = 0xf1a5 };
	struct pm_mr *root = pm_mr_new_container(mem, "root", PM_MR_SIZE_2_64);
	struct pm_mr *f = pm_mr_new_romd(mem, "flash", 4096, &dev_ops, &flash);
	struct pm_mr *rom = pm_mr_new_rom(mem, "rom", 4096);
	struct pm_as *as = pm_as_new(mem, "memory", root);
	uint64_t v;

	(void)state;
	pm_mr_ram(f)[8] = 0x5a;
	assert_int_equal(pm_mr_add_subregion(root, 0, f, 0), 0);
	assert_int_equal(pm_mr_add_subregion(root, 0x10000, rom, 0), 0);
	assert_int_equal(pm_as_read(as, 8, &v, 1), PM_MEM_OK);
	assert_int_equal(v, 0x5a);
	assert_int_equal(flash.reads, 0);
	assert_int_equal(pm_as_write(as, 8, 0x77, 1), PM_MEM_OK);
	assert_int_equal(flash.writes, 1);
	assert_int_equal(pm_mr_ram(f)[8], 0x5a);
	assert_int_equal(pm_mr_set_romd(f, false), 0);
	assert_int_equal(pm_as_read(as, 8, &v, 2), PM_MEM_OK);
	assert_int_equal(v, 0xf1a5 + 8);
	assert_int_equal(flash.reads, 1);
	/* ROM and readonly RAM drop writes */
	assert_int_equal(pm_as_write(as, 0x10000, 0x11, 1), PM_MEM_OK);
	assert_int_equal(pm_mr_ram(rom)[0], 0);
	pm_mem_free(mem);
}

static uint64_t wide_read(void *opaque, uint64_t addr, unsigned size)
{
	struct dev *d = opaque;

	d->reads++;
	d->last_addr = addr;
	d->last_size = size;
	return size == 4 ? 0x44332211 : 0;
}

static void accesses_are_split_widened_checked_and_byte_swapped(void **state)
{
	static const struct pm_mr_ops byte_ops = {
		.read = dev_read, .write = dev_write,
		.valid = { .min_access_size = 1, .max_access_size = 8 },
		.impl = { .min_access_size = 1, .max_access_size = 1 },
	};
	static const struct pm_mr_ops word_ops = {
		.read = wide_read, .write = dev_write,
		.valid = { .min_access_size = 1, .max_access_size = 4 },
		.impl = { .min_access_size = 4, .max_access_size = 4 },
	};
	static const struct pm_mr_ops strict_ops = {
		.read = dev_read, .write = dev_write, .endianness = PM_ENDIAN_BIG,
		.valid = { .min_access_size = 4, .max_access_size = 4 },
	};
	struct pm_mem *mem = pm_mem_new();
	struct dev bd = { 0 }, wd = { 0 }, sd = { 0 };
	struct pm_mr *root = pm_mr_new_container(mem, "root", PM_MR_SIZE_2_64);
	struct pm_mr *b = pm_mr_new_mmio(mem, "bytes", 0x100, &byte_ops, &bd);
	struct pm_mr *w = pm_mr_new_mmio(mem, "words", 0x100, &word_ops, &wd);
	struct pm_mr *s = pm_mr_new_mmio(mem, "strict", 0x100, &strict_ops, &sd);
	struct pm_mr *ram = pm_mr_new_ram(mem, "ram", 0x100);
	struct pm_as *as = pm_as_new(mem, "memory", root);
	uint64_t v;

	(void)state;
	pm_mem_begin(mem);
	assert_int_equal(pm_mr_add_subregion(root, 0x1000, b, 0), 0);
	assert_int_equal(pm_mr_add_subregion(root, 0x2000, w, 0), 0);
	assert_int_equal(pm_mr_add_subregion(root, 0x3000, s, 0), 0);
	assert_int_equal(pm_mr_add_subregion(root, 0x2f00, ram, 0), 0);
	assert_int_equal(pm_mem_commit(mem), 0);
	/* split: a 4-byte write becomes four byte writes */
	assert_int_equal(pm_as_write(as, 0x1010, 0x11223344, 4), PM_MEM_OK);
	assert_int_equal(bd.writes, 4);
	assert_int_equal(bd.last_addr, 0x13);
	assert_int_equal(bd.last_val, 0x11);
	/* widen: a byte read is an aligned 4-byte read, the byte picked out */
	assert_int_equal(pm_as_read(as, 0x2006, &v, 1), PM_MEM_OK);
	assert_int_equal(wd.last_size, 4);
	assert_int_equal(wd.last_addr, 4);
	assert_int_equal(v, 0x33);
	/* valid sizes and alignment refused as decode errors */
	assert_int_equal(pm_as_read(as, 0x3000, &v, 2), PM_MEM_DECODE_ERROR);
	assert_int_equal(pm_as_read(as, 0x3002, &v, 4), PM_MEM_DECODE_ERROR);
	assert_int_equal(sd.reads, 0);
	/* big-endian device: the guest's little-endian bytes arrive swapped */
	assert_int_equal(pm_as_write(as, 0x3004, 0x11223344, 4), PM_MEM_OK);
	assert_int_equal(sd.last_val, 0x44332211);
	/* an access across two sections is split: RAM, then the big-endian device */
	assert_int_equal(pm_as_write(as, 0x2ffc, 0xaabbccdd11223344, 8), PM_MEM_OK);
	assert_int_equal(pm_mr_ram(ram)[0xfc], 0x44);
	assert_int_equal(pm_mr_ram(ram)[0xff], 0x11);
	assert_int_equal(sd.last_addr, 0);
	assert_int_equal(sd.last_size, 4);
	assert_int_equal(sd.last_val, 0xddccbbaa);
	pm_mem_free(mem);
}

static void transactions_render_once_at_the_outermost_commit(void **state)
{
	struct pm_mem *mem = pm_mem_new();
	struct pm_mr *root = pm_mr_new_container(mem, "root", 0x10000);
	struct pm_mr *a = pm_mr_new_ram(mem, "a", 0x1000), *b = pm_mr_new_ram(mem, "b", 0x1000);
	struct pm_as *as = pm_as_new(mem, "memory", root);
	struct pm_flat_range *r;

	(void)state;
	pm_mem_begin(mem);
	pm_mem_begin(mem);
	assert_int_equal(pm_mr_add_subregion(root, 0, a, 0), 0);
	assert_int_equal(pm_mem_commit(mem), 0);
	assert_int_equal(pm_mr_add_subregion(root, 0x1000, b, 0), 0);
	assert_null(owner(as, 0, NULL));          /* nothing rendered yet */
	assert_int_equal(pm_mr_free(b), -EBUSY);  /* still in the tree */
	assert_int_equal(pm_mem_commit(mem), 0);
	assert_ptr_equal(owner(as, 0, NULL), a);
	assert_ptr_equal(owner(as, 0x1000, NULL), b);
	assert_int_equal(pm_as_flat_ranges(as, &r), 2);
	assert_int_equal(r[1].start, 0x1000);
	free(r);
	/* no cycles, no second parent */
	assert_int_equal(pm_mr_add_subregion(a, 0, root, 0), -EINVAL);
	assert_int_equal(pm_mr_add_subregion(root, 0x2000, a, 0), -EINVAL);
	pm_mem_free(mem);
}

static void mtree_prints_as_qemu_does(void **state)
{
	struct pm_mem *mem = pm_mem_new();
	struct dev d = { 0 };
	struct pm_mr *sys = pm_mr_new_container(mem, "system", PM_MR_SIZE_2_64);
	struct pm_mr *ram = pm_mr_new_ram(mem, "pc.ram", 0x20000000);
	struct pm_mr *low = pm_mr_new_alias(mem, "ram-below-4g", 0x20000000, ram, 0);
	struct pm_mr *pci = pm_mr_new_container(mem, "pci", PM_MR_SIZE_2_64);
	struct pm_mr *bios = pm_mr_new_rom(mem, "pc.bios", 0x40000);
	struct pm_mr *apic = pm_mr_new_mmio(mem, "apic-msi", 0x100000, &dev_ops, &d);
	struct pm_mr *off = pm_mr_new_mmio(mem, "off", 0x1000, &dev_ops, &d);
	char *text;

	(void)state;
	pm_mem_begin(mem);
	pm_mr_add_subregion(sys, 0, low, 0);
	pm_mr_add_subregion(sys, 0, pci, -1);
	pm_mr_add_subregion(pci, 0xfffc0000, bios, 0);
	pm_mr_add_subregion(sys, 0xfee00000, apic, 4096);
	pm_mr_add_subregion(sys, 0xfed00000, off, 0);
	pm_mr_set_enabled(off, false);
	assert_int_equal(pm_mem_commit(mem), 0);
	assert_non_null(pm_as_new(mem, "memory", sys));
	assert_true(pm_mem_mtree(mem, false, false, &text) > 0);
	assert_string_equal(text,
		"address-space: memory\n"
		"  0000000000000000-ffffffffffffffff (prio 0, i/o): system\n"
		"    0000000000000000-000000001fffffff (prio 0, ram): alias ram-below-4g @pc.ram 0000000000000000-000000001fffffff\n"
		"    0000000000000000-ffffffffffffffff (prio -1, i/o): pci\n"
		"      00000000fffc0000-00000000ffffffff (prio 0, rom): pc.bios\n"
		"    00000000fee00000-00000000feefffff (prio 4096, i/o): apic-msi\n"
		"\n"
		"memory-region: pc.ram\n"
		"  0000000000000000-000000001fffffff (prio 0, ram): pc.ram\n"
		"\n");
	free(text);
	assert_true(pm_mem_mtree(mem, false, true, &text) > 0);
	assert_non_null(strstr(text, "    00000000fed00000-00000000fed00fff (prio 0, i/o): off [disabled]\n"));
	free(text);
	assert_true(pm_mem_mtree(mem, true, false, &text) > 0);
	assert_string_equal(text,
		"FlatView #0\n"
		" AS \"memory\", root: system\n"
		" Root memory region: system\n"
		"  0000000000000000-000000001fffffff (prio 0, ram): pc.ram\n"
		"  00000000fee00000-00000000feefffff (prio 4096, i/o): apic-msi\n"
		"  00000000fffc0000-00000000ffffffff (prio 0, rom): pc.bios\n"
		"\n");
	free(text);
	pm_mem_free(mem);
}

/* ---- the randomized differential test ---- */

static uint64_t rng_state;

static uint64_t rnd(uint64_t n)
{
	rng_state = rng_state * 6364136223846793005ULL + 1442695040888963407ULL;
	return n ? (rng_state >> 33) % n : 0;
}

struct tree {
	struct pm_mr *mr[160];
	size_t n;
	/* what the test knows about each region, by index */
	int kind[160];
	uint64_t size[160];
	int target[160];
	uint64_t alias_off[160];
	bool enabled[160];
	int parent[160];
	uint64_t addr[160];
	int prio[160];
	unsigned seq[160];
};

/* the region at @addr under region @i placed at @base, or -1; @off receives the offset */
static int ref(const struct tree *t, int i, __int128 base, uint64_t addr, uint64_t *off, int depth)
{
	int best = -1;
	unsigned best_seq = 0;
	int best_prio = 0;

	if (!t->enabled[i] || depth > 60)
		return -1;
	if ((__int128)addr < base || (__int128)addr >= base + (__int128)t->size[i])
		return -1;
	if (t->kind[i] == PM_MR_ALIAS)
		return ref(t, t->target[i], base - (__int128)t->alias_off[i], addr, off, depth + 1);
	/* the winning child: highest priority, then the latest added */
	for (size_t c = 0; c < t->n; c++) {
		uint64_t o;
		int r;

		if (t->parent[c] != i)
			continue;
		r = ref(t, (int)c, base + (__int128)t->addr[c], addr, &o, depth + 1);
		if (r < 0)
			continue;
		if (best < 0 || t->prio[c] > best_prio ||
		    (t->prio[c] == best_prio && t->seq[c] > best_seq)) {
			best = r;
			best_prio = t->prio[c];
			best_seq = t->seq[c];
			*off = o;
		}
	}
	if (best >= 0)
		return best;
	if (t->kind[i] == PM_MR_CONTAINER)
		return -1;
	*off = (uint64_t)((__int128)addr - base);
	return i;
}

static void flattening_and_dispatch_agree_with_brute_force(void **state)
{
	static const struct pm_mr_ops ops = { .read = dev_read, .write = dev_write };
	const char *seed = getenv("MEMORY_SEED");
	struct dev d = { 0 };

	(void)state;
	rng_state = seed ? strtoull(seed, NULL, 0) : 0x9e3779b97f4a7c15ULL;
	for (int round = 0; round < 60; round++) {
		struct pm_mem *mem = pm_mem_new();
		struct tree *t = calloc(1, sizeof(*t));
		struct pm_flat_range *fr;
		unsigned seq = 0;
		struct pm_as *as;
		long nfr;

		/* the root, a few detached targets for aliases, then the tree */
		t->mr[0] = pm_mr_new_container(mem, "root", 1 << 20);
		t->kind[0] = PM_MR_CONTAINER;
		t->size[0] = 1 << 20;
		t->enabled[0] = true;
		t->parent[0] = -1;
		t->n = 1;
		pm_mem_begin(mem);
		for (size_t i = 1; i < 150; i++) {
			int kind = (int)rnd(4), parent;
			uint64_t size = rnd(3) == 0 ? 4096 * (1 + rnd(16)) : 1 + rnd(3 * 4096);
			char name[16];

			snprintf(name, sizeof(name), "r%zu", i);
			if (kind == 0) {
				t->mr[i] = pm_mr_new_container(mem, name, size);
				t->kind[i] = PM_MR_CONTAINER;
			} else if (kind == 1) {
				t->mr[i] = pm_mr_new_ram(mem, name, size);
				t->kind[i] = PM_MR_RAM;
			} else if (kind == 2 || i < 20) {
				t->mr[i] = pm_mr_new_mmio(mem, name, size, &ops, &d);
				t->kind[i] = PM_MR_MMIO;
			} else {
				/* alias of a detached region (index 1..19): no cycles */
				int target = 1 + (int)rnd(19);

				t->alias_off[i] = rnd(t->size[target]);
				t->mr[i] = pm_mr_new_alias(mem, name, size, t->mr[target], t->alias_off[i]);
				t->kind[i] = PM_MR_ALIAS;
				t->target[i] = target;
			}
			assert_non_null(t->mr[i]);
			t->size[i] = size;
			t->enabled[i] = rnd(8) != 0;
			pm_mr_set_enabled(t->mr[i], t->enabled[i]);
			t->n = i + 1;
			/* regions 1..19 are detached alias targets (may nest among themselves) */
			if (i < 20) {
				t->parent[i] = i > 10 && t->kind[i - 10] != PM_MR_ALIAS ? (int)(i - 10) : -1;
			} else {
				do
					parent = (int)rnd(i);
				while (parent != 0 && (parent < 20 || t->kind[parent] == PM_MR_ALIAS));
				t->parent[i] = parent;
			}
			if (t->parent[i] >= 0) {
				t->addr[i] = rnd(t->size[t->parent[i]] + 4096);
				t->prio[i] = (int)rnd(5) - 2;
				t->seq[i] = ++seq;
				assert_int_equal(pm_mr_add_subregion(t->mr[t->parent[i]], t->addr[i], t->mr[i], t->prio[i]), 0);
			}
		}
		assert_int_equal(pm_mem_commit(mem), 0);
		as = pm_as_new(mem, "memory", t->mr[0]);
		assert_non_null(as);
		nfr = pm_as_flat_ranges(as, &fr);
		assert_true(nfr >= 0);
		/* sorted, disjoint, and merged where they could be */
		for (long i = 1; i < nfr; i++) {
			assert_true(fr[i - 1].start + fr[i - 1].size <= fr[i].start);
			assert_false(fr[i - 1].start + fr[i - 1].size == fr[i].start &&
				     fr[i - 1].mr == fr[i].mr &&
				     fr[i - 1].offset + fr[i - 1].size == fr[i].offset &&
				     fr[i - 1].readonly == fr[i].readonly);
		}
		/* every boundary (and its neighbours) and random addresses */
		for (long k = 0; k < 2 * nfr + 3000; k++) {
			uint64_t addr, want_off = 0, got_off = 0;
			int want;
			struct pm_mr *got;

			if (k < 2 * nfr) {
				const struct pm_flat_range *r = &fr[k / 2];

				addr = (k % 2 ? r->start + r->size : r->start) - rnd(2);
			} else {
				addr = rnd(1 << 20);
			}
			if (addr >= (1 << 20))
				continue;
			want = ref(t, 0, 0, addr, &want_off, 0);
			got = owner(as, addr, &got_off);
			if ((want < 0 ? NULL : t->mr[want]) != got || (got && want_off != got_off)) {
				print_error("seed %#" PRIx64 " round %d addr %#" PRIx64 ": want %s+%#" PRIx64 ", got %s+%#" PRIx64 "\n",
					    (uint64_t)(seed ? strtoull(seed, NULL, 0) : 0x9e3779b97f4a7c15ULL), round, addr,
					    want < 0 ? "-" : pm_mr_name(t->mr[want]), want_off,
					    got ? pm_mr_name(got) : "-", got_off);
				fail();
			}
		}
		free(fr);
		free(t);
		pm_mem_free(mem);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(higher_priority_wins_and_equal_priority_later_added_wins),
		cmocka_unit_test(alias_chains_show_their_targets_window),
		cmocka_unit_test(region_with_subregions_fills_the_gaps_itself),
		cmocka_unit_test(a9_scu_256_byte_region_does_not_capture_the_rest_of_its_page),
		cmocka_unit_test(lookups_alternating_within_a_shared_page_and_past_bypassed_levels_find_their_own),
		cmocka_unit_test(translate_length_runs_to_the_section_end_across_pages),
		cmocka_unit_test(lengths_past_the_page_are_clamped_to_the_section_even_on_a_cached_page),
		cmocka_unit_test(a_space_whose_root_is_one_leaf_finds_the_region_and_nothing_past_it),
		cmocka_unit_test(the_last_node_cache_tells_pages_blocks_and_tables_apart),
		cmocka_unit_test(romd_reads_backing_and_writes_ops_until_romd_is_off),
		cmocka_unit_test(accesses_are_split_widened_checked_and_byte_swapped),
		cmocka_unit_test(transactions_render_once_at_the_outermost_commit),
		cmocka_unit_test(mtree_prints_as_qemu_does),
		cmocka_unit_test(flattening_and_dispatch_agree_with_brute_force),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
