/*
 * devmodel/memory.h - physmap-dm's memory API: a hierarchy of regions
 * flattened into one view per address space and dispatched through a radix
 * tree over page numbers, with sub-page sections
 *
 * Regions are containers, RAM, ROM, ROMD, MMIO or aliases. Subregions sit at
 * an address in their parent with a signed priority: higher wins, and among
 * equals the one added later wins (QEMU 7.2's rule). A region that is not a
 * container may have subregions too; it fills the gaps between them itself.
 * Sizes go up to 2^64, written PM_MR_SIZE_2_64 (UINT64_MAX).
 *
 * Changes are batched in transactions (pm_mem_begin/pm_mem_commit, nested;
 * a change outside one is its own transaction). The outermost commit renders
 * a new flat view and dispatch table per address space and publishes them
 * with RCU: readers (translate, read, write, lookups) never take a lock;
 * the old view is freed after a grace period. Readers must be registered
 * liburcu-bp threads (automatic) and run inside pm_mem_read_lock/unlock when
 * they keep a section or view across calls; the pm_as_* access functions
 * lock for themselves.
 *
 * Writers (region changes, commits) must be serialized by the caller: one
 * thread, or a lock of its own. Functions return 0 or a negative errno and
 * never print.
 */
#ifndef PHYSMAP_DM_MEMORY_H
#define PHYSMAP_DM_MEMORY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PM_MR_SIZE_2_64 UINT64_MAX

struct pm_mem;        /* the memory system: regions, address spaces, transactions */
struct pm_mr;         /* a memory region */
struct pm_as;         /* an address space */
struct pm_flatview;   /* a rendered view of an address space */

enum pm_mr_kind {
	PM_MR_CONTAINER,
	PM_MR_RAM,
	PM_MR_ROM,       /* RAM the guest cannot write (writes are dropped) */
	PM_MR_ROMD,      /* reads from the backing, writes to the ops */
	PM_MR_MMIO,
	PM_MR_ALIAS,
};

enum pm_endian {
	PM_ENDIAN_NATIVE,
	PM_ENDIAN_LITTLE,
	PM_ENDIAN_BIG,
};

/* the result of an access: accesses to nothing or refused ones say so */
enum pm_mem_result {
	PM_MEM_OK = 0,
	PM_MEM_UNASSIGNED = -1,  /* nothing there: reads give all ones */
	PM_MEM_DECODE_ERROR = -2, /* the region refused the access size or alignment */
};

/**
 * struct pm_mr_ops - an MMIO (or ROMD) region's callbacks
 * @read, @write: one access of @size bytes (1, 2, 4 or 8) at @addr, the
 *     offset in the region; values are in host order
 * @endianness: how the device sees multi-byte values
 * @valid: sizes and alignment the device accepts at all (others are
 *     decode errors); 0 means "1" for min and "4" for max
 * @impl: sizes the callbacks implement; the core splits or widens an
 *     access to fit (0 means the @valid sizes)
 */
struct pm_mr_ops {
	uint64_t (*read)(void *opaque, uint64_t addr, unsigned size);
	void (*write)(void *opaque, uint64_t addr, uint64_t val, unsigned size);
	enum pm_endian endianness;
	struct {
		unsigned min_access_size, max_access_size;
		bool unaligned;
	} valid, impl;
};

/* ---- the memory system and its transactions ---- */

/**
 * pm_mem_new - an empty memory system
 * returns: it, or NULL if memory ran out
 */
struct pm_mem *pm_mem_new(void);

/**
 * pm_mem_free - free the memory system, its address spaces and views, and
 * every region still in it (after an RCU grace period)
 */
void pm_mem_free(struct pm_mem *mem);

/** pm_mem_begin - open a transaction (they nest) */
void pm_mem_begin(struct pm_mem *mem);

/**
 * pm_mem_commit - close a transaction; the outermost renders and publishes
 * every address space whose regions changed
 * returns: 0; -ENOMEM (the old views stay published)
 */
int pm_mem_commit(struct pm_mem *mem);

/** Read-side critical section around uses of views and sections. */
void pm_mem_read_lock(void);
void pm_mem_read_unlock(void);

/* ---- regions ---- */

/**
 * pm_mr_new_container / _ram / _rom / _romd / _mmio / _alias - a region of
 * @size bytes (PM_MR_SIZE_2_64 for 2^64), named @name (copied)
 * RAM/ROM/ROMD regions get zeroed backing of @size bytes (then at most
 * SIZE_MAX); an alias shows @size bytes of @target from @offset.
 * The region belongs to @mem and is freed with it, or by pm_mr_free.
 * returns: the region, or NULL (out of memory, or a backing too large)
 */
struct pm_mr *pm_mr_new_container(struct pm_mem *mem, const char *name, uint64_t size);
struct pm_mr *pm_mr_new_ram(struct pm_mem *mem, const char *name, uint64_t size);
struct pm_mr *pm_mr_new_rom(struct pm_mem *mem, const char *name, uint64_t size);
struct pm_mr *pm_mr_new_romd(struct pm_mem *mem, const char *name, uint64_t size,
			     const struct pm_mr_ops *ops, void *opaque);
