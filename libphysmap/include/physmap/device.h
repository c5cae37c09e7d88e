/*
 * physmap/device.h - a running guest's disks and networks: attach, detach,
 * list (xl's block-* and network-* commands)
 *
 * Devices live in the store as libxl keeps them (docs/specs/devices.md),
 * so these see and act on devices xl made as well as physmap's. Attaching
 * or detaching one also updates the domain's kept configuration, so a
 * save, restore or migration carries the device as it is now. Only the
 * xen backend serves devices (the dom0 kernel's blkback and netback).
 */
#ifndef PHYSMAP_DEVICE_H
#define PHYSMAP_DEVICE_H

#include <stdbool.h>
#include <stdint.h>

#include "physmap/config.h"
#include "physmap/hv.h"

#ifdef __cplusplus
extern "C" {
#endif

#define PM_DEVICE_ERR_LEN 512

/** One device as the store shows it: xl block-list's and network-list's columns. */
struct pm_device_info {
	uint32_t devid;
	uint32_t backend_id;
	uint32_t frontend_id;
	int state;               /* the frontend's XenbusState; -1 if it says none */
	int evtchn;              /* -1: none (a vif with split channels says none, as xl) */
	int ring_ref;            /* a vbd's ring-ref, a vif's tx-ring-ref; -1: none */
	int rx_ring_ref;         /* a vif's; -1: none */
	char mac[18];            /* a vif's */
	char backend[96];        /* the backend's directory */
};

/**
 * pm_disk_parse / _dispose - one disk in xl's syntax (a disk= entry, or block-attach's
 * arguments joined by commas), checked as pm_domain_config_load checks one
 * @d: filled on success (pm_disk_dispose frees it); left empty on failure
 * returns: 0; -EINVAL with @err ("disk: "SPEC": WHY"); -ENOMEM
 */
int pm_disk_parse(const char *spec, struct pm_disk *d, char *err, size_t errlen);
void pm_disk_dispose(struct pm_disk *d);

/** pm_nic_parse / _dispose - one vif in xl's syntax (network-attach's KEY=VALUE arguments joined by commas); as pm_disk_parse */
int pm_nic_parse(const char *spec, struct pm_nic *n, char *err, size_t errlen);
void pm_nic_dispose(struct pm_nic *n);

/**
 * pm_device_list - domain @domid's devices of @kind ("vbd" or "vif"), by devid
 * returns: their number, *out malloc'ed (free it; NULL when none); -ENOENT
 *   (no such domain in the store); -errno
 */
long pm_device_list(uint32_t domid, const char *kind, struct pm_device_info **out);

/**
 * pm_device_find - the devid of @kind that @id names for @domid: a vdev
 * (xvdb) or its number for a vbd, a devid or a MAC for a vif
 * returns: 0; -ENOENT (none such); -EINVAL (@id names nothing of the kind)
 */
int pm_device_find(uint32_t domid, const char *kind, const char *id, uint32_t *devid);

/**
 * pm_device_disk_attach - @d on the running domain @domid, as at create:
 * refused if its vdev is taken or its target is used in a way that excludes
 * this use; nothing is left on failure
 * returns: 0; -EEXIST, -EBUSY, -ENODEV, -EOPNOTSUPP (the backend serves no
 *   devices), -ETIMEDOUT, -errno; @err names the device and why
 */
int pm_device_disk_attach(struct pm_hv *hv, uint32_t domid, const struct pm_disk *d, char *err, size_t errlen);

/**
 * pm_device_nic_attach - @n on the running domain @domid; its devid is the
 * next free one and its MAC chosen if none was given (both written back to @n)
 * returns: as pm_device_disk_attach
 */
int pm_device_nic_attach(struct pm_hv *hv, uint32_t domid, struct pm_nic *n, char *err, size_t errlen);

/**
 * pm_device_detach - remove device @devid of @kind from @domid: the guest is
 * asked to let go and given 5 s (unless @force), then the dom0 side is undone
 * returns: 0; -ENOENT; -EBUSY (the guest held on: try @force); -errno
 */
int pm_device_detach(struct pm_hv *hv, uint32_t domid, const char *kind, uint32_t devid, bool force, char *err,
		     size_t errlen);

#ifdef __cplusplus
}
#endif

#endif
