/*
 * p2m-tour.c - a guest's physical map, built the way a PC guest's is: the
 * pc board lays out the machine, then populate the RAM of its E820 map,
 * identity-map the holes, balloon some
 * memory out, and show the P2M as runs, one pfn's tree path, and the tree's
 * cost. Then the same for a dom0-style guest whose RAM falls into a hole
 * and is remapped above the top of RAM.
 *
 *   cc p2m-tour.c $(pkg-config --cflags --libs physmap) -o p2m-tour
 *   ./p2m-tour [memory, e.g. 5g]
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <physmap/physmap.h>
#include <physmap/board.h>

#define PAGE_SHIFT 12

static void print_runs(struct pm_p2m *p2m)
{
	struct pm_p2m_run r;

	printf("  %-10s %-31s %-12s %s\n", "kind", "pfns [start, end)", "size", "mfns");
	for (uint64_t pfn = 0; pm_p2m_next_run(p2m, pfn, &r) == 0; pfn = r.end) {
		char size[24], range[40], mfns[40] = "";

		pm_size_format((r.end - r.start) << PAGE_SHIFT, size, sizeof(size));
		snprintf(range, sizeof(range), "0x%" PRIx64 "-0x%" PRIx64, r.start, r.end);
		if (r.kind == PM_P2M_RAM || r.kind == PM_P2M_FOREIGN)
			snprintf(mfns, sizeof(mfns), "0x%" PRIx64 "-0x%" PRIx64,
				 r.mfn, r.mfn + (r.end - r.start));
		printf("  %-10s %-31s %-12s %s\n", pm_p2m_kind_name(r.kind), range, size, mfns);
	}
}

static void print_stats(struct pm_p2m *p2m)
{
	struct pm_p2m_stats s;
	char bytes[24];

	pm_p2m_stats(p2m, &s);
	pm_size_format(s.bytes, bytes, sizeof(bytes));
	printf("  tree: %" PRIu64 " top entries, %" PRIu64 " mids, %" PRIu64 " leaves, %s;"
	       " sentinel refs: top->mid_missing %" PRIu64 ", top->mid_identity %" PRIu64
	       ", mid->missing %" PRIu64 ", mid->identity %" PRIu64 "\n",
	       s.top_entries, s.mids, s.leaves, bytes, s.top_to_mid_missing,
	       s.top_to_mid_identity, s.mid_to_missing, s.mid_to_identity);
}

static void explain(struct pm_p2m *p2m, uint64_t pfn)
{
	static const char *const kind[] = { "real", "missing sentinel", "identity sentinel" };
	struct pm_p2m_path p;

	pm_p2m_explain(p2m, pfn, &p);
	printf("  pfn 0x%" PRIx64 ": top[%" PRIu64 "] -> %s mid, [%u] -> %s leaf, [%u] = 0x%" PRIx64 " (%s)\n",
	       pfn, p.top_index, kind[p.mid], p.mid_index, kind[p.leaf],
	       p.leaf_index, p.value, pm_p2m_kind_name(pm_p2m_kind_of(p.value)));
}

static int fail(const char *what, long rc)
{
	fprintf(stderr, "p2m-tour: %s: %s\n", what, strerror((int)-rc));
	return 1;
}

int main(int argc, char **argv)
{
	uint64_t mem = UINT64_C(5) << 30, next_mfn = 0x100000;
	struct pm_board_layout layout;
	struct pm_e820 map;
	struct pm_p2m *p2m = NULL;
	struct pm_e820_remap remap;
	char *text = NULL;
	long rc;

	if (argc > 1 && (rc = pm_size_parse(argv[1], PM_SIZE_M, &mem)) < 0)
		return fail(argv[1], rc);
	if (mem < (UINT64_C(16) << 20) || mem > (UINT64_C(1) << 40))
		return fail("memory must be 16M..1T", -22);

	/* the machine: QEMU's pc layout, from physmap's pc board */
	{
		struct pm_board_config cfg = { .memory = mem, .vcpus = 1 };
		char err[PM_BOARD_ERR_LEN], *table = NULL;

		rc = pm_board_layout(pm_board_find("pc"), &cfg, &layout, err);
		if (rc) {
			fprintf(stderr, "p2m-tour: %s\n", err);
			return 1;
		}
		pm_board_layout_table(&layout, &table);
		printf("The pc board's layout for %s:\n%s\n", argc > 1 ? argv[1] : "5g", table);
		free(table);
		map = layout.e820;
	}
	pm_e820_format(&map, &text);
	printf("The E820 it gives the guest:\n%s", text);
	free(text);

	rc = pm_p2m_create(pm_e820_ram_end(&map) >> PAGE_SHIFT, NULL, &p2m);
	if (rc)
		return fail("p2m", rc);
	for (size_t i = 0; i < map.nr; i++) {
		uint64_t s = (map.entries[i].addr + 4095) >> PAGE_SHIFT;
		uint64_t e = (map.entries[i].addr + map.entries[i].size) >> PAGE_SHIFT;

		if (map.entries[i].type != PM_E820_RAM || e <= s)
			continue;
		if ((rc = pm_p2m_set_range(p2m, s, next_mfn, e - s)) < 0)
			return fail("populate", rc);
		next_mfn += e - s + 0x40000;   /* frames come in separate extents */
	}
	rc = pm_e820_apply_identity(&map, p2m, 0);
	if (rc < 0)
		return fail("identity", rc);
	printf("\nP2M after populating RAM and identity-mapping %ld hole pfns:\n", rc);
	print_runs(p2m);
	print_stats(p2m);

	/* balloon out 64 MiB in the middle of low RAM */
	pm_p2m_clear_range(p2m, 0x20000, 0x20000 + (64 << 8));
	printf("\nafter ballooning out 64M at pfn 0x20000:\n");
	print_runs(p2m);
	print_stats(p2m);
	printf("\ntree paths:\n");
	explain(p2m, 0x100);
	explain(p2m, 0x20010);
	explain(p2m, 0xc0000);
	pm_p2m_free(p2m);

	/* dom0: given pfns [0, 4 GiB) contiguously, the host's holes */
	printf("\ndom0-style: 4G given as pfns [0, 0x100000), RAM in the PCI hole remapped:\n");
	pm_p2m_create(UINT64_C(8) << 18, NULL, &p2m);
	pm_p2m_set_range(p2m, 0, 0x200000, UINT64_C(4) << 18);
	pm_board_layout_dispose(&layout);
	pm_e820_init(&map);
	pm_e820_add(&map, 0, 0x9fc00, PM_E820_RAM);
	pm_e820_add(&map, 0x100000, (UINT64_C(3) << 30) - 0x100000, PM_E820_RAM);
	pm_e820_add(&map, UINT64_C(3) << 30, UINT64_C(1) << 30, PM_E820_RESERVED);
	pm_e820_sanitize(&map);
	if ((rc = pm_e820_apply_remap(&map, p2m, 0, &remap)) < 0)
		return fail("remap", rc);
	printf("  moved %" PRIu64 " pages to pfn 0x%" PRIx64 ", %" PRIu64 " pfns identity\n",
	       remap.pages, remap.start, remap.identity);
	print_runs(p2m);
	pm_e820_format(&map, &text);
	printf("  its E820 now:\n%s", text);
	free(text);
	pm_p2m_free(p2m);
	pm_e820_dispose(&map);
	return 0;
}
