/*
 * xen-arm.c - the `xenarm` board: the machine Xen 4.17 gives an Arm guest
 * (xen/include/public/arch-arm.h) and the device tree libxl writes for it
 *
 * The map is Xen's and fixed: the GIC (v2: distributor at 0x03001000, 4K,
 * CPU interface at 0x03002000, 8K; v3: distributor 64K there,
 * redistributors at 0x03020000, 16M, vCPUs 0-127), the vpl011 at
 * 0x22000000 (vuart = "sbsa_uart"), the grant table window at 0x38000000
 * (16M), the magic pages at 0x39000000 (16M: console, store, ...), RAM bank
 * 0 at 1 GiB (up to 3 GiB) and bank 1 at 8 GiB (the rest, up to 1016 GiB).
 * Xen emulates the GIC, the timer and the vpl011 itself: no device model.
 *
 * Boot, as libxenguest's xg_dom_arm: the Image at the start of RAM (its
 * text_offset, 0 for every arm64 Linux since 5.8), entered there; the
 * initrd, then the tree, each page-rounded, at 128 MiB into RAM when both
 * fit there above the kernel, else at the top of bank 0, else just below
 * the kernel; x0 = the tree.
 *
 * The tree is libxl_arm.c's node for node (dtc reads both alike): the root
 * (model XENVM-4.17), chosen (bootargs, the initrd, 128 bytes of rng-seed),
 * a cpu node per vCPU (MPIDR Aff0 0-15, Aff1 above), PSCI by HVC, a memory
 * node per RAM bank in use, the GIC (phandle 65000), the timer, the
 * hypervisor node (the grant table window, then the extended regions: the
 * free 2 MiB-aligned rest of each bank under the guest's physical address
 * size, when 64 MiB or more) and the vpl011.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "physmap/board.h"
#include "alloc-internal.h"
#include "fdtw.h"
#include "board-internal.h"

#define KiB (UINT64_C(1) << 10)
#define MiB (UINT64_C(1) << 20)
#define GiB (UINT64_C(1) << 30)

#define GICD_BASE        UINT64_C(0x03001000)
#define GICV2_GICD_SIZE  (4 * KiB)
#define GICV2_GICC_BASE  UINT64_C(0x03002000)
#define GICV2_GICC_SIZE  (8 * KiB)
#define GICV3_GICD_SIZE  (64 * KiB)
#define GICV3_GICR0_BASE UINT64_C(0x03020000)
#define GICV3_GICR0_SIZE (16 * MiB)
#define PL011_BASE       UINT64_C(0x22000000)
#define PL011_SIZE       (4 * KiB)
#define GNTTAB_BASE      UINT64_C(0x38000000)
#define GNTTAB_SIZE      (16 * MiB)
#define MAGIC_BASE       UINT64_C(0x39000000)
#define MAGIC_SIZE       (16 * MiB)
#define RAM0_BASE        GiB
#define RAM0_SIZE        (3 * GiB)
#define RAM1_BASE        (8 * GiB)
#define RAM1_SIZE        (1016 * GiB)
#define MAX_VCPUS        128      /* GUEST_MAX_VCPUS: GICv3's 16 MiB of redistributors */
#define GICV2_MAX_VCPUS  8
#define EXT_REGION_MIN   (64 * MiB)

#define PHANDLE_GIC      65000    /* GUEST_PHANDLE_GIC */
#define PPI_TIMER_VIRT   27
#define PPI_TIMER_PHYS_S 29
#define PPI_TIMER_PHYS_NS 30
#define PPI_EVTCHN       31
#define SPI_VPL011       32
#define IRQ_LEVEL_HIGH   4
#define IRQ_LEVEL_LOW    8
#define PSCI_CPU_OFF     1        /* Xen's PSCI 0.1 function numbers */
#define PSCI_CPU_ON      2

static const struct pm_board_key xenarm_keys[] = {
	{ "gic_version", "string", "v2 or v3, as xl.cfg(5) (default v3)" },
	{ "vuart", "string", "sbsa_uart: Xen's emulated PL011 (SBSA) at 0x22000000 (default none)" },
	{ "gpaddr_bits", "int", "the guest's physical address bits Xen gives it, 32-48: where the extended regions end (default 40)" },
	{ "clock_frequency", "int", "the timer's frequency in Hz for the tree (default 0: the guest reads CNTFRQ)" },
	{ NULL, NULL, NULL },
};

