/*
 * xl-plugins/vcpu.c - a domain's vCPUs: pxl vcpu-list, vcpu-pin, vcpu-set,
 * as xl(1) has them
 *
 * vcpu-list prints xl's table (host CPU, state, time, hard / soft affinity
 * as xl prints CPU sets: "all", "0-3,6", "none"); vcpu-pin sets affinities
 * ("-" leaves one alone; on the simulator the vCPU's thread is pinned to
 * those host CPUs); vcpu-set brings vCPUs online or offline through the
 * guest's cpu/N/availability nodes, as libxl does for PV and PVH guests.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <stdint.h>

#include "physmap/domain.h"
#include "pxl-util.h"

#define MAX_CPUS (64 * PM_HV_CPUMAP_WORDS)

static bool bit(const uint64_t *w, unsigned int c)
{
	return c < MAX_CPUS && (w[c / 64] >> (c % 64)) & 1;
}

/* a CPU set as xl prints it (xl_utils.c's print_bitmap): ranges, "all", "none" */
static void print_set(const uint64_t *w, unsigned int nr_cpus)
{
	unsigned int c = 0, printed = 0;

	while (c < nr_cpus) {
		unsigned int from;

		for (; c < nr_cpus && !bit(w, c); c++)
			;
		if (c == nr_cpus)
			break;
		from = c;
		for (; c < nr_cpus && bit(w, c); c++)
			;
		if (!printed && !from && c == nr_cpus) {
			fputs("all", stdout);
			return;
		}
		printf("%s%u", printed++ ? "," : "", from);
		if (c - 1 > from)
			printf("-%u", c - 1);
	}
	if (!printed)
		fputs("none", stdout);
}

/* "all", "3", "0-3,6", "^2" (all but), as xl's parse_cpurange; false if not one */
static bool parse_set(const char *s, uint64_t *w, unsigned int nr_cpus)
{
	char *copy = strdup(s), *tok, *save = NULL;
	bool ok = copy && *s;

	memset(w, 0, PM_HV_CPUMAP_WORDS * sizeof(*w));
	for (tok = copy ? strtok_r(copy, ",", &save) : NULL; ok && tok; tok = strtok_r(NULL, ",", &save)) {
		bool not = *tok == '^';
		unsigned long a, b;
		char *end;

		tok += not;
		if (!strcmp(tok, "all")) {
			a = 0;
			b = nr_cpus - 1;
		} else {
			a = strtoul(tok, &end, 10);
			b = a;
			if (end == tok || (*end == '-' && (b = strtoul(end + 1, &end, 10), false)) || *end)
				ok = false;
			if (ok && (*end || b < a || b >= MAX_CPUS))
				ok = false;
		}
		for (unsigned long c = a; ok && c <= b; c++)
			if (not)
				w[c / 64] &= ~(1ull << (c % 64));
			else
				w[c / 64] |= 1ull << (c % 64);
	}
	free(copy);
	return ok;
}

static unsigned int host_cpus(struct pm_hv *hv)
{
	struct pm_hv_host h;

	return pm_hv_host_info(hv, &h) || !h.nr_cpus ? 1 : h.nr_cpus;
}

static void list_domain(struct pm_hv *hv, const struct pm_hv_dominfo *d, void *arg)
{
	unsigned int nr_cpus = *(const unsigned int *)arg;
	struct pm_hv_vcpuinfo *v = NULL;
	long n = pm_hv_vcpu_list(hv, d->domid, &v);

	for (long i = 0; i < n; i++) {
		printf("%-32s %5u %5u", d->name, d->domid, v[i].vcpu);
		if (!v[i].online)
			printf("%5c %3c%cp ", '-', '-', '-');
		else
			printf("%5u %3c%c- ", v[i].cpu, v[i].running ? 'r' : '-', v[i].blocked ? 'b' : '-');
		printf("%9.1f  ", (float)v[i].time / 1e9);
		print_set(v[i].hard, nr_cpus);
		fputs(" / ", stdout);
		print_set(v[i].soft, nr_cpus);
		putchar('\n');
	}
	free(v);
}

static int list_run(const struct pxl_args *a)
{
	struct pm_hv_dominfo *all;
	struct pm_hv *hv;
	unsigned int nr_cpus;
	long n = pxl_list(a, &hv, &all);
	int rc;

	if (n < 0)
		return PXL_FAIL;
	/* every name first: an unknown one is an error before anything is printed */
	rc = pxl_check_named(a, hv, 0);
	nr_cpus = host_cpus(hv);
	if (!rc) {
		printf("%-32s %5s %5s %5s %5s %9s %s\n", "Name", "ID", "VCPU", "CPU", "State", "Time(s)",
		       "Affinity (Hard / Soft)");
		pxl_each_named(a, hv, 0, all, n, list_domain, &nr_cpus);
	}
	free(all);
	pm_hv_close(hv);
	return rc;
}

