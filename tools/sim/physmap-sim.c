/*
 * physmap-sim.c - the simulated hypervisor as a process: its protocol
 * socket (docs/specs/sim-protocol.md), its store's socket, and the loop
 * that serves them
 *
 * Started by the library on demand (it holds the run directory's lock):
 * the first process binds the sockets, then forks; the child serves and the
 * parent exits 0, so the sockets exist when the starter sees it exit. It
 * stays while domains exist or clients are connected, and exits one second
 * after the last of both.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "failalloc.h"
#include "opts.h"
#include "unixsock.h"
#include "physmap/config.h"
#include "physmap/size.h"
#include "kvm.h"
#include "vcpu.h"
#include "sim.h"

#define IDLE_EXIT_NS 1000000000ll
#define WATCHDOG_EVERY_NS 100000000ll   /* watchdogs checked this often (the loop wakes at least each 250 ms) */
#define IN_KEEP 4096                    /* a client's request buffer kept between requests, at most */

static const struct pm_opt opts[] = {
	{ "rundir", required_argument, 'r', "DIR", "where the sockets and the log live (default $PHYSMAP_RUNDIR)" },
	{ "host-memory", required_argument, 'm', "SIZE",
	  "the frame pool (default $PHYSMAP_HOST_MEMORY, else half the host's RAM; sparse)" },
	{ "config", required_argument, 'c', "FILE",
	  "settings (default $PHYSMAP_RUNDIR/sim.conf if it exists): host_memory = SIZE" },
	{ "foreground", no_argument, 'f', NULL, "stay in the foreground, log to stderr, never exit when idle" },
	{ "help", no_argument, 'h', NULL, "show this help" },
};
#define NR_OPTS (sizeof(opts) / sizeof(opts[0]))

/* a connection, allocated when it comes (no fixed number of them) */
struct client {
	struct client *prev, *next;
	int fd;
	char *in;        /* header + payload being read */
	uint32_t inlen, incap;
	int in_fd;       /* the fd that came with the request, or -1 */
};

/*
 * The settings file, in xl.cfg's syntax (libxlutil's parser, as every
 * config of the project): host_memory only so far; the command line wins
 * over it. returns: 0; -1 with one line on stderr naming file, line and key
 */
static int read_config(const char *path, bool must_exist, uint64_t *pool_bytes)
{
	static const char *const keys[] = { "host_memory", NULL };
	char *value[1], err[256];
	unsigned int line[1];
	int rc = pm_settings_read(path, keys, value, line, err, sizeof(err));

	if (rc == -ENOENT && !must_exist)
		return 0;
	if (rc) {
		fprintf(stderr, "physmap-sim: %s\n", err[0] ? err : strerror(-rc));
		return -1;
	}
	if (value[0] && (pm_size_parse(value[0], PM_SIZE_M, pool_bytes) || *pool_bytes < (1 << 20))) {
		fprintf(stderr, "physmap-sim: %s:%u: host_memory: \"%s\" is not a size of 1m or more\n", path, line[0],
			value[0]);
		rc = -1;
	}
	free(value[0]);
	return rc;
}

/*
 * the frame pool's default: $PHYSMAP_HOST_MEMORY, else half of the host's
 * RAM in 256 MiB steps (the pool is sparse: a frame costs the host only
 * once a guest writes it, so the share bounds what guests may commit, as
 * Xen's free memory does). returns: 0; -1 (said why)
 */
static int default_pool(uint64_t *bytes)
{
	const char *env = getenv("PHYSMAP_HOST_MEMORY");
	long pages = sysconf(_SC_PHYS_PAGES), size = sysconf(_SC_PAGE_SIZE);

	if (env && *env) {
		if (pm_size_parse(env, PM_SIZE_M, bytes) || *bytes < (1 << 20)) {
			fprintf(stderr, "physmap-sim: PHYSMAP_HOST_MEMORY=%s: not a size of 1m or more\n", env);
			return -1;
		}
		return 0;
	}
	if (pages <= 0 || size <= 0) {
		*bytes = 4ull << 30;   /* a host that does not say: wave 1's fixed size */
		return 0;
	}
	*bytes = (uint64_t)pages * (uint64_t)size / 2 & ~((256ull << 20) - 1);
	if (*bytes < (256ull << 20))
		*bytes = 256ull << 20;
	return 0;
}

