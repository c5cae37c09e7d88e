/*
 * tools/pxl/pxl-monitor.c - what xl's daemon does for a domain: when the
 * guest stops (powers off, reboots, crashes, its watchdog fires, it asks
 * for a soft reset), apply the action its configuration names for that
 *
 * The simulator applies destroy and preserve itself; everything else needs
 * the toolstack, so `pxl create` (and restore, migrate-receive) leaves a
 * monitor behind for a domain whose actions need one. On Xen even destroy
 * is the toolstack's (as xl's daemon does it): there every domain with a
 * destroying action has one too. It is a detached process that watches the
 * domain (its state when the backend says it changed: the simulator for
 * this domain alone, Xen's store with @releaseDomain for any; and every
 * 2 s) and leaves when the domain is gone or stops for good. An idle
 * monitor costs the backend nothing: a thousand of them polling every 50 ms
 * made each create twice slower at 1000 domains than at 10, and woken by
 * every @releaseDomain they made each destroy four times slower. Its messages go to $RUNDIR/console/NAME.monitor.log.
 *
 * The actions, as xl applies them (xl.cfg(5)):
 * - destroy, preserve: the domain is destroyed, or kept as it stopped.
 * - restart: destroyed, then built again under the same name from the
 *   configuration it runs with (/vm/DOMID/config: what block-attach or
 *   network-attach added, the MACs chosen at creation), or the one pxl
 *   config-update left for it, with a new domid.
 * - rename-restart: the stopped domain is kept, renamed NAME-YYYYmmddTHHMMZ
 *   (UTC, as xl names it), and a new one is built under NAME.
 * - coredump-destroy, coredump-restart: the core is written where xl
 *   writes it, DUMPDIR/NAME (DUMPDIR: /var/lib/xen/dump on xen, as xl;
 *   RUNDIR/dump on the simulator), then the domain is destroyed or
 *   restarted; a core that cannot be written is said, and the action goes
 *   on.
 * - soft-reset: neither backend resets a domain in place: it is restarted,
 *   and the monitor says so.
 * A guest that restarts RESTART_BURST times within RESTART_WINDOW seconds
 * is rebooting in a loop: the next time it stops it is left as it stopped,
 * with a message, not restarted again.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <stdint.h>

#include <xen/sched.h>

#include "physmap/domain.h"
#include "pxl-util.h"

#define RESTART_BURST 5
/* a look this often at most even if no change is told (1000 monitors: 17 looks a second) */
#define WAIT_MS 60000
#define RESTART_WINDOW 30

static bool restarts(enum pm_action a)
{
	return a == PM_ACTION_RESTART || a == PM_ACTION_RENAME_RESTART || a == PM_ACTION_COREDUMP_RESTART ||
	       a == PM_ACTION_SOFT_RESET;
}

static bool destroys(enum pm_action a)
{
	return a == PM_ACTION_DESTROY || a == PM_ACTION_COREDUMP_DESTROY;
}

/* an action the simulator cannot apply alone, or on Xen any but preserve */
static bool needs_toolstack(bool xen, enum pm_action a)
{
	return restarts(a) || a == PM_ACTION_COREDUMP_DESTROY || (xen && destroys(a));
}

/* on_soft_reset is not asked about: a soft reset is rare (and its default
 * would give every domain a monitor); one the monitor sees is restarted,
 * and without a monitor the simulator applies on_poweroff's action */
