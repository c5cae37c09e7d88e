/*
 * tools/sim/domain.c - what every part of the simulator reaches of a
 * domain: found by id; its memory populated, given back (frames a backend
 * still maps wait for the unmap), copied to and from, and the engines
 * told of a change (s->hooks); its console; its shutdown, told to the
 * clients waiting for it; its watchdogs; a vCPU blocked on its events.
 * The bottom of the simulator's core: it reaches the vCPUs' engines only
 * through s->hooks, which sim_init sets.
 */
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <xen/xen.h>
#include <xen/sched.h>

#include "failalloc.h"
#include "ioreq.h"
#include "monotime.h"
#include "sim.h"
#include "vcpu.h"
#include "xs.h"

#define PAGE 4096ull

/* ---- finding, telling ---- */

struct sim_domain *sim_domain_find(struct sim *s, uint32_t domid)
{
	return domid < SIM_MAX_DOMID ? s->by_id[domid] : NULL;
}

void sim_dominfo(const struct sim_domain *d, struct pm_sim_dominfo *i)
{
	memset(i, 0, sizeof(*i));
	i->domid = d->domid;
	i->state = d->state;
	memcpy(i->name, d->name, sizeof(i->name));
	i->max_pages = d->max_pages;
	i->tot_pages = d->tot_pages;
	i->max_pfn = d->max_pfn;
	i->vcpus = d->vcpus;
	i->shutdown_reason = d->shutdown_reason;
	memcpy(i->why, d->why, sizeof(i->why));
	if (d->ioreq) {
		i->ioreqs = d->ioreq->ioreqs;
		i->buffered = d->ioreq->buffered;
		i->notified = d->ioreq->notified;
		i->execs = d->ioreq->execs;
	}
	if (d->domid) {
		i->cpu_time = sim_vcpu_times(d, &i->online);
		i->blocked = __atomic_load_n(&d->blocked, __ATOMIC_RELAXED);
	} else {
		struct timespec t;

		/* dom0 is the simulator: its own loop's time (this thread's) */
		if (!clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t))
			i->cpu_time = (uint64_t)t.tv_sec * 1000000000u + (uint64_t)t.tv_nsec;
		i->online = 1;
	}
}

uint64_t sim_vcpu_times(const struct sim_domain *d, uint32_t *online)
{
	uint64_t ns = 0;

	*online = 0;
	for (uint32_t i = 0; i < d->vcpus; i++) {
		const struct sim_vcpu *v = &d->vcpu[i];
		clockid_t c;
		struct timespec t;

		ns += v->cpu_ns;
		if (v->started ? !v->exited && !v->off : v->ctx_set)
			(*online)++;
		if (v->started && !v->exited && !pthread_getcpuclockid(v->thread, &c) && !clock_gettime(c, &t))
			ns += (uint64_t)t.tv_sec * 1000000000u + (uint64_t)t.tv_nsec;
	}
	return ns;
}

void sim_console(struct sim_domain *d, const void *buf, size_t len)
{
	if (d->console_fd >= 0 && write(d->console_fd, buf, len) < 0)
		return;   /* a full disk loses console output, never the guest */
}

bool sim_suspended(const struct sim_domain *d)
{
	return d->state == PM_SIM_SHUTDOWN && d->shutdown_reason == SHUTDOWN_suspend;
}

void sim_event(struct sim *s, uint32_t domid)
{
	if (domid >= SIM_MAX_DOMID)
		return;
	pthread_mutex_lock(&s->evt_lock);
	s->evt_pending[domid] = 1;
	s->evt_count[domid]++;
	pthread_cond_broadcast(&s->evt_cond);
	pthread_mutex_unlock(&s->evt_lock);
}