static long long now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ll + ts.tv_nsec;
}

/* the whole reply, with its fds (the pool's memfd for HELLO, an ioreq
 * server's for IOREQ_SERVER); false if the client is gone */
static bool send_reply(int fd, const struct pm_sim_hdr *req, int status, const void *payload,
		       uint32_t len, const int *fds, int nr_fds)
{
	struct pm_sim_hdr h = { req->op, len, req->seq, status };
	struct iovec iov[2] = { { &h, sizeof(h) }, { (void *)payload, len } };
	union {
		char buf[CMSG_SPACE(sizeof(int) * SIM_MAX_FDS)];
		struct cmsghdr align;
	} ctl;
	struct msghdr msg = { .msg_iov = iov, .msg_iovlen = len ? 2 : 1 };
	size_t left = sizeof(h) + len;

	if (nr_fds && !status) {
		struct cmsghdr *c;

		memset(&ctl, 0, sizeof(ctl));
		msg.msg_control = ctl.buf;
		msg.msg_controllen = CMSG_SPACE(sizeof(int) * (size_t)nr_fds);
		c = CMSG_FIRSTHDR(&msg);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int) * (size_t)nr_fds);
		memcpy(CMSG_DATA(c), fds, sizeof(int) * (size_t)nr_fds);
	}
	while (left) {
		ssize_t r = sendmsg(fd, &msg, MSG_NOSIGNAL);

		if (r < 0 && errno == EAGAIN) {
			struct pollfd p = { .fd = fd, .events = POLLOUT };

			/* a client that stops reading for a second is dropped */
			if (poll(&p, 1, 1000) <= 0)
				return false;
			continue;
		}
		if (r <= 0)
			return false;
		left -= (size_t)r;
		msg.msg_control = NULL;
		msg.msg_controllen = 0;
		while (r > 0 && msg.msg_iovlen) {
			size_t step = (size_t)r < msg.msg_iov[0].iov_len ? (size_t)r : msg.msg_iov[0].iov_len;

			msg.msg_iov[0].iov_base = (char *)msg.msg_iov[0].iov_base + step;
			msg.msg_iov[0].iov_len -= step;
			r -= (ssize_t)step;
			if (!msg.msg_iov[0].iov_len) {
				msg.msg_iov++;
				msg.msg_iovlen--;
			}
		}
	}
	return true;
}

/* a deferred reply (WAIT), from whichever thread changed the domain (s->lock held) */
static void reply_later(void *opaque, int client, const struct pm_sim_hdr *req, int status, const void *payload,
			uint32_t len)
{
	(void)opaque;
	if (!send_reply(client, req, status, payload, len, NULL, 0))
		shutdown(client, SHUT_RDWR);   /* the loop sees it go */
}

/* reads up to @want bytes of a request, keeping the first fd that comes with them */
static ssize_t recv_some(struct client *c, size_t want)
{
	union {
		char buf[CMSG_SPACE(sizeof(int) * 4)];
		struct cmsghdr align;
	} ctl;
	struct iovec iov = { c->in + c->inlen, want };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl.buf,
			      .msg_controllen = sizeof(ctl.buf) };
	ssize_t r = recvmsg(c->fd, &msg, MSG_CMSG_CLOEXEC | MSG_DONTWAIT);

	for (struct cmsghdr *cm = r >= 0 ? CMSG_FIRSTHDR(&msg) : NULL; cm; cm = CMSG_NXTHDR(&msg, cm)) {
		int n = (int)((cm->cmsg_len - CMSG_LEN(0)) / sizeof(int)), got[4];

		if (cm->cmsg_level != SOL_SOCKET || cm->cmsg_type != SCM_RIGHTS || n > 4)
			continue;
		memcpy(got, CMSG_DATA(cm), sizeof(int) * (size_t)n);
		for (int i = 0; i < n; i++) {
			if (c->in_fd < 0)
				c->in_fd = got[i];
			else
				close(got[i]);
		}
	}
	return r;
}

