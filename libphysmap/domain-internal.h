/*
 * domain-internal.h - a domain's build in steps, for restore: the same
 * shell as pm_domain_create (create, max memory, actions, store entries,
 * device model) without the boot (RAM, images, vCPU 0), which a stream
 * brings instead
 */
#ifndef PHYSMAP_DOMAIN_INTERNAL_H
#define PHYSMAP_DOMAIN_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>

#include "physmap/domain.h"

struct build;

/**
 * pm__build_begin - create @cfg's domain, paused: all of it (!@restore,
 * pm_domain_create), or its shell (@restore): no RAM, no images, no vCPU
 * state, not yet introduced to the store; its device model runs
 * @out: receives the build even on failure (pass it to pm__build_end)
 * returns: 0; -errno with @err (one line)
 */
int pm__build_begin(struct pm_hv *hv, const struct pm_domain_config *cfg, bool restore, struct build **out,
		    char *err, size_t errlen);

/** pm__build_domid - the domain being built */
uint32_t pm__build_domid(const struct build *b);

/** pm__build_max_pfn - the pfns the domain was created for: [0, that) (Xen keeps no such limit) */
uint64_t pm__build_max_pfn(const struct build *b);

/* the store's marks of domains being built or destroyed, and of migrations' sources (building.c) */
#define PM_MARK_BUILDING "/tool/physmap/building"
#define PM_MARK_MIGRATING "/tool/physmap/migrating"

/**
 * pm__building_mark - mark @domid, called @name, under construction (or
 * destruction) by this process (building.c); pm_domain_built and
 * pm_domain_destroy take the mark away
 * returns: 0; -errno (the store)
 */
int pm__building_mark(uint32_t domid, const char *name);

/**
 * pm__domain_forget - what the toolstack keeps of a domain that is gone:
 * its marks, store entries and device model's sockets (NAME.sock, .ctl)
 */
void pm__domain_forget(struct pm_hv *hv, uint32_t domid, const char *name);

/** pm__build_unfinished - the domain stays marked under construction once built: its caller says when it is done */
void pm__build_unfinished(struct build *b);

/** pm__build_has_dm - its board has devices: a device model serves them (and has state to restore) */
bool pm__build_has_dm(const struct build *b);

/**
 * pm__build_restored - a restored shell's memory is in: identity-map the
 * board's holes, record where its firmware table is (@firmware, the
 * store's /vm/N/firmware value, may be NULL) and introduce it to the
 * store
 * returns: 0; -errno with the build's @err
 */
int pm__build_restored(struct build *b, const char *firmware);

/**
 * pm__build_pv_restore - a PV shell (pm__build_begin with @restore) takes
 * the libxc stream at @fd (libxenguest reads it, to its END), then gets
 * its store entries and devices and is introduced to the store
 * returns: 0; -errno (the build's err says what)
 */
int pm__build_pv_restore(struct build *b, int fd);

/** pm__build_end - @rc non-zero: undo everything the build did; then free it. NULL is fine */
void pm__build_end(struct build *b, int rc);

#endif
