/*
 * xl-plugins/save.c - pxl save, restore, migrate and migrate-receive
 *
 * save writes the domain's stream (<physmap/save.h>) to a file and, as xl,
 * destroys the domain (-c: it keeps running; -p: it stays paused). restore
 * builds a domain from such a file and unpauses it (-p: paused).
 *
 * migrate sends a live stream to `pxl migrate-receive` on the other side,
 * reached over ssh (as xl migrate; --ssh-command as xl's -s: COMMAND HOST
 * pxl migrate-receive, run by sh, instead of ssh HOST ...), a command's stdin/stdout
 * (--transport=cmd, HOST being the command: how tests migrate between two
 * simulators) or a TCP socket (--transport=tcp, HOST being HOST:PORT, the
 * other side running migrate-receive --listen PORT). After the stream the
 * two sides agree as xl's do:
 *   receiver: "physmap-migrate 1\n" (a banner, before the stream)
 *   receiver: "received DOMID\n"   (built, paused)     or "error WHAT\n"
 *   sender:   "go\n"                (the source will not run again)
 *   receiver: "done\n"              (the copy runs)    or "error WHAT\n"
 * and the sender destroys the source only after "done". Any break before
 * that resumes the source, and the receiver destroys what it built.
 * Between "received" and "go" the sender renames the source
 * NAME--migratedaway (back, if the migration fails), so that a receiver on
 * the same host, which built its copy as NAME--incoming, can take the name
 * before the copy runs: localhost migration, as xl does it.
 */
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "physmap/domain.h"
#include "physmap/save.h"
#include "pxl-util.h"

#define BANNER "physmap-migrate 1\n"

static uint64_t now_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (uint64_t)t.tv_sec * 1000000000ull + (uint64_t)t.tv_nsec;
}

#define trace pxl_stage

/* ---- progress: one line on a terminal, rewritten in place; nothing otherwise ---- */

struct progress_ctx {
	bool tty;                /* stdout and stderr are a terminal, and no -q */
	bool shown;              /* a line is up: end it before anything else is said */
	const char *what;        /* "save", "restore" */
	bool live;               /* a migration's rounds */
};

static bool progress_on(const struct pxl_args *a, bool quiet)
{
	(void)a;
	return !quiet && isatty(STDOUT_FILENO) && isatty(STDERR_FILENO);
}

/* ends the progress line, so that the next message starts a line of its own */
static void progress_end(struct progress_ctx *c)
{
	if (c->shown)
		fputc('\n', stderr);
	c->shown = false;
}

static void on_round(void *opaque, const struct pm_save_progress *p)
{
	struct progress_ctx *c = opaque;
	unsigned int pct = p->todo ? (unsigned int)(p->sent * 100 / p->todo) : 100;

	if (!c->tty)
		return;
	if (pct > 100 || !p->partial)
		pct = 100;
	if (c->live)
		fprintf(stderr, "\r\033[Kround %u%s: %u%% of %llu MiB, %.0f MiB/s", p->round,
			p->final ? " (paused)" : "", pct, (unsigned long long)(p->todo >> 8), p->rate / 1048576.0);
	else
		fprintf(stderr, "\r\033[K%s: %u%% of %llu MiB, %.0f MiB/s", c->what, pct,
			(unsigned long long)(p->todo >> 8), p->rate / 1048576.0);
	if (c->live && !p->partial)
		fprintf(stderr, ", %llu pages dirty", (unsigned long long)p->dirty);
	c->shown = true;
	if (c->live && !p->partial)
		progress_end(c);   /* a line a round */
	fflush(stderr);
}

static void on_restore(void *opaque, const struct pm_restore_progress *p)
{
	struct progress_ctx *c = opaque;
	unsigned int pct = p->expected ? (unsigned int)(p->pages * 100 / p->expected) : 0;

	if (!c->tty)
		return;
	if (pct > 100 || p->done)
		pct = 100;
	fprintf(stderr, "\r\033[K%s: %u%% of %llu MiB, %.0f MiB/s", c->what, pct,
		(unsigned long long)((p->done ? p->pages : p->expected) >> 8), p->rate / 1048576.0);
	c->shown = true;
	fflush(stderr);
}

/* ---- pxl save ---- */