struct pm_mr *pm_mr_new_mmio(struct pm_mem *mem, const char *name, uint64_t size,
			     const struct pm_mr_ops *ops, void *opaque);
struct pm_mr *pm_mr_new_alias(struct pm_mem *mem, const char *name, uint64_t size,
			      struct pm_mr *target, uint64_t offset);

/**
 * pm_mr_free - free a region that is nobody's subregion and has none
 * returns: 0; -EBUSY if it is still in the tree, has subregions or is an
 *   alias's target
 */
int pm_mr_free(struct pm_mr *mr);

/**
 * pm_mr_add_subregion - put @sub into @parent at @addr with @priority
 * returns:
 *   0, on success
 *   -EINVAL, if @parent is an alias, @sub already has a parent, or @sub is
 *            @parent or one of its ancestors
 *   -ENOMEM
 */
int pm_mr_add_subregion(struct pm_mr *parent, uint64_t addr, struct pm_mr *sub, int priority);

/**
 * pm_mr_del_subregion - take @sub out of its parent
 * returns: 0; -EINVAL if it has no parent
 */
int pm_mr_del_subregion(struct pm_mr *sub);

/** pm_mr_set_enabled / _set_address / _set_alias_offset / _set_readonly /
 * _set_romd: change a region; takes effect at the outermost commit.
 * returns: 0; -EINVAL if the change does not apply to this kind of region */
int pm_mr_set_enabled(struct pm_mr *mr, bool enabled);
int pm_mr_set_address(struct pm_mr *mr, uint64_t addr);
int pm_mr_set_alias_offset(struct pm_mr *mr, uint64_t offset);
int pm_mr_set_readonly(struct pm_mr *mr, bool readonly);
int pm_mr_set_romd(struct pm_mr *mr, bool romd_mode);

const char *pm_mr_name(const struct pm_mr *mr);
enum pm_mr_kind pm_mr_kind(const struct pm_mr *mr);
/** the backing of a RAM/ROM/ROMD region, NULL for others */
uint8_t *pm_mr_ram(const struct pm_mr *mr);

/* ---- address spaces ---- */

/**
 * pm_as_new - an address space called @name (copied) whose root is @root
 * returns: it (rendered at once), or NULL if memory ran out
 */
struct pm_as *pm_as_new(struct pm_mem *mem, const char *name, struct pm_mr *root);

/**
 * struct pm_section - what translate finds: a region and where in it
 * @mr: the region (never an alias), NULL for an unassigned address
 * @offset: the address's offset in @mr
 * @len: bytes from the address to the end of the section (never clamped to
 *     a page), at most the length asked for
 * @readonly: writes are dropped (ROM, readonly regions)
 */
struct pm_section {
	struct pm_mr *mr;
	uint64_t offset;
	uint64_t len;
	bool readonly;
};

/**
 * pm_as_translate - the section holding @addr, looked up in the dispatch
 * table of the current view; @len is the most the caller wants
 * The result is valid inside the caller's read-side critical section.
 */
void pm_as_translate(struct pm_as *as, uint64_t addr, uint64_t len, struct pm_section *out);

/**
 * pm_as_read / pm_as_write - an access of @len bytes (1, 2, 4 or 8) with a
 * little-endian value; accesses that cross sections are split
 * returns: PM_MEM_OK, or the first failure (reads of nothing give ~0)
 */
int pm_as_read(struct pm_as *as, uint64_t addr, uint64_t *val, unsigned len);
int pm_as_write(struct pm_as *as, uint64_t addr, uint64_t val, unsigned len);

/**
 * pm_as_rw_buf - copy @len bytes between @buf and the space, split into
 * accesses that fit each section (byte accesses where nothing else fits)
 * returns: PM_MEM_OK, or the first failure
 */
int pm_as_rw_buf(struct pm_as *as, uint64_t addr, void *buf, uint64_t len, bool write);

/* ---- inspection ---- */

/**
 * pm_mem_mtree - `info mtree` as QEMU 7.2 prints it: every address space's
 * hierarchy (@flat: its flat views instead; @disabled: disabled regions too)
 * @out: receives a string the caller frees
 * returns: its length, or -ENOMEM
 */
long pm_mem_mtree(struct pm_mem *mem, bool flat, bool disabled, char **out);

/**
 * struct pm_flat_range - one range of a flat view, [start, start + size)
 * @size: 0 means 2^64
 */
struct pm_flat_range {
	uint64_t start, size;
	struct pm_mr *mr;
	uint64_t offset;
	bool readonly;
	bool romd;
};

/**
 * pm_as_flat_ranges - a copy of the current flat view's ranges
 * @out: receives an array the caller frees
 * returns: the number of ranges, or -ENOMEM
 */
long pm_as_flat_ranges(struct pm_as *as, struct pm_flat_range **out);

#endif /* PHYSMAP_DM_MEMORY_H */
