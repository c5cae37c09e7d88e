/*
 * test-board-pc.c - the pc and q35 boards: placement rules, the guest's
 * E820 and PVH start info, the holes the P2M identity-maps, and the errors
 * for bad keys and values. (tests/integration/board-pc-vs-qemu.sh checks
 * the firmware view against QEMU 7.2 itself.)
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

#include <yajl/yajl_tree.h>
#include <xen/xen.h>
#include <xen/arch-x86/hvm/start_info.h>

#include "physmap/p2m.h"
#include "physmap/board.h"

#define MiB (UINT64_C(1) << 20)
#define GiB (UINT64_C(1) << 30)
#define TiB (UINT64_C(1) << 40)

static int layout(const char *board, uint64_t mem, struct pm_board_layout *l,
		  char *err, size_t nr, const struct pm_board_opt *opts)
{
	struct pm_board_config cfg = { .memory = mem, .vcpus = 1, .opts = opts, .nr_opts = nr };

	err[0] = '\0';
	return pm_board_layout(pm_board_find(board), &cfg, l, err);
}

static const struct pm_board_region *region(const struct pm_board_layout *l, const char *name)
{
	for (size_t i = 0; i < l->nr_regions; i++)
		if (strcmp(l->regions[i].name, name) == 0)
			return &l->regions[i];
	fail_msg("no region %s", name);
	return NULL;
}

static void pc_splits_ram_at_3g_when_it_does_not_fit_below_3_5g(void **state)
{
	struct pm_board_layout l;
	char err[PM_BOARD_ERR_LEN];

	(void)state;
	assert_int_equal(layout("pc", 3584 * MiB, &l, err, 0, NULL), 0);
	assert_int_equal(region(&l, "ram-below-4g")->base + region(&l, "ram-below-4g")->size, 3 * GiB);
	assert_int_equal(region(&l, "ram-above-4g")->base, 4 * GiB);
	assert_int_equal(region(&l, "ram-above-4g")->size, 512 * MiB);
	pm_board_layout_dispose(&l);
	/* below 3.5 GiB it all stays low */
	assert_int_equal(layout("pc", 3583 * MiB, &l, err, 0, NULL), 0);
	assert_int_equal(region(&l, "ram-below-4g")->size, 3583 * MiB - MiB);
	assert_int_equal(pm_e820_ram_end(&l.e820), 3583 * MiB);
	pm_board_layout_dispose(&l);
}

static void q35_splits_ram_at_2g_from_2_75g(void **state)
{
	struct pm_board_layout l;
	char err[PM_BOARD_ERR_LEN];

	(void)state;
	assert_int_equal(layout("q35", 2816 * MiB, &l, err, 0, NULL), 0);
	assert_int_equal(region(&l, "ram-below-4g")->base + region(&l, "ram-below-4g")->size, 2 * GiB);
	assert_int_equal(region(&l, "ram-above-4g")->size, 768 * MiB);
	/* the ECAM cuts the 32-bit PCI window in two */
	assert_int_equal(region(&l, "pcie-ecam")->base, 0xb0000000);
	assert_int_equal(region(&l, "pci-mmio32")->base, 2 * GiB);
	assert_int_equal(region(&l, "pci-mmio32-high")->base, 0xc0000000);
	pm_board_layout_dispose(&l);
	assert_int_equal(layout("q35", 2815 * MiB, &l, err, 0, NULL), 0);
	assert_int_equal(pm_e820_ram_total(&l.e820), 2815 * MiB - 384 * 1024);
	pm_board_layout_dispose(&l);
}

static void max_ram_below_4g_lowers_and_raises_the_split(void **state)
{
	const struct pm_board_opt low[] = { { "max_ram_below_4g", "2G" } };
	const struct pm_board_opt high[] = { { "max_ram_below_4g", "4G" } };
	const struct pm_board_opt over[] = { { "max_ram_below_4g", "5G" } };
	struct pm_board_layout l;
	char err[PM_BOARD_ERR_LEN];

	(void)state;
	assert_int_equal(layout("pc", 4 * GiB, &l, err, 1, low), 0);
	assert_int_equal(region(&l, "ram-above-4g")->size, 2 * GiB);
	pm_board_layout_dispose(&l);
	/* pc: raising it keeps more below 4 GiB while RAM fits */
	assert_int_equal(layout("pc", 3 * GiB + 512 * MiB, &l, err, 1, high), 0);
	assert_int_equal(pm_e820_ram_end(&l.firmware_e820), 3 * GiB + 512 * MiB);
	pm_board_layout_dispose(&l);
	assert_int_equal(layout("q35", 4 * GiB, &l, err, 1, over), -EINVAL);
	assert_string_equal(err, "max_ram_below_4g: 5G expects a size of at most 4G");
	assert_int_equal(l.nr_regions, 0);
}