enum { SAVE_CONTINUE, SAVE_PAUSED, SAVE_QUIET };

static const struct pm_opt save_opts[] = {
	[SAVE_CONTINUE] = { "continue", no_argument, 'c', NULL, "leave the domain running after the save" },
	[SAVE_PAUSED] = { "paused", no_argument, 'p', NULL, "leave the domain paused after the save" },
	[SAVE_QUIET] = { "quiet", no_argument, 'q', NULL, "no progress line (there is none off a terminal)" },
};

static int save_run(const struct pxl_args *a)
{
	const char *file = a->argv[1];
	struct progress_ctx pc = { .tty = progress_on(a, a->opt[SAVE_QUIET]), .what = "save" };
	struct pm_save_opts o = { .progress = on_round, .opaque = &pc };
	struct pm_save_report rep;
	char err[512];
	struct pm_hv *hv;
	uint32_t domid;
	int fd, rc;

	if (a->opt[SAVE_CONTINUE] && a->opt[SAVE_PAUSED]) {
		fprintf(stderr, "%s: -c and -p: choose one\n", a->prog);
		return PXL_USAGE;
	}
	if (pxl_open_domain(a, &hv, &domid))
		return PXL_FAIL;
	/* refused before anything is read; written unnamed, so a failure or a kill leaves no file */
	fd = access(file, F_OK) ? pxl_file_open(file, err, sizeof(err)) : -EEXIST;
	if (fd < 0) {
		fprintf(stderr, "%s: %s: %s\n", a->prog, file, strerror(-fd));
		pm_hv_close(hv);
		return PXL_FAIL;
	}
	rc = pm_domain_save(hv, domid, fd, &o, &rep, err, sizeof(err));
	progress_end(&pc);
	if (!rc && (rc = pxl_file_commit(fd, file, true, err, sizeof(err))))
		pm_domain_save_done(hv, domid, &rep, true);
	else if (rc)
		close(fd);
	if (rc) {
		fprintf(stderr, "%s: %s\n", a->prog, err);
		pm_hv_close(hv);
		return PXL_FAIL;
	}
	if (a->opt[SAVE_CONTINUE] || a->opt[SAVE_PAUSED])
		pm_domain_save_done(hv, domid, &rep, a->opt[SAVE_CONTINUE] != NULL);
	else
		pm_domain_destroy(hv, domid);
	printf("saved domain %u to %s: %llu pages, %llu bytes, %.1f ms\n", domid, file,
	       (unsigned long long)rep.pages_sent, (unsigned long long)rep.bytes, rep.total_ns / 1e6);
	pm_hv_close(hv);
	return PXL_OK;
}

/* ---- pxl restore ---- */

enum { RESTORE_PAUSED, RESTORE_CONSOLE, RESTORE_CONFIG, RESTORE_QUIET };

static const struct pm_opt restore_opts[] = {
	[RESTORE_PAUSED] = { "paused", no_argument, 'p', NULL, "leave the restored domain paused" },
	[RESTORE_CONSOLE] = { "console", no_argument, 'c', NULL, "attach to its console at once (Ctrl-] detaches)" },
	[RESTORE_CONFIG] = { "config", required_argument, 'C', "CONFIG",
			     "use this xl.cfg file instead of the configuration saved in the file" },
	[RESTORE_QUIET] = { "quiet", no_argument, 'q', NULL, "no progress line (there is none off a terminal)" },
};

/* unpause (unless @paused), as create does after the build; destroyed if it cannot run */
static int started(const struct pxl_args *a, struct pm_hv *hv, const struct pm_domain_config *cfg, uint32_t domid,
		   bool paused)
{
	int rc = paused ? 0 : pm_hv_domain_unpause(hv, domid);

	if (rc) {
		fprintf(stderr, "%s: %s: starting its vCPUs: %s\n", a->prog, cfg->name, strerror(-rc));
		pm_domain_destroy(hv, domid);
		return PXL_FAIL;
	}
	return PXL_OK;
}

