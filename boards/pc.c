/*
 * pc.c - the PC family: `pc` (i440fx) and `q35`, as QEMU 7.2 lays them out
 *
 * RAM is split around the 32-bit PCI hole:
 *   pc:  the split is max_ram_below_4g (default 3.5 GiB, at most 4 GiB);
 *        when RAM does not fit below it and the split is above 3 GiB, it
 *        moves down to 3 GiB (gigabyte alignment, pc >= 1.7).
 *   q35: the split is 2 GiB when RAM is 2.75 GiB or more, else 2.75 GiB
 *        (room for the PCI hole and the 256 MiB ECAM at 0xb0000000), and
 *        never above max_ram_below_4g (default 4 GiB).
 * RAM above the split goes to 4 GiB. With an AMD CPU (QEMU's default
 * qemu64 is one) on machine 7.1 and later, the HyperTransport window
 * [0xfd00000000, 1 TiB) is reserved when the CPU has 40 or more physical
 * address bits, and RAM above 4 GiB moves to 1 TiB when the highest address
 * used (the end of the 64-bit PCI hole, which starts at the next GiB above
 * RAM and is 2 GiB on pc, 32 GiB on q35) would reach that window. A
 * machine whose highest address exceeds the physical address size is
 * refused, with QEMU's message.
 *
 * Two E820 maps come out: `firmware_e820` is exactly what QEMU's fw_cfg
 * file etc/e820 holds (the oracle test reads QEMU's), and `e820` is the map
 * the guest boots with (PVH start info): the RAM, the legacy area below
 * 1 MiB, the q35 ECAM and the top-of-4G device area reserved.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <xen/xen.h>
#include <xen/arch-x86/hvm/start_info.h>
#include <xen/hvm/hvm_info_table.h>

#include "physmap/board.h"
#include "alloc-internal.h"

#define KiB (UINT64_C(1) << 10)
#define MiB (UINT64_C(1) << 20)
#define GiB (UINT64_C(1) << 30)

/* testdev=1: physmap's self-test devices, below the IOAPIC in the PCI hole */
#define TESTDEV_BASE UINT64_C(0xfe000000)
#define TiB (UINT64_C(1) << 40)

#define AMD_HT_START        UINT64_C(0xfd00000000)
#define AMD_HT_SIZE         (TiB - AMD_HT_START)
/* the host bridges' pci-hole64-size defaults */
#define I440FX_HOLE64_SIZE  (2 * GiB)
#define Q35_HOLE64_SIZE     (32 * GiB)
#define Q35_ECAM_BASE       UINT64_C(0xb0000000)
#define Q35_ECAM_SIZE       (256 * MiB)
#define IOAPIC_BASE         UINT64_C(0xfec00000)
#define HPET_BASE           UINT64_C(0xfed00000)
#define LAPIC_BASE          UINT64_C(0xfee00000)
#define BIOS_BASE           UINT64_C(0xfffc0000)

enum chipset { I440FX, Q35 };

static const struct pm_board_key pc_keys[] = {
	{ "max_ram_below_4g", "size", "most RAM below 4 GiB (QEMU's max-ram-below-4g)" },
	{ "pa_bits", "int", "CPU physical address bits, 32-52 (default 40, TCG's qemu64)" },
	{ "cpu_vendor", "string", "amd (default, as qemu64) or intel" },
	{ "compat", "string", "QEMU machine version to reproduce: 7.2 (default), 7.1, 7.0" },
	{ "testdev", "bool", "physmap's self-test devices at 0xfe000000 (default 0; docs/guests.md)" },
	{ NULL, NULL, NULL },
};

static uint64_t round_up(uint64_t v, uint64_t align)
{
	return (v + align - 1) & ~(align - 1);
}

/* what the firmware tables need of the configuration */
struct pc_data {
	unsigned vcpus, max_vcpus;   /* online at boot; the domain's */
};

struct pc_params {
	uint64_t ram, max_below, pa_bits;
	int amd, amd_1tb_hole;
};

static int parse(const struct pm_board_config *cfg, enum chipset chip,
		 struct pc_params *p, char *err)
{
	const char *vendor = pm_board_opt(cfg, "cpu_vendor");
	const char *compat = pm_board_opt(cfg, "compat");
	int rc;

