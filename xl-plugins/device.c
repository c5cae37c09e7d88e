/*
 * xl-plugins/device.c - pxl block-attach, block-detach, block-list,
 * network-attach, network-detach, network-list: a running guest's disks
 * and networks, with xl's arguments and xl's columns
 *
 * block-attach takes a disk in xl's syntax (its parts as arguments, as xl
 * takes them), network-attach a vif's KEY=VALUE pairs. The lists show
 * devices xl made as well as pxl's: both live in the store alike.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "physmap/device.h"
#include "pxl-util.h"

/* the arguments from first on, joined by commas: one device spec */
static char *joined(const struct pxl_args *a, int first)
{
	size_t len = 1;
	char *s;

	for (int i = first; i < a->argc; i++)
		len += strlen(a->argv[i]) + 1;
	s = calloc(1, len);
	for (int i = first; s && i < a->argc; i++) {
		if (i > first)
			strcat(s, ",");
		strcat(s, a->argv[i]);
	}
	return s;
}

/* block-attach (disk) and network-attach: one device in xl's syntax, on the running domain */
static int attach(const struct pxl_args *a, bool disk)
{
	char err[PM_DEVICE_ERR_LEN], *spec = joined(a, 1);
	struct pm_disk d;
	struct pm_nic n;
	struct pm_hv *hv;
	uint32_t domid;
	int rc;

	if (!spec) {
		fprintf(stderr, "%s: out of memory\n", a->prog);
		return PXL_FAIL;
	}
	rc = disk ? pm_disk_parse(spec, &d, err, sizeof(err)) : pm_nic_parse(spec, &n, err, sizeof(err));
	free(spec);
	if (rc) {
		fprintf(stderr, "%s: %s\n", a->prog, err);
		return PXL_FAIL;
	}
	rc = pxl_open_domain(a, &hv, &domid);
	if (!rc) {
		if (disk ? pm_device_disk_attach(hv, domid, &d, err, sizeof(err))
			 : pm_device_nic_attach(hv, domid, &n, err, sizeof(err))) {
			fprintf(stderr, "%s: %s: %s\n", a->prog, a->argv[0], err);
			rc = PXL_FAIL;
		}
		pm_hv_close(hv);
	}
	if (disk)
		pm_disk_dispose(&d);
	else
		pm_nic_dispose(&n);
	return rc;
}

static int block_attach_run(const struct pxl_args *a)
{
	return attach(a, true);
}

static int network_attach_run(const struct pxl_args *a)
{
	return attach(a, false);
}

enum { OPT_FORCE };

static const struct pm_opt detach_opts[] = {
	[OPT_FORCE] = { "force", no_argument, 'f', NULL,
			"remove it even if the guest does not let go (it may lose writes in flight)" },
};

static int detach(const struct pxl_args *a, const char *kind, const char *what)
{
	char err[PM_DEVICE_ERR_LEN];
	struct pm_hv *hv;
	uint32_t domid, devid;
	int rc = pxl_open_domain(a, &hv, &domid);

	if (rc)
		return rc;
	rc = pm_device_find(domid, kind, a->argv[1], &devid);
	if (rc) {
		fprintf(stderr, "%s: %s: %s %s: %s\n", a->prog, a->argv[0], what, a->argv[1],
			rc == -EINVAL ? (!strcmp(kind, "vbd") ? "not a disk name or number"
							      : "not a device number or MAC")
				      : "no such device");
		rc = PXL_FAIL;
	} else if (pm_device_detach(hv, domid, kind, devid, a->opt[OPT_FORCE] != NULL, err, sizeof(err))) {
		fprintf(stderr, "%s: %s: %s\n", a->prog, a->argv[0], err);
		rc = PXL_FAIL;
	}
	pm_hv_close(hv);
	return rc;
}

static int block_detach_run(const struct pxl_args *a)
{
	return detach(a, "vbd", "disk");
}

static int network_detach_run(const struct pxl_args *a)
{
	return detach(a, "vif", "vif");
}

