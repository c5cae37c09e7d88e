/*
 * arm-virt.c - the ARM `virt` board: QEMU's virt memory map and its device
 * tree
 *
 * The low map is fixed (flash, GIC, UART, RTC, fw-cfg, GPIO, virtio-mmio,
 * platform bus, 32-bit PCIe windows); RAM starts at 1 GiB; device memory
 * (maxmem - memory + slots GiB) follows RAM, GiB-aligned. Above both, and
 * never below 256 GiB, float three high regions, each aligned to its size:
 * the second GICv3 redistributor region (64 MiB), the high PCIe ECAM
 * (256 MiB) and the high PCIe MMIO window (512 GiB). A region that does not
 * fit the physical address size is dropped; each can be turned off
 * (highmem_redists, highmem_ecam, highmem_mmio) and highmem=0 turns off all
 * three (it is a 32-bit physical address space).
 *
 * Two ways to place them (the 2022 rework of virt_set_memmap):
 *   compact (default): a region that is off, dropped or not needed (the
 *     second redistributor region with GICv2 or 123 vCPUs or fewer) takes
 *     no address space, so the regions after it move down;
 *   compat = "X.Y": QEMU's machine virt-X.Y as QEMU 7.2 builds it: every
 *     region takes its space whether or not it is used, ECAM stays low on
 *     2.12, and the vCPU limits and refusals are QEMU's, with its messages.
 *
 * The device tree follows QEMU's node for node (dtc reads both alike), plus
 * a `hypervisor` node for Xen guests whose grant-table window sits in the
 * free 16 MiB below the PCIe MMIO window.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libfdt.h>

#include "physmap/board.h"
#include "alloc-internal.h"

#define KiB (UINT64_C(1) << 10)
#define MiB (UINT64_C(1) << 20)
#define GiB (UINT64_C(1) << 30)

/* testdev=1: physmap's self-test devices, in the gap before the platform bus */
#define TESTDEV_BASE      UINT64_C(0x0b000000)
#define FLASH_BASE        UINT64_C(0)
#define FLASH_BANK        (64 * MiB)
#define GIC_DIST          UINT64_C(0x08000000)
#define GIC_CPU           UINT64_C(0x08010000)
#define GIC_V2M           UINT64_C(0x08020000)
#define GIC_ITS           UINT64_C(0x08080000)
#define GIC_REDIST        UINT64_C(0x080a0000)
#define GIC_REDIST_SIZE   UINT64_C(0x00f60000)
#define GICV3_REDIST_SIZE (128 * KiB)   /* one vCPU's redistributor */
#define UART_BASE         UINT64_C(0x09000000)
#define RTC_BASE          UINT64_C(0x09010000)
#define FW_CFG_BASE       UINT64_C(0x09020000)
#define FW_CFG_SIZE       UINT64_C(0x18)
#define GPIO_BASE         UINT64_C(0x09030000)
#define SECURE_UART_BASE  UINT64_C(0x09040000)
#define SMMU_BASE         UINT64_C(0x09050000)
#define SECURE_GPIO_BASE  UINT64_C(0x090b0000)
#define VIRTIO_BASE       UINT64_C(0x0a000000)
#define VIRTIO_SIZE       UINT64_C(0x200)
#define VIRTIO_COUNT      32
#define PLATFORM_BASE     UINT64_C(0x0c000000)
#define PLATFORM_SIZE     (32 * MiB)
#define SECURE_MEM_BASE   UINT64_C(0x0e000000)
#define XEN_GNTTAB_BASE   UINT64_C(0x0f000000)
#define XEN_GNTTAB_SIZE   (16 * MiB)
#define PCIE_MMIO_BASE    UINT64_C(0x10000000)
#define PCIE_MMIO_SIZE    UINT64_C(0x2eff0000)
#define PCIE_PIO_BASE     UINT64_C(0x3eff0000)
#define PCIE_PIO_SIZE     (64 * KiB)
#define PCIE_ECAM_BASE    UINT64_C(0x3f000000)
#define PCIE_ECAM_SIZE    (16 * MiB)
#define RAM_BASE          GiB
#define HIGH_FLOOR        (256 * GiB)   /* RAM_BASE + QEMU's legacy 255 GiB */
#define REDIST2_SIZE      (64 * MiB)
#define HIGH_ECAM_SIZE    (256 * MiB)
#define HIGH_MMIO_SIZE    (512 * GiB)
#define MAX_RAM_SLOTS     256

/* GIC SPIs, as QEMU's virt irqmap */
#define IRQ_UART   1
#define IRQ_RTC    2
#define IRQ_PCIE   3
#define IRQ_GPIO   7
#define IRQ_VIRTIO 16

/* PPIs */
#define PPI_TIMER_S_EL1   13
#define PPI_TIMER_NS_EL1  14
#define PPI_TIMER_VIRT    11
#define PPI_TIMER_NS_EL2  10
#define PPI_PMU           7
#define PPI_XEN_EVTCHN    15

struct cpu_model {
	const char *name;
	const char *compatible;
	unsigned pa_bits;
};

/* QEMU 7.2's aarch64 models for virt, with the PA size their ID registers give */
static const struct cpu_model cpu_models[] = {
	{ "max", "arm,cortex-a57", 52 },
	{ "cortex-a53", "arm,cortex-a53", 40 },
	{ "cortex-a57", "arm,cortex-a57", 44 },
	{ "cortex-a72", "arm,cortex-a72", 44 },
	{ "cortex-a76", "arm,cortex-a76", 40 },
	{ "a64fx", "arm,a64fx", 40 },
	{ "neoverse-n1", "arm,neoverse-n1", 48 },
	{ NULL, NULL, 0 },
};

