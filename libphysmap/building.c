/*
 * libphysmap/building.c - a domain under construction is marked so in the
 * store, /tool/physmap/building/DOMID = "PID NAME" (the process building
 * it), from the moment it exists until it is complete; so is one being
 * destroyed, until all of it is gone. A migration's source is marked the
 * same way, /tool/physmap/migrating/DOMID = "PID PHASE NAME", from its
 * rename to NAME--migratedaway until it is destroyed or resumed. The
 * marks only: reap.c acts on those whose process is gone.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <xenstore.h>

#include "physmap/domain.h"
#include "domain-internal.h"
#include "hv/hv-internal.h"

int pm__building_mark(uint32_t domid, const char *name)
{
	struct xs_handle *h = xs_open(XS_OPEN_SOCKETONLY);
	char p[64], pid[96];
	int rc = 0;

	if (!h)
		return errno ? -errno : -EIO;
	snprintf(p, sizeof(p), "%s/%u", PM_MARK_BUILDING, domid);
	snprintf(pid, sizeof(pid), "%d %s", (int)getpid(), name);
	if (!xs_write(h, XBT_NULL, p, pid, (unsigned int)strlen(pid)))
		rc = errno ? -errno : -EIO;
	xs_close(h);
	return rc;
}

/* /DIR/DOMID removed, if it is there */
static int unmark(const char *dir, uint32_t domid)
{
	struct xs_handle *h = xs_open(XS_OPEN_SOCKETONLY);
	char p[64];
	int rc = 0;

	if (!h)
		return errno ? -errno : -EIO;
	snprintf(p, sizeof(p), "%s/%u", dir, domid);
	if (!xs_rm(h, XBT_NULL, p) && errno != ENOENT)
		rc = errno ? -errno : -EIO;
	xs_close(h);
	return rc;
}

int pm_domain_built(struct pm_hv *hv, uint32_t domid)
{
	(void)hv;
	return unmark(PM_MARK_BUILDING, domid);
}

int pm_domain_migrating(struct pm_hv *hv, uint32_t domid, enum pm_migrating phase, const char *name)
{
	struct xs_handle *h;
	char p[64], v[128];
	int rc = 0;

	(void)hv;
	if (phase == PM_MIGRATING_NONE)
		return unmark(PM_MARK_MIGRATING, domid);
	h = xs_open(XS_OPEN_SOCKETONLY);
	if (!h)
		return errno ? -errno : -EIO;
	snprintf(p, sizeof(p), "%s/%u", PM_MARK_MIGRATING, domid);
	snprintf(v, sizeof(v), "%d %s %s", (int)getpid(), phase == PM_MIGRATING_GONE ? "gone" : "sending", name);
	if (!xs_write(h, XBT_NULL, p, v, (unsigned int)strlen(v)))
		rc = errno ? -errno : -EIO;
	xs_close(h);
	return rc;
}
