/*
 * physmap/domain.h - building and tearing down a domain from its
 * configuration, on any backend (<physmap/hv.h>)
 *
 * Build, in order (DESIGN.md's data flow): the board's layout -> create
 * -> max memory -> populate every RAM region (the P2M records each pfn)
 * -> identity-map the holes below the top of RAM -> load the kernel and
 * ramdisk (raw images) and write the DTB or PVH start info through the
 * frame mapping -> the store's entries (/local/domain/N/..., /vm/N/...).
 * The domain is left paused: vCPUs that execute come with the simulator's
 * Unicorn vCPUs. Any failure undoes every earlier step.
 */
#ifndef PHYSMAP_DOMAIN_H
#define PHYSMAP_DOMAIN_H

#include <stddef.h>
#include <stdbool.h>
#include <stdint.h>

#include "physmap/config.h"
#include "physmap/hv.h"

#define PM_DOMAIN_ERR_LEN 512
/* pages a domain may have beyond maxmem: what the toolstack adds (rings, tables) */
#define PM_DOMAIN_EXTRA_PAGES 16

/*
 * The special pages, as Xen's builders call them: right after the top of
 * RAM, outside every memory map the guest is given, PM_DOMAIN_EXTRA_PAGES
 * pfns are reserved; the first two are populated as the console and the
 * store rings (HVM_PARAM_CONSOLE_PFN, HVM_PARAM_STORE_PFN), their event
 * channels the ports below.
 */
#define PM_DOMAIN_CONSOLE_PAGE 0
#define PM_DOMAIN_STORE_PAGE 1
#define PM_DOMAIN_SPECIAL_POPULATED 2
#define PM_DOMAIN_CONSOLE_PORT 1
#define PM_DOMAIN_STORE_PORT 2

/**
 * pm_domain_create - build cfg's domain
 * @err: PM_DOMAIN_ERR_LEN bytes, one line naming the step and what failed
 * returns: 0 and *domid; -EEXIST (a domain has that name); -ENOMEM (the
 *   host has too little free memory: nothing is left behind); -EINVAL (the
 *   board refuses, or an image does not fit); -errno
 */
int pm_domain_create(struct pm_hv *hv, const struct pm_domain_config *cfg, uint32_t *domid,
		     char *err, size_t errlen);

/**
 * pm_domain_rename - call domain @domid @name from now on: the backend's
 * name, the store's (its home, /vm and the configuration kept there) and
 * its console files in the run directory (NAME.log, .dm.log, .sock, .ctl,
 * .monitor.log)
 * returns: 0; -ENOENT; -EPERM (dom0); -EEXIST (the name is taken);
 *   -EINVAL; -errno (the store: then the name is as it was)
 */
int pm_domain_rename(struct pm_hv *hv, uint32_t domid, const char *name);

/**
 * pm_domain_destroy - remove the domain's store entries, then the domain
 * returns: 0; -ENOENT; -EPERM (dom0)
 */
int pm_domain_destroy(struct pm_hv *hv, uint32_t domid);

/**
 * struct pm_kernel - a kernel image as it lies in guest memory
 * @elf: an ELF file: @data is [@gpa, @gpa + @size) of guest memory (its
 *     segments at their physical addresses, the rest zero) entered at
 *     @entry; else a raw image of @size bytes the board places (@gpa and
 *     @entry 0). An ELF file linked at 0 (position-independent) is placed
 *     by the board too, @entry then relative to where it goes.
 */
struct pm_kernel {
	bool elf;
	uint8_t *data;
	uint64_t gpa, size, entry;
};

/**
 * pm_kernel_load - read the kernel at @path
 * @pvh: the board boots it as PVH: an ELF file must carry the PVH entry
 *     note (XEN_ELFNOTE_PHYS32_ENTRY), which is where it is entered
 * @err: one line naming the file and what is wrong with it
 * returns: 0 with @k to dispose; -EINVAL (a bad ELF file: truncated,
 *   segments past its end, nothing to load, no PVH note, an entry outside
 *   what it loads); -ENOMEM; -errno (cannot read it)
 */
int pm_kernel_load(const char *path, bool pvh, struct pm_kernel *k, char *err, size_t errlen);

/** pm_kernel_dispose - free what pm_kernel_load read; idempotent */
void pm_kernel_dispose(struct pm_kernel *k);

/** a window of a domain's board besides RAM, as the build recorded it */
struct pm_domain_region {
	char name[32];
	char kind[16];           /* "rom", "mmio", "reserved" */
	uint64_t base, size;     /* [base, base + size) */
};

/**
 * pm_domain_regions - the windows of a domain's board besides RAM, sorted
 * by base (the store's /vm/DOMID/regions)
 * @out: receives a malloc'ed array (NULL for none), which the caller frees
 * returns: how many; -ENOENT (no record: physmap did not build it); -errno
 */
long pm_domain_regions(uint32_t domid, struct pm_domain_region **out);

/**
 * pm_domain_e820 - the memory map physmap gave a PV guest (the store's
 * /vm/DOMID/e820; Xen keeps it too, but tells only the guest)
 * @map: an initialised map that receives the entries
 * returns: 0; -ENOENT (no record: not a PV guest physmap built); -EINVAL
 *   (a record that does not parse); -ENOMEM; -errno
 */
int pm_domain_e820(uint32_t domid, struct pm_e820 *map);

/**
 * pm_domain_firmware - the firmware table a domain physmap built boots
 * with (its device tree, or its PVH start info with the memory map), read
 * back from guest memory where the build put it (the store's
 * /vm/DOMID/firmware says where)
 * @blob: receives a malloc'ed copy, which the caller frees
 * @gpa: receives its guest physical address (may be NULL)
 * @is_dtb: receives whether it is a device tree (may be NULL)
 * returns: its length; -ENOENT (no record: physmap did not build it);
 *   -EINVAL (a record that makes no sense); -EFAULT (no longer RAM); -errno
 */
long pm_domain_firmware(struct pm_hv *hv, uint32_t domid, void **blob, uint64_t *gpa, bool *is_dtb);

#endif