/* reads what is there; handles a complete request; false when the client is done */
static bool serve(struct sim *s, struct client *c)
{
	struct pm_sim_hdr h;
	uint32_t want = sizeof(h);
	ssize_t r;

	if (c->inlen >= sizeof(h)) {
		memcpy(&h, c->in, sizeof(h));
		want += h.len;
	}
	if (want > c->incap) {
		char *in = pm_t_realloc(c->in, want);

		if (!in) {
			sim_say("client %d: no memory for a request of %u bytes: disconnected", c->fd, want);
			return false;
		}
		c->in = in;
		c->incap = want;
	}
	r = recv_some(c, want - c->inlen);
	if (r == 0 || (r < 0 && errno != EAGAIN && errno != EINTR))
		return false;
	if (r < 0)
		return true;
	c->inlen += (uint32_t)r;
	if (c->inlen < sizeof(h))
		return true;
	memcpy(&h, c->in, sizeof(h));
	if (h.len > PM_SIM_MAX_PAYLOAD) {
		sim_say("client %d: payload of %u bytes: disconnected", c->fd, h.len);
		return false;
	}
	if (c->inlen < sizeof(h) + h.len)
		return true;
	{
		void *out = NULL;
		uint32_t out_len = 0;
		int status, fds[SIM_MAX_FDS], nr_fds = 0;

		pthread_mutex_lock(&s->lock);
		status = sim_handle(s, c->fd, &h, c->in + sizeof(h), &c->in_fd, &out, &out_len, fds, &nr_fds);
		pthread_mutex_unlock(&s->lock);
		if (c->in_fd >= 0)
			close(c->in_fd);
		c->in_fd = -1;
		bool ok;

		if (status < 0 && status != -ENOENT && status != -ENOSYS)
			sim_say("op %u: %s", h.op, strerror(-status));
		/* a one-way notify: the device model goes on without waiting for us;
		 * a WAIT is answered later (reply_later) */
		if ((h.status == PM_SIM_NO_REPLY && h.op == PM_SIM_EVTCHN_NOTIFY) || status == SIM_DEFERRED)
			ok = true;
		else
			ok = send_reply(c->fd, &h, status, out, status ? 0 : out_len, fds, nr_fds);
		free(out);
		c->inlen = 0;
		if (c->incap > IN_KEEP) {   /* an idle connection keeps a small buffer, not its largest request's */
			free(c->in);
			c->in = NULL;
			c->incap = 0;
		}
		return ok;
	}
}

static void *run_store(void *arg)
{
	void **a = arg;
	int rc = pm_xs_run(a[0], *(int *)a[1]);

	if (rc) {
		/* never a simulator without its store, whose clients would wait for ever: it leaves */
		sim_say("the store stopped (%s): exiting", strerror(-rc));
		kill(getpid(), SIGTERM);
	}
	return NULL;
}

/* a new connection on @lfd, watched on @ep; false when the descriptor limit refused it */
static bool accept_client(int ep, int lfd, struct client **list, unsigned int *nc)
{
	int fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
	struct client *c;
	struct epoll_event ev = { .events = EPOLLIN };

	if (fd < 0)
		return errno != EMFILE && errno != ENFILE;
	c = pm_t_calloc(1, sizeof(*c));
	ev.data.ptr = c;
	if (!c || epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev)) {
		sim_say("a connection refused: %s", c ? strerror(errno) : "out of memory");
		free(c);
		close(fd);
		return true;
	}
	c->fd = fd;
	c->in_fd = -1;
	c->next = *list;
	if (*list)
		(*list)->prev = c;
	*list = c;
	(*nc)++;
	return true;
}