bool pxl_monitor_needed(struct pm_hv *hv, const struct pm_domain_config *cfg)
{
	bool xen = !strcmp(pm_hv_backend(hv), "xen");
	const enum pm_action acts[] = { cfg->on_poweroff, cfg->on_reboot, cfg->on_crash, cfg->on_watchdog };

	for (size_t i = 0; i < sizeof(acts) / sizeof(acts[0]); i++)
		if (needs_toolstack(xen, acts[i]))
			return true;
	return false;
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

/* how the domain stopped, in words */
static const char *how(const struct pm_hv_dominfo *i)
{
	static const char *const names[] = { "powered off", "rebooted", "suspended", "crashed",
					     "was stopped by its watchdog", "asked for a soft reset" };

	if (i->state == PM_HV_CRASHED)
		return "crashed";
	return i->shutdown_reason < sizeof(names) / sizeof(names[0]) ? names[i->shutdown_reason] : "shut down";
}

/* what follows each way the domain can stop */
struct actions {
	enum pm_action on_poweroff, on_reboot, on_crash, on_watchdog, on_soft_reset;
};

static void take_actions(struct actions *a, const struct pm_domain_config *cfg)
{
	*a = (struct actions){ cfg->on_poweroff, cfg->on_reboot, cfg->on_crash, cfg->on_watchdog,
			       cfg->on_soft_reset };
}

/* the action for how the domain stopped */
static enum pm_action action_for(const struct actions *a, const struct pm_hv_dominfo *i)
{
	if (i->state == PM_HV_CRASHED)
		return a->on_crash;
	switch (i->shutdown_reason) {
	case SHUTDOWN_poweroff: return a->on_poweroff;
	case SHUTDOWN_reboot: return a->on_reboot;
	case SHUTDOWN_crash: return a->on_crash;
	case SHUTDOWN_watchdog: return a->on_watchdog;
	case SHUTDOWN_soft_reset: return a->on_soft_reset;
	}
	return PM_ACTION_DESTROY;   /* a reason Xen does not define: as xl does */
}

/* the stopped domain kept under NAME-YYYYmmddTHHMMZ (UTC, as xl names it; -2, -3 ... if taken) */
/* a coredump action's core, at DUMPDIR/NAME as xl writes it */
static void core(struct pm_hv *hv, uint32_t domid, const char *name, FILE *log)
{
	char dir[512], path[1024], err[512];
	struct pm_dump_report rep;
	int rc;

	pxl_dump_dir(hv, dir, sizeof(dir));
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if (mkdir(dir, 0700) && errno != EEXIST) {
		say(log, "%s: no core dump: %s: %s", name, dir, strerror(errno));
		return;
	}
	say(log, "%s: dumping core to %s", name, path);
	rc = pxl_dump_core(hv, domid, path, &rep, err, sizeof(err));
	if (rc)
		say(log, "%s: core dump failed: %s", name, err);
	else
		say(log, "%s: core dumped: %llu pages, %u vCPUs", name, (unsigned long long)rep.pages, rep.vcpus);
}

static int keep_renamed(struct pm_hv *hv, uint32_t domid, const char *name, FILE *log)
{
	char suffix[24], to[128];   /* too long a name for the backend: -EINVAL, said */
	time_t now = time(NULL);
	struct tm tm;
	int rc = -EEXIST;

	gmtime_r(&now, &tm);
	strftime(suffix, sizeof(suffix), "-%Y%m%dT%H%MZ", &tm);
	for (int n = 1; n < 10 && rc == -EEXIST; n++) {
		if (n == 1)
			snprintf(to, sizeof(to), "%s%s", name, suffix);
		else
			snprintf(to, sizeof(to), "%s%s-%d", name, suffix, n);
		rc = pm_domain_rename(hv, domid, to);
	}
	if (rc) {
		say(log, "%s: cannot keep domain %u under another name: %s", name, domid, strerror(-rc));
		return rc;
	}
	/* as xl: the kept one gets a new UUID, the restarted one keeps the old */
	rc = pm_domain_set_uuid(hv, domid, NULL);
	say(log, "%s: domain %u kept as %s%s%s", name, domid, to, rc ? "; its UUID is the new one's too: " : "",
	    rc ? strerror(-rc) : "");
	return 0;
}

/* until domain @domid stops (not for suspend), its new names said; 0 with @info, or -1 when it is gone */
static int until_stopped(struct pm_hv *hv, uint32_t domid, char *name, size_t len, struct pm_hv_dominfo *info,
			 FILE *log)
{
	for (;;) {
		if (pm_hv_domain_getinfo(hv, domid, info)) {
			say(log, "%s: domain %u is gone", name, domid);
			return -1;
		}
		if (strcmp(info->name, name)) {
			say(log, "%s: domain %u is %s now", name, domid, info->name);
			snprintf(name, len, "%s", info->name);
		}
		/* suspended: a save has it, and destroys it or resumes it */
		if ((info->state == PM_HV_SHUTDOWN || info->state == PM_HV_CRASHED) &&
		    !(info->state == PM_HV_SHUTDOWN && info->shutdown_reason == SHUTDOWN_suspend))
			return 0;
		/* until it stops or goes (the simulator says so for this domain; on
		 * Xen the store's @releaseDomain, as xl's daemon waits), a look every
		 * WAIT_MS at most; polled where neither answers */
		if (info->state == PM_HV_DYING || pm_hv_domain_wait(hv, info, WAIT_MS) < 0)
			usleep(50000);   /* Xen fires @releaseDomain as it starts dying, not when it is gone */
	}
}

/*
 * an action without a restart: destroyed (the simulator did already,
 * unless it kept it for a core dump; Xen leaves that to us) or preserved
 */
static void no_restart(struct pm_hv *hv, uint32_t domid, const char *name, enum pm_action act,
		       enum pm_action given, bool xen, FILE *log)
{
	if (destroys(act) && (xen || given != PM_ACTION_DESTROY)) {
		int rc = pm_domain_destroy(hv, domid);

		say(log, "%s: domain %u destroyed%s%s", name, domid, rc ? ": " : "", rc ? strerror(-rc) : "");
	} else if (act == PM_ACTION_PRESERVE) {
		say(log, "%s: domain %u preserved as it stopped", name, domid);
	}
}

/*
 * the domain built again from its next configuration (else the one it was
 * made with), the old one destroyed or kept renamed; 0 with *@domid the
 * new one's and @acts its actions, or -1 (said) when the monitor ends
 */
static int restart(struct pm_hv *hv, uint32_t *domid, const char *name, enum pm_action act,
		   const struct pm_domain_config *cfg, struct actions *acts, FILE *log)
{
	char err[PM_DOMAIN_ERR_LEN] = "";
	struct pm_domain_config now;
	const struct pm_domain_config *build = cfg;
	int rc;

	if (!pm_domain_config_next(*domid, &now, err, sizeof(err)))
		build = &now;   /* else the copy it was created with */
	if (act == PM_ACTION_RENAME_RESTART) {
		char path[512];

		if (keep_renamed(hv, *domid, name, log)) {
			pm_domain_config_dispose(&now);
			return -1;   /* as xl: the old domain stays, nothing new is built */
		}
		/* this log went with the kept domain: the new one gets its own */
		snprintf(path, sizeof(path), "%s/console/%s.monitor.log", pm_hv_rundir(hv), name);
		if (!freopen(path, "a", log)) {
			pm_domain_config_dispose(&now);
			return -1;
		}
	} else {
		pm_domain_destroy(hv, *domid);
	}
	err[0] = 0;
	rc = pm_domain_create(hv, build, domid, err, sizeof(err));
	if (!rc && (rc = pm_hv_domain_unpause(hv, *domid)))
		pm_domain_destroy(hv, *domid);
	if (!rc)
		take_actions(acts, build);   /* as xl: the new domain's configuration says what follows */
	pm_domain_config_dispose(&now);
	if (rc) {
		say(log, "%s: cannot build it again: %s", name, err[0] ? err : strerror(-rc));
		return -1;
	}
	say(log, "%s: now domain %u", name, *domid);
	return 0;
}

static void monitor(const struct pm_domain_config *cfg, uint32_t domid, FILE *log)
{
	struct pm_hv *hv = NULL;
	struct actions acts;
	time_t restarted[RESTART_BURST] = { 0 };
	char name[sizeof(((struct pm_hv_dominfo *)0)->name)];
	unsigned int nr_restarts = 0;
	bool xen;
	int rc;

	/* the simulator its domain runs on, or none: a monitor whose simulator went
	 * (idle, its domains gone) must not start another, with its own settings */
	setenv("PHYSMAP_NO_START", "1", 1);
	rc = pm_hv_open(NULL, &hv);
	unsetenv("PHYSMAP_NO_START");
	if (rc) {
		say(log, "%s: cannot reach the backend", cfg->name);
		return;
	}
	xen = !strcmp(pm_hv_backend(hv), "xen");
	take_actions(&acts, cfg);
	snprintf(name, sizeof(name), "%s", cfg->name);
	say(log, "%s: watching domain %u", name, domid);
	for (;;) {
		struct pm_hv_dominfo info;
		enum pm_action act, given;

		if (until_stopped(hv, domid, name, sizeof(name), &info, log))
			break;
		act = given = action_for(&acts, &info);
		say(log, "%s: domain %u %s: %s", name, domid, how(&info), pm_action_name(act));
		if (act == PM_ACTION_COREDUMP_DESTROY || act == PM_ACTION_COREDUMP_RESTART) {
			core(hv, domid, name, log);
			act = act == PM_ACTION_COREDUMP_DESTROY ? PM_ACTION_DESTROY : PM_ACTION_RESTART;
		}
		if (act == PM_ACTION_SOFT_RESET) {
			say(log, "%s: the %s backend cannot reset a domain in place: restarting it", name,
			    pm_hv_backend(hv));
			act = PM_ACTION_RESTART;
		}
		if (!restarts(act)) {
			no_restart(hv, domid, name, act, given, xen, log);
			break;
		}
		if (nr_restarts >= RESTART_BURST &&
		    time(NULL) - restarted[nr_restarts % RESTART_BURST] < RESTART_WINDOW) {
			say(log, "%s: restarted %d times in %d s: it is rebooting in a loop; domain %u is left "
				 "as it stopped (pxl destroy %s removes it)",
			    name, RESTART_BURST, RESTART_WINDOW, domid, name);
			break;
		}
		restarted[nr_restarts++ % RESTART_BURST] = time(NULL);
		if (restart(hv, &domid, name, act, cfg, &acts, log))
			break;
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
