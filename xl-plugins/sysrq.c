/*
 * xl-plugins/sysrq.c - pxl sysrq, as xl(1) has it: a magic SysRq key for
 * the guest, through its control/sysrq node (Linux's drivers/xen/manage.c
 * watches it and acts as if the key had been pressed)
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <stdint.h>

#include "physmap/domain.h"
#include "pxl-util.h"

static int run(const struct pxl_args *a)
{
	struct pm_hv *hv;
	uint32_t domid;
	int rc;

	if (strlen(a->argv[1]) != 1) {
		fprintf(stderr, "%s: %s: a SysRq key is one letter\n", a->prog, a->argv[1]);
		return PXL_FAIL;
	}
	rc = pxl_open_domain(a, &hv, &domid);
	if (rc)
		return rc;
	rc = pm_domain_sysrq(hv, domid, a->argv[1][0]);
	if (rc == -EPERM)
		fprintf(stderr, "%s: %s: dom0 is not pxl's to send keys to\n", a->prog, a->argv[0]);
	else if (rc)
		fprintf(stderr, "%s: %s: %s\n", a->prog, a->argv[0], strerror(-rc));
	pm_hv_close(hv);
	return rc ? PXL_FAIL : PXL_OK;
}

static const struct pxl_cmd sysrq_cmd = {
	.name = "sysrq", .summary = "send a magic SysRq key to a domain (its control/sysrq node)",
	.synopsis = "DOMAIN LETTER", .min_args = 2, .max_args = 2, .run = run,
};

static const struct pxl_cmd *const cmds[] = { &sysrq_cmd, NULL };
const struct pxl_plugin pxl_plugin = { PXL_ABI_VERSION, cmds };
