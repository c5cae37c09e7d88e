/*
 * xl-plugins/pci.c - PCI passthrough as xl(1) lists it: pxl pci-list (a
 * domain's passed-through devices, from the store's pci backend as libxl
 * reads it) and pci-assignable-list (the host's devices bound to pciback)
 *
 * physmap passes no device through (docs/xl-cfg-keys.md: pci=), so its own
 * guests list none; a domain xl gave devices lists them.
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <stdint.h>

#include <xenstore.h>

#include "physmap/domain.h"
#include "pxl-util.h"

/* the domain's pci backend's @key (dev-N, vdevfn-N, num_devs), or NULL */
static char *backend_read(struct xs_handle *h, uint32_t domid, const char *key)
{
	char path[128];
	unsigned int len;

	snprintf(path, sizeof(path), "/local/domain/0/backend/pci/%u/0/%s", domid, key);
	return xs_read(h, XBT_NULL, path, &len);
}

static int list_run(const struct pxl_args *a)
{
	struct xs_handle *h;
	struct pm_hv *hv;
	uint32_t domid;
	char *num;
	int rc = pxl_open_domain(a, &hv, &domid);

	if (rc)
		return rc;
	h = xs_open(XS_OPEN_SOCKETONLY);
	num = h ? backend_read(h, domid, "num_devs") : NULL;
	/* as xl: no pci backend, no output at all */
	if (num) {
		printf("Vdev Device\n");
		for (int i = 0; i < atoi(num); i++) {
			char key[32], *dev, *vdevfn;

			snprintf(key, sizeof(key), "dev-%d", i);
			dev = backend_read(h, domid, key);
			snprintf(key, sizeof(key), "vdevfn-%d", i);
			vdevfn = backend_read(h, domid, key);
			unsigned int d = 0, b = 0, s = 0, f = 0;
			unsigned int v = vdevfn ? (unsigned int)strtoul(vdevfn, NULL, 16) : 0;

			if (dev && sscanf(dev, "%x:%x:%x.%x", &d, &b, &s, &f) == 4)
				printf("%02x.%01x %04x:%02x:%02x.%01x\n", (v >> 3) & 0x1f, v & 7, d, b, s, f);
			free(dev);
			free(vdevfn);
		}
	}
	free(num);
	if (h)
		xs_close(h);
	pm_hv_close(hv);
	return PXL_OK;
}

static int cmp_str(const void *x, const void *y)
{
	return strcmp(*(char *const *)x, *(char *const *)y);
}

static int assignable_run(const struct pxl_args *a)
{
	DIR *dir = opendir("/sys/bus/pci/drivers/pciback");
	char **names = NULL;
	size_t n = 0;
	struct dirent *e;

	(void)a;
	/* no pciback: nothing is assignable, as xl says by saying nothing */
	while (dir && (e = readdir(dir))) {
		unsigned int d, b, s, f;
		char **grown;

		if (sscanf(e->d_name, "%x:%x:%x.%x", &d, &b, &s, &f) != 4)
			continue;
		grown = realloc(names, (n + 1) * sizeof(*names));
		if (!grown)
			break;
		names = grown;
		names[n++] = strdup(e->d_name);
	}
	if (dir)
		closedir(dir);
	if (n)   /* qsort's array may not be NULL, even empty */
		qsort(names, n, sizeof(*names), cmp_str);
	for (size_t i = 0; i < n; i++) {
		unsigned int d = 0, b = 0, s = 0, f = 0;

		if (names[i] && sscanf(names[i], "%x:%x:%x.%x", &d, &b, &s, &f) == 4)
			printf("%04x:%02x:%02x.%01x\n", d, b, s, f);
		free(names[i]);
	}
	free(names);
	return PXL_OK;
}

static const struct pxl_cmd list_cmd = {
	.name = "pci-list", .summary = "the PCI devices passed through to a domain", .synopsis = "DOMAIN",
	.min_args = 1, .max_args = 1, .run = list_run,
};
static const struct pxl_cmd assignable_cmd = {
	.name = "pci-assignable-list", .summary = "the host's PCI devices that can be passed through (pciback's)",
	.min_args = 0, .max_args = 0, .run = assignable_run,
};

static const struct pxl_cmd *const cmds[] = { &list_cmd, &assignable_cmd, NULL };
const struct pxl_plugin pxl_plugin = { PXL_ABI_VERSION, cmds };