struct xenarm {
	uint64_t bank[2];        /* bytes of RAM in each bank */
	unsigned vcpus, gic, gpaddr_bits;
	uint32_t clock_frequency;
	int vuart;
};

static uint64_t round_up(uint64_t v, uint64_t align)
{
	return (v + align - 1) & ~(align - 1);
}

static int parse(const struct pm_board_config *cfg, struct xenarm *x, char *err)
{
	const char *gic = pm_board_opt(cfg, "gic_version"), *vuart = pm_board_opt(cfg, "vuart");
	uint64_t n, ram = cfg->memory;
	int rc;

	x->gic = 3;
	if (gic && (!strcmp(gic, "v2") || !strcmp(gic, "2")))
		x->gic = 2;
	else if (gic && strcmp(gic, "v3") && strcmp(gic, "3"))
		return pm__board_fail(err, "gic_version: '%s' is neither v2 nor v3", gic);
	if (vuart && strcmp(vuart, "sbsa_uart"))
		return pm__board_fail(err, "vuart: '%s' is not sbsa_uart (the only vuart Xen emulates on Arm)", vuart);
	x->vuart = vuart != NULL;
	rc = pm_board_opt_uint(cfg, "gpaddr_bits", 40, 48, &n, err);
	if (rc)
		return rc;
	if (n < 32)
		return pm__board_fail(err, "gpaddr_bits: %" PRIu64 " is below 32", n);
	x->gpaddr_bits = (unsigned)n;
	rc = pm_board_opt_uint(cfg, "clock_frequency", 0, UINT32_MAX, &n, err);
	if (rc)
		return rc;
	x->clock_frequency = (uint32_t)n;
	x->vcpus = cfg->max_vcpus > cfg->vcpus ? cfg->max_vcpus : cfg->vcpus ? cfg->vcpus : 1;
	if (x->gic == 2 && x->vcpus > GICV2_MAX_VCPUS)
		return pm__board_fail(err, "vcpus: %u is more than a GICv2 guest of Xen can have (%u)", x->vcpus,
			    GICV2_MAX_VCPUS);
	if (x->vcpus > MAX_VCPUS)
		return pm__board_fail(err, "vcpus: %u is more than an Arm guest of Xen can have (%u)", x->vcpus, MAX_VCPUS);
	if (ram == 0 || ram % (4 * KiB))
		return pm__board_fail(err, "memory: %" PRIu64 " bytes is not a positive whole number of 4 KiB pages", ram);
	if (ram > RAM0_SIZE + RAM1_SIZE)
		return pm__board_fail(err, "memory: %" PRIu64 " MiB is more than Xen's Arm guest RAM banks hold (%" PRIu64 " GiB)",
			    ram >> 20, (RAM0_SIZE + RAM1_SIZE) >> 30);
	if (cfg->maxmem > RAM0_SIZE + RAM1_SIZE)
		return pm__board_fail(err, "maxmem: %" PRIu64 " MiB is more than Xen's Arm guest RAM banks hold (%" PRIu64 " GiB)",
			    cfg->maxmem >> 20, (RAM0_SIZE + RAM1_SIZE) >> 30);
	x->bank[0] = ram > RAM0_SIZE ? RAM0_SIZE : ram;
	x->bank[1] = ram - x->bank[0];
	return 0;
}

