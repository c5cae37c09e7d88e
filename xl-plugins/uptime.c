/*
 * xl-plugins/uptime.c - pxl uptime, as xl(1) has it: how long each domain
 * has run, from the start time the store keeps (/vm/DOMID/start_time, as
 * libxl writes it) and, for dom0, the host's /proc/uptime
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <stdint.h>

#include <xenstore.h>

#include "physmap/domain.h"
#include "pxl-util.h"

enum { OPT_SHORT };

static const struct pm_opt opts[] = {
	[OPT_SHORT] = { "short", no_argument, 's', NULL, "uptime(1)'s form: the time now, then each domain's" },
};

/* xl's form: "D days, HH:MM:SS" (short: without the seconds) */
static void span(char *out, size_t len, unsigned long up, bool brief)
{
	unsigned long day = up / 86400, hour = up % 86400 / 3600, min = up % 3600 / 60, sec = up % 60;
	int n = 0;

	if (day)
		n = snprintf(out, len, "%lu day%s, ", day, day > 1 ? "s" : "");
	if (brief)
		snprintf(out + n, len - (size_t)n, "%2lu:%02lu", hour, min);
	else
		snprintf(out + n, len - (size_t)n, "%2lu:%02lu:%02lu", hour, min, sec);
}

/* seconds since the domain started; -1 if nobody wrote when */
static long started_ago(struct xs_handle *h, uint32_t domid, time_t now)
{
	char path[64], *v;
	unsigned int len;
	long t;

	if (!domid) {
		FILE *f = fopen("/proc/uptime", "r");
		double up = -1;

		if (f) {
			if (fscanf(f, "%lf", &up) != 1)
				up = -1;
			fclose(f);
		}
		return (long)up;
	}
	snprintf(path, sizeof(path), "/vm/%u/start_time", domid);
	v = h ? xs_read(h, XBT_NULL, path, &len) : NULL;
	if (!v)
		return -1;
	t = strtol(v, NULL, 10);
	free(v);
	return now >= t ? (long)(now - t) : 0;
}

struct uptime_ctx {
	struct xs_handle *h;
	time_t now;
	bool brief;
};

static void one(struct pm_hv *hv, const struct pm_hv_dominfo *d, void *arg)
{
	const struct uptime_ctx *u = arg;
	long up = started_ago(u->h, d->domid, u->now);
	char s[64], clock[16];

	(void)hv;
	if (up < 0)
		return;   /* as xl: a domain without a start time is left out */
	span(s, sizeof(s), (unsigned long)up, u->brief);
	if (u->brief) {
		strftime(clock, sizeof(clock), "%H:%M:%S", localtime(&u->now));
		printf(" %s up %s, %s (%u)\n", clock, s, d->name, d->domid);
	} else {
		printf("%-33s %4u %s\n", d->name, d->domid, s);
	}
}

static int run(const struct pxl_args *a)
{
	struct uptime_ctx u = { NULL, time(NULL), a->opt[OPT_SHORT] != NULL };
	struct pm_hv_dominfo *v;
	struct pm_hv *hv;
	long n = pxl_list(a, &hv, &v);
	int rc;

	if (n < 0)
		return PXL_FAIL;
	/* every name first: an unknown one is an error before anything is printed */
	rc = pxl_check_named(a, hv, 0);
	if (!rc) {
		u.h = xs_open(XS_OPEN_SOCKETONLY);
		if (!u.brief)
			printf("%-33s %4s %s\n", "Name", "ID", "Uptime");
		pxl_each_named(a, hv, 0, v, n, one, &u);
		if (u.h)
			xs_close(u.h);
	}
	free(v);
	pm_hv_close(hv);
	return rc;
}

static const struct pxl_cmd uptime_cmd = {
	.name = "uptime", .summary = "how long each domain (or these) has run", .synopsis = "[DOMAIN...]",
	.opts = opts, .nr_opts = 1, .min_args = 0, .max_args = -1, .run = run,
};

static const struct pxl_cmd *const cmds[] = { &uptime_cmd, NULL };
const struct pxl_plugin pxl_plugin = { PXL_ABI_VERSION, cmds };
