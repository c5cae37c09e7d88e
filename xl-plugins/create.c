/*
 * xl-plugins/create.c - pxl create: a domain from an xl.cfg file
 *
 * -n resolves the configuration (the file, then KEY=VALUE overrides) and
 * prints it as JSON without creating anything. Creating needs a backend:
 * physmap-sim is the next piece of work, so without -n create says so.
 */
#include <stdio.h>
#include <stdlib.h>

#include "pxl-util.h"

enum { OPT_DRYRUN, OPT_PAUSED };

static const struct pm_opt opts[] = {
	[OPT_DRYRUN] = { "dryrun", no_argument, 'n', NULL,
			 "resolve the configuration and print it as JSON; create nothing" },
	[OPT_PAUSED] = { "paused", no_argument, 'p', NULL, "leave the domain paused" },
};

static int run(const struct pxl_args *a)
{
	struct pm_domain_config cfg;
	char *json = NULL;
	int rc = pxl_load_config(a, &cfg);

	if (rc)
		return rc;
	if (!a->opt[OPT_DRYRUN]) {
		fprintf(stderr, "%s: %s: creating a domain needs the simulator backend (physmap-sim), "
			"which is not built yet; -n prints the resolved configuration\n",
			a->prog, cfg.name);
		rc = PXL_FAIL;
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