static int restore_run(const struct pxl_args *a)
{
	const char *file = a->argv[0];
	struct progress_ctx pc = { .tty = progress_on(a, a->opt[RESTORE_QUIET]), .what = "restore" };
	struct pm_restore_opts o = { .where = file, .config = a->opt[RESTORE_CONFIG],
				     .overrides = (const char *const *)a->argv + 1, .nr_overrides = (size_t)a->argc - 1,
				     .progress = on_restore, .opaque = &pc };
	struct pm_domain_config cfg;
	char err[512];
	struct pm_hv *hv;
	uint32_t domid;
	int fd, rc;

	fd = open(file, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		fprintf(stderr, "%s: %s: %s\n", a->prog, file, strerror(errno));
		return PXL_FAIL;
	}
	if (pxl_hv_open(a, &hv)) {
		close(fd);
		return PXL_FAIL;
	}
	rc = pm_domain_restore(hv, fd, &o, &domid, &cfg, err, sizeof(err));
	progress_end(&pc);
	close(fd);
	if (rc) {
		fprintf(stderr, "%s: %s\n", a->prog, err);
		pm_hv_close(hv);
		return PXL_FAIL;
	}
	rc = started(a, hv, &cfg, domid, a->opt[RESTORE_PAUSED] != NULL);
	if (rc == PXL_OK && pxl_monitor_needed(hv, &cfg))
		pxl_monitor_spawn(a, hv, &cfg, domid);
	if (rc == PXL_OK) {
		printf("restored %s as domain %u%s\n", cfg.name, domid, a->opt[RESTORE_PAUSED] ? " (paused)" : "");
		if (a->opt[RESTORE_CONSOLE]) {
			fflush(stdout);
			rc = pxl_console(a, hv, domid, true);
		}
	}
	pm_domain_config_dispose(&cfg);
	pm_hv_close(hv);
	return rc;
}

/* ---- the migration channel ---- */

/* a line from @fd, a byte at a time (the stream follows it); returns 0 or -errno */
static int read_line(int fd, char *line, size_t len, int timeout_s)
{
	size_t n = 0;

	while (n < len - 1) {
		struct timeval tv = { .tv_sec = timeout_s };
		fd_set rd;
		ssize_t r;

		FD_ZERO(&rd);
		FD_SET(fd, &rd);
		r = select(fd + 1, &rd, NULL, NULL, &tv);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return r ? -errno : -ETIMEDOUT;
		r = read(fd, line + n, 1);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return r ? -errno : -EPIPE;
		if (line[n++] == '\n')
			break;
	}
	line[n] = 0;
	return 0;
}

static int say(int fd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int say(int fd, const char *fmt, ...)
{
	char line[600];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(line))
		n = (int)sizeof(line) - 1;
	return write(fd, line, (size_t)n) == n ? 0 : -EPIPE;
}

/* runs @argv with its stdin and stdout on one end of a socket pair; returns the other end, or -errno */
static int spawn(char *const argv[], pid_t *pid)
{
	int sv[2];

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv))
		return -errno;
	*pid = fork();
	if (*pid < 0) {
		close(sv[0]);
		close(sv[1]);
		return -errno;
	}
	if (!*pid) {
		dup2(sv[1], 0);
		dup2(sv[1], 1);
		execvp(argv[0], argv);
		fprintf(stderr, "%s: %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	close(sv[1]);
	return sv[0];
}

static int tcp_connect(const char *hostport, char *what, size_t len)
{
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM }, *res = NULL;
	char host[256];
	const char *colon = strrchr(hostport, ':');
	int fd = -1, rc;

	if (!colon || colon == hostport || (size_t)(colon - hostport) >= sizeof(host)) {
		snprintf(what, len, "%s: expected HOST:PORT", hostport);
		return -EINVAL;
	}
	memcpy(host, hostport, (size_t)(colon - hostport));
	host[colon - hostport] = 0;
	rc = getaddrinfo(host, colon + 1, &hints, &res);
	if (rc) {
		snprintf(what, len, "%s: %s", hostport, gai_strerror(rc));
		return -EINVAL;
	}
	for (struct addrinfo *ai = res; ai; ai = ai->ai_next) {
		fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol);
		if (fd >= 0 && !connect(fd, ai->ai_addr, ai->ai_addrlen))
			break;
		if (fd >= 0)
			close(fd);
		fd = -1;
	}
	freeaddrinfo(res);
	if (fd < 0)
		snprintf(what, len, "%s: cannot connect: %s", hostport, strerror(errno));
	return fd < 0 ? -ECONNREFUSED : fd;
}