	p->ram = cfg->memory;
	rc = pm_board_opt_size(cfg, "max_ram_below_4g",
			       chip == I440FX ? UINT64_C(0xe0000000) : 4 * GiB,
			       &p->max_below, err);
	if (rc)
		return rc;
	if (p->max_below > 4 * GiB) {
		snprintf(err, PM_BOARD_ERR_LEN,
			 "max_ram_below_4g: %s expects a size of at most 4G",
			 pm_board_opt(cfg, "max_ram_below_4g"));
		return -EINVAL;
	}
	if (pm_board_opt(cfg, "max_ram_below_4g") && p->max_below == 0) {
		/* QEMU takes 0 as "not set" */
		p->max_below = chip == I440FX ? UINT64_C(0xe0000000) : 4 * GiB;
	}
	rc = pm_board_opt_uint(cfg, "pa_bits", 40, 52, &p->pa_bits, err);
	if (rc)
		return rc;
	if (p->pa_bits < 32) {
		snprintf(err, PM_BOARD_ERR_LEN, "pa_bits: %" PRIu64 " is below 32", p->pa_bits);
		return -EINVAL;
	}
	if (!vendor || strcmp(vendor, "amd") == 0) {
		p->amd = 1;
	} else if (strcmp(vendor, "intel") == 0) {
		p->amd = 0;
	} else {
		snprintf(err, PM_BOARD_ERR_LEN, "cpu_vendor: '%s' is neither amd nor intel", vendor);
		return -EINVAL;
	}
	if (!compat || strcmp(compat, "7.2") == 0 || strcmp(compat, "7.1") == 0) {
		p->amd_1tb_hole = 1;
	} else if (strcmp(compat, "7.0") == 0) {
		p->amd_1tb_hole = 0;
	} else {
		snprintf(err, PM_BOARD_ERR_LEN, "compat: '%s' is not a machine version this board reproduces (7.0, 7.1, 7.2)", compat);
		return -EINVAL;
	}
	if (p->ram < 2 * MiB) {
		snprintf(err, PM_BOARD_ERR_LEN, "memory: %" PRIu64 " bytes is below the 2M a PC guest needs", p->ram);
		return -EINVAL;
	}
	return 0;
}

static int add(struct pm_board_layout *l, const char *name, uint64_t base,
	       uint64_t size, enum pm_region_kind kind, uint32_t e820_type)
{
	int rc = pm_board_add_region(l, name, base, size, kind);

	if (rc == 0 && e820_type)
		rc = pm_e820_add(&l->e820, base, size, e820_type);
	return rc;
}

/* QEMU's split of RAM below and above 4 GiB (pc_init1 / pc_q35_init) */
static void split_ram(enum chipset chip, const struct pc_params *p, uint64_t *below, uint64_t *above)
{
	uint64_t lowmem;

	if (chip == I440FX) {
		lowmem = p->max_below;
		if (p->ram >= p->max_below && lowmem > 0xc0000000)
			lowmem = 0xc0000000;
	} else {
		lowmem = p->ram >= Q35_ECAM_BASE ? 2 * GiB : Q35_ECAM_BASE;
		if (lowmem > p->max_below)
			lowmem = p->max_below;
	}
	*below = p->ram >= lowmem ? lowmem : p->ram;
	*above = p->ram - *below;
}

/* the highest address the machine uses: the 64-bit PCI window's end, or the 32-bit space's */
static uint64_t max_used_gpa(const struct pc_params *p, uint64_t above_start, uint64_t above, uint64_t hole64)
{
	return p->pa_bits <= 32 ? (UINT64_C(1) << p->pa_bits) - 1 : round_up(above_start + above, GiB) + hole64 - 1;
}

/*
 * what QEMU hands its firmware (fw_cfg etc/e820), with AMD's HyperTransport
 * hole moving RAM above 1 TiB, and QEMU's refusal of a machine past its
 * phys-bits. @above_start: where RAM above 4 GiB starts (out)
 */
static int firmware_map(struct pm_board_layout *l, const struct pc_params *p, uint64_t below, uint64_t above,
			uint64_t hole64, uint64_t *above_start, char *err)
{
	uint64_t max_used, max_phys = (UINT64_C(1) << p->pa_bits) - 1;
	int rc = 0;

	*above_start = 4 * GiB;
	if (p->amd && p->amd_1tb_hole) {
		if (max_used_gpa(p, *above_start, above, hole64) >= AMD_HT_START)
			*above_start = TiB;
		if (p->pa_bits >= 40)
			rc = pm_e820_add(&l->firmware_e820, AMD_HT_START, AMD_HT_SIZE, PM_E820_RESERVED);
	}
	max_used = max_used_gpa(p, *above_start, above, hole64);
	if (max_phys < max_used) {
		snprintf(err, PM_BOARD_ERR_LEN,
			 "Address space limit 0x%" PRIx64 " < 0x%" PRIx64 " phys-bits too low (%" PRIu64 ")",
			 max_phys, max_used, p->pa_bits);
		return -EINVAL;
	}
	if (rc == 0)
		rc = pm_e820_add(&l->firmware_e820, 0, below, PM_E820_RAM);
	if (rc == 0 && above)
		rc = pm_e820_add(&l->firmware_e820, *above_start, above, PM_E820_RAM);
	if (rc == 0)
		rc = pm_e820_sanitize(&l->firmware_e820);
	return rc;
}