static void amd_ram_above_4g_moves_to_1t_near_the_ht_window(void **state)
{
	const struct pm_board_opt bits[] = { { "pa_bits", "48" } };
	const struct pm_board_opt intel[] = { { "pa_bits", "48" }, { "cpu_vendor", "intel" } };
	const struct pm_board_opt old[] = { { "pa_bits", "48" }, { "compat", "7.0" } };
	struct pm_board_layout l;
	char err[PM_BOARD_ERR_LEN];

	(void)state;
	/* 1000 GiB: 4 GiB + 997 GiB + the 32 GiB q35 hole passes 0xfd00000000 */
	assert_int_equal(layout("q35", 1000 * GiB, &l, err, 1, bits), 0);
	assert_int_equal(region(&l, "ram-above-1t")->base, TiB);
	assert_int_equal(region(&l, "amd-hypertransport")->base, 0xfd00000000);
	assert_int_equal(region(&l, "pci-mmio64")->base, TiB + 998 * GiB);
	pm_board_layout_dispose(&l);
	/* an Intel CPU or a 7.0 machine keeps RAM at 4 GiB */
	assert_int_equal(layout("q35", 1000 * GiB, &l, err, 2, intel), 0);
	assert_int_equal(region(&l, "ram-above-4g")->base, 4 * GiB);
	pm_board_layout_dispose(&l);
	assert_int_equal(layout("q35", 1000 * GiB, &l, err, 2, old), 0);
	assert_int_equal(region(&l, "ram-above-4g")->base, 4 * GiB);
	pm_board_layout_dispose(&l);
	/* with QEMU's default 40 bits the relocated machine does not fit */
	assert_int_equal(layout("q35", 1000 * GiB, &l, err, 0, NULL), -EINVAL);
	assert_non_null(strstr(err, "phys-bits too low (40)"));
}

static void guest_e820_reserves_legacy_and_device_areas(void **state)
{
	struct pm_board_layout l;
	struct pm_e820_range h[8];
	char err[PM_BOARD_ERR_LEN], *text = NULL;

	(void)state;
	assert_int_equal(layout("q35", 4 * GiB, &l, err, 0, NULL), 0);
	pm_e820_format(&l.e820, &text);
	assert_string_equal(text,
		"BIOS-e820: [mem 0x0000000000000000-0x000000000009ffff] usable\n"
		"BIOS-e820: [mem 0x00000000000a0000-0x00000000000fffff] reserved\n"
		"BIOS-e820: [mem 0x0000000000100000-0x000000007fffffff] usable\n"
		"BIOS-e820: [mem 0x00000000b0000000-0x00000000bfffffff] reserved\n"
		"BIOS-e820: [mem 0x00000000fec00000-0x00000000fec00fff] reserved\n"
		"BIOS-e820: [mem 0x00000000fed00000-0x00000000fed003ff] reserved\n"
		"BIOS-e820: [mem 0x00000000fee00000-0x00000000feefffff] reserved\n"
		"BIOS-e820: [mem 0x00000000fffc0000-0x00000000ffffffff] reserved\n"
		"BIOS-e820: [mem 0x0000000100000000-0x000000017fffffff] usable\n"
		"BIOS-e820: [mem 0x000000fd00000000-0x000000ffffffffff] reserved\n");
	free(text);
	/* the holes the P2M identity-maps, below the top of RAM (6 GiB) */
	assert_int_equal(pm_e820_holes(&l.e820, pm_e820_identity_limit(&l.e820), h, 8), 2);
	assert_int_equal(h[0].start, 0xa0000);
	assert_int_equal(h[0].end, 0x100000);
	assert_int_equal(h[1].start, 2 * GiB);
	assert_int_equal(h[1].end, 4 * GiB);
	pm_board_layout_dispose(&l);
}