/* the machine versions compat accepts, oldest first */
static const char *const versions[] = {
	"2.12", "3.0", "3.1", "4.0", "4.1", "4.2", "5.0", "5.1", "5.2",
	"6.0", "6.1", "6.2", "7.0", "7.1", "7.2", NULL,
};

static const struct pm_board_key virt_keys[] = {
	{ "cpu", "string", "CPU model: max (default, 52-bit PA), cortex-a53, cortex-a57, cortex-a72, cortex-a76, a64fx, neoverse-n1" },
	{ "pa_bits", "int", "physical address bits, 32-52 (default: the CPU model's)" },
	{ "gic_version", "string", "v2 or v3 as xl.cfg(5) writes it, or 2 or 3 (default 3; 2 with compat, as QEMU)" },
	{ "highmem", "bool", "use addresses above 4 GiB (default 1); 0 drops all high regions" },
	{ "highmem_redists", "bool", "the second GICv3 redistributor region (default 1)" },
	{ "highmem_ecam", "bool", "the high PCIe ECAM, 256 buses (default 1)" },
	{ "highmem_mmio", "bool", "the 512 GiB high PCIe MMIO window (default 1)" },
	{ "slots", "int", "memory hotplug slots, 0-256 (each reserves 1 GiB of device memory)" },
	{ "compat", "string", "QEMU machine version to reproduce exactly: 2.12 ... 7.2 (default: the compact layout)" },
	{ "xen", "bool", "describe the Xen hypervisor in the device tree (default 1)" },
	{ "testdev", "bool", "physmap's self-test devices at 0x0b000000 (default 0; docs/guests.md)" },
	{ NULL, NULL, NULL },
};

enum high_region { REDIST2, HIGH_ECAM, HIGH_MMIO, NR_HIGH };

static const uint64_t high_size[NR_HIGH] = { REDIST2_SIZE, HIGH_ECAM_SIZE, HIGH_MMIO_SIZE };
static const char *const high_name[NR_HIGH] = { "gic-redist2", "pcie-ecam-high", "pcie-mmio-high" };

/* the machine, kept in the layout for the device tree and the boot plan */
struct virt {
	uint64_t ram, devmem_base, devmem_size, slots;
	unsigned vcpus, pa_bits, gic;
	int compat;            /* version index + 1, 0 for the compact layout */
	int xen;
	int testdev;
	int numa;              /* memory hotplug makes QEMU >= 5.1 describe one NUMA node */
	const struct cpu_model *cpu;
	int high_on[NR_HIGH];
	uint64_t high_base[NR_HIGH];
	unsigned redist_regions;
	uint64_t ecam_base, ecam_size;
};

static uint64_t round_up(uint64_t v, uint64_t align)
{
	return (v + align - 1) & ~(align - 1);
}

