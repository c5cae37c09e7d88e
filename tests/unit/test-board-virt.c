/*
 * test-board-virt.c - the ARM virt board: the fixed low map, the placement
 * of the high regions in the compact layout and with compat, each of the
 * four ways a high region is disabled, the refusals, the device tree (read
 * back with libfdt), the device list and the boot plan.
 * (tests/integration/board-virt-vs-qemu.py checks compat layouts against
 * QEMU 7.2's own device trees.)
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

#include <libfdt.h>

#include "physmap/board.h"

#define KiB (UINT64_C(1) << 10)
#define MiB (UINT64_C(1) << 20)
#define GiB (UINT64_C(1) << 30)
#define TiB (UINT64_C(1) << 40)

struct machine {
	uint64_t memory, maxmem;
	unsigned vcpus;
	struct pm_board_opt opts[8];
};

static int layout(const struct machine *m, struct pm_board_layout *l, char *err)
{
	struct pm_board_config cfg = {
		.memory = m->memory, .maxmem = m->maxmem,
		.vcpus = m->vcpus ? m->vcpus : 1, .opts = m->opts,
	};

	while (cfg.nr_opts < 8 && m->opts[cfg.nr_opts].key)
		cfg.nr_opts++;
	err[0] = '\0';
	return pm_board_layout(pm_board_find("virt"), &cfg, l, err);
}

/* the region called @name, or NULL */
static const struct pm_board_region *find(const struct pm_board_layout *l, const char *name)
{
	for (size_t i = 0; i < l->nr_regions; i++)
		if (strcmp(l->regions[i].name, name) == 0)
			return &l->regions[i];
	return NULL;
}

static uint64_t base_of(const struct pm_board_layout *l, const char *name)
{
	const struct pm_board_region *r = find(l, name);

	if (!r)
		fail_msg("no region %s", name);
	return r->base;
}

static void low_map_is_qemus_fixed_map(void **state)
{
	struct machine m = { .memory = GiB };
	struct pm_board_layout l;
	char err[PM_BOARD_ERR_LEN];

	(void)state;
	assert_int_equal(layout(&m, &l, err), 0);
	assert_int_equal(base_of(&l, "flash0"), 0);
	assert_int_equal(base_of(&l, "gic-dist"), 0x08000000);
	assert_int_equal(base_of(&l, "gic-its"), 0x08080000);
	assert_int_equal(base_of(&l, "gic-redist"), 0x080a0000);
	assert_int_equal(find(&l, "gic-redist")->size, 123 * 128 * KiB);
	assert_int_equal(base_of(&l, "uart"), 0x09000000);
	assert_int_equal(base_of(&l, "rtc"), 0x09010000);
	assert_int_equal(base_of(&l, "fw-cfg"), 0x09020000);
	assert_int_equal(base_of(&l, "gpio"), 0x09030000);
	assert_int_equal(base_of(&l, "virtio-mmio"), 0x0a000000);
	assert_int_equal(find(&l, "virtio-mmio")->size, 32 * 0x200);
	assert_int_equal(base_of(&l, "pcie-mmio"), 0x10000000);
	assert_int_equal(base_of(&l, "pcie-pio"), 0x3eff0000);
	assert_int_equal(base_of(&l, "ram"), GiB);
	assert_int_equal(find(&l, "ram")->size, GiB);
	/* regions are sorted and never overlap */
	for (size_t i = 1; i < l.nr_regions; i++)
		assert_true(l.regions[i - 1].base + l.regions[i - 1].size <= l.regions[i].base);
	/* GICv2 has a CPU interface and a v2m frame instead */
	pm_board_layout_dispose(&l);
	m.opts[0] = (struct pm_board_opt){ "gic_version", "2" };
	assert_int_equal(layout(&m, &l, err), 0);
	assert_int_equal(base_of(&l, "gic-cpu"), 0x08010000);
	assert_int_equal(base_of(&l, "gic-v2m"), 0x08020000);
	assert_null(find(&l, "gic-redist"));
	pm_board_layout_dispose(&l);
}

