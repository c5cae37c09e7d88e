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
#include "fdtw.h"
#include "board-internal.h"

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
#define GIC_HYP           UINT64_C(0x08030000)   /* GICv2's virtual interface control */
#define GIC_VCPU          UINT64_C(0x08040000)   /* GICv2's virtual CPU interface */
#define GIC_ITS           UINT64_C(0x08080000)
#define GIC_REDIST        UINT64_C(0x080a0000)
#define GIC_REDIST_SIZE   UINT64_C(0x00f60000)
#define GICV3_REDIST_SIZE (128 * KiB)   /* one vCPU's redistributor */
#define GICV4_REDIST_SIZE (256 * KiB)   /* ... with GICv4's two vLPI frames */
#define GICV2_MAX_CPUS    8
#define UART_BASE         UINT64_C(0x09000000)
#define RTC_BASE          UINT64_C(0x09010000)
#define FW_CFG_BASE       UINT64_C(0x09020000)
#define FW_CFG_SIZE       UINT64_C(0x18)
#define GPIO_BASE         UINT64_C(0x09030000)
#define SECURE_UART_BASE  UINT64_C(0x09040000)
#define SMMU_BASE         UINT64_C(0x09050000)
#define SMMU_SIZE         (128 * KiB)
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
#define PHANDLE_START     UINT32_C(0x8000)   /* QEMU's first dynamic phandle */

/* GIC SPIs, as QEMU's virt irqmap */
#define IRQ_UART   1
#define IRQ_RTC    2
#define IRQ_PCIE   3
#define IRQ_GPIO   7
#define IRQ_VIRTIO 16
#define IRQ_SECURE_UART 8
#define IRQ_SMMU   74   /* to 77: eventq, priq, cmdq-sync, gerror */

/* PPIs */
#define PPI_TIMER_S_EL1   13
#define PPI_TIMER_NS_EL1  14
#define PPI_TIMER_VIRT    11
#define PPI_TIMER_NS_EL2  10
#define PPI_PMU           7
#define PPI_XEN_EVTCHN    15
#define PPI_GIC_MAINT     9

/* interrupt flags in the tree */
#define IRQ_EDGE_RISING   1
#define IRQ_LEVEL_HIGH    4

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
	"2.6", "2.7", "2.8", "2.9", "2.10", "2.11", "2.12", "3.0", "3.1", "4.0", "4.1", "4.2", "5.0", "5.1", "5.2",
	"6.0", "6.1", "6.2", "7.0", "7.1", "7.2", NULL,
};

static const struct pm_board_key virt_keys[] = {
	{ "cpu", "string", "CPU model: max (default, 52-bit PA), cortex-a53, cortex-a57, cortex-a72, cortex-a76, a64fx, neoverse-n1" },
	{ "pa_bits", "int", "physical address bits, 32-52 (default: the CPU model's)" },
	{ "gic_version", "string", "v2, v3 as xl.cfg(5) writes it, or QEMU's 2, 3, 4 (needs virtualization), max (4 with virtualization, else 3); default 3 (2 with compat, as QEMU)" },
	{ "its", "bool", "the GICv3 ITS, MSIs for PCIe (default 1; from virt-6.2 with compat)" },
	{ "iommu", "string", "none (default) or smmuv3: an SMMUv3 at 0x09050000 in front of PCIe" },
	{ "default_bus_bypass_iommu", "bool", "the PCIe root bus bypasses the IOMMU (default 0)" },
	{ "secure", "bool", "ARM Security Extensions: secure flash, RAM, UART and GPIO for the secure world (default 0)" },
	{ "virtualization", "bool", "the guest boots at EL2: GIC maintenance interrupt, GICv2's virtual interface, PSCI by SMC (default 0; not on the simulator)" },
	{ "dtb_randomness", "bool", "kaslr-seed and rng-seed in /chosen (default 0; 1 with compat, as QEMU)" },
	{ "phandle_start", "int", "the first phandle of the tree (default 0x8000)" },
	{ "highmem", "bool", "use addresses above 4 GiB (default 1); 0 drops all high regions" },
	{ "highmem_redists", "bool", "the second GICv3 redistributor region (default 1)" },
	{ "highmem_ecam", "bool", "the high PCIe ECAM, 256 buses (default 1)" },
	{ "highmem_mmio", "bool", "the 512 GiB high PCIe MMIO window (default 1)" },
	{ "slots", "int", "memory hotplug slots, 0-256 (each reserves 1 GiB of device memory)" },
	{ "compat", "string", "QEMU machine version to reproduce exactly: 2.6 ... 7.2 (default: the compact layout)" },
	{ "xen", "bool", "describe the Xen hypervisor in the device tree (default 1)" },
	{ "testdev", "bool", "physmap's self-test devices at 0x0b000000 (default 0; docs/guests.md)" },
	{ NULL, NULL, NULL },
};

enum high_region { REDIST2, HIGH_ECAM, HIGH_MMIO, NR_HIGH };
enum { GIC_DEFAULT = 0, GIC_MAX = -1, GIC_HOST = -2 };

static const uint64_t high_size[NR_HIGH] = { REDIST2_SIZE, HIGH_ECAM_SIZE, HIGH_MMIO_SIZE };
static const char *const high_name[NR_HIGH] = { "gic-redist2", "pcie-ecam-high", "pcie-mmio-high" };

