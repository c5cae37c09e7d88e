/*
 * xl-plugins/config-update.c - pxl config-update, as xl(1) has it: what a
 * running domain is built from when it next restarts (its on_reboot, or
 * another restarting action); the running domain does not change
 *
 *   pxl config-update DOMAIN FILE [KEY=VALUE...]   a whole new configuration
 *   pxl config-update DOMAIN KEY=VALUE...          its own, with these keys changed
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <stdint.h>

#include "physmap/domain.h"
#include "pxl-util.h"

static int run(const struct pxl_args *a)
{
	struct pm_domain_config cfg;
	struct pm_hv *hv;
	char err[PM_CONFIG_ERR_LEN];
	uint32_t domid;
	bool file = a->argc > 1 && !strchr(a->argv[1], '=');
	int rc = pxl_open_domain(a, &hv, &domid);

	if (rc)
		return rc;
	pm_domain_config_init(&cfg);
	if (a->argc == 1) {
		/* as xl, whose unknown domain is said first: nothing to update from */
		fprintf(stderr, "%s: %s: no config file and no KEY=VALUE: nothing to update\n", a->prog, a->argv[0]);
		rc = PXL_FAIL;
		goto out;
	}
	if (file) {
		struct pxl_args sub = *a;

		sub.argc = a->argc - 1;
		sub.argv = a->argv + 1;
		rc = pxl_load_config(&sub, &cfg);
		if (rc)
			goto out;
	} else {
		/* its own configuration, the keys changed as a config file's overrides are */
		char *json = NULL;

		rc = pm_domain_config_next(domid, &cfg, err, sizeof(err));
		if (!rc && pm_domain_config_json(&cfg, &json) < 0)
			rc = -ENOMEM;
		pm_domain_config_dispose(&cfg);
		if (!rc)
			rc = pm_domain_config_from_json(json, "its configuration",
							(const char *const *)a->argv + 1, (size_t)a->argc - 1, &cfg,
							err, sizeof(err));
		free(json);
		if (rc) {
			fprintf(stderr, "%s: %s: %s\n", a->prog, a->argv[0], err[0] ? err : strerror(-rc));
			rc = PXL_FAIL;
			goto out;
		}
	}
	rc = pm_domain_config_update(hv, domid, &cfg, err, sizeof(err));
	if (rc == -EPERM)
		fprintf(stderr, "%s: %s: dom0 is not pxl's to configure\n", a->prog, a->argv[0]);
	else if (rc)
		fprintf(stderr, "%s: %s: %s\n", a->prog, a->argv[0], err[0] ? err : strerror(-rc));
	rc = rc ? PXL_FAIL : PXL_OK;
out:
	pm_domain_config_dispose(&cfg);
	pm_hv_close(hv);
	return rc;
}

static const struct pxl_cmd config_update_cmd = {
	.name = "config-update",
	.summary = "what a domain is built from when it next restarts (a config file, or KEY=VALUE changes)",
	.synopsis = "DOMAIN [FILE] [KEY=VALUE...]", .min_args = 1, .max_args = -1, .run = run,
};

static const struct pxl_cmd *const cmds[] = { &config_update_cmd, NULL };
const struct pxl_plugin pxl_plugin = { PXL_ABI_VERSION, cmds };