static void high_regions_float_above_ram_from_256g_each_aligned(void **state)
{
	struct machine m = { .memory = GiB, .vcpus = 124 };
	struct pm_board_layout l;
	char err[PM_BOARD_ERR_LEN];

	(void)state;
	/* little RAM: the floor is 256 GiB */
	assert_int_equal(layout(&m, &l, err), 0);
	assert_int_equal(base_of(&l, "gic-redist2"), 256 * GiB);
	assert_int_equal(base_of(&l, "pcie-ecam-high"), 256 * GiB + 256 * MiB);
	assert_int_equal(base_of(&l, "pcie-mmio-high"), 512 * GiB);
	pm_board_layout_dispose(&l);
	/* 300 GiB of RAM from 1 GiB: the regions start at 301 GiB, aligned up */
	m.memory = 300 * GiB;
	assert_int_equal(layout(&m, &l, err), 0);
	assert_int_equal(base_of(&l, "gic-redist2"), 301 * GiB);
	assert_int_equal(base_of(&l, "pcie-ecam-high"), 301 * GiB + 256 * MiB);
	assert_int_equal(base_of(&l, "pcie-mmio-high"), 512 * GiB);
	pm_board_layout_dispose(&l);
	/* device memory (maxmem, slots) comes first, GiB-aligned */
	m.memory = 3 * GiB + 1 * MiB;
	m.maxmem = 600 * GiB;
	m.opts[0] = (struct pm_board_opt){ "slots", "4" };
	assert_int_equal(layout(&m, &l, err), 0);
	assert_int_equal(base_of(&l, "device-memory"), 5 * GiB);
	assert_int_equal(find(&l, "device-memory")->size, 600 * GiB - m.memory + 4 * GiB);
	assert_int_equal(base_of(&l, "gic-redist2"), 606 * GiB);
	assert_int_equal(base_of(&l, "pcie-mmio-high"), 1024 * GiB);
	pm_board_layout_dispose(&l);
}

static void compact_layout_gives_unused_regions_no_space(void **state)
{
	/* device memory ends exactly at 512 GiB */
	struct machine m = { .memory = GiB, .maxmem = 511 * GiB };
	struct pm_board_layout l;
	char err[PM_BOARD_ERR_LEN];

	(void)state;
	/* one vCPU: no second redistributor region, so the ECAM starts at 512 GiB */
	assert_int_equal(layout(&m, &l, err), 0);
	assert_null(find(&l, "gic-redist2"));
	assert_int_equal(base_of(&l, "pcie-ecam-high"), 512 * GiB);
	assert_int_equal(base_of(&l, "pcie-mmio-high"), 1024 * GiB);
	pm_board_layout_dispose(&l);
	/* without the ECAM either, the MMIO window takes 512 GiB itself */
	m.opts[0] = (struct pm_board_opt){ "highmem_ecam", "0" };
	assert_int_equal(layout(&m, &l, err), 0);
	assert_int_equal(base_of(&l, "pcie-ecam"), 0x3f000000);
	assert_int_equal(base_of(&l, "pcie-mmio-high"), 512 * GiB);
	pm_board_layout_dispose(&l);
	/* QEMU 7.2 reserves both anyway */
	m.opts[0] = (struct pm_board_opt){ "compat", "7.2" };
	m.opts[1] = (struct pm_board_opt){ "gic_version", "3" };
	assert_int_equal(layout(&m, &l, err), 0);
	assert_int_equal(base_of(&l, "pcie-ecam-high"), 512 * GiB + 256 * MiB);
	assert_int_equal(base_of(&l, "pcie-mmio-high"), 1024 * GiB);
	pm_board_layout_dispose(&l);
}

static void a_region_toggle_disables_just_that_region(void **state)
{
	struct machine m = { .memory = GiB, .vcpus = 124 };
	struct pm_board_layout l;
	char err[PM_BOARD_ERR_LEN];

	(void)state;
	m.opts[0] = (struct pm_board_opt){ "highmem_mmio", "off" };
	assert_int_equal(layout(&m, &l, err), 0);
	assert_null(find(&l, "pcie-mmio-high"));
	assert_non_null(find(&l, "pcie-ecam-high"));
	assert_non_null(find(&l, "gic-redist2"));
	pm_board_layout_dispose(&l);
	/* no second redistributor region: 124 vCPUs no longer fit */
	m.opts[0] = (struct pm_board_opt){ "highmem_redists", "0" };
	assert_int_equal(layout(&m, &l, err), -EINVAL);
	assert_string_equal(err, "vcpus: Capacity of the redist regions(123) does not match the number of vcpus(124)");
	assert_int_equal(l.nr_regions, 0);
	m.vcpus = 123;
	assert_int_equal(layout(&m, &l, err), 0);
	assert_int_equal(base_of(&l, "pcie-ecam-high"), 256 * GiB);
	pm_board_layout_dispose(&l);
}

static void highmem_off_is_a_32_bit_address_space(void **state)
{
	struct machine m = { .memory = 3 * GiB, .vcpus = 2 };
	struct pm_board_layout l;
	char err[PM_BOARD_ERR_LEN];

	(void)state;
	m.opts[0] = (struct pm_board_opt){ "highmem", "0" };
	assert_int_equal(layout(&m, &l, err), 0);
	assert_null(find(&l, "gic-redist2"));
	assert_null(find(&l, "pcie-ecam-high"));
	assert_null(find(&l, "pcie-mmio-high"));
	assert_int_equal(base_of(&l, "pcie-ecam"), 0x3f000000);
	pm_board_layout_dispose(&l);
	/* RAM past 4 GiB (rounded to a GiB) is refused, as QEMU words it */
	m.memory = 3 * GiB + MiB;
	assert_int_equal(layout(&m, &l, err), -EINVAL);
	assert_string_equal(err, "memory: Addressing limited to 32 bits, but memory exceeds it by 1073741824 bytes");
}