static int xenarm_layout(const struct pm_board_config *cfg, struct pm_board_layout *l, char *err)
{
	struct xenarm *x = pm__calloc(1, sizeof(*x));
	int rc;

	if (!x)
		return -ENOMEM;
	l->board_data = x;
	rc = parse(cfg, x, err);
	if (rc == 0 && x->gic == 2)
		rc = pm_board_add_region(l, "gic-dist", GICD_BASE, GICV2_GICD_SIZE, PM_REGION_MMIO);
	if (rc == 0 && x->gic == 2)
		rc = pm_board_add_region(l, "gic-cpu", GICV2_GICC_BASE, GICV2_GICC_SIZE, PM_REGION_MMIO);
	if (rc == 0 && x->gic == 3)
		rc = pm_board_add_region(l, "gic-dist", GICD_BASE, GICV3_GICD_SIZE, PM_REGION_MMIO);
	if (rc == 0 && x->gic == 3)
		rc = pm_board_add_region(l, "gic-redist", GICV3_GICR0_BASE, GICV3_GICR0_SIZE, PM_REGION_MMIO);
	if (rc == 0 && x->vuart)
		rc = pm_board_add_region(l, "vpl011", PL011_BASE, PL011_SIZE, PM_REGION_MMIO);
	if (rc == 0)
		rc = pm_board_add_region(l, "xen-grant-table", GNTTAB_BASE, GNTTAB_SIZE, PM_REGION_RESERVED);
	if (rc == 0)
		rc = pm_board_add_region(l, "xen-magic", MAGIC_BASE, MAGIC_SIZE, PM_REGION_RESERVED);
	if (rc == 0)
		rc = pm_board_add_region(l, "ram0", RAM0_BASE, x->bank[0], PM_REGION_RAM);
	if (rc == 0 && x->bank[1])
		rc = pm_board_add_region(l, "ram1", RAM1_BASE, x->bank[1], PM_REGION_RAM);
	l->special_gpa = MAGIC_BASE;   /* console, store, ...: GUEST_MAGIC_BASE, as libxl */
	l->arm_gic = x->gic;
	l->arm_spis = x->vuart ? SPI_VPL011 - 32 + 1 : 0;   /* libxl's nr_spis: up to the vpl011's */
	if (x->vuart) {
		l->needs |= PM_BOARD_NEEDS_VPL011;
		snprintf(l->needs_key, sizeof(l->needs_key), "vuart = \"sbsa_uart\"");
	}
	return rc;
}

/* ---- the device tree ---- */

/* an interrupt as libxl writes it: PPI or SPI, its number, all CPUs, the trigger */
static void interrupt(struct fdtw *w, unsigned irq, uint32_t trigger)
{
	int ppi = irq < 32;

	fdtw_cells(w, "interrupts", (uint32_t[]){ ppi, irq - (ppi ? 16 : 32), (0xfu << 8) | trigger }, 3);
	fdtw_u32(w, "interrupt-parent", PHANDLE_GIC);
}

static void fdt_chosen(struct fdtw *w, const struct pm_board_boot *b)
{
	fdtw_begin(w, "chosen");
	if (b && b->cmdline)
		fdtw_str(w, "bootargs", b->cmdline);
	if (b && b->initrd_size) {
		uint64_t s = b->initrd_load, e = b->initrd_load + round_up(b->initrd_size, 4 * KiB);

		fdtw_cells(w, "linux,initrd-start", (uint32_t[]){ (uint32_t)(s >> 32), (uint32_t)s }, 2);
		fdtw_cells(w, "linux,initrd-end", (uint32_t[]){ (uint32_t)(e >> 32), (uint32_t)e }, 2);
	}
	fdtw_random(w, "rng-seed", 128);
	fdtw_end(w);
}

/* MPIDR affinity as libxl numbers vCPUs: 16 to an Aff1 cluster */
static uint32_t mpidr(unsigned cpu)
{
	return (cpu & 0x0f) | (((cpu >> 4) & 0xff) << 8);
}

static void fdt_cpus(struct fdtw *w, const struct xenarm *x)
{
	fdtw_begin(w, "cpus");
	fdtw_u32(w, "#address-cells", 1);
	fdtw_u32(w, "#size-cells", 0);
	for (unsigned i = 0; i < x->vcpus; i++) {
		fdtw_begin(w, "cpu@%" PRIx32, mpidr(i));
		fdtw_str(w, "device_type", "cpu");
		fdtw_str(w, "compatible", "arm,armv8");
		fdtw_str(w, "enable-method", "psci");
		fdtw_u32(w, "reg", mpidr(i));
		fdtw_end(w);
	}
	fdtw_end(w);
}

static void fdt_psci(struct fdtw *w)
{
	static const char compatible[] = "arm,psci-1.0\0arm,psci-0.2\0arm,psci";

	fdtw_begin(w, "psci");
	fdtw_strs(w, "compatible", compatible, sizeof(compatible));
	fdtw_str(w, "method", "hvc");
	fdtw_u32(w, "cpu_off", PSCI_CPU_OFF);
	fdtw_u32(w, "cpu_on", PSCI_CPU_ON);
	fdtw_end(w);
}