static int fail(char *err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, PM_BOARD_ERR_LEN, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

/* the machine version compat names, as an index into versions[] */
static int version_at_least(const struct virt *v, const char *version)
{
	int want = 0;

	if (!v->compat)
		return 1;
	while (strcmp(versions[want], version) != 0)
		want++;
	return v->compat - 1 >= want;
}

static const char *machine_name(const struct virt *v)
{
	return v->compat ? versions[v->compat - 1] : "7.2";
}

static int parse(const struct pm_board_config *cfg, struct virt *v, int high_req[NR_HIGH],
		 char *err)
{
	const char *cpu = pm_board_opt(cfg, "cpu"), *compat = pm_board_opt(cfg, "compat");
	uint64_t n;
	int highmem, rc;

	if (compat) {
		for (int i = 0; versions[i]; i++)
			if (strcmp(versions[i], compat) == 0)
				v->compat = i + 1;
		if (!v->compat)
			return fail(err, "compat: '%s' is not a virt machine version this board reproduces (2.12 to 7.2)", compat);
	}
	v->cpu = &cpu_models[0];
	if (cpu) {
		for (v->cpu = cpu_models; v->cpu->name; v->cpu++)
			if (strcmp(v->cpu->name, cpu) == 0)
				break;
		if (!v->cpu->name)
			return fail(err, "cpu: '%s' is not a CPU model of this board (max, cortex-a53, cortex-a57, cortex-a72, cortex-a76, a64fx, neoverse-n1)", cpu);
	}
	rc = pm_board_opt_uint(cfg, "pa_bits", v->cpu->pa_bits, 52, &n, err);
	if (rc)
		return rc;
	if (n < 32)
		return fail(err, "pa_bits: %" PRIu64 " is below 32", n);
	v->pa_bits = (unsigned)n;
	{
		/* xl.cfg(5) writes "v2", "v3"; QEMU's -M virt,gic-version= takes 2, 3 */
		const char *g = pm_board_opt(cfg, "gic_version");

		if (!g)
			v->gic = v->compat ? 2 : 3;
		else if (!strcmp(g, "v2") || !strcmp(g, "2"))
			v->gic = 2;
		else if (!strcmp(g, "v3") || !strcmp(g, "3"))
			v->gic = 3;
		else
			return fail(err, "gic_version: '%s' is neither v2 nor v3", g);
	}
	rc = pm_board_opt_uint(cfg, "slots", 0, UINT32_MAX, &v->slots, err);
	if (rc)
		return rc;
	if (v->slots > MAX_RAM_SLOTS)
		return fail(err, "slots: unsupported number of memory slots: %" PRIu64, v->slots);
	rc = pm_board_opt_bool(cfg, "highmem", 1, &highmem, err);
	if (rc == 0)
		rc = pm_board_opt_bool(cfg, "highmem_redists", 1, &high_req[REDIST2], err);
	if (rc == 0)
		rc = pm_board_opt_bool(cfg, "highmem_ecam", 1, &high_req[HIGH_ECAM], err);
	if (rc == 0)
		rc = pm_board_opt_bool(cfg, "highmem_mmio", 1, &high_req[HIGH_MMIO], err);
	if (rc == 0)
		rc = pm_board_opt_bool(cfg, "xen", 1, &v->xen, err);
	if (rc == 0)
		rc = pm_board_opt_bool(cfg, "testdev", 0, &v->testdev, err);
	if (rc)
		return rc;
	/* no highmem is exactly a 32-bit physical address space */
	if (!highmem)
		v->pa_bits = 32;
	v->ram = cfg->memory;
	v->vcpus = cfg->vcpus ? cfg->vcpus : 1;
	if (v->ram == 0 || v->ram % (64 * KiB))
		return fail(err, "memory: %" PRIu64 " bytes is not a positive multiple of 64K", v->ram);
	if (cfg->maxmem && cfg->maxmem < v->ram)
		return fail(err, "maxmem: %" PRIu64 " bytes is less than memory (%" PRIu64 ")",
			    cfg->maxmem, v->ram);
	if (v->slots && (!cfg->maxmem || cfg->maxmem == v->ram))
		return fail(err, "slots: memory slots were specified but maxmem is equal to memory (0x%" PRIx64 ")",
			    v->ram);
	v->numa = cfg->maxmem > v->ram && version_at_least(v, "5.1");
	return 0;
}

/*
 * Device memory, then the high regions. Returns the error QEMU 7.2 gives
 * for the same machine.
 */
static int place(const struct pm_board_config *cfg, struct virt *v,
		 const int high_req[NR_HIGH], char *err)
{
	uint64_t maxmem = cfg->maxmem ? cfg->maxmem : v->ram;
	uint64_t pa_limit = UINT64_C(1) << v->pa_bits, memtop, base, slots_bytes;
	unsigned max_cpus = version_at_least(v, "4.0") ? 512 : 255;

	if (v->vcpus > max_cpus)
		return fail(err, "vcpus: Invalid SMP CPUs %u. The max CPUs supported by machine 'virt-%s' is %u",
			    v->vcpus, machine_name(v), max_cpus);
	slots_bytes = v->slots * GiB;
	v->devmem_base = round_up(RAM_BASE + v->ram, GiB);
	v->devmem_size = maxmem - v->ram + slots_bytes;
	if (v->devmem_base < v->ram || v->devmem_size < slots_bytes ||
	    round_up(v->devmem_size, GiB) < v->devmem_size ||
	    v->devmem_base + round_up(v->devmem_size, GiB) < v->devmem_base)
		return fail(err, "maxmem: maxmem/slots too huge");
	memtop = base = v->devmem_base + round_up(v->devmem_size, GiB);
	if (memtop > pa_limit)
		return fail(err, "memory: Addressing limited to %u bits, but memory exceeds it by %" PRIu64 " bytes",
			    v->pa_bits, memtop - pa_limit);
	if (base < HIGH_FLOOR)
		base = HIGH_FLOOR;

	for (int i = 0; i < NR_HIGH; i++) {
		uint64_t rbase = round_up(base, high_size[i]);
		int on = high_req[i], fits = rbase + high_size[i] <= pa_limit;

		if (i == HIGH_ECAM && !version_at_least(v, "3.0"))
			on = 0;       /* virt-2.12 keeps the ECAM low */
		if (i == REDIST2 && !v->compat && (v->gic != 3 || v->vcpus <= GIC_REDIST_SIZE / GICV3_REDIST_SIZE))
			on = 0;       /* compact: only when needed */
		v->high_on[i] = on && fits;
		v->high_base[i] = rbase;
		if (!v->compat && !v->high_on[i])
			continue;
		base = rbase + high_size[i];
	}

	if (v->gic == 2 && v->vcpus > 8)
		return fail(err, "vcpus: Number of SMP CPUs requested (%u) exceeds max CPUs supported by machine 'mach-virt' (8)",
			    v->vcpus);
	if (v->gic == 3) {
		unsigned cap0 = (unsigned)(GIC_REDIST_SIZE / GICV3_REDIST_SIZE);
		unsigned cap = cap0 + (v->high_on[REDIST2] ? (unsigned)(REDIST2_SIZE / GICV3_REDIST_SIZE) : 0);

		if (v->vcpus > cap)
			return fail(err, "vcpus: Capacity of the redist regions(%u) does not match the number of vcpus(%u)",
				    cap, v->vcpus);
		v->redist_regions = v->vcpus > cap0 ? 2 : 1;
	}
	if (v->high_on[HIGH_ECAM]) {
		v->ecam_base = v->high_base[HIGH_ECAM];
		v->ecam_size = HIGH_ECAM_SIZE;
	} else {
		v->ecam_base = PCIE_ECAM_BASE;
		v->ecam_size = PCIE_ECAM_SIZE;
	}
	return 0;
}

static int add_regions(struct pm_board_layout *l, const struct virt *v)
{
	static const struct {
		const char *name;
		uint64_t base, size;
		enum pm_region_kind kind;
	} fixed[] = {
		{ "flash0", FLASH_BASE, FLASH_BANK, PM_REGION_ROM },
		{ "flash1", FLASH_BASE + FLASH_BANK, FLASH_BANK, PM_REGION_ROM },
		{ "gic-dist", GIC_DIST, 64 * KiB, PM_REGION_MMIO },
		{ "uart", UART_BASE, 4 * KiB, PM_REGION_MMIO },
		{ "rtc", RTC_BASE, 4 * KiB, PM_REGION_MMIO },
		{ "fw-cfg", FW_CFG_BASE, FW_CFG_SIZE, PM_REGION_MMIO },
		{ "gpio", GPIO_BASE, 4 * KiB, PM_REGION_MMIO },
		{ "secure-uart", SECURE_UART_BASE, 4 * KiB, PM_REGION_RESERVED },
		{ "smmu", SMMU_BASE, 128 * KiB, PM_REGION_RESERVED },
		{ "secure-gpio", SECURE_GPIO_BASE, 4 * KiB, PM_REGION_RESERVED },
		{ "virtio-mmio", VIRTIO_BASE, VIRTIO_COUNT * VIRTIO_SIZE, PM_REGION_MMIO },
		{ "platform-bus", PLATFORM_BASE, PLATFORM_SIZE, PM_REGION_RESERVED },
		{ "secure-ram", SECURE_MEM_BASE, 16 * MiB, PM_REGION_RESERVED },
		{ "pcie-mmio", PCIE_MMIO_BASE, PCIE_MMIO_SIZE, PM_REGION_MMIO },
		{ "pcie-pio", PCIE_PIO_BASE, PCIE_PIO_SIZE, PM_REGION_MMIO },
	};
	int rc = 0;

	for (size_t i = 0; rc == 0 && i < sizeof(fixed) / sizeof(fixed[0]); i++)
		rc = pm_board_add_region(l, fixed[i].name, fixed[i].base, fixed[i].size, fixed[i].kind);
	if (rc == 0 && v->gic == 2)
		rc = pm_board_add_region(l, "gic-cpu", GIC_CPU, 64 * KiB, PM_REGION_MMIO);
	if (rc == 0 && v->gic == 2)
		rc = pm_board_add_region(l, "gic-v2m", GIC_V2M, 4 * KiB, PM_REGION_MMIO);
	if (rc == 0 && v->gic == 3 && version_at_least(v, "6.2"))
		rc = pm_board_add_region(l, "gic-its", GIC_ITS, 128 * KiB, PM_REGION_MMIO);
	if (rc == 0 && v->gic == 3)
		rc = pm_board_add_region(l, "gic-redist", GIC_REDIST, GIC_REDIST_SIZE, PM_REGION_MMIO);
	if (rc == 0 && v->xen)
		rc = pm_board_add_region(l, "xen-grant-table", XEN_GNTTAB_BASE, XEN_GNTTAB_SIZE,
					 PM_REGION_RESERVED);
	if (rc == 0 && !v->high_on[HIGH_ECAM])
		rc = pm_board_add_region(l, "pcie-ecam", PCIE_ECAM_BASE, PCIE_ECAM_SIZE, PM_REGION_MMIO);
	if (rc == 0)
		rc = pm_board_add_region(l, "ram", RAM_BASE, v->ram, PM_REGION_RAM);
	if (rc == 0 && v->devmem_size)
		rc = pm_board_add_region(l, "device-memory", v->devmem_base, v->devmem_size,
					 PM_REGION_RESERVED);
	for (int i = 0; rc == 0 && i < NR_HIGH; i++) {
		if (!v->high_on[i] || (i == REDIST2 && v->redist_regions < 2))
			continue;
		rc = pm_board_add_region(l, high_name[i], v->high_base[i], high_size[i], PM_REGION_MMIO);
	}
	return rc;
}

static int add_devices(struct pm_board_layout *l, const struct virt *v)
{
	char name[32];
	int rc;

	rc = pm_board_add_device(l, "flash", "cfi-pflash", FLASH_BASE, 2 * FLASH_BANK, 0, -1);
	if (rc == 0)
		rc = pm_board_add_device(l, "uart0", "pl011", UART_BASE, 4 * KiB, 0, IRQ_UART);
	if (rc == 0)
		rc = pm_board_add_device(l, "rtc", "pl031", RTC_BASE, 4 * KiB, 0, IRQ_RTC);
	if (rc == 0)
		rc = pm_board_add_device(l, "fw-cfg", "fw-cfg-mmio", FW_CFG_BASE, FW_CFG_SIZE, 0, -1);
	if (rc == 0)
		rc = pm_board_add_device(l, "gpio", "pl061", GPIO_BASE, 4 * KiB, 0, IRQ_GPIO);
	for (int i = 0; rc == 0 && i < VIRTIO_COUNT; i++) {
		snprintf(name, sizeof(name), "virtio-mmio.%d", i);
		rc = pm_board_add_device(l, name, "virtio-mmio", VIRTIO_BASE + (uint64_t)i * VIRTIO_SIZE,
					 VIRTIO_SIZE, 0, IRQ_VIRTIO + i);
	}
	if (rc == 0)
		rc = pm_board_add_device(l, "pcie-ecam", "gpex", v->ecam_base, v->ecam_size, 0, IRQ_PCIE);
	if (rc == 0)
		rc = pm_board_add_device(l, "pcie-mmio", "gpex-mmio", PCIE_MMIO_BASE, PCIE_MMIO_SIZE, 0, -1);
	if (rc == 0)
		rc = pm_board_add_device(l, "pcie-pio", "gpex-pio", PCIE_PIO_BASE, PCIE_PIO_SIZE, 0, -1);
	if (rc == 0 && v->high_on[HIGH_MMIO])
		rc = pm_board_add_device(l, "pcie-mmio-high", "gpex-mmio", v->high_base[HIGH_MMIO],
					 HIGH_MMIO_SIZE, 0, -1);
	if (rc == 0 && v->testdev)
		rc = pm_board_add_testdevs(l, TESTDEV_BASE);
	return rc;
}

static int virt_layout(const struct pm_board_config *cfg, struct pm_board_layout *l, char *err)
{
	struct virt *v = pm__calloc(1, sizeof(*v));
	int high_req[NR_HIGH], rc;

	if (!v)
		return -ENOMEM;
	l->board_data = v;
	rc = parse(cfg, v, high_req, err);
	if (rc == 0)
		rc = place(cfg, v, high_req, err);
	if (rc == 0)
		rc = add_regions(l, v);
	if (rc == 0)
		rc = add_devices(l, v);
	return rc;
}

/*
 * Where things go: the kernel 2 MiB into RAM (or where the caller says),
 * the initrd at min(RAM/2, 128 MiB) or after the kernel, the device tree
 * (at most 2 MiB, in its own 2 MiB block, as arm64's boot protocol asks)
 * after both. vCPU 0 starts at EL1h with interrupts masked, x0 = the tree.
 */
static int virt_boot(const struct pm_board_layout *l, struct pm_board_boot *b, char *err)
{
	const struct virt *v = l->board_data;
	uint64_t ram_end = RAM_BASE + v->ram, kernel_end, initrd_end, want;

	b->kernel_load = b->kernel_gpa ? b->kernel_gpa : RAM_BASE + 2 * MiB;
	kernel_end = b->kernel_load + b->kernel_size;
	if (b->kernel_load < RAM_BASE || kernel_end < b->kernel_load || kernel_end > ram_end)
		return fail(err, "kernel: %" PRIu64 " bytes at 0x%" PRIx64 " do not fit in RAM [0x%" PRIx64 ", 0x%" PRIx64 ")",
			    b->kernel_size, b->kernel_load, (uint64_t)RAM_BASE, ram_end);
	initrd_end = kernel_end;
	b->initrd_load = 0;
	if (b->initrd_size) {
		want = RAM_BASE + (v->ram / 2 < 128 * MiB ? v->ram / 2 : 128 * MiB);
		b->initrd_load = round_up(want > kernel_end ? want : kernel_end, 2 * MiB);
		initrd_end = b->initrd_load + b->initrd_size;
		if (initrd_end < b->initrd_load || initrd_end > ram_end)
			return fail(err, "initrd: %" PRIu64 " bytes do not fit in RAM after the kernel",
				    b->initrd_size);
	}
	b->table_gpa = round_up(initrd_end, 2 * MiB);
	b->table_max = 2 * MiB;
	if (b->table_gpa + b->table_max > ram_end)
		return fail(err, "memory: %" PRIu64 " bytes of RAM leave no room for the device tree after the kernel and initrd",
			    v->ram);
	b->cmdline_gpa = 0;   /* /chosen/bootargs carries it */
	memset(&b->vcpu, 0, sizeof(b->vcpu));
	b->vcpu.arch = PM_ARCH_AARCH64;
	b->vcpu.pc = b->kernel_gpa ? b->kernel_entry : b->kernel_load + b->kernel_entry;
	b->vcpu.regs[0] = b->table_gpa;
	b->vcpu.pstate = 0x3c5;   /* D, A, I, F masked; EL1h */
	return 0;
}

/* ---- the device tree ---- */

struct fdtw {
	void *buf;
	int size;
	int rc;
};

static int fdtw_grow(struct fdtw *w)
{
	int size = w->size * 2;
	void *buf;

	if (size > (64 << 20))
		return -ENOMEM;
	buf = pm__malloc((size_t)size);
	if (!buf)
		return -ENOMEM;
	if (fdt_resize(w->buf, buf, size) != 0) {
		free(buf);
		return -EIO;
	}
	free(w->buf);
	w->buf = buf;
	w->size = size;
	return 0;
}

/* run a libfdt call, growing the buffer while it says it is full */
#define FDTW(w, call) do {                                              \
	int r_ = 0;                                                     \
	while ((w)->rc == 0 && (r_ = (call)) == -FDT_ERR_NOSPACE)      \
		(w)->rc = fdtw_grow(w);                                 \
	if ((w)->rc == 0 && r_ < 0)                                     \
		(w)->rc = -EIO;                                         \
} while (0)

