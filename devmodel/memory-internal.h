/*
 * devmodel/memory-internal.h - what memory.c, flatview.c, dispatch.c and
 * mtree.c share; not for devices
 */
#ifndef PHYSMAP_DM_MEMORY_INTERNAL_H
#define PHYSMAP_DM_MEMORY_INTERNAL_H

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
	const struct pm_mr_ops *ops;
	void *opaque;
	/* subregions in rendering order: priority high to low, later-added first */
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
	bool readonly, romd;
};

struct pm_dispatch;

struct pm_flatview {
	struct pm_fr *ranges;
	size_t nr;
	struct pm_mr *root;
	struct pm_dispatch *dispatch;
	struct rcu_head rcu;
};

struct pm_as {
	struct pm_mem *mem;
	char *name;
	struct pm_mr *root;
	struct pm_flatview *view;      /* published with RCU */
	struct pm_as *next;
};

struct pm_mem {
	unsigned depth;
	bool pending;
	struct pm_as *spaces;
	struct pm_mr *regions;
};

/* the section a dispatch lookup finds: one flat range, or nothing */
struct pm_dsection {
	pm_u128 start, end;
	const struct pm_fr *fr;        /* NULL: unassigned */
	uint32_t *subpage;             /* set: a page shared by several sections */
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
 * pm__dispatch_lookup - the section holding @addr (never a subpage one)
 */
const struct pm_dsection *pm__dispatch_lookup(struct pm_dispatch *d, uint64_t addr);

/* dispatch-table memory in bytes (nodes, sections, subpages) */
size_t pm__dispatch_bytes(const struct pm_dispatch *d);

/* "ram", "rom", "romd", "i/o", as QEMU's mtree names them */
const char *pm__mr_type(const struct pm_mr *mr);

#endif /* PHYSMAP_DM_MEMORY_INTERNAL_H */
