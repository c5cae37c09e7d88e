/*
 * tools/sim/sim.c - the simulated hypervisor's operations (one per
 * docs/specs/sim-protocol.md op): domains, their memory and P2M
 *
 * Every operation checks its whole request before it changes anything, so
 * an error reply means nothing happened (POPULATE takes its frames first
 * and gives them back if the P2M cannot take them).
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <stdint.h>

#include <xen/xen.h>
#include <xen/sched.h>
#include <xen/hvm/params.h>

#include "failalloc.h"
#include "sim.h"
#include "ioreq.h"
#include "kvm.h"
#include "vcpu.h"

#define PAGE 4096ull

/* the store's rings are frames of the guest: the pool is mapped whole */
/*
 * the store served a ring: the guest's event. The store's thread may not
 * take s->lock, so the port is raised by whoever holds it next: the loop
 * (woken here) or a vCPU of the domain waiting for it (sim_store_events)
 */
static void ring_notify(void *opaque, unsigned int domid, unsigned int evtchn)
{
	struct sim *s = opaque;
	uint64_t one = 1;

	if (domid < SIM_MAX_DOMID) {
		__atomic_store_n(&s->store_kicked[domid], 1, __ATOMIC_SEQ_CST);
		if (write(s->wake_fd, &one, sizeof(one)) < 0 && errno != EAGAIN)
			return;   /* the loop raises it at its next turn all the same */
	}
	sim_event(s, domid);
}

static struct xenstore_domain_interface *map_ring(void *opaque, unsigned int domid,
						  uint64_t mfn, unsigned int evtchn)
{
	struct sim *s = opaque;

	if (mfn >= s->pool.total) {
		errno = EINVAL;
		return NULL;
	}
	/* an INTRODUCE that comes after the domain was destroyed (a build
	 * racing a destroy) must not leave the store reading a freed frame:
	 * the destroy clears this before it tells the store, so either the
	 * introduce fails here or the destroy releases what it made */
	if (domid >= SIM_MAX_DOMID || !__atomic_load_n(&s->alive[domid], __ATOMIC_SEQ_CST)) {
		errno = ENOENT;
		return NULL;
	}
	return (struct xenstore_domain_interface *)((char *)s->pool_map + mfn * PAGE);
}

int sim_init(struct sim *s, uint64_t pages)
{
	static const struct pm_xs_ring_ops ops = { .map_ring = map_ring, .notify = ring_notify };
	struct sim_domain *dom0;
	int rc;

	memset(s, 0, sizeof(*s));
	s->hooks = &sim_engine_hooks;
	s->wake_fd = -1;
	pthread_mutex_init(&s->lock, NULL);
	pthread_mutex_init(&s->evt_lock, NULL);
	pthread_cond_init(&s->evt_cond, NULL);
	s->evt_pending = pm_t_calloc(SIM_MAX_DOMID, 1);
	s->evt_count = pm_t_calloc(SIM_MAX_DOMID, sizeof(*s->evt_count));
	s->store_kicked = pm_t_calloc(SIM_MAX_DOMID, 1);
	s->alive = pm_t_calloc(SIM_MAX_DOMID, 1);
	s->by_id = pm_t_calloc(SIM_MAX_DOMID, sizeof(*s->by_id));
	if (!s->evt_pending || !s->evt_count || !s->store_kicked || !s->alive || !s->by_id)
		return -ENOMEM;
	rc = sim_pool_init(&s->pool, pages);
	if (rc)
		return rc;
	s->wake_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (s->wake_fd < 0) {
		rc = -errno;
		goto fail;
	}
	s->pool_map = mmap(NULL, pages * PAGE, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_NORESERVE,
			   s->pool.fd, 0);
	if (s->pool_map == MAP_FAILED) {
		rc = -errno;
		s->pool_map = NULL;
		goto fail;
	}
	rc = pm_xs_new(&ops, s, &s->xs);
	if (rc)
		goto fail;
	dom0 = pm_t_calloc(1, sizeof(*dom0));
	if (!dom0) {
		rc = -ENOMEM;
		goto fail;
	}
	strcpy(dom0->name, "Domain-0");
	sim_evtchn_init(dom0);
	dom0->vcpus = 1;
	dom0->console_fd = -1;
	pthread_cond_init(&dom0->wake, NULL);
	dom0->state = PM_SIM_RUNNING;
	s->domains = dom0;
	s->by_id[0] = dom0;
	s->next_domid = 1;
	return 0;
fail:
	sim_dispose(s);
	return rc;
}

/* s->lock held (dropped while vCPU threads end) */
static void domain_free(struct sim *s, struct sim_domain *d)
{
	sim_waiters_wake(s, d, true);
	sim_vcpus_stop(s, d);
	sim_kvm_domain_free(d);
	if (d->ioreq && d->ioreq->owner >= 0)
		shutdown(d->ioreq->owner, SHUT_RDWR);   /* its device model hears EOF and leaves; the loop closes it */
	sim_ioreq_free(d->ioreq, d->vcpus);
	free(d->vcpu);
	free(d->changes);
	free(d->dirty);
	free(d->dirty_kvm);
	free(d->e820);
	sim_evtchn_dispose(d);
	sim_gnttab_free(s, d);
	if (d->console_fd >= 0 && d->domid)
		close(d->console_fd);
	pthread_cond_destroy(&d->wake);
	/* every RAM run back to the pool */
	for (uint64_t pfn = 0; d->p2m && pfn < d->max_pfn;) {
		struct pm_p2m_run run;

		if (pm_p2m_next_run(d->p2m, pfn, &run))
			break;
		if (run.kind == PM_P2M_RAM)
			sim_frames_free(s, run.mfn, run.end - run.start);
		pfn = run.end;
	}
	pm_p2m_free(d->p2m);
	free(d);
}

