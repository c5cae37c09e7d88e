/*
 * libphysmap/reap.c - pm_domain_reap: what a builder killed part way (pxl
 * create, restore, migrate-receive under kill -9) left marked
 * (building.c) is destroyed by the next toolstack command, once the
 * process is gone; a migration's source whose sender died before it let
 * go is resumed under its name, one that died after is destroyed. Two
 * small directories are read, never the list of all domains.
 */
#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <xenstore.h>

#include "physmap/domain.h"
#include "domain-internal.h"
#include "hv/hv-internal.h"

/*
 * the mark at @p still says @pid: read again once @pid is known to be
 * gone, so that a builder that took its mark away and then exited (between
 * the first read and the check) is never taken for one that died
 */
static bool still(struct xs_handle *h, const char *p, long pid)
{
	unsigned int len;
	char *v = xs_read(h, XBT_NULL, p, &len);
	bool same = v && strtol(v, NULL, 10) == pid;

	free(v);
	return same;
}

/* is @pid gone (no such process, or a zombie that will never run again)? */
static bool gone(long pid)
{
	char path[64], buf[256], *rp;
	FILE *f;
	bool zombie = false;

	if (pid <= 0)
		return true;
	if (kill((pid_t)pid, 0) && errno == ESRCH)
		return true;
	snprintf(path, sizeof(path), "/proc/%ld/stat", pid);
	f = fopen(path, "r");
	if (!f)
		return false;
	/* "PID (COMM) STATE ...": COMM may hold spaces and parentheses */
	if (fgets(buf, sizeof(buf), f) && (rp = strrchr(buf, ')')) && rp[1] == ' ')
		zombie = rp[2] == 'Z';
	fclose(f);
	return zombie;
}

/* a migration's source whose sender is gone: resumed under its name before the sender let go, else destroyed */
static long reap_sources(struct xs_handle *h, struct pm_hv *hv, char *notes, size_t len, size_t *used)
{
	unsigned int n = 0;
	char **ids = xs_directory(h, XBT_NULL, PM_MARK_MIGRATING, &n);
	long reaped = 0;

	for (unsigned int i = 0; ids && i < n; i++) {
		struct pm_hv_dominfo info;
		char p[64], *v, *end, phase[16] = "", name[72] = "";
		unsigned long domid = strtoul(ids[i], &end, 10);
		unsigned int vlen;
		long pid = 0;
		int rc;

		snprintf(p, sizeof(p), "%s/%s", PM_MARK_MIGRATING, ids[i]);
		v = xs_read(h, XBT_NULL, p, &vlen);
		if (!v || sscanf(v, "%ld %15s %71s", &pid, phase, name) != 3 || pid <= 0) {
			free(v);
			continue;   /* taken away since the listing, or not a mark of ours */
		}
		free(v);
		if (*end || domid > UINT32_MAX || !gone(pid) || !still(h, p, pid))
			continue;
		if (pm_hv_domain_getinfo(hv, (uint32_t)domid, &info)) {
			xs_rm(h, XBT_NULL, p);   /* its domain is gone already, or a mark not ours */
			continue;
		}
		if (!strcmp(phase, "gone")) {
			rc = pm_domain_destroy(hv, (uint32_t)domid);
			if (!rc && *used < len)
				*used += (size_t)snprintf(notes + *used, len - *used,
							  "domain %lu (%s): migrated away; its sender, process %ld, is gone: "
							  "destroyed here\n", domid, info.name, pid);
		} else {
			rc = strcmp(info.name, name) ? pm_domain_rename(hv, (uint32_t)domid, name) : 0;
			if (!rc && info.state == PM_HV_PAUSED)
				rc = pm_hv_domain_unpause(hv, (uint32_t)domid);
			if (!rc)
				xs_rm(h, XBT_NULL, p);
			if (!rc && *used < len)
				*used += (size_t)snprintf(notes + *used, len - *used,
							  "domain %lu (%s): its migration by process %ld was cut short: "
							  "it runs on here\n", domid, name, pid);
		}
		reaped += !rc;
	}
	free(ids);
	return reaped;
}

/* the domains the backend destroyed by itself (their shutdown action): forgotten, as a destroy would */
static void forget_gone(struct pm_hv *hv)
{
	struct pm_hv_gone *g;
	long n = pm__hv_gone(hv, &g);

	for (long i = 0; i < n; i++)
		pm__domain_forget(hv, g[i].domid, g[i].name);
	free(g);
}

long pm_domain_reap(struct pm_hv *hv, char *notes, size_t len)
{
	struct xs_handle *h = xs_open(XS_OPEN_SOCKETONLY);
	unsigned int n = 0;
	char **ids;
	long reaped = 0;
	size_t used = 0;

	if (len)
		notes[0] = 0;
	if (!h)
		return errno ? -errno : -EIO;
	ids = xs_directory(h, XBT_NULL, PM_MARK_BUILDING, &n);
	for (unsigned int i = 0; ids && i < n; i++) {
		struct pm_hv_dominfo info;
		char p[64], *v, *end, name[72] = "";
		unsigned long domid = strtoul(ids[i], &end, 10);
		unsigned int vlen;
		long pid = 0;

		snprintf(p, sizeof(p), "%s/%s", PM_MARK_BUILDING, ids[i]);
		/* a mark taken away since the listing (its build just finished) is no one's to act on */
		v = xs_read(h, XBT_NULL, p, &vlen);
		if (!v || sscanf(v, "%ld %71s", &pid, name) < 1 || pid <= 0) {
			free(v);
			continue;
		}
		free(v);
		if (*end || domid > UINT32_MAX || !gone(pid) || !still(h, p, pid))
			continue;
		if (pm_hv_domain_getinfo(hv, (uint32_t)domid, &info)) {
			/* the domain went, what the toolstack keeps of it not yet (a destroy cut short) */
			pm__domain_forget(hv, (uint32_t)domid, name);
			xs_rm(h, XBT_NULL, p);
			continue;
		}
		if (pm_domain_destroy(hv, (uint32_t)domid))
			continue;
		reaped++;
		if (used < len)
			used += (size_t)snprintf(notes + used, len - used,
						 "domain %lu (%s): left unfinished by process %ld, which is gone: "
						 "destroyed\n", domid, info.name, pid);
	}
	free(ids);
	reaped += reap_sources(h, hv, notes, len, &used);
	xs_close(h);
	forget_gone(hv);
	return reaped;
}
