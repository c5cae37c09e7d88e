/*
 * xl-plugins/shutdown.c - pxl shutdown and reboot, as xl(1) has them
 *
 * The guest is asked through its control/shutdown node (pm_domain_shutdown)
 * and its on_poweroff or on_reboot action follows. A guest without a PV
 * control driver cannot be asked: that is an error naming it, unless -F
 * says to stop it from outside instead. -w waits until each domain has
 * shut down or is gone, saying which as xl does; -a does it to every
 * domain but dom0 (and those stopped already).
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <stdint.h>

#include "physmap/domain.h"
#include "pxl-util.h"

enum { OPT_ALL, OPT_WAIT, OPT_FALLBACK };

static const struct pm_opt opts[] = {
	[OPT_ALL] = { "all", no_argument, 'a', NULL, "every domain but dom0" },
	[OPT_WAIT] = { "wait", no_argument, 'w', NULL, "wait until each has shut down or is gone" },
	[OPT_FALLBACK] = { "fallback", no_argument, 'F', NULL,
			   "a guest without a PV control driver is stopped from outside" },
};

/* asks one domain; true if asked (or stopped) */
static bool ask(const struct pxl_args *a, struct pm_hv *hv, const struct pm_hv_dominfo *d, bool reboot)
{
	const char *what = reboot ? "reboot" : "poweroff";
	int rc;

	rc = pm_domain_shutdown(hv, d->domid, reboot, a->opt[OPT_FALLBACK] != NULL);
	if (rc >= 0)   /* xl says it first; here only what was done, so an error is one line */
		fprintf(stderr, "%s domain %u\n", reboot ? "Rebooting" : "Shutting down", d->domid);
	if (rc == 1)
		fprintf(stderr, "PV control interface not available: domain %u stopped from outside (%s)\n",
			d->domid, what);
	else if (rc == -EOPNOTSUPP)
		fprintf(stderr, "%s: %s (domain %u): no PV control interface (the guest has not set "
				"control/feature-%s): graceful %s not possible; -F stops it from outside\n",
			a->prog, d->name, d->domid, what, reboot ? "reboot" : "shutdown");
	else if (rc == -EALREADY)
		fprintf(stderr, "%s: %s (domain %u): it has stopped already\n", a->prog, d->name, d->domid);
	else if (rc == -EPERM)
		fprintf(stderr, "%s: %s: dom0 is not pxl's to shut down\n", a->prog, d->name);
	else if (rc < 0)
		fprintf(stderr, "%s: %s (domain %u): %s\n", a->prog, d->name, d->domid, strerror(-rc));
	return rc >= 0;
}

/* until every domain in @ds has shut down or is gone, saying which as xl does */
static void wait_for(struct pm_hv *hv, const struct pm_hv_dominfo *ds, size_t n)
{
	bool *done = calloc(n ? n : 1, sizeof(*done));
	size_t left = n;

	if (!done)
		return;
	fprintf(stderr, "Waiting for %zu domains\n", n);
	while (left) {
		for (size_t i = 0; i < n; i++) {
			struct pm_hv_dominfo now;

			if (done[i])
				continue;
			if (pm_hv_domain_getinfo(hv, ds[i].domid, &now)) {
				fprintf(stderr, "Domain %u has been destroyed\n", ds[i].domid);
			} else if (now.state == PM_HV_SHUTDOWN || now.state == PM_HV_CRASHED) {
				fprintf(stderr, "Domain %u has been shut down, reason code %u\n", ds[i].domid,
					now.shutdown_reason);
			} else {
				continue;
			}
			done[i] = true;
			left--;
		}
		if (left)
			usleep(50000);
	}
	free(done);
}

static int run(const struct pxl_args *a, bool reboot)
{
	struct pm_hv_dominfo *all = NULL, *asked = NULL;
	struct pm_hv *hv;
	size_t nr_asked = 0;
	long n = 0;
	int rc;

	if (!a->opt[OPT_ALL] == !a->argc) {
		fprintf(stderr, "%s: name a domain, or -a for all\n", a->prog);
		return PXL_FAIL;   /* xl's status for it */
	}
	rc = pxl_hv_open(a, &hv);
	if (rc)
		return rc;
	if (a->opt[OPT_ALL]) {
		n = pm_hv_domain_list(hv, &all);
		if (n < 0) {
			fprintf(stderr, "%s: %s\n", a->prog, strerror((int)-n));
			rc = PXL_FAIL;
			goto out;
		}
	} else {
		uint32_t domid;

		all = calloc(1, sizeof(*all));
		if (!all || (rc = pxl_domain(a, hv, a->argv[0], &domid)) ||
		    (rc = pm_hv_domain_getinfo(hv, domid, all) ? PXL_FAIL : PXL_OK)) {
			rc = PXL_FAIL;
			goto out;
		}
		n = 1;
	}
	asked = calloc((size_t)n ? (size_t)n : 1, sizeof(*asked));
	if (!asked) {
		rc = PXL_FAIL;
		goto out;
	}
	for (long i = 0; i < n; i++) {
		if (a->opt[OPT_ALL] && (!all[i].domid || all[i].state == PM_HV_SHUTDOWN ||
					all[i].state == PM_HV_CRASHED || all[i].state == PM_HV_DYING))
			continue;
		if (ask(a, hv, &all[i], reboot))
			asked[nr_asked++] = all[i];
		else
			rc = PXL_FAIL;
	}
	if (a->opt[OPT_WAIT] && nr_asked)
		wait_for(hv, asked, nr_asked);
out:
	free(asked);
	free(all);
	pm_hv_close(hv);
	return rc;
}

static int shutdown_run(const struct pxl_args *a)
{
	return run(a, false);
}

static int reboot_run(const struct pxl_args *a)
{
	return run(a, true);
}

static const struct pxl_cmd shutdown_cmd = {
	.name = "shutdown",
	.summary = "ask a domain to power off (its control/shutdown node); -F stops one that cannot be asked",
	.synopsis = "[-a | DOMAIN]", .opts = opts, .nr_opts = 3, .min_args = 0, .max_args = 1,
	.run = shutdown_run,
};
static const struct pxl_cmd reboot_cmd = {
	.name = "reboot",
	.summary = "ask a domain to reboot (its control/shutdown node); -F stops one that cannot be asked",
	.synopsis = "[-a | DOMAIN]", .opts = opts, .nr_opts = 3, .min_args = 0, .max_args = 1,
	.run = reboot_run,
};

static const struct pxl_cmd *const cmds[] = { &shutdown_cmd, &reboot_cmd, NULL };
const struct pxl_plugin pxl_plugin = { PXL_ABI_VERSION, cmds };