/* a connection gone: its domains told (s->lock held), closed, freed */
static void drop_client(struct sim *s, struct client *c, struct client **list, unsigned int *nc)
{
	/* a client's death leaves its domains as they are, but a domain whose
	 * device model it was crashes */
	sim_client_gone(s, c->fd);
	close(c->fd);   /* out of the epoll set with it */
	if (c->in_fd >= 0)
		close(c->in_fd);
	if (c->prev)
		c->prev->next = c->next;
	else
		*list = c->next;
	if (c->next)
		c->next->prev = c->prev;
	free(c->in);
	free(c);
	(*nc)--;
}

/* the tags of the loop's own descriptors in the epoll set (a client's is its struct) */
static char tag_signal, tag_listen, tag_wake;

static int watch(int ep, int fd, void *tag)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.ptr = tag };

	return epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
}

/* what the serving process holds */
struct daemon {
	struct sim s;
	const char *rundir;
	bool foreground;
	char sock[512], store[512];
	int lfd, sfd, ep, spare, stop[2];
	struct client *clients;
	unsigned int nc;
	rlim_t nofile;
	pthread_t store_thread;
	bool store_running;
	void *store_args[2];
};

/* the frame pool's size: the default, sim.conf (or --config), --host-memory. returns: 0; -1 (said why) */
static int pool_size(const char *rundir, const char *config, const char *memory, uint64_t *bytes)
{
	char conf[512];

	if (default_pool(bytes))
		return -1;
	snprintf(conf, sizeof(conf), "%s/sim.conf", rundir);
	if (read_config(config ? config : conf, config != NULL, bytes))
		return -1;
	if (memory && (pm_size_parse(memory, PM_SIZE_B, bytes) || *bytes < (1 << 20))) {
		fprintf(stderr, "physmap-sim: --host-memory %s: not a size of 1m or more\n", memory);
		return -1;
	}
	return 0;
}

/* the simulator made, its sockets bound, signals to a descriptor. returns: 0; -1 (said why) */
static int setup(struct daemon *dm, uint64_t pool_bytes)
{
	char why[256];
	sigset_t sigs;
	int rc;

	snprintf(dm->sock, sizeof(dm->sock), "%s/sim.sock", dm->rundir);
	snprintf(dm->store, sizeof(dm->store), "%s/xenstored.sock", dm->rundir);
	rc = sim_init(&dm->s, pool_bytes / 4096);
	if (rc) {
		fprintf(stderr, "physmap-sim: frame pool of %llu bytes: %s\n",
			(unsigned long long)pool_bytes, strerror(-rc));
		return -1;
	}
	snprintf(dm->s.rundir, sizeof(dm->s.rundir), "%s", dm->rundir);
	dm->s.reply_later = reply_later;
	dm->s.nofile = dm->nofile == RLIM_INFINITY ? 0 : (uint64_t)dm->nofile;
	rc = sim_kvm_open(&dm->s, getenv("PHYSMAP_SIM_ENGINE"), why, sizeof(why));
	if (rc) {
		fprintf(stderr, "physmap-sim: PHYSMAP_SIM_ENGINE=%s: %s\n", getenv("PHYSMAP_SIM_ENGINE"),
			rc == -EINVAL ? "not kvm or unicorn" : why);
		return -1;
	}
	rc = pm_xs_listen(dm->s.xs, dm->store);
	dm->lfd = rc ? rc : pm_listen_unix(dm->sock, 16);
	if (rc || dm->lfd < 0) {
		fprintf(stderr, "physmap-sim: %s: %s\n", rc ? dm->store : dm->sock, strerror(rc ? -rc : -dm->lfd));
		dm->sock[0] = 0;
		dm->lfd = -1;
		return -1;
	}
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGTERM);
	sigaddset(&sigs, SIGINT);
	sigprocmask(SIG_BLOCK, &sigs, NULL);
	signal(SIGPIPE, SIG_IGN);
	dm->sfd = signalfd(-1, &sigs, SFD_CLOEXEC);
	if (dm->sfd < 0 || pipe2(dm->stop, O_CLOEXEC)) {
		fprintf(stderr, "physmap-sim: %s\n", strerror(errno));
		return -1;
	}
	return 0;
}