static void machine_2_12_keeps_the_ecam_low_but_reserves_its_space(void **state)
{
	struct machine m = { .memory = GiB, .maxmem = 511 * GiB, .vcpus = 1 };
	struct pm_board_layout l;
	char err[PM_BOARD_ERR_LEN];

	(void)state;
	m.opts[0] = (struct pm_board_opt){ "compat", "2.12" };
	assert_int_equal(layout(&m, &l, err), 0);
	assert_null(find(&l, "pcie-ecam-high"));
	assert_int_equal(base_of(&l, "pcie-ecam"), 0x3f000000);
	/* redist2 and the ECAM still take [512G, 512G + 512M): MMIO goes to 1 TiB */
	assert_int_equal(base_of(&l, "pcie-mmio-high"), 1024 * GiB);
	pm_board_layout_dispose(&l);
	/* 2.12 allows 255 vCPUs, later machines 512 */
	m.opts[1] = (struct pm_board_opt){ "gic_version", "3" };
	m.vcpus = 256;
	assert_int_equal(layout(&m, &l, err), -EINVAL);
	assert_string_equal(err, "vcpus: Invalid SMP CPUs 256. The max CPUs supported by machine 'virt-2.12' is 255");
	m.opts[0].value = "4.0";
	assert_int_equal(layout(&m, &l, err), 0);
	pm_board_layout_dispose(&l);
}

static void regions_beyond_the_pa_size_are_dropped(void **state)
{
	/* cortex-a53: 40 bits; RAM up to 601 GiB, the MMIO window would end at 1.5 TiB */
	struct machine m = { .memory = 600 * GiB, .vcpus = 1 };
	struct pm_board_layout l;
	char err[PM_BOARD_ERR_LEN];

	(void)state;
	m.opts[0] = (struct pm_board_opt){ "cpu", "cortex-a53" };
	assert_int_equal(layout(&m, &l, err), 0);
	assert_null(find(&l, "pcie-mmio-high"));
	assert_int_equal(base_of(&l, "pcie-ecam-high"), 601 * GiB);
	pm_board_layout_dispose(&l);
	/* pa_bits overrides the model's */
	m.opts[1] = (struct pm_board_opt){ "pa_bits", "41" };
	assert_int_equal(layout(&m, &l, err), 0);
	assert_int_equal(base_of(&l, "pcie-mmio-high"), 1024 * GiB);
	pm_board_layout_dispose(&l);
	/* RAM itself beyond the PA size is refused */
	m.opts[1].value = "38";
	assert_int_equal(layout(&m, &l, err), -EINVAL);
	assert_string_equal(err, "memory: Addressing limited to 38 bits, but memory exceeds it by 370440929280 bytes");
}

static void bad_keys_and_machines_are_refused_by_name(void **state)
{
	static const struct {
		const char *key, *value;
		uint64_t memory, maxmem;
		unsigned vcpus;
		const char *err;
	} bad[] = {
		{ "cpu", "cortex-a15", GiB, 0, 1, "cpu: 'cortex-a15' is not a CPU model of this board" },
		{ "compat", "8.0", GiB, 0, 1, "compat: '8.0' is not a virt machine version" },
		{ "gic_version", "5", GiB, 0, 1, "gic_version: '5' is not one of v2, v3, 2, 3, 4, max, host" },
		{ "gic_version", "4", GiB, 0, 1, "gic_version: gic-version=4 requires virtualization enabled" },
		{ "gic_version", "host", GiB, 0, 1, "gic_version: gic-version=host requires KVM" },
		{ "iommu", "virtio", GiB, 0, 1, "iommu: 'virtio' is neither none nor smmuv3" },
		{ "phandle_start", "0xfffffffc", GiB, 0, 1, "phandle_start: 0xfffffffc leaves room for 3 phandles; this tree needs 5" },
		{ "gic_version", "2", GiB, 0, 9, "vcpus: Number of SMP CPUs requested (9) exceeds max CPUs supported by machine 'mach-virt' (8)" },
		{ "gic_version", "3", GiB, 0, 513, "vcpus: Invalid SMP CPUs 513. The max CPUs supported by machine 'virt-7.2' is 512" },
		{ "slots", "257", GiB, 2 * GiB, 1, "slots: unsupported number of memory slots: 257" },
		{ "slots", "2", GiB, 0, 1, "slots: memory slots were specified but maxmem is equal to memory" },
		{ "highmem", "maybe", GiB, 0, 1, "highmem: 'maybe' is not a boolean" },
		{ "pa_bits", "31", GiB, 0, 1, "pa_bits: 31 is below 32" },
		{ "xen", "1", GiB, GiB / 2, 1, "maxmem: 536870912 bytes is less than memory" },
		{ "xen", "1", GiB + 4 * KiB, 0, 1, "memory: 1073745920 bytes is not a positive multiple of 64K" },
		{ "highmem_ecma", "0", GiB, 0, 1, "highmem_ecma: not a key of board 'virt' (did you mean 'highmem_ecam'?)" },
	};
	struct pm_board_layout l;
	char err[PM_BOARD_ERR_LEN];

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct machine m = { .memory = bad[i].memory, .maxmem = bad[i].maxmem, .vcpus = bad[i].vcpus };

		m.opts[0] = (struct pm_board_opt){ bad[i].key, bad[i].value };
		assert_int_equal(layout(&m, &l, err), -EINVAL);
		if (strncmp(err, bad[i].err, strlen(bad[i].err)) != 0) {
			print_error("case %zu: got '%s', want '%s...'\n", i, err, bad[i].err);
			fail();
		}
		assert_int_equal(l.nr_regions, 0);
		assert_null(l.board_data);
	}
}