static void pvh_start_info_carries_the_e820(void **state)
{
	struct pm_board_layout l;
	char err[PM_BOARD_ERR_LEN];
	uint8_t page[4096];
	const struct hvm_start_info *si = (const void *)page;
	const struct hvm_memmap_table_entry *mm = (const void *)(si + 1);
	long n;

	(void)state;
	assert_int_equal(layout("pc", 512 * MiB, &l, err, 0, NULL), 0);
	n = pm_board_pvh_start_info(&l, page, sizeof(page), 0x6000, 0x7000);
	assert_int_equal(n, sizeof(*si) + l.e820.nr * sizeof(*mm));
	assert_int_equal(si->magic, XEN_HVM_START_MAGIC_VALUE);
	assert_int_equal(si->version, 1);
	assert_int_equal(si->cmdline_paddr, 0x7000);
	assert_int_equal(si->memmap_paddr, 0x6000 + sizeof(*si));
	assert_int_equal(si->memmap_entries, l.e820.nr);
	assert_int_equal(mm[0].addr, 0);
	assert_int_equal(mm[0].size, 0xa0000);
	assert_int_equal(mm[0].type, XEN_HVM_MEMMAP_TYPE_RAM);
	assert_int_equal(mm[2].addr, MiB);
	assert_int_equal(mm[2].size, 511 * MiB);
	assert_int_equal(pm_board_pvh_start_info(&l, page, sizeof(*si), 0, 0), -ENOSPC);
	pm_board_layout_dispose(&l);
}

static uint64_t le(const uint8_t *p, int bytes)
{
	uint64_t v = 0;

	while (bytes--)
		v = v << 8 | p[bytes];
	return v;
}

/* the MADT of tables built at 0x2000: the XSDT's second entry (the last table), checked */
static const uint8_t *madt_of(const uint8_t *buf)
{
	const uint8_t *madt = buf + (le(buf + (le(buf + 24, 8) - 0x2000) + 44, 8) - 0x2000);

	assert_memory_equal(madt, "APIC", 4);
	return madt;
}

static uint8_t sum(const uint8_t *p, size_t len)
{
	uint8_t s = 0;

	while (len--)
		s = (uint8_t)(s + *p++);
	return s;
}

/* the table at guest address @gpa of a blob loaded at @base, checked whole */
static const uint8_t *table(const uint8_t *blob, long n, uint64_t base, uint64_t gpa, const char *sig)
{
	const uint8_t *t;

	assert_true(gpa >= base && gpa - base + 36 <= (uint64_t)n);
	t = blob + (gpa - base);
	assert_memory_equal(t, sig, 4);
	assert_true(gpa - base + le(t + 4, 4) <= (uint64_t)n);
	assert_int_equal(sum(t, le(t + 4, 4)), 0);
	return t;
}

