/*
 * boards/board.h - guest machine layouts
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

#include <stddef.h>
#include <stdint.h>

#include "physmap/e820.h"

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
	unsigned vcpus;
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
 * The holes the P2M identity-maps are those of @e820:
 * pm_e820_apply_identity(&layout->e820, p2m, 0).
 * Initialise with pm_board_layout_init(), free with pm_board_layout_dispose().
 */
struct pm_board_layout {
	char board[16];
	struct pm_board_region *regions;
	size_t nr_regions, cap_regions;
	struct pm_e820 e820;
	struct pm_e820 firmware_e820;
};

struct board_ops {
	const char *name;
	const char *summary;
	const struct pm_board_key *keys;   /* NULL-terminated */
	/**
	 * layout - compute the machine for @cfg into @out (initialised, empty)
	 * returns: 0; -EINVAL (with @err) for a bad key or value or a
	 *   configuration the machine refuses; -ENOMEM
	 */
	int (*layout)(const struct pm_board_config *cfg,
		      struct pm_board_layout *out, char *err);
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

void pm_board_layout_init(struct pm_board_layout *layout);
void pm_board_layout_dispose(struct pm_board_layout *layout);

/**
 * pm_board_add_region - append a region (boards call this; kept sorted)
 * returns: 0, -ERANGE if it passes 2^64, -ENOMEM
 */
int pm_board_add_region(struct pm_board_layout *layout, const char *name,
			uint64_t base, uint64_t size, enum pm_region_kind kind);

/**
 * pm_board_opt - the value of board key @key in @cfg (the last one given)
 * returns: the value, or NULL if the key is absent
 */
const char *pm_board_opt(const struct pm_board_config *cfg, const char *key);

/**
 * pm_board_opt_size / _uint / _bool - a key's value, parsed; the default if
 * absent. Sizes take xl's suffixes (no suffix: bytes); bools take 0/1,
 * yes/no, true/false, on/off.
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
 *    "size": "0xa0000", "kind": "ram"}, ...], "e820": [...as pm_e820_json]}
 * @out: receives a string the caller frees
 * returns: its length, or -ENOMEM
 */
long pm_board_layout_json(const struct pm_board_layout *layout, char **out);

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

#endif /* PHYSMAP_BOARD_H */
