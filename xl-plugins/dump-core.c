/*
 * xl-plugins/dump-core.c - pxl dump-core, as xl(1) has it: a domain's
 * memory and vCPUs written to FILENAME as an ELF core in Xen's dump-core
 * format (libphysmap/dumpcore.c), without pausing the domain. On success
 * it prints nothing, as xl; on failure one line, exit 1, and no file (an
 * older FILENAME stays as it was).
 */
#include <stdio.h>
#include <string.h>

#include <stdint.h>

#include "physmap/domain.h"
#include "pxl-util.h"

static int run(const struct pxl_args *a)
{
	struct pm_hv *hv;
	uint32_t domid;
	char err[512];
	int rc = pxl_open_domain(a, &hv, &domid);

	if (rc)
		return rc;
	rc = pxl_dump_core(hv, domid, a->argv[1], NULL, err, sizeof(err));
	if (rc)
		fprintf(stderr, "%s: dump-core %s: %s\n", a->prog, a->argv[0], err);
	pm_hv_close(hv);
	return rc ? PXL_FAIL : PXL_OK;
}

static const struct pxl_cmd dump_core_cmd = {
	.name = "dump-core", .summary = "core dump a domain: its memory and vCPUs, in Xen's dump-core format",
	.synopsis = "DOMAIN FILENAME", .min_args = 2, .max_args = 2, .run = run,
};

static const struct pxl_cmd *const cmds[] = { &dump_core_cmd, NULL };
const struct pxl_plugin pxl_plugin = { PXL_ABI_VERSION, cmds };
