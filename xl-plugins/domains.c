/*
 * xl-plugins/domains.c - the domains a backend holds: pxl list, info,
 * destroy, pause, unpause
 */
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "physmap/domain.h"
#include "pxl-util.h"

static const char *state_letters(enum pm_hv_state s)
{
	/* xl's State column: r b p s c d */
	switch (s) {
	case PM_HV_RUNNING: return "r-----";
	case PM_HV_PAUSED: return "--p---";
	case PM_HV_SHUTDOWN: return "---s--";
	case PM_HV_CRASHED: return "----c-";
	case PM_HV_DYING: return "-----d";
	}
	return "------";
}

static const char *state_name(enum pm_hv_state s)
{
	static const char *const names[] = { "running", "paused", "shutdown", "crashed", "dying" };

	return (unsigned int)s < 5 ? names[s] : "unknown";
}

enum { OPT_LONG };

static const struct pm_opt list_opts[] = {
	[OPT_LONG] = { "long", no_argument, 'l', NULL, "every field, as JSON" },
};

/* the name of a SHUTDOWN_* reason (<xen/sched.h>) */
static const char *reason_name(unsigned int r)
{
	static const char *const names[] = { "poweroff", "reboot", "suspend", "crash", "watchdog",
					     "soft_reset" };

	return r < sizeof(names) / sizeof(names[0]) ? names[r] : "unknown";
}

/* a JSON string of our own text: quotes and backslashes escaped */
static void json_str(const char *s)
{
	putchar('"');
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			putchar('\\');
		if ((unsigned char)*s >= 0x20)
			putchar(*s);
	}
	putchar('"');
}

static int list_run(const struct pxl_args *a)
{
	struct pm_hv_dominfo *v = NULL;
	struct pm_hv *hv;
	long n;
	int rc = pxl_hv_open(a, &hv);

	if (rc)
		return rc;
	n = pm_hv_domain_list(hv, &v);
	if (n < 0) {
		fprintf(stderr, "%s: %s\n", a->prog, strerror((int)-n));
		pm_hv_close(hv);
		return PXL_FAIL;
	}
	if (a->opt[OPT_LONG]) {
		printf("[\n");
		for (long i = 0; i < n; i++) {
			bool down = v[i].state == PM_HV_SHUTDOWN || v[i].state == PM_HV_CRASHED;

			printf("    {\"domid\": %u, \"name\": \"%s\", \"state\": \"%s\", \"vcpus\": %u, "
			       "\"max_pages\": %" PRIu64 ", \"tot_pages\": %" PRIu64 ", \"max_pfn\": %" PRIu64,
			       v[i].domid, v[i].name, state_name(v[i].state), v[i].vcpus,
			       v[i].max_pages, v[i].tot_pages, v[i].max_pfn);
			if (v[i].domid)
				printf(", \"io\": {\"ioreqs\": %" PRIu64 ", \"buffered\": %" PRIu64
				       ", \"notified\": %" PRIu64 ", \"execs\": %" PRIu64 "}",
				       v[i].ioreqs, v[i].buffered, v[i].notified, v[i].execs);
			if (down) {
				printf(", \"shutdown_reason\": \"%s\", \"why\": ", reason_name(v[i].shutdown_reason));
				json_str(v[i].why);
			}
			printf("}%s\n", i + 1 < n ? "," : "");
		}
		printf("]\n");
	} else {
		printf("%-32s %5s %7s %5s %-6s %9s\n", "Name", "ID", "Mem", "VCPUs", "State", "Time(s)");
		for (long i = 0; i < n; i++)
			printf("%-32s %5u %7" PRIu64 " %5u %-6s %9.1f\n", v[i].name, v[i].domid,
			       v[i].tot_pages * 4096 >> 20, v[i].vcpus, state_letters(v[i].state), 0.0);
		/* below the table, why each crashed domain stopped */
		for (long i = 0; i < n; i++)
			if (v[i].state == PM_HV_CRASHED && v[i].why[0])
				printf("%s (%u) crashed: %s\n", v[i].name, v[i].domid, v[i].why);
	}
	free(v);
	pm_hv_close(hv);
	return PXL_OK;
}

static int info_run(const struct pxl_args *a)
{
	uint64_t total, free_pages;
	struct pm_hv *hv;
	int rc = pxl_hv_open(a, &hv);

	if (rc)
		return rc;
	rc = pm_hv_info(hv, &total, &free_pages);
	if (rc) {
		fprintf(stderr, "%s: %s\n", a->prog, strerror(-rc));
	} else {
		printf("backend                : %s\n", pm_hv_backend(hv));
		printf("rundir                 : %s\n", pm_hv_rundir(hv));
		printf("total_memory           : %" PRIu64 "\n", total * 4096 >> 20);
		printf("free_memory            : %" PRIu64 "\n", free_pages * 4096 >> 20);
	}
	pm_hv_close(hv);
	return rc ? PXL_FAIL : PXL_OK;
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
	.name = "list", .summary = "the domains, as xl lists them (-l: JSON)",
	.opts = list_opts, .nr_opts = 1, .min_args = 0, .max_args = 0, .run = list_run,
};
static const struct pxl_cmd info = {
	.name = "info", .summary = "the backend and the host's memory",
	.min_args = 0, .max_args = 0, .run = info_run,
};
static const struct pxl_cmd destroy = DOMAIN_CMD("destroy",
	"destroy a domain (by name or id): its memory back to the host, its store entries gone",
	destroy_run);
static const struct pxl_cmd pause_cmd = DOMAIN_CMD("pause", "pause a domain", pause_run);
static const struct pxl_cmd unpause = DOMAIN_CMD("unpause", "unpause a domain", unpause_run);

static const struct pxl_cmd *const cmds[] = { &list, &info, &destroy, &pause_cmd, &unpause, NULL };
const struct pxl_plugin pxl_plugin = { PXL_ABI_VERSION, cmds };