/* ---- pxl migrate ---- */

enum { MIG_TRANSPORT, MIG_SSH, MIG_DOWNTIME, MIG_ROUNDS, MIG_NON_LIVE, MIG_QUIET };

static const struct pm_opt migrate_opts[] = {
	[MIG_TRANSPORT] = { "transport", required_argument, 't', "ssh|cmd|tcp",
			    "how to reach the other side: ssh HOST (default), a command's stdin/stdout, or HOST:PORT" },
	[MIG_SSH] = { "ssh-command", required_argument, 's', "COMMAND",
		      "instead of ssh: sh runs COMMAND HOST pxl migrate-receive (xl's -s)" },
	[MIG_DOWNTIME] = { "max-downtime", required_argument, 'D', "MS",
			   "stop precopy once the dirty pages would go in MS milliseconds (default 5)" },
	[MIG_ROUNDS] = { "max-rounds", required_argument, 'R', "N", "precopy rounds at most (default 30)" },
	[MIG_NON_LIVE] = { "non-live", no_argument, 'N', NULL, "pause the domain first, then send it" },
	[MIG_QUIET] = { "quiet", no_argument, 'q', NULL, "no progress, only the final report" },
};


static int parse_uint(const char *s, unsigned int *out)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || !*s || *end || v > 1000000)
		return -EINVAL;
	*out = (unsigned int)v;
	return 0;
}

/* the options: numbers, a known transport, --ssh-command with ssh only; 0 or PXL_USAGE */
static int migrate_check(const struct pxl_args *a, const char *transport, struct pm_save_opts *o)
{
	if ((a->opt[MIG_DOWNTIME] && parse_uint(a->opt[MIG_DOWNTIME], &o->max_downtime_ms)) ||
	    (a->opt[MIG_ROUNDS] && parse_uint(a->opt[MIG_ROUNDS], &o->max_rounds))) {
		fprintf(stderr, "%s: --max-downtime and --max-rounds take a whole number\n", a->prog);
		return PXL_USAGE;
	}
	if (strcmp(transport, "ssh") && strcmp(transport, "cmd") && strcmp(transport, "tcp")) {
		fprintf(stderr, "%s: --transport %s: one of ssh, cmd, tcp\n", a->prog, transport);
		return PXL_USAGE;
	}
	if (a->opt[MIG_SSH] && strcmp(transport, "ssh")) {
		fprintf(stderr, "%s: --ssh-command goes with --transport=ssh, not %s\n", a->prog, transport);
		return PXL_USAGE;
	}
	return 0;
}

/* the other side's pxl migrate-receive, reached and answering; its descriptor, or -1 (said) */
static int migrate_reach(const struct pxl_args *a, const char *transport, pid_t *pid)
{
	const char *host = a->argv[1];
	char err[512] = "", line[600];
	int fd, rc;

	if (!strcmp(transport, "tcp")) {
		fd = tcp_connect(host, err, sizeof(err));
	} else if (!strcmp(transport, "cmd")) {
		char *argv[] = { "sh", "-c", (char *)host, NULL };

		fd = spawn(argv, pid);
	} else if (a->opt[MIG_SSH]) {
		/* sh splits COMMAND; HOST stays one word */
		char *argv[] = { "sh", "-c", "exec $1 \"$2\" pxl migrate-receive", "sh",
				 (char *)a->opt[MIG_SSH], (char *)host, NULL };

		fd = spawn(argv, pid);
	} else {
		char *argv[] = { "ssh", "-T", "-o", "BatchMode=yes", (char *)host, "pxl", "migrate-receive", NULL };

		fd = spawn(argv, pid);
	}
	if (fd < 0) {
		fprintf(stderr, "%s: reaching %s: %s\n", a->prog, host, err[0] ? err : strerror(-fd));
		return -1;
	}
	rc = read_line(fd, line, sizeof(line), 30);
	if (rc || strcmp(line, BANNER)) {
		fprintf(stderr, "%s: %s: no migrate-receive answered (%s)\n", a->prog, host,
			rc ? strerror(-rc) : "an unexpected banner");
		close(fd);
		return -1;
	}
	return fd;
}

/*
 * the stream is out: the receiver has it, the source is renamed
 * NAME--migratedaway and let go, the receiver runs the copy. 0 when it
 * does; -1 (said) when the source must resume here (*renamed: under its
 * name again)
 */
