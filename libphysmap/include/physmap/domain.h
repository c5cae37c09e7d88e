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

#ifdef __cplusplus
extern "C" {
#endif

#define PM_DOMAIN_ERR_LEN 512
/* pages a domain may have beyond maxmem: what the toolstack adds (rings, tables) */
#define PM_DOMAIN_EXTRA_PAGES 16

/*
 * The special pages, as Xen's builders call them: right after the top of
 * RAM (or where the board says: Xen's Arm guests' magic window), outside
 * every memory map the guest is given, PM_DOMAIN_EXTRA_PAGES
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
 *   board refuses, or an image does not fit); -EOPNOTSUPP (type "hvm": no
 *   backend has an HVM device model; type "pv" off Xen); -errno
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
 * pm_domain_config_of - the configuration domain @domid runs with, as the
 * store keeps it (/vm/DOMID/config: what it was built with, the MACs
 * chosen then, the devices attached since, its name now)
 * @cfg: initialised here; dispose it whatever this returns
 * @err: one line on failure
 * returns: 0; -ENOENT (no such domain, or not one of physmap's); -EINVAL
 *   (the kept configuration does not parse); -errno (the store)
 */
int pm_domain_config_of(uint32_t domid, struct pm_domain_config *cfg, char *err, size_t errlen);

/**
 * pm_domain_sysrq - a magic SysRq key for the guest: written to its
 * control/sysrq node, which Linux's PV control driver watches (xl sysrq)
 * returns: 0; -ENOENT; -EPERM (dom0); -errno (the store)
 */
int pm_domain_sysrq(struct pm_hv *hv, uint32_t domid, char key);

/**
 * pm_domain_vcpu_set - vCPUs 0 to @n - 1 online, the rest offline, through
 * the guest's cpu/N/availability nodes (libxl_set_vcpuonline for PV and
 * PVH guests: the guest's CPU hotplug acts on them)
 * returns: 0; -ENOENT; -EPERM (dom0); -EINVAL (0, or more than it has); -errno
 */
int pm_domain_vcpu_set(struct pm_hv *hv, uint32_t domid, unsigned int n);

/**
 * pm_domain_uuid - the domain @d (as pm_hv_domain_getinfo or _list gave
 * it) has this UUID, in xl's form: the hypervisor's where it keeps one
 * (Xen), else the store's /vm/DOMID/uuid; all zeros for dom0 or a domain
 * nobody gave one
 */
void pm_domain_uuid(const struct pm_hv_dominfo *d, char out[37]);

/**
 * pm_domain_set_uuid - give the domain another UUID (@uuid, or a fresh
 * random one when NULL): the store's, its kept configuration's, and the
 * hypervisor's (Xen's domain handle)
 * returns: 0; -ENOENT; -EPERM (dom0); -EINVAL (not a UUID); -errno
 */
int pm_domain_set_uuid(struct pm_hv *hv, uint32_t domid, const char *uuid);

/**
 * pm_domain_config_next - the configuration the domain is built from when
 * it restarts: the one pm_domain_config_update left, else its own
 * (pm_domain_config_of); errors and ownership as there
 */
int pm_domain_config_next(uint32_t domid, struct pm_domain_config *cfg, char *err, size_t errlen);

/**
 * pm_domain_config_update - @cfg becomes what the domain is built from when
 * it next restarts (xl config-update), under its current name and UUID;
 * the running domain, and what a save of it carries, do not change. The
 * board lays @cfg out now, so a configuration it refuses is refused here.
 * @err: one line on failure
 * returns: 0; -ENOENT; -EPERM (dom0); -EINVAL (the board refuses it); -errno
 */
int pm_domain_config_update(struct pm_hv *hv, uint32_t domid, const struct pm_domain_config *cfg, char *err,
			    size_t errlen);

/**
 * pm_domains_libxl_json - what xl list -l prints for the domains @v: a JSON
 * array of {"domid", "config"}, each configuration a libxl_domain_config
 * as libxl's own generator writes it, from the configuration the store
 * keeps and the domain's live state (memory target; Xen's credit2
 * parameters); dom0 as libxl shows it; a domain physmap did not make is
 * left out, as libxl leaves out one whose configuration it cannot retrieve
 * @out: receives the text (free())
 * returns: its length; -errno
 */
long pm_domains_libxl_json(struct pm_hv *hv, const struct pm_hv_dominfo *v, size_t n, char **out);

/* what pm_domain_dump_core wrote */
struct pm_dump_report {
	uint64_t pages;          /* RAM pages in the core */
	unsigned int vcpus;      /* vCPU contexts */
	uint64_t bytes;          /* the file's size */
};

/**
 * pm_domain_dump_core - @domid's memory and vCPUs, written to @fd (in
 * order, never sought) as an ELF core in Xen's dump-core format (what xl
 * dump-core writes; the crash utility and libkdumpfile read it): the RAM
 * pages of its P2M with their pfns (.xen_pfn; a PV guest's with their
 * machine frames, .xen_p2m), each vCPU's context in Xen's
 * vcpu_guest_context layout, the hypervisor's version. The domain is not
 * paused (as xl does not): pause it first for a core of one instant.
 * @rep: may be NULL; @err: a line on failure (may be NULL)
 * returns: 0; -ENOENT (no such domain); -EPERM (dom0); -errno (writing
 *   @fd, reading the domain)
 */
int pm_domain_dump_core(struct pm_hv *hv, uint32_t domid, int fd, struct pm_dump_report *rep, char *err,
			size_t errlen);

/**
 * pm_domain_shutdown - ask the guest to power off (@reboot false) or
 * reboot, through its control/shutdown node as Xen's guests expect
 * (libxl_domain_shutdown, _reboot); it answers by stopping with that
 * reason, and its on_poweroff or on_reboot action follows. This returns
 * once the request is written: the caller waits for the end if it wants.
 * @fallback: when the guest has no PV control driver (it has not said
 *   control/feature-poweroff, or feature-reboot, = 1), stop it from
 *   outside with the same reason instead (pm_hv_domain_shutdown)
 * returns: 0 (asked); 1 (stopped from outside); -ENOENT; -EPERM (dom0);
 *   -EALREADY (shut down, crashed or dying already); -EOPNOTSUPP (no PV
 *   control driver, and no @fallback: nothing was done); -errno (the store)
 */
int pm_domain_shutdown(struct pm_hv *hv, uint32_t domid, bool reboot, bool fallback);

/**
 * pm_domain_dm_alive - whether domain @domid's device model (physmap-dm,
 * found by the domain's name in the run directory) is alive and serving:
 * it answers on its control socket. Waits, at most 10 s, for a model that
 * was killed to be gone.
 * returns: 0 (it answered, or the domain never had one); -EPIPE (it is
 *   gone or does not answer); -ENOENT (no such domain); -errno
 */
int pm_domain_dm_alive(struct pm_hv *hv, uint32_t domid);

/**
 * pm_domain_built - the domain is complete: the process that built it may
 * go without it being destroyed. pm_domain_create and pm_domain_restore
 * mark their domain complete themselves, except a restore told
 * otherwise (struct pm_restore_opts's @unfinished).
 * returns: 0; -errno (the store)
 */
int pm_domain_built(struct pm_hv *hv, uint32_t domid);

/** where a migration's source stands, for pm_domain_migrating */
enum pm_migrating {
	PM_MIGRATING_NONE,      /* not (any more): the mark is taken away */
	PM_MIGRATING_SENDING,   /* renamed, not yet let go: resumed as NAME if its sender dies */
	PM_MIGRATING_GONE,      /* let go: its copy runs elsewhere; destroyed if its sender dies */
};

/**
 * pm_domain_migrating - mark @domid, a migration's source first called
 * @name, with its @phase, so that pm_domain_reap knows what to do with
 * it when the migrating process dies
 * returns: 0; -errno (the store)
 */
int pm_domain_migrating(struct pm_hv *hv, uint32_t domid, enum pm_migrating phase, const char *name);

/**
 * pm_domain_reap - destroy every domain left under construction by a
 * process that is gone (killed while it created, restored or received
 * it): a domain is marked so in the store from the moment it exists
 * until it is complete; and resume (under its name) or destroy every
 * migration source whose sender died (pm_domain_migrating)
 * @notes: one line a domain, "domain N (NAME): left unfinished by
 *   process PID, which is gone: destroyed" or as the case is; as much as
 *   fits in @len
 * returns: how many it acted on; -errno (the store)
 */
long pm_domain_reap(struct pm_hv *hv, char *notes, size_t len);

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
 * @footprint: the bytes it needs from where it is placed once it runs
 *     (>= @size): an arm64 Image's image_size, its bss with it, which
 *     nothing else placed may overlap (Linux's arm64 booting.rst)
 */
struct pm_kernel {
	bool elf;
	uint8_t *data;
	uint64_t gpa, size, entry;
	uint64_t footprint;
};

/** pm_kernel_load's flags */
#define PM_KERNEL_PVH 1u   /* an x86 PVH board: an ELF file is x86's and carries the PVH entry note (else aarch64's) */
#define PM_KERNEL_RAW 2u   /* a file of no known format is a raw image the board places (kernel_format="raw") */
#define PM_KERNEL_IMAGE 4u /* an arm64 Image only (Xen's Arm builder boots no other) */

/**
 * pm_kernel_load - read the kernel at @path: an ELF file, an x86 bzImage
 *   (its ELF payload), an arm64 Image, or with PM_KERNEL_RAW any file
 * @flags: PM_KERNEL_PVH (an ELF file is entered at its PVH entry note,
 *     XEN_ELFNOTE_PHYS32_ENTRY, and must carry one), PM_KERNEL_RAW
 * @err: one line naming the file and what is wrong with it
 * returns: 0 with @k to dispose; -EINVAL (empty; a bad ELF file:
 *   truncated, segments past its end, nothing to load, no PVH note, an
 *   entry outside what it loads; a bad bzImage); -ENOEXEC (no format it
 *   knows, and not PM_KERNEL_RAW; an ELF file or Image of the other
 *   architecture); -EISDIR, -EINVAL, -EFBIG (a directory,
 *   not a regular file, more than 1 GiB); -ENOMEM; -errno (cannot read it)
 */
int pm_kernel_load(const char *path, unsigned int flags, struct pm_kernel *k, char *err, size_t errlen);

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

#ifdef __cplusplus
}
#endif

#endif