/* one node a bank in use (libxl nops out the empty one) */
static void fdt_memory(struct fdtw *w, const struct xenarm *x)
{
	static const uint64_t base[2] = { RAM0_BASE, RAM1_BASE };

	for (int i = 0; i < 2; i++) {
		if (!x->bank[i])
			continue;
		fdtw_begin(w, "memory@%" PRIx64, base[i]);
		fdtw_str(w, "device_type", "memory");
		fdtw_reg(w, "reg", (uint64_t[]){ base[i], x->bank[i] }, 1);
		fdtw_end(w);
	}
}

static void fdt_gic(struct fdtw *w, const struct xenarm *x)
{
	static const char v2[] = "arm,cortex-a15-gic\0arm,cortex-a9-gic";

	fdtw_begin(w, "interrupt-controller@%" PRIx64, GICD_BASE);
	if (x->gic == 2)
		fdtw_strs(w, "compatible", v2, sizeof(v2));
	else
		fdtw_str(w, "compatible", "arm,gic-v3");
	fdtw_u32(w, "#interrupt-cells", 3);
	fdtw_u32(w, "#address-cells", 0);
	fdtw_prop(w, "interrupt-controller", NULL, 0);
	if (x->gic == 2)
		fdtw_reg(w, "reg", (uint64_t[]){ GICD_BASE, GICV2_GICD_SIZE, GICV2_GICC_BASE, GICV2_GICC_SIZE }, 2);
	else
		fdtw_reg(w, "reg", (uint64_t[]){ GICD_BASE, GICV3_GICD_SIZE, GICV3_GICR0_BASE, GICV3_GICR0_SIZE }, 2);
	fdtw_u32(w, "linux,phandle", PHANDLE_GIC);
	fdtw_u32(w, "phandle", PHANDLE_GIC);
	fdtw_end(w);
}

static void fdt_timer(struct fdtw *w, const struct xenarm *x)
{
	uint32_t flags = (0xfu << 8) | IRQ_LEVEL_LOW;

	fdtw_begin(w, "timer");
	fdtw_str(w, "compatible", "arm,armv8-timer");
	fdtw_cells(w, "interrupts", (uint32_t[]){ 1, PPI_TIMER_PHYS_S - 16, flags, 1, PPI_TIMER_PHYS_NS - 16, flags,
						  1, PPI_TIMER_VIRT - 16, flags }, 9);
	fdtw_u32(w, "interrupt-parent", PHANDLE_GIC);
	if (x->clock_frequency)
		fdtw_u32(w, "clock-frequency", x->clock_frequency);
	fdtw_end(w);
}

/*
 * the grant table window, then an extended region in each bank: its free
 * rest from the 2 MiB boundary after the guest's RAM to the end of the
 * bank or of the guest's physical address space, when 64 MiB or more
 */
static void fdt_hypervisor(struct fdtw *w, const struct xenarm *x)
{
	static const char compatible[] = "xen,xen-4.17\0xen,xen";
	static const uint64_t base[2] = { RAM0_BASE, RAM1_BASE }, size[2] = { RAM0_SIZE, RAM1_SIZE };
	uint64_t reg[6] = { GNTTAB_BASE, GNTTAB_SIZE }, pa_end = (UINT64_C(1) << x->gpaddr_bits) - 1;
	size_t n = 1;

	for (int i = 0; i < 2; i++) {
		uint64_t start = base[i] + round_up(x->bank[i], 2 * MiB);
		uint64_t last = base[i] + size[i] - 1 < pa_end ? base[i] + size[i] - 1 : pa_end;

		if (last > start && last - start + 1 >= EXT_REGION_MIN) {
			reg[2 * n] = start;
			reg[2 * n + 1] = last - start + 1;
			n++;
		}
	}
	fdtw_begin(w, "hypervisor");
	fdtw_strs(w, "compatible", compatible, sizeof(compatible));
	fdtw_reg(w, "reg", reg, n);
	interrupt(w, PPI_EVTCHN, IRQ_LEVEL_LOW);
	fdtw_end(w);
}

static void fdt_vpl011(struct fdtw *w)
{
	fdtw_begin(w, "sbsa-pl011");
	fdtw_str(w, "compatible", "arm,sbsa-uart");
	fdtw_reg(w, "reg", (uint64_t[]){ PL011_BASE, PL011_SIZE }, 1);
	interrupt(w, SPI_VPL011, IRQ_LEVEL_HIGH);
	fdtw_u32(w, "current-speed", 115200);
	fdtw_end(w);
}

