/*
 * xl-plugins/console.c - pxl console: a domain's console, followed as xl
 * console follows it (Ctrl-] detaches); --dump prints what is there and
 * returns
 */
#include <stdio.h>

#include "pxl-util.h"

enum { OPT_DUMP };

static const struct pm_opt opts[] = {
	[OPT_DUMP] = { "dump", no_argument, 'd', NULL, "print the console log so far and return" },
};

static int run(const struct pxl_args *a)
{
	struct pm_hv *hv = NULL;
	uint32_t domid;
	int rc = pxl_open_domain(a, &hv, &domid);

	if (rc)
		return rc;
	rc = pxl_console(a, hv, domid, !a->opt[OPT_DUMP]);
	pm_hv_close(hv);
	return rc;
}

static const struct pxl_cmd console = {
	.name = "console",
	.summary = "show a domain's console and follow it (Ctrl-] detaches)",
	.synopsis = "DOMAIN",
	.opts = opts,
	.nr_opts = sizeof(opts) / sizeof(opts[0]),
	.min_args = 1,
	.max_args = 1,
	.run = run,
};

static const struct pxl_cmd *const cmds[] = { &console, NULL };
const struct pxl_plugin pxl_plugin = { PXL_ABI_VERSION, cmds };
