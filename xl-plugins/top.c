/*
 * xl-plugins/top.c - pxl top: each domain's CPU, memory and vCPUs,
 * refreshed, as xentop (what xl top runs) shows them
 *
 * Columns are xentop's first ten (NAME STATE CPU(sec) CPU(%) MEM(k) MEM(%)
 * MAXMEM(k) MAXMEM(%) VCPUS); CPU(%) is the domain's CPU time over the last
 * interval. -b prints one table an interval, without the terminal control
 * (xentop -b); -i stops after that many. On a terminal the screen is
 * redrawn until interrupted.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <stdint.h>

#include "physmap/domain.h"
#include "pxl-util.h"

enum { OPT_BATCH, OPT_DELAY, OPT_ITERATIONS };

static const struct pm_opt opts[] = {
	[OPT_BATCH] = { "batch", no_argument, 'b', NULL, "plain tables, one an interval (xentop -b)" },
	[OPT_DELAY] = { "delay", required_argument, 'd', "SECONDS", "the interval (default 3)" },
	[OPT_ITERATIONS] = { "iterations", required_argument, 'i', "N", "stop after N tables" },
};

struct sample {
	uint32_t domid;
	uint64_t cpu_time;
};

static double now_s(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static void state(const struct pm_hv_dominfo *d, char out[7])
{
	bool down = d->state == PM_HV_SHUTDOWN || d->state == PM_HV_CRASHED;

	/* xentop's letters: d(ying) s(hutdown) b(locked) c(rashed) p(aused) r(unning) */
	snprintf(out, 7, "%c%c%c%c%c%c", d->state == PM_HV_DYING ? 'd' : '-',
		 down && d->state != PM_HV_CRASHED ? 's' : '-', d->blocked ? 'b' : '-',
		 d->state == PM_HV_CRASHED ? 'c' : '-', d->state == PM_HV_PAUSED ? 'p' : '-', d->running ? 'r' : '-');
}

static int run(const struct pxl_args *a)
{
	struct sample *prev = NULL;
	size_t nprev = 0;
	double delay = a->opt[OPT_DELAY] ? atof(a->opt[OPT_DELAY]) : 3, last = now_s();
	long iterations = a->opt[OPT_ITERATIONS] ? atol(a->opt[OPT_ITERATIONS]) : -1;
	bool batch = a->opt[OPT_BATCH] || !isatty(1);
	uint64_t total_kib = 1;
	struct pm_hv *hv;
	int rc;

	if (delay <= 0 || (a->opt[OPT_ITERATIONS] && iterations <= 0)) {
		fprintf(stderr, "%s: %s: not a positive number\n", a->prog,
			delay <= 0 ? a->opt[OPT_DELAY] : a->opt[OPT_ITERATIONS]);
		return PXL_FAIL;
	}
	rc = pxl_hv_open(a, &hv);
	if (rc)
		return rc;
	{
		uint64_t total, free_pages;

		if (!pm_hv_info(hv, &total, &free_pages) && total)
			total_kib = total * 4;
	}
	for (long it = 0; iterations < 0 || it < iterations; it++) {
		struct pm_hv_dominfo *v = NULL;
		struct sample *cur;
		double t = now_s(), dt = t - last;
		long n = pm_hv_domain_list(hv, &v);

		if (n < 0) {
			fprintf(stderr, "%s: %s\n", a->prog, strerror((int)-n));
			rc = PXL_FAIL;
			break;
		}
		cur = calloc((size_t)n ? (size_t)n : 1, sizeof(*cur));
		if (!cur) {
			free(v);
			rc = PXL_FAIL;
			break;
		}
		if (!batch)
			fputs("\033[H\033[2J", stdout);
		printf("%10s %6s %10s %6s %10s %6s %10s %9s %5s\n", "NAME", "STATE", "CPU(sec)", "CPU(%)", "MEM(k)",
		       "MEM(%)", "MAXMEM(k)", "MAXMEM(%)", "VCPUS");
		for (long i = 0; i < n; i++) {
			uint64_t was = v[i].cpu_time;
			char st[7];

			for (size_t j = 0; j < nprev; j++)
				if (prev[j].domid == v[i].domid)
					was = prev[j].cpu_time;
			cur[i].domid = v[i].domid;
			cur[i].cpu_time = v[i].cpu_time;
			state(&v[i], st);
			printf("%10.10s %6s %10llu %6.1f %10llu %6.1f %10llu %9.1f %5u\n", v[i].name, st,
			       (unsigned long long)(v[i].cpu_time / 1000000000u),
			       prev && dt > 0 ? (double)(v[i].cpu_time - was) / 1e9 / dt * 100 : 0.0,
			       (unsigned long long)(v[i].tot_pages * 4), 100.0 * (double)(v[i].tot_pages * 4) / (double)total_kib,
			       (unsigned long long)(v[i].max_pages * 4),
			       100.0 * (double)(v[i].max_pages * 4) / (double)total_kib, v[i].vcpus_online);
		}
		fflush(stdout);
		free(v);
		free(prev);
		prev = cur;
		nprev = (size_t)n;
		last = t;
		if (iterations < 0 || it + 1 < iterations)
			usleep((useconds_t)(delay * 1e6));
	}
	free(prev);
	pm_hv_close(hv);
	return rc;
}

static const struct pxl_cmd top_cmd = {
	.name = "top", .summary = "each domain's CPU, memory and vCPUs, refreshed (as xentop)",
	.opts = opts, .nr_opts = 3, .min_args = 0, .max_args = 0, .run = run,
};

static const struct pxl_cmd *const cmds[] = { &top_cmd, NULL };
const struct pxl_plugin pxl_plugin = { PXL_ABI_VERSION, cmds };