/* xl's columns, for each domain named */
static int list(const struct pxl_args *a, const char *kind)
{
	struct pm_hv *hv;
	int rc = pxl_hv_open(a, &hv);
	bool vbd = !strcmp(kind, "vbd");

	if (rc)
		return rc;
	if (vbd)
		printf("%-5s %-3s %-6s %-5s %-6s %-8s %-30s\n", "Vdev", "BE", "handle", "state", "evt-ch", "ring-ref",
		       "BE-path");
	else
		printf("%-3s %-2s %-17s %-6s %-5s %-6s %5s/%-5s %-30s\n", "Idx", "BE", "Mac Addr.", "handle", "state",
		       "evt-ch", "tx-", "rx-ring-ref", "BE-path");
	for (int i = 0; i < a->argc; i++) {
		struct pm_device_info *d;
		uint32_t domid;
		long n;

		if (pxl_domain(a, hv, a->argv[i], &domid)) {
			/* said; xl's block-list goes on to exit 0, its network-list exits 1 */
			if (!vbd)
				rc = PXL_FAIL;
			continue;
		}
		n = pm_device_list(domid, kind, &d);
		if (n < 0) {
			fprintf(stderr, "%s: %s: %s\n", a->prog, a->argv[i], strerror((int)-n));
			rc = PXL_FAIL;
			continue;
		}
		for (long k = 0; k < n; k++) {
			if (vbd)
				printf("%-5u %-3u %-6u %-5d %-6d %-8d %-30s\n", d[k].devid, d[k].backend_id,
				       d[k].frontend_id, d[k].state, d[k].evtchn, d[k].ring_ref, d[k].backend);
			else
				printf("%-3u %-2u %-17s %6u %5d %6d %5d/%-11d %-30s\n", d[k].devid, d[k].backend_id,
				       d[k].mac, d[k].devid, d[k].state, d[k].evtchn, d[k].ring_ref, d[k].rx_ring_ref,
				       d[k].backend);
		}
		free(d);
	}
	pm_hv_close(hv);
	return rc;
}

static int block_list_run(const struct pxl_args *a)
{
	return list(a, "vbd");
}

static int network_list_run(const struct pxl_args *a)
{
	return list(a, "vif");
}

static const struct pxl_cmd block_attach = {
	.name = "block-attach",
	.summary = "give a running domain a disk (xl's disk syntax: target,format,vdev,access or KEY=VALUE)",
	.synopsis = "DOMAIN DISK-SPEC...",
	.min_args = 2,
	.max_args = -1,
	.run = block_attach_run,
};

static const struct pxl_cmd block_detach = {
	.name = "block-detach",
	.summary = "take a disk from a running domain (by vdev or its number)",
	.synopsis = "DOMAIN VDEV",
	.opts = detach_opts,
	.nr_opts = sizeof(detach_opts) / sizeof(detach_opts[0]),
	.min_args = 2,
	.max_args = 2,
	.run = block_detach_run,
};

static const struct pxl_cmd block_list = {
	.name = "block-list",
	.summary = "list domains' disks, as xl block-list does",
	.synopsis = "DOMAIN...",
	.min_args = 1,
	.max_args = -1,
	.run = block_list_run,
};

static const struct pxl_cmd network_attach = {
	.name = "network-attach",
	.summary = "give a running domain a vif (mac=, bridge=, ip=, type=, model=, vifname=, script=, rate=, mtu=)",
	.synopsis = "DOMAIN [KEY=VALUE...]",
	.min_args = 1,
	.max_args = -1,
	.run = network_attach_run,
};

static const struct pxl_cmd network_detach = {
	.name = "network-detach",
	.summary = "take a vif from a running domain (by its number or MAC)",
	.synopsis = "DOMAIN DEVID|MAC",
	.opts = detach_opts,
	.nr_opts = sizeof(detach_opts) / sizeof(detach_opts[0]),
	.min_args = 2,
	.max_args = 2,
	.run = network_detach_run,
};

static const struct pxl_cmd network_list = {
	.name = "network-list",
	.summary = "list domains' vifs, as xl network-list does",
	.synopsis = "DOMAIN...",
	.min_args = 1,
	.max_args = -1,
	.run = network_list_run,
};

static const struct pxl_cmd *const cmds[] = { &block_attach, &block_detach, &block_list,
					      &network_attach, &network_detach, &network_list, NULL };
const struct pxl_plugin pxl_plugin = { PXL_ABI_VERSION, cmds };
