/*
 * xl-plugins/names.c - a domain's name, id and UUID: pxl domid, domname,
 * rename, vm-list, as xl(1) has them
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <stdint.h>

#include "physmap/domain.h"
#include "pxl-util.h"

static int domid_run(const struct pxl_args *a)
{
	struct pm_hv_dominfo *v;
	struct pm_hv *hv;
	long n = pxl_list(a, &hv, &v);
	int rc = PXL_FAIL;

	if (n < 0)
		return PXL_FAIL;
	/* by name only, as xl: "3" is a name here */
	for (long i = 0; i < n && rc; i++)
		if (!strcmp(v[i].name, a->argv[0])) {
			printf("%u\n", v[i].domid);
			rc = PXL_OK;
		}
	if (rc)
		fprintf(stderr, "%s: %s: no domain has this name\n", a->prog, a->argv[0]);
	free(v);
	pm_hv_close(hv);
	return rc;
}

static int domname_run(const struct pxl_args *a)
{
	struct pm_hv_dominfo info;
	struct pm_hv *hv;
	char *end;
	unsigned long id = strtoul(a->argv[0], &end, 10);
	int rc;

	if (!*a->argv[0] || *end || a->argv[0][0] == '-' || id > UINT32_MAX) {
		fprintf(stderr, "%s: %s: not a domain id\n", a->prog, a->argv[0]);
		return PXL_FAIL;
	}
	rc = pxl_hv_open(a, &hv);
	if (rc)
		return rc;
	rc = pm_hv_domain_getinfo(hv, (uint32_t)id, &info);
	if (rc)
		fprintf(stderr, "%s: %lu: %s\n", a->prog, id, rc == -ENOENT ? "no such domain" : strerror(-rc));
	else
		printf("%s\n", info.name);
	pm_hv_close(hv);
	return rc ? PXL_FAIL : PXL_OK;
}

static int rename_run(const struct pxl_args *a)
{
	struct pm_hv *hv;
	uint32_t domid;
	char why[64];
	int rc;

	if (pm_domain_name_check(a->argv[1], why, sizeof(why))) {
		fprintf(stderr, "%s: %s: not a domain name: %s\n", a->prog, a->argv[1], why);
		return PXL_FAIL;
	}
	rc = pxl_open_domain(a, &hv, &domid);
	if (rc)
		return rc;
	rc = pm_domain_rename(hv, domid, a->argv[1]);
	if (rc == -EEXIST)
		fprintf(stderr, "%s: %s: another domain has this name\n", a->prog, a->argv[1]);
	else if (rc == -EINVAL)
		fprintf(stderr, "%s: %s: not a domain name (1 to 63 bytes)\n", a->prog, a->argv[1]);
	else if (rc == -EPERM)
		fprintf(stderr, "%s: %s: dom0 keeps its name\n", a->prog, a->argv[0]);
	else if (rc)
		fprintf(stderr, "%s: %s: %s\n", a->prog, a->argv[0], strerror(-rc));
	pm_hv_close(hv);
	return rc ? PXL_FAIL : PXL_OK;
}

static int vm_list_run(const struct pxl_args *a)
{
	struct pm_hv_dominfo *v;
	struct pm_hv *hv;
	char uuid[37];
	long n = pxl_list(a, &hv, &v);

	if (n < 0)
		return PXL_FAIL;
	/* xl_info.c's list_vm, byte for byte */
	printf("UUID                                  ID    name\n");
	for (long i = 0; i < n; i++) {
		pm_domain_uuid(&v[i], uuid);
		printf("%s  %u    %-30s\n", uuid, v[i].domid, v[i].name);
	}
	free(v);
	pm_hv_close(hv);
	return PXL_OK;
}

static const struct pxl_cmd domid_cmd = {
	.name = "domid", .summary = "the id of the domain of this name", .synopsis = "NAME",
	.min_args = 1, .max_args = 1, .run = domid_run,
};
static const struct pxl_cmd domname_cmd = {
	.name = "domname", .summary = "the name of the domain of this id", .synopsis = "DOMID",
	.min_args = 1, .max_args = 1, .run = domname_run,
};
static const struct pxl_cmd rename_cmd = {
	.name = "rename", .summary = "call a domain by another name (the store's, its console files')",
	.synopsis = "DOMAIN NEW-NAME", .min_args = 2, .max_args = 2, .run = rename_run,
};

static const struct pxl_cmd vm_list_cmd = {
	.name = "vm-list", .summary = "each domain's UUID, id and name", .min_args = 0, .max_args = 0,
	.run = vm_list_run,
};

static const struct pxl_cmd *const cmds[] = { &domid_cmd, &domname_cmd, &rename_cmd, &vm_list_cmd, NULL };
const struct pxl_plugin pxl_plugin = { PXL_ABI_VERSION, cmds };