void sim_dispose(struct sim *s)
{
	/* the vCPUs first: they may be in a hypercall that touches the store */
	pthread_mutex_lock(&s->lock);
	for (struct sim_domain *d = s->domains; d; d = d->next)
		sim_vcpus_stop(s, d);
	pthread_mutex_unlock(&s->lock);
	pm_xs_free(s->xs);
	free(s->gone);
	s->gone = NULL;
	free(s->gmaps);
	s->gmaps = NULL;
	s->nr_gmaps = s->cap_gmaps = 0;
	pthread_mutex_lock(&s->lock);
	while (s->domains) {
		struct sim_domain *d = s->domains;

		s->domains = d->next;
		if (s->by_id)
			s->by_id[d->domid] = NULL;
		domain_free(s, d);
	}
	pthread_mutex_unlock(&s->lock);
	if (s->wake_fd >= 0)
		close(s->wake_fd);
	sim_kvm_close(s);
	sim_dirty_dispose(s);
	if (s->pool_map)
		munmap(s->pool_map, s->pool.total * PAGE);
	sim_pool_dispose(&s->pool);
	pthread_mutex_destroy(&s->lock);
	pthread_mutex_destroy(&s->evt_lock);
	pthread_cond_destroy(&s->evt_cond);
	free(s->evt_pending);
	free(s->evt_count);
	free(s->store_kicked);
	free(s->alive);
	free(s->by_id);
	memset(s, 0, sizeof(*s));
	s->pool.fd = -1;
	s->wake_fd = -1;
	pthread_mutex_init(&s->lock, NULL);   /* disposing twice stays safe */
	pthread_mutex_init(&s->evt_lock, NULL);
	pthread_cond_init(&s->evt_cond, NULL);
}

unsigned int sim_nr_domains(const struct sim *s)
{
	return s->nr_domains;
}

/* a guest domain (not dom0) by id */
static int guest(struct sim *s, uint32_t domid, struct sim_domain **out)
{
	*out = sim_domain_find(s, domid);
	if (!*out)
		return -ENOENT;
	return domid ? 0 : -EPERM;
}

static int reply(void **out, uint32_t *out_len, const void *data, size_t len)
{
	*out = pm_t_malloc(len ? len : 1);
	if (!*out)
		return -ENOMEM;
	if (len)
		memcpy(*out, data, len);
	*out_len = (uint32_t)len;
	return 0;
}

/* the console log: $RUNDIR/console/NAME.log, begun afresh */
static int open_console(struct sim *s, struct sim_domain *d, const char *name)
{
	char path[sizeof(s->rundir) + PM_SIM_NAME_LEN + 16];

	if (!s->rundir[0] || strchr(name, '/'))
		return 0;
	snprintf(path, sizeof(path), "%s/console", s->rundir);
	if (mkdir(path, 0700) && errno != EEXIST)
		return -errno;
	snprintf(path, sizeof(path), "%s/console/%s.log", s->rundir, name);
	d->console_fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC, 0600);
	return d->console_fd < 0 ? -errno : 0;
}

static int op_wait(struct sim *s, int client, const struct pm_sim_hdr *hdr, const struct pm_sim_wait *rq,
		   void **out, uint32_t *out_len)
{
	struct sim_domain *d = sim_domain_find(s, rq->domid);
	struct sim_waiter *w;
	struct pm_sim_dominfo i;

	if (!d || !rq->domid)
		return -ENOENT;
	if (sim_waiter_moved(d, rq->state, rq->shutdown_reason)) {
		sim_dominfo(d, &i);
		return reply(out, out_len, &i, sizeof(i));
	}
	w = pm_t_calloc(1, sizeof(*w));
	if (!w)
		return -ENOMEM;
	*w = (struct sim_waiter){ .next = d->waiters, .client = client, .hdr = *hdr, .state = rq->state,
				  .shutdown_reason = rq->shutdown_reason,
				  .deadline = rq->timeout_ms ? sim_mono_ns() + rq->timeout_ms * 1000000ull : 0 };
	d->waiters = w;
	return SIM_DEFERRED;
}

static int op_destroy(struct sim *s, uint32_t domid);

/* the toolstack forgets it (store entries, sockets) when it next asks (GONE) */
static void note_gone(struct sim *s, const struct sim_domain *d)
{
	struct pm_sim_gone *g;

	if (s->nr_gone >= PM_SIM_GONE_MAX)
		return;   /* none has asked for very long: the rest is left to destroy by hand */
	g = pm_t_realloc(s->gone, (s->nr_gone + 1) * sizeof(*g));
	if (!g)
		return;
	s->gone = g;
	g = &s->gone[s->nr_gone++];
	memset(g, 0, sizeof(*g));
	g->domid = d->domid;
	memcpy(g->name, d->name, sizeof(g->name));
}

void sim_act(struct sim *s)
{
	uint64_t n;
	struct sim_domain *d, *next;

	if (read(s->wake_fd, &n, sizeof(n)) < 0 && errno != EAGAIN)
		return;
	sim_store_events(s, NULL);
	for (d = s->domains; d; d = next) {
		uint8_t act;

		next = d->next;
		if (!d->act_pending)
			continue;
		d->act_pending = false;
		/* a soft reset is a reboot in place: kept when a reboot is (for the toolstack) */
		act = d->shutdown_reason == SHUTDOWN_crash	? d->action[2] :
		      d->shutdown_reason == SHUTDOWN_reboot	? d->action[1] :
		      d->shutdown_reason == SHUTDOWN_soft_reset ? d->action[1] :
		      d->shutdown_reason == SHUTDOWN_watchdog	? d->action[3] : d->action[0];
		if (act == PM_SIM_ACT_DESTROY) {
			note_gone(s, d);
			op_destroy(s, d->domid);
		}
		else
			sim_vcpus_stop(s, d);   /* preserved: threads end, memory stays */
	}
}