static void begin(struct fdtw *w, const char *fmt, ...)
{
	char name[64];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(name, sizeof(name), fmt, ap);
	va_end(ap);
	FDTW(w, fdt_begin_node(w->buf, name));
}

static void end(struct fdtw *w)
{
	FDTW(w, fdt_end_node(w->buf));
}

static void prop(struct fdtw *w, const char *name, const void *val, int len)
{
	FDTW(w, fdt_property(w->buf, name, val, len));
}

static void prop_str(struct fdtw *w, const char *name, const char *s)
{
	prop(w, name, s, (int)strlen(s) + 1);
}

/* a string list given as "a\0b" with its size (sizeof of the literal) */
static void prop_strs(struct fdtw *w, const char *name, const char *s, size_t size)
{
	prop(w, name, s, (int)size);
}

static void prop_u32(struct fdtw *w, const char *name, uint32_t v)
{
	FDTW(w, fdt_property_u32(w->buf, name, v));
}

static void prop_cells(struct fdtw *w, const char *name, const uint32_t *cells, size_t n)
{
	fdt32_t be[192];   /* the largest is the PCIe interrupt-map: 160 */

	for (size_t i = 0; i < n && i < 192; i++)
		be[i] = cpu_to_fdt32(cells[i]);
	prop(w, name, be, (int)(n * sizeof(be[0])));
}

