/*
 * hv-sim.c - the sim backend: physmap-sim's protocol (sim-proto.h,
 * docs/specs/sim-protocol.md) over its unix socket, and its start on demand
 */
#include <errno.h>
#include <sched.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "physmap/e820.h"
#include "hv-internal.h"
#include "hv-sim.h"
#include "sim-proto.h"
#include "alloc-internal.h"

#define PAGE 4096ull

#ifndef PM_BINDIR
#define PM_BINDIR "/usr/local/bin"
#endif

static int rundir_of(struct pm_hv *hv)
{
	const char *env = getenv("PHYSMAP_RUNDIR"), *xdg = getenv("XDG_RUNTIME_DIR");
	char *p;

	if (env)
		snprintf(hv->rundir, sizeof(hv->rundir), "%s", env);
	else if (xdg)
		snprintf(hv->rundir, sizeof(hv->rundir), "%s/physmap", xdg);
	else if (!geteuid())
		snprintf(hv->rundir, sizeof(hv->rundir), "/run/physmap");
	else
		snprintf(hv->rundir, sizeof(hv->rundir), "/tmp/physmap-%u", (unsigned int)geteuid());
	if (getenv("PHYSMAP_NO_START"))
		return 0;   /* a look only (shell completion): nothing made */
	/* parents first; existing ones are fine */
	for (p = strchr(hv->rundir + 1, '/');; p = strchr(p + 1, '/')) {
		if (p)
			*p = 0;
		if (mkdir(hv->rundir, 0700) && errno != EEXIST)
			return -errno;
		if (!p)
			return 0;
		*p = '/';
	}
}

static int connect_sim(const char *rundir)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd;

	if (snprintf(sa.sun_path, sizeof(sa.sun_path), "%s/sim.sock", rundir) >=
	    (int)sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa))) {
		int rc = -errno;

		close(fd);
		return rc;
	}
	return fd;
}

