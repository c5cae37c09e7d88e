/*
 * xl-plugins/domains.c - the domains a backend holds: pxl list, claims,
 * sharing, info, destroy, pause, unpause
 */
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <stdarg.h>
#include <sys/utsname.h>

#include "physmap/domain.h"
#include "pxl-json.h"
#include "pxl-util.h"

/* xl's State column: running, blocked, paused, shut down, the shutdown
 * reason's letter (- poweroff, r reboot, s suspend, c crash, w watchdog,
 * S soft reset), dying */
static void state_letters(const struct pm_hv_dominfo *d, char out[7])
{
	static const char reasons[] = "-rscwS";
	bool down = d->state == PM_HV_SHUTDOWN || d->state == PM_HV_CRASHED;
	unsigned int r = down ? d->shutdown_reason : 0;

	out[0] = d->running ? 'r' : '-';
	out[1] = d->blocked ? 'b' : '-';
	out[2] = d->state == PM_HV_PAUSED ? 'p' : '-';
	out[3] = down ? 's' : '-';
	out[4] = r < sizeof(reasons) - 1 ? reasons[r] : '?';
	out[5] = d->state == PM_HV_DYING ? 'd' : '-';
	out[6] = 0;
}

static const char *state_name(enum pm_hv_state s)
{
	static const char *const names[] = { "running", "paused", "shutdown", "crashed", "dying" };

	return (unsigned int)s < 5 ? names[s] : "unknown";
}

enum { OPT_LONG, OPT_VERBOSE, OPT_CONTEXT, OPT_CPUPOOL, OPT_NUMA, OPT_JSON };

static const struct pm_opt list_opts[] = {
	[OPT_LONG] = { "long", no_argument, 'l', NULL, "each domain's configuration as libxl's JSON (as xl list -l)" },
	[OPT_VERBOSE] = { "verbose", no_argument, 'v', NULL, "the UUID, the shutdown reason and the security label too" },
	[OPT_CONTEXT] = { "context", no_argument, 'Z', NULL, "the security label too" },
	[OPT_CPUPOOL] = { "cpupool", no_argument, 'c', NULL, "the CPU pool too" },
	[OPT_NUMA] = { "numa", no_argument, 'n', NULL, "the NUMA node affinity too" },
	[OPT_JSON] = { "json", no_argument, 'j', NULL,
		       "physmap's own JSON: state, pages, shutdown reason, the device model's I/O counts" },
};

enum { INFO_BACKEND, INFO_NUMA };

static const struct pm_opt info_opts[] = {
	[INFO_BACKEND] = { "backend", no_argument, 'b', NULL,
			   "physmap's backend and run directory too (physmap_backend, physmap_rundir)" },
	[INFO_NUMA] = { "numa", no_argument, 'n', NULL,
			"the host's CPU, device and NUMA topology too (as xl info -n)" },
};

/* xl info -n's sections: each CPU's place, each PCI device's node, each node's memory */
static void topology(struct pm_hv *hv)
{
	struct pm_hv_cputopo *c;
	struct pm_hv_pcitopo *p;
	struct pm_hv_numa *m;
	long n = pm_hv_cpu_topology(hv, &c);
	int valid = 0;

	if (n < 0) {
		fprintf(stderr, "the CPU topology: %s\n", strerror((int)-n));
		return;
	}
	printf("cpu_topology           :\n");
	printf("cpu:    core    socket     node\n");
	for (long i = 0; i < n; i++)
		if (c[i].valid)
			printf("%3ld:    %4u     %4u     %4u\n", i, c[i].core, c[i].socket, c[i].node);
	free(c);
	n = pm_hv_pci_topology(hv, &p);
	if (n < 0) {
		fprintf(stderr, "the device topology: %s\n", strerror((int)-n));
		return;
	}
	printf("device topology        :\n");
	printf("device           node\n");
	for (long i = 0; i < n; i++)
		if (p[i].valid) {
			printf("%04x:%02x:%02x.%01x      %u\n", p[i].seg, p[i].bus, (p[i].devfn >> 3) & 0x1f, p[i].devfn & 7,
			       p[i].node);
			valid++;
		}
	if (!valid)
		printf("No device topology data available\n");
	free(p);
	n = pm_hv_numa_info(hv, &m);
	if (n < 0) {
		fprintf(stderr, "the NUMA nodes: %s\n", strerror((int)-n));
		return;
	}
	printf("numa_info              :\n");
	printf("node:    memsize    memfree    distances\n");
	for (long i = 0; i < n; i++) {
		if (!m[i].valid)
			continue;
		printf("%4ld:    %6" PRIu64 "     %6" PRIu64 "      %u", i, m[i].size >> 20, m[i].free >> 20,
		       m[i].nr_dists ? m[i].dists[0] : 0);
		for (unsigned int j = 1; j < m[i].nr_dists; j++)
			printf(",%u", m[i].dists[j]);
		printf("\n");
	}
	free(m);
}

