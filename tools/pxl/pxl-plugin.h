/*
 * tools/pxl/pxl-plugin.h - what a pxl plugin exports
 *
 * A plugin is a loadable module (one subcommand, or a small family, per
 * file in xl-plugins/) that defines one symbol:
 *
 *   const struct pxl_plugin pxl_plugin = { PXL_ABI_VERSION, cmds };
 *
 * pxl finds plugins in $PXL_PLUGIN_PATH (colon-separated directories,
 * searched first) and in its installed plugin directory. A module without
 * the symbol, or with another ABI version, is reported by name and skipped.
 *
 * pxl parses each command's options from its table (which also makes its
 * help and its bash completion), adds -h/--help, checks the number of
 * positional arguments, and calls run.
 */
#ifndef PHYSMAP_PXL_PLUGIN_H
#define PHYSMAP_PXL_PLUGIN_H

#include <stddef.h>

#include "opts.h"

#define PXL_ABI_VERSION 1
#define PXL_MAX_OPTS 32

/* what run returns: pxl's exit status */
#define PXL_OK 0
#define PXL_FAIL 1     /* the command failed: one line on stderr said why */
#define PXL_USAGE 2    /* the command line was wrong */

struct pxl_args {
	const char *prog;                 /* "pxl create", for messages */
	const char *opt[PXL_MAX_OPTS];    /* by table index: the value, "" for a flag, NULL if absent */
	int argc;                         /* positional arguments */
	char **argv;
};

struct pxl_cmd {
	const char *name;
	const char *summary;              /* one line */
	const char *synopsis;             /* positional arguments, for the usage line */
	const struct pm_opt *opts;        /* without -h/--help, which pxl adds */
	size_t nr_opts;
	int min_args, max_args;           /* max_args -1: no limit */
	int (*run)(const struct pxl_args *a);
};

struct pxl_plugin {
	unsigned int abi;                 /* PXL_ABI_VERSION */
	const struct pxl_cmd *const *cmds;   /* NULL-terminated */
};

#endif