static long xenarm_firmware(const struct pm_board_layout *l, const struct pm_board_boot *b, void **blob)
{
	static const char compatible[] = "xen,xenvm-4.17\0xen,xenvm";
	const struct xenarm *x = l->board_data;
	struct fdtw w;

	if (fdtw_start(&w))
		return w.rc;
	fdtw_str(&w, "model", "XENVM-4.17");
	fdtw_strs(&w, "compatible", compatible, sizeof(compatible));
	fdtw_u32(&w, "interrupt-parent", PHANDLE_GIC);
	fdtw_u32(&w, "#address-cells", 2);
	fdtw_u32(&w, "#size-cells", 2);
	fdt_chosen(&w, b);
	fdt_cpus(&w, x);
	fdt_psci(&w);
	fdt_memory(&w, x);
	fdt_gic(&w, x);
	fdt_timer(&w, x);
	fdt_hypervisor(&w, x);
	if (x->vuart)
		fdt_vpl011(&w);
	return fdtw_finish(&w, blob);
}

/*
 * xg_dom_arm's placement: the initrd and the tree after it at 128 MiB into
 * RAM, or at the top of bank 0, or below the kernel; the tree's size is
 * its own (measured: the addresses in it do not change it), page-rounded
 */
static int xenarm_boot(const struct pm_board_layout *l, struct pm_board_boot *b, char *err)
{
	const struct xenarm *x = l->board_data;
	uint64_t bank0_end = RAM0_BASE + x->bank[0], kernel_end, initrd, tree, mods, base;
	void *blob = NULL;
	long size;

	b->kernel_load = b->kernel_gpa ? b->kernel_gpa : RAM0_BASE;
	kernel_end = b->kernel_load + b->kernel_size;
	if (b->kernel_load < RAM0_BASE || kernel_end < b->kernel_load || kernel_end > bank0_end)
		return pm__board_fail(err, "kernel: %" PRIu64 " bytes at 0x%" PRIx64 " do not fit in RAM bank 0 [0x%" PRIx64 ", 0x%" PRIx64 ")",
			    b->kernel_size, b->kernel_load, RAM0_BASE, bank0_end);
	kernel_end = round_up(kernel_end, 2 * MiB);
	b->initrd_load = 0;
	size = xenarm_firmware(l, b, &blob);
	if (size < 0)
		return (int)size;
	free(blob);
	tree = round_up((uint64_t)size, 4 * KiB);
	initrd = round_up(b->initrd_size, 4 * KiB);
	mods = tree + initrd;
	if (initrd < b->initrd_size || mods > x->bank[0])
		return pm__board_fail(err, "initrd: %" PRIu64 " bytes and the device tree do not fit in RAM bank 0 (%" PRIu64 " MiB)",
			    b->initrd_size, x->bank[0] >> 20);
	if (bank0_end >= RAM0_BASE + 128 * MiB + mods && kernel_end < RAM0_BASE + 128 * MiB)
		base = RAM0_BASE + 128 * MiB;
	else if (bank0_end - mods > kernel_end)
		base = bank0_end - mods;
	else if (b->kernel_load - RAM0_BASE > mods)
		base = b->kernel_load - mods;
	else
		return pm__board_fail(err, "memory: %" PRIu64 " MiB of RAM leave no room for the initrd and the device tree beside the kernel",
			    x->bank[0] >> 20);
	b->initrd_load = b->initrd_size ? base : 0;
	b->table_gpa = base + initrd;
	b->table_max = tree;
	b->cmdline_gpa = 0;   /* /chosen/bootargs carries it */
	memset(&b->vcpu, 0, sizeof(b->vcpu));
	b->vcpu.arch = PM_ARCH_AARCH64;
	b->vcpu.pc = b->kernel_gpa ? b->kernel_entry : b->kernel_load + b->kernel_entry;
	b->vcpu.regs[0] = b->table_gpa;
	b->vcpu.pstate = 0x1c5;   /* Xen's PSR_GUEST64_INIT: A, I, F masked; EL1h */
	return 0;
}

const struct board_ops pm__board_xenarm = {
	.name = "xenarm",
	.summary = "the Arm guest Xen 4.17 builds (arch-arm.h's map, libxl's device tree), as xl on Arm",
	.keys = xenarm_keys,
	.image_only = true,
	.layout = xenarm_layout,
	.boot = xenarm_boot,
	.firmware = xenarm_firmware,
};