static int migrate_handover(const struct pxl_args *a, struct pm_hv *hv, uint32_t domid,
			    const struct pm_hv_dominfo *info, int fd, struct pm_save_report *rep, bool *renamed)
{
	char line[600], away[96];
	bool gone_here = false;
	int rc;

	/*
	 * its name made free while the receiver reads the stream's end (both
	 * in the downtime). Marked first: a sender killed from here on leaves
	 * it to the next pxl, to resume or destroy
	 */
	snprintf(away, sizeof(away), "%s--migratedaway", info->name);
	rc = pm_domain_migrating(hv, domid, PM_MIGRATING_SENDING, info->name) ?: pm_domain_rename(hv, domid, away);
	if (rc == -ENOENT) {
		/* gone here since its stream went out (its device model died, say): the copy is whole */
		fprintf(stderr, "%s: %s is gone here since its stream went out; the copy takes over\n", a->prog,
			info->name);
		pm_domain_migrating(hv, domid, PM_MIGRATING_NONE, NULL);
		gone_here = true;
	} else if (rc) {
		fprintf(stderr, "%s: renaming %s to %s: %s; it keeps running here\n", a->prog, info->name, away,
			strerror(-rc));
		return -1;
	}
	*renamed = !gone_here;
	trace("migrate: renamed");
	rc = read_line(fd, line, sizeof(line), 120);
	trace("migrate: the receiver has it");
	if (rc || strncmp(line, "received ", 9)) {
		fprintf(stderr, "%s: the receiver %s; %s %s\n", a->prog, rc ? "went away" : line, info->name,
			gone_here ? "is gone here too" : "keeps running here");
		return -1;
	}
	/*
	 * let go: it stays paused here whatever becomes of this process (its
	 * dirty log, whose owner's death would resume it, is off), and is
	 * marked to be destroyed if this process dies; the receiver runs it
	 */
	if (!gone_here)
		pm_domain_save_done(hv, domid, rep, false);
	if ((!gone_here && pm_domain_migrating(hv, domid, PM_MIGRATING_GONE, info->name)) || say(fd, "go\n")) {
		fprintf(stderr, "%s: the receiver went away; %s keeps running here\n", a->prog, info->name);
		return -1;
	}
	trace("migrate: go sent");
	rc = read_line(fd, line, sizeof(line), 60);
	trace("migrate: the receiver runs it");
	if (rc || strcmp(line, "done\n")) {
		fprintf(stderr, "%s: the receiver %s; %s resumes here\n", a->prog, rc ? "went away" : line,
			info->name);
		return -1;
	}
	return 0;
}

static int migrate_run(const struct pxl_args *a)
{
	const char *transport = a->opt[MIG_TRANSPORT] ? a->opt[MIG_TRANSPORT] : "ssh";
	struct progress_ctx pc = { .tty = progress_on(a, a->opt[MIG_QUIET]), .what = "migrate", .live = true };
	struct pm_save_opts o = { .live = !a->opt[MIG_NON_LIVE], .progress = on_round, .opaque = &pc };
	struct pm_save_report rep;
	struct pm_hv_dominfo info;
	struct pm_hv *hv;
	char err[512] = "";
	uint32_t domid;
	bool renamed = false;
	pid_t pid = -1;
	int fd = -1, rc, ret = PXL_FAIL;
	uint64_t paused_at, downtime;

	if ((rc = migrate_check(a, transport, &o)))
		return rc;
	signal(SIGPIPE, SIG_IGN);
	if (pxl_open_domain(a, &hv, &domid))
		return PXL_FAIL;
	if ((rc = pm_hv_domain_getinfo(hv, domid, &info))) {
		fprintf(stderr, "%s: %s: %s\n", a->prog, a->argv[0], strerror(-rc));
		goto out;
	}
	if (pm_hv_cannot_save(hv)) {   /* before the other side is reached */
		fprintf(stderr, "%s: %s: %s\n", a->prog, a->argv[0], pm_hv_cannot_save(hv));
		goto out;
	}
	fd = migrate_reach(a, transport, &pid);
	if (fd < 0)
		goto out;
	rc = pm_domain_save(hv, domid, fd, &o, &rep, err, sizeof(err));
	progress_end(&pc);
	if (rc) {
		fprintf(stderr, "%s: %s; %s keeps running here\n", a->prog, err, info.name);
		goto out;
	}
	paused_at = now_ns() - rep.paused_ns;
	trace("migrate: stream sent");
	if (migrate_handover(a, hv, domid, &info, fd, &rep, &renamed)) {
		if (renamed)
			pm_domain_rename(hv, domid, info.name);
		pm_domain_save_done(hv, domid, &rep, true);
		pm_domain_migrating(hv, domid, PM_MIGRATING_NONE, NULL);
		goto out;
	}
	downtime = now_ns() - paused_at;
	pm_domain_destroy(hv, domid);
	printf("migrated %s: %u rounds, %llu pages, %llu bytes in %.1f ms, %llu pages paused, downtime %.1f ms\n",
	       info.name, rep.rounds, (unsigned long long)rep.pages_sent, (unsigned long long)rep.bytes,
	       rep.total_ns / 1e6, (unsigned long long)rep.last_round_pages, downtime / 1e6);
	ret = PXL_OK;
out:
	if (fd >= 0)
		close(fd);
	if (pid > 0)
		waitpid(pid, NULL, 0);
	pm_hv_close(hv);
	return ret;
}

