/*
 * libphysmap/libxl-config.c - a domain's configuration as libxl shapes it
 *
 * What `xl list -l` prints is a libxl_domain_config as libxl's own
 * generator (libxl_domain_config_gen_json) writes it; libxl also keeps one
 * per domain in /var/lib/xen/userdata-d.DOMID.UUID.libxl-json and will not
 * add a device to a domain without it (xl block-attach). Both are made here
 * from the configuration physmap keeps in the store, filled as libxl fills
 * a live domain's (its memory target, Xen's scheduler parameters, the
 * devices' defaults), with libxl's own types and generator, so the bytes
 * are libxl's.
 */
#include <errno.h>
#include <glob.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <stdint.h>

#define HAVE_YAJL_V2 1   /* what libxl_json.h's inline helpers assume */
#include <libxl.h>
#include <libxl_json.h>
#include <xenstore.h>

#include "physmap/domain.h"
#include "alloc-internal.h"
#include "config-internal.h"
#include "json-internal.h"

/* where libxl keeps its userdata ($PHYSMAP_XEN_USERDATA_DIR for tests) */
static const char *userdata_dir(void)
{
	const char *d = getenv("PHYSMAP_XEN_USERDATA_DIR");

	return d && *d ? d : "/var/lib/xen";
}

static libxl_action_on_shutdown libxl_action(enum pm_action a)
{
	switch (a) {
	case PM_ACTION_DESTROY: return LIBXL_ACTION_ON_SHUTDOWN_DESTROY;
	case PM_ACTION_RESTART: return LIBXL_ACTION_ON_SHUTDOWN_RESTART;
	case PM_ACTION_RENAME_RESTART: return LIBXL_ACTION_ON_SHUTDOWN_RESTART_RENAME;
	case PM_ACTION_PRESERVE: return LIBXL_ACTION_ON_SHUTDOWN_PRESERVE;
	case PM_ACTION_COREDUMP_DESTROY: return LIBXL_ACTION_ON_SHUTDOWN_COREDUMP_DESTROY;
	case PM_ACTION_COREDUMP_RESTART: return LIBXL_ACTION_ON_SHUTDOWN_COREDUMP_RESTART;
	case PM_ACTION_SOFT_RESET: return LIBXL_ACTION_ON_SHUTDOWN_SOFT_RESET;
	}
	return LIBXL_ACTION_ON_SHUTDOWN_DESTROY;
}

/* a number the store holds for the domain (KiB), or @dflt */
static uint64_t store_kib(uint32_t domid, const char *key, uint64_t dflt)
{
	struct xs_handle *h = xs_open(XS_OPEN_SOCKETONLY);
	char path[96], *v = NULL;
	unsigned int len;

	snprintf(path, sizeof(path), "/local/domain/%u/%s", domid, key);
	if (h)
		v = xs_read(h, XBT_NULL, path, &len);
	if (v)
		dflt = strtoull(v, NULL, 10);
	free(v);
	if (h)
		xs_close(h);
	return dflt;
}

/*
 * @dc from @cfg (NULL: dom0, which physmap did not make), its strings
 * borrowed and its device arrays malloc'ed (free them, never dispose @dc);
 * @live: the domain as it runs (target, scheduler), not as made
 */
static int fill(struct pm_hv *hv, libxl_domain_config *dc, const struct pm_domain_config *cfg, uint32_t domid,
		bool live)
{
	libxl_domain_type type = !cfg || !strcmp(cfg->type, "pv") ? LIBXL_DOMAIN_TYPE_PV : LIBXL_DOMAIN_TYPE_PVH;
	int weight = -1, cap = -1;

	libxl_domain_config_init(dc);
	dc->c_info.type = type;
	libxl_domain_build_info_init_type(&dc->b_info, type);
	if (live && !pm_hv_sched_credit(hv, domid, 2, false, &weight, &cap)) {
		dc->b_info.sched_params.sched = LIBXL_SCHEDULER_CREDIT2;
		dc->b_info.sched_params.weight = weight;
		dc->b_info.sched_params.cap = cap;
	}
	if (!cfg) {
		dc->c_info.name = (char *)"Domain-0";
		dc->b_info.max_memkb = store_kib(0, "memory/static-max", 0);
		dc->b_info.target_memkb = store_kib(0, "memory/target", 0);
		return 0;
	}
	dc->c_info.name = cfg->name;
	dc->c_info.domid = INVALID_DOMID;
	if (cfg->uuid[0] && libxl_uuid_from_string(&dc->c_info.uuid, cfg->uuid))
		return -EINVAL;
	libxl_defbool_set(&dc->c_info.run_hotplug_scripts, true);
	dc->b_info.max_memkb = cfg->maxmem >> 10;
	dc->b_info.target_memkb = live ? store_kib(domid, "memory/target", cfg->memory >> 10) : cfg->memory >> 10;
	dc->b_info.video_memkb = 0;
	/* physmap claims no pages ahead of populating them (libxl's claim_mode) */
	libxl_defbool_set(&dc->b_info.claim_mode, false);
	dc->b_info.kernel = cfg->kernel;
	dc->b_info.cmdline = cfg->cmdline;
	dc->b_info.ramdisk = cfg->ramdisk;
	libxl_defbool_set(&dc->b_info.arch_x86.msr_relaxed, false);
	if (cfg->nr_disks && !(dc->disks = pm__calloc(cfg->nr_disks, sizeof(*dc->disks))))
		return -ENOMEM;
	for (size_t i = 0; i < cfg->nr_disks; i++) {
		pm__libxl_disk(&cfg->disks[i], &dc->disks[i]);
		libxl_defbool_set(&dc->disks[i].colo_restore_enable, false);   /* as libxl's setdefault */
	}
	dc->num_disks = (int)cfg->nr_disks;
	if (cfg->nr_nics && !(dc->nics = pm__calloc(cfg->nr_nics, sizeof(*dc->nics)))) {
		free(dc->disks);
		return -ENOMEM;
	}
	for (size_t i = 0; i < cfg->nr_nics; i++) {
		pm__libxl_nic(&cfg->nics[i], &dc->nics[i]);
		if (dc->nics[i].nictype == LIBXL_NIC_TYPE_UNKNOWN)
			dc->nics[i].nictype = LIBXL_NIC_TYPE_VIF;
	}
	dc->num_nics = (int)cfg->nr_nics;
	dc->on_poweroff = libxl_action(cfg->on_poweroff);
	dc->on_reboot = libxl_action(cfg->on_reboot);
	dc->on_watchdog = libxl_action(cfg->on_watchdog);
	dc->on_crash = libxl_action(cfg->on_crash);
	dc->on_soft_reset = libxl_action(cfg->on_soft_reset);
	return 0;
}

