/*
 * config-internal.h - what config.c hands the device lists' reader
 * (config-devices.c): disk= and vif= of an xl.cfg
 */
#ifndef PM_CONFIG_INTERNAL_H
#define PM_CONFIG_INTERNAL_H

#include <stdbool.h>
#include <stdio.h>

#include <libxl.h>
#include <libxlutil.h>
#include <yajl/yajl_gen.h>
#include <yajl/yajl_tree.h>

#include "physmap/config.h"

struct pm_config_devices_in {
	const char *disk_site;   /* "guest.cfg:4" (or "command line:1"): where disk= was set */
	const char *vif_site;
	bool no_files;           /* a saved configuration: its targets are checked when built */
};

/*
 * pm__config_devices - cfg->disks and cfg->nics from the disk= and vif=
 * lists xlu holds. On -EINVAL err holds one line: "SITE: disk: "SPEC": WHY".
 * What was read stays in cfg (pm__config_devices_dispose frees it).
 * returns: 0; -EINVAL; -ENOMEM
 */
int pm__config_devices(XLU_Config *xlu, const struct pm_config_devices_in *in, struct pm_domain_config *cfg,
		       char *err, size_t errlen);

/* pm__config_devices_dispose - free cfg's device lists; idempotent */
void pm__config_devices_dispose(struct pm_domain_config *cfg);

/*
 * pm__libxl_disk / pm__libxl_nic - a disk or vif as libxl's own type, its
 * strings borrowed from @d / @n (never dispose the result)
 */
void pm__libxl_disk(const struct pm_disk *d, libxl_device_disk *ld);
void pm__libxl_nic(const struct pm_nic *n, libxl_device_nic *ln);

/*
 * pm__libxl_userdata_write - the domain's configuration as libxl keeps it
 * (libxl-config.c), in /var/lib/xen/userdata-d.DOMID.UUID.libxl-json, so
 * that xl can add devices to a domain physmap made (Xen only)
 * returns: 0; -errno
 */
struct pm_hv;
int pm__libxl_userdata_write(struct pm_hv *hv, uint32_t domid, const struct pm_domain_config *cfg);

/* pm__libxl_userdata_remove - every userdata file of the domain, as libxl's destroy removes them */
void pm__libxl_userdata_remove(uint32_t domid);

/* pm__config_key_find - @key's row of @table (pm_config_keys_honoured/_ignored), or NULL */
const struct pm_config_key *pm__config_key_find(const struct pm_config_key *table, const char *key);

/* pm__config_devices_json - "disks": [...], "nics": [...] into an open map, libxl's objects; -ENOMEM */
int pm__config_devices_json(yajl_gen g, const struct pm_domain_config *cfg);

/*
 * pm__config_devices_xl - the "disks" and "nics" of a JSON configuration
 * (as pm__config_devices_json wrote them) as xl.cfg lines into f
 * returns: 0; -EINVAL (err: the entry that is not a device); -ENOMEM
 */
int pm__config_devices_xl(yajl_val root, FILE *f, const char *where, char *err, size_t errlen);

#endif