/* reg with 2 address and 2 size cells: @n (base, size) pairs */
static void prop_reg(struct fdtw *w, const char *name, const uint64_t *pairs, size_t n)
{
	uint32_t cells[32];

	for (size_t i = 0; i < 2 * n && i < 16; i++) {
		cells[2 * i] = (uint32_t)(pairs[i] >> 32);
		cells[2 * i + 1] = (uint32_t)pairs[i];
	}
	prop_cells(w, name, cells, 4 * n);
}

struct phandles {
	uint32_t clock, gic, msi, gpio, cpu0;
};

static void fdt_pcie(struct fdtw *w, const struct virt *v, const struct phandles *ph)
{
	uint32_t map[4 * 4 * 10], *m = map;
	uint32_t ranges[3 * 7], *r = ranges;

	begin(w, "pcie@%" PRIx64, PCIE_MMIO_BASE);
	prop_str(w, "compatible", "pci-host-ecam-generic");
	prop_str(w, "device_type", "pci");
	prop_u32(w, "#address-cells", 3);
	prop_u32(w, "#size-cells", 2);
	prop_u32(w, "linux,pci-domain", 0);
	prop_cells(w, "bus-range", (uint32_t[]){ 0, (uint32_t)(v->ecam_size / MiB - 1) }, 2);
	prop(w, "dma-coherent", NULL, 0);
	if (ph->msi)
		prop_cells(w, "msi-map", (uint32_t[]){ 0, ph->msi, 0, 0x10000 }, 4);
	prop_reg(w, "reg", (uint64_t[]){ v->ecam_base, v->ecam_size }, 1);
	/* I/O, 32-bit MMIO, 64-bit MMIO: pci address (3 cells), cpu address, size */
	*r++ = 0x01000000; *r++ = 0; *r++ = 0;
	*r++ = 0; *r++ = (uint32_t)PCIE_PIO_BASE; *r++ = 0; *r++ = (uint32_t)PCIE_PIO_SIZE;
	*r++ = 0x02000000; *r++ = 0; *r++ = (uint32_t)PCIE_MMIO_BASE;
	*r++ = 0; *r++ = (uint32_t)PCIE_MMIO_BASE; *r++ = 0; *r++ = (uint32_t)PCIE_MMIO_SIZE;
	if (v->high_on[HIGH_MMIO]) {
		uint64_t b = v->high_base[HIGH_MMIO];

		*r++ = 0x03000000; *r++ = (uint32_t)(b >> 32); *r++ = (uint32_t)b;
		*r++ = (uint32_t)(b >> 32); *r++ = (uint32_t)b;
		*r++ = (uint32_t)(HIGH_MMIO_SIZE >> 32); *r++ = (uint32_t)HIGH_MMIO_SIZE;
	}
	prop_cells(w, "ranges", ranges, (size_t)(r - ranges));
	prop_u32(w, "#interrupt-cells", 1);
	/* INTx of slot s, pin p (1-4) swizzled onto SPIs 3-6 */
	for (uint32_t slot = 0; slot < 4; slot++) {
		for (uint32_t pin = 1; pin <= 4; pin++) {
			*m++ = slot << 11; *m++ = 0; *m++ = 0; *m++ = pin;
			*m++ = ph->gic; *m++ = 0; *m++ = 0;
			*m++ = 0; *m++ = IRQ_PCIE + (slot + pin - 1) % 4; *m++ = 4;
		}
	}
	prop_cells(w, "interrupt-map", map, (size_t)(m - map));
	prop_cells(w, "interrupt-map-mask", (uint32_t[]){ 0x1800, 0, 0, 7 }, 4);
	end(w);
}