/* the machine, kept in the layout for the device tree and the boot plan */
struct virt {
	uint64_t ram, devmem_base, devmem_size, slots;
	unsigned vcpus, pa_bits;
	int gic_req;           /* as asked: 2, 3, 4, GIC_MAX, GIC_HOST, GIC_DEFAULT */
	unsigned gic;          /* 2, 3 or 4, once placed */
	int its, smmu, bypass_iommu, secure, el2, randomness;
	uint32_t phandle_start;
	int pmu, edge_timers;  /* by machine version: a PMU (2.7), level-triggered timers (2.9) */
	unsigned cluster;      /* vCPUs per MPIDR cluster (Aff1) */
	int compat;            /* version index + 1, 0 for the compact layout */
	int xen;
	int testdev;
	int numa;              /* memory hotplug makes QEMU describe one NUMA node */
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

/* gic_version as xl.cfg(5) writes it ("v2", "v3", "default") or QEMU's -M virt,gic-version= */
static int parse_gic(const struct pm_board_config *cfg, struct virt *v, char *err)
{
	static const struct {
		const char *name;
		int gic;
	} names[] = {
		{ "2", 2 }, { "v2", 2 }, { "3", 3 }, { "v3", 3 }, { "4", 4 }, { "v4", 4 },
		{ "max", GIC_MAX }, { "host", GIC_HOST }, { "default", GIC_DEFAULT },
	};
	const char *g = pm_board_opt(cfg, "gic_version");

	v->gic_req = GIC_DEFAULT;
	if (!g)
		return 0;
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (!strcmp(g, names[i].name)) {
			v->gic_req = names[i].gic;
			return 0;
		}
	}
	return pm__board_fail(err, "gic_version: '%s' is not one of v2, v3, 2, 3, 4, max, host", g);
}

/* the GIC, the IOMMU, the security and virtualization extensions, the tree's own options */
static int parse_features(const struct pm_board_config *cfg, struct virt *v, char *err)
{
	const char *iommu = pm_board_opt(cfg, "iommu");
	uint64_t n;
	int rc;

	rc = parse_gic(cfg, v, err);
	if (rc == 0)
		rc = pm_board_opt_bool(cfg, "its", 1, &v->its, err);
	if (rc == 0)
		rc = pm_board_opt_bool(cfg, "default_bus_bypass_iommu", 0, &v->bypass_iommu, err);
	if (rc == 0)
		rc = pm_board_opt_bool(cfg, "secure", 0, &v->secure, err);
	if (rc == 0)
		rc = pm_board_opt_bool(cfg, "virtualization", 0, &v->el2, err);
	if (rc == 0)
		rc = pm_board_opt_bool(cfg, "dtb_randomness", v->compat != 0, &v->randomness, err);
	if (rc == 0)
		rc = pm_board_opt_uint(cfg, "phandle_start", 0, UINT32_MAX, &n, err);
	if (rc)
		return rc;
	v->phandle_start = n ? (uint32_t)n : PHANDLE_START;   /* 0: QEMU's default, as QEMU */
	if (iommu && strcmp(iommu, "none") && strcmp(iommu, "smmuv3"))
		return pm__board_fail(err, "iommu: '%s' is neither none nor smmuv3", iommu);
	v->smmu = iommu && !strcmp(iommu, "smmuv3");
	/* QEMU's TCG has an ITS from virt-6.2 (machines before 2.8 have none at all) */
	if (v->its && pm_board_opt(cfg, "its") && !version_at_least(v, "6.2"))
		return pm__board_fail(err, "its: machine virt-%s has no ITS under emulation (QEMU emulates one from virt-6.2)",
			    machine_name(v));
	v->pmu = version_at_least(v, "2.7");
	v->edge_timers = !version_at_least(v, "2.9");
	return 0;
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
			return pm__board_fail(err, "compat: '%s' is not a virt machine version this board reproduces (2.6 to 7.2)", compat);
	}
	v->cpu = &cpu_models[0];
	if (cpu) {
		for (v->cpu = cpu_models; v->cpu->name; v->cpu++)
			if (strcmp(v->cpu->name, cpu) == 0)
				break;
		if (!v->cpu->name)
			return pm__board_fail(err, "cpu: '%s' is not a CPU model of this board (max, cortex-a53, cortex-a57, cortex-a72, cortex-a76, a64fx, neoverse-n1)", cpu);
	}
	rc = pm_board_opt_uint(cfg, "pa_bits", v->cpu->pa_bits, 52, &n, err);
	if (rc)
		return rc;
	if (n < 32)
		return pm__board_fail(err, "pa_bits: %" PRIu64 " is below 32", n);
	v->pa_bits = (unsigned)n;
	rc = parse_features(cfg, v, err);
	if (rc)
		return rc;
	rc = pm_board_opt_uint(cfg, "slots", 0, UINT32_MAX, &v->slots, err);
	if (rc)
		return rc;
	if (v->slots > MAX_RAM_SLOTS)
		return pm__board_fail(err, "slots: unsupported number of memory slots: %" PRIu64, v->slots);
	rc = pm_board_opt_bool(cfg, "highmem", 1, &highmem, err);
	if (rc == 0)
		rc = pm_board_opt_bool(cfg, "highmem_redists", 1, &high_req[REDIST2], err);
	if (rc == 0)
		rc = pm_board_opt_bool(cfg, "highmem_ecam", 1, &high_req[HIGH_ECAM], err);
	if (rc == 0)
		rc = pm_board_opt_bool(cfg, "highmem_mmio", 1, &high_req[HIGH_MMIO], err);
	if (rc == 0 && high_req[HIGH_ECAM] && pm_board_opt(cfg, "highmem_ecam") && !version_at_least(v, "3.0"))
		return pm__board_fail(err, "highmem_ecam: machine virt-%s has no high PCIe ECAM (QEMU places one from virt-3.0)",
			    machine_name(v));
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
		return pm__board_fail(err, "memory: %" PRIu64 " bytes is not a positive multiple of 64K", v->ram);
	if (cfg->maxmem && cfg->maxmem < v->ram)
		return pm__board_fail(err, "maxmem: %" PRIu64 " bytes is less than memory (%" PRIu64 ")",
			    cfg->maxmem, v->ram);
	if (v->slots && (!cfg->maxmem || cfg->maxmem == v->ram))
		return pm__board_fail(err, "slots: memory slots were specified but maxmem is equal to memory (0x%" PRIx64 ")",
			    v->ram);
	/* QEMU makes one NUMA node of a machine with hotplug slots (virt-4.2 on) or device memory (5.1 on) */
	v->numa = (v->slots && version_at_least(v, "4.2")) ||
		  (cfg->maxmem > v->ram && version_at_least(v, "5.1"));
	return 0;
}

