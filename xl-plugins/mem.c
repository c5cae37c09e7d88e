/*
 * xl-plugins/mem.c - pxl mem-max and mem-set: a domain's memory limit and
 * its balloon target, as xl sets them (sizes in MiB without a suffix)
 *
 * mem-set writes memory/target and returns, as xl's does. With
 * -w[=SECONDS] a guest that advertises a balloon driver
 * (control/feature-balloon = 1) is waited for, with a progress line on a
 * terminal, until it holds the target or the time (30 s unless given)
 * says it is not cooperating. Never hangs.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <xenstore.h>

#include "physmap/domain.h"
#include "physmap/size.h"
#include "pxl-util.h"


/* SIZE as xl reads it: MiB without a suffix */
static int size_arg(const struct pxl_args *a, const char *s, uint64_t *bytes)
{
	if (pm_size_parse(s, PM_SIZE_M, bytes) || !*bytes || (*bytes & 4095)) {
		fprintf(stderr, "%s: %s: not a size (MiB, or 512m, 2g, ...)\n", a->prog, s);
		return PXL_FAIL;   /* xl: "invalid memory size", exit 1 */
	}
	return PXL_OK;
}

static int store_kib(struct xs_handle *h, uint32_t domid, const char *key, uint64_t *kib)
{
	char path[96], *v;
	unsigned int len;

	snprintf(path, sizeof(path), "/local/domain/%u/%s", domid, key);
	v = xs_read(h, XBT_NULL, path, &len);
	if (!v)
		return -errno;
	*kib = strtoull(v, NULL, 10);
	free(v);
	return 0;
}

static bool store_put_kib(struct xs_handle *h, uint32_t domid, const char *key, uint64_t kib)
{
	char path[96], v[32];

	snprintf(path, sizeof(path), "/local/domain/%u/%s", domid, key);
	snprintf(v, sizeof(v), "%" PRIu64, kib);
	return xs_write(h, XBT_NULL, path, v, (unsigned int)strlen(v));
}

static int mem_max_run(const struct pxl_args *a)
{
	struct xs_handle *h = NULL;
	uint64_t bytes, target;
	struct pm_hv *hv;
	uint32_t domid;
	int rc = size_arg(a, a->argv[1], &bytes);

	if (rc || (rc = pxl_open_domain(a, &hv, &domid)))
		return rc;
	rc = PXL_FAIL;
	h = xs_open(XS_OPEN_SOCKETONLY);
	if (!h || store_kib(h, domid, "memory/target", &target)) {
		fprintf(stderr, "%s: %s: no memory/target in the store\n", a->prog, a->argv[0]);
		goto out;
	}
	if (bytes >> 10 < target) {
		fprintf(stderr, "%s: %s: %" PRIu64 " MiB is below its target (%" PRIu64 " MiB): "
			"mem-set it lower first\n", a->prog, a->argv[0], bytes >> 20, target >> 10);
		goto out;
	}
	if (pm_hv_set_maxmem(hv, domid, bytes / 4096 + PM_DOMAIN_EXTRA_PAGES) ||
	    !store_put_kib(h, domid, "memory/static-max", bytes >> 10)) {
		fprintf(stderr, "%s: %s: %s\n", a->prog, a->argv[0], strerror(errno ? errno : EIO));
		goto out;
	}
	rc = PXL_OK;
out:
	xs_close(h);
	pm_hv_close(hv);
	return rc;
}

enum { OPT_WAIT, OPT_NO_WAIT };

static const struct pm_opt set_opts[] = {
	[OPT_WAIT] = { "wait", optional_argument, 'w', "SECONDS",
		       "wait until its balloon driver holds the target (SECONDS at most, default 30)" },
	[OPT_NO_WAIT] = { "no-wait", no_argument, 'n', NULL, "return once the target is set (the default, as xl)" },
};

/*
 * waits for tot_pages to reach the target; false on timeout. The target is
 * the guest's RAM, give or take: its special pages (rings) come on top, and
 * a board may keep some of the configured memory out of RAM (pc: the
 * 384 KiB legacy hole), so within PM_DOMAIN_EXTRA_PAGES plus 1 MiB of the
 * target counts as there (libxl allows slack too).
 */
#define SLACK_PAGES (PM_DOMAIN_EXTRA_PAGES + 256)

static const char *state_name(enum pm_hv_state st)
{
	switch (st) {
	case PM_HV_RUNNING:
		return "running";
	case PM_HV_PAUSED:
		return "paused";
	case PM_HV_SHUTDOWN:
		return "shut down";
	case PM_HV_CRASHED:
		return "crashed";
	default:
		return "dying";
	}
}

