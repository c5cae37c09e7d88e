/*
 * libphysmap/kept-config.c - the configuration a domain was made with, as
 * the toolstack keeps it in the store (/vm/DOMID/config, and next-config
 * for its next restart): read back for list -l, config-update, restarts
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <xenstore.h>

#include "physmap/config.h"
#include "physmap/domain.h"

/* the configuration kept under /vm/DOMID/@key (@key2 first, if given and there) */
static int kept_config(uint32_t domid, const char *key2, const char *key, struct pm_domain_config *cfg, char *err,
		       size_t errlen)
{
	struct xs_handle *h = xs_open(XS_OPEN_SOCKETONLY);
	char p[64], *json = NULL;
	unsigned int len = 0;
	int rc;

	pm_domain_config_init(cfg);
	if (errlen)
		err[0] = 0;
	if (!h)
		return errno ? -errno : -EIO;
	if (key2) {
		snprintf(p, sizeof(p), "/vm/%u/%s", domid, key2);
		json = xs_read(h, XBT_NULL, p, &len);
	}
	if (!json) {
		snprintf(p, sizeof(p), "/vm/%u/%s", domid, key);
		json = xs_read(h, XBT_NULL, p, &len);
	}
	rc = json ? pm_domain_config_from_json(json, p, NULL, 0, cfg, err, errlen) : errno ? -errno : -EIO;
	if (!json && errlen)
		snprintf(err, errlen, "%s: %s", p, strerror(-rc));
	free(json);
	xs_close(h);
	return rc;
}

int pm_domain_config_of(uint32_t domid, struct pm_domain_config *cfg, char *err, size_t errlen)
{
	return kept_config(domid, NULL, "config", cfg, err, errlen);
}

int pm_domain_config_next(uint32_t domid, struct pm_domain_config *cfg, char *err, size_t errlen)
{
	return kept_config(domid, "next-config", "config", cfg, err, errlen);
}
