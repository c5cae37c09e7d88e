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
	/*
	 * mmio-exec (optional): the guest wants to execute at @offset. The
	 * device creates a RAM region of whole pages (pm_mr_new_ram on
	 * pm_mr_mem of its own region), fills it, sets *@at to the
	 * page-aligned offset in its region where it sits (covering @offset)
	 * and returns it, handing it over to the core; or returns NULL.
	 */
	struct pm_mr *(*request_exec)(void *opaque, uint64_t offset, uint64_t *at);
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
 * pm_mem_share_ram - back the RAM/ROM/ROMD regions made from now on with
 * memfds (or, @share false, private anonymous memory again), so that
 * another process can map them: the simulator maps the copies mmio-exec
 * hands out. Regions made before keep their backing.
 */
void pm_mem_share_ram(struct pm_mem *mem, bool share);

/**
 * pm_mr_ram_fd - the memfd behind @mr's backing (offset 0 is the region's
 * first byte); still @mr's, closed when @mr is freed
 * returns: the fd; -ENOENT (not backed, or not shared)
 */
int pm_mr_ram_fd(const struct pm_mr *mr);

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

/**
 * pm_mr_set_destructor - call @fn(@opaque) when the region's memory is
 * finally freed (after the grace period that follows pm_mr_free, or in
 * pm_mem_free): the place to free a device's state
 */
void pm_mr_set_destructor(struct pm_mr *mr, void (*fn)(void *opaque), void *opaque);

const char *pm_mr_name(const struct pm_mr *mr);
struct pm_mem *pm_mr_mem(const struct pm_mr *mr);
/** the region's size; PM_MR_SIZE_2_64 for 2^64 */
uint64_t pm_mr_size(const struct pm_mr *mr);
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
	bool dirty_log;
};

/**
 * pm_as_flat_ranges - a copy of the current flat view's ranges
 * @out: receives an array the caller frees
 * returns: the number of ranges, or -ENOMEM
 */
long pm_as_flat_ranges(struct pm_as *as, struct pm_flat_range **out);

/** pm_as_dispatch_bytes - memory the current view's dispatch table takes */
size_t pm_as_dispatch_bytes(struct pm_as *as);

/* ---- dirty logging (RAM regions) ---- */

#define PM_DIRTY_PAGE 4096u

/**
 * pm_mr_set_dirty_log - start or stop logging writes to a RAM region, per
 * 4 KiB page of the region; takes effect at the outermost commit, where
 * listeners get log_start / log_stop. Starting keeps bits already set.
 * returns: 0; -EINVAL if @mr is not RAM; -ENOMEM (nothing changed)
 */
int pm_mr_set_dirty_log(struct pm_mr *mr, bool on);

/**
 * pm_mr_set_dirty - mark [@offset, @offset + @len) dirty, as the access
 * functions do for their writes; for writers that bypass them (a hypervisor
 * writing guest RAM); clipped to the region; does nothing if logging was
 * never started
 */
void pm_mr_set_dirty(struct pm_mr *mr, uint64_t offset, uint64_t len);

/**
 * pm_mr_dirty_get_and_clear - collect and clear the dirty bits of the pages
 * [@offset, @offset + @len) of @mr (@offset page aligned; @len rounded up
 * to whole pages, clipped to the region); bit i of @bitmap (if not NULL;
 * zeroed first, ceil(@len / 4096) bits) is page @offset / 4096 + i
 * Safe against concurrent writers: a write is either reported now or later.
 * returns: the number of dirty pages; -EINVAL if @mr is not RAM or @offset
 *   is unaligned or beyond the region
 */
long pm_mr_dirty_get_and_clear(struct pm_mr *mr, uint64_t offset, uint64_t len,
			       unsigned long *bitmap);

/* ---- coalesced MMIO and write notifiers ---- */

/**
 * pm_mr_add_coalescing - queue writes to [@offset, @offset + @size) of an
 * MMIO region instead of dispatching them; the queue is flushed (in order,
 * through the device's ops) before the next access that reaches a device
 * other than by a coalesced write, on commit, and by pm_mem_flush_coalesced.
 * Listeners learn the absolute ranges (coalesced_add / _del).
 * returns: 0; -EINVAL (not MMIO, empty or beyond the region); -ENOMEM
 */
int pm_mr_add_coalescing(struct pm_mr *mr, uint64_t offset, uint64_t size);

/** pm_mr_clear_coalescing - drop every coalesced range of @mr; returns 0 */
int pm_mr_clear_coalescing(struct pm_mr *mr);

/**
 * pm_mem_flush_coalesced - perform every queued write now
 * returns: how many were performed
 */
long pm_mem_flush_coalesced(struct pm_mem *mem);

/*
 * A write notifier fires, instead of the device's write op, for a write of
 * @size bytes (0: any size) at exactly @offset in its region, whose value
 * is @data when @match_data is set (Xen's and KVM's ioeventfd). The callback
 * runs in the writer's thread, inside a read-side critical section.
 */
typedef void pm_write_notify_fn(void *opaque, uint64_t addr, uint64_t val, unsigned size);

/**
 * pm_mr_add_write_notifier / pm_mr_del_write_notifier - on an MMIO region;
 * a notifier is known by all its arguments; takes effect at the outermost
 * commit, where listeners get notifier_add / _del with absolute addresses
 * returns: 0; -EINVAL (not MMIO, size not 0/1/2/4/8, beyond the region);
 *   -EEXIST / -ENOENT; -ENOMEM
 */
int pm_mr_add_write_notifier(struct pm_mr *mr, uint64_t offset, unsigned size, bool match_data,
			     uint64_t data, pm_write_notify_fn *fn, void *opaque);