static bool wait_balloon(const struct pxl_args *a, struct pm_hv *hv, uint32_t domid,
			 uint64_t target_pages, double timeout)
{
	struct timespec t0, t;
	bool tty = isatty(2);

	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (;;) {
		struct pm_hv_dominfo info;
		double waited;

		if (pm_hv_domain_getinfo(hv, domid, &info)) {
			fprintf(stderr, "%s%s: %s: gone while its balloon driver worked\n", tty ? "\n" : "", a->prog,
				a->argv[0]);
			return false;
		}
		if (info.tot_pages + SLACK_PAGES >= target_pages && info.tot_pages <= target_pages + SLACK_PAGES)
			break;
		if (info.state != PM_HV_RUNNING) {
			/* nothing runs its balloon driver now: said at once, never blamed on the driver */
			fprintf(stderr, "%s%s: %s: %s%s%s while its balloon driver worked: %" PRIu64 " MiB, target %"
				PRIu64 " MiB\n", tty ? "\n" : "", a->prog, a->argv[0], state_name(info.state),
				info.why[0] ? ": " : "", info.why, info.tot_pages >> 8, target_pages >> 8);
			return false;
		}
		clock_gettime(CLOCK_MONOTONIC, &t);
		waited = (double)(t.tv_sec - t0.tv_sec) + (t.tv_nsec - t0.tv_nsec) / 1e9;
		if (tty)
			fprintf(stderr, "\r%s: %s has %" PRIu64 " MiB, target %" PRIu64 " MiB (%.0f s)  ",
				a->prog, a->argv[0], info.tot_pages >> 8, target_pages >> 8, waited);
		if (waited >= timeout) {
			if (tty)
				fputc('\n', stderr);
			fprintf(stderr, "%s: %s: its balloon driver is not cooperating: %" PRIu64
				" MiB after %.0f s, target %" PRIu64 " MiB\n", a->prog, a->argv[0],
				info.tot_pages >> 8, timeout, target_pages >> 8);
			return false;
		}
		usleep(20 * 1000);
	}
	if (tty)
		fputc('\n', stderr);
	return true;
}

/* -w's SECONDS (-w5, -w=5, --wait=5; none: 30). returns: 0; -1 with one line said */
static int wait_seconds(const struct pxl_args *a, double *timeout)
{
	const char *v = a->opt[OPT_WAIT];
	char *end;

	*timeout = 30;
	if (!v || !*v)
		return 0;
	v += *v == '=';
	*timeout = strtod(v, &end);
	if (end == v || *end || !(*timeout > 0) || *timeout > 86400) {
		fprintf(stderr, "%s: --wait=%s: expected a number of seconds (0 to 86400)\n", a->prog, v);
		return -1;
	}
	return 0;
}

static int mem_set_run(const struct pxl_args *a)
{
	double timeout;
	struct xs_handle *h = NULL;
	uint64_t bytes, max;
	struct pm_hv *hv;
	uint32_t domid;
	char path[96], *v;
	unsigned int len;
	bool balloon;
	struct pm_hv_dominfo info = { .state = PM_HV_RUNNING };
	int rc = size_arg(a, a->argv[1], &bytes);

	if (!rc && wait_seconds(a, &timeout))
		rc = PXL_FAIL;
	if (rc || (rc = pxl_open_domain(a, &hv, &domid)))
		return rc;
	rc = PXL_FAIL;
	if (pm_hv_domain_getinfo(hv, domid, &info) == 0 &&
	    (info.state == PM_HV_SHUTDOWN || info.state == PM_HV_CRASHED || info.state == PM_HV_DYING)) {
		/* no balloon driver will run again: refused before the target changes */
		fprintf(stderr, "%s: %s: %s%s%s: its memory can no longer be changed\n", a->prog, a->argv[0],
			state_name(info.state), info.why[0] ? ": " : "", info.why);
		pm_hv_close(hv);
		return PXL_FAIL;
	}
	h = xs_open(XS_OPEN_SOCKETONLY);
	if (!h || store_kib(h, domid, "memory/static-max", &max)) {
		fprintf(stderr, "%s: %s: no memory/static-max in the store\n", a->prog, a->argv[0]);
		goto out;
	}
	if (bytes >> 10 > max) {
		fprintf(stderr, "%s: %s: %" PRIu64 " MiB is above its maximum (%" PRIu64 " MiB): "
			"mem-max it higher first\n", a->prog, a->argv[0], bytes >> 20, max >> 10);
		goto out;
	}
	if (!store_put_kib(h, domid, "memory/target", bytes >> 10)) {
		fprintf(stderr, "%s: %s: writing memory/target: %s\n", a->prog, a->argv[0], strerror(errno));
		goto out;
	}
	pxl_stage("mem-set: target written");
	snprintf(path, sizeof(path), "/local/domain/%u/control/feature-balloon", domid);
	v = xs_read(h, XBT_NULL, path, &len);
	balloon = v && !strcmp(v, "1");
	free(v);
	rc = PXL_OK;
	if (!a->opt[OPT_WAIT] || a->opt[OPT_NO_WAIT])
		goto out;   /* as xl: the target is the guest's to reach */
	if (!balloon) {
		printf("%s: target set; no balloon driver announced (control/feature-balloon), not waiting\n", a->argv[0]);
		goto out;
	}
	if (info.state == PM_HV_PAUSED) {
		printf("%s: target set; paused, its balloon driver reaches it once unpaused: not waiting\n", a->argv[0]);
		goto out;
	}
	if (!wait_balloon(a, hv, domid, bytes / 4096, timeout))
		rc = PXL_FAIL;
out:
	xs_close(h);
	pm_hv_close(hv);
	return rc;
}

static const struct pxl_cmd mem_max = {
	.name = "mem-max", .summary = "the most memory a domain may have (SIZE in MiB, or 512m, 2g)",
	.synopsis = "DOMAIN SIZE", .min_args = 2, .max_args = 2, .run = mem_max_run,
};

static const struct pxl_cmd mem_set = {
	.name = "mem-set", .summary = "a domain's balloon target (SIZE in MiB, or 512m, 2g)",
	.synopsis = "DOMAIN SIZE", .opts = set_opts, .nr_opts = 2, .min_args = 2, .max_args = 2,
	.run = mem_set_run,
};

static const struct pxl_cmd *const cmds[] = { &mem_max, &mem_set, NULL };
const struct pxl_plugin pxl_plugin = { PXL_ABI_VERSION, cmds };
