/*
 * a test plugin: "dump" makes "d" ambiguous beside "dumpdtb", and it says
 * which directory it came from, to show the search order
 */
#include <stdio.h>

#include "pxl-plugin.h"

static int run(const struct pxl_args *a)
{
	printf("test plugin: %d argument(s)\n", a->argc);
	return PXL_OK;
}

static const struct pxl_cmd dump = {
	.name = "dump", .summary = "a test command", .synopsis = "[ARG...]",
	.min_args = 0, .max_args = 2, .run = run,
};

static const struct pxl_cmd *const cmds[] = { &dump, NULL };
const struct pxl_plugin pxl_plugin = { PXL_ABI_VERSION, cmds };
