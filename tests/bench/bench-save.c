/*
 * bench-save.c - save and migration (issue 10) on the simulator, with an
 * idle 1 GiB arm64 guest (its balloon driver waiting on the store):
 *   - stream throughput of a save to /dev/null, and over a local socket
 *     (a reader thread taking it), against memcpy's bandwidth measured in
 *     the same run (the limit: target at least half of it to /dev/null);
 *   - the downtime of a live `pxl migrate` between two simulators (two run
 *     directories), idle (target 10 ms at most) and with the guest dirtying
 *     64 MiB round after round (25 ms at most, every last round smaller
 *     than what it rewrites), against a stop-and-copy migration of the
 *     same guest (--non-live), measured in the same run.
 */
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "physmap/config.h"
#include "physmap/domain.h"
#include "physmap/hv.h"
#include "physmap/save.h"
#include "bench.h"

#define GiB (1ull << 30)

static char dir_a[] = "/tmp/pm-save-bench-a-XXXXXX", dir_b[] = "/tmp/pm-save-bench-b-XXXXXX";

static uint32_t create(struct pm_hv *hv, const char *name, const char *extra)
{
	const char *img = getenv("PM_GUEST_ARM64") ? getenv("PM_GUEST_ARM64") : "tests/guests/arm64/guest.img";
	char path[128], err[PM_DOMAIN_ERR_LEN], log[160];
	struct pm_domain_config cfg;
	uint32_t domid;
	struct stat st;
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s.cfg", dir_a, name);
	f = fopen(path, "w");
	if (!f || access(img, R_OK)) {
		fprintf(stderr, "bench-save: %s: not there (is the arm64 guest built?)\n", f ? img : path);
		exit(1);
	}
	fprintf(f, "name = \"%s\"\nboard = \"virt\"\nmemory = 1024\nkernel = \"%s\"\nextra = \"%s\"\n"
		   "on_reboot = \"destroy\"\n", name, img, extra);
	fclose(f);
	if (pm_domain_config_load(path, NULL, 0, &cfg, err, sizeof(err)) ||
	    pm_domain_create(hv, &cfg, &domid, err, sizeof(err)) || pm_hv_domain_unpause(hv, domid)) {
		fprintf(stderr, "bench-save: %s\n", err);
		exit(1);
	}
	pm_domain_config_dispose(&cfg);
	unlink(path);
	/* running: its first line out */
	snprintf(log, sizeof(log), "%s/console/%s.log", dir_a, name);
	for (int i = 0; i < 3000 && (stat(log, &st) || st.st_size < 200); i++)
		usleep(1000);
	usleep(200000);
	return domid;
}

static double memcpy_gbps(void)
{
	size_t len = 256u << 20;
	char *a = malloc(len), *b = malloc(len);
	double best = 0;

	if (!a || !b)
		abort();
	memset(a, 1, len);
	memset(b, 2, len);
	for (int i = 0; i < 5; i++) {
		double t = now_ns();

		memcpy(i % 2 ? a : b, i % 2 ? b : a, len);
		t = now_ns() - t;
		if (len / t > best)
			best = len / t;
	}
	sink += (uint64_t)a[len / 2] + (uint64_t)b[len / 3];
	free(a);
	free(b);
	return best;   /* bytes a ns: GB/s */
}

static void *drain(void *arg)
{
	static char buf[1 << 20];
	int fd = *(int *)arg;

	while (read(fd, buf, sizeof(buf)) > 0)
		;
	return NULL;
}

/* the best of three non-live saves to @fd, in GB/s */
static double save_gbps(struct pm_hv *hv, uint32_t domid, int fd)
{
	struct pm_save_opts o = { 0 };
	struct pm_save_report rep;
	char err[512];
	double best = 0;

	for (int i = 0; i < 3; i++) {
		if (pm_domain_save(hv, domid, fd, &o, &rep, err, sizeof(err))) {
			fprintf(stderr, "bench-save: %s\n", err);
			exit(1);
		}
		pm_domain_save_done(hv, domid, &rep, true);
		if ((double)rep.bytes / rep.total_ns > best)
			best = (double)rep.bytes / rep.total_ns;
	}
	return best;
}

/* the most pages a migration sent with the guest paused, since reset */
static unsigned long most_paused;