/* the device tree of @m for @boot; fails the test on error */
static void *tree(const struct machine *m, struct pm_board_boot *boot, long *len)
{
	struct pm_board_layout l;
	char err[PM_BOARD_ERR_LEN];
	void *blob = NULL;

	assert_int_equal(layout(m, &l, err), 0);
	assert_int_equal(pm_board_boot(&l, boot, err), 0);
	*len = pm_board_firmware(&l, boot, &blob);
	assert_true(*len > 0);
	assert_int_equal(fdt_check_header(blob), 0);
	assert_int_equal(fdt_totalsize(blob), *len);
	pm_board_layout_dispose(&l);
	return blob;
}

static uint64_t cell64(const void *p, int i)
{
	const fdt32_t *c = p;

	return ((uint64_t)fdt32_to_cpu(c[2 * i]) << 32) | fdt32_to_cpu(c[2 * i + 1]);
}

static void el2_and_8_cpu_clusters_are_said_and_gicv4_holds_317_vcpus(void **state)
{
	struct machine m = { .memory = GiB, .vcpus = 62 };
	struct pm_board_layout l;
	char err[PM_BOARD_ERR_LEN];

	(void)state;
	/* GICv2 with EL2: its virtual interface's two frames */
	m.opts[0] = (struct pm_board_opt){ "gic_version", "2" };
	m.opts[1] = (struct pm_board_opt){ "virtualization", "1" };
	m.vcpus = 2;
	assert_int_equal(layout(&m, &l, err), 0);
	assert_int_equal(base_of(&l, "gic-hyp"), 0x08030000);
	assert_int_equal(base_of(&l, "gic-vcpu"), 0x08040000);
	assert_int_equal(l.needs, PM_BOARD_NEEDS_EL2);
	assert_string_equal(l.needs_key, "virtualization = 1");
	pm_board_layout_dispose(&l);
	/* GICv4's redistributors take 256 KiB: 61 fit the low region, the 62nd needs the high one */
	m.opts[0] = (struct pm_board_opt){ "gic_version", "max" };
	m.vcpus = 61;
	assert_int_equal(layout(&m, &l, err), 0);
	assert_null(find(&l, "gic-redist2"));
	pm_board_layout_dispose(&l);
	m.vcpus = 62;
	assert_int_equal(layout(&m, &l, err), 0);
	assert_non_null(find(&l, "gic-redist2"));
	pm_board_layout_dispose(&l);
	m.vcpus = 318;
	assert_int_equal(layout(&m, &l, err), -EINVAL);
	assert_string_equal(err, "vcpus: Number of SMP CPUs requested (318) exceeds max CPUs supported by machine 'mach-virt' (317)");
	/* without EL2, max is GICv3: no needs, 123 in the low region */
	m.opts[1] = (struct pm_board_opt){ "virtualization", "0" };
	m.vcpus = 123;
	assert_int_equal(layout(&m, &l, err), 0);
	assert_int_equal(l.needs, 0);
	assert_null(find(&l, "gic-redist2"));
	assert_null(find(&l, "gic-hyp"));
	pm_board_layout_dispose(&l);
	/* virt-2.6 numbers vCPUs in clusters of 8: said, for a backend that numbers them by 16 */
	m.opts[0] = (struct pm_board_opt){ "gic_version", "3" };
	m.opts[1] = (struct pm_board_opt){ "compat", "2.6" };
	m.vcpus = 8;
	assert_int_equal(layout(&m, &l, err), 0);
	assert_int_equal(l.needs, 0);
	pm_board_layout_dispose(&l);
	m.vcpus = 9;
	assert_int_equal(layout(&m, &l, err), 0);
	assert_int_equal(l.needs, PM_BOARD_NEEDS_AFF8);
	assert_string_equal(l.needs_key, "compat = \"2.6\"");
	pm_board_layout_dispose(&l);
}

