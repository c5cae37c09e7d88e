/*
 * tests/bench/bench-boot.c - a test guest booted to its end on a
 * simulator of its own (bench-boot.h)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "physmap/config.h"
#include "physmap/domain.h"
#include "physmap/hv.h"
#include "bench.h"
#include "bench-boot.h"

static char dir[64];   /* this boot's run directory */
static struct pm_domain_config cfg;
static struct pm_hv *hv;
static uint32_t domid;

bool bench_boot(const char *prog, const char *cfg_text, char *log, size_t log_len)
{
	char cfgp[128], err[PM_DOMAIN_ERR_LEN];
	struct pm_hv_dominfo info;
	FILE *f;

	snprintf(dir, sizeof(dir), "/tmp/pm-bench-boot-XXXXXX");   /* mkdtemp's template, each boot */
	if (!mkdtemp(dir))
		abort();
	setenv("PHYSMAP_RUNDIR", dir, 1);
	if (pm_hv_open("sim", &hv)) {
		fprintf(stderr, "%s: no simulator (PHYSMAP_SIM_ENGINE=%s)\n", prog,
			getenv("PHYSMAP_SIM_ENGINE") ? getenv("PHYSMAP_SIM_ENGINE") : "");
		rm_tree(dir);
		return false;
	}
	snprintf(cfgp, sizeof(cfgp), "%s/b.cfg", dir);
	f = fopen(cfgp, "w");
	if (!f || fputs(cfg_text, f) < 0 || fclose(f) ||
	    pm_domain_config_load(cfgp, NULL, 0, &cfg, err, sizeof(err)) ||
	    pm_domain_create(hv, &cfg, &domid, err, sizeof(err)) || pm_hv_domain_unpause(hv, domid)) {
		fprintf(stderr, "%s: %s\n", prog, f ? err : cfgp);
		exit(1);
	}
	/* until it stops: the simulator tells us (a poll would wake it, on the CPUs the guest uses) */
	while (!pm_hv_domain_getinfo(hv, domid, &info) && info.state != PM_HV_SHUTDOWN)
		if (pm_hv_domain_wait(hv, &info, 0) < 0)
			usleep(1000);
	snprintf(log, log_len, "%s/console/b.log", dir);
	return true;
}

void bench_boot_end(void)
{
	pm_domain_destroy(hv, domid);
	pm_domain_config_dispose(&cfg);
	pm_hv_close(hv);
	sleep(2);   /* the simulator leaves once idle */
	rm_tree(dir);
}