static void pvh_guests_find_one_local_apic_per_vcpu_from_the_rsdp(void **state)
{
	struct pm_board_config cfg = { .memory = 256 * MiB, .vcpus = 4 };
	struct pm_board_boot boot = { .kernel_size = 4096, .cmdline = "console=hvc0" };
	struct pm_board_layout l;
	char err[PM_BOARD_ERR_LEN];
	const struct hvm_start_info *si;
	const uint8_t *rsdp, *xsdt, *fadt, *madt, *e;
	void *blob = NULL;
	long n;

	(void)state;
	assert_int_equal(pm_board_layout(pm_board_find("pc"), &cfg, &l, err), 0);
	assert_int_equal(pm_board_boot(&l, &boot, err), 0);
	n = pm_board_firmware(&l, &boot, &blob);
	assert_true(n > 0 && (uint64_t)n <= boot.table_max);
	/* the command line is past the tables */
	assert_true(boot.cmdline_gpa >= boot.table_gpa + boot.table_max);
	si = blob;
	assert_int_not_equal(si->rsdp_paddr, 0);
	assert_int_equal(si->rsdp_paddr % 16, 0);
	rsdp = (const uint8_t *)blob + (si->rsdp_paddr - boot.table_gpa);
	assert_memory_equal(rsdp, "RSD PTR ", 8);
	assert_int_equal(rsdp[15], 2);
	assert_int_equal(sum(rsdp, 20), 0);
	assert_int_equal(sum(rsdp, 36), 0);
	assert_int_equal(le(rsdp + 20, 4), 36);
	table(blob, n, boot.table_gpa, le(rsdp + 16, 4), "RSDT");
	xsdt = table(blob, n, boot.table_gpa, le(rsdp + 24, 8), "XSDT");
	assert_int_equal(le(xsdt + 4, 4), 36 + 2 * 8);
	fadt = table(blob, n, boot.table_gpa, le(xsdt + 36, 8), "FACP");
	madt = table(blob, n, boot.table_gpa, le(xsdt + 44, 8), "APIC");
	/* hardware-reduced, no VGA; pc has physmap-dm's CMOS clock */
	assert_int_equal(fadt[8], 5);
	assert_int_equal(le(fadt + 112, 4) & (1u << 20), 1u << 20);
	assert_int_equal(le(fadt + 109, 2), 1u << 2);
	assert_int_equal(le(fadt + 40, 4), le(fadt + 140, 8));
	table(blob, n, boot.table_gpa, le(fadt + 140, 8), "DSDT");
	assert_int_equal(le(madt + 36, 4), 0xfee00000);
	assert_int_equal(le(madt + 40, 4), 0);
	assert_int_equal(le(madt + 4, 4), 44 + 4 * 8);
	e = madt + 44;
	for (unsigned i = 0; i < 4; i++, e += 8) {
		assert_int_equal(e[0], 0);
		assert_int_equal(e[1], 8);
		assert_int_equal(e[2], i);
		assert_int_equal(e[3], 2 * i);
		assert_int_equal(le(e + 4, 4), 1);
	}
	free(blob);
	pm_board_layout_dispose(&l);
}

static void madt_uses_x2apic_entries_past_apic_id_254(void **state)
{
	static uint8_t buf[8192];
	const uint8_t *madt, *e;
	long n;

	(void)state;
	n = pm_board_acpi_tables(buf, sizeof(buf), 0x2000, 130, 130, 0);
	assert_true(n > 0);
	madt = madt_of(buf);
	assert_int_equal(le(madt + 4, 4), 44 + 128 * 8 + 2 * 16);
	assert_int_equal(sum(madt, le(madt + 4, 4)), 0);
	e = madt + 44 + 127 * 8;
	assert_int_equal(e[0], 0);
	assert_int_equal(e[3], 254);
	e += 8;
	assert_int_equal(e[0], 9);
	assert_int_equal(e[1], 16);
	assert_int_equal(le(e + 4, 4), 256);
	assert_int_equal(le(e + 12, 4), 128);
	assert_int_equal(le(e + 16 + 4, 4), 258);
	/* no CMOS clock: the FADT says so */
	assert_int_equal(le(buf + (le(buf + (le(buf + 24, 8) - 0x2000) + 36, 8) - 0x2000) + 109, 2),
			 (1u << 2) | (1u << 5));
	assert_int_equal(pm_board_acpi_tables(buf, (size_t)n - 1, 0x2000, 130, 130, 0), -ENOSPC);
	assert_int_equal(pm_board_acpi_tables(buf, sizeof(buf), 0x2000, 0, 0, 0), -EINVAL);
	assert_int_equal(pm_board_acpi_tables(buf, sizeof(buf), 0x2000, 2, 0, 0), -EINVAL);
	assert_int_equal(pm_board_acpi_tables(buf, sizeof(buf), 0x2000, 2, 3, 0), -EINVAL);
	assert_int_equal(pm_board_acpi_tables(buf, sizeof(buf), UINT32_MAX - 100, 1, 1, 0), -ERANGE);
}