/*
 * a guest shut down for suspend runs on as Xen's fast xc_domain_resume
 * has it: its SCHEDOP_shutdown returns 1 on vCPU 0 (the suspend was
 * cancelled; its frontends, channels and grants are as they were)
 */
static int op_resume(struct sim *s, struct sim_domain *d)
{
	struct pm_sim_vcpu_state st = { .domid = d->domid, .vcpu = 0 };
	int rc;

	if (!sim_suspended(d))
		return -EINVAL;
	sim_vcpus_pause(s, d);
	rc = sim_vcpu_get_state(d, &st);
	if (rc)
		return rc;
	st.reg[0] = 1;   /* eax, rax or x0: the call's return value */
	rc = sim_vcpu_set_state(d, &st);
	if (rc)
		return rc;
	d->state = PM_SIM_RUNNING;
	d->shutdown_reason = 0;
	sim_waiters_wake(s, d, false);
	pm_xs_domain_resume(s->xs, d->domid);
	return sim_vcpus_run(s, d);
}

/*
 * the descriptors a domain costs the simulator at most: its device model's
 * connections, its eventfds and console log, its monitor's and builders'
 * connections (9 measured), with room for a save's
 */
#define FDS_PER_DOMAIN 24

/* whether another domain's descriptors fit under the open-files limit: -EMFILE (logged) if not */
static int fd_room(struct sim *s, const char *name)
{
	int fd = fcntl(s->wake_fd, F_DUPFD_CLOEXEC, 0);   /* the lowest free: every one below is in use */

	if (fd >= 0)
		close(fd);
	if (!s->nofile || (fd >= 0 && (uint64_t)fd + FDS_PER_DOMAIN <= s->nofile))
		return 0;
	sim_say("create of %s refused: %d descriptors in use, its open-files limit is %llu", name,
		fd >= 0 ? fd : (int)s->nofile, (unsigned long long)s->nofile);
	return -EMFILE;
}

static int op_create(struct sim *s, const struct pm_sim_create *c, void **out, uint32_t *out_len)
{
	struct sim_domain *d, **pp;
	struct pm_sim_domid r = { 0 };
	size_t len = strnlen(c->name, sizeof(c->name));
	int rc;

	if (!len || len == sizeof(c->name) || !c->max_pfn || c->max_pfn > (1ull << 40) ||
	    !c->vcpus || c->vcpus > PM_SIM_MAX_VCPUS)
		return -EINVAL;
	for (d = s->domains; d; d = d->next)
		if (!strcmp(d->name, c->name))
			return -EEXIST;
	if (s->nr_domains >= SIM_MAX_DOMID - 1)
		return -EUSERS;   /* every domid Xen gives a guest taken */
	rc = fd_room(s, c->name);
	if (rc)
		return rc;
	d = pm_t_calloc(1, sizeof(*d));
	if (!d)
		return -ENOMEM;
	d->console_fd = -1;
	d->dirty_owner = d->pauser = -1;
	sim_evtchn_init(d);
	d->vcpus = c->vcpus;
	pthread_cond_init(&d->wake, NULL);
	rc = pm_p2m_create(c->max_pfn, NULL, &d->p2m);
	if (!rc)
		rc = sim_vcpus_alloc(s, d);
	if (!rc)
		rc = open_console(s, d, c->name);
	if (rc) {
		pm_p2m_free(d->p2m);
		free(d->vcpu);
		pthread_cond_destroy(&d->wake);
		free(d);
		return rc;
	}
	d->action[0] = PM_SIM_ACT_DESTROY;
	d->action[1] = PM_SIM_ACT_PRESERVE;
	d->action[2] = PM_SIM_ACT_DESTROY;
	d->action[3] = PM_SIM_ACT_DESTROY;
	/* ids grow; one still in use is skipped */
	while (sim_domain_find(s, s->next_domid) || !s->next_domid || s->next_domid >= SIM_MAX_DOMID)
		s->next_domid = s->next_domid >= SIM_MAX_DOMID ? 1 : s->next_domid + 1;
	d->domid = s->next_domid++;
	memcpy(d->name, c->name, len + 1);
	d->state = PM_SIM_PAUSED;
	d->max_pfn = c->max_pfn;
	d->max_pages = c->max_pfn;
	for (pp = &s->domains; *pp && (*pp)->domid < d->domid; pp = &(*pp)->next)
		;
	d->next = *pp;
	*pp = d;
	s->by_id[d->domid] = d;
	s->nr_domains++;
	__atomic_store_n(&s->alive[d->domid], 1, __ATOMIC_SEQ_CST);
	r.domid = d->domid;
	return reply(out, out_len, &r, sizeof(r));
}

static int op_destroy(struct sim *s, uint32_t domid)
{
	struct sim_domain *d, **pp;
	int rc = guest(s, domid, &d);

	if (rc)
		return rc;
	for (pp = &s->domains; *pp != d; pp = &(*pp)->next)
		;
	*pp = d->next;
	s->by_id[domid] = NULL;
	s->nr_domains--;
	sim_vcpus_stop(s, d);
	__atomic_store_n(&s->alive[domid], 0, __ATOMIC_SEQ_CST);   /* before the store hears (map_ring) */
	pm_xs_domain_destroyed(s->xs, domid);   /* the ring unmapped before its frame goes */
	domain_free(s, d);
	return 0;
}

static int check_range(const struct sim_domain *d, const struct pm_sim_range *r)
{
	if (!r->count || r->pfn + r->count < r->pfn || r->pfn + r->count > d->max_pfn)
		return -ERANGE;
	return 0;
}