/*
 * The GIC version as QEMU's TCG settles it (finalize_gic_version): the
 * default is 2 for QEMU's machines, 3 for the compact one; max is the
 * newest the vCPUs can use. returns: NULL, or QEMU's refusal
 */
static const char *settle_gic(struct virt *v)
{
	switch (v->gic_req) {
	case GIC_DEFAULT:
		v->gic = v->compat ? 2 : 3;
		return NULL;
	case GIC_MAX:
		v->gic = v->el2 ? 4 : 3;   /* GICv4 only makes sense with EL2 */
		return NULL;
	case GIC_HOST:
		v->gic = 3;
		return "gic-version=host requires KVM";
	case 4:
		v->gic = 4;
		return v->el2 ? NULL : "gic-version=4 requires virtualization enabled";
	default:
		v->gic = (unsigned)v->gic_req;
		return NULL;
	}
}

/* how many redistributors fit in the low region, and in the high one */
static unsigned redist_capacity(const struct virt *v, uint64_t region_size)
{
	return (unsigned)(region_size / (v->gic == 3 ? GICV3_REDIST_SIZE : GICV4_REDIST_SIZE));
}

/* the vCPUs the GIC can serve, with QEMU's two refusals (machvirt_init, then the GIC's realize) */
static int check_gic_cpus(struct virt *v, char *err)
{
	unsigned cap0, cap, virt_max;

	if (v->gic == 2) {
		if (v->vcpus > GICV2_MAX_CPUS)
			return pm__board_fail(err, "vcpus: Number of SMP CPUs requested (%u) exceeds max CPUs supported by machine 'mach-virt' (%u)",
				    v->vcpus, GICV2_MAX_CPUS);
		return 0;
	}
	cap0 = redist_capacity(v, GIC_REDIST_SIZE);
	virt_max = cap0 + redist_capacity(v, REDIST2_SIZE);   /* whether or not the high region is there */
	if (v->vcpus > virt_max)
		return pm__board_fail(err, "vcpus: Number of SMP CPUs requested (%u) exceeds max CPUs supported by machine 'mach-virt' (%u)",
			    v->vcpus, virt_max);
	cap = cap0 + (v->high_on[REDIST2] ? redist_capacity(v, REDIST2_SIZE) : 0);
	if (v->vcpus > cap)
		return pm__board_fail(err, "vcpus: Capacity of the redist regions(%u) does not match the number of vcpus(%u)",
			    cap, v->vcpus);
	v->redist_regions = v->vcpus > cap0 ? 2 : 1;
	return 0;
}

/*
 * Device memory, then the high regions. Returns the error QEMU 7.2 gives
 * for the same machine, checked in QEMU's order.
 */
static int place(const struct pm_board_config *cfg, struct virt *v,
		 const int high_req[NR_HIGH], char *err)
{
	uint64_t maxmem = cfg->maxmem ? cfg->maxmem : v->ram;
	uint64_t pa_limit = UINT64_C(1) << v->pa_bits, memtop, base, slots_bytes;
	unsigned max_cpus = version_at_least(v, "4.0") ? 512 : 255;
	const char *gic_err;
	int rc;

	if (v->vcpus > max_cpus)
		return pm__board_fail(err, "vcpus: Invalid SMP CPUs %u. The max CPUs supported by machine 'virt-%s' is %u",
			    v->vcpus, machine_name(v), max_cpus);
	gic_err = settle_gic(v);
	/* QEMU's MPIDRs: clusters of what the GIC's target lists hold, 8 before virt-2.7 */
	v->cluster = v->gic == 2 || !version_at_least(v, "2.7") ? 8 : 16;
	slots_bytes = v->slots * GiB;
	v->devmem_base = round_up(RAM_BASE + v->ram, GiB);
	v->devmem_size = maxmem - v->ram + slots_bytes;
	if (v->devmem_base < v->ram || v->devmem_size < slots_bytes ||
	    round_up(v->devmem_size, GiB) < v->devmem_size ||
	    v->devmem_base + round_up(v->devmem_size, GiB) < v->devmem_base)
		return pm__board_fail(err, "maxmem: maxmem/slots too huge");
	memtop = base = v->devmem_base + round_up(v->devmem_size, GiB);
	if (memtop > pa_limit)
		return pm__board_fail(err, "memory: Addressing limited to %u bits, but memory exceeds it by %" PRIu64 " bytes",
			    v->pa_bits, memtop - pa_limit);
	if (base < HIGH_FLOOR)
		base = HIGH_FLOOR;

	for (int i = 0; i < NR_HIGH; i++) {
		uint64_t rbase = round_up(base, high_size[i]);
		int on = high_req[i], fits = rbase + high_size[i] <= pa_limit;

		if (i == HIGH_ECAM && !version_at_least(v, "3.0"))
			on = 0;       /* virt-2.12 keeps the ECAM low */
		if (i == REDIST2 && !v->compat && (v->gic == 2 || v->vcpus <= redist_capacity(v, GIC_REDIST_SIZE)))
			on = 0;       /* compact: only when needed */
		v->high_on[i] = on && fits;
		v->high_base[i] = rbase;
		if (!v->compat && !v->high_on[i])
			continue;
		base = rbase + high_size[i];
	}

	if (gic_err)
		return pm__board_fail(err, "gic_version: %s", gic_err);
	rc = check_gic_cpus(v, err);
	if (rc)
		return rc;
	if (v->high_on[HIGH_ECAM]) {
		v->ecam_base = v->high_base[HIGH_ECAM];
		v->ecam_size = HIGH_ECAM_SIZE;
	} else {
		v->ecam_base = PCIE_ECAM_BASE;
		v->ecam_size = PCIE_ECAM_SIZE;
	}
	return 0;
}