static void madt_lists_vcpus_past_the_online_ones_disabled(void **state)
{
	static uint8_t buf[8192];
	const uint8_t *madt, *e;
	long n;

	(void)state;
	/* maxvcpus 130, vcpus 2: every vCPU listed, the first two enabled (libxl's libacpi) */
	n = pm_board_acpi_tables(buf, sizeof(buf), 0x2000, 130, 2, 0);
	assert_true(n > 0);
	madt = madt_of(buf);
	assert_int_equal(le(madt + 4, 4), 44 + 128 * 8 + 2 * 16);
	assert_int_equal(sum(madt, le(madt + 4, 4)), 0);
	e = madt + 44;
	assert_int_equal(le(e + 4, 4), 1);
	assert_int_equal(le(e + 8 + 4, 4), 1);
	assert_int_equal(le(e + 16 + 4, 4), 0);
	assert_int_equal(e[16 + 2], 2);
	e = madt + 44 + 128 * 8;
	assert_int_equal(e[0], 9);
	assert_int_equal(le(e + 8, 4), 0);
}

static void board_keys_are_checked_and_named(void **state)
{
	const struct pm_board_opt typo[] = { { "max_ram_bellow_4g", "2G" } };
	const struct pm_board_opt unknown[] = { { "frobnicate", "1" } };
	const struct pm_board_opt badsize[] = { { "max_ram_below_4g", "lots" } };
	const struct pm_board_opt badbits[] = { { "pa_bits", "64" } };
	const struct pm_board_opt vendor[] = { { "cpu_vendor", "via" } };
	const struct pm_board_opt compat[] = { { "compat", "2.12" } };
	struct pm_board_layout l;
	char err[PM_BOARD_ERR_LEN];

	(void)state;
	assert_int_equal(layout("pc", GiB, &l, err, 1, typo), -EINVAL);
	assert_string_equal(err, "max_ram_bellow_4g: not a key of board 'pc' (did you mean 'max_ram_below_4g'?)");
	assert_int_equal(layout("pc", GiB, &l, err, 1, unknown), -EINVAL);
	assert_string_equal(err, "frobnicate: not a key of board 'pc'");
	assert_int_equal(layout("pc", GiB, &l, err, 1, badsize), -EINVAL);
	assert_string_equal(err, "max_ram_below_4g: 'lots' is not a size (512M, 3G, 4096b...)");
	assert_int_equal(layout("q35", GiB, &l, err, 1, badbits), -EINVAL);
	assert_string_equal(err, "pa_bits: '64' is not a number from 0 to 52");
	assert_int_equal(layout("q35", GiB, &l, err, 1, vendor), -EINVAL);
	assert_string_equal(err, "cpu_vendor: 'via' is neither amd nor intel");
	assert_int_equal(layout("q35", GiB, &l, err, 1, compat), -EINVAL);
	assert_non_null(strstr(err, "compat: '2.12'"));
	assert_int_equal(layout("q35", MiB, &l, err, 0, NULL), -EINVAL);
	assert_non_null(strstr(err, "memory:"));
	assert_null(pm_board_find("virt-9000"));
	assert_non_null(pm_board_find("q35"));
}

static void layout_table_lists_regions_in_address_order(void **state)
{
	struct pm_board_layout l;
	char err[PM_BOARD_ERR_LEN], *text = NULL;

	(void)state;
	assert_int_equal(layout("pc", 8 * GiB, &l, err, 0, NULL), 0);
	for (size_t i = 1; i < l.nr_regions; i++)
		assert_true(l.regions[i - 1].base + l.regions[i - 1].size <= l.regions[i].base);
	assert_true(pm_board_layout_table(&l, &text) > 0);
	assert_non_null(strstr(text, "0x0000000100000000-0x000000023fffffff        5G  ram       ram-above-4g\n"));
	assert_non_null(strstr(text, "  mmio      pci-mmio32\n"));
	free(text);
	pm_board_layout_dispose(&l);
}

