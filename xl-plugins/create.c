/*
 * xl-plugins/create.c - pxl create: a domain from an xl.cfg file
 *
 * -n resolves the configuration (the file, then KEY=VALUE overrides) and
 * prints it as JSON without creating anything. Otherwise the domain is
 * built on the backend and unpaused, as xl does; -p leaves it paused.
 * Its console log is $RUNDIR/console/NAME.log (pxl console NAME).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "physmap/domain.h"
#include "pxl-util.h"

enum { OPT_DRYRUN, OPT_PAUSED, OPT_CONSOLE };

static const struct pm_opt opts[] = {
	[OPT_DRYRUN] = { "dryrun", no_argument, 'n', NULL,
			 "resolve the configuration and print it as JSON; create nothing" },
	[OPT_PAUSED] = { "paused", no_argument, 'p', NULL, "leave the domain paused" },
	[OPT_CONSOLE] = { "console", no_argument, 'c', NULL,
			  "attach to its console at once (Ctrl-] detaches)" },
};

static int build(const struct pxl_args *a, const struct pm_domain_config *cfg)
{
	char err[PM_DOMAIN_ERR_LEN];
	struct pm_hv *hv;
	uint32_t domid;
	int rc;

	if (!cfg->kernel && !a->opt[OPT_PAUSED]) {
		/* its vCPUs would have nothing to run: only its layout is of use */
		fprintf(stderr, "%s: %s: kernel: missing: the domain would run nothing "
			"(create -p lays out its memory alone)\n", a->prog, cfg->source);
		return PXL_FAIL;
	}
	rc = pxl_hv_open(a, &hv);
	if (rc)
		return rc;
	/* disks and networks are the dom0 kernel's blkback and netback on Xen
	 * (physmap-dm's disks with backendtype=qdisk), physmap-dm's on the
	 * simulator (its networks a switch of the simulator's domains) */
	rc = pm_domain_create(hv, cfg, &domid, err, sizeof(err));
	if (rc) {
		fprintf(stderr, "%s: %s\n", a->prog, err);
	} else if (a->opt[OPT_PAUSED]) {
		printf("created %s as domain %u (paused)\n", cfg->name, domid);
	} else if ((rc = pm_hv_domain_unpause(hv, domid))) {
		fprintf(stderr, "%s: %s: starting its vCPUs: %s\n", a->prog, cfg->name, strerror(-rc));
		pm_domain_destroy(hv, domid);
	} else {
		printf("created %s as domain %u\n", cfg->name, domid);
	}
	if (!rc && pxl_monitor_needed(hv, cfg))
		pxl_monitor_spawn(a, hv, cfg, domid);   /* its failure is said; the domain runs */
	if (!rc && a->opt[OPT_CONSOLE]) {
		fflush(stdout);
		rc = pxl_console(a, hv, domid, true) == PXL_OK ? 0 : -EIO;
	}
	pm_hv_close(hv);
	return rc ? PXL_FAIL : PXL_OK;
}

static int run(const struct pxl_args *a)
{
	struct pm_domain_config cfg;
	char *json = NULL;
	int rc = pxl_load_config(a, &cfg);

	if (rc)
		return rc;
	if (!a->opt[OPT_DRYRUN]) {
		rc = build(a, &cfg);
	} else if (pm_domain_config_json(&cfg, &json) < 0) {
		fprintf(stderr, "%s: out of memory\n", a->prog);
		rc = PXL_FAIL;
	} else {
		fputs(json, stdout);
	}
	free(json);
	pm_domain_config_dispose(&cfg);
	return rc;
}

static const struct pxl_cmd create = {
	.name = "create",
	.summary = "create a domain from an xl.cfg file (KEY=VALUE overrides its keys)",
	.synopsis = "CONFIG [KEY=VALUE...]",
	.opts = opts,
	.nr_opts = sizeof(opts) / sizeof(opts[0]),
	.min_args = 1,
	.max_args = -1,
	.run = run,
};

static const struct pxl_cmd *const cmds[] = { &create, NULL };
const struct pxl_plugin pxl_plugin = { PXL_ABI_VERSION, cmds };