/* into the background, the output to sim.log: the parent leaves once the sockets are bound. returns: 0; -1 */
static int daemonize(const struct daemon *dm)
{
	char logp[512];
	int logfd, nul;
	pid_t pid;

	snprintf(logp, sizeof(logp), "%s/sim.log", dm->rundir);
	logfd = open(logp, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
	nul = open("/dev/null", O_RDWR);
	if (logfd < 0 || nul < 0) {
		fprintf(stderr, "physmap-sim: %s: %s\n", logp, strerror(errno));
		return -1;
	}
	pid = fork();
	if (pid < 0) {
		fprintf(stderr, "physmap-sim: fork: %s\n", strerror(errno));
		return -1;
	}
	if (pid > 0)
		_exit(0);     /* the sockets are bound: the starter may connect */
	setsid();
	dup2(nul, 0);
	dup2(logfd, 1);
	dup2(logfd, 2);
	close(nul);
	close(logfd);
	return 0;
}

/* the event loop, the store's thread and the timer started. returns: 0; -1 (said why) */
static int start(struct daemon *dm)
{
	/* the epoll set in the process that serves: a signalfd wakes the epoll
	 * sets of the process that registered it, so one made before the fork
	 * never heard the child's SIGTERM (an orphaned simulator spun on) */
	if ((dm->ep = epoll_create1(EPOLL_CLOEXEC)) < 0 || watch(dm->ep, dm->sfd, &tag_signal) ||
	    watch(dm->ep, dm->lfd, &tag_listen) || watch(dm->ep, dm->s.wake_fd, &tag_wake) ||
	    (dm->spare = open("/dev/null", O_RDONLY | O_CLOEXEC)) < 0) {
		sim_say("its event loop: %s", strerror(errno));
		return -1;
	}
	dm->store_args[0] = dm->s.xs;
	dm->store_args[1] = &dm->stop[0];
	if (pthread_create(&dm->store_thread, NULL, run_store, dm->store_args)) {
		sim_say("cannot start the store's thread");
		return -1;
	}
	dm->store_running = true;
	if (sim_time_start(&dm->s)) {
		sim_say("cannot start the timer thread");
		return -1;
	}
	if (sim_engines_start())
		sim_say("cannot start the thread that opens engines ahead: vCPUs open their own");
	sim_say("up: %llu frames, %s, store %s, x86 vCPUs on %s", (unsigned long long)dm->s.pool.total, dm->sock,
		dm->store, sim_kvm_engine(&dm->s));
	return 0;
}

/* a connection come: taken, or (out of descriptors) refused saying why */
static void take_connection(struct daemon *dm)
{
	if (accept_client(dm->ep, dm->lfd, &dm->clients, &dm->nc))
		return;
	/* the descriptor kept for this takes the connection, which is closed at once */
	close(dm->spare);
	dm->spare = accept4(dm->lfd, NULL, NULL, SOCK_CLOEXEC);
	if (dm->spare >= 0)
		close(dm->spare);
	sim_say("a connection refused: the open-files limit (%llu) is reached", (unsigned long long)dm->nofile);
	dm->spare = open("/dev/null", O_RDONLY | O_CLOEXEC);
}

/* serves until signalled, or idle (no domains, no clients) for IDLE_EXIT_NS in the background */
static void serve_loop(struct daemon *dm)
{
	struct sim *s = &dm->s;
	long long idle_since = now_ns(), last_watch = idle_since;

	for (;;) {
		struct epoll_event evs[64];
		int n = epoll_wait(dm->ep, evs, 64, 250);
		bool woken = false, signalled = false;

		if (n < 0 && errno != EINTR)
			break;
		for (int i = 0; i < n; i++) {
			struct client *cl = evs[i].data.ptr;

			if (evs[i].data.ptr == &tag_signal) {
				signalled = true;
			} else if (evs[i].data.ptr == &tag_wake) {
				woken = true;
			} else if (evs[i].data.ptr == &tag_listen) {
				take_connection(dm);
			} else if (!serve(s, cl)) {
				pthread_mutex_lock(&s->lock);
				drop_client(s, cl, &dm->clients, &dm->nc);
				pthread_mutex_unlock(&s->lock);
			}
		}
		if (signalled) {
			sim_say("signalled: exiting");
			return;
		}
		/* watchdogs that ran out stop their guests (at most 250 ms late) */
		if (now_ns() - last_watch >= WATCHDOG_EVERY_NS) {
			last_watch = now_ns();
			pthread_mutex_lock(&s->lock);
			sim_watchdogs_check(s);
			sim_waiters_expire(s);
			pthread_mutex_unlock(&s->lock);
		}
		if (woken) {
			/* guests shut down: on_poweroff, on_reboot, on_crash */
			pthread_mutex_lock(&s->lock);
			sim_act(s);
			pthread_mutex_unlock(&s->lock);
		}
		if (dm->nc || sim_nr_domains(s)) {
			idle_since = now_ns();
		} else if (!dm->foreground && now_ns() - idle_since > IDLE_EXIT_NS) {
			/* the socket goes first: a client connecting from now on
			 * finds none and starts another simulator */
			close(dm->lfd);
			dm->lfd = -1;
			unlink(dm->sock);
			sim_say("no domains, no clients: exiting");
			return;
		}
	}
}

static void teardown(struct daemon *dm)
{
	sim_time_stop(&dm->s);
	sim_engines_stop();
	if (dm->store_running) {
		if (write(dm->stop[1], "x", 1) != 1)
			sim_say("cannot stop the store");
		pthread_join(dm->store_thread, NULL);
	}
	while (dm->clients) {
		struct client *next = dm->clients->next;

		close(dm->clients->fd);
		if (dm->clients->in_fd >= 0)
			close(dm->clients->in_fd);
		free(dm->clients->in);
		free(dm->clients);
		dm->clients = next;
	}
	if (dm->ep >= 0)
		close(dm->ep);
	if (dm->spare >= 0)
		close(dm->spare);
	if (dm->lfd >= 0)
		close(dm->lfd);
	if (dm->sock[0] && dm->lfd >= 0)
		unlink(dm->sock);
	sim_dispose(&dm->s);
	if (dm->sfd >= 0)
		close(dm->sfd);
	if (dm->stop[0] >= 0) {
		close(dm->stop[0]);
		close(dm->stop[1]);
	}
}

int main(int argc, char **argv)
{
	static struct daemon dm = { .s.pool.fd = -1, .lfd = -1, .sfd = -1, .ep = -1, .spare = -1,
				    .stop = { -1, -1 } };
	const char *config = NULL, *memory = NULL;
	struct pm_getopt g = { 0 };
	uint64_t pool_bytes = 0;
	int ret = 1, c;

	dm.rundir = getenv("PHYSMAP_RUNDIR");
	dm.nofile = pm_raise_nofile();
	if (pm_getopt_init(&g, opts, NR_OPTS)) {
		fprintf(stderr, "physmap-sim: out of memory\n");
		return 1;
	}
	while ((c = getopt_long(argc, argv, g.shorts, g.longs, NULL)) != -1) {
		switch (c) {
		case 'r': dm.rundir = optarg; break;
		case 'f': dm.foreground = true; break;
		case 'm': memory = optarg; break;
		case 'c': config = optarg; break;
		case 'h':
			pm_usage(stdout, "physmap-sim", "[options]", opts, NR_OPTS);
			ret = 0;
			goto out;
		default:
			pm_usage(stderr, "physmap-sim", "[options]", opts, NR_OPTS);
			goto out;
		}
	}
	if (!dm.rundir) {
		fprintf(stderr, "physmap-sim: no run directory (--rundir or $PHYSMAP_RUNDIR)\n");
		goto out;
	}
	if (pool_size(dm.rundir, config, memory, &pool_bytes) || setup(&dm, pool_bytes) ||
	    (!dm.foreground && daemonize(&dm)) || start(&dm))
		goto out;
	serve_loop(&dm);
	ret = 0;
out:
	teardown(&dm);
	pm_getopt_dispose(&g);
	return ret;
}
