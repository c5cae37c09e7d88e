/*
 * physmap/board.h - guest machine layouts: the interface between the
 * library and its boards (the files of boards/ implement it)
 *
 * A board turns a domain's configuration (memory, vCPUs, board keys) into a
 * machine: where RAM goes, which MMIO windows exist, the firmware tables the
 * guest boots with, and the holes the P2M identity-maps. One board (or a
 * small family, like pc/q35) per file; boards register themselves in
 * board.c's table.
 *
 * Errors: functions return 0 or a negative errno; where the input is at
 * fault they also write one line into the caller's `err` buffer naming the
 * key and what is wrong ("max_ram_below_4g: 5G is above 4G"). Nothing is
 * printed.
 */
#ifndef PHYSMAP_BOARD_H
#define PHYSMAP_BOARD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "physmap/e820.h"

#ifdef __cplusplus
extern "C" {
#endif

#define PM_BOARD_ERR_LEN 256

/** A board key from the domain configuration, as text ("max_ram_below_4g", "3G"). */
struct pm_board_opt {
	const char *key;
	const char *value;
};

/** What the domain configuration says that a board needs. */
struct pm_board_config {
	uint64_t memory;                  /* bytes of RAM at boot */
	uint64_t maxmem;                  /* bytes; 0 means memory */
	unsigned vcpus;                   /* online at boot */
	unsigned max_vcpus;               /* the domain's (0: vcpus): the rest offline, hot-pluggable */
	const struct pm_board_opt *opts;  /* board keys, in file order */
	size_t nr_opts;
};

/** A board key: what `pxl help board` and config errors are made from. */
struct pm_board_key {
	const char *name;
	const char *type;   /* "size", "bool", "int", "string" */
	const char *help;
};

enum pm_region_kind {
	PM_REGION_RAM = 0,
	PM_REGION_ROM,        /* firmware the guest reads */
	PM_REGION_MMIO,       /* emulated devices (physmap-dm) */
	PM_REGION_RESERVED,   /* neither: kept out of use */
};

/** A window of guest physical address space: [base, base + size). */
struct pm_board_region {
	char name[32];
	uint64_t base, size;
	enum pm_region_kind kind;
};

/**
 * struct pm_board_layout - a board's machine
 * @board: the board's name
 * @regions: every region, sorted by base
 * @e820: the memory map the guest is given (sanitized); empty on boards
 *     that describe memory another way (a device tree)
 * @firmware_e820: what QEMU hands its firmware (fw_cfg etc/e820) for the
 *     same machine, where the board has a QEMU counterpart; the oracle
 *     tests compare it with QEMU's own
 * @needs: what the guest's vCPUs must offer (PM_BOARD_NEEDS_*); a backend
 *     that cannot refuses the domain before making anything
 * @needs_key: the setting that asked for it ("virtualization = 1"), for
 *     that refusal
 * @special_gpa: where the toolstack's special pages go (the console and
 *     store rings, PM_DOMAIN_EXTRA_PAGES of them; 0: right after the top
 *     of RAM): Xen's Arm guests have them in the magic window
 * @arm_gic, @arm_spis: an Arm guest's GIC version (2, 3) and the SPIs the
 *     hypervisor must route to it (Xen's vpl011), for the domain's making;
 *     0 on boards that are not Arm
 * The holes the P2M identity-maps are those of @e820:
 * pm_e820_apply_identity(&layout->e820, p2m, 0).
 * Initialise with pm_board_layout_init(), free with pm_board_layout_dispose().
 */
#define PM_BOARD_NEEDS_EL2 (1u << 0)   /* the guest boots at EL2 (ARM's virtualization extensions) */
#define PM_BOARD_NEEDS_AFF8 (1u << 1)  /* more than 8 vCPUs, MPIDRs in clusters of 8 (Aff1), not 16 */
#define PM_BOARD_NEEDS_VPL011 (1u << 2) /* Xen's emulated SBSA UART (the hypervisor's, not a device model's) */

struct pm_board_layout {
	char board[16];
	struct pm_board_region *regions;
	size_t nr_regions, cap_regions;
	struct pm_board_device *devices;
	size_t nr_devices, cap_devices;
	struct pm_e820 e820;
	struct pm_e820 firmware_e820;
	void *board_data;   /* the board's own; released with free() */
	unsigned needs;
	char needs_key[48];
	uint64_t special_gpa;
	unsigned arm_gic, arm_spis;
};

/**
 * struct pm_board_device - a device physmap-dm must provide
 * @name: instance name, unique in the layout ("uart0", "virtio-mmio.3")
 * @model: what physmap-dm instantiates ("pl011", "16550", "virtio-mmio")
 * @base, @size: its window, [base, base + size), in memory or port space
 * @pio: 1 if the window is in the I/O port space
 * @irq: the interrupt line it raises (GIC SPI number on virt, ISA IRQ on
 *     pc), -1 for none
 */
struct pm_board_device {
	char name[32];
	char model[24];
	uint64_t base, size;
	int pio;
	int irq;
};

enum pm_board_arch {
	PM_ARCH_AARCH64 = 1,
	PM_ARCH_X86_32,    /* PVH: 32-bit protected mode, paging off */
};

/**
 * struct pm_board_vcpu - vCPU 0's state at the first instruction
 * aarch64: @pc, @regs[0..3] = x0..x3 (x0 = device tree), @pstate (EL1h,
 *     DAIF masked), MMU and caches off.
 * x86 PVH: @pc = eip, @regs[0..3] = eax, ebx (start info), ecx, edx;
 *     @cr0 = PE, flat 4 GiB code/data segments, eflags 0x2.
 */
struct pm_board_vcpu {
	enum pm_board_arch arch;
	uint64_t pc;
	uint64_t regs[4];
	uint64_t pstate;   /* aarch64 */
	uint64_t cr0;      /* x86 */
};

/**
 * struct pm_board_boot - where a guest's images go, and how it starts
 * The caller fills the inputs; pm_board_boot() fills the rest.
 * @kernel_size: bytes the kernel occupies from where it is loaded, its bss
 *     with it (in: struct pm_kernel's @footprint)
 * @kernel_gpa: where the image must be loaded, 0 to let the board choose
 *     (in; PVH ELF kernels give their physical address)
 * @kernel_entry: the entry point's offset into the image (aarch64 Image: 0)
 *     or, when @kernel_gpa is set, its absolute address (in)
 * @initrd_size: bytes, 0 for none (in)
 * @cmdline: the kernel command line, NULL for none (in; borrowed)
 * @kernel_load, @initrd_load: chosen addresses (out)
 * @table_gpa, @table_max: where the firmware table (device tree, PVH start
 *     info) goes and how many bytes it may take (out)
 * @cmdline_gpa: where the command line is copied, 0 if the table carries
 *     it (out)
 * @vcpu: vCPU 0's entry state (out)
 */
struct pm_board_boot {
	uint64_t kernel_size, kernel_gpa, kernel_entry, initrd_size;
	const char *cmdline;
	uint64_t kernel_load, initrd_load, table_gpa, table_max, cmdline_gpa;
	struct pm_board_vcpu vcpu;
};

struct board_ops {
	const char *name;
	const char *summary;
	const struct pm_board_key *keys;   /* NULL-terminated */
	/* vCPUs past the online ones are listed for the guest to hot-plug (maxvcpus > vcpus) */
	bool cpu_hotplug;
	/* the kernel must be an arm64 Image (Xen's Arm builder boots no ELF file or raw image) */
	bool image_only;
	/**
	 * layout - compute the machine for @cfg into @out (initialised, empty)
	 * returns: 0; -EINVAL (with @err) for a bad key or value or a
	 *   configuration the machine refuses; -ENOMEM
	 */
	int (*layout)(const struct pm_board_config *cfg,
		      struct pm_board_layout *out, char *err);
	/**
	 * boot - place the images of @boot in @layout's RAM and set vCPU 0's
	 * entry state
	 * returns: 0; -EINVAL (with @err) if they do not fit
	 */
	int (*boot)(const struct pm_board_layout *layout,
		    struct pm_board_boot *boot, char *err);
	/**
	 * firmware - the table the guest boots with (a device tree on virt,
	 * PVH start info on pc), built for @boot (already placed)
	 * @blob: receives a buffer the caller frees
	 * returns: its length; -ENOMEM
	 */
	long (*firmware)(const struct pm_board_layout *layout,
			 const struct pm_board_boot *boot, void **blob);
};

/**
 * pm_board_find - the board called @name
 * returns: its ops, or NULL if there is none
 */
const struct board_ops *pm_board_find(const char *name);

/**
 * pm_board_list - the registered boards, NULL-terminated
 */
const struct board_ops *const *pm_board_list(void);

/**
 * pm_board_layout - check every key of @cfg against @board's table, then
 * compute the layout
 * @err: PM_BOARD_ERR_LEN bytes; receives one line on -EINVAL
 * returns:
 *   0, on success (@out filled; dispose it)
 *   -EINVAL, for an unknown key (with a suggestion when one is close), a
 *            bad value, or a machine the board refuses (@out is empty)
 *   -ENOMEM, if memory ran out (@out is empty)
 */
int pm_board_layout(const struct board_ops *board,
		    const struct pm_board_config *cfg,
		    struct pm_board_layout *out, char *err);

/**
 * pm_board_layout_init / pm_board_layout_dispose - an empty layout; what
 * a layout owns freed (it is empty again, and may be disposed again)
 */
void pm_board_layout_init(struct pm_board_layout *layout);
void pm_board_layout_dispose(struct pm_board_layout *layout);

/**
 * pm_board_add_region - append a region (boards call this; kept sorted)
 * returns: 0, -ERANGE if it passes 2^64, -ENOMEM
 */
int pm_board_add_region(struct pm_board_layout *layout, const char *name,
			uint64_t base, uint64_t size, enum pm_region_kind kind);

/**
 * pm_board_add_device - append a device to the layout's device list
 * returns: 0, -ERANGE if its window passes 2^64, -ENOMEM
 */
int pm_board_add_device(struct pm_board_layout *layout, const char *name,
			const char *model, uint64_t base, uint64_t size,
			int pio, int irq);

/*
 * The self-test devices a board adds with testdev=1 (docs/guests.md), at
 * @base: subpage-test at +0 (one page), events-test at +0x1000 (one page),
 * exec-flash at +0x10000 (a 64 KiB window, its registers after it)
 */
#define PM_BOARD_TESTDEV_SUBPAGE 0x0u
#define PM_BOARD_TESTDEV_EVENTS 0x1000u
#define PM_BOARD_TESTDEV_FLASH 0x10000u
#define PM_BOARD_TESTDEV_FLASH_SIZE 0x10000u

/** pm_board_add_testdevs - the self-test devices at @base. returns: as pm_board_add_device */
int pm_board_add_testdevs(struct pm_board_layout *layout, uint64_t base);

/**
 * pm_board_boot - place a guest's kernel, initrd and firmware table in the
 * RAM of @layout (made by pm_board_layout) and set vCPU 0's entry state
 * @boot: inputs filled by the caller; outputs filled on success
 * @err: PM_BOARD_ERR_LEN bytes; receives one line on -EINVAL
 * returns:
 *   0, on success
 *   -EINVAL, if the images do not fit in RAM where the board needs them
 *   -ENOENT, if the layout's board is unknown
 */
int pm_board_boot(const struct pm_board_layout *layout,
		  struct pm_board_boot *boot, char *err);

/**
 * pm_board_firmware - the firmware table for a placed boot: a flattened
 * device tree (virt) or a PVH hvm_start_info with its memory map (pc)
 * @blob: receives a buffer the caller frees (free())
 * returns:
 *   its length in bytes, on success
 *   -ENOMEM, if memory ran out
 *   -ENOENT, if the layout's board is unknown
 */
long pm_board_firmware(const struct pm_board_layout *layout,
		       const struct pm_board_boot *boot, void **blob);

/**
 * pm_board_opt - the value of board key @key in @cfg (the last one given)
 * returns: the value, or NULL if the key is absent
 */
const char *pm_board_opt(const struct pm_board_config *cfg, const char *key);

/**
 * pm_board_opt_size / _uint / _bool - a key's value, parsed; the default if
 * absent. Sizes take xl's suffixes (no suffix: bytes); bools take 0/1,
 * yes/no, true/false, on/off; uints decimal or 0x hexadecimal.
 * returns: 0; -EINVAL with @err naming the key and value
 */
int pm_board_opt_size(const struct pm_board_config *cfg, const char *key,
		      uint64_t def, uint64_t *out, char *err);
int pm_board_opt_uint(const struct pm_board_config *cfg, const char *key,
		      uint64_t def, uint64_t max, uint64_t *out, char *err);
int pm_board_opt_bool(const struct pm_board_config *cfg, const char *key,
		      int def, int *out, char *err);

/**
 * pm_board_layout_table - the layout as a table, one region a line:
 *   "0x0000000000000000-0x000000000009ffff  640K  ram  ram-below-1m"
 * @out: receives a string the caller frees
 * returns: its length, or -ENOMEM
 */
long pm_board_layout_table(const struct pm_board_layout *layout, char **out);

/**
 * pm_board_layout_json - the layout as JSON:
 *   {"board": "pc", "regions": [{"name": "ram-low", "base": "0x0",
 *    "size": "0xa0000", "kind": "ram"}, ...],
 *    "devices": [{"name": "com1", "model": "16550", "port": "0x3f8",
 *    "size": "0x8", "irq": 4}, ...], "e820": [...as pm_e820_json]}
 *   (a device in memory space has "base" where a port device has "port")
 * @out: receives a string the caller frees
 * returns: its length, or -ENOMEM
 */
long pm_board_layout_json(const struct pm_board_layout *layout, char **out);

/**
 * pm_board_acpi_tables - the ACPI tables of a PVH machine (boards/acpi.c):
 * RSDP, RSDT, XSDT, a hardware-reduced FADT, an empty DSDT and a MADT with
 * one local APIC per vCPU (IDs 2i, as Xen numbers its vLAPICs), written
 * into @buf for the guest to find at @gpa; the RSDP is at offset 0
 * @vcpus: the domain's vCPUs; the first @online are enabled, the rest
 *   listed disabled (present for hotplug, as libxl's libacpi lists them)
 * @cmos_rtc: nonzero if the machine has a CMOS clock (the FADT says so)
 * returns:
 *   the number of bytes written, on success
 *   -EINVAL, if @vcpus is 0, or @online is 0 or more than @vcpus
 *   -ENOSPC, if @len is too small
 *   -ERANGE, if the tables would pass 4 GiB (the RSDT's pointers are 32-bit)
 */
long pm_board_acpi_tables(void *buf, size_t len, uint64_t gpa,
			  unsigned vcpus, unsigned online, int cmos_rtc);

/**
 * pm_board_pvh_start_info - write a PVH `struct hvm_start_info` and its
 * memory map (from the layout's E820) into @buf, which the guest will find
 * at @gpa (the map follows the struct)
 * @cmdline_gpa: where the command line is, 0 for none
 * returns:
 *   the number of bytes written
 *   -ENOSPC, if @len is too small
 *   -EINVAL, if the layout has no E820
 */
long pm_board_pvh_start_info(const struct pm_board_layout *layout,
			     void *buf, size_t len, uint64_t gpa,
			     uint64_t cmdline_gpa);

#ifdef __cplusplus
}
#endif

#endif /* PHYSMAP_BOARD_H */