/* POPULATE, DECREASE, SET_IDENTITY: the pages (or pfns) done */
static int op_memory(struct sim *s, uint32_t op, const struct pm_sim_range *r, void **out,
		     uint32_t *out_len)
{
	struct pm_sim_count done = { 0 };
	struct sim_domain *d;
	long n;
	int rc = guest(s, r->domid, &d);

	if (rc || (rc = check_range(d, r)))
		return rc;
	if (op == PM_SIM_POPULATE)
		n = (rc = sim_populate(s, d, r->pfn, r->count)) ? rc : (long)r->count;
	else if (op == PM_SIM_DECREASE)
		n = sim_decrease(s, d, r->pfn, r->count);
	else
		n = pm_p2m_set_identity(d->p2m, r->pfn, r->pfn + r->count);
	if (n < 0)
		return (int)n;
	if (op == PM_SIM_SET_IDENTITY)
		sim_changed_all(s, d);
	else
		sim_changed(s, d, r->pfn, r->count);
	done.done = (uint64_t)n;
	return reply(out, out_len, &done, sizeof(done));
}

static int op_p2m_read(struct sim *s, const struct pm_sim_range *r, void **out, uint32_t *out_len)
{
	struct sim_domain *d;
	uint64_t *v;
	int rc = guest(s, r->domid, &d);

	if (rc || (rc = check_range(d, r)))
		return rc;
	if (r->count > PM_SIM_P2M_READ_MAX)
		return -E2BIG;
	v = pm_t_malloc(r->count * sizeof(*v));
	if (!v)
		return -ENOMEM;
	rc = pm_p2m_read_range(d->p2m, r->pfn, r->pfn + r->count, v);
	if (rc) {
		free(v);
		return rc;
	}
	*out = v;
	*out_len = (uint32_t)(r->count * sizeof(*v));
	return 0;
}

static int op_list(struct sim *s, void **out, uint32_t *out_len)
{
	struct pm_sim_dominfo *v;
	size_t n = 0;

	for (struct sim_domain *d = s->domains; d; d = d->next)
		n++;
	v = pm_t_malloc(n * sizeof(*v));
	if (!v)
		return -ENOMEM;
	n = 0;
	for (struct sim_domain *d = s->domains; d; d = d->next)
		sim_dominfo(d, &v[n++]);
	*out = v;
	*out_len = (uint32_t)(n * sizeof(*v));
	return 0;
}

/* the payload size each op requires */
static const uint32_t req_size[PM_SIM_OP_COUNT] = {
	[PM_SIM_HELLO] = 0,
	[PM_SIM_INFO] = 0,
	[PM_SIM_CREATE] = sizeof(struct pm_sim_create),
	[PM_SIM_DESTROY] = sizeof(struct pm_sim_domid),
	[PM_SIM_PAUSE] = sizeof(struct pm_sim_domid),
	[PM_SIM_UNPAUSE] = sizeof(struct pm_sim_domid),
	[PM_SIM_GETINFO] = sizeof(struct pm_sim_domid),
	[PM_SIM_WAIT] = sizeof(struct pm_sim_wait),
	[PM_SIM_LIST] = 0,
	[PM_SIM_SET_MAXMEM] = sizeof(struct pm_sim_maxmem),
	[PM_SIM_POPULATE] = sizeof(struct pm_sim_range),
	[PM_SIM_DECREASE] = sizeof(struct pm_sim_range),
	[PM_SIM_SET_IDENTITY] = sizeof(struct pm_sim_range),
	[PM_SIM_P2M_READ] = sizeof(struct pm_sim_range),
	[PM_SIM_P2M_EXPLAIN] = sizeof(struct pm_sim_range),
	[PM_SIM_P2M_STATS] = sizeof(struct pm_sim_domid),
	[PM_SIM_SET_VCPU] = sizeof(struct pm_sim_vcpu_ctx),
	[PM_SIM_SET_ACTIONS] = sizeof(struct pm_sim_actions),
	[PM_SIM_SET_PARAM] = sizeof(struct pm_sim_param),
	[PM_SIM_IOREQ_SERVER] = sizeof(struct pm_sim_domid),
	[PM_SIM_IOREQ_FDS] = sizeof(struct pm_sim_ioreq_fds),
	[PM_SIM_MAP_IO_RANGE] = sizeof(struct pm_sim_io_range),
	[PM_SIM_COALESCE] = sizeof(struct pm_sim_io_range),
	[PM_SIM_NOTIFIER] = sizeof(struct pm_sim_notifier),
	[PM_SIM_EXEC_MAP] = sizeof(struct pm_sim_exec),
	[PM_SIM_DIRTY_LOG] = sizeof(struct pm_sim_dirty_log),
	[PM_SIM_DIRTY_READ] = sizeof(struct pm_sim_dirty_read),
	[PM_SIM_GET_VCPU_STATE] = sizeof(struct pm_sim_vcpu_id),
	[PM_SIM_SET_VCPU_STATE] = sizeof(struct pm_sim_vcpu_state),
	[PM_SIM_EVTCHN_ALLOC] = sizeof(struct pm_sim_evtchn),
	[PM_SIM_EVTCHN_BIND] = sizeof(struct pm_sim_evtchn),
	[PM_SIM_EVTCHN_NOTIFY] = sizeof(struct pm_sim_evtchn),
	[PM_SIM_EVTCHN_CLOSE] = sizeof(struct pm_sim_evtchn),
	[PM_SIM_RENAME] = sizeof(struct pm_sim_rename),
	[PM_SIM_REMOTE_SHUTDOWN] = sizeof(struct pm_sim_shutdown),
	[PM_SIM_VCPU_INFO] = sizeof(struct pm_sim_domid),
	[PM_SIM_VCPU_PIN] = sizeof(struct pm_sim_vcpu_pin),
	[PM_SIM_SET_MEMORY_MAP] = sizeof(struct pm_sim_memory_map),
	[PM_SIM_GNT_MAP] = sizeof(struct pm_sim_gnt_map),
	[PM_SIM_GNT_UNMAP] = sizeof(struct pm_sim_gnt_unmap),
	[PM_SIM_RESUME] = sizeof(struct pm_sim_domid),
};