/* an ITS: GICv3 or v4, not turned off, and a machine whose emulation has one */
static int has_its(const struct virt *v)
{
	return v->gic != 2 && v->its && version_at_least(v, "6.2");
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
	if (rc == 0 && v->gic == 2 && v->el2)
		rc = pm_board_add_region(l, "gic-hyp", GIC_HYP, 64 * KiB, PM_REGION_MMIO);
	if (rc == 0 && v->gic == 2 && v->el2)
		rc = pm_board_add_region(l, "gic-vcpu", GIC_VCPU, 64 * KiB, PM_REGION_MMIO);
	if (rc == 0 && has_its(v))
		rc = pm_board_add_region(l, "gic-its", GIC_ITS, 128 * KiB, PM_REGION_MMIO);
	if (rc == 0 && v->gic != 2)
		rc = pm_board_add_region(l, "gic-redist", GIC_REDIST, GIC_REDIST_SIZE, PM_REGION_MMIO);
	if (rc == 0)
		rc = pm_board_add_region(l, "smmu", SMMU_BASE, SMMU_SIZE, v->smmu ? PM_REGION_MMIO : PM_REGION_RESERVED);
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
	if (rc == 0 && v->smmu)
		rc = pm_board_add_device(l, "smmu", "smmuv3", SMMU_BASE, SMMU_SIZE, 0, IRQ_SMMU);
	if (rc == 0 && v->testdev)
		rc = pm_board_add_testdevs(l, TESTDEV_BASE);
	return rc;
}

static uint32_t phandles_needed(const struct virt *v);

