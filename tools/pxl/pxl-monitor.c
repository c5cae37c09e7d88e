/*
 * tools/pxl/pxl-monitor.c - what xl's daemon does for a domain: when the
 * guest reboots (or crashes or powers off) and its configuration says
 * restart, build it again from the same configuration
 *
 * The simulator applies destroy and preserve itself; restart needs the
 * toolstack, so `pxl create` leaves a monitor behind for a domain that
 * restarts on something. On Xen even destroy is the toolstack's (as xl's
 * daemon does it): there a domain that is destroyed on something has one
 * too. It is a detached process that watches the domain
 * (its state, every 50 ms), rebuilds it under the same name when it stops
 * for a restarting reason, and leaves when the domain is gone or stops
 * for good. Its messages go to $RUNDIR/console/NAME.monitor.log.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/wait.h>
#include <unistd.h>

#include <stdint.h>

#include <xen/sched.h>

#include "physmap/domain.h"
#include "pxl-util.h"

static bool restarts(enum pm_action a)
{
	return a == PM_ACTION_RESTART || a == PM_ACTION_RENAME_RESTART || a == PM_ACTION_COREDUMP_RESTART;
}

static bool destroys(enum pm_action a)
{
	return a == PM_ACTION_DESTROY || a == PM_ACTION_COREDUMP_DESTROY;
}

bool pxl_monitor_needed(struct pm_hv *hv, const struct pm_domain_config *cfg)
{
	bool xen = !strcmp(pm_hv_backend(hv), "xen");

	return restarts(cfg->on_poweroff) || restarts(cfg->on_reboot) || restarts(cfg->on_crash) ||
	       (xen && (destroys(cfg->on_poweroff) || destroys(cfg->on_reboot) || destroys(cfg->on_crash)));
}

static void say(FILE *log, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void say(FILE *log, const char *fmt, ...)
{
	char when[32];
	time_t t = time(NULL);
	va_list ap;

	strftime(when, sizeof(when), "%F %T", localtime(&t));
	fprintf(log, "%s ", when);
	va_start(ap, fmt);
	vfprintf(log, fmt, ap);
	va_end(ap);
	fputc('\n', log);
	fflush(log);
}

/* the action for how the domain stopped */
static enum pm_action action_for(const struct pm_domain_config *cfg, const struct pm_hv_dominfo *i)
{
	if (i->state == PM_HV_CRASHED || i->shutdown_reason == SHUTDOWN_crash)
		return cfg->on_crash;
	return i->shutdown_reason == SHUTDOWN_reboot ? cfg->on_reboot : cfg->on_poweroff;
}

static void monitor(const struct pm_domain_config *cfg, uint32_t domid, FILE *log)
{
	struct pm_hv *hv = NULL;
	char err[PM_DOMAIN_ERR_LEN];

	if (pm_hv_open(NULL, &hv)) {
		say(log, "%s: cannot reach the backend", cfg->name);
		return;
	}
	say(log, "%s: watching domain %u", cfg->name, domid);
	for (;;) {
		struct pm_hv_dominfo info;
		int rc = pm_hv_domain_getinfo(hv, domid, &info);

		if (rc || strcmp(info.name, cfg->name)) {
			say(log, "%s: domain %u is gone", cfg->name, domid);
			break;
		}
		/* suspended: a save has it, and destroys it or resumes it */
		if ((info.state != PM_HV_SHUTDOWN && info.state != PM_HV_CRASHED) ||
		    (info.state == PM_HV_SHUTDOWN && info.shutdown_reason == SHUTDOWN_suspend)) {
			usleep(50000);
			continue;
		}
		if (!restarts(action_for(cfg, &info))) {
			say(log, "%s: domain %u stopped for good (%s)", cfg->name, domid,
			    info.state == PM_HV_CRASHED ? "crashed" : "shut down");
			/* the simulator destroyed it already; Xen leaves that to us */
			if (destroys(action_for(cfg, &info)) && !strcmp(pm_hv_backend(hv), "xen")) {
				rc = pm_domain_destroy(hv, domid);
				say(log, "%s: domain %u destroyed%s%s", cfg->name, domid, rc ? ": " : "",
				    rc ? strerror(-rc) : "");
			}
			break;
		}
		say(log, "%s: domain %u %s: restarting", cfg->name, domid,
		    info.state == PM_HV_CRASHED ? "crashed" : info.shutdown_reason == SHUTDOWN_reboot ? "rebooted"
												       : "shut down");
		pm_domain_destroy(hv, domid);
		rc = pm_domain_create(hv, cfg, &domid, err, sizeof(err));
		if (!rc && (rc = pm_hv_domain_unpause(hv, domid)))
			pm_domain_destroy(hv, domid);
		if (rc) {
			say(log, "%s: cannot build it again: %s", cfg->name, err[0] ? err : strerror(-rc));
			break;
		}
		say(log, "%s: now domain %u", cfg->name, domid);
	}
	pm_hv_close(hv);
}

int pxl_monitor_spawn(const struct pxl_args *a, struct pm_hv *hv, const struct pm_domain_config *cfg,
		      uint32_t domid)
{
	char path[512];
	pid_t pid;
	int status;

	snprintf(path, sizeof(path), "%s/console/%s.monitor.log", pm_hv_rundir(hv), cfg->name);
	fflush(stdout);
	fflush(stderr);
	pid = fork();
	if (pid < 0) {
		fprintf(stderr, "%s: %s: no monitor to restart it: %s\n", a->prog, cfg->name, strerror(errno));
		return PXL_FAIL;
	}
	if (!pid) {
		/* a grandchild in its own session, so the caller's exit leaves it be */
		FILE *log;
		int nul;

		if (fork())
			_exit(0);
		setsid();
		nul = open("/dev/null", O_RDWR);
		log = fopen(path, "a");
		if (nul >= 0) {
			dup2(nul, 0);
			dup2(nul, 1);
			dup2(nul, 2);
		}
		if (log)
			monitor(cfg, domid, log);
		_exit(0);
	}
	waitpid(pid, &status, 0);
	return PXL_OK;
}
