/*
 * physmap-xenstored.c - the simulator's store as a standalone daemon:
 * libxenstore clients (XENSTORED_PATH) and Xen's xenstore-* tools talk to
 * it as to xenstored; there is no hypervisor, so INTRODUCE records a
 * domain (and its domain socket) but maps no ring
 */
#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <unistd.h>

#include "opts.h"
#include "unixsock.h"
#include "xs.h"

static const struct pm_opt opts[] = {
	{ "socket", required_argument, 's', "PATH",
	  "dom0's socket (default $XENSTORED_PATH, else $PHYSMAP_RUNDIR/xenstored/socket)" },
	{ "domain-sockets", required_argument, 'd', "DIR",
	  "give each introduced domain N a socket DIR/domain-N that acts as domain N" },
	{ "quota", required_argument, 'Q', "NAME=VALUE",
	  "set a per-domain quota (repeatable); --quota help lists them" },
	{ "log", required_argument, 'L', "FILE", "log every request to FILE (CONTROL log on|off toggles)" },
	{ "pid-file", required_argument, 'p', "FILE", "write the daemon's pid to FILE" },
	{ "help", no_argument, 'h', NULL, "show this help" },
};
#define NR_OPTS (sizeof(opts) / sizeof(opts[0]))

static void log_line(void *opaque, const char *line)
{
	FILE *f = opaque;

	fprintf(f, "%s\n", line);
	fflush(f);
}

/* $PHYSMAP_RUNDIR, $XDG_RUNTIME_DIR/physmap, or /run/physmap, as DESIGN.md says */
static char *default_socket(void)
{
	const char *env = getenv("XENSTORED_PATH"), *rundir = getenv("PHYSMAP_RUNDIR");
	const char *xdg = getenv("XDG_RUNTIME_DIR");
	char *dir = NULL, *path = NULL;

	if (env)
		return strdup(env);
	if (rundir ? asprintf(&dir, "%s/xenstored", rundir) :
	    xdg ? asprintf(&dir, "%s/physmap/xenstored", xdg) :
		  asprintf(&dir, "/run/physmap/xenstored") < 0)
		return NULL;
	/* parents first; an existing directory is fine */
	for (char *p = strchr(dir + 1, '/');; p = strchr(p + 1, '/')) {
		if (p)
			*p = 0;
		if (mkdir(dir, 0700) && errno != EEXIST)
			break;
		if (!p)
			break;
		*p = '/';
	}
	if (asprintf(&path, "%s/socket", dir) < 0)
		path = NULL;
	free(dir);
	return path;
}

static int set_quota(struct pm_xs *xs, const char *spec)
{
	const char *eq = strchr(spec, '=');
	char *end;
	unsigned long v;

	if (!eq)
		return -EINVAL;
	errno = 0;
	v = strtoul(eq + 1, &end, 10);
	if (errno || *end || end == eq + 1 || v > 0x7fffffff)
		return -ERANGE;
	for (int q = 0; q < PM_XS_QUOTA_COUNT; q++)
		if (strlen(pm_xs_quota_name(q)) == (size_t)(eq - spec) &&
		    !strncmp(spec, pm_xs_quota_name(q), (size_t)(eq - spec)))
			return pm_xs_set_quota(xs, q, (unsigned int)v);
	return -ENOENT;
}

/* every --quota: set, or "help" listed. returns: 0; 1 (done: listed); -1 (said why) */
static int apply_quotas(struct pm_xs *xs, const char **quota, size_t nq)
{
	for (size_t i = 0; i < nq; i++) {
		int rc;

		if (!strcmp(quota[i], "help")) {
			for (int q = 0; q < PM_XS_QUOTA_COUNT; q++)
				printf("%-13s %ld\n", pm_xs_quota_name(q), pm_xs_get_quota(xs, q));
			return 1;
		}
		rc = set_quota(xs, quota[i]);
		if (rc) {
			fprintf(stderr, "physmap-xenstored: --quota %s: %s\n", quota[i],
				rc == -ENOENT ? "no such quota (--quota help lists them)" :
				rc == -ERANGE ? "value is not a number up to 2147483647" :
						"expected NAME=VALUE");
			return -1;
		}
	}
	return 0;
}