/* phandle_start: every phandle of the tree below 0xffffffff (QEMU wraps and makes a tree dtc refuses) */
static int check_phandles(const struct virt *v, char *err)
{
	uint32_t need = phandles_needed(v);
	uint64_t room = UINT64_C(0xffffffff) - v->phandle_start;

	if (room < need)
		return pm__board_fail(err, "phandle_start: 0x%" PRIx32 " leaves room for %" PRIu64 " phandles; this tree needs %" PRIu32,
			    v->phandle_start, room, need);
	return 0;
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
		rc = check_phandles(v, err);
	if (rc == 0)
		rc = add_regions(l, v);
	if (rc == 0)
		rc = add_devices(l, v);
	l->arm_gic = v->gic == 2 ? 2 : 3;   /* GICv4 is a GICv3 to Xen */
	if (rc == 0 && v->el2) {
		l->needs |= PM_BOARD_NEEDS_EL2;
		snprintf(l->needs_key, sizeof(l->needs_key), "virtualization = 1");
	} else if (rc == 0 && v->cluster != 16 && v->vcpus > v->cluster) {
		l->needs |= PM_BOARD_NEEDS_AFF8;
		snprintf(l->needs_key, sizeof(l->needs_key), "compat = \"%s\"", machine_name(v));
	}
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
		return pm__board_fail(err, "kernel: %" PRIu64 " bytes at 0x%" PRIx64 " do not fit in RAM [0x%" PRIx64 ", 0x%" PRIx64 ")",
			    b->kernel_size, b->kernel_load, (uint64_t)RAM_BASE, ram_end);
	initrd_end = kernel_end;
	b->initrd_load = 0;
	if (b->initrd_size) {
		want = RAM_BASE + (v->ram / 2 < 128 * MiB ? v->ram / 2 : 128 * MiB);
		b->initrd_load = round_up(want > kernel_end ? want : kernel_end, 2 * MiB);
		initrd_end = b->initrd_load + b->initrd_size;
		if (initrd_end < b->initrd_load || initrd_end > ram_end)
			return pm__board_fail(err, "initrd: %" PRIu64 " bytes do not fit in RAM after the kernel",
				    b->initrd_size);
	}
	b->table_gpa = round_up(initrd_end, 2 * MiB);
	b->table_max = 2 * MiB;
	if (b->table_gpa + b->table_max > ram_end)
		return pm__board_fail(err, "memory: %" PRIu64 " bytes of RAM leave no room for the device tree after the kernel and initrd",
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

struct phandles {
	uint32_t clock, gic, msi, iommu, gpio, secure_gpio, cpu0;
};

static void fdt_pcie(struct fdtw *w, const struct virt *v, const struct phandles *ph)
{
	uint32_t map[4 * 4 * 10], *m = map;
	uint32_t ranges[3 * 7], *r = ranges;

	fdtw_begin(w, "pcie@%" PRIx64, PCIE_MMIO_BASE);
	fdtw_str(w, "compatible", "pci-host-ecam-generic");
	fdtw_str(w, "device_type", "pci");
	fdtw_u32(w, "#address-cells", 3);
	fdtw_u32(w, "#size-cells", 2);
	fdtw_u32(w, "linux,pci-domain", 0);
	fdtw_cells(w, "bus-range", (uint32_t[]){ 0, (uint32_t)(v->ecam_size / MiB - 1) }, 2);
	fdtw_prop(w, "dma-coherent", NULL, 0);
	if (ph->msi)
		fdtw_cells(w, "msi-map", (uint32_t[]){ 0, ph->msi, 0, 0x10000 }, 4);
	if (ph->iommu && !v->bypass_iommu)   /* every requester ID of the root bus through the SMMU */
		fdtw_cells(w, "iommu-map", (uint32_t[]){ 0, ph->iommu, 0, 0x10000 }, 4);
	fdtw_reg(w, "reg", (uint64_t[]){ v->ecam_base, v->ecam_size }, 1);
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
	fdtw_cells(w, "ranges", ranges, (size_t)(r - ranges));
	fdtw_u32(w, "#interrupt-cells", 1);
	/* INTx of slot s, pin p (1-4) swizzled onto SPIs 3-6 */
	for (uint32_t slot = 0; slot < 4; slot++) {
		for (uint32_t pin = 1; pin <= 4; pin++) {
			*m++ = slot << 11; *m++ = 0; *m++ = 0; *m++ = pin;
			*m++ = ph->gic; *m++ = 0; *m++ = 0;
			*m++ = 0; *m++ = IRQ_PCIE + (slot + pin - 1) % 4; *m++ = 4;
		}
	}
	fdtw_cells(w, "interrupt-map", map, (size_t)(m - map));
	fdtw_cells(w, "interrupt-map-mask", (uint32_t[]){ 0x1800, 0, 0, 7 }, 4);
	fdtw_end(w);
}

static void fdt_gic(struct fdtw *w, const struct virt *v, const struct phandles *ph)
{
	fdtw_begin(w, "intc@%" PRIx64, GIC_DIST);
	fdtw_u32(w, "#interrupt-cells", 3);
	fdtw_prop(w, "interrupt-controller", NULL, 0);
	fdtw_u32(w, "#address-cells", 2);
	fdtw_u32(w, "#size-cells", 2);
	fdtw_prop(w, "ranges", NULL, 0);
	fdtw_u32(w, "phandle", ph->gic);
	if (v->el2)   /* the virtual interface's maintenance interrupt */
		fdtw_cells(w, "interrupts", (uint32_t[]){ 1, PPI_GIC_MAINT, IRQ_LEVEL_HIGH }, 3);
	if (v->gic != 2) {
		uint64_t reg[6] = { GIC_DIST, 64 * KiB, GIC_REDIST, GIC_REDIST_SIZE,
				    v->high_base[REDIST2], REDIST2_SIZE };

		fdtw_str(w, "compatible", "arm,gic-v3");   /* v4 too: the binding is the same */
		fdtw_u32(w, "#redistributor-regions", v->redist_regions);
		fdtw_reg(w, "reg", reg, 1 + v->redist_regions);
		if (ph->msi) {
			fdtw_begin(w, "its@%" PRIx64, GIC_ITS);
			fdtw_str(w, "compatible", "arm,gic-v3-its");
			fdtw_prop(w, "msi-controller", NULL, 0);
			fdtw_u32(w, "#msi-cells", 1);
			fdtw_reg(w, "reg", (uint64_t[]){ GIC_ITS, 128 * KiB }, 1);
			fdtw_u32(w, "phandle", ph->msi);
			fdtw_end(w);
		}
	} else {
		uint64_t reg[8] = { GIC_DIST, 64 * KiB, GIC_CPU, 64 * KiB,
				    GIC_HYP, 64 * KiB, GIC_VCPU, 64 * KiB };

		fdtw_str(w, "compatible", "arm,cortex-a15-gic");
		fdtw_reg(w, "reg", reg, v->el2 ? 4 : 2);
		fdtw_begin(w, "v2m@%" PRIx64, GIC_V2M);
		fdtw_str(w, "compatible", "arm,gic-v2m-frame");
		fdtw_prop(w, "msi-controller", NULL, 0);
		fdtw_reg(w, "reg", (uint64_t[]){ GIC_V2M, 4 * KiB }, 1);
		fdtw_u32(w, "phandle", ph->msi);
		fdtw_end(w);
	}
	fdtw_end(w);
}

static void fdt_cpus(struct fdtw *w, const struct virt *v, const struct phandles *ph)
{
	unsigned cluster = v->cluster;
	int topology = version_at_least(v, "6.2");

	fdtw_begin(w, "cpus");
	fdtw_u32(w, "#address-cells", 1);
	fdtw_u32(w, "#size-cells", 0);
	if (topology) {
		fdtw_begin(w, "cpu-map");
		fdtw_begin(w, "socket0");
		fdtw_begin(w, "cluster0");
		for (unsigned i = 0; i < v->vcpus; i++) {
			fdtw_begin(w, "core%u", i);
			fdtw_u32(w, "cpu", ph->cpu0 - i);
			fdtw_end(w);
		}
		fdtw_end(w);
		fdtw_end(w);
		fdtw_end(w);
	}
	for (unsigned i = 0; i < v->vcpus; i++) {
		fdtw_begin(w, "cpu@%u", i);
		fdtw_str(w, "device_type", "cpu");
		fdtw_str(w, "compatible", v->cpu->compatible);
		if (v->vcpus > 1)
			fdtw_str(w, "enable-method", "psci");
		fdtw_u32(w, "reg", ((i / cluster) << 8) | (i % cluster));
		if (topology)
			fdtw_u32(w, "phandle", ph->cpu0 - i);
		if (v->numa)
			fdtw_u32(w, "numa-node-id", 0);
		fdtw_end(w);
	}
	fdtw_end(w);
}

/* a node only the secure world may use */
static void secure_only(struct fdtw *w)
{
	fdtw_str(w, "status", "disabled");
	fdtw_str(w, "secure-status", "okay");
}

static void fdt_pl011(struct fdtw *w, const struct phandles *ph, uint64_t base, uint32_t irq, int secure)
{
	static const char compatible[] = "arm,pl011\0arm,primecell";
	static const char clocks[] = "uartclk\0apb_pclk";

	fdtw_begin(w, "pl011@%" PRIx64, base);
	fdtw_strs(w, "compatible", compatible, sizeof(compatible));
	fdtw_reg(w, "reg", (uint64_t[]){ base, 4 * KiB }, 1);
	fdtw_cells(w, "interrupts", (uint32_t[]){ 0, irq, IRQ_LEVEL_HIGH }, 3);
	fdtw_cells(w, "clocks", (uint32_t[]){ ph->clock, ph->clock }, 2);
	fdtw_strs(w, "clock-names", clocks, sizeof(clocks));
	if (secure)
		secure_only(w);
	fdtw_end(w);
}

/* a PL061 GPIO (the secure one's interrupt line is QEMU's unset 0) */
static void fdt_pl061(struct fdtw *w, const struct phandles *ph, uint64_t base, uint32_t irq,
		      uint32_t phandle, int secure)
{
	static const char compatible[] = "arm,pl061\0arm,primecell";

	fdtw_begin(w, "pl061@%" PRIx64, base);
	fdtw_reg(w, "reg", (uint64_t[]){ base, 4 * KiB }, 1);
	fdtw_strs(w, "compatible", compatible, sizeof(compatible));
	fdtw_u32(w, "#gpio-cells", 2);
	fdtw_prop(w, "gpio-controller", NULL, 0);
	fdtw_cells(w, "interrupts", (uint32_t[]){ 0, irq, IRQ_LEVEL_HIGH }, 3);
	fdtw_u32(w, "clocks", ph->clock);
	fdtw_str(w, "clock-names", "apb_pclk");
	fdtw_u32(w, "phandle", phandle);
	if (secure)
		secure_only(w);
	fdtw_end(w);
}

/*
 * secure = 1: the flash's first bank, 16 MiB of RAM, a second UART and
 * (from virt-6.0) a GPIO whose lines 0 and 1 power off and reset, all for
 * the secure world only
 */
static void fdt_secure(struct fdtw *w, const struct phandles *ph)
{
	fdtw_begin(w, "secflash@%" PRIx64, FLASH_BASE);
	fdtw_str(w, "compatible", "cfi-flash");
	fdtw_reg(w, "reg", (uint64_t[]){ FLASH_BASE, FLASH_BANK }, 1);
	fdtw_u32(w, "bank-width", 4);
	secure_only(w);
	fdtw_end(w);

	fdtw_begin(w, "secram@%" PRIx64, SECURE_MEM_BASE);
	fdtw_str(w, "device_type", "memory");
	fdtw_reg(w, "reg", (uint64_t[]){ SECURE_MEM_BASE, 16 * MiB }, 1);
	secure_only(w);
	fdtw_end(w);

	fdt_pl011(w, ph, SECURE_UART_BASE, IRQ_SECURE_UART, 1);
	if (!ph->secure_gpio)
		return;
	fdt_pl061(w, ph, SECURE_GPIO_BASE, 0, ph->secure_gpio, 1);
	for (uint32_t line = 0; line < 2; line++) {
		const char *name = line ? "gpio-restart" : "gpio-poweroff";

		fdtw_begin(w, "%s", name);
		fdtw_str(w, "compatible", name);
		fdtw_cells(w, "gpios", (uint32_t[]){ ph->secure_gpio, line, 0 }, 3);
		secure_only(w);
		fdtw_end(w);
	}
}

static void fdt_smmu(struct fdtw *w, const struct phandles *ph)
{
	static const char compatible[] = "arm,smmu-v3";
	static const char names[] = "eventq\0priq\0cmdq-sync\0gerror";
	uint32_t irqs[12];

	for (uint32_t i = 0; i < 4; i++) {
		irqs[3 * i] = 0;
		irqs[3 * i + 1] = IRQ_SMMU + i;
		irqs[3 * i + 2] = IRQ_EDGE_RISING;
	}
	fdtw_begin(w, "smmuv3@%" PRIx64, SMMU_BASE);
	fdtw_strs(w, "compatible", compatible, sizeof(compatible));
	fdtw_reg(w, "reg", (uint64_t[]){ SMMU_BASE, SMMU_SIZE }, 1);
	fdtw_cells(w, "interrupts", irqs, 12);
	fdtw_strs(w, "interrupt-names", names, sizeof(names));
	fdtw_prop(w, "dma-coherent", NULL, 0);
	fdtw_u32(w, "#iommu-cells", 1);
	fdtw_u32(w, "phandle", ph->iommu);
	fdtw_end(w);
}

static void fdt_devices(struct fdtw *w, const struct virt *v, const struct phandles *ph)
{
	static const char primecell_rtc[] = "arm,pl031\0arm,primecell";
	static const char platform[] = "qemu,platform\0simple-bus";

	fdtw_begin(w, "platform-bus@%" PRIx64, PLATFORM_BASE);
	fdtw_strs(w, "compatible", platform, sizeof(platform));
	fdtw_u32(w, "#address-cells", 1);
	fdtw_u32(w, "#size-cells", 1);
	fdtw_cells(w, "ranges", (uint32_t[]){ 0, 0, (uint32_t)PLATFORM_BASE, (uint32_t)PLATFORM_SIZE }, 4);
	fdtw_u32(w, "interrupt-parent", ph->gic);
	fdtw_end(w);

	fdtw_begin(w, "fw-cfg@%" PRIx64, FW_CFG_BASE);
	fdtw_str(w, "compatible", "qemu,fw-cfg-mmio");
	fdtw_reg(w, "reg", (uint64_t[]){ FW_CFG_BASE, FW_CFG_SIZE }, 1);
	fdtw_prop(w, "dma-coherent", NULL, 0);
	fdtw_end(w);

	for (int i = 0; i < VIRTIO_COUNT; i++) {
		uint64_t base = VIRTIO_BASE + (uint64_t)i * VIRTIO_SIZE;

		fdtw_begin(w, "virtio_mmio@%" PRIx64, base);
		fdtw_str(w, "compatible", "virtio,mmio");
		fdtw_reg(w, "reg", (uint64_t[]){ base, VIRTIO_SIZE }, 1);
		fdtw_cells(w, "interrupts", (uint32_t[]){ 0, (uint32_t)(IRQ_VIRTIO + i), 1 }, 3);
		fdtw_prop(w, "dma-coherent", NULL, 0);
		fdtw_end(w);
	}

	fdtw_begin(w, "gpio-keys");
	fdtw_str(w, "compatible", "gpio-keys");
	fdtw_begin(w, "poweroff");
	fdtw_str(w, "label", "GPIO Key Poweroff");
	fdtw_u32(w, "linux,code", 116);   /* KEY_POWER */
	fdtw_cells(w, "gpios", (uint32_t[]){ ph->gpio, 3, 0 }, 3);
	fdtw_end(w);
	fdtw_end(w);

	fdt_pl061(w, ph, GPIO_BASE, IRQ_GPIO, ph->gpio, 0);

	fdt_pcie(w, v, ph);

	fdtw_begin(w, "pl031@%" PRIx64, RTC_BASE);
	fdtw_strs(w, "compatible", primecell_rtc, sizeof(primecell_rtc));
	fdtw_reg(w, "reg", (uint64_t[]){ RTC_BASE, 4 * KiB }, 1);
	fdtw_cells(w, "interrupts", (uint32_t[]){ 0, IRQ_RTC, 4 }, 3);
	fdtw_u32(w, "clocks", ph->clock);
	fdtw_str(w, "clock-names", "apb_pclk");
	fdtw_end(w);

	fdt_pl011(w, ph, UART_BASE, IRQ_UART, 0);
	if (v->secure)
		fdt_secure(w, ph);
	if (v->smmu)
		fdt_smmu(w, ph);
}

/*
 * phandles in QEMU's order: the clock, the CPUs (last first, from
 * virt-6.2), the GIC, its MSI controller, the IOMMU, the GPIOs
 */
static void allocate_phandles(const struct virt *v, struct phandles *ph)
{
	uint32_t next = v->phandle_start;

	ph->clock = next++;
	if (version_at_least(v, "6.2")) {
		ph->cpu0 = next + v->vcpus - 1;
		next += v->vcpus;
	}
	ph->gic = next++;
	if (v->gic == 2 || has_its(v))
		ph->msi = next++;
	if (v->smmu)
		ph->iommu = next++;
	ph->gpio = next++;
	if (v->secure && version_at_least(v, "6.0"))
		ph->secure_gpio = next++;
}

/* how many phandles the tree takes (allocate_phandles' count) */
static uint32_t phandles_needed(const struct virt *v)
{
	struct phandles ph = { 0 };
	struct virt w = *v;

	w.phandle_start = 1;
	allocate_phandles(&w, &ph);
	return ph.secure_gpio > ph.gpio ? ph.secure_gpio : ph.gpio;
}

/*
 * QEMU's PSCI conduit: SMC with EL2, else HVC; none where it would call
 * the EL the guest starts in. A Linux kernel starts at EL2 or EL1; with
 * none (a tree dumped alone) the vCPU starts at its highest EL: EL3 with
 * secure, so no PSCI node then.
 */
static const char *psci_method(const struct virt *v, const struct pm_board_boot *b)
{
	unsigned boot_el;

	if (b && b->kernel_size)
		boot_el = v->el2 ? 2 : 1;
	else
		boot_el = v->secure ? 3 : v->el2 ? 2 : 1;
	if ((!v->el2 && boot_el >= 2) || (v->el2 && boot_el == 3))
		return NULL;
	return v->el2 ? "smc" : "hvc";
}

static void fdt_psci(struct fdtw *w, const char *method)
{
	static const char psci[] = "arm,psci-1.0\0arm,psci-0.2\0arm,psci";

	fdtw_begin(w, "psci");
	fdtw_strs(w, "compatible", psci, sizeof(psci));
	fdtw_str(w, "method", method);
	fdtw_u32(w, "cpu_suspend", 0xc4000001);
	fdtw_u32(w, "cpu_off", 0x84000002);
	fdtw_u32(w, "cpu_on", 0xc4000003);
	fdtw_u32(w, "migrate", 0xc4000005);
	fdtw_end(w);
}

/* both banks in one node, or (secure) the second alone: the first is fdt_secure's */
static void fdt_flash(struct fdtw *w, const struct virt *v)
{
	uint64_t reg[4] = { FLASH_BASE, FLASH_BANK, FLASH_BASE + FLASH_BANK, FLASH_BANK };

	fdtw_begin(w, "flash@%" PRIx64, v->secure ? FLASH_BASE + FLASH_BANK : FLASH_BASE);
	fdtw_str(w, "compatible", "cfi-flash");
	fdtw_reg(w, "reg", v->secure ? reg + 2 : reg, v->secure ? 1 : 2);
	fdtw_u32(w, "bank-width", 4);
	fdtw_end(w);
}

/* the timer's and the PMU's PPIs; GICv2 names the CPUs they reach, virt-2.8 and older say edge */
static void fdt_timer_pmu(struct fdtw *w, const struct virt *v)
{
	static const char timer[] = "arm,armv8-timer\0arm,armv7-timer";
	uint32_t targets = v->gic == 2 ? ((UINT32_C(1) << v->vcpus) - 1) << 8 : 0;   /* vcpus <= 8 */
	uint32_t tflags = (v->edge_timers ? IRQ_EDGE_RISING : IRQ_LEVEL_HIGH) | targets;

	if (v->pmu) {
		fdtw_begin(w, "pmu");
		fdtw_str(w, "compatible", "arm,armv8-pmuv3");
		fdtw_cells(w, "interrupts", (uint32_t[]){ 1, PPI_PMU, IRQ_LEVEL_HIGH | targets }, 3);
		fdtw_end(w);
	}
	fdtw_begin(w, "timer");
	fdtw_strs(w, "compatible", timer, sizeof(timer));
	fdtw_prop(w, "always-on", NULL, 0);
	fdtw_cells(w, "interrupts", (uint32_t[]){
		1, PPI_TIMER_S_EL1, tflags, 1, PPI_TIMER_NS_EL1, tflags,
		1, PPI_TIMER_VIRT, tflags, 1, PPI_TIMER_NS_EL2, tflags }, 12);
	fdtw_end(w);
}

/* dtb_randomness: a KASLR seed and 32 bytes for the guest's RNG, fresh each time */
static void randomness(struct fdtw *w)
{
	fdtw_random(w, "kaslr-seed", 8);
	fdtw_random(w, "rng-seed", 32);
}

static void fdt_chosen(struct fdtw *w, const struct virt *v, const struct pm_board_boot *b)
{
	fdtw_begin(w, "chosen");
	fdtw_str(w, "stdout-path", "/pl011@9000000");
	if (v->randomness)
		randomness(w);
	if (b && b->cmdline)
		fdtw_str(w, "bootargs", b->cmdline);
	if (b && b->initrd_size) {
		uint64_t s = b->initrd_load, e = b->initrd_load + b->initrd_size;

		fdtw_cells(w, "linux,initrd-start", (uint32_t[]){ (uint32_t)(s >> 32), (uint32_t)s }, 2);
		fdtw_cells(w, "linux,initrd-end", (uint32_t[]){ (uint32_t)(e >> 32), (uint32_t)e }, 2);
	}
	fdtw_end(w);
	if (!v->secure)
		return;
	fdtw_begin(w, "secure-chosen");
	fdtw_str(w, "stdout-path", "/pl011@9040000");
	if (v->randomness)
		randomness(w);
	fdtw_end(w);
}

static void fdt_xen(struct fdtw *w)
{
	static const char xen[] = "xen,xen-4.17\0xen,xen";

	fdtw_begin(w, "hypervisor@%" PRIx64, XEN_GNTTAB_BASE);
	fdtw_strs(w, "compatible", xen, sizeof(xen));
	fdtw_reg(w, "reg", (uint64_t[]){ XEN_GNTTAB_BASE, XEN_GNTTAB_SIZE }, 1);
	fdtw_cells(w, "interrupts", (uint32_t[]){ 1, PPI_XEN_EVTCHN, 0xf08 }, 3);
	fdtw_end(w);
}

static void fdt_clock(struct fdtw *w, const struct phandles *ph)
{
	fdtw_begin(w, "apb-pclk");
	fdtw_str(w, "compatible", "fixed-clock");
	fdtw_u32(w, "#clock-cells", 0);
	fdtw_u32(w, "clock-frequency", 24000000);
	fdtw_str(w, "clock-output-names", "clk24mhz");
	fdtw_u32(w, "phandle", ph->clock);
	fdtw_end(w);
}

static long virt_firmware(const struct pm_board_layout *l, const struct pm_board_boot *b, void **blob)
{
	const struct virt *v = l->board_data;
	const char *method = psci_method(v, b);
	struct fdtw w;
	struct phandles ph = { 0 };

	allocate_phandles(v, &ph);
	if (fdtw_start(&w))
		return w.rc;
	fdtw_u32(&w, "interrupt-parent", ph.gic);
	fdtw_str(&w, "model", "linux,dummy-virt");
	fdtw_u32(&w, "#size-cells", 2);
	fdtw_u32(&w, "#address-cells", 2);
	fdtw_str(&w, "compatible", "linux,dummy-virt");
	if (method)
		fdt_psci(&w, method);

	fdtw_begin(&w, "memory@%" PRIx64, RAM_BASE);
	fdtw_str(&w, "device_type", "memory");
	fdtw_reg(&w, "reg", (uint64_t[]){ RAM_BASE, v->ram }, 1);
	if (v->numa)
		fdtw_u32(&w, "numa-node-id", 0);
	fdtw_end(&w);

	fdt_devices(&w, v, &ph);
	fdt_gic(&w, v, &ph);
	fdt_flash(&w, v);
	fdt_cpus(&w, v, &ph);
	fdt_timer_pmu(&w, v);
	fdt_clock(&w, &ph);
	fdt_chosen(&w, v, b);
	if (v->xen)
		fdt_xen(&w);
	return fdtw_finish(&w, blob);
}

const struct board_ops pm__board_virt = {
	.name = "virt",
	.summary = "ARM virt machine with a device tree, as QEMU's virt (compat = 7.2 reproduces it)",
	.keys = virt_keys,
	.layout = virt_layout,
	.boot = virt_boot,
	.firmware = virt_firmware,
};