/* the name of a SHUTDOWN_* reason (<xen/sched.h>) */
static const char *reason_name(unsigned int r)
{
	static const char *const names[] = { "poweroff", "reboot", "suspend", "crash", "watchdog",
					     "soft_reset" };

	return r < sizeof(names) / sizeof(names[0]) ? names[r] : "unknown";
}

/* xl's table, byte for byte (xl_info.c's list_domains) */
static void table(const struct pm_hv_dominfo *v, long n, bool verbose, bool context, bool claim, bool cpupool, bool numa)
{
	printf("Name                                        ID   Mem VCPUs\tState\tTime(s)");
	if (verbose)
		printf("   UUID                            Reason-Code\tSecurity Label");
	if (context && !verbose)
		printf("   Security Label");
	if (claim)
		printf("  Claimed");
	if (cpupool)
		printf("         Cpupool");
	if (numa)
		printf(" NODE Affinity");
	printf("\n");
	for (long i = 0; i < n; i++) {
		bool down = v[i].state == PM_HV_SHUTDOWN || v[i].state == PM_HV_CRASHED;
		char flags[7], uuid[40];

		state_letters(&v[i], flags);
		printf("%-40s %5u %5lu %5u     %s  %8.1f", v[i].name, v[i].domid,
		       (unsigned long)((v[i].tot_pages + v[i].outstanding_pages) * 4 / 1024), v[i].vcpus_online, flags,
		       (float)v[i].cpu_time / 1e9);
		if (verbose) {
			pm_domain_uuid(&v[i], uuid);
			printf(" %s", uuid);
			if (down)
				printf(" %8x", v[i].shutdown_reason);
			else
				printf(" %8s", "-");
		}
		if (claim)
			printf(" %5lu", (unsigned long)(v[i].outstanding_pages * 4 / 1024));
		if (verbose || context)
			printf(" %16s", "-");
		if (cpupool)
			printf("%16s", "Pool-0");
		if (numa)
			printf(" all");
		putchar('\n');
	}
}

