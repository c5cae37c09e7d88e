/*
 * physmap/e820.h - E820 memory maps, and what they mean for a P2M
 *
 * An E820 map lists [addr, addr + size) ranges with a type. After
 * pm_e820_sanitize() it is sorted, free of overlaps and zero-sized entries,
 * and adjacent entries of one type are merged (except the types Linux never
 * merges: PRAM and soft-reserved).
 *
 * Overlaps resolve as Linux's e820__update_table does: where entries
 * overlap, the numerically larger type wins, which is the more restrictive
 * one (RAM 1 < RESERVED 2 < ACPI 3 < NVS 4 < UNUSABLE 5 < PMEM 7 < PRAM 12
 * < SOFT_RESERVED).
 *
 * An entry may end exactly at 2^64 (its last byte is 0xffff...ffff); one
 * that would pass it is refused.
 */
#ifndef PHYSMAP_E820_H
#define PHYSMAP_E820_H

#include <stddef.h>
#include <stdint.h>

#include <physmap/p2m.h>

#ifdef __cplusplus
extern "C" {
#endif

enum pm_e820_type {
	PM_E820_RAM = 1,
	PM_E820_RESERVED = 2,
	PM_E820_ACPI = 3,
	PM_E820_NVS = 4,
	PM_E820_UNUSABLE = 5,
	PM_E820_PMEM = 7,
	PM_E820_PRAM = 12,
};
/* Linux's E820_TYPE_SOFT_RESERVED (beyond an int: not an enumerator) */
#define PM_E820_SOFT_RESERVED 0xefffffffu

struct pm_e820_entry {
	uint64_t addr;
	uint64_t size;
	uint32_t type;
};

/*
 * A map owns its entries array. Initialise with pm_e820_init() (or zero it),
 * release with pm_e820_dispose().
 */
struct pm_e820 {
	struct pm_e820_entry *entries;
	size_t nr, cap;
};

/** An address range [start, end); @end == 0 with @start != 0 means 2^64. */
struct pm_e820_range {
	uint64_t start, end;
};

/** pm_e820_init - an empty map. Cannot fail. */
void pm_e820_init(struct pm_e820 *map);

/** pm_e820_dispose - free the entries; the map is empty again. Idempotent. */
void pm_e820_dispose(struct pm_e820 *map);

/**
 * pm_e820_add - append an entry (unsorted; call pm_e820_sanitize())
 * Zero-sized entries are accepted and dropped by sanitize, as Linux does.
 * returns:
 *   0, on success
 *   -EINVAL, if @type is 0
 *   -ERANGE, if the entry passes 2^64 (addr + size - 1 overflows)
 *   -ENOMEM, if the array could not grow (the map is unchanged)
 */
int pm_e820_add(struct pm_e820 *map, uint64_t addr, uint64_t size,
		uint32_t type);

/**
 * pm_e820_sanitize - sort, resolve overlaps, drop empty entries, merge
 * O(n^2) in the number of entries (E820 tables hold at most a few hundred).
 * returns:
 *   0, on success
 *   -ENOMEM, if scratch memory could not be allocated (the map is unchanged)
 */
int pm_e820_sanitize(struct pm_e820 *map);

/** pm_e820_ram_total - bytes of RAM in a sanitized map. */
uint64_t pm_e820_ram_total(const struct pm_e820 *map);

/**
 * pm_e820_ram_end - the end of the highest RAM entry of a sanitized map
 * returns: that address, 0 if there is no RAM (or RAM ending at 2^64).
 */
uint64_t pm_e820_ram_end(const struct pm_e820 *map);

/**
 * pm_e820_holes - the ranges below @limit that are not RAM: the gaps between
 * entries and every non-RAM entry, merged, in address order
 * @map: a sanitized map
 * @out: receives up to @max ranges (may be NULL when @max is 0)
 * returns: the number of holes, which may exceed @max (call again with a
 *   larger array); never fails.
 */
size_t pm_e820_holes(const struct pm_e820 *map, uint64_t limit,
		     struct pm_e820_range *out, size_t max);

/**
 * pm_e820_clamp - keep only the first @ram_bytes bytes of RAM, in address
 * order (a domain given less memory than the map offers); RAM beyond is
 * removed, other entries are kept.
 * @map: a sanitized map
 * returns: 0 (cannot fail: entries only shrink or go)
 */
int pm_e820_clamp(struct pm_e820 *map, uint64_t ram_bytes);

/**
 * pm_e820_type_name - the words Linux prints for a type: "usable",
 * "reserved", "ACPI data", "ACPI NVS", "unusable", "persistent (type 7)",
 * "persistent (type 12)", "soft reserved", or "type N"
 * @buf: receives the name; 24 bytes suffice
 * returns: @buf
 */
const char *pm_e820_type_name(uint32_t type, char buf[24]);

/**
 * pm_e820_format - the map in Linux's boot format, one line per entry:
 *   "BIOS-e820: [mem 0x0000000000000000-0x000000000009fbff] usable\n"
 * @out: receives a string the caller frees with free()
 * returns:
 *   the string's length, on success
 *   -ENOMEM, if it could not be allocated
 */
long pm_e820_format(const struct pm_e820 *map, char **out);

/**
 * pm_e820_parse - read Linux's boot format (what dmesg shows)
 * Every line that is not blank or a '#' comment must hold an entry:
 * anything (a timestamp, "BIOS-e820:", "Xen:", "e820:") then
 * "[mem 0xFIRST-0xLAST] TYPE" with TYPE one of pm_e820_type_name()'s words.
 * The entries are appended to @map (not sanitized).
 * @err_line: if not NULL, receives the 1-based line at fault on -EINVAL
 *     and -ERANGE
 * returns:
 *   0, on success
 *   -EINVAL, if a line is malformed or names an unknown type (nothing added)
 *   -ERANGE, if a line's last address is below its first (nothing added)
 *   -ENOMEM, if memory ran out (nothing added)
 */
int pm_e820_parse(const char *text, struct pm_e820 *map, unsigned *err_line);

/**
 * pm_e820_json - the map as JSON:
 *   [{"addr": "0x0", "size": "0x9fc00", "last": "0x9fbff", "type": 1,
 *     "name": "usable"}, ...]
 * @out: receives a string the caller frees with free()
 * returns:
 *   the string's length, on success
 *   -ENOMEM, if memory ran out
 */
long pm_e820_json(const struct pm_e820 *map, char **out);

/**
 * pm_e820_identity_limit - the default limit for identity mapping:
 * the top of RAM or 4 GiB, whichever is higher.
 */
uint64_t pm_e820_identity_limit(const struct pm_e820 *map);

/**
 * pm_e820_apply_identity - identity-map every hole of @map below @limit
 * A page that is partly a hole is a hole. Pages that are RAM in the P2M are
 * left alone (a domain's populated memory is never given up here); see
 * pm_e820_apply_remap() for moving it out of the holes. Holes beyond the
 * P2M's max_pfn are clipped.
 * @map: a sanitized map
 * @limit: 0 for pm_e820_identity_limit()
 * returns:
 *   the number of pfns in the holes that are identity afterwards
 *   -ENOMEM, if P2M pages could not be allocated (nothing changed)
 */
long pm_e820_apply_identity(const struct pm_e820 *map, struct pm_p2m *p2m,
			    uint64_t limit);

/**
 * struct pm_e820_remap - what pm_e820_apply_remap() did
 * @pages: pfns moved out of the holes
 * @start: first pfn they were moved to; [start, start + pages) is RAM now,
 *     with the same mfns in the same order, and a RAM entry covers it
 * @identity: pfns in the holes that are identity afterwards
 */
struct pm_e820_remap {
	uint64_t pages;
	uint64_t start;
	uint64_t identity;
};

/**
 * pm_e820_apply_remap - identity-map the holes, moving RAM out of them
 * What Linux does for dom0 (and PV guests with the host's E820): RAM the
 * domain was given at pfns that fall into a hole below @limit would be lost
 * under the identity mapping, so its mfns are moved, in order, to pfns
 * starting at the page above both the top of RAM and @limit; @map gains a
 * RAM entry there (and stays sanitized), and then the holes become
 * identity.
 * @map: a sanitized map; updated only on success
 * @limit: 0 for pm_e820_identity_limit()
 * @report: receives what was done (may be NULL)
 * returns:
 *   0, on success
 *   -ENOSPC, if the moved pages would pass the P2M's max_pfn
 *   -ENOMEM, if memory ran out (neither the map nor the P2M changed)
 */
int pm_e820_apply_remap(struct pm_e820 *map, struct pm_p2m *p2m,
			uint64_t limit, struct pm_e820_remap *report);

#ifdef __cplusplus
}
#endif

#endif /* PHYSMAP_E820_H */