static void layout_json_has_regions_and_e820(void **state)
{
	struct pm_board_layout l;
	char err[PM_BOARD_ERR_LEN], *json = NULL, errbuf[128];
	const char *board_path[] = { "board", NULL };
	const char *regions_path[] = { "regions", NULL };
	const char *e820_path[] = { "e820", NULL };
	const char *name_path[] = { "name", NULL };
	const char *base_path[] = { "base", NULL };
	yajl_val root, regions, e820, r0;

	(void)state;
	assert_int_equal(layout("q35", 4 * GiB, &l, err, 0, NULL), 0);
	assert_true(pm_board_layout_json(&l, &json) > 0);
	root = yajl_tree_parse(json, errbuf, sizeof(errbuf));
	if (!root)
		fail_msg("layout JSON does not parse: %s", errbuf);
	assert_string_equal(YAJL_GET_STRING(yajl_tree_get(root, board_path, yajl_t_string)), "q35");
	regions = yajl_tree_get(root, regions_path, yajl_t_array);
	e820 = yajl_tree_get(root, e820_path, yajl_t_array);
	assert_non_null(regions);
	assert_non_null(e820);
	assert_int_equal(YAJL_GET_ARRAY(regions)->len, l.nr_regions);
	assert_int_equal(YAJL_GET_ARRAY(e820)->len, l.e820.nr);
	r0 = YAJL_GET_ARRAY(regions)->values[3];
	assert_string_equal(YAJL_GET_STRING(yajl_tree_get(r0, name_path, yajl_t_string)), "ram-below-4g");
	assert_string_equal(YAJL_GET_STRING(yajl_tree_get(r0, base_path, yajl_t_string)), "0x100000");
	yajl_tree_free(root);
	free(json);
	pm_board_layout_dispose(&l);
}

static void option_parsers_take_their_types_and_name_bad_values(void **state)
{
	const struct pm_board_opt opts[] = {
		{ "flag", "yes" }, { "off", "Off" }, { "bad", "maybe" },
		{ "n", "17" }, { "big", "99" }, { "neg", "-1" }, { "sz", "2g" },
		{ "n", "18" },   /* the last one given wins */
	};
	struct pm_board_config cfg = { .memory = GiB, .opts = opts, .nr_opts = 8 };
	char err[PM_BOARD_ERR_LEN];
	uint64_t u;
	int b;

	(void)state;
	assert_int_equal(pm_board_opt_bool(&cfg, "flag", 0, &b, err), 0);
	assert_int_equal(b, 1);
	assert_int_equal(pm_board_opt_bool(&cfg, "off", 1, &b, err), 0);
	assert_int_equal(b, 0);
	assert_int_equal(pm_board_opt_bool(&cfg, "absent", 1, &b, err), 0);
	assert_int_equal(b, 1);
	assert_int_equal(pm_board_opt_bool(&cfg, "bad", 0, &b, err), -EINVAL);
	assert_string_equal(err, "bad: 'maybe' is not a boolean (0/1, yes/no, true/false, on/off)");
	assert_int_equal(pm_board_opt_uint(&cfg, "n", 0, 52, &u, err), 0);
	assert_int_equal(u, 18);
	assert_int_equal(pm_board_opt_uint(&cfg, "big", 0, 52, &u, err), -EINVAL);
	assert_int_equal(pm_board_opt_uint(&cfg, "neg", 0, 52, &u, err), -EINVAL);
	assert_int_equal(pm_board_opt_size(&cfg, "sz", 0, &u, err), 0);
	assert_int_equal(u, 2 * GiB);
	assert_int_equal(pm_board_opt_size(&cfg, "absent", 77, &u, err), 0);
	assert_int_equal(u, 77);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(pc_splits_ram_at_3g_when_it_does_not_fit_below_3_5g),
		cmocka_unit_test(q35_splits_ram_at_2g_from_2_75g),
		cmocka_unit_test(max_ram_below_4g_lowers_and_raises_the_split),
		cmocka_unit_test(amd_ram_above_4g_moves_to_1t_near_the_ht_window),
		cmocka_unit_test(guest_e820_reserves_legacy_and_device_areas),
		cmocka_unit_test(pvh_start_info_carries_the_e820),
		cmocka_unit_test(pvh_guests_find_one_local_apic_per_vcpu_from_the_rsdp),
		cmocka_unit_test(madt_uses_x2apic_entries_past_apic_id_254),
		cmocka_unit_test(madt_lists_vcpus_past_the_online_ones_disabled),
		cmocka_unit_test(board_keys_are_checked_and_named),
		cmocka_unit_test(layout_table_lists_regions_in_address_order),
		cmocka_unit_test(layout_json_has_regions_and_e820),
		cmocka_unit_test(option_parsers_take_their_types_and_name_bad_values),
	};

	return cmocka_run_group_tests_name("board-pc", tests, NULL, NULL);
}
