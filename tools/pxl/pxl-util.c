/*
 * tools/pxl/pxl-util.c - what several plugins do alike
 */
#include <stdio.h>

#include "pxl-util.h"

int pxl_load_config(const struct pxl_args *a, struct pm_domain_config *cfg)
{
	char err[PM_CONFIG_ERR_LEN];

	if (pm_domain_config_load(a->argv[0], (const char *const *)a->argv + 1,
				  (size_t)a->argc - 1, cfg, err, sizeof(err))) {
		fprintf(stderr, "%s: %s\n", a->prog, err);
		return PXL_FAIL;
	}
	for (size_t i = 0; i < cfg->nr_warnings; i++)
		fprintf(stderr, "%s: warning: %s\n", a->prog, cfg->warnings[i]);
	return PXL_OK;
}

int pxl_layout(const struct pxl_args *a, const struct pm_domain_config *cfg,
	       struct pm_board_layout *layout)
{
	char err[PM_BOARD_ERR_LEN] = "";

	if (pm_domain_config_layout(cfg, layout, err)) {
		fprintf(stderr, "%s: %s: board '%s': %s\n", a->prog, cfg->source, cfg->board,
			err[0] ? err : "out of memory");
		return PXL_FAIL;
	}
	return PXL_OK;
}