void sim_block(struct sim *s, struct sim_domain *d, unsigned int ms)
{
	struct timespec until;
	uint32_t count;

	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += ms / 1000;
	until.tv_nsec += (long)(ms % 1000) * 1000000;
	if (until.tv_nsec >= 1000000000) {
		until.tv_sec++;
		until.tv_nsec -= 1000000000;
	}
	__atomic_add_fetch(&d->blocked, 1, __ATOMIC_RELAXED);
	pthread_mutex_unlock(&s->lock);
	pthread_mutex_lock(&s->evt_lock);
	count = s->evt_count[d->domid];
	/* d->run changes under s->lock; read here, a change is seen at once
	 * (sim_blocked_wake) or at the end of a 10 ms slice */
	while (!s->evt_pending[d->domid] && s->evt_count[d->domid] == count &&
	       __atomic_load_n(&d->run, __ATOMIC_RELAXED) == SIM_RUN_GO) {
		struct timespec slice;

		clock_gettime(CLOCK_REALTIME, &slice);
		if (slice.tv_sec > until.tv_sec || (slice.tv_sec == until.tv_sec && slice.tv_nsec >= until.tv_nsec))
			break;
		slice.tv_nsec += 10000000;
		if (slice.tv_nsec >= 1000000000) {
			slice.tv_sec++;
			slice.tv_nsec -= 1000000000;
		}
		if (slice.tv_sec > until.tv_sec || (slice.tv_sec == until.tv_sec && slice.tv_nsec > until.tv_nsec))
			slice = until;
		pthread_cond_timedwait(&s->evt_cond, &s->evt_lock, &slice);
	}
	s->evt_pending[d->domid] = 0;
	pthread_mutex_unlock(&s->evt_lock);
	pthread_mutex_lock(&s->lock);
	__atomic_sub_fetch(&d->blocked, 1, __ATOMIC_RELAXED);
}

void sim_blocked_wake(struct sim *s)
{
	/* a blocked vCPU reads d->run under evt_lock: before this, or woken by it */
	pthread_mutex_lock(&s->evt_lock);
	pthread_cond_broadcast(&s->evt_cond);
	pthread_mutex_unlock(&s->evt_lock);
}

/* ---- a domain's end, and the clients that wait for it (WAIT) ---- */

static bool stopped(uint32_t state)
{
	return state == PM_SIM_SHUTDOWN || state == PM_SIM_CRASHED;
}

/* whether a waiter that saw (@state, @reason) should hear of @d as it is */
bool sim_waiter_moved(const struct sim_domain *d, uint32_t state, uint32_t reason)
{
	return stopped(d->state) != stopped(state) || (stopped(state) && d->shutdown_reason != reason);
}

static void answer(struct sim *s, struct sim_domain *d, const struct sim_waiter *w, int status)
{
	struct pm_sim_dominfo i;

	if (!s->reply_later)
		return;
	if (status) {
		s->reply_later(s->reply_opaque, w->client, &w->hdr, status, NULL, 0);
		return;
	}
	sim_dominfo(d, &i);
	s->reply_later(s->reply_opaque, w->client, &w->hdr, 0, &i, sizeof(i));
}

/* @d's waiters that should hear of it now answered (all of them, -ENOENT, when @gone) */
void sim_waiters_wake(struct sim *s, struct sim_domain *d, bool gone)
{
	struct sim_waiter **pp = &d->waiters;

	while (*pp) {
		struct sim_waiter *w = *pp;

		if (!gone && !sim_waiter_moved(d, w->state, w->shutdown_reason)) {
			pp = &w->next;
			continue;
		}
		answer(s, d, w, gone ? -ENOENT : 0);
		*pp = w->next;
		free(w);
	}
}

void sim_waiters_expire(struct sim *s)
{
	uint64_t now = sim_mono_ns();

	for (struct sim_domain *d = s->domains; d; d = d->next)
		for (struct sim_waiter **pp = &d->waiters; *pp;) {
			struct sim_waiter *w = *pp;

			if (!w->deadline || w->deadline > now) {
				pp = &w->next;
				continue;
			}
			answer(s, d, w, -ETIMEDOUT);
			*pp = w->next;
			free(w);
		}
}