static void smmuv3_is_a_device_and_secure_keeps_its_windows_reserved(void **state)
{
	struct machine m = { .memory = GiB };
	struct pm_board_layout l;
	char err[PM_BOARD_ERR_LEN];
	int smmu_devices = 0;

	(void)state;
	assert_int_equal(layout(&m, &l, err), 0);
	assert_int_equal(find(&l, "smmu")->kind, PM_REGION_RESERVED);
	pm_board_layout_dispose(&l);
	m.opts[0] = (struct pm_board_opt){ "iommu", "smmuv3" };
	m.opts[1] = (struct pm_board_opt){ "secure", "1" };
	assert_int_equal(layout(&m, &l, err), 0);
	assert_int_equal(find(&l, "smmu")->kind, PM_REGION_MMIO);
	assert_int_equal(find(&l, "smmu")->size, 128 * KiB);
	for (size_t i = 0; i < l.nr_devices; i++)
		if (!strcmp(l.devices[i].model, "smmuv3") && l.devices[i].base == 0x09050000 &&
		    l.devices[i].irq == 74)
			smmu_devices++;
	assert_int_equal(smmu_devices, 1);
	/* the secure world's devices are never the normal world's */
	assert_int_equal(find(&l, "secure-uart")->kind, PM_REGION_RESERVED);
	assert_int_equal(find(&l, "secure-ram")->kind, PM_REGION_RESERVED);
	assert_int_equal(l.needs, 0);
	pm_board_layout_dispose(&l);
}

static void device_tree_describes_memory_gic_pcie_and_chosen(void **state)
{
	struct machine m = { .memory = 2 * GiB, .vcpus = 130 };
	struct pm_board_boot boot = { .kernel_size = 20 * MiB, .initrd_size = 30 * MiB,
				      .cmdline = "console=ttyAMA0 root=/dev/vda" };
	const void *p;
	long len;
	int node, plen;
	void *fdt;

	(void)state;
	fdt = tree(&m, &boot, &len);
	node = fdt_path_offset(fdt, "/memory@40000000");
	assert_true(node >= 0);
	p = fdt_getprop(fdt, node, "reg", &plen);
	assert_int_equal(plen, 16);
	assert_int_equal(cell64(p, 0), GiB);
	assert_int_equal(cell64(p, 1), 2 * GiB);
	/* 130 vCPUs: two redistributor regions */
	node = fdt_path_offset(fdt, "/intc@8000000");
	assert_true(node >= 0);
	assert_int_equal(fdt32_to_cpu(*(const fdt32_t *)fdt_getprop(fdt, node, "#redistributor-regions", NULL)), 2);
	p = fdt_getprop(fdt, node, "reg", &plen);
	assert_int_equal(plen, 3 * 16);
	assert_int_equal(cell64(p, 4), 256 * GiB);
	assert_int_equal(fdt_node_check_compatible(fdt, node, "arm,gic-v3"), 0);
	assert_true(fdt_path_offset(fdt, "/cpus/cpu@129") >= 0);
	assert_true(fdt_path_offset(fdt, "/cpus/cpu@130") < 0);
	/* PCIe: the high ECAM (256 buses) and three windows */
	node = fdt_path_offset(fdt, "/pcie@10000000");
	p = fdt_getprop(fdt, node, "reg", &plen);
	assert_int_equal(cell64(p, 0), 256 * GiB + 256 * MiB);
	assert_int_equal(fdt32_to_cpu(((const fdt32_t *)fdt_getprop(fdt, node, "bus-range", NULL))[1]), 255);
	fdt_getprop(fdt, node, "ranges", &plen);
	assert_int_equal(plen, 3 * 7 * 4);
	/* chosen: the command line and the initrd the boot plan placed */
	node = fdt_path_offset(fdt, "/chosen");
	assert_string_equal(fdt_getprop(fdt, node, "bootargs", NULL), "console=ttyAMA0 root=/dev/vda");
	assert_string_equal(fdt_getprop(fdt, node, "stdout-path", NULL), "/pl011@9000000");
	assert_int_equal(cell64(fdt_getprop(fdt, node, "linux,initrd-start", NULL), 0), boot.initrd_load);
	assert_int_equal(cell64(fdt_getprop(fdt, node, "linux,initrd-end", NULL), 0),
			 boot.initrd_load + boot.initrd_size);
	/* Xen guests find the hypervisor by its compatible */
	assert_true(fdt_node_offset_by_compatible(fdt, -1, "xen,xen") >= 0);
	free(fdt);
	m.opts[0] = (struct pm_board_opt){ "xen", "0" };
	fdt = tree(&m, &boot, &len);
	assert_true(fdt_node_offset_by_compatible(fdt, -1, "xen,xen") < 0);
	free(fdt);
}

static void device_tree_grows_its_buffer_for_512_vcpus(void **state)
{
	struct machine m = { .memory = GiB, .vcpus = 512 };
	struct pm_board_boot boot = { .kernel_size = MiB };
	long len;
	void *fdt;

	(void)state;
	/* the writer starts with 1 KiB; this tree is far larger */
	fdt = tree(&m, &boot, &len);
	assert_true(len > 64 * 1024);
	assert_true(fdt_path_offset(fdt, "/cpus/cpu@511") >= 0);
	/* MPIDR: 16 CPUs to a cluster with GICv3 */
	assert_int_equal(fdt32_to_cpu(*(const fdt32_t *)fdt_getprop(fdt, fdt_path_offset(fdt, "/cpus/cpu@511"), "reg", NULL)),
			 (31 << 8) | 15);
	free(fdt);
}