static int pin_run(const struct pxl_args *a)
{
	uint64_t hard[PM_HV_CPUMAP_WORDS], soft[PM_HV_CPUMAP_WORDS];
	const char *hs = a->argv[2], *ss = a->argc > 3 ? a->argv[3] : "-";
	struct pm_hv_vcpuinfo *v = NULL;
	struct pm_hv *hv;
	unsigned int nr_cpus;
	uint32_t domid;
	long n, first, last;
	char *end;
	int rc = pxl_open_domain(a, &hv, &domid);

	if (rc)
		return rc;
	nr_cpus = host_cpus(hv);
	n = pm_hv_vcpu_list(hv, domid, &v);
	free(v);
	first = strtol(a->argv[1], &end, 10);
	last = first;
	if (!strcmp(a->argv[1], "all")) {
		first = 0;
		last = n - 1;
	} else if (end == a->argv[1] || *end || first < 0 || first >= n) {
		fprintf(stderr, "%s: %s: not a vCPU of %s (0-%ld, or all)\n", a->prog, a->argv[1], a->argv[0],
			n - 1);
		rc = PXL_FAIL;
	}
	if (!rc && ((strcmp(hs, "-") && !parse_set(hs, hard, nr_cpus)) ||
		    (strcmp(ss, "-") && !parse_set(ss, soft, nr_cpus)))) {
		fprintf(stderr, "%s: %s: not a CPU set (all, 3, 0-3,6, ^2)\n", a->prog,
			strcmp(hs, "-") && !parse_set(hs, hard, nr_cpus) ? hs : ss);
		rc = PXL_FAIL;
	}
	for (long i = first; !rc && i <= last; i++) {
		int r = pm_hv_vcpu_pin(hv, domid, (unsigned int)i, strcmp(hs, "-") ? hard : NULL,
				       strcmp(ss, "-") ? soft : NULL);

		if (r) {
			fprintf(stderr, "%s: %s: vCPU %ld: %s\n", a->prog, a->argv[0], i,
				r == -EINVAL ? "no CPU of the host in that set" : strerror(-r));
			rc = PXL_FAIL;
		}
	}
	pm_hv_close(hv);
	return rc;
}

enum { SET_IGNORE_HOST };

static const struct pm_opt set_opts[] = {
	[SET_IGNORE_HOST] = { "ignore-host", no_argument, 'i', NULL, "more vCPUs than the host has CPUs, too" },
};

static int set_run(const struct pxl_args *a)
{
	struct pm_hv_dominfo info;
	struct pm_hv *hv;
	uint32_t domid;
	char *end;
	unsigned long n = strtoul(a->argv[1], &end, 10);
	int rc;

	if (end == a->argv[1] || *end || a->argv[1][0] == '-' || !n) {
		fprintf(stderr, "%s: %s: not a number of vCPUs (1 or more)\n", a->prog, a->argv[1]);
		return PXL_FAIL;
	}
	rc = pxl_open_domain(a, &hv, &domid);
	if (rc)
		return rc;
	rc = pm_hv_domain_getinfo(hv, domid, &info) ? PXL_FAIL : PXL_OK;
	if (!rc && !a->opt[SET_IGNORE_HOST] && n > info.vcpus_online && n > host_cpus(hv)) {
		fprintf(stderr, "%s: %s: %lu vCPUs on %u host CPUs would overcommit; --ignore-host does it\n",
			a->prog, a->argv[0], n, host_cpus(hv));
		rc = PXL_FAIL;
	}
	if (!rc) {
		int r = pm_domain_vcpu_set(hv, domid, (unsigned int)n);

		if (r == -EINVAL)
			fprintf(stderr, "%s: %s: %lu vCPUs: it has %u (maxvcpus)\n", a->prog, a->argv[0], n, info.vcpus);
		else if (r == -EPERM)
			fprintf(stderr, "%s: %s: dom0 is not pxl's to change\n", a->prog, a->argv[0]);
		else if (r)
			fprintf(stderr, "%s: %s: %s\n", a->prog, a->argv[0], strerror(-r));
		rc = r ? PXL_FAIL : PXL_OK;
	}
	pm_hv_close(hv);
	return rc;
}

static const struct pxl_cmd list_cmd = {
	.name = "vcpu-list", .summary = "each domain's vCPUs: host CPU, state, time, affinity",
	.synopsis = "[DOMAIN...]", .min_args = 0, .max_args = -1, .run = list_run,
};
static const struct pxl_cmd pin_cmd = {
	.name = "vcpu-pin", .summary = "the host CPUs a vCPU may run on (and prefers): all, 3, 0-3,6, ^2, - (as it is)",
	.synopsis = "DOMAIN VCPU|all HARD [SOFT]", .min_args = 3, .max_args = 4, .run = pin_run,
};
static const struct pxl_cmd set_cmd = {
	.name = "vcpu-set", .summary = "how many of its vCPUs a domain has online (cpu/N/availability)",
	.synopsis = "DOMAIN N", .opts = set_opts, .nr_opts = 1, .min_args = 2, .max_args = 2, .run = set_run,
};

static const struct pxl_cmd *const cmds[] = { &list_cmd, &pin_cmd, &set_cmd, NULL };
const struct pxl_plugin pxl_plugin = { PXL_ABI_VERSION, cmds };