/* a generator as libxl_yajl_gen_alloc makes one */
static yajl_gen gen_alloc(void)
{
	yajl_gen g = yajl_gen_alloc(NULL);

	if (g) {
		yajl_gen_config(g, yajl_gen_beautify, 1);
		yajl_gen_config(g, yajl_gen_indent_string, "    ");
	}
	return g;
}

/* one domain's {"domid", "config"} into @g; 1 if it was left out (not physmap's) */
static int one(struct pm_hv *hv, yajl_gen g, uint32_t domid)
{
	struct pm_domain_config cfg;
	libxl_domain_config dc;
	char err[128];
	bool ours = domid && !pm_domain_config_of(domid, &cfg, err, sizeof(err));
	int rc;

	if (domid && !ours) {
		pm_domain_config_dispose(&cfg);
		return 1;   /* as libxl leaves out a domain whose configuration it cannot retrieve */
	}
	rc = fill(hv, &dc, ours ? &cfg : NULL, domid, true);
	if (!rc) {
		yajl_gen_map_open(g);
		yajl_gen_string(g, (const unsigned char *)"domid", 5);
		yajl_gen_integer(g, domid);
		yajl_gen_string(g, (const unsigned char *)"config", 6);
		if (libxl_domain_config_gen_json(g, &dc) != yajl_gen_status_ok ||
		    yajl_gen_map_close(g) != yajl_gen_status_ok)
			rc = -ENOMEM;
	}
	free(dc.disks);
	free(dc.nics);
	if (ours)
		pm_domain_config_dispose(&cfg);
	return rc;
}

long pm_domains_libxl_json(struct pm_hv *hv, const struct pm_hv_dominfo *v, size_t n, char **out)
{
	yajl_gen g = gen_alloc();
	long rc = 0;

	*out = NULL;
	if (!g)
		return -ENOMEM;
	yajl_gen_array_open(g);
	for (size_t i = 0; i < n && rc >= 0; i++) {
		int r = one(hv, g, v[i].domid);

		rc = r < 0 ? r : 0;
	}
	if (rc >= 0 && yajl_gen_array_close(g) != yajl_gen_status_ok)
		rc = -ENOMEM;
	if (rc >= 0)
		rc = pm__json_take(g, out);
	yajl_gen_free(g);
	return rc;
}

int pm__libxl_userdata_write(struct pm_hv *hv, uint32_t domid, const struct pm_domain_config *cfg)
{
	libxl_domain_config dc;
	yajl_gen g = gen_alloc();
	char path[512], tmp[520], *json = NULL;
	long len = -ENOMEM;
	FILE *f;
	int rc;

	if (!g)
		return -ENOMEM;
	rc = fill(hv, &dc, cfg, domid, false);
	if (!rc && libxl_domain_config_gen_json(g, &dc) == yajl_gen_status_ok)
		len = pm__json_take(g, &json);
	free(dc.disks);
	free(dc.nics);
	yajl_gen_free(g);
	if (rc || len < 0)
		return rc ? rc : (int)len;
	/* as libxl writes it: a whole file, renamed into place */
	snprintf(path, sizeof(path), "%s/userdata-d.%u.%s.libxl-json", userdata_dir(), domid, cfg->uuid);
	snprintf(tmp, sizeof(tmp), "%s.new", path);
	f = fopen(tmp, "w");
	if (!f) {
		free(json);
		return -errno;
	}
	rc = fwrite(json, 1, (size_t)len, f) == (size_t)len ? 0 : -EIO;
	if (fclose(f) && !rc)
		rc = -errno;
	if (!rc && rename(tmp, path))
		rc = -errno;
	if (rc)
		unlink(tmp);
	free(json);
	return rc;
}

void pm__libxl_userdata_remove(uint32_t domid)
{
	char pattern[512];
	glob_t gl;

	snprintf(pattern, sizeof(pattern), "%s/userdata-d.%u.*", userdata_dir(), domid);
	if (glob(pattern, 0, NULL, &gl))
		return;
	for (size_t i = 0; i < gl.gl_pathc; i++)
		unlink(gl.gl_pathv[i]);
	globfree(&gl);
}
