/*
 * tools/pxl/pxl-util.c - what several plugins do alike
 */
#include <errno.h>
#include <signal.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/stat.h>

#include "pxl-util.h"

int pxl_load_config(const struct pxl_args *a, struct pm_domain_config *cfg)
{
	char err[PM_CONFIG_ERR_LEN];

	if (pm_domain_config_load(a->argv[0], (const char *const *)a->argv + 1,
				  (size_t)a->argc - 1, cfg, err, sizeof(err))) {
		fprintf(stderr, "%s: %s\n", a->prog, err);
		return PXL_FAIL;
	}
	for (size_t i = 0; i < cfg->nr_warnings; i++)
		fprintf(stderr, "%s: warning: %s\n", a->prog, cfg->warnings[i]);
	return PXL_OK;
}

int pxl_layout(const struct pxl_args *a, const struct pm_domain_config *cfg,
	       struct pm_board_layout *layout)
{
	char err[PM_BOARD_ERR_LEN] = "";

	if (pm_domain_config_layout(cfg, layout, err)) {
		fprintf(stderr, "%s: %s: board '%s': %s\n", a->prog, cfg->source, cfg->board,
			err[0] ? err : "out of memory");
		return PXL_FAIL;
	}
	return PXL_OK;
}

int pxl_config_layout(const struct pxl_args *a, struct pm_domain_config *cfg,
		      struct pm_board_layout *layout)
{
	int rc = pxl_load_config(a, cfg);

	if (!rc && (rc = pxl_layout(a, cfg, layout)))
		pm_domain_config_dispose(cfg);
	return rc;
}

void pxl_stage(const char *what)
{
	const char *stop = getenv("PHYSMAP_STOP_AT");
	struct timespec t;

	if (stop && !strcmp(stop, what))
		raise(SIGSTOP);
	if (!getenv("PHYSMAP_TRACE"))
		return;
	clock_gettime(CLOCK_MONOTONIC, &t);
	fprintf(stderr, "physmap[%d]: %.3f ms %s\n", (int)getpid(), (double)t.tv_sec * 1e3 + (double)t.tv_nsec / 1e6,
		what);
}

int pxl_hv_open(const struct pxl_args *a, struct pm_hv **hv)
{
	char notes[1024];
	int rc = pm_hv_open(NULL, hv);

	if (rc)
		*hv = NULL;
	if (!rc) {
		/* what a killed pxl left half-built goes first, said once */
		if (pm_domain_reap(*hv, notes, sizeof(notes)) > 0) {
			for (char *l = strtok(notes, "\n"); l; l = strtok(NULL, "\n"))
				fprintf(stderr, "%s: %s\n", a->prog, l);
		}
		return PXL_OK;
	}
	if (rc == -EINVAL)
		fprintf(stderr, "%s: PHYSMAP_CONNECT=%s: expected sim or xen\n", a->prog,
			getenv("PHYSMAP_CONNECT"));
	else if (!strcmp(pm_hv_choice(NULL), "xen"))
		fprintf(stderr, "%s: cannot reach Xen: %s (is this a Xen dom0, with privcmd?)\n", a->prog,
			strerror(-rc));
	else
		fprintf(stderr, "%s: cannot reach the simulator: %s (its log: $PHYSMAP_RUNDIR/sim.log)\n",
			a->prog, strerror(-rc));
	return PXL_FAIL;
}

int pxl_domain(const struct pxl_args *a, struct pm_hv *hv, const char *arg, uint32_t *domid)
{
	int rc = pm_hv_domain_find(hv, arg, domid);

	if (!rc)
		return PXL_OK;
	fprintf(stderr, "%s: %s: %s\n", a->prog, arg,
		rc == -ENOENT ? "no such domain" : strerror(-rc));
	return PXL_FAIL;
}

long pxl_list(const struct pxl_args *a, struct pm_hv **hv, struct pm_hv_dominfo **v)
{
	long n;

	*v = NULL;
	if (pxl_hv_open(a, hv))
		return -1;
	n = pm_hv_domain_list(*hv, v);
	if (n < 0) {
		fprintf(stderr, "%s: %s\n", a->prog, strerror((int)-n));
		pm_hv_close(*hv);
		*hv = NULL;
		return -1;
	}
	return n;
}

