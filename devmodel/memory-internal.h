/*
 * devmodel/memory-internal.h - what memory.c, flatview.c, dispatch.c and
 * mtree.c share; not for devices
 */
#ifndef PHYSMAP_DM_MEMORY_INTERNAL_H
#define PHYSMAP_DM_MEMORY_INTERNAL_H

#include <pthread.h>
#include <urcu-bp.h>

#include "memory.h"

typedef unsigned __int128 pm_u128;


struct pm_mr {
	struct pm_mem *mem;
	char *name;
	enum pm_mr_kind kind;
	pm_u128 size;
	struct pm_mr *parent;
	uint64_t addr;
	int priority;
	bool enabled, readonly, romd_mode;
	struct pm_mr *alias;
	uint64_t alias_offset;
	unsigned alias_users;
	uint8_t *ram;
	size_t ram_len;                /* mapped bytes (whole pages) */
	int ram_fd;                    /* the backing's memfd when shared, else -1 */
	bool dirty_log, exec;          /* exec: a RAM region handed over by mmio-exec */
	unsigned long *dirty;          /* one bit per page, once logging started */
	size_t dirty_pages;
	struct pm_co_range *co;        /* coalesced ranges, offsets in the region */
	size_t nr_co;
	struct pm_wn *wn;              /* write notifiers, offsets in the region */
	size_t nr_wn;
	void (*destructor)(void *opaque);
	void *destructor_opaque;
	const struct pm_mr_ops *ops;
	void *opaque;
	/*
	 * subregions by priority, low to high, and in the order they were
	 * added among equals: rendering order is this backwards (higher
	 * priority first, later-added first), and adding one of the highest
	 * priority so far (the common case) is an append
	 */
	struct pm_mr **subs;
	size_t nr_subs, cap_subs;
	struct pm_mr *next, *prev;     /* every region of the memory system */
	struct rcu_head rcu;
};

/* a range of a flat view: [start, end) */
struct pm_fr {
	pm_u128 start, end;
	struct pm_mr *mr;
	uint64_t offset;
	bool readonly, romd, dirty_log;
};

/* [start, end): region offsets in a region, addresses in a view */
struct pm_co_range {
	uint64_t start, end;
	struct pm_mr *mr;              /* in a view: the MMIO region */
	uint64_t offset;               /* in a view: the offset at start */
};

/* a write notifier: @addr is an offset in a region, an address in a view */
struct pm_wn {
	uint64_t addr;
	unsigned size;
	bool match;
	uint64_t data;
	pm_write_notify_fn *fn;
	void *opaque;
};

/* a write queued by coalescing */
struct pm_qw {
	struct pm_mr *mr;
	uint64_t offset, val;
	unsigned size;
};

struct pm_dispatch;

struct pm_flatview {
	struct pm_fr *ranges;
	size_t nr;
	struct pm_mr *root;
	struct pm_dispatch *dispatch;
	struct pm_co_range *co;        /* sorted by start */
	size_t nr_co;
	struct pm_wn *wn;              /* sorted by addr */
	size_t nr_wn;
	struct rcu_head rcu;
};

struct pm_as {
	struct pm_mem *mem;
	char *name;
	struct pm_mr *root;
	struct pm_flatview *view;      /* published with RCU */
	struct pm_dispatch *dispatch;  /* view's, published with it: the lookup's one load */
	struct pm_as *next;
};

#define PM_QUEUE_MAX 256

struct pm_mem {
	unsigned depth;
	bool pending;
	bool share_ram;                      /* new RAM/ROM backings are memfds */
	struct pm_as *spaces;
	struct pm_mr *regions;
	struct pm_mem_listener *listeners;   /* ascending priority */
	struct pm_mr **retire;               /* freed after the outermost commit */
	size_t nr_retire, cap_retire;
	/* the coalesced-write queue; nr_queued is read without the lock */
	pthread_mutex_t qlock;
	struct pm_qw queue[PM_QUEUE_MAX];
	size_t qhead, nr_queued;
};

/**
 * pm__flatview_render - flatten the tree under @root
 * returns: a new view (no dispatch table yet), or NULL if memory ran out
 */
struct pm_flatview *pm__flatview_render(struct pm_mr *root);
void pm__flatview_free(struct pm_flatview *view);

/**
 * pm__dispatch_build - the radix tree for @view's ranges
 * returns: 0; -ENOMEM
 */
int pm__dispatch_build(struct pm_flatview *view);
void pm__dispatch_free(struct pm_dispatch *d);

/**
 * pm__translate - the section of @fv holding @addr, through its dispatch
 * table, into @out: its region (NULL: unassigned), the offset in it, and
 * @len clamped to the section's end (unassigned: to the next range)
 * @fr: NULL, or receives the flat range (NULL: unassigned); asked only by
 *      callers that need it (another cache line)
 */
void pm__translate(struct pm_flatview *fv, uint64_t addr, uint64_t len, struct pm_section *out,
		   const struct pm_fr **fr);

/* attach the view's coalesced ranges and write notifiers; 0 or -ENOMEM */
int pm__flatview_events(struct pm_flatview *fv);

/* tell the listeners what changed from @old to @new (either may be NULL) */
void pm__listeners_update(struct pm_mem *mem, struct pm_as *as, const struct pm_flatview *old,
			  const struct pm_flatview *new);
void pm__listeners_begin(struct pm_mem *mem);
void pm__listeners_commit(struct pm_mem *mem);

/* one device access (bytes in guest order in @buf); PM_MEM_* */
int pm__mmio_access(struct pm_mr *mr, uint64_t offset, uint8_t *buf, unsigned size, bool write);

/* coalesced-write queue: add one (flushing first if full); drop a region's */
void pm__queue_write(struct pm_mem *mem, struct pm_mr *mr, uint64_t offset, uint64_t val, unsigned size);
void pm__queue_forget(struct pm_mem *mem, const struct pm_mr *mr);

/* record a change: rendered now, or at the outermost commit */
int pm__changed(struct pm_mem *mem);

/* the @n bytes at @p as a value (little-endian, or @big-endian) */
static inline uint64_t pm__bytes_load(const uint8_t *p, unsigned n, bool big)
{
	uint64_t v = 0;

	for (unsigned i = 0; i < n; i++)
		v |= (uint64_t)p[big ? i : n - 1 - i] << (8 * (n - 1 - i));
	return v;
}

/* @v into the @n bytes at @p (little-endian, or @big-endian) */
static inline void pm__bytes_store(uint8_t *p, unsigned n, uint64_t v, bool big)
{
	for (unsigned i = 0; i < n; i++)
		p[big ? n - 1 - i : i] = (uint8_t)(v >> (8 * i));
}

/* a flat-view range as the public API shows it */
static inline struct pm_flat_range pm__public_range(const struct pm_fr *f)
{
	return (struct pm_flat_range){
		.start = (uint64_t)f->start, .size = (uint64_t)(f->end - f->start),
		.mr = f->mr, .offset = f->offset, .readonly = f->readonly, .romd = f->romd,
		.dirty_log = f->dirty_log,
	};
}

/* dispatch-table memory in bytes (nodes, sections, subpages) */
size_t pm__dispatch_bytes(const struct pm_dispatch *d);

/* "ram", "rom", "romd", "i/o", as QEMU's mtree names them */
const char *pm__mr_type(const struct pm_mr *mr);

#endif /* PHYSMAP_DM_MEMORY_INTERNAL_H */