void sim_client_gone(struct sim *s, int client)
{
	sim_gnttab_client_gone(s, client);
	for (struct sim_domain *d = s->domains; d; d = d->next) {
		for (struct sim_waiter **pp = &d->waiters; *pp;) {
			struct sim_waiter *w = *pp;

			if (w->client != client) {
				pp = &w->next;
				continue;
			}
			*pp = w->next;   /* nobody to answer */
			free(w);
		}
		if (d->dirty && d->dirty_owner == client) {
			sim_dirty_log(s, d, false);
			if (d->state == PM_SIM_PAUSED && d->pauser == client && !sim_vcpus_run(s, d))
				d->state = PM_SIM_RUNNING;
			else if (sim_suspended(d))
				op_resume(s, d);   /* the save that suspended it died: it runs on, cancelled */
		}
		if (d->pauser == client)
			d->pauser = -1;
		if (!d->ioreq || d->ioreq->owner != client)
			continue;
		sim_ioreq_gone(d->ioreq, d->vcpus);
		d->ioreq->owner = -1;   /* closed: never to be dropped again */
		if (d->state == PM_SIM_RUNNING || d->state == PM_SIM_PAUSED || sim_suspended(d))
			sim_shutdown(s, d, SHUTDOWN_crash, "its device model (physmap-dm) went away");
	}
}

static int op_ioreq_server(struct sim *s, int client, uint32_t domid, void **out, uint32_t *out_len,
			   int *fds, int *nr_fds)
{
	struct pm_sim_ioreq_info info = { 0 };
	struct sim_domain *d;
	int n, rc = guest(s, domid, &d);

	if (rc)
		return rc;
	n = sim_ioreq_create(d, client, fds, SIM_MAX_FDS);
	if (n < 0)
		return n;
	*nr_fds = n;
	info.vcpus = d->vcpus;
	info.buf_slots = PM_SIM_BUF_SLOTS;
	info.buf_offset = d->ioreq->buf_offset;
	return reply(out, out_len, &info, sizeof(info));
}

/* the rest of the vCPUs' descriptors, to the server's owner only */
static int op_ioreq_fds(struct sim *s, int client, const struct pm_sim_ioreq_fds *q, int *fds, int *nr_fds)
{
	struct sim_domain *d;
	int n, rc = guest(s, q->domid, &d);

	if (rc)
		return rc;
	if (!d->ioreq || d->ioreq->owner != client)
		return -EPERM;
	n = sim_ioreq_vcpu_fds(d->ioreq, d->vcpus, q->first, fds, PM_SIM_IOREQ_FDS_MAX);
	if (n < 0)
		return n;
	*nr_fds = n;
	return 0;
}

static int op_evtchn(struct sim *s, uint32_t op, const struct pm_sim_evtchn *e, void **out, uint32_t *out_len,
		     int *fds, int *nr_fds)
{
	struct pm_sim_evtchn r = *e;
	struct sim_domain *d;
	uint32_t local;
	long n;
	int rc = guest(s, e->domid, &d);

	if (rc)
		return rc;
	switch (op) {
	case PM_SIM_EVTCHN_ALLOC:
		if (e->arg >= SIM_MAX_DOMID)
			return -EINVAL;
		n = sim_evtchn_alloc(d, e->arg);
		if (n < 0)
			return (int)n;
		r.arg = (uint32_t)n;
		return reply(out, out_len, &r, sizeof(r));
	case PM_SIM_EVTCHN_BIND:
		rc = sim_evtchn_bind(s, d, e->arg, NULL, &local);
		if (rc)
			return rc;
		fds[0] = d->evtchn[local].fd;
		*nr_fds = 1;
		return 0;
	case PM_SIM_EVTCHN_NOTIFY:
		if (e->arg >= SIM_EVTCHNS || d->evtchn[e->arg].state != SIM_EC_TOOLSTACK)
			return -EINVAL;
		sim_evtchn_raise(s, d, e->arg);
		return 0;
	}
	return e->arg < SIM_EVTCHNS && d->evtchn[e->arg].state != SIM_EC_RESERVED ? sim_evtchn_close(s, d, e->arg)
										    : -EINVAL;
}

static int op_dirty_read(struct sim *s, const struct pm_sim_dirty_read *r, void **out, uint32_t *out_len)
{
	struct sim_domain *d;
	uint8_t *bitmap;
	long n;
	int rc = guest(s, r->domid, &d);

	if (rc)
		return rc;
	if (r->clean > 1 || r->count == 0 || r->count > PM_SIM_DIRTY_READ_MAX)
		return -EINVAL;
	bitmap = pm_t_malloc((size_t)((r->count + 7) / 8));
	if (!bitmap)
		return -ENOMEM;
	n = sim_dirty_read(s, d, r->pfn, r->count, r->clean, bitmap);
	if (n < 0) {
		free(bitmap);
		return (int)n;
	}
	*out = bitmap;
	*out_len = (uint32_t)((r->count + 7) / 8);
	return 0;
}

/* the domain whose device model the connection @client is */
static int served(struct sim *s, int client, uint32_t domid, struct sim_domain **d)
{
	int rc = guest(s, domid, d);

	if (rc)
		return rc;
	if (!(*d)->ioreq || (*d)->ioreq->owner != client)
		return -EPERM;   /* only the server's own connection claims */
	return 0;
}