static void fdt_gic(struct fdtw *w, const struct virt *v, const struct phandles *ph)
{
	begin(w, "intc@%" PRIx64, GIC_DIST);
	prop_u32(w, "#interrupt-cells", 3);
	prop(w, "interrupt-controller", NULL, 0);
	prop_u32(w, "#address-cells", 2);
	prop_u32(w, "#size-cells", 2);
	prop(w, "ranges", NULL, 0);
	prop_u32(w, "phandle", ph->gic);
	if (v->gic == 3) {
		uint64_t reg[6] = { GIC_DIST, 64 * KiB, GIC_REDIST, GIC_REDIST_SIZE,
				    v->high_base[REDIST2], REDIST2_SIZE };

		prop_str(w, "compatible", "arm,gic-v3");
		prop_u32(w, "#redistributor-regions", v->redist_regions);
		prop_reg(w, "reg", reg, 1 + v->redist_regions);
		if (ph->msi) {
			begin(w, "its@%" PRIx64, GIC_ITS);
			prop_str(w, "compatible", "arm,gic-v3-its");
			prop(w, "msi-controller", NULL, 0);
			prop_u32(w, "#msi-cells", 1);
			prop_reg(w, "reg", (uint64_t[]){ GIC_ITS, 128 * KiB }, 1);
			prop_u32(w, "phandle", ph->msi);
			end(w);
		}
	} else {
		prop_str(w, "compatible", "arm,cortex-a15-gic");
		prop_reg(w, "reg", (uint64_t[]){ GIC_DIST, 64 * KiB, GIC_CPU, 64 * KiB }, 2);
		begin(w, "v2m@%" PRIx64, GIC_V2M);
		prop_str(w, "compatible", "arm,gic-v2m-frame");
		prop(w, "msi-controller", NULL, 0);
		prop_reg(w, "reg", (uint64_t[]){ GIC_V2M, 4 * KiB }, 1);
		prop_u32(w, "phandle", ph->msi);
		end(w);
	}
	end(w);
}