/* `pxl migrate` from @from to @to; its downtime in ms (rounds in *rounds) */
static double migrate(const char *name, const char *from, const char *to, bool live, unsigned int *rounds)
{
	char cmd[1024], line[512];
	double down = -1;
	FILE *p;

	snprintf(cmd, sizeof(cmd),
		 "PHYSMAP_RUNDIR=%s ./pxl migrate -q %s --transport=cmd %s 'PHYSMAP_RUNDIR=%s ./pxl migrate-receive' "
		 "2>/dev/null", from, live ? "" : "--non-live", name, to);
	p = popen(cmd, "r");
	while (p && fgets(line, sizeof(line), p)) {
		char *d = strstr(line, "downtime "), *r = strstr(line, ": "), *pp = strstr(line, " pages paused");

		if (d)
			down = atof(d + 9);
		while (pp && pp > line && pp[-1] >= '0' && pp[-1] <= '9')
			pp--;
		if (pp && strtoul(pp, NULL, 10) > most_paused)
			most_paused = strtoul(pp, NULL, 10);
		if (r && rounds)
			*rounds = (unsigned int)atoi(r + 2);
	}
	if (!p || pclose(p) || down < 0) {
		fprintf(stderr, "bench-save: %s\n", cmd);
		exit(1);
	}
	return down;
}

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* the simulator the guest is on now */
static const char *here = dir_a;

/* the median downtime of @n migrations, to the other simulator and on */
static double downtime(const char *name, bool live, int n, unsigned int *rounds)
{
	double d[8];

	for (int i = 0; i < n; i++) {
		const char *there = here == dir_a ? dir_b : dir_a;

		d[i] = migrate(name, here, there, live, rounds);
		here = there;
	}
	qsort(d, (size_t)n, sizeof(d[0]), cmp);
	return d[n / 2];
}

int main(void)
{
	struct pm_hv *hv;
	pthread_t t;
	double mem, null_gbps, sock_gbps, idle, idle_stop, busy, busy_stop;
	unsigned int rounds = 0;
	unsigned long paused;
	uint32_t domid;
	int fd, sv[2];

	if (!mkdtemp(dir_a) || !mkdtemp(dir_b))
		abort();
	setenv("PHYSMAP_RUNDIR", dir_a, 1);
	setenv("PXL_PLUGIN_PATH", "./xl-plugins/.libs", 1);
	setenv("PHYSMAP_CONNECT", "sim", 1);
	bench_use_build();
	if (pm_hv_open("sim", &hv)) {
		fprintf(stderr, "bench-save: cannot start the simulator\n");
		return 1;
	}
	mem = memcpy_gbps();
	domid = create(hv, "idle", "balloon");
	fd = open("/dev/null", O_WRONLY);
	null_gbps = save_gbps(hv, domid, fd);
	close(fd);
	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) || pthread_create(&t, NULL, drain, &sv[1]))
		abort();
	sock_gbps = save_gbps(hv, domid, sv[0]);
	close(sv[0]);
	pthread_join(t, NULL);
	close(sv[1]);
	figure("save.stream_devnull.1g", null_gbps, "GB/s", "memcpy in the same run", mem, ">= 0.5 x memcpy",
	       null_gbps >= mem / 2);
	figure("save.stream_socket.1g", sock_gbps, "GB/s", "memcpy in the same run", mem, "reported", true);
	pm_hv_close(hv);
	/* migrations by pxl itself, between two simulators, there and back (an even count ends at home) */
	idle = downtime("idle", true, 5, NULL);
	idle_stop = downtime("idle", false, 3, NULL);
	if (here != dir_a)
		downtime("idle", true, 1, NULL);   /* home again */
	figure("migrate.downtime_idle.1g", idle, "ms", "stop-and-copy (--non-live) of the same guest", idle_stop,
	       "<= 10 ms (issue 31)", idle <= 10);
	if (pm_hv_open("sim", &hv))
		return 1;
	pm_hv_domain_find(hv, "idle", &domid);
	pm_domain_destroy(hv, domid);
	create(hv, "busy", "workload=64,0");
	pm_hv_close(hv);
	most_paused = 0;
	busy = downtime("busy", true, 5, &rounds);
	paused = most_paused;
	busy_stop = downtime("busy", false, 3, NULL);
	if (here != dir_a)
		downtime("busy", true, 1, NULL);
	fprintf(stderr, "bench-save: the dirtying guest took %u rounds, at most %lu pages paused\n", rounds, paused);
	/* converged: the last round of each was below the 16384 pages the guest rewrites */
	figure("migrate.downtime_dirtying_64m.1g", busy, "ms", "stop-and-copy (--non-live) of the same guest",
	       busy_stop, "<= 25 ms, and it converges (issue 31)", busy <= 25 && paused < 16384);
	if (!pm_hv_open("sim", &hv)) {
		if (!pm_hv_domain_find(hv, "busy", &domid))
			pm_domain_destroy(hv, domid);
		pm_hv_close(hv);
	}
	sleep(2);   /* the simulators leave once idle */
	system("pkill -f 'physmap-sim --rundir /tmp/pm-save-bench-' 2>/dev/null");
	rm_tree(dir_a);
	rm_tree(dir_b);
	return 0;
}