int pm_mr_del_write_notifier(struct pm_mr *mr, uint64_t offset, unsigned size, bool match_data,
			     uint64_t data, pm_write_notify_fn *fn, void *opaque);

/* ---- mmio-exec ---- */

/**
 * pm_as_request_exec - make @addr executable: if it is RAM (or ROM/ROMD)
 * already, say so; if it is an MMIO region whose ops offer request_exec,
 * ask the device for a RAM region, map it as a subregion of the MMIO region
 * (above it, marked as an exec region) and commit. @out receives the RAM
 * section. A writer-side call (it changes the tree).
 * returns:
 *   0, on success
 *   -ENXIO, if nothing is mapped at @addr
 *   -ENOTSUP, if the region cannot be executed from
 *   -ENOENT, if the device declined
 *   -EINVAL, if the device's region is not RAM, not whole pages, not page
 *            aligned or does not cover the address (the core frees it)
 *   -ENOMEM
 */
int pm_as_request_exec(struct pm_as *as, uint64_t addr, struct pm_section *out);

/**
 * pm_mr_invalidate_exec - take every exec region out of @mmio (the device's
 * contents changed); each is freed only after an RCU grace period, so a
 * reader still executing from one stays safe. A writer-side call.
 * returns: the number of regions removed; -ENOMEM (commit failed)
 */
int pm_mr_invalidate_exec(struct pm_mr *mmio);

/* ---- listeners ---- */

/**
 * struct pm_mem_listener - told about each address space's flat view
 * After each outermost commit that changed a space, in ascending @priority
 * (descending for the _del and log_stop calls, so what was added last goes
 * first): begin; region_del for every old range not in the new view;
 * region_add for every new range not in the old one, region_nop for the
 * ranges in both, a nop followed by log_start / log_stop when the range's
 * dirty logging changed (added ranges carry their dirty_log flag); then coalesced_del/_add and notifier_del/_add for
 * the differences; then commit. Registration replays the current views as
 * additions; unregistration as deletions. Any callback may be NULL. The
 * pm_flat_range passed is only valid during the call.
 */
struct pm_mem_listener {
	int priority;
	void (*begin)(struct pm_mem_listener *l);
	void (*commit)(struct pm_mem_listener *l);
	void (*region_add)(struct pm_mem_listener *l, struct pm_as *as, const struct pm_flat_range *r);
	void (*region_del)(struct pm_mem_listener *l, struct pm_as *as, const struct pm_flat_range *r);
	void (*region_nop)(struct pm_mem_listener *l, struct pm_as *as, const struct pm_flat_range *r);
	void (*log_start)(struct pm_mem_listener *l, struct pm_as *as, const struct pm_flat_range *r);
	void (*log_stop)(struct pm_mem_listener *l, struct pm_as *as, const struct pm_flat_range *r);
	void (*coalesced_add)(struct pm_mem_listener *l, struct pm_as *as, uint64_t start, uint64_t size);
	void (*coalesced_del)(struct pm_mem_listener *l, struct pm_as *as, uint64_t start, uint64_t size);
	void (*notifier_add)(struct pm_mem_listener *l, struct pm_as *as, uint64_t addr, unsigned size,
			     bool match_data, uint64_t data);
	void (*notifier_del)(struct pm_mem_listener *l, struct pm_as *as, uint64_t addr, unsigned size,
			     bool match_data, uint64_t data);
	void *opaque;
	/* the core's */
	struct pm_as *as;
	struct pm_mem_listener *next, *prev;
};

/**
 * pm_mem_listener_register - listen to @as (NULL: every address space)
 * The listener (owned by the caller) must stay valid until unregistered.
 * returns: 0; -EEXIST if it is registered already
 */
int pm_mem_listener_register(struct pm_mem *mem, struct pm_mem_listener *l, struct pm_as *as);

/** pm_mem_listener_unregister - stop listening (replays deletions) */
void pm_mem_listener_unregister(struct pm_mem *mem, struct pm_mem_listener *l);

const char *pm_as_name(const struct pm_as *as);
struct pm_mr *pm_as_root(const struct pm_as *as);

/** pm_mem_find_as - the address space called @name, or NULL */
struct pm_as *pm_mem_find_as(struct pm_mem *mem, const char *name);

/* ---- the region-tree format (docs/specs/region-tree.md) ---- */

/**
 * struct pm_load_hooks - what the loader asks its caller
 * @device: ops and opaque for the MMIO or ROMD region @id (called @name);
 *   return 0, or a negative errno to fail the load. Without it, such
 *   regions have no ops (reads give 0, writes are dropped).
 * @release: becomes the destructor of each region @device gave ops to
 */
struct pm_load_hooks {
	int (*device)(void *ctx, const char *id, const char *name, const struct pm_mr_ops **ops,
		      void **opaque);
	void (*release)(void *opaque);
	void *ctx;
};

/**
 * pm_mem_load_json - a new memory system built from a region-tree document
 * and rendered once; on failure nothing is left behind and @err (if given)
 * receives one line naming the key path that is wrong
 * ("regions.pc.ram.size: missing, or not a hex string up to 2^64")
 * returns: the memory system (free with pm_mem_free), or NULL
 */
struct pm_mem *pm_mem_load_json(const char *text, const struct pm_load_hooks *hooks, char *err,
				size_t errlen);

/**
 * pm_mem_mtree_json - the hierarchy in the region-tree format (loadable
 * again), or with @flat the flat views of every address space
 * @out: receives a string the caller frees
 * returns: its length, or -ENOMEM
 */
long pm_mem_mtree_json(struct pm_mem *mem, bool flat, char **out);

#endif /* PHYSMAP_DM_MEMORY_H */
