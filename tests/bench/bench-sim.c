/*
 * bench-sim.c - domains on the simulator through libphysmap: create and
 * destroy of a 256 MiB domain, and the populate rate in pages per second
 *
 * Baseline, in the same run: the same P2M work done in process (a tree
 * created, its 256 MiB set, freed), which is what the simulator must do
 * at least; the ratio is the cost of the protocol, the frame pool and the
 * store around it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "physmap/config.h"
#include "physmap/domain.h"
#include "physmap/hv.h"
#include "physmap/p2m.h"
#include "bench.h"

#define PAGES (256ull << 20 >> 12)
#define ROUNDS 20

/* the P2M work of one 256 MiB domain, in process */
static double p2m_alone_ns(void)
{
	double t0 = now_ns();

	for (int i = 0; i < ROUNDS; i++) {
		struct pm_p2m *p;

		if (pm_p2m_create(PAGES + 0x40000, NULL, &p) ||
		    pm_p2m_set_range(p, 0x40000, 0x100000, PAGES))
			abort();
		sink += pm_p2m_lookup(p, 0x40000 + i);
		pm_p2m_free(p);
	}
	return (now_ns() - t0) / ROUNDS;
}

int main(void)
{
	char dir[] = "/tmp/pm-sim-bench-XXXXXX", cfgpath[64], err[PM_DOMAIN_ERR_LEN];
	struct pm_domain_config cfg;
	struct pm_hv *hv;
	uint32_t domid;
	double t0, create_ns, populate_s, base;
	FILE *f;

	if (!mkdtemp(dir))
		abort();
	setenv("PHYSMAP_RUNDIR", dir, 1);
	bench_use_build();
	snprintf(cfgpath, sizeof(cfgpath), "%s/b.cfg", dir);
	f = fopen(cfgpath, "w");
	if (!f)
		abort();
	fputs("name = \"bench\"\nboard = \"virt\"\nmemory = 256\n", f);
	fclose(f);
	if (pm_domain_config_load(cfgpath, NULL, 0, &cfg, err, sizeof(err)) || pm_hv_open("sim", &hv)) {
		fprintf(stderr, "bench-sim: %s\n", err);
		return 1;
	}
	t0 = now_ns();
	for (int i = 0; i < ROUNDS; i++) {
		if (pm_domain_create(hv, &cfg, &domid, err, sizeof(err))) {
			fprintf(stderr, "bench-sim: %s\n", err);
			return 1;
		}
		if (pm_domain_destroy(hv, domid))
			abort();
	}
	create_ns = (now_ns() - t0) / ROUNDS;
	base = p2m_alone_ns();
	figure("sim.create_destroy.256m", create_ns / 1e6, "ms", "the same P2M work in process",
	       base / 1e6, "reported", true);

	/* populate alone: an empty domain, 256 MiB at once */
	t0 = now_ns();
	for (int i = 0; i < ROUNDS; i++) {
		if (pm_hv_domain_create(hv, "pop", PAGES, 1, &domid) ||
		    pm_hv_populate(hv, domid, 0, PAGES) != (long)PAGES || pm_hv_domain_destroy(hv, domid))
			abort();
	}
	populate_s = (now_ns() - t0) / 1e9 / ROUNDS;
	figure("sim.populate_rate", PAGES / populate_s, "pages/s", "the same P2M work in process",
	       PAGES / (base / 1e9), "reported", true);
	pm_hv_close(hv);
	pm_domain_config_dispose(&cfg);
	/* the simulator leaves by itself once idle; its directory after it */
	sleep(2);
	rm_tree(dir);
	return 0;
}