void sim_shutdown(struct sim *s, struct sim_domain *d, uint32_t reason, const char *why)
{
	char line[PM_SIM_WHY_LEN + 64];
	uint64_t one = 1;

	/* stopped already; but a suspended guest may still crash (its device model went) */
	if (d->state == PM_SIM_CRASHED || (d->state == PM_SIM_SHUTDOWN && !(sim_suspended(d) && why)))
		return;
	d->shutdown_reason = why ? SHUTDOWN_crash : reason;
	d->state = d->shutdown_reason == SHUTDOWN_crash ? PM_SIM_CRASHED : PM_SIM_SHUTDOWN;
	snprintf(d->why, sizeof(d->why), "%s", why ? why : "");
	sim_waiters_wake(s, d, false);
	if (why) {
		int n = snprintf(line, sizeof(line), "\n[physmap-sim] domain %u crashed: %s\n", d->domid, why);

		sim_console(d, line, (size_t)n);
	}
	if (d->shutdown_reason == SHUTDOWN_suspend) {
		/* no action: its vCPUs park where the call returns, for a save or a resume */
		d->run = SIM_RUN_PAUSE;
		pthread_cond_broadcast(&d->wake);
		sim_blocked_wake(s);
		s->hooks->kick(d);
		pm_xs_domain_shutdown(s->xs, d->domid);
		return;
	}
	d->run = SIM_RUN_STOP;
	pthread_cond_broadcast(&d->wake);
	sim_blocked_wake(s);
	s->hooks->kick(d);
	d->act_pending = true;
	if (write(s->wake_fd, &one, sizeof(one)) < 0)
		return;   /* the counter is full: the loop is woken already */
	pm_xs_domain_shutdown(s->xs, d->domid);
}

uint64_t sim_mono_ns(void)
{
	return pm_mono_ns();
}

long sim_watchdog(struct sim_domain *d, uint32_t id, uint32_t timeout)
{
	/* a timeout of 0 on a new one makes it unarmed, as Xen: 1 ns from the epoch is "armed never" */
	uint64_t deadline = timeout ? sim_mono_ns() + (uint64_t)timeout * 1000000000u : 1;

	if (!id) {
		for (unsigned int i = 0; i < SIM_WATCHDOGS; i++)
			if (!d->watchdog[i]) {
				d->watchdog[i] = deadline;
				return (long)i + 1;
			}
		return -EBUSY;
	}
	if (id > SIM_WATCHDOGS || !d->watchdog[id - 1])
		return -EINVAL;
	d->watchdog[id - 1] = timeout ? deadline : 0;
	return 0;
}

void sim_watchdogs_check(struct sim *s)
{
	uint64_t now = sim_mono_ns();

	for (struct sim_domain *d = s->domains; d; d = d->next)
		for (unsigned int i = 0; i < SIM_WATCHDOGS; i++)
			if (d->watchdog[i] > 1 && d->watchdog[i] <= now && d->state == PM_SIM_RUNNING) {
				char line[96];
				int n = snprintf(line, sizeof(line), "\n[physmap-sim] domain %u: watchdog %u fired\n",
						 d->domid, i + 1);

				sim_console(d, line, (size_t)n);
				memset(d->watchdog, 0, sizeof(d->watchdog));
				sim_shutdown(s, d, SHUTDOWN_watchdog, NULL);
				break;
			}
}

/* ---- memory ---- */

int sim_populate(struct sim *s, struct sim_domain *d, uint64_t first, uint64_t count)
{
	struct sim_extent *runs = NULL;
	uint64_t pfn;
	long nruns, i;
	int rc = 0;

	if (d->tot_pages + count > d->max_pages)
		return -ENOSPC;
	for (pfn = first; pfn < first + count;) {
		struct pm_p2m_run run;

		if (pm_p2m_next_run(d->p2m, pfn, &run))
			return -EIO;
		if (run.kind == PM_P2M_RAM || run.kind == PM_P2M_FOREIGN)
			return -EEXIST;
		pfn = run.end;
	}
	nruns = sim_pool_alloc(&s->pool, count, &runs);
	if (nruns < 0)
		return (int)nruns;
	pfn = first;
	for (i = 0; i < nruns; i++) {
		rc = pm_p2m_set_range(d->p2m, pfn, runs[i].start, runs[i].end - runs[i].start);
		if (rc)
			break;
		pfn += runs[i].end - runs[i].start;
	}
	if (rc) {
		/* undo: the P2M back to missing, every frame back to the pool */
		pm_p2m_clear_range(d->p2m, first, pfn);
		for (long k = 0; k < nruns; k++)
			sim_pool_free(&s->pool, runs[k].start, runs[k].end - runs[k].start);
		free(runs);
		return rc;
	}
	free(runs);
	d->tot_pages += count;
	return 0;
}