static void devices_for_physmap_dm_carry_windows_and_irqs(void **state)
{
	struct machine m = { .memory = GiB };
	struct pm_board_layout l;
	char err[PM_BOARD_ERR_LEN];
	int virtio = 0, uart = 0;

	(void)state;
	assert_int_equal(layout(&m, &l, err), 0);
	for (size_t i = 0; i < l.nr_devices; i++) {
		const struct pm_board_device *d = &l.devices[i];

		if (strcmp(d->model, "virtio-mmio") == 0) {
			assert_int_equal(d->base, 0x0a000000 + 0x200 * (uint64_t)virtio);
			assert_int_equal(d->irq, 16 + virtio);
			virtio++;
		}
		if (strcmp(d->model, "pl011") == 0) {
			assert_int_equal(d->base, 0x09000000);
			assert_int_equal(d->irq, 1);
			uart++;
		}
		assert_false(d->pio);
	}
	assert_int_equal(virtio, 32);
	assert_int_equal(uart, 1);
	pm_board_layout_dispose(&l);
}

static void boot_plan_puts_kernel_initrd_and_tree_in_ram(void **state)
{
	struct machine m = { .memory = 512 * MiB };
	struct pm_board_boot boot = { .kernel_size = 30 * MiB + 5, .kernel_entry = 0, .initrd_size = 100 * MiB };
	struct pm_board_layout l;
	char err[PM_BOARD_ERR_LEN];

	(void)state;
	assert_int_equal(layout(&m, &l, err), 0);
	assert_int_equal(pm_board_boot(&l, &boot, err), 0);
	assert_int_equal(boot.kernel_load, GiB + 2 * MiB);
	assert_int_equal(boot.initrd_load, GiB + 128 * MiB);
	assert_int_equal(boot.table_gpa, GiB + 228 * MiB);
	assert_int_equal(boot.table_gpa % (2 * MiB), 0);
	assert_int_equal(boot.vcpu.arch, PM_ARCH_AARCH64);
	assert_int_equal(boot.vcpu.pc, GiB + 2 * MiB);
	assert_int_equal(boot.vcpu.regs[0], boot.table_gpa);
	assert_int_equal(boot.vcpu.regs[1], 0);
	assert_int_equal(boot.vcpu.pstate, 0x3c5);
	/* too little RAM for all three */
	boot.initrd_size = 400 * MiB;
	assert_int_equal(pm_board_boot(&l, &boot, err), -EINVAL);
	assert_non_null(strstr(err, "initrd"));
	boot.initrd_size = 0;
	boot.kernel_size = 509 * MiB;
	assert_int_equal(pm_board_boot(&l, &boot, err), -EINVAL);
	assert_non_null(strstr(err, "device tree"));
	pm_board_layout_dispose(&l);
}

/* ---- xenarm: Xen's Arm guest ---- */

static int xenarm(uint64_t memory, unsigned vcpus, const struct pm_board_opt *opt, struct pm_board_layout *l,
		  char *err)
{
	struct pm_board_opt opts[1] = { opt ? *opt : (struct pm_board_opt){ NULL, NULL } };
	struct pm_board_config cfg = { .memory = memory, .vcpus = vcpus, .opts = opts, .nr_opts = opt != NULL };

	err[0] = '\0';
	return pm_board_layout(pm_board_find("xenarm"), &cfg, l, err);
}

static void xenarm_map_is_xens_with_ram_in_two_banks(void **state)
{
	struct pm_board_layout l;
	char err[PM_BOARD_ERR_LEN];

	(void)state;
	assert_int_equal(xenarm(4 * GiB, 2, NULL, &l, err), 0);
	assert_int_equal(base_of(&l, "gic-dist"), 0x03001000);
	assert_int_equal(find(&l, "gic-dist")->size, 64 * KiB);
	assert_int_equal(base_of(&l, "gic-redist"), 0x03020000);
	assert_int_equal(base_of(&l, "xen-grant-table"), 0x38000000);
	assert_int_equal(base_of(&l, "xen-magic"), 0x39000000);
	assert_int_equal(base_of(&l, "ram0"), GiB);
	assert_int_equal(find(&l, "ram0")->size, 3 * GiB);
	assert_int_equal(base_of(&l, "ram1"), 8 * GiB);
	assert_int_equal(find(&l, "ram1")->size, GiB);
	assert_null(find(&l, "vpl011"));
	pm_board_layout_dispose(&l);
	assert_int_equal(xenarm(GiB, 8, &(struct pm_board_opt){ "gic_version", "v2" }, &l, err), 0);
	assert_int_equal(find(&l, "gic-dist")->size, 4 * KiB);
	assert_int_equal(base_of(&l, "gic-cpu"), 0x03002000);
	assert_null(find(&l, "ram1"));
	pm_board_layout_dispose(&l);
	assert_int_equal(xenarm(GiB, 1, &(struct pm_board_opt){ "vuart", "sbsa_uart" }, &l, err), 0);
	assert_int_equal(base_of(&l, "vpl011"), 0x22000000);
	pm_board_layout_dispose(&l);
	/* refused, naming the key */
	assert_int_equal(xenarm(GiB, 9, &(struct pm_board_opt){ "gic_version", "v2" }, &l, err), -EINVAL);
	assert_string_equal(err, "vcpus: 9 is more than a GICv2 guest of Xen can have (8)");
	assert_int_equal(xenarm(GiB, 129, NULL, &l, err), -EINVAL);
	assert_string_equal(err, "vcpus: 129 is more than an Arm guest of Xen can have (128)");
	assert_int_equal(xenarm(1020 * GiB, 1, NULL, &l, err), -EINVAL);
	assert_string_equal(err, "memory: 1044480 MiB is more than Xen's Arm guest RAM banks hold (1019 GiB)");
	assert_int_equal(xenarm(GiB, 1, &(struct pm_board_opt){ "vuart", "pl011" }, &l, err), -EINVAL);
	assert_int_equal(xenarm(GiB, 1, &(struct pm_board_opt){ "gic_version", "v4" }, &l, err), -EINVAL);
	assert_int_equal(l.nr_regions, 0);
}