/*
 * The 32-bit PCI window runs from the top of low RAM to the IOAPIC; on
 * q35 the ECAM cuts it in two (low RAM never passes the ECAM there).
 */
static int pci_mmio32(struct pm_board_layout *l, enum chipset chip, uint64_t below)
{
	uint64_t start = below > MiB ? below : MiB;
	int rc = 0;

	if (chip == Q35) {
		if (start < Q35_ECAM_BASE)
			rc = add(l, "pci-mmio32", start, Q35_ECAM_BASE - start, PM_REGION_MMIO, 0);
		start = Q35_ECAM_BASE + Q35_ECAM_SIZE;
	}
	if (rc == 0)
		rc = add(l, chip == Q35 ? "pci-mmio32-high" : "pci-mmio32", start, IOAPIC_BASE - start,
			 PM_REGION_MMIO, 0);
	return rc;
}

/* the machine's regions, and the map the guest boots with */
static int machine_map(struct pm_board_layout *l, enum chipset chip, const struct pc_params *p, uint64_t below,
		       uint64_t above, uint64_t above_start, uint64_t hole64)
{
	uint64_t low_ram_end = below < 0xa0000 ? below : 0xa0000;
	int rc = add(l, "ram-low", 0, low_ram_end, PM_REGION_RAM, PM_E820_RAM);

	if (rc == 0)
		rc = add(l, "vga", 0xa0000, 0x20000, PM_REGION_MMIO, PM_E820_RESERVED);
	if (rc == 0)
		rc = add(l, "option-rom+bios-shadow", 0xc0000, 0x40000, PM_REGION_ROM, PM_E820_RESERVED);
	if (rc == 0 && below > MiB)
		rc = add(l, "ram-below-4g", MiB, below - MiB, PM_REGION_RAM, PM_E820_RAM);
	if (rc == 0 && chip == Q35)
		rc = add(l, "pcie-ecam", Q35_ECAM_BASE, Q35_ECAM_SIZE, PM_REGION_MMIO, PM_E820_RESERVED);
	if (rc == 0)
		rc = pci_mmio32(l, chip, below);
	if (rc == 0)
		rc = add(l, "ioapic", IOAPIC_BASE, 4 * KiB, PM_REGION_MMIO, PM_E820_RESERVED);
	if (rc == 0)
		rc = add(l, "hpet", HPET_BASE, KiB, PM_REGION_MMIO, PM_E820_RESERVED);
	if (rc == 0)
		rc = add(l, "lapic", LAPIC_BASE, MiB, PM_REGION_MMIO, PM_E820_RESERVED);
	if (rc == 0)
		rc = add(l, "bios", BIOS_BASE, 4 * GiB - BIOS_BASE, PM_REGION_ROM, PM_E820_RESERVED);
	if (rc == 0 && above)
		rc = add(l, above_start == TiB ? "ram-above-1t" : "ram-above-4g",
			 above_start, above, PM_REGION_RAM, PM_E820_RAM);
	if (rc == 0 && p->amd && p->amd_1tb_hole && p->pa_bits >= 40)
		rc = add(l, "amd-hypertransport", AMD_HT_START, AMD_HT_SIZE, PM_REGION_RESERVED, PM_E820_RESERVED);
	if (rc == 0)
		rc = add(l, "pci-mmio64", round_up(above_start + above, GiB), hole64, PM_REGION_MMIO, 0);
	if (rc == 0)
		rc = pm_e820_sanitize(&l->e820);
	return rc;
}