static int list_run(const struct pxl_args *a)
{
	struct pm_hv_dominfo *v;
	struct pm_hv *hv;
	long n = pxl_list(a, &hv, &v);

	if (n < 0)
		return PXL_FAIL;
	if (a->argc) {
		/* one domain, by id or name */
		uint32_t domid;
		long keep = -1;

		if (!pxl_domain(a, hv, a->argv[0], &domid))
			for (long i = 0; i < n; i++)
				if (v[i].domid == domid)
					keep = i;
		if (keep < 0) {
			free(v);
			pm_hv_close(hv);
			return PXL_FAIL;
		}
		v[0] = v[keep];
		n = 1;
	}
	if (a->opt[OPT_LONG]) {
		char *json = NULL;
		long len = pm_domains_libxl_json(hv, v, (size_t)n, &json);

		if (len < 0)
			fprintf(stderr, "%s: %s\n", a->prog, strerror((int)-len));
		else
			puts(json);   /* as xl: the generator's text, and a newline */
		free(json);
		free(v);
		pm_hv_close(hv);
		return len < 0 ? PXL_FAIL : PXL_OK;
	}
	if (a->opt[OPT_JSON]) {
		int rc = 0;

		printf("[\n");
		for (long i = 0; i < n && !rc; i++) {
			bool down = v[i].state == PM_HV_SHUTDOWN || v[i].state == PM_HV_CRASHED;
			yajl_gen g = pxl_json_object();

			pxl_json_u64(g, "domid", v[i].domid);
			pxl_json_str(g, "name", v[i].name);
			pxl_json_str(g, "state", state_name(v[i].state));
			pxl_json_u64(g, "vcpus", v[i].vcpus);
			pxl_json_u64(g, "max_pages", v[i].max_pages);
			pxl_json_u64(g, "tot_pages", v[i].tot_pages);
			pxl_json_u64(g, "max_pfn", v[i].max_pfn);
			if (v[i].domid) {
				pxl_json_map(g, "io");
				pxl_json_u64(g, "ioreqs", v[i].ioreqs);
				pxl_json_u64(g, "buffered", v[i].buffered);
				pxl_json_u64(g, "notified", v[i].notified);
				pxl_json_u64(g, "execs", v[i].execs);
				pxl_json_end(g);
			}
			if (down) {
				pxl_json_str(g, "shutdown_reason", reason_name(v[i].shutdown_reason));
				pxl_json_str(g, "why", v[i].why);
			}
			rc = pxl_json_line(g, i + 1 == n);
		}
		printf("]\n");
		if (rc) {
			fprintf(stderr, "%s: %s\n", a->prog, strerror(-rc));
			free(v);
			pm_hv_close(hv);
			return PXL_FAIL;
		}
	} else {
		table(v, n, a->opt[OPT_VERBOSE], a->opt[OPT_CONTEXT], false, a->opt[OPT_CPUPOOL], a->opt[OPT_NUMA]);
		/* why each crashed domain stopped, where xl's table has no room: on stderr */
		for (long i = 0; i < n; i++)
			if (v[i].state == PM_HV_CRASHED && v[i].why[0])
				fprintf(stderr, "%s (%u) crashed: %s\n", v[i].name, v[i].domid, v[i].why);
	}
	free(v);
	pm_hv_close(hv);
	return PXL_OK;
}

/* one "key : value" line of xl info; with a KEY argument, only the values of
 * the keys it begins (xl's maybe_printf) */