int pxl_check_named(const struct pxl_args *a, struct pm_hv *hv, int from)
{
	uint32_t domid;

	for (int i = from; i < a->argc; i++)
		if (pxl_domain(a, hv, a->argv[i], &domid))
			return PXL_FAIL;
	return PXL_OK;
}

void pxl_each_named(const struct pxl_args *a, struct pm_hv *hv, int from, const struct pm_hv_dominfo *v, long n,
		    void (*fn)(struct pm_hv *hv, const struct pm_hv_dominfo *d, void *arg), void *arg)
{
	bool all = from >= a->argc;

	for (int i = from; i < (all ? from + 1 : a->argc); i++)
		for (long j = 0; j < n; j++) {
			uint32_t domid = 0;

			if (!all && (pm_hv_domain_find(hv, a->argv[i], &domid) || v[j].domid != domid))
				continue;
			fn(hv, &v[j], arg);
		}
}

int pxl_open_domain(const struct pxl_args *a, struct pm_hv **hv, uint32_t *domid)
{
	int rc = pxl_hv_open(a, hv);

	if (!rc)
		rc = pxl_domain(a, *hv, a->argv[0], domid);
	if (rc && *hv) {
		pm_hv_close(*hv);
		*hv = NULL;
	}
	return rc;
}

int pxl_file_open(const char *path, char *err, size_t errlen)
{
	const char *slash = strrchr(path, '/');
	char dir[4096];
	int fd;

	if (!slash)
		snprintf(dir, sizeof(dir), ".");
	else if (snprintf(dir, sizeof(dir), "%.*s", slash == path ? 1 : (int)(slash - path), path) >=
		 (int)sizeof(dir))
		return -ENAMETOOLONG;
	fd = open(dir, O_TMPFILE | O_WRONLY | O_CLOEXEC, 0600);   /* 0600, as libxenguest creates a core */
	if (fd < 0) {
		fd = -errno;
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
	}
	return fd;
}

int pxl_file_commit(int fd, const char *path, bool exclusive, char *err, size_t errlen)
{
	char proc[64], tmp[4200];
	int rc = 0;

	snprintf(proc, sizeof(proc), "/proc/self/fd/%d", fd);
	if (fsync(fd))
		rc = -errno;
	if (!rc && exclusive && linkat(AT_FDCWD, proc, AT_FDCWD, path, AT_SYMLINK_FOLLOW))
		rc = -errno;
	if (!rc && !exclusive) {
		/* a name of its own first, then over @path at once */
		snprintf(tmp, sizeof(tmp), "%s.%d.tmp", path, (int)getpid());
		unlink(tmp);
		if (linkat(AT_FDCWD, proc, AT_FDCWD, tmp, AT_SYMLINK_FOLLOW) || rename(tmp, path)) {
			rc = -errno;
			unlink(tmp);
		}
	}
	if (close(fd) && !rc)
		rc = -errno;
	if (rc)
		snprintf(err, errlen, "%s: %s", path, strerror(-rc));
	return rc;
}

int pxl_dump_core(struct pm_hv *hv, uint32_t domid, const char *path, struct pm_dump_report *rep, char *err,
		  size_t errlen)
{
	int fd, rc;

	err[0] = 0;
	fd = pxl_file_open(path, err, errlen);
	if (fd < 0)
		return fd;
	rc = pm_domain_dump_core(hv, domid, fd, rep, err, errlen);
	if (rc)
		close(fd);
	else
		rc = pxl_file_commit(fd, path, false, err, errlen);
	if (rc && !err[0])
		snprintf(err, errlen, "%s: %s", path, strerror(-rc));
	return rc;
}

void pxl_dump_dir(struct pm_hv *hv, char *dir, size_t len)
{
	const char *rundir = pm_hv_rundir(hv);

	if (!strcmp(pm_hv_backend(hv), "xen") || !rundir[0])
		snprintf(dir, len, "/var/lib/xen/dump");
	else
		snprintf(dir, len, "%s/dump", rundir);
}