/* what physmap-dm provides (COM1 and the CMOS clock: PVH needs no more), and the vCPUs for the tables */
static int devices_and_cpus(const struct pm_board_config *cfg, struct pm_board_layout *l, char *err)
{
	struct pc_data *d;
	int testdev = 0;
	int rc = pm_board_add_device(l, "com1", "16550", 0x3f8, 8, 1, 4);

	if (rc == 0)
		rc = pm_board_add_device(l, "rtc", "mc146818", 0x70, 2, 1, 8);
	if (rc == 0)
		rc = pm_board_opt_bool(cfg, "testdev", 0, &testdev, err);
	if (rc == 0 && testdev)
		rc = pm_board_add_testdevs(l, TESTDEV_BASE);
	if (rc)
		return rc;
	d = pm__malloc(sizeof(*d));
	if (!d)
		return -ENOMEM;
	d->vcpus = cfg->vcpus ? cfg->vcpus : 1;
	d->max_vcpus = cfg->max_vcpus > d->vcpus ? cfg->max_vcpus : d->vcpus;
	l->board_data = d;
	return 0;
}

static int pc_layout(const struct pm_board_config *cfg, enum chipset chip,
		     struct pm_board_layout *l, char *err)
{
	uint64_t below, above, above_start, hole64 = chip == Q35 ? Q35_HOLE64_SIZE : I440FX_HOLE64_SIZE;
	struct pc_params p;
	int rc = parse(cfg, chip, &p, err);

	if (rc)
		return rc;
	split_ram(chip, &p, &below, &above);
	rc = firmware_map(l, &p, below, above, hole64, &above_start, err);
	if (rc == 0)
		rc = machine_map(l, chip, &p, below, above, above_start, hole64);
	if (rc == 0)
		rc = devices_and_cpus(cfg, l, err);
	return rc;
}

/* Xen's HVM_MAX_VCPUS: an HVM or PVH guest has 128 vCPUs at most (the config takes up to 512, for virt) */
static int check_vcpus(const struct pm_board_config *cfg, char *err)
{
	int max = cfg->max_vcpus > cfg->vcpus;
	unsigned n = max ? cfg->max_vcpus : cfg->vcpus;

	if (n <= HVM_MAX_VCPUS)
		return 0;
	snprintf(err, PM_BOARD_ERR_LEN, "%s: %u is more than the %u vCPUs of an HVM or PVH guest (Xen's HVM_MAX_VCPUS)",
		 max ? "maxvcpus" : "vcpus", n, HVM_MAX_VCPUS);
	return -EINVAL;
}

static int layout_pc(const struct pm_board_config *cfg, struct pm_board_layout *l, char *err)
{
	return check_vcpus(cfg, err) ?: pc_layout(cfg, I440FX, l, err);
}

static int layout_q35(const struct pm_board_config *cfg, struct pm_board_layout *l, char *err)
{
	return check_vcpus(cfg, err) ?: pc_layout(cfg, Q35, l, err);
}

/*
 * PVH's fixed low pages: start info with its memory map and module list,
 * the ACPI tables (one blob), then the command line. All of it is in the
 * first MiB, which x86 kernels keep for themselves, so the tables need no
 * E820 entry of their own (one would make those RAM pages a P2M hole).
 */
#define PVH_START_INFO  UINT64_C(0x1000)
#define PVH_ACPI        UINT64_C(0x2000)
#define PVH_CMDLINE     UINT64_C(0x8000)
#define PVH_CMDLINE_MAX UINT64_C(0x6000)
#define PVH_KERNEL      MiB

/* the end of the RAM run of the guest E820 that holds @addr, or 0 */
static uint64_t ram_run_end(const struct pm_e820 *map, uint64_t addr)
{
	for (size_t i = 0; i < map->nr; i++) {
		const struct pm_e820_entry *e = &map->entries[i];

		if (e->type == PM_E820_RAM && addr >= e->addr && addr - e->addr < e->size)
			return e->addr + e->size;
	}
	return 0;
}

/*
 * PVH: the kernel where its ELF notes say (1 MiB if the caller has no
 * address), start info at 0x1000, the command line at 0x2000, the initrd
 * at the top of RAM below 4 GiB. vCPU 0 enters in 32-bit protected mode,
 * paging off, ebx = start info.
 */