static void info_line(const struct pxl_args *a, const char *key, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void info_line(const struct pxl_args *a, const char *key, const char *fmt, ...)
{
	const char *only = a->argc && !a->opt[INFO_NUMA] ? a->argv[0] : NULL;   /* xl: -n ignores KEY */
	va_list ap;

	if (only && strncmp(key, only, strlen(only)))
		return;
	if (!only)
		printf("%-23s: ", key);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
}

static int claims_run(const struct pxl_args *a)
{
	struct pm_hv_dominfo *v;
	struct pm_hv *hv;
	long n = pxl_list(a, &hv, &v);

	if (n < 0)
		return PXL_FAIL;
	/* as xl without claim_mode: physmap never claims (xl.conf is not read) */
	fprintf(stderr, "claim_mode not enabled (see man xl.conf).\n");
	table(v, n, false, false, true, false, false);
	free(v);
	pm_hv_close(hv);
	return PXL_OK;
}

static int sharing_run(const struct pxl_args *a)
{
	struct pm_hv_dominfo *v;
	struct pm_hv *hv;
	long n = pxl_list(a, &hv, &v);
	uint32_t domid = 0;
	int rc = PXL_OK;

	if (n < 0)
		return PXL_FAIL;
	if (a->argc)
		rc = pxl_domain(a, hv, a->argv[0], &domid);
	/* xl_mem.c's sharing(), byte for byte */
	if (!rc)
		printf("Name                                        ID   Mem Shared\n");
	for (long i = 0; !rc && i < n; i++)
		if (!a->argc || v[i].domid == domid)
			printf("%-40s %5u %5lu  %5lu\n", v[i].name, v[i].domid,
			       (unsigned long)((v[i].tot_pages + v[i].outstanding_pages) * 4 / 1024),
			       (unsigned long)(v[i].shared_pages * 4 / 1024));
	free(v);
	pm_hv_close(hv);
	return rc;
}

static int info_run(const struct pxl_args *a)
{
	static const char *const caps[] = { " hvm", " pv", "", " hap", " shadow", " iommu_hap_pt_share",
					    " vmtrace", " vpmu", " gnttab-v1", " gnttab-v2" };
	struct pm_hv_host h;
	struct utsname u;
	char vcaps[256] = "";
	struct pm_hv *hv;
	int rc = pxl_hv_open(a, &hv);

	if (rc)
		return rc;
	rc = pm_hv_host_info(hv, &h);
	if (rc || uname(&u)) {
		fprintf(stderr, "%s: %s\n", a->prog, strerror(rc ? -rc : errno));
		pm_hv_close(hv);
		return PXL_FAIL;
	}
	/* xl's order: pv hvm hvm_directio pv_directio hap shadow ... */
	for (unsigned int i = 0; i < 10; i++) {
		unsigned int bit = i == 0 ? 1 : i == 1 ? 0 : i;

		if (i == 2) {
			if ((h.caps & 1) && (h.caps & 4))
				strcat(vcaps, " hvm_directio");
			if ((h.caps & 2) && (h.caps & 4))
				strcat(vcaps, " pv_directio");
			continue;
		}
		if (h.caps & (1u << bit))
			strcat(vcaps, caps[bit]);
	}
	info_line(a, "host", "%s", u.nodename);
	info_line(a, "release", "%s", u.release);
	info_line(a, "version", "%s", u.version);
	info_line(a, "machine", "%s", u.machine);
	info_line(a, "nr_cpus", "%u", h.nr_cpus);
	info_line(a, "max_cpu_id", "%u", h.max_cpu_id);
	info_line(a, "nr_nodes", "%u", h.nr_nodes);
	info_line(a, "cores_per_socket", "%u", h.cores_per_socket);
	info_line(a, "threads_per_core", "%u", h.threads_per_core);
	info_line(a, "cpu_mhz", "%u.%03u", h.cpu_khz / 1000, h.cpu_khz % 1000);
	info_line(a, "hw_caps", "%08x:%08x:%08x:%08x:%08x:%08x:%08x:%08x", h.hw_cap[0], h.hw_cap[1], h.hw_cap[2],
		  h.hw_cap[3], h.hw_cap[4], h.hw_cap[5], h.hw_cap[6], h.hw_cap[7]);
	/* xl prints this one without the space after the colon */
	if (!a->argc)
		printf("%-23s:%s\n", "virt_caps", vcaps);
	else if (!strncmp("virt_caps", a->argv[0], strlen(a->argv[0])) && vcaps[0])
		printf("%s\n", vcaps + 1);
	info_line(a, "total_memory", "%" PRIu64, h.total_pages / 256);
	info_line(a, "free_memory", "%" PRIu64, (h.free_pages - h.outstanding_pages) / 256);
	info_line(a, "sharing_freed_memory", "%" PRIu64, h.sharing_freed_pages / 256);
	info_line(a, "sharing_used_memory", "%" PRIu64, h.sharing_used_frames / 256);
	info_line(a, "outstanding_claims", "%" PRIu64, h.outstanding_pages / 256);
	info_line(a, "free_cpus", "%u", h.free_cpus);
	if (a->opt[INFO_NUMA])
		topology(hv);
	info_line(a, "xen_major", "%d", h.xen_major);
	info_line(a, "xen_minor", "%d", h.xen_minor);
	info_line(a, "xen_extra", "%s", h.xen_extra);
	info_line(a, "xen_version", "%d.%d%s", h.xen_major, h.xen_minor, h.xen_extra);
	info_line(a, "xen_caps", "%s", h.xen_caps);
	info_line(a, "xen_scheduler", "%s", h.scheduler);
	info_line(a, "xen_pagesize", "%u", h.pagesize);
	info_line(a, "platform_params", "virt_start=0x%" PRIx64, h.virt_start);
	info_line(a, "xen_changeset", "%s", h.changeset);
	info_line(a, "xen_commandline", "%s", h.commandline);
	info_line(a, "cc_compiler", "%s", h.compiler);
	info_line(a, "cc_compile_by", "%s", h.compile_by);
	info_line(a, "cc_compile_domain", "%s", h.compile_domain);
	info_line(a, "cc_compile_date", "%s", h.compile_date);
	info_line(a, "build_id", "%s", h.build_id);
	info_line(a, "xend_config_format", "4");
	/* physmap's own, after xl's (only when asked: xl's lines stay xl's) */
	if (a->opt[INFO_BACKEND]) {
		info_line(a, "physmap_backend", "%s", pm_hv_backend(hv));
		info_line(a, "physmap_rundir", "%s", pm_hv_rundir(hv));
	}
	pm_hv_close(hv);
	return PXL_OK;
}

/* destroy, pause, unpause: one domain, one call */
static int on_domain(const struct pxl_args *a, int (*fn)(struct pm_hv *, uint32_t), const char *done)
{
	struct pm_hv *hv;
	uint32_t domid;
	int rc = pxl_open_domain(a, &hv, &domid);

	if (!rc) {
		int r = fn(hv, domid);

		if (r == -EINVAL)
			fprintf(stderr, "%s: %s: it has shut down, or no vCPU has a context\n", a->prog,
				a->argv[0]);
		else if (r == -EPERM)
			fprintf(stderr, "%s: %s: not dom0\n", a->prog, a->argv[0]);
		else if (r)
			fprintf(stderr, "%s: %s: %s\n", a->prog, a->argv[0], strerror(-r));
		else if (done)
			printf("%s %s\n", done, a->argv[0]);
		rc = r ? PXL_FAIL : PXL_OK;
		pm_hv_close(hv);
	}
	return rc;
}

static int destroy_run(const struct pxl_args *a)
{
	return on_domain(a, pm_domain_destroy, NULL);
}

static int pause_run(const struct pxl_args *a)
{
	return on_domain(a, pm_hv_domain_pause, NULL);
}

static int unpause_run(const struct pxl_args *a)
{
	return on_domain(a, pm_hv_domain_unpause, NULL);
}

#define DOMAIN_CMD(n, s, fn) { .name = n, .summary = s, .synopsis = "DOMAIN", \
			       .min_args = 1, .max_args = 1, .run = fn }