/* ---- pxl migrate-receive ---- */

enum { RECV_LISTEN, RECV_PAUSED };

static const struct pm_opt receive_opts[] = {
	[RECV_LISTEN] = { "listen", required_argument, 'l', "[ADDR:]PORT",
			  "take one migration on this TCP port rather than on stdin/stdout" },
	[RECV_PAUSED] = { "paused", no_argument, 'p', NULL, "leave the migrated domain paused" },
};

static int listen_once(const char *spec, char *what, size_t len)
{
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM, .ai_flags = AI_PASSIVE }, *res = NULL;
	const char *colon = strrchr(spec, ':');
	char host[256] = "";
	int fd = -1, c = -1, one = 1, rc;

	if (colon && (size_t)(colon - spec) < sizeof(host)) {
		memcpy(host, spec, (size_t)(colon - spec));
		host[colon - spec] = 0;
	}
	rc = getaddrinfo(host[0] ? host : NULL, colon ? colon + 1 : spec, &hints, &res);
	if (rc) {
		snprintf(what, len, "%s: %s", spec, gai_strerror(rc));
		return -EINVAL;
	}
	fd = socket(res->ai_family, res->ai_socktype | SOCK_CLOEXEC, res->ai_protocol);
	if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ||
	    bind(fd, res->ai_addr, res->ai_addrlen) || listen(fd, 1)) {
		snprintf(what, len, "%s: %s", spec, strerror(errno));
		freeaddrinfo(res);
		if (fd >= 0)
			close(fd);
		return -EADDRINUSE;
	}
	freeaddrinfo(res);
	fprintf(stderr, "listening on %s\n", spec);
	c = accept4(fd, NULL, NULL, SOCK_CLOEXEC);
	if (c < 0)
		snprintf(what, len, "%s: accept: %s", spec, strerror(errno));
	close(fd);
	return c < 0 ? -EIO : c;
}