static int op_map_io(struct sim *s, int client, uint32_t op, const struct pm_sim_io_range *r)
{
	struct sim_domain *d;
	int rc = served(s, client, r->domid, &d);

	if (rc)
		return rc;
	if (op == PM_SIM_COALESCE)
		return sim_ioreq_coalesce(d->ioreq, r->type, r->start, r->end, r->add != 0);
	rc = sim_ioreq_map(d->ioreq, r->type, r->start, r->end, r->add != 0);
	/* inside the P2M identity pfns are MMIO whoever claims them; past it
	 * vCPUs map what is claimed */
	if (!rc && r->type == PM_SIM_IO_MMIO && r->end > d->max_pfn * PAGE) {
		uint64_t a = r->start / PAGE > d->max_pfn ? r->start / PAGE : d->max_pfn;

		sim_changed(s, d, a, (r->end + PAGE - 1) / PAGE - a);
	}
	return rc;
}

static int op_notifier(struct sim *s, int client, const struct pm_sim_notifier *n, int *fds, int *nr_fds)
{
	struct sim_domain *d;
	int rc = served(s, client, n->domid, &d);

	if (!rc)
		rc = sim_ioreq_notifier(d->ioreq, n, &fds[0]);
	if (!rc && n->add)
		*nr_fds = 1;
	return rc;
}

static int op_exec_map(struct sim *s, int client, const struct pm_sim_exec *x, int *in_fd)
{
	struct sim_domain *d;
	int rc = served(s, client, x->domid, &d);

	if (rc)
		return rc;
	rc = sim_ioreq_exec_map(d, x, *in_fd);
	if (!rc)
		sim_changed(s, d, x->start / PAGE, x->size / PAGE);
	return rc;
}

/* one request as sim_handle got it, for the handlers below */
struct req {
	struct sim *s;
	int client;
	const struct pm_sim_hdr *hdr;
	const void *payload;
	int *in_fd;
	void **out;
	uint32_t *out_len;
	int *fds, *nr_fds;
};

/* the guest domain a request names: every request about a domain carries its domid first */
static int req_guest(const struct req *r, struct sim_domain **d)
{
	return guest(r->s, ((const struct pm_sim_domid *)r->payload)->domid, d);
}

static int rq_hello(struct req *r)
{
	struct pm_sim_hello h = { PM_SIM_VERSION, 0, r->s->pool.total };

	r->fds[0] = r->s->pool.fd;
	*r->nr_fds = 1;
	return reply(r->out, r->out_len, &h, sizeof(h));
}

static int rq_info(struct req *r)
{
	struct sim *s = r->s;
	struct pm_sim_info i = { s->pool.total, s->pool.free, sim_nr_domains(s) + 1,
				 s->kvm ? PM_SIM_ENGINE_KVM : PM_SIM_ENGINE_UNICORN,
				 (uint32_t)(s->nofile > UINT32_MAX ? UINT32_MAX : s->nofile), 0 };

	return reply(r->out, r->out_len, &i, sizeof(i));
}

static int rq_create(struct req *r)
{
	return op_create(r->s, r->payload, r->out, r->out_len);
}

static int rq_destroy(struct req *r)
{
	return op_destroy(r->s, ((const struct pm_sim_domid *)r->payload)->domid);
}

static int rq_pause(struct req *r)
{
	struct sim_domain *d;
	int rc = req_guest(r, &d);

	if (rc)
		return rc;
	if (d->state != PM_SIM_RUNNING && d->state != PM_SIM_PAUSED)
		return -EINVAL;
	sim_vcpus_pause(r->s, d);
	d->state = PM_SIM_PAUSED;
	d->pauser = r->client;
	return 0;
}

static int rq_unpause(struct req *r)
{
	struct sim_domain *d;
	int rc = req_guest(r, &d);

	if (rc)
		return rc;
	if (d->state != PM_SIM_RUNNING && d->state != PM_SIM_PAUSED)
		return -EINVAL;
	rc = sim_vcpus_run(r->s, d);
	if (!rc)
		d->state = PM_SIM_RUNNING;
	return rc;
}

static int rq_resume(struct req *r)
{
	struct sim_domain *d;
	int rc = req_guest(r, &d);

	return rc ? rc : op_resume(r->s, d);
}

static int rq_set_vcpu(struct req *r)
{
	struct sim_domain *d;
	int rc = req_guest(r, &d);

	return rc ? rc : sim_vcpu_set_ctx(d, r->payload);
}

static int rq_ioreq_server(struct req *r)
{
	return op_ioreq_server(r->s, r->client, ((const struct pm_sim_domid *)r->payload)->domid, r->out,
			       r->out_len, r->fds, r->nr_fds);
}

static int rq_ioreq_fds(struct req *r)
{
	return op_ioreq_fds(r->s, r->client, r->payload, r->fds, r->nr_fds);
}

static int rq_map_io(struct req *r)
{
	return op_map_io(r->s, r->client, r->hdr->op, r->payload);
}

static int rq_notifier(struct req *r)
{
	return op_notifier(r->s, r->client, r->payload, r->fds, r->nr_fds);
}

static int rq_exec_map(struct req *r)
{
	return op_exec_map(r->s, r->client, r->payload, r->in_fd);
}

static int rq_dirty_log(struct req *r)
{
	const struct pm_sim_dirty_log *l = r->payload;
	struct sim_domain *d;
	int rc = req_guest(r, &d);

	rc = rc ? rc : l->enable > 1 ? -EINVAL : sim_dirty_log(r->s, d, l->enable);
	if (!rc)
		d->dirty_owner = r->client;
	return rc;
}

static int rq_dirty_read(struct req *r)
{
	return op_dirty_read(r->s, r->payload, r->out, r->out_len);
}

static int rq_evtchn(struct req *r)
{
	return op_evtchn(r->s, r->hdr->op, r->payload, r->out, r->out_len, r->fds, r->nr_fds);
}

