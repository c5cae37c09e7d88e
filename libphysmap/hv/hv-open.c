/*
 * hv-open.c - pm_hv_open and pm_hv_choice: which backend (the simulator,
 * or Xen from a control domain), opened. The one file of the library that
 * knows both backends; they know only hv.c.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hv-internal.h"
#include "alloc-internal.h"

/* running in a Xen control domain (dom0): /proc/xen/capabilities says control_d */
static bool in_dom0(void)
{
	const char *path = getenv("PHYSMAP_XEN_CAPABILITIES");   /* tests point it elsewhere */
	char buf[64] = "";
	FILE *f = fopen(path ? path : "/proc/xen/capabilities", "r");
	bool yes;

	if (!f)
		return false;
	yes = fgets(buf, sizeof(buf), f) && strstr(buf, "control_d");
	fclose(f);
	return yes;
}

const char *pm_hv_choice(const char *connect)
{
	if (!connect)
		connect = getenv("PHYSMAP_CONNECT");
	if (!connect || !*connect)
		connect = in_dom0() ? "xen" : "sim";
	return connect;
}

int pm_hv_open(const char *connect, struct pm_hv **out)
{
	struct pm_hv *hv;
	int rc;

	*out = NULL;
	connect = pm_hv_choice(connect);
	if (strcmp(connect, "sim") && strcmp(connect, "xen"))
		return -EINVAL;
	hv = pm__calloc(1, sizeof(*hv));
	if (!hv)
		return -ENOMEM;
	hv->ops = strcmp(connect, "xen") ? &pm__hv_sim_ops : &pm__hv_xen_ops;
	hv->fail_at = getenv("PHYSMAP_HV_FAIL_AT") ? atol(getenv("PHYSMAP_HV_FAIL_AT")) : 0;
	rc = hv->ops->open(hv);
	if (rc) {
		free(hv);
		return rc;
	}
	*out = hv;
	return 0;
}