static int receive_run(const struct pxl_args *a)
{
	struct pm_restore_opts o = { .where = "the migration stream" };
	struct pm_domain_config cfg;
	char err[512] = "", line[64];
	struct pm_hv *hv;
	uint32_t domid;
	int in = 0, out = 1, rc, ret = PXL_FAIL;

	signal(SIGPIPE, SIG_IGN);
	if (a->opt[RECV_LISTEN]) {
		in = out = listen_once(a->opt[RECV_LISTEN], err, sizeof(err));
		if (in < 0) {
			fprintf(stderr, "%s: %s\n", a->prog, err);
			return PXL_FAIL;
		}
	}
	if (pxl_hv_open(a, &hv))
		goto out_fd;
	if (say(out, BANNER))
		goto out_hv;
	o.incoming = true;
	o.unfinished = true;   /* not complete until its sender lets go and it runs here */
	rc = pm_domain_restore(hv, in, &o, &domid, &cfg, err, sizeof(err));
	if (rc) {
		fprintf(stderr, "%s: %s\n", a->prog, err);
		say(out, "error %s\n", err);
		goto out_hv;
	}
	trace("migrate-receive: restored");
	if (say(out, "received %u\n", domid) || read_line(in, line, sizeof(line), 120) || strcmp(line, "go\n")) {
		fprintf(stderr, "%s: the sender went away before it let go of %s: nothing kept here\n", a->prog,
			cfg.name);
		pm_domain_destroy(hv, domid);
		goto out_cfg;
	}
	trace("migrate-receive: go");
	{
		/* built beside its source on this host: the source is NAME--migratedaway now */
		size_t n = strlen(cfg.name), sl = strlen("--incoming");

		if (n > sl && !strcmp(cfg.name + n - sl, "--incoming")) {
			cfg.name[n - sl] = 0;
			rc = pm_domain_rename(hv, domid, cfg.name);
			if (rc) {
				fprintf(stderr, "%s: taking the name %s: %s\n", a->prog, cfg.name, strerror(-rc));
				say(out, "error %s: cannot take its name: %s\n", cfg.name, strerror(-rc));
				pm_domain_destroy(hv, domid);
				goto out_cfg;
			}
		}
	}
	/* its devices are served before the sender lets its source go: a copy
	 * whose device model died meanwhile would crash at once (asked before
	 * it runs: its first run, mapping its memory, would hold the answer up) */
	if (pm_domain_dm_alive(hv, domid)) {
		fprintf(stderr, "%s: %s: its device model is gone: nothing kept here\n", a->prog, cfg.name);
		say(out, "error %s: its device model is gone\n", cfg.name);
		pm_domain_destroy(hv, domid);
		goto out_cfg;
	}
	trace("migrate-receive: its device model answers");
	if (started(a, hv, &cfg, domid, a->opt[RECV_PAUSED] != NULL) != PXL_OK) {
		say(out, "error %s: cannot start it\n", cfg.name);
		goto out_cfg;
	}
	trace("migrate-receive: unpaused");
	pm_domain_built(hv, domid);
	say(out, "done\n");
	if (pxl_monitor_needed(hv, &cfg))
		pxl_monitor_spawn(a, hv, &cfg, domid);   /* after "done": not part of the downtime */
	fprintf(stderr, "%s: %s is domain %u here\n", a->prog, cfg.name, domid);
	ret = PXL_OK;
out_cfg:
	pm_domain_config_dispose(&cfg);
out_hv:
	pm_hv_close(hv);
out_fd:
	if (in > 1)
		close(in);
	return ret;
}

static const struct pxl_cmd save = {
	.name = "save",
	.summary = "save a domain to a file, then destroy it (xl's format)",
	.synopsis = "DOMAIN FILE",
	.opts = save_opts,
	.nr_opts = sizeof(save_opts) / sizeof(save_opts[0]),
	.min_args = 2,
	.max_args = 2,
	.run = save_run,
};

static const struct pxl_cmd restore = {
	.name = "restore",
	.summary = "restore a domain from a save file (KEY=VALUE overrides its configuration)",
	.synopsis = "FILE [KEY=VALUE...]",
	.opts = restore_opts,
	.nr_opts = sizeof(restore_opts) / sizeof(restore_opts[0]),
	.min_args = 1,
	.max_args = -1,
	.run = restore_run,
};

static const struct pxl_cmd migrate = {
	.name = "migrate",
	.summary = "live-migrate a domain to another host (pxl migrate-receive there)",
	.synopsis = "DOMAIN HOST",
	.opts = migrate_opts,
	.nr_opts = sizeof(migrate_opts) / sizeof(migrate_opts[0]),
	.min_args = 2,
	.max_args = 2,
	.run = migrate_run,
};

static const struct pxl_cmd migrate_receive = {
	.name = "migrate-receive",
	.summary = "the receiving side of pxl migrate (stdin/stdout, or --listen)",
	.synopsis = "",
	.opts = receive_opts,
	.nr_opts = sizeof(receive_opts) / sizeof(receive_opts[0]),
	.min_args = 0,
	.max_args = 0,
	.run = receive_run,
};

static const struct pxl_cmd *const cmds[] = { &save, &restore, &migrate, &migrate_receive, NULL };
const struct pxl_plugin pxl_plugin = { PXL_ABI_VERSION, cmds };