long sim_decrease(struct sim *s, struct sim_domain *d, uint64_t first, uint64_t count)
{
	long done = 0;

	for (uint64_t pfn = first; pfn < first + count;) {
		struct pm_p2m_run run;
		uint64_t end;
		int rc;

		if (pm_p2m_next_run(d->p2m, pfn, &run))
			return -EIO;
		end = run.end < first + count ? run.end : first + count;
		if (run.kind == PM_P2M_RAM) {
			uint64_t mfn = run.mfn + (pfn - run.start);

			rc = pm_p2m_clear_range(d->p2m, pfn, end);
			if (rc)
				return done ? done : rc;
			sim_frames_free(s, mfn, end - pfn);
			d->tot_pages -= end - pfn;
			done += (long)(end - pfn);
		}
		pfn = end;
	}
	return done;
}

#define SIM_CHANGES_MAX 4096

/* the engines follow the P2M at once (a KVM VM's slots); a domain they cannot follow crashes */
static void engines_follow(struct sim *s, struct sim_domain *d, uint64_t pfn, uint64_t count)
{
	char why[PM_SIM_WHY_LEN];
	int rc = s->hooks->p2m_changed(d, pfn, count);

	if (rc) {
		snprintf(why, sizeof(why), "KVM memory slots for pfns 0x%" PRIx64 "+0x%" PRIx64 ": %s", pfn, count,
			 strerror(-rc));
		sim_shutdown(s, d, SHUTDOWN_crash, why);
	}
}

void sim_changed(struct sim *s, struct sim_domain *d, uint64_t pfn, uint64_t count)
{
	size_t n = (size_t)(d->p2m_gen - d->changes_base);
	struct sim_change *c = NULL;

	if (n < SIM_CHANGES_MAX)
		c = pm_t_realloc(d->changes, (n + 1) * sizeof(*c));
	if (c) {
		d->changes = c;
		c[n] = (struct sim_change){ pfn, count };
		d->p2m_gen++;
	} else {
		/* the log restarts empty; vCPUs behind it remap everything */
		d->p2m_gen++;
		d->changes_base = d->p2m_gen;
	}
	engines_follow(s, d, pfn, count);
	s->hooks->kick(d);
}

void sim_changed_all(struct sim *s, struct sim_domain *d)
{
	d->p2m_gen++;
	d->changes_base = d->p2m_gen;
	engines_follow(s, d, 0, UINT64_MAX);
	s->hooks->kick(d);
}

void sim_frames_free(struct sim *s, uint64_t mfn, uint64_t count)
{
	uint64_t from = mfn;

	for (uint32_t i = 0; i < s->nr_gmaps; i++)
		if (s->gmaps[i].client >= 0 && s->gmaps[i].mfn >= mfn && s->gmaps[i].mfn < mfn + count)
			goto held;
	sim_pool_free(&s->pool, mfn, count);
	return;
held:
	/* frames a backend holds wait for their last unmap; the rest go now */
	for (uint64_t f = mfn; f < mfn + count; f++) {
		bool mapped = false;

		for (uint32_t i = 0; i < s->nr_gmaps; i++)
			if (s->gmaps[i].client >= 0 && s->gmaps[i].mfn == f) {
				s->gmaps[i].orphan = true;
				mapped = true;
			}
		if (!mapped)
			continue;
		if (f > from)
			sim_pool_free(&s->pool, from, f - from);
		from = f + 1;
	}
	if (mfn + count > from)
		sim_pool_free(&s->pool, from, mfn + count - from);
}

int sim_guest_copy(struct sim *s, struct sim_domain *d, uint64_t gpa, void *buf, size_t len,
		   bool to_guest)
{
	char *b = buf;

	if (gpa + len < gpa)
		return -EFAULT;
	while (len) {
		uint64_t pfn = gpa / PAGE, e, off = gpa % PAGE;
		size_t n = PAGE - off < len ? (size_t)(PAGE - off) : len;
		char *frame;

		if (pfn >= d->max_pfn)
			return -EFAULT;
		e = pm_p2m_lookup(d->p2m, pfn);
		if (!sim_p2m_framed(e) || (e & PM_P2M_FRAME_MASK) >= s->pool.total)
			return -EFAULT;
		frame = (char *)s->pool_map + (e & PM_P2M_FRAME_MASK) * PAGE;
		if (to_guest) {
			memcpy(frame + off, b, n);
			sim_dirty_mark(d, pfn);   /* KVM's log sees only the vCPUs' writes */
		} else {
			memcpy(b, frame + off, n);
		}
		b += n;
		gpa += n;
		len -= n;
	}
	return 0;
}
