/*
 * libphysmap/control.c - asking a guest to power off or reboot (or to take
 * a SysRq key), as Xen's guests expect to be asked
 *
 * A guest with a PV control driver says so in its home's control/ node
 * (feature-poweroff, feature-reboot = 1: Linux's drivers/xen/manage.c, the
 * project's test guests) and watches control/shutdown. The toolstack
 * writes the request there ("poweroff", "reboot"); the guest clears the
 * node, shuts down in its own way and stops with that reason, and the
 * domain's on_poweroff or on_reboot follows. A guest without the driver
 * cannot be asked: the caller may stop it from outside instead, with the
 * same reason (what xl -F does with an ACPI button event where the guest
 * has ACPI; physmap's guests have no ACPI button, so it is the
 * hypervisor's remote shutdown on both backends).
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <stdint.h>

#include <xenstore.h>
#include <xen/sched.h>

#include "physmap/domain.h"
#include "physmap/hv.h"

/* 1 if the guest says control/feature-@what = 1, 0 if not, -errno */
static int has_feature(struct xs_handle *h, uint32_t domid, const char *what)
{
	char path[96], *v;
	unsigned int len;
	int yes;

	snprintf(path, sizeof(path), "/local/domain/%u/control/feature-%s", domid, what);
	v = xs_read(h, XBT_NULL, path, &len);
	if (!v)
		return errno == ENOENT ? 0 : -errno;
	yes = !strcmp(v, "1");
	free(v);
	return yes;
}

/* a guest (not dom0) and a connection to the store; *h to close on success */
static int guest_store(struct pm_hv *hv, uint32_t domid, struct pm_hv_dominfo *info, struct xs_handle **h)
{
	int rc = pm_hv_domain_getinfo(hv, domid, info);

	if (rc)
		return rc;
	if (!domid)
		return -EPERM;
	*h = xs_open(XS_OPEN_SOCKETONLY);
	return *h ? 0 : errno ? -errno : -ECONNREFUSED;
}

int pm_domain_sysrq(struct pm_hv *hv, uint32_t domid, char key)
{
	struct pm_hv_dominfo info;
	struct xs_handle *h;
	char path[96];
	int rc = guest_store(hv, domid, &info, &h);

	if (rc)
		return rc;
	snprintf(path, sizeof(path), "/local/domain/%u/control/sysrq", domid);
	rc = xs_write(h, XBT_NULL, path, &key, 1) ? 0 : -errno;
	xs_close(h);
	return rc;
}

int pm_domain_vcpu_set(struct pm_hv *hv, uint32_t domid, unsigned int n)
{
	struct pm_hv_dominfo info;
	struct xs_handle *h;
	xs_transaction_t t;
	char path[96];
	bool ok = true;
	int rc = guest_store(hv, domid, &info, &h);

	if (rc)
		return rc;
	if (!n || n > info.vcpus) {
		xs_close(h);
		return -EINVAL;
	}
	for (int tries = 0; tries < 10; tries++) {
		t = xs_transaction_start(h);
		ok = t != XBT_NULL;
		for (unsigned int i = 0; ok && i < info.vcpus; i++) {
			const char *v = i < n ? "online" : "offline";

			snprintf(path, sizeof(path), "/local/domain/%u/cpu/%u/availability", domid, i);
			ok = xs_write(h, t, path, v, (unsigned int)strlen(v));
		}
		if (!ok) {
			if (t != XBT_NULL)
				xs_transaction_end(h, t, true);
			break;
		}
		if (xs_transaction_end(h, t, false))
			break;
		ok = false;   /* somebody wrote meanwhile (EAGAIN): again, a few times */
		if (errno != EAGAIN)
			break;
	}
	rc = ok ? 0 : errno ? -errno : -EIO;
	xs_close(h);
	return rc;
}

int pm_domain_shutdown(struct pm_hv *hv, uint32_t domid, bool reboot, bool fallback)
{
	const char *what = reboot ? "reboot" : "poweroff";
	struct pm_hv_dominfo info;
	struct xs_handle *h = NULL;
	char path[96];
	int rc = guest_store(hv, domid, &info, &h);

	if (rc)
		return rc;
	if (info.state == PM_HV_SHUTDOWN || info.state == PM_HV_CRASHED || info.state == PM_HV_DYING) {
		rc = -EALREADY;
		goto out;
	}
	rc = has_feature(h, domid, what);
	if (rc < 0)
		goto out;
	if (!rc) {
		if (!fallback) {
			rc = -EOPNOTSUPP;
			goto out;
		}
		rc = pm_hv_domain_shutdown(hv, domid, reboot ? SHUTDOWN_reboot : SHUTDOWN_poweroff);
		rc = rc ? rc : 1;
		goto out;
	}
	snprintf(path, sizeof(path), "/local/domain/%u/control/shutdown", domid);
	rc = xs_write(h, XBT_NULL, path, what, (unsigned int)strlen(what)) ? 0 : -errno;
out:
	xs_close(h);
	return rc;
}