/* --domain-sockets: a directory for the domains' sockets. returns: 0; -1 (said why) */
static int use_domain_dir(struct pm_xs *xs, const char *domdir)
{
	struct stat st;

	if (stat(domdir, &st) || !S_ISDIR(st.st_mode)) {
		fprintf(stderr, "physmap-xenstored: --domain-sockets %s: not a directory\n", domdir);
		return -1;
	}
	if (pm_xs_set_domain_socket_dir(xs, domdir)) {
		fprintf(stderr, "physmap-xenstored: out of memory\n");
		return -1;
	}
	return 0;
}

/* SIGTERM, SIGINT and SIGHUP to a descriptor the store's loop watches; SIGPIPE ignored. returns: it; -1 */
static int signals_fd(void)
{
	sigset_t sigs;
	int sfd;

	sigemptyset(&sigs);
	sigaddset(&sigs, SIGTERM);
	sigaddset(&sigs, SIGINT);
	sigaddset(&sigs, SIGHUP);
	sigprocmask(SIG_BLOCK, &sigs, NULL);
	signal(SIGPIPE, SIG_IGN);
	sfd = signalfd(-1, &sigs, SFD_CLOEXEC);
	if (sfd < 0)
		fprintf(stderr, "physmap-xenstored: signalfd: %s\n", strerror(errno));
	return sfd;
}

static int write_pidfile(const char *pidfile)
{
	FILE *pf = fopen(pidfile, "w");

	if (!pf || fprintf(pf, "%d\n", (int)getpid()) < 0 || fclose(pf)) {
		fprintf(stderr, "physmap-xenstored: --pid-file %s: %s\n", pidfile, strerror(errno));
		return -1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct pm_xs_ring_ops ops = { .log = log_line };
	const char *domdir = NULL, *logpath = NULL, *pidfile = NULL;
	const char **quota = calloc((size_t)argc, sizeof(*quota));
	struct pm_getopt g = { 0 };
	struct pm_xs *xs = NULL;
	char *sock = NULL;
	size_t nq = 0;
	FILE *log = NULL;
	int sfd = -1, ret = 1, c, rc;

	pm_raise_nofile();   /* a connection and a socket a domain: no fixed cap below the host's */
	if (!quota || pm_getopt_init(&g, opts, NR_OPTS)) {
		fprintf(stderr, "physmap-xenstored: out of memory\n");
		goto out;
	}
	while ((c = getopt_long(argc, argv, g.shorts, g.longs, NULL)) != -1) {
		switch (c) {
		case 's': free(sock); sock = strdup(optarg); break;
		case 'd': domdir = optarg; break;
		case 'Q': quota[nq++] = optarg; break;
		case 'L': logpath = optarg; break;
		case 'p': pidfile = optarg; break;
		case 'h':
			pm_usage(stdout, "physmap-xenstored", "[options]", opts, NR_OPTS);
			ret = 0;
			goto out;
		default:
			pm_usage(stderr, "physmap-xenstored", "[options]", opts, NR_OPTS);
			goto out;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "physmap-xenstored: unexpected argument \"%s\"\n", argv[optind]);
		goto out;
	}
	if (logpath && !(log = fopen(logpath, "a"))) {
		fprintf(stderr, "physmap-xenstored: --log %s: %s\n", logpath, strerror(errno));
		goto out;
	}
	rc = pm_xs_new(&ops, log ? log : stderr, &xs);
	if (rc) {
		fprintf(stderr, "physmap-xenstored: %s\n", strerror(-rc));
		goto out;
	}
	rc = apply_quotas(xs, quota, nq);
	if (rc) {
		ret = rc > 0 ? 0 : 1;
		goto out;
	}
	if (!sock && !(sock = default_socket())) {
		fprintf(stderr, "physmap-xenstored: out of memory\n");
		goto out;
	}
	if ((domdir && use_domain_dir(xs, domdir)) || (sfd = signals_fd()) < 0)
		goto out;
	rc = pm_xs_listen(xs, sock);
	if (rc) {
		fprintf(stderr, "physmap-xenstored: --socket %s: %s\n", sock, strerror(-rc));
		goto out;
	}
	if (pidfile && write_pidfile(pidfile))
		goto out;
	if (log)
		pm_xs_set_logging(xs, true);   /* CONTROL log off stops it */
	rc = pm_xs_run(xs, sfd);
	if (rc) {
		fprintf(stderr, "physmap-xenstored: %s\n", strerror(-rc));
		goto out;
	}
	ret = 0;
out:
	pm_xs_free(xs);
	if (pidfile && ret == 0)
		unlink(pidfile);
	if (sfd >= 0)
		close(sfd);
	if (log)
		fclose(log);
	pm_getopt_dispose(&g);
	free(quota);
	free(sock);
	return ret;
}