static void xenarm_puts_initrd_and_tree_at_128m_or_atop_bank_0(void **state)
{
	struct pm_board_boot boot = { .kernel_size = 30 * MiB, .initrd_size = 2 * MiB + 5, .cmdline = "console=hvc0" };
	struct pm_board_layout l;
	char err[PM_BOARD_ERR_LEN];

	(void)state;
	assert_int_equal(xenarm(512 * MiB, 2, NULL, &l, err), 0);
	assert_int_equal(pm_board_boot(&l, &boot, err), 0);
	assert_int_equal(boot.kernel_load, GiB);
	assert_int_equal(boot.vcpu.pc, GiB);
	assert_int_equal(boot.initrd_load, GiB + 128 * MiB);
	assert_int_equal(boot.table_gpa, GiB + 128 * MiB + 2 * MiB + 4 * KiB);   /* the initrd page-rounded */
	assert_int_equal(boot.vcpu.regs[0], boot.table_gpa);
	assert_int_equal(boot.table_max % (4 * KiB), 0);
	assert_int_equal(boot.vcpu.pstate, 0x1c5);
	pm_board_layout_dispose(&l);
	/* 128 MiB: the top of bank 0, the tree last */
	assert_int_equal(xenarm(128 * MiB, 2, NULL, &l, err), 0);
	assert_int_equal(pm_board_boot(&l, &boot, err), 0);
	assert_int_equal(boot.table_gpa + boot.table_max, GiB + 128 * MiB);
	assert_int_equal(boot.initrd_load + 2 * MiB + 4 * KiB, boot.table_gpa);
	/* an initrd past bank 0, and one whose size wraps */
	boot.initrd_size = 200 * MiB;
	assert_int_equal(pm_board_boot(&l, &boot, err), -EINVAL);
	assert_non_null(strstr(err, "initrd"));
	boot.initrd_size = UINT64_MAX - 100;
	assert_int_equal(pm_board_boot(&l, &boot, err), -EINVAL);
	boot.initrd_size = 2 * MiB + 5;
	/* no room beside a kernel that fills it */
	boot.kernel_size = 127 * MiB;
	assert_int_equal(pm_board_boot(&l, &boot, err), -EINVAL);
	assert_non_null(strstr(err, "leave no room"));
	pm_board_layout_dispose(&l);
}

