/*
 * tools/pxl/pxl-util.h - what several plugins do alike
 */
#ifndef PHYSMAP_PXL_UTIL_H
#define PHYSMAP_PXL_UTIL_H

#include "physmap/config.h"
#include "board.h"
#include "pxl-plugin.h"

/**
 * pxl_load_config - argv[0] is a config file, argv[1..] KEY=VALUE overrides;
 * prints the warnings ("PROG: warning: ...") and, on failure, the one-line
 * error ("PROG: guest.cfg:3: ...")
 * returns: PXL_OK, with cfg to dispose; PXL_FAIL
 */
int pxl_load_config(const struct pxl_args *a, struct pm_domain_config *cfg);

/**
 * pxl_layout - the board's machine for cfg (errors printed as above)
 * returns: PXL_OK, with layout to dispose; PXL_FAIL
 */
int pxl_layout(const struct pxl_args *a, const struct pm_domain_config *cfg,
	       struct pm_board_layout *layout);

#endif