static int rq_get_vcpu_state(struct req *r)
{
	const struct pm_sim_vcpu_id *vi = r->payload;
	struct pm_sim_vcpu_state st = { .domid = vi->domid, .vcpu = vi->vcpu };
	struct sim_domain *d;
	int rc = req_guest(r, &d);

	if (!rc && sim_suspended(d))
		sim_vcpus_pause(r->s, d);   /* suspended: its vCPUs on their way to park */
	if (!rc)
		rc = sim_vcpu_get_state(d, &st);
	return rc ? rc : reply(r->out, r->out_len, &st, sizeof(st));
}

static int rq_set_vcpu_state(struct req *r)
{
	const struct pm_sim_vcpu_state *st = r->payload;
	struct sim_domain *d;
	int rc = req_guest(r, &d);

	return rc ? rc : st->nr > PM_SIM_VCPU_REGS ? -EINVAL : sim_vcpu_set_state(d, st);
}

static int rq_set_param(struct req *r)
{
	const struct pm_sim_param *p = r->payload;
	struct sim_domain *d;
	int rc = req_guest(r, &d);

	if (!rc && (p->index >= SIM_NR_PARAMS))
		rc = -EINVAL;
	if (rc)
		return rc;
	d->params[p->index] = p->value;
	if (p->index == HVM_PARAM_CONSOLE_PFN || p->index == HVM_PARAM_STORE_PFN)
		sim_gnttab_seed(r->s, d);   /* the reserved entries name them */
	return 0;
}

static int rq_set_actions(struct req *r)
{
	const struct pm_sim_actions *a = r->payload;
	struct sim_domain *d;
	int rc = req_guest(r, &d);

	if (rc)
		return rc;
	if (a->on_poweroff > PM_SIM_ACT_PRESERVE || a->on_reboot > PM_SIM_ACT_PRESERVE ||
	    a->on_crash > PM_SIM_ACT_PRESERVE || a->on_watchdog > PM_SIM_ACT_PRESERVE)
		return -EINVAL;
	d->action[0] = a->on_poweroff;
	d->action[1] = a->on_reboot;
	d->action[2] = a->on_crash;
	d->action[3] = a->on_watchdog;
	return 0;
}

static int rq_vcpu_info(struct req *r)
{
	struct sim_domain *d = sim_domain_find(r->s, ((const struct pm_sim_domid *)r->payload)->domid);
	struct pm_sim_vcpuinfo *vi;

	if (!d)
		return -ENOENT;
	if (!d->vcpus || !d->vcpu)
		return reply(r->out, r->out_len, NULL, 0);   /* dom0: the simulator's, no vCPUs of its own */
	vi = pm_t_calloc(d->vcpus, sizeof(*vi));
	if (!vi)
		return -ENOMEM;
	sim_vcpu_info(d, vi);
	*r->out = vi;
	*r->out_len = (uint32_t)(d->vcpus * sizeof(*vi));
	return 0;
}

static int rq_vcpu_pin(struct req *r)
{
	struct sim_domain *d;
	int rc = req_guest(r, &d);

	return rc ? rc : sim_vcpu_pin(d, r->payload);
}

static int rq_set_memory_map(struct req *r)
{
	const struct pm_sim_memory_map *m = r->payload;
	struct pm_sim_e820 *e = NULL;
	struct sim_domain *d;
	int rc = req_guest(r, &d);

	if (rc)
		return rc;
	if (m->nr > PM_SIM_E820_MAX)
		return -EINVAL;
	if (m->nr && !(e = pm_t_malloc(m->nr * sizeof(*e))))
		return -ENOMEM;
	if (m->nr)
		memcpy(e, m->entry, m->nr * sizeof(*e));
	free(d->e820);
	d->e820 = e;
	d->nr_e820 = m->nr;
	return 0;
}

static int rq_gnt_map(struct req *r)
{
	const struct pm_sim_gnt_map *g = r->payload;
	struct pm_sim_gnt_mapped m = { 0 };
	long h = g->readonly > 1 ? -EINVAL : sim_gnttab_map(r->s, r->client, g->domid, g->ref, g->readonly, &m.mfn);
	int rc;

	if (h < 0)
		return (int)h;
	m.handle = (uint32_t)h;
	rc = reply(r->out, r->out_len, &m, sizeof(m));
	if (rc)
		sim_gnttab_unmap(r->s, r->client, m.handle);
	return rc;
}

static int rq_gnt_unmap(struct req *r)
{
	return sim_gnttab_unmap(r->s, r->client, ((const struct pm_sim_gnt_unmap *)r->payload)->handle);
}

static int rq_gone(struct req *r)
{
	int rc = reply(r->out, r->out_len, r->s->gone, r->s->nr_gone * sizeof(*r->s->gone));

	if (!rc)
		r->s->nr_gone = 0;
	return rc;
}

static int rq_remote_shutdown(struct req *r)
{
	const struct pm_sim_shutdown *sd = r->payload;
	struct sim_domain *d;
	int rc = req_guest(r, &d);

	if (rc)
		return rc;
	if (sd->reason > SHUTDOWN_MAX || sd->reason == SHUTDOWN_suspend)
		return -EINVAL;
	if (d->state == PM_SIM_SHUTDOWN || d->state == PM_SIM_CRASHED)
		return -EALREADY;
	sim_shutdown(r->s, d, sd->reason, NULL);
	return 0;
}

static int rq_wait(struct req *r)
{
	return op_wait(r->s, r->client, r->hdr, r->payload, r->out, r->out_len);
}

static int rq_getinfo(struct req *r)
{
	struct sim_domain *d = sim_domain_find(r->s, ((const struct pm_sim_domid *)r->payload)->domid);
	struct pm_sim_dominfo i;

	if (!d)
		return -ENOENT;
	sim_dominfo(d, &i);
	return reply(r->out, r->out_len, &i, sizeof(i));
}