static int pc_boot(const struct pm_board_layout *l, struct pm_board_boot *b, char *err)
{
	uint64_t kernel_end, low_end = ram_run_end(&l->e820, PVH_KERNEL);

	b->kernel_load = b->kernel_gpa ? b->kernel_gpa : PVH_KERNEL;
	kernel_end = b->kernel_load + b->kernel_size;
	if (kernel_end < b->kernel_load || ram_run_end(&l->e820, b->kernel_load) < kernel_end) {
		snprintf(err, PM_BOARD_ERR_LEN,
			 "kernel: %" PRIu64 " bytes at 0x%" PRIx64 " are not in RAM",
			 b->kernel_size, b->kernel_load);
		return -EINVAL;
	}
	if (b->cmdline && strlen(b->cmdline) >= PVH_CMDLINE_MAX) {
		snprintf(err, PM_BOARD_ERR_LEN, "cmdline: %zu bytes is longer than PVH's %" PRIu64,
			 strlen(b->cmdline), PVH_CMDLINE_MAX - 1);
		return -EINVAL;
	}
	b->initrd_load = 0;
	if (b->initrd_size) {
		if (low_end < b->initrd_size || ((low_end - b->initrd_size) & ~(uint64_t)0xfff) < kernel_end) {
			snprintf(err, PM_BOARD_ERR_LEN,
				 "initrd: %" PRIu64 " bytes do not fit in RAM below 4G after the kernel",
				 b->initrd_size);
			return -EINVAL;
		}
		b->initrd_load = (low_end - b->initrd_size) & ~(uint64_t)0xfff;
	}
	b->table_gpa = PVH_START_INFO;
	b->table_max = PVH_CMDLINE - PVH_START_INFO;
	b->cmdline_gpa = b->cmdline ? PVH_CMDLINE : 0;
	memset(&b->vcpu, 0, sizeof(b->vcpu));
	b->vcpu.arch = PM_ARCH_X86_32;
	b->vcpu.pc = b->kernel_gpa ? b->kernel_entry : b->kernel_load + b->kernel_entry;
	b->vcpu.regs[1] = PVH_START_INFO;   /* ebx */
	b->vcpu.cr0 = 1;                     /* PE */
	return 0;
}

/* the machine has a CMOS clock: physmap-dm's mc146818 */
static int has_rtc(const struct pm_board_layout *l)
{
	for (size_t i = 0; i < l->nr_devices; i++)
		if (strcmp(l->devices[i].model, "mc146818") == 0)
			return 1;
	return 0;
}

/*
 * One blob from PVH_START_INFO: start info, its memory map and a module
 * list naming the initrd in the first page, the ACPI tables from PVH_ACPI
 */
static long pc_firmware(const struct pm_board_layout *l, const struct pm_board_boot *b, void **blob)
{
	const struct pc_data *d = l->board_data;
	size_t acpi_at = PVH_ACPI - PVH_START_INFO;
	size_t len = (size_t)(PVH_CMDLINE - PVH_START_INFO);
	uint8_t *buf = pm__calloc(1, len);
	struct hvm_modlist_entry *mod;
	struct hvm_start_info *si;
	long n, acpi;

	if (!buf)
		return -ENOMEM;
	n = pm_board_pvh_start_info(l, buf, acpi_at, b->table_gpa, b->cmdline_gpa);
	if (n >= 0 && b->initrd_size && (size_t)n + sizeof(*mod) > acpi_at)
		n = -ENOSPC;
	if (n < 0)
		goto out;
	si = (struct hvm_start_info *)buf;
	if (b->initrd_size) {
		mod = (struct hvm_modlist_entry *)(buf + n);
		mod->paddr = b->initrd_load;
		mod->size = b->initrd_size;
		si->modlist_paddr = b->table_gpa + (uint64_t)n;
		si->nr_modules = 1;
	}
	acpi = pm_board_acpi_tables(buf + acpi_at, len - acpi_at, b->table_gpa + acpi_at,
				    d ? d->max_vcpus : 1, d ? d->vcpus : 1, has_rtc(l));
	if (acpi < 0) {
		n = acpi;
		goto out;
	}
	si->rsdp_paddr = b->table_gpa + acpi_at;
	n = (long)acpi_at + acpi;
out:
	if (n < 0)
		free(buf);
	else
		*blob = buf;
	return n;
}

const struct board_ops pm__board_pc = {
	.name = "pc",
	.summary = "PC with the i440fx chipset, as QEMU 7.2's pc machine",
	.keys = pc_keys,
	.cpu_hotplug = true,
	.layout = layout_pc,
	.boot = pc_boot,
	.firmware = pc_firmware,
};

const struct board_ops pm__board_q35 = {
	.name = "q35",
	.summary = "PC with the Q35 chipset and PCIe, as QEMU 7.2's q35 machine",
	.keys = pc_keys,
	.cpu_hotplug = true,
	.layout = layout_q35,
	.boot = pc_boot,
	.firmware = pc_firmware,
};