static void xenarm_tree_is_libxls(void **state)
{
	struct pm_board_boot boot = { .kernel_size = 8 * MiB, .initrd_size = 4 * KiB, .cmdline = "console=hvc0" };
	struct pm_board_layout l;
	char err[PM_BOARD_ERR_LEN];
	void *blob = NULL;
	const void *p;
	int node, len;

	(void)state;
	assert_int_equal(xenarm(GiB, 17, &(struct pm_board_opt){ "vuart", "sbsa_uart" }, &l, err), 0);
	assert_int_equal(pm_board_boot(&l, &boot, err), 0);
	assert_true(pm_board_firmware(&l, &boot, &blob) > 0);
	assert_int_equal(fdt_check_header(blob), 0);
	assert_string_equal(fdt_getprop(blob, 0, "model", NULL), "XENVM-4.17");
	/* vCPU 16 is MPIDR 0x100: the second cluster of 16 */
	assert_true(fdt_path_offset(blob, "/cpus/cpu@f") >= 0);
	node = fdt_path_offset(blob, "/cpus/cpu@100");
	assert_true(node >= 0);
	assert_int_equal(fdt32_to_cpu(*(const fdt32_t *)fdt_getprop(blob, node, "reg", NULL)), 0x100);
	node = fdt_path_offset(blob, "/chosen");
	p = fdt_getprop(blob, node, "linux,initrd-start", &len);
	assert_int_equal(len, 8);
	assert_int_equal(cell64(p, 0), boot.initrd_load);
	assert_int_equal(cell64(fdt_getprop(blob, node, "linux,initrd-end", NULL), 0), boot.initrd_load + 4 * KiB);
	assert_int_equal(fdt_getprop(blob, node, "rng-seed", &len) != NULL && len == 128, 1);
	/* the grant table window, then bank 0's rest above 2 GiB and bank 1 under 40 bits */
	p = fdt_getprop(blob, fdt_path_offset(blob, "/hypervisor"), "reg", &len);
	assert_int_equal(len, 3 * 16);
	assert_int_equal(cell64(p, 0), 0x38000000);
	assert_int_equal(cell64(p, 2), 2 * GiB);
	assert_int_equal(cell64(p, 3), 2 * GiB);
	assert_int_equal(cell64(p, 4), 8 * GiB);
	assert_int_equal(cell64(p, 5), (UINT64_C(1) << 40) - 8 * GiB);
	assert_true(fdt_path_offset(blob, "/memory@200000000") < 0);   /* bank 1 unused */
	node = fdt_path_offset(blob, "/sbsa-pl011");
	p = fdt_getprop(blob, node, "interrupts", NULL);
	assert_int_equal(fdt32_to_cpu(((const fdt32_t *)p)[1]), 0);   /* SPI 32 */
	free(blob);
	pm_board_layout_dispose(&l);
}

static void pc_boot_plan_is_pvh_with_the_initrd_as_a_module(void **state)
{
	struct pm_board_config cfg = { .memory = GiB, .vcpus = 1 };
	struct pm_board_boot boot = { .kernel_size = 8 * MiB, .kernel_gpa = 16 * MiB,
				      .kernel_entry = 16 * MiB + 0x1234, .initrd_size = 10 * MiB,
				      .cmdline = "console=ttyS0" };
	struct pm_board_layout l;
	char err[PM_BOARD_ERR_LEN];
	uint8_t *blob = NULL;
	const uint32_t *si;
	long len;

	(void)state;
	assert_int_equal(pm_board_layout(pm_board_find("pc"), &cfg, &l, err), 0);
	assert_int_equal(pm_board_boot(&l, &boot, err), 0);
	assert_int_equal(boot.vcpu.arch, PM_ARCH_X86_32);
	assert_int_equal(boot.vcpu.pc, 16 * MiB + 0x1234);
	assert_int_equal(boot.vcpu.regs[1], boot.table_gpa);
	assert_int_equal(boot.vcpu.cr0, 1);
	assert_int_equal(boot.initrd_load + boot.initrd_size, GiB);
	len = pm_board_firmware(&l, &boot, (void **)&blob);
	assert_true(len > 0);
	si = (const uint32_t *)blob;
	assert_int_equal(si[0], 0x336ec578);    /* XEN_HVM_START_MAGIC_VALUE */
	assert_int_equal(si[3], 1);             /* nr_modules */
	pm_board_layout_dispose(&l);
	free(blob);
	/* a kernel outside RAM is refused */
	assert_int_equal(pm_board_layout(pm_board_find("pc"), &cfg, &l, err), 0);
	boot.kernel_gpa = 0xfee00000;
	assert_int_equal(pm_board_boot(&l, &boot, err), -EINVAL);
	assert_non_null(strstr(err, "kernel"));
	pm_board_layout_dispose(&l);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(low_map_is_qemus_fixed_map),
		cmocka_unit_test(high_regions_float_above_ram_from_256g_each_aligned),
		cmocka_unit_test(compact_layout_gives_unused_regions_no_space),
		cmocka_unit_test(a_region_toggle_disables_just_that_region),
		cmocka_unit_test(highmem_off_is_a_32_bit_address_space),
		cmocka_unit_test(machine_2_12_keeps_the_ecam_low_but_reserves_its_space),
		cmocka_unit_test(regions_beyond_the_pa_size_are_dropped),
		cmocka_unit_test(bad_keys_and_machines_are_refused_by_name),
		cmocka_unit_test(el2_and_8_cpu_clusters_are_said_and_gicv4_holds_317_vcpus),
		cmocka_unit_test(smmuv3_is_a_device_and_secure_keeps_its_windows_reserved),
		cmocka_unit_test(device_tree_describes_memory_gic_pcie_and_chosen),
		cmocka_unit_test(device_tree_grows_its_buffer_for_512_vcpus),
		cmocka_unit_test(devices_for_physmap_dm_carry_windows_and_irqs),
		cmocka_unit_test(boot_plan_puts_kernel_initrd_and_tree_in_ram),
		cmocka_unit_test(pc_boot_plan_is_pvh_with_the_initrd_as_a_module),
		cmocka_unit_test(xenarm_map_is_xens_with_ram_in_two_banks),
		cmocka_unit_test(xenarm_puts_initrd_and_tree_at_128m_or_atop_bank_0),
		cmocka_unit_test(xenarm_tree_is_libxls),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