static int rq_list(struct req *r)
{
	return op_list(r->s, r->out, r->out_len);
}

static int rq_rename(struct req *r)
{
	const struct pm_sim_rename *rn = r->payload;
	size_t len = strnlen(rn->name, sizeof(rn->name));
	struct sim_domain *d;
	int rc = req_guest(r, &d);

	if (rc)
		return rc;
	if (!len || len == sizeof(rn->name))
		return -EINVAL;
	for (struct sim_domain *o = r->s->domains; o; o = o->next)
		if (o != d && !strcmp(o->name, rn->name))
			return -EEXIST;
	memcpy(d->name, rn->name, len + 1);
	return 0;
}

static int rq_set_maxmem(struct req *r)
{
	struct sim_domain *d;
	int rc = req_guest(r, &d);

	if (!rc)
		d->max_pages = ((const struct pm_sim_maxmem *)r->payload)->max_pages;
	return rc;
}

static int rq_memory(struct req *r)
{
	return op_memory(r->s, r->hdr->op, r->payload, r->out, r->out_len);
}

static int rq_p2m_read(struct req *r)
{
	return op_p2m_read(r->s, r->payload, r->out, r->out_len);
}

static int rq_p2m_explain(struct req *r)
{
	const struct pm_sim_range *rg = r->payload;
	struct pm_p2m_path path;
	struct sim_domain *d;
	int rc = req_guest(r, &d);

	if (!rc)
		rc = rg->pfn < d->max_pfn ? pm_p2m_explain(d->p2m, rg->pfn, &path) : -ERANGE;
	return rc ? rc : reply(r->out, r->out_len, &path, sizeof(path));
}

static int rq_p2m_stats(struct req *r)
{
	struct pm_p2m_stats st;
	struct sim_domain *d;
	int rc = req_guest(r, &d);

	if (!rc)
		rc = pm_p2m_stats(d->p2m, &st);
	return rc ? rc : reply(r->out, r->out_len, &st, sizeof(st));
}

/* each operation's handler (docs/specs/sim-protocol.md) */
static int (*const handlers[PM_SIM_OP_COUNT])(struct req *) = {
	[PM_SIM_HELLO] = rq_hello,
	[PM_SIM_INFO] = rq_info,
	[PM_SIM_CREATE] = rq_create,
	[PM_SIM_DESTROY] = rq_destroy,
	[PM_SIM_PAUSE] = rq_pause,
	[PM_SIM_UNPAUSE] = rq_unpause,
	[PM_SIM_RESUME] = rq_resume,
	[PM_SIM_SET_VCPU] = rq_set_vcpu,
	[PM_SIM_IOREQ_SERVER] = rq_ioreq_server,
	[PM_SIM_IOREQ_FDS] = rq_ioreq_fds,
	[PM_SIM_MAP_IO_RANGE] = rq_map_io,
	[PM_SIM_COALESCE] = rq_map_io,
	[PM_SIM_NOTIFIER] = rq_notifier,
	[PM_SIM_EXEC_MAP] = rq_exec_map,
	[PM_SIM_DIRTY_LOG] = rq_dirty_log,
	[PM_SIM_DIRTY_READ] = rq_dirty_read,
	[PM_SIM_EVTCHN_ALLOC] = rq_evtchn,
	[PM_SIM_EVTCHN_BIND] = rq_evtchn,
	[PM_SIM_EVTCHN_NOTIFY] = rq_evtchn,
	[PM_SIM_EVTCHN_CLOSE] = rq_evtchn,
	[PM_SIM_GET_VCPU_STATE] = rq_get_vcpu_state,
	[PM_SIM_SET_VCPU_STATE] = rq_set_vcpu_state,
	[PM_SIM_SET_PARAM] = rq_set_param,
	[PM_SIM_SET_ACTIONS] = rq_set_actions,
	[PM_SIM_VCPU_INFO] = rq_vcpu_info,
	[PM_SIM_VCPU_PIN] = rq_vcpu_pin,
	[PM_SIM_SET_MEMORY_MAP] = rq_set_memory_map,
	[PM_SIM_GNT_MAP] = rq_gnt_map,
	[PM_SIM_GNT_UNMAP] = rq_gnt_unmap,
	[PM_SIM_GONE] = rq_gone,
	[PM_SIM_REMOTE_SHUTDOWN] = rq_remote_shutdown,
	[PM_SIM_WAIT] = rq_wait,
	[PM_SIM_GETINFO] = rq_getinfo,
	[PM_SIM_LIST] = rq_list,
	[PM_SIM_RENAME] = rq_rename,
	[PM_SIM_SET_MAXMEM] = rq_set_maxmem,
	[PM_SIM_POPULATE] = rq_memory,
	[PM_SIM_DECREASE] = rq_memory,
	[PM_SIM_SET_IDENTITY] = rq_memory,
	[PM_SIM_P2M_READ] = rq_p2m_read,
	[PM_SIM_P2M_EXPLAIN] = rq_p2m_explain,
	[PM_SIM_P2M_STATS] = rq_p2m_stats,
};

int sim_handle(struct sim *s, int client, const struct pm_sim_hdr *hdr, const void *payload,
	       int *in_fd, void **out, uint32_t *out_len, int *fds, int *nr_fds)
{
	struct req r = { s, client, hdr, payload, in_fd, out, out_len, fds, nr_fds };

	*out = NULL;
	*out_len = 0;
	*nr_fds = 0;
	if (hdr->op == 0 || hdr->op >= PM_SIM_OP_COUNT || hdr->len != req_size[hdr->op] || !handlers[hdr->op])
		return -EINVAL;
	return handlers[hdr->op](&r);
}