static void fdt_cpus(struct fdtw *w, const struct virt *v, const struct phandles *ph)
{
	unsigned cluster = v->gic == 3 ? 16 : 8;
	int topology = version_at_least(v, "6.2");

	begin(w, "cpus");
	prop_u32(w, "#address-cells", 1);
	prop_u32(w, "#size-cells", 0);
	if (topology) {
		begin(w, "cpu-map");
		begin(w, "socket0");
		begin(w, "cluster0");
		for (unsigned i = 0; i < v->vcpus; i++) {
			begin(w, "core%u", i);
			prop_u32(w, "cpu", ph->cpu0 - i);
			end(w);
		}
		end(w);
		end(w);
		end(w);
	}
	for (unsigned i = 0; i < v->vcpus; i++) {
		begin(w, "cpu@%u", i);
		prop_str(w, "device_type", "cpu");
		prop_str(w, "compatible", v->cpu->compatible);
		if (v->vcpus > 1)
			prop_str(w, "enable-method", "psci");
		prop_u32(w, "reg", ((i / cluster) << 8) | (i % cluster));
		if (topology)
			prop_u32(w, "phandle", ph->cpu0 - i);
		if (v->numa)
			prop_u32(w, "numa-node-id", 0);
		end(w);
	}
	end(w);
}

static void fdt_devices(struct fdtw *w, const struct virt *v, const struct phandles *ph)
{
	static const char primecell_uart[] = "arm,pl011\0arm,primecell";
	static const char primecell_rtc[] = "arm,pl031\0arm,primecell";
	static const char primecell_gpio[] = "arm,pl061\0arm,primecell";
	static const char uart_clocks[] = "uartclk\0apb_pclk";
	static const char platform[] = "qemu,platform\0simple-bus";

	begin(w, "platform-bus@%" PRIx64, PLATFORM_BASE);
	prop_strs(w, "compatible", platform, sizeof(platform));
	prop_u32(w, "#address-cells", 1);
	prop_u32(w, "#size-cells", 1);
	prop_cells(w, "ranges", (uint32_t[]){ 0, 0, (uint32_t)PLATFORM_BASE, (uint32_t)PLATFORM_SIZE }, 4);
	prop_u32(w, "interrupt-parent", ph->gic);
	end(w);

	begin(w, "fw-cfg@%" PRIx64, FW_CFG_BASE);
	prop_str(w, "compatible", "qemu,fw-cfg-mmio");
	prop_reg(w, "reg", (uint64_t[]){ FW_CFG_BASE, FW_CFG_SIZE }, 1);
	prop(w, "dma-coherent", NULL, 0);
	end(w);

	for (int i = 0; i < VIRTIO_COUNT; i++) {
		uint64_t base = VIRTIO_BASE + (uint64_t)i * VIRTIO_SIZE;

		begin(w, "virtio_mmio@%" PRIx64, base);
		prop_str(w, "compatible", "virtio,mmio");
		prop_reg(w, "reg", (uint64_t[]){ base, VIRTIO_SIZE }, 1);
		prop_cells(w, "interrupts", (uint32_t[]){ 0, (uint32_t)(IRQ_VIRTIO + i), 1 }, 3);
		prop(w, "dma-coherent", NULL, 0);
		end(w);
	}

	begin(w, "gpio-keys");
	prop_str(w, "compatible", "gpio-keys");
	begin(w, "poweroff");
	prop_str(w, "label", "GPIO Key Poweroff");
	prop_u32(w, "linux,code", 116);   /* KEY_POWER */
	prop_cells(w, "gpios", (uint32_t[]){ ph->gpio, 3, 0 }, 3);
	end(w);
	end(w);

	begin(w, "pl061@%" PRIx64, GPIO_BASE);
	prop_reg(w, "reg", (uint64_t[]){ GPIO_BASE, 4 * KiB }, 1);
	prop_strs(w, "compatible", primecell_gpio, sizeof(primecell_gpio));
	prop_u32(w, "#gpio-cells", 2);
	prop(w, "gpio-controller", NULL, 0);
	prop_cells(w, "interrupts", (uint32_t[]){ 0, IRQ_GPIO, 4 }, 3);
	prop_u32(w, "clocks", ph->clock);
	prop_str(w, "clock-names", "apb_pclk");
	prop_u32(w, "phandle", ph->gpio);
	end(w);

	fdt_pcie(w, v, ph);

	begin(w, "pl031@%" PRIx64, RTC_BASE);
	prop_strs(w, "compatible", primecell_rtc, sizeof(primecell_rtc));
	prop_reg(w, "reg", (uint64_t[]){ RTC_BASE, 4 * KiB }, 1);
	prop_cells(w, "interrupts", (uint32_t[]){ 0, IRQ_RTC, 4 }, 3);
	prop_u32(w, "clocks", ph->clock);
	prop_str(w, "clock-names", "apb_pclk");
	end(w);

	begin(w, "pl011@%" PRIx64, UART_BASE);
	prop_strs(w, "compatible", primecell_uart, sizeof(primecell_uart));
	prop_reg(w, "reg", (uint64_t[]){ UART_BASE, 4 * KiB }, 1);
	prop_cells(w, "interrupts", (uint32_t[]){ 0, IRQ_UART, 4 }, 3);
	prop_cells(w, "clocks", (uint32_t[]){ ph->clock, ph->clock }, 2);
	prop_strs(w, "clock-names", uart_clocks, sizeof(uart_clocks));
	end(w);
}

