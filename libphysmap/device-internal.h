/*
 * device-internal.h - a guest's disks and networks in the store, for the
 * domain build (device.c; docs/specs/devices.md)
 */
#ifndef PHYSMAP_DEVICE_INTERNAL_H
#define PHYSMAP_DEVICE_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "physmap/config.h"
#include "physmap/hv.h"

#define PM_DEVICE_PATH_LEN 96

struct xs_handle;

/* a device's three directories */
struct pm_device_paths {
	char be[PM_DEVICE_PATH_LEN];     /* /local/domain/0/backend/KIND/DOMID/DEVID */
	char fe[PM_DEVICE_PATH_LEN];     /* /local/domain/DOMID/device/KIND/DEVID */
	char rec[PM_DEVICE_PATH_LEN];    /* /libxl/DOMID/device/KIND/DEVID */
};

/*
 * pm__devices_check - what can be known before a domain exists: each vif's
 * bridge is there, no disk's target is used by another domain in a way that
 * excludes this use (read-write there, or here); a migrating guest's other
 * half (NAME--incoming, NAME--migratedaway) is the same VM and may share
 * returns: 0; -ENODEV (a bridge), -EBUSY (a target), -errno; err: one line
 */
int pm__devices_check(struct pm_hv *hv, const struct pm_domain_config *cfg, char *err, size_t errlen);

/*
 * pm__devices_add - cfg's disks, then its vifs (nics: cfg's, their MACs
 * chosen) for domain domid; nothing when the backend has no device
 * backends (the simulator). A device that fails leaves nothing of itself;
 * those before it stay (pm__devices_destroy takes them)
 * returns: 0; -errno with err naming the device
 */
int pm__devices_add(struct pm_hv *hv, uint32_t domid, const struct pm_domain_config *cfg, const struct pm_nic *nics,
		    char *err, size_t errlen);

/* one device: added (its backend up, its hotplug step done) or removed
 * (!force: the guest is asked and given BACKEND_CLOSE_MS to let go; -EBUSY
 * if it does not) */
int pm__device_add_disk(struct pm_hv *hv, struct xs_handle *h, uint32_t domid, const struct pm_disk *d,
			char *err, size_t errlen);
int pm__device_add_nic(struct pm_hv *hv, struct xs_handle *h, uint32_t domid, const struct pm_nic *n,
		       char *err, size_t errlen);
int pm__device_remove(struct pm_hv *hv, struct xs_handle *h, uint32_t domid, const char *kind, uint32_t devid,
		      bool force, char *err, size_t errlen);

/* pm__devices_destroy - every device of domid, forced, and libxl's record of it */
void pm__devices_destroy(struct pm_hv *hv, uint32_t domid);

/* pm__store_prune - remove dir if it is empty (libxl leaves no empty directories of devices) */
void pm__store_prune(struct xs_handle *h, const char *dir);

/* pm__device_random_mac - 00:16:3e and three random bytes (the fourth's top bit clear); 0 or -errno */
int pm__device_random_mac(uint8_t mac[6]);

#endif/** pm__device_by_dm - whether the domain's physmap-dm serves disk @d (qdisk: the simulator's, Xen's backendtype=qdisk) */
bool pm__device_by_dm(const struct pm_hv *hv, const struct pm_disk *d);