static const struct pxl_cmd list = {
	.name = "list", .summary = "the domains, as xl lists them (-l: libxl's JSON; -j: physmap's)",
	.synopsis = "[DOMAIN]", .opts = list_opts, .nr_opts = 6, .min_args = 0, .max_args = 1, .run = list_run,
};
static const struct pxl_cmd claims = {
	.name = "claims", .summary = "each domain's outstanding memory claim (physmap makes none)",
	.min_args = 0, .max_args = 0, .run = claims_run,
};
static const struct pxl_cmd sharing = {
	.name = "sharing", .summary = "each domain's memory shared with others (Xen's memory sharing)",
	.synopsis = "[DOMAIN]", .min_args = 0, .max_args = 1, .run = sharing_run,
};
static const struct pxl_cmd info = {
	.name = "info", .summary = "the host and its hypervisor, as xl info (KEY: the values of keys it begins)",
	.synopsis = "[KEY]", .opts = info_opts, .nr_opts = 2, .min_args = 0, .max_args = 1, .run = info_run,
};
static const struct pxl_cmd destroy = DOMAIN_CMD("destroy",
	"destroy a domain (by name or id): its memory back to the host, its store entries gone",
	destroy_run);
static const struct pxl_cmd pause_cmd = DOMAIN_CMD("pause", "pause a domain", pause_run);
static const struct pxl_cmd unpause = DOMAIN_CMD("unpause", "unpause a domain", unpause_run);

static const struct pxl_cmd *const cmds[] = { &list, &claims, &sharing, &info, &destroy, &pause_cmd, &unpause, NULL };
const struct pxl_plugin pxl_plugin = { PXL_ABI_VERSION, cmds };