static long virt_firmware(const struct pm_board_layout *l, const struct pm_board_boot *b, void **blob)
{
	static const char psci[] = "arm,psci-1.0\0arm,psci-0.2\0arm,psci";
	static const char timer[] = "arm,armv8-timer\0arm,armv7-timer";
	static const char xen[] = "xen,xen-4.17\0xen,xen";
	const struct virt *v = l->board_data;
	struct fdtw w = { .size = 1024 };
	struct phandles ph = { .clock = 0x8000 };
	uint32_t next = 0x8001, ppi_flags = 4;   /* level, active high */
	long rc;

	/* phandles as QEMU allocates them: clock, CPUs (last first), GIC, MSI, GPIO */
	if (version_at_least(v, "6.2")) {
		ph.cpu0 = next + v->vcpus - 1;
		next += v->vcpus;
	}
	ph.gic = next++;
	if (v->gic == 2 || version_at_least(v, "6.2"))
		ph.msi = next++;
	ph.gpio = next++;
	/* GICv2 PPIs name their target CPUs */
	if (v->gic == 2)
		ppi_flags |= ((1u << v->vcpus) - 1) << 8;

	w.buf = pm__malloc((size_t)w.size);
	if (!w.buf)
		return -ENOMEM;
	FDTW(&w, fdt_create(w.buf, w.size));
	FDTW(&w, fdt_finish_reservemap(w.buf));
	begin(&w, "");
	prop_u32(&w, "interrupt-parent", ph.gic);
	prop_str(&w, "model", "linux,dummy-virt");
	prop_u32(&w, "#size-cells", 2);
	prop_u32(&w, "#address-cells", 2);
	prop_str(&w, "compatible", "linux,dummy-virt");

	begin(&w, "psci");
	prop_strs(&w, "compatible", psci, sizeof(psci));
	prop_str(&w, "method", "hvc");
	prop_u32(&w, "cpu_suspend", 0xc4000001);
	prop_u32(&w, "cpu_off", 0x84000002);
	prop_u32(&w, "cpu_on", 0xc4000003);
	prop_u32(&w, "migrate", 0xc4000005);
	end(&w);

	begin(&w, "memory@%" PRIx64, RAM_BASE);
	prop_str(&w, "device_type", "memory");
	prop_reg(&w, "reg", (uint64_t[]){ RAM_BASE, v->ram }, 1);
	if (v->numa)
		prop_u32(&w, "numa-node-id", 0);
	end(&w);

	fdt_devices(&w, v, &ph);

	begin(&w, "pmu");
	prop_str(&w, "compatible", "arm,armv8-pmuv3");
	prop_cells(&w, "interrupts", (uint32_t[]){ 1, PPI_PMU, ppi_flags }, 3);
	end(&w);

	fdt_gic(&w, v, &ph);

	begin(&w, "flash@0");
	prop_str(&w, "compatible", "cfi-flash");
	prop_reg(&w, "reg", (uint64_t[]){ FLASH_BASE, FLASH_BANK, FLASH_BASE + FLASH_BANK, FLASH_BANK }, 2);
	prop_u32(&w, "bank-width", 4);
	end(&w);

	fdt_cpus(&w, v, &ph);

	begin(&w, "timer");
	prop_strs(&w, "compatible", timer, sizeof(timer));
	prop(&w, "always-on", NULL, 0);
	prop_cells(&w, "interrupts", (uint32_t[]){
		1, PPI_TIMER_S_EL1, ppi_flags, 1, PPI_TIMER_NS_EL1, ppi_flags,
		1, PPI_TIMER_VIRT, ppi_flags, 1, PPI_TIMER_NS_EL2, ppi_flags }, 12);
	end(&w);

	begin(&w, "apb-pclk");
	prop_str(&w, "compatible", "fixed-clock");
	prop_u32(&w, "#clock-cells", 0);
	prop_u32(&w, "clock-frequency", 24000000);
	prop_str(&w, "clock-output-names", "clk24mhz");
	prop_u32(&w, "phandle", ph.clock);
	end(&w);

	begin(&w, "chosen");
	prop_str(&w, "stdout-path", "/pl011@9000000");
	if (b && b->cmdline)
		prop_str(&w, "bootargs", b->cmdline);
	if (b && b->initrd_size) {
		uint64_t s = b->initrd_load, e = b->initrd_load + b->initrd_size;

		prop_cells(&w, "linux,initrd-start", (uint32_t[]){ (uint32_t)(s >> 32), (uint32_t)s }, 2);
		prop_cells(&w, "linux,initrd-end", (uint32_t[]){ (uint32_t)(e >> 32), (uint32_t)e }, 2);
	}
	end(&w);

	if (v->xen) {
		begin(&w, "hypervisor@%" PRIx64, XEN_GNTTAB_BASE);
		prop_strs(&w, "compatible", xen, sizeof(xen));
		prop_reg(&w, "reg", (uint64_t[]){ XEN_GNTTAB_BASE, XEN_GNTTAB_SIZE }, 1);
		prop_cells(&w, "interrupts", (uint32_t[]){ 1, PPI_XEN_EVTCHN, 0xf08 }, 3);
		end(&w);
	}
	end(&w);
	FDTW(&w, fdt_finish(w.buf));
	if (w.rc) {
		free(w.buf);
		return w.rc;
	}
	rc = fdt_totalsize(w.buf);
	*blob = w.buf;
	return rc;
}

const struct board_ops pm__board_virt = {
	.name = "virt",
	.summary = "ARM virt machine with a device tree, as QEMU's virt (compat = 7.2 reproduces it)",
	.keys = virt_keys,
	.layout = virt_layout,
	.boot = virt_boot,
	.firmware = virt_firmware,
};