/* runs physmap-sim, which returns once its sockets are bound */
static int start_sim(const char *rundir)
{
	const char *bin = getenv("PHYSMAP_SIM");
	char path[512];
	int status;
	pid_t pid;

	if (!bin) {
		snprintf(path, sizeof(path), "%s/physmap-sim", PM_BINDIR);
		bin = access(path, X_OK) ? "physmap-sim" : path;
	}
	pid = fork();
	if (pid < 0)
		return -errno;
	if (!pid) {
		int nul = open("/dev/null", O_RDWR), log;
		char logpath[512];

		if (nul >= 0) {
			dup2(nul, 0);
			dup2(nul, 1);
		}
		/* what it says before its log is open goes to its log too: the caller says one line */
		snprintf(logpath, sizeof(logpath), "%s/sim.log", rundir);
		log = open(logpath, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
		if (log >= 0)
			dup2(log, 2);
		unsetenv("PHYSMAP_ALLOC_FAIL_AT");   /* the test's failure is ours, not the simulator's */
		execlp(bin, bin, "--rundir", rundir, (char *)NULL);
		_exit(127);
	}
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return -errno;
	return WIFEXITED(status) && !WEXITSTATUS(status) ? 0 : -ECONNREFUSED;
}

static int sim_call(struct pm_hv *hv, uint32_t op, const void *req, uint32_t len, void *rep,
		    uint32_t replen, uint32_t *got)
{
	return pm__sim_call_fds(hv, op, req, len, -1, rep, replen, got, NULL, 0, NULL);
}

static int sim_open_once(struct pm_hv *hv)
{
	struct sim_conn *c = pm__calloc(1, sizeof(*c));
	struct pm_sim_hello hello;
	char lock[300], store[300];
	int fd = -1, lfd = -1, rc;

	if (!c)
		return -ENOMEM;
	c->fd = c->pool_fd = -1;
	rc = rundir_of(hv);
	if (rc)
		goto fail;
	fd = connect_sim(hv->rundir);
	if (fd < 0 && getenv("PHYSMAP_NO_START")) {
		rc = -ECONNREFUSED;   /* PHYSMAP_NO_START: a simulator that runs, or none */
		goto fail;
	}
	if (fd < 0) {
		/* one starter at a time; the others find it running */
		snprintf(lock, sizeof(lock), "%s/sim.lock", hv->rundir);
		lfd = open(lock, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
		if (lfd < 0 || flock(lfd, LOCK_EX)) {
			rc = -errno;
			goto fail;
		}
		fd = connect_sim(hv->rundir);
		if (fd < 0) {
			rc = start_sim(hv->rundir);
			fd = rc ? rc : connect_sim(hv->rundir);
		}
		close(lfd);
		if (fd < 0) {
			rc = fd;
			goto fail;
		}
	}
	c->fd = fd;
	hv->priv = c;
	rc = sim_call(hv, PM_SIM_HELLO, NULL, 0, &hello, sizeof(hello), NULL);
	if (!rc && (hello.version != PM_SIM_VERSION || c->pool_fd < 0))
		rc = -EPROTO;
	if (rc)
		goto fail;
	snprintf(store, sizeof(store), "%s/xenstored.sock", hv->rundir);
	setenv("XENSTORED_PATH", store, 1);
	return 0;
fail:
	if (c->fd >= 0)
		close(c->fd);
	if (c->pool_fd >= 0)
		close(c->pool_fd);
	free(c);
	hv->priv = NULL;
	return rc;
}

/*
 * a simulator that has just decided to leave (idle) may still take a
 * connection and then drop it: its HELLO goes unanswered. The next try
 * finds its socket gone and starts another.
 */
static int sim_open(struct pm_hv *hv)
{
	int rc = -EIO;

	for (int tries = 0; tries < 5; tries++) {
		rc = sim_open_once(hv);
		if (rc != -EIO && rc != -ECONNRESET && rc != -EPIPE)
			break;
		nanosleep(&(struct timespec){ 0, 100000000 }, NULL);
	}
	return rc;
}

static void sim_close(struct pm_hv *hv)
{
	struct sim_conn *c = hv->priv;

	if (!c)
		return;
	close(c->fd);   /* the simulator drops this connection's grant maps */
	if (c->pool_fd >= 0)
		close(c->pool_fd);
	for (size_t i = 0; i < c->nr_gmaps; i++) {
		munmap(c->gmaps[i].addr, c->gmaps[i].count * PAGE);
		free(c->gmaps[i].handles);
	}
	free(c->gmaps);
	free(c);
}

static int sim_info_engine(struct pm_hv *hv, uint64_t *total, uint64_t *free_pages, uint32_t *engine)
{
	struct pm_sim_info i;
	int rc = sim_call(hv, PM_SIM_INFO, NULL, 0, &i, sizeof(i), NULL);

	if (!rc) {
		*total = i.total_pages;
		*free_pages = i.free_pages;
		if (engine)
			*engine = i.engine;
	}
	return rc;
}

static int sim_fd_limit(struct pm_hv *hv, uint64_t *limit)
{
	struct pm_sim_info i;
	int rc = sim_call(hv, PM_SIM_INFO, NULL, 0, &i, sizeof(i), NULL);

	if (!rc)
		*limit = i.fds_limit;
	return rc;
}

static int sim_info(struct pm_hv *hv, uint64_t *total, uint64_t *free_pages)
{
	return sim_info_engine(hv, total, free_pages, NULL);
}

/* how many CPUs a sysfs CPU list names ("0-3,8") */
static unsigned int cpu_list_count(const char *path)
{
	FILE *f = fopen(path, "r");
	unsigned int n = 0, a, b;
	int c;

	if (!f)
		return 0;
	while (fscanf(f, "%u", &a) == 1) {
		b = a;
		if ((c = fgetc(f)) == '-' && fscanf(f, "%u", &b) == 1)
			c = fgetc(f);
		n += b >= a ? b - a + 1 : 0;
		if (c != ',')
			break;
	}
	fclose(f);
	return n;
}

/* the simulator runs on this host: its CPUs, and the Xen ABI it offers guests */
static int sim_host_info(struct pm_hv *hv, struct pm_hv_host *o)
{
	long online = sysconf(_SC_NPROCESSORS_ONLN), conf = sysconf(_SC_NPROCESSORS_CONF);
	unsigned int threads, cores;
	char line[256];
	double mhz = 0;
	FILE *f;
	uint32_t engine = 0;
	int rc = sim_info_engine(hv, &o->total_pages, &o->free_pages, &engine);

	if (rc)
		return rc;
	o->nr_cpus = online > 0 ? (unsigned int)online : 1;
	o->max_cpu_id = conf > 0 ? (unsigned int)conf - 1 : 0;
	o->nr_nodes = 1;
	threads = cpu_list_count("/sys/devices/system/cpu/cpu0/topology/thread_siblings_list");
	cores = cpu_list_count("/sys/devices/system/cpu/cpu0/topology/core_siblings_list");
	o->threads_per_core = threads ? threads : 1;
	o->cores_per_socket = cores >= o->threads_per_core ? cores / o->threads_per_core : 1;
	if ((f = fopen("/proc/cpuinfo", "r"))) {
		while (fgets(line, sizeof(line), f))
			if (sscanf(line, "cpu MHz : %lf", &mhz) == 1)
				break;
		fclose(f);
	}
	o->cpu_khz = (unsigned int)(mhz * 1000);
	o->caps = 1u << 0;   /* XEN_SYSCTL_PHYSCAP_hvm: PVH guests, nothing else */
	o->xen_major = 4;
	o->xen_minor = 17;   /* the ABI its guests see (cpuid's signature leaf says so) */
	snprintf(o->xen_caps, sizeof(o->xen_caps), "hvm-3.0-x86_32 xen-3.0-aarch64");
	snprintf(o->scheduler, sizeof(o->scheduler), "unknown");   /* host threads */
	/* what the simulator was started with (PHYSMAP_SIM_ENGINE), where xl shows Xen's boot options */
	snprintf(o->commandline, sizeof(o->commandline), "x86_engine=%s",
		 engine == PM_SIM_ENGINE_KVM ? "kvm" : "unicorn");
	o->pagesize = 4096;
	return 0;
}

static int sim_create(struct pm_hv *hv, const char *name, uint64_t max_pfn, unsigned int vcpus,
		      const struct pm_hv_arm *arm, uint32_t *domid)
{
	(void)arm;   /* the simulator emulates no GIC */
	struct pm_sim_create c = { .max_pfn = max_pfn, .vcpus = vcpus };
	struct pm_sim_domid r;
	int rc;

	snprintf(c.name, sizeof(c.name), "%s", name);
	rc = sim_call(hv, PM_SIM_CREATE, &c, sizeof(c), &r, sizeof(r), NULL);
	if (!rc)
		*domid = r.domid;
	return rc;
}

static int sim_destroy(struct pm_hv *hv, uint32_t domid)
{
	struct pm_sim_domid d = { domid, 0 };

	return sim_call(hv, PM_SIM_DESTROY, &d, sizeof(d), NULL, 0, NULL);
}

static int sim_rename(struct pm_hv *hv, uint32_t domid, const char *name)
{
	struct pm_sim_rename r = { domid, 0, "" };

	snprintf(r.name, sizeof(r.name), "%s", name);
	return sim_call(hv, PM_SIM_RENAME, &r, sizeof(r), NULL, 0, NULL);
}

static int sim_pause(struct pm_hv *hv, uint32_t domid, int unpause)
{
	struct pm_sim_domid d = { domid, 0 };

	return sim_call(hv, unpause ? PM_SIM_UNPAUSE : PM_SIM_PAUSE, &d, sizeof(d), NULL, 0, NULL);
}

static int sim_resume(struct pm_hv *hv, uint32_t domid)
{
	struct pm_sim_domid d = { domid, 0 };

	return sim_call(hv, PM_SIM_RESUME, &d, sizeof(d), NULL, 0, NULL);
}

static void from_sim(const struct pm_sim_dominfo *s, struct pm_hv_dominfo *i)
{
	i->domid = s->domid;
	i->state = (enum pm_hv_state)s->state;
	memcpy(i->name, s->name, sizeof(i->name));
	i->name[sizeof(i->name) - 1] = 0;
	i->max_pages = s->max_pages;
	i->tot_pages = s->tot_pages;
	i->max_pfn = s->max_pfn;
	i->vcpus = s->vcpus;
	i->shutdown_reason = s->shutdown_reason;
	memcpy(i->why, s->why, sizeof(i->why) < sizeof(s->why) ? sizeof(i->why) : sizeof(s->why));
	i->why[sizeof(i->why) - 1] = 0;
	i->ioreqs = s->ioreqs;
	i->buffered = s->buffered;
	i->notified = s->notified;
	i->execs = s->execs;
	i->cpu_time = s->cpu_time;
	i->vcpus_online = s->online;
	i->blocked = s->online && s->blocked >= s->online;
	i->running = s->state == PM_SIM_RUNNING && !i->blocked && s->online;
}

static int sim_vcpu_set(struct pm_hv *hv, uint32_t domid, unsigned int vcpu,
			const struct pm_hv_vcpu_ctx *ctx)
{
	struct pm_sim_vcpu_ctx c = { .domid = domid, .vcpu = vcpu, .arch = ctx->arch, .pc = ctx->pc,
				     .pstate = ctx->pstate, .cr0 = ctx->cr0 };

	memcpy(c.regs, ctx->regs, sizeof(c.regs));
	return sim_call(hv, PM_SIM_SET_VCPU, &c, sizeof(c), NULL, 0, NULL);
}

static int sim_set_param(struct pm_hv *hv, uint32_t domid, unsigned int index, uint64_t value)
{
	struct pm_sim_param p = { domid, index, value };

	return sim_call(hv, PM_SIM_SET_PARAM, &p, sizeof(p), NULL, 0, NULL);
}

static int sim_set_memory_map(struct pm_hv *hv, uint32_t domid, const struct pm_e820 *map)
{
	struct pm_sim_memory_map m = { .domid = domid, .nr = (uint32_t)map->nr };

	for (size_t i = 0; i < map->nr; i++)
		m.entry[i] = (struct pm_sim_e820){ map->entries[i].addr, map->entries[i].size, map->entries[i].type, 0 };
	return sim_call(hv, PM_SIM_SET_MEMORY_MAP, &m, sizeof(m), NULL, 0, NULL);
}

static int sim_set_actions(struct pm_hv *hv, uint32_t domid, const enum pm_hv_action act[4])
{
	struct pm_sim_actions a = { domid, (uint8_t)act[0], (uint8_t)act[1], (uint8_t)act[2], (uint8_t)act[3] };

	return sim_call(hv, PM_SIM_SET_ACTIONS, &a, sizeof(a), NULL, 0, NULL);
}

static long sim_vcpu_list(struct pm_hv *hv, uint32_t domid, struct pm_hv_vcpuinfo **out)
{
	struct pm_sim_domid d = { domid, 0 };
	struct pm_sim_vcpuinfo *s = pm__malloc(PM_SIM_MAX_PAYLOAD);
	struct pm_hv_vcpuinfo *v = NULL;
	uint32_t got = 0;
	size_t n = 0;
	int rc;

	if (!s)
		return -ENOMEM;
	rc = sim_call(hv, PM_SIM_VCPU_INFO, &d, sizeof(d), s, PM_SIM_MAX_PAYLOAD, &got);
	n = got / sizeof(*s);
	if (!rc && n && !(v = pm__calloc(n, sizeof(*v))))
		rc = -ENOMEM;
	for (size_t i = 0; !rc && i < n; i++) {
		v[i].vcpu = s[i].vcpu;
		v[i].cpu = s[i].cpu;
		v[i].online = s[i].online;
		v[i].running = s[i].running;
		v[i].blocked = s[i].blocked;
		v[i].time = s[i].time;
		memcpy(v[i].hard, s[i].hard, sizeof(v[i].hard));
		memcpy(v[i].soft, s[i].soft, sizeof(v[i].soft));
	}
	free(s);
	if (rc) {
		free(v);
		return rc;
	}
	*out = v;
	return (long)n;
}

static int sim_vcpu_pin(struct pm_hv *hv, uint32_t domid, unsigned int vcpu, const uint64_t *hard,
			const uint64_t *soft)
{
	struct pm_sim_vcpu_pin p = { domid, vcpu, hard != NULL, soft != NULL, { 0 }, { 0 } };

	if (hard)
		memcpy(p.hard, hard, sizeof(p.hard));
	if (soft)
		memcpy(p.soft, soft, sizeof(p.soft));
	return sim_call(hv, PM_SIM_VCPU_PIN, &p, sizeof(p), NULL, 0, NULL);
}

/* the simulator's console ring is its log */
static long sim_console_read(struct pm_hv *hv, bool clear, char **out)
{
	char path[512];
	char *text = NULL;
	size_t len = 0;
	FILE *f, *m;
	int c;

	snprintf(path, sizeof(path), "%s/sim.log", pm_hv_rundir(hv));
	m = open_memstream(&text, &len);
	if (!m)
		return -ENOMEM;
	f = fopen(path, "r");
	while (f && (c = fgetc(f)) != EOF)
		fputc(c, m);
	if (f)
		fclose(f);
	if (fclose(m)) {
		free(text);
		return -ENOMEM;
	}
	if (clear && truncate(path, 0) && errno != ENOENT) {
		free(text);
		return -errno;
	}
	*out = text;
	return (long)len;
}

/* a number sysfs holds for host CPU @cpu (@leaf under its directory), or -1 */
static long cpu_num(unsigned int cpu, const char *leaf)
{
	char path[128];
	long v = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/sys/devices/system/cpu/cpu%u/%s", cpu, leaf);
	if ((f = fopen(path, "r"))) {
		if (fscanf(f, "%ld", &v) != 1)
			v = -1;
		fclose(f);
	}
	return v;
}

/* the host's CPUs, where sysfs places them (the simulator's vCPUs are its threads) */
static long sim_cpu_topology(struct pm_hv *hv, struct pm_hv_cputopo **out)
{
	long conf = sysconf(_SC_NPROCESSORS_CONF);
	unsigned int n = conf > 0 ? (unsigned int)conf : 1;
	struct pm_hv_cputopo *t = pm__calloc(n, sizeof(*t));

	(void)hv;
	if (!t)
		return -ENOMEM;
	for (unsigned int c = 0; c < n; c++) {
		long core = cpu_num(c, "topology/core_id");
		long socket = cpu_num(c, "topology/physical_package_id");

		t[c].valid = core >= 0 && cpu_num(c, "online") != 0;
		t[c].core = core >= 0 ? (unsigned int)core : 0;
		t[c].socket = socket >= 0 ? (unsigned int)socket : 0;
		t[c].node = 0;   /* one node: the frame pool */
	}
	*out = t;
	return n;
}

/* one node: the frame pool, at distance 10 from itself */
static long sim_numa_info(struct pm_hv *hv, struct pm_hv_numa **out)
{
	struct pm_hv_numa *m = pm__calloc(1, sizeof(*m));
	uint64_t total, free_pages;
	int rc = m ? sim_info(hv, &total, &free_pages) : -ENOMEM;

	if (rc) {
		free(m);
		return rc;
	}
	m->valid = true;
	m->size = total * 4096;
	m->free = free_pages * 4096;
	m->nr_dists = 1;
	m->dists[0] = 10;
	*out = m;
	return 1;
}

static long sim_cpupools(struct pm_hv *hv, struct pm_hv_cpupool **out)
{
	struct pm_hv_cpupool *p = pm__calloc(1, sizeof(*p));
	struct pm_sim_info i;
	int rc = p ? sim_call(hv, PM_SIM_INFO, NULL, 0, &i, sizeof(i), NULL) : -ENOMEM;
	cpu_set_t set;

	if (rc) {
		free(p);
		return rc;
	}
	snprintf(p->name, sizeof(p->name), "Pool-0");
	snprintf(p->scheduler, sizeof(p->scheduler), "unknown");   /* host threads */
	CPU_ZERO(&set);
	sched_getaffinity(0, sizeof(set), &set);
	for (unsigned int c = 0; c < 64 * PM_HV_CPUMAP_WORDS && c < CPU_SETSIZE; c++)
		if (CPU_ISSET(c, &set))
			p->cpus[c / 64] |= 1ull << (c % 64);
	p->nr_domains = i.nr_domains;   /* dom0 and every guest */
	p->ratelimit_us = -1;
	*out = p;
	return 1;
}

static int sim_shutdown(struct pm_hv *hv, uint32_t domid, unsigned int reason)
{
	struct pm_sim_shutdown s = { domid, reason };

	return sim_call(hv, PM_SIM_REMOTE_SHUTDOWN, &s, sizeof(s), NULL, 0, NULL);
}

static int sim_getinfo(struct pm_hv *hv, uint32_t domid, struct pm_hv_dominfo *info)
{
	struct pm_sim_domid d = { domid, 0 };
	struct pm_sim_dominfo s;
	int rc = sim_call(hv, PM_SIM_GETINFO, &d, sizeof(d), &s, sizeof(s), NULL);

	if (!rc)
		from_sim(&s, info);
	return rc;
}

static int sim_wait(struct pm_hv *hv, const struct pm_hv_dominfo *seen, unsigned int timeout_ms)
{
	struct pm_sim_wait w = { seen->domid, (uint32_t)seen->state, seen->shutdown_reason, timeout_ms };
	struct pm_sim_dominfo s;
	int rc = sim_call(hv, PM_SIM_WAIT, &w, sizeof(w), &s, sizeof(s), NULL);

	if (rc == -ETIMEDOUT)
		return 0;
	return !rc || rc == -ENOENT ? 1 : rc;
}

static long sim_gone(struct pm_hv *hv, struct pm_hv_gone **out)
{
	size_t cap = PM_SIM_GONE_MAX * sizeof(struct pm_sim_gone), n;
	struct pm_sim_gone *g = pm__malloc(cap);
	struct pm_hv_gone *v = NULL;
	uint32_t got = 0;
	int rc;

	if (!g)
		return -ENOMEM;
	rc = sim_call(hv, PM_SIM_GONE, NULL, 0, g, cap, &got);
	n = got / sizeof(*g);
	if (!rc && n && !(v = pm__calloc(n, sizeof(*v))))
		rc = -ENOMEM;
	for (size_t i = 0; !rc && i < n; i++) {
		v[i].domid = g[i].domid;
		memcpy(v[i].name, g[i].name, sizeof(v[i].name));
		v[i].name[sizeof(v[i].name) - 1] = 0;
	}
	free(g);
	if (rc) {
		free(v);
		return rc;
	}
	*out = v;
	return (long)n;
}

static long sim_list(struct pm_hv *hv, struct pm_hv_dominfo **out)
{
	struct pm_sim_dominfo *s = pm__malloc(PM_SIM_MAX_PAYLOAD);
	struct pm_hv_dominfo *v;
	uint32_t got = 0;
	size_t n;
	int rc;

	*out = NULL;
	if (!s)
		return -ENOMEM;
	rc = sim_call(hv, PM_SIM_LIST, NULL, 0, s, PM_SIM_MAX_PAYLOAD, &got);
	n = got / sizeof(*s);
	v = rc ? NULL : pm__calloc(n ? n : 1, sizeof(*v));
	if (!rc && !v)
		rc = -ENOMEM;
	for (size_t i = 0; !rc && i < n; i++)
		from_sim(&s[i], &v[i]);
	free(s);
	if (rc)
		return rc;
	*out = v;
	return (long)n;
}

static int sim_set_maxmem(struct pm_hv *hv, uint32_t domid, uint64_t max_pages)
{
	struct pm_sim_maxmem m = { domid, 0, max_pages };

	return sim_call(hv, PM_SIM_SET_MAXMEM, &m, sizeof(m), NULL, 0, NULL);
}

static long sim_memory(struct pm_hv *hv, int op, uint32_t domid, uint64_t pfn, uint64_t count)
{
	static const uint32_t ops[] = { PM_SIM_POPULATE, PM_SIM_DECREASE, PM_SIM_SET_IDENTITY };
	struct pm_sim_range r = { domid, 0, pfn, count };
	struct pm_sim_count done;
	int rc = sim_call(hv, ops[op], &r, sizeof(r), &done, sizeof(done), NULL);

	return rc ? rc : (long)done.done;
}

static int sim_p2m_read(struct pm_hv *hv, uint32_t domid, uint64_t pfn, uint64_t count,
			uint64_t *out)
{
	struct pm_sim_range r = { domid, 0, pfn, count };

	return sim_call(hv, PM_SIM_P2M_READ, &r, sizeof(r), out, (uint32_t)(count * sizeof(*out)),
			NULL);
}

static int sim_dirty_log(struct pm_hv *hv, uint32_t domid, bool enable)
{
	struct pm_sim_dirty_log l = { domid, enable };

	return sim_call(hv, PM_SIM_DIRTY_LOG, &l, sizeof(l), NULL, 0, NULL);
}

static long sim_dirty_read(struct pm_hv *hv, uint32_t domid, uint64_t pfn, uint64_t count, bool clean,
			   uint8_t *bitmap)
{
	struct pm_sim_dirty_read r = { domid, clean, pfn, count };
	long n = 0;
	int rc = sim_call(hv, PM_SIM_DIRTY_READ, &r, sizeof(r), bitmap, (uint32_t)((count + 7) / 8), NULL);

	if (rc)
		return rc;
	for (uint64_t i = 0; i < (count + 7) / 8; i++)
		n += __builtin_popcount(bitmap[i]);
	return n;
}

static int sim_vcpu_state(struct pm_hv *hv, uint32_t domid, unsigned int vcpu, struct pm_hv_vcpu_state *st,
			  bool set)
{
	struct pm_sim_vcpu_state w = { .domid = domid, .vcpu = vcpu };
	struct pm_sim_vcpu_id id = { domid, vcpu };
	int rc;

	if (set) {
		if (st->nr > PM_SIM_VCPU_REGS)
			return -EINVAL;
		w.arch = st->arch;
		w.nr = st->nr;
		w.up = st->up;
		memcpy(w.reg, st->reg, sizeof(w.reg));
		return sim_call(hv, PM_SIM_SET_VCPU_STATE, &w, sizeof(w), NULL, 0, NULL);
	}
	rc = sim_call(hv, PM_SIM_GET_VCPU_STATE, &id, sizeof(id), &w, sizeof(w), NULL);
	if (rc)
		return rc;
	st->arch = (enum pm_hv_arch)w.arch;
	st->nr = w.nr;
	st->up = w.up != 0;
	memcpy(st->reg, w.reg, sizeof(st->reg));
	return 0;
}

/* the simulator's consoles: $RUNDIR/console/NAME.log, physmap-dm's input socket beside it */
static int sim_console(struct pm_hv *hv, const struct pm_hv_dominfo *info, struct pm_hv_console *con)
{
	if ((size_t)snprintf(con->log, sizeof(con->log), "%s/console/%s.log", hv->rundir, info->name) >=
	    sizeof(con->log) ||
	    (size_t)snprintf(con->input, sizeof(con->input), "%s/console/%s.sock", hv->rundir, info->name) >=
	    sizeof(con->input))
		return -ENAMETOOLONG;
	return 0;
}

/*
 * EVTCHN_NOTIFY with no reply wanted (protocol 8): sent, not waited for, as
 * a notify is one way on Xen; a port the simulator refuses is said in its
 * log. returns: 0; -errno (the connection broke)
 */
static int notify_one_way(struct pm_hv *hv, const struct pm_sim_evtchn *e)
{
	struct sim_conn *c = hv->priv;
	struct pm_sim_hdr h = { PM_SIM_EVTCHN_NOTIFY, sizeof(*e), ++c->seq, PM_SIM_NO_REPLY };
	struct iovec iov[2] = { { &h, sizeof(h) }, { (void *)e, sizeof(*e) } };
	struct msghdr msg = { .msg_iov = iov, .msg_iovlen = 2 };
	ssize_t r = sendmsg(c->fd, &msg, MSG_NOSIGNAL);

	return r == (ssize_t)(sizeof(h) + sizeof(*e)) ? 0 : r < 0 ? -errno : -EIO;
}

static int sim_evtchn(struct pm_hv *hv, int op, uint32_t domid, uint32_t arg, int *out)
{
	static const uint32_t ops[] = { PM_SIM_EVTCHN_ALLOC, PM_SIM_EVTCHN_BIND, PM_SIM_EVTCHN_NOTIFY,
					PM_SIM_EVTCHN_CLOSE };
	struct pm_sim_evtchn e = { domid, arg }, r;
	int nr = 0, rc;

	if (op == 2)
		return notify_one_way(hv, &e);
	rc = pm__sim_call_fds(hv, ops[op], &e, sizeof(e), -1, &r, sizeof(r), NULL, out, op == 1 ? 1 : 0, &nr);
	if (!rc && op == 0)
		*out = (int)r.arg;
	if (!rc && op == 1 && nr != 1)
		rc = -EPROTO;
	return rc;
}

static int sim_p2m_explain(struct pm_hv *hv, uint32_t domid, uint64_t pfn, struct pm_p2m_path *path)
{
	struct pm_sim_range r = { domid, 0, pfn, 1 };

	return sim_call(hv, PM_SIM_P2M_EXPLAIN, &r, sizeof(r), path, sizeof(*path), NULL);
}

static int sim_p2m_stats(struct pm_hv *hv, uint32_t domid, struct pm_p2m_stats *stats)
{
	struct pm_sim_domid d = { domid, 0 };

	return sim_call(hv, PM_SIM_P2M_STATS, &d, sizeof(d), stats, sizeof(*stats), NULL);
}

static int sim_map_mfns(struct pm_hv *hv, void *addr, const uint64_t *mfns, uint64_t count)
{
	struct sim_conn *c = hv->priv;

	for (uint64_t i = 0; i < count;) {
		uint64_t n = 1;

		/* one mapping per run of contiguous frames */
		while (i + n < count && mfns[i + n] == mfns[i] + n)
			n++;
		if (mmap((char *)addr + i * PAGE, n * PAGE, PROT_READ | PROT_WRITE,
			 MAP_SHARED | MAP_FIXED, c->pool_fd, (off_t)(mfns[i] * PAGE)) == MAP_FAILED)
			return -errno;
		i += n;
	}
	return 0;
}

/* the simulator's maps @h[0 .. n) go */
static void gnt_unmap_handles(struct pm_hv *hv, const uint32_t *h, unsigned int n)
{
	for (unsigned int i = 0; i < n; i++) {
		struct pm_sim_gnt_unmap u = { h[i], 0 };

		sim_call(hv, PM_SIM_GNT_UNMAP, &u, sizeof(u), NULL, 0, NULL);
	}
}

static int sim_grant_map(struct pm_hv *hv, uint32_t domid, const uint32_t *refs, unsigned int count, bool readonly,
			 void **addr)
{
	struct sim_conn *c = hv->priv;
	uint32_t *h = pm__calloc(count, sizeof(*h));
	struct sim_gmap *g = pm__realloc(c->gmaps, (c->nr_gmaps + 1) * sizeof(*g));
	void *area = MAP_FAILED;
	unsigned int done = 0;
	int rc = 0;

	if (g)
		c->gmaps = g;
	if (!h || !g) {
		rc = -ENOMEM;
		goto out;
	}
	area = mmap(NULL, (size_t)count * PAGE, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (area == MAP_FAILED) {
		rc = -errno;
		goto out;
	}
	for (; done < count; done++) {
		struct pm_sim_gnt_map m = { domid, refs[done], readonly, 0 };
		struct pm_sim_gnt_mapped r;

		rc = sim_call(hv, PM_SIM_GNT_MAP, &m, sizeof(m), &r, sizeof(r), NULL);
		if (rc)
			goto out;
		h[done] = r.handle;
		if (mmap((char *)area + (size_t)done * PAGE, PAGE, PROT_READ | (readonly ? 0 : PROT_WRITE),
			 MAP_SHARED | MAP_FIXED, c->pool_fd, (off_t)(r.mfn * PAGE)) == MAP_FAILED) {
			rc = -errno;
			done++;
			goto out;
		}
	}
	c->gmaps[c->nr_gmaps++] = (struct sim_gmap){ area, count, h };
	*addr = area;
	return 0;
out:
	gnt_unmap_handles(hv, h, done);
	if (area != MAP_FAILED)
		munmap(area, (size_t)count * PAGE);
	free(h);
	return rc;
}

static int sim_grant_unmap(struct pm_hv *hv, void *addr, unsigned int count)
{
	struct sim_conn *c = hv->priv;

	for (size_t i = 0; i < c->nr_gmaps; i++) {
		struct sim_gmap g = c->gmaps[i];

		if (g.addr != addr || g.count != count)
			continue;
		munmap(addr, (size_t)count * PAGE);   /* before the frames may go back to the pool */
		gnt_unmap_handles(hv, g.handles, count);
		free(g.handles);
		c->gmaps[i] = c->gmaps[--c->nr_gmaps];
		return 0;
	}
	return -EINVAL;
}

/* frames straight from the pool's memfd: no mapping, no fault per page */
static int sim_send_frames(struct pm_hv *hv, int fd, const uint64_t *mfns, uint64_t count)
{
	struct sim_conn *c = hv->priv;

	for (uint64_t i = 0; i < count;) {
		uint64_t n = 1;
		off_t off;
		size_t left;

		while (i + n < count && mfns[i + n] == mfns[i] + n)
			n++;
		off = (off_t)(mfns[i] * PAGE);
		left = n * PAGE;
		while (left) {
			ssize_t w = sendfile(fd, c->pool_fd, &off, left);

			if (w < 0 && errno == EINTR)
				continue;
			if (w <= 0)
				return w < 0 ? -errno : -EPIPE;
			left -= (size_t)w;
		}
		i += n;
	}
	return 0;
}

static int sim_write_frames(struct pm_hv *hv, const uint64_t *mfns, uint64_t count, const void *data)
{
	struct sim_conn *c = hv->priv;
	const char *p = data;

	for (uint64_t i = 0; i < count;) {
		uint64_t n = 1;
		size_t done = 0;

		while (i + n < count && mfns[i + n] == mfns[i] + n)
			n++;
		while (done < n * PAGE) {
			ssize_t w = pwrite(c->pool_fd, p + done, n * PAGE - done, (off_t)(mfns[i] * PAGE + done));

			if (w < 0 && errno == EINTR)
				continue;
			if (w <= 0)
				return w < 0 ? -errno : -EIO;
			done += (size_t)w;
		}
		p += n * PAGE;
		i += n;
	}
	return 0;
}

const struct pm_hv_ops pm__hv_sim_ops = {
	.name = "sim",
	.open = sim_open,
	.close = sim_close,
	.wait = sim_wait,
	.info = sim_info,
	.fd_limit = sim_fd_limit,
	.create = sim_create,
	.destroy = sim_destroy,
	.rename = sim_rename,
	.pause = sim_pause,
	.resume = sim_resume,
	.getinfo = sim_getinfo,
	.list = sim_list,
	.set_maxmem = sim_set_maxmem,
	.vcpu_set = sim_vcpu_set,
	.set_actions = sim_set_actions,
	.host_info = sim_host_info,
	.shutdown = sim_shutdown,
	.vcpu_list = sim_vcpu_list,
	.vcpu_pin = sim_vcpu_pin,
	.gone = sim_gone,
	.console_read = sim_console_read,
	.cpupools = sim_cpupools,
	.cpu_topology = sim_cpu_topology,
	.numa_info = sim_numa_info,
	.set_param = sim_set_param,
	.set_memory_map = sim_set_memory_map,
	.grant_map = sim_grant_map,
	.grant_unmap = sim_grant_unmap,
	.memory = sim_memory,
	.p2m_read = sim_p2m_read,
	.max_read = PM_SIM_P2M_READ_MAX,
	.dirty_log = sim_dirty_log,
	.dirty_read = sim_dirty_read,
	.max_dirty = PM_SIM_DIRTY_READ_MAX,
	.vcpu_state = sim_vcpu_state,
	.ioreq = &pm__sim_ioreq_ops,
	.console = sim_console,
	.evtchn = sim_evtchn,
	.p2m_explain = sim_p2m_explain,
	.p2m_stats = sim_p2m_stats,
	.map_mfns = sim_map_mfns,
	.send_frames = sim_send_frames,
	.write_frames = sim_write_frames,
};
