/*
 * tools/sim/time.c - Xen's time for guests: system time, the pvclock in
 * each vcpu_info, the wallclock in the shared info, and the vCPUs'
 * singleshot and periodic timers, which raise VIRQ_TIMER
 *
 * System time is the host's CLOCK_MONOTONIC in ns (Xen's is ns since its
 * boot: the origin is the host's, as for Xen). On KVM the guest's TSC is
 * the host's plus an offset the vCPU learns at its start (time.c's
 * sim_time_tsc), so the pvclock is exact from then on: tsc_timestamp and
 * system_time taken at one instant, the scale from the TSC rate cpuid
 * leaf 0x40000003 gives, TSC_STABLE set. Unicorn's vCPUs have no such
 * TSC: their pvclock stays empty (version 0).
 *
 * One thread (sim_time_start) sleeps until the earliest deadline of any
 * vCPU and raises the timer VIRQ of each that is due; setting a timer
 * wakes it. All of it under s->lock.
 */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <time.h>
#if defined(__x86_64__) || defined(__i386__)
#include <x86intrin.h>
#define HOST_TSC() __rdtsc()
#else
#define HOST_TSC() 0ull   /* no x86 host: no KVM x86 vCPU, tsc_known never set */
#endif

#include <xen/foreign/arm64.h>
#include <xen/foreign/x86_32.h>
#include <xen/foreign/x86_64.h>

#include "monotime.h"
#include "sim.h"
#include "vcpu.h"

#define NS 1000000000ull
#define TSC_STABLE 1u   /* XEN_PVCLOCK_TSC_STABLE_BIT */

/* struct vcpu_time_info as Xen 4.6 and later lay it out, on every architecture */
struct pvclock {
	uint32_t version, pad0;
	uint64_t tsc_timestamp, system_time;
	uint32_t tsc_to_system_mul;
	int8_t tsc_shift;
	uint8_t flags, pad1[2];
};

uint64_t sim_now_ns(void)
{
	return pm_mono_ns();
}

/* Xen's scale for @khz: ns = ((tsc << shift, or >> -shift) * mul) >> 32, mul < 2^32 */
static void scale_of(uint64_t khz, uint32_t *mul, int8_t *shift)
{
	uint64_t hz = khz * 1000;
	int sh = 0;

	while (hz > 2 * NS) {
		hz >>= 1;
		sh--;
	}
	while (hz <= NS) {
		hz <<= 1;
		sh++;
	}
	*mul = (uint32_t)((NS << 32) / hz);
	*shift = (int8_t)sh;
}

void sim_time_tsc(struct sim_vcpu *v, int64_t offset, uint64_t khz)
{
	v->tsc_offset = offset;
	v->tsc_khz = khz;
	v->tsc_known = khz != 0;
}

void sim_time_pvclock(struct sim *s, struct sim_domain *d, uint32_t vcpu)
{
	struct sim_vcpu *v = &d->vcpu[vcpu];
	uint8_t *vi = sim_evtchn_vcpu_info(s, d, vcpu);
	struct pvclock *t;
	uint32_t mul, version;
	int8_t shift;
	uint64_t now, tsc;

	if (!vi || !v->tsc_known)
		return;
	t = (struct pvclock *)(vi + (v->ctx.arch == PM_SIM_ARCH_AARCH64 ? offsetof(struct vcpu_info_arm64, time)
				     : d->shinfo_64 ? offsetof(struct vcpu_info_x86_64, time)
						    : offsetof(struct vcpu_info_x86_32, time)));
	scale_of(v->tsc_khz, &mul, &shift);
	now = sim_now_ns();
	tsc = HOST_TSC() + (uint64_t)v->tsc_offset;
	version = __atomic_load_n(&t->version, __ATOMIC_RELAXED);
	__atomic_store_n(&t->version, (version | 1) + 0, __ATOMIC_SEQ_CST);   /* odd: being written */
	t->tsc_timestamp = tsc;
	t->system_time = now;
	t->tsc_to_system_mul = mul;
	t->tsc_shift = shift;
	t->flags = TSC_STABLE;
	__atomic_store_n(&t->version, (version | 1) + 1, __ATOMIC_SEQ_CST);
}

void sim_time_shared_info(struct sim *s, struct sim_domain *d)
{
	uint8_t *si = sim_evtchn_shared_info_ptr(s, d);
	struct timespec rt;
	uint64_t boot;
	size_t ver, sec, nsec, hi = 0;

	if (!si)
		return;
	if (d->vcpu && d->vcpu[0].ctx.arch == PM_SIM_ARCH_AARCH64) {
		ver = offsetof(struct shared_info_arm64, wc_version), sec = offsetof(struct shared_info_arm64, wc_sec);
		nsec = offsetof(struct shared_info_arm64, wc_nsec), hi = offsetof(struct shared_info_arm64, wc_sec_hi);
	} else if (d->shinfo_64) {
		ver = offsetof(struct shared_info_x86_64, wc_version), sec = offsetof(struct shared_info_x86_64, wc_sec);
		nsec = offsetof(struct shared_info_x86_64, wc_nsec), hi = offsetof(struct shared_info_x86_64, wc_sec_hi);
	} else {   /* i386's wc_sec_hi is in its arch part: left 0 */
		ver = offsetof(struct shared_info_x86_32, wc_version), sec = offsetof(struct shared_info_x86_32, wc_sec);
		nsec = offsetof(struct shared_info_x86_32, wc_nsec);
	}
	/* the wallclock at system time 0: now's less the system time */
	clock_gettime(CLOCK_REALTIME, &rt);
	boot = (uint64_t)rt.tv_sec * NS + (uint64_t)rt.tv_nsec - sim_now_ns();
	{
		uint32_t *w = (uint32_t *)(si + ver), n = __atomic_load_n(w, __ATOMIC_RELAXED);

		__atomic_store_n(w, (n | 1), __ATOMIC_SEQ_CST);
		*(uint32_t *)(si + sec) = (uint32_t)(boot / NS);
		*(uint32_t *)(si + nsec) = (uint32_t)(boot % NS);
		if (hi)
			*(uint32_t *)(si + hi) = (uint32_t)(boot / NS >> 32);
		__atomic_store_n(w, (n | 1) + 1, __ATOMIC_SEQ_CST);
	}
	for (uint32_t i = 0; i < d->vcpus; i++)
		sim_time_pvclock(s, d, i);
}

/* ---- timers ---- */

/* raises @v's VIRQ_TIMER, if bound */
static void fire(struct sim *s, struct sim_vcpu *v)
{
	if (v->virq[0])
		sim_evtchn_raise(s, v->d, v->virq[0]);
}

void sim_time_set(struct sim *s, struct sim_vcpu *v, uint64_t singleshot, uint64_t period)
{
	v->timer_ns = singleshot;
	if (period != v->period_ns) {
		v->period_ns = period;
		v->period_next = period ? sim_now_ns() + period : 0;
	}
	pthread_cond_signal(&s->timer_cond);
}

static void *timer_thread(void *arg)
{
	struct sim *s = arg;

	pthread_mutex_lock(&s->lock);
	while (!s->timer_stop) {
		uint64_t now = sim_now_ns(), next = UINT64_MAX;
		struct timespec until;

		for (struct sim_domain *d = s->domains; d; d = d->next)
			for (uint32_t i = 0; d->vcpu && i < d->vcpus; i++) {
				struct sim_vcpu *v = &d->vcpu[i];

				if (v->timer_ns && v->timer_ns <= now) {
					v->timer_ns = 0;
					fire(s, v);
				}
				if (v->period_ns && v->period_next <= now) {
					/* missed periods are one event, as Xen counts them */
					v->period_next += ((now - v->period_next) / v->period_ns + 1) * v->period_ns;
					fire(s, v);
				}
				if (v->timer_ns && v->timer_ns < next)
					next = v->timer_ns;
				if (v->period_ns && v->period_next < next)
					next = v->period_next;
			}
		if (next == UINT64_MAX)
			next = now + NS;   /* nothing set: look again in a second */
		until.tv_sec = (time_t)(next / NS);
		until.tv_nsec = (long)(next % NS);
		pthread_cond_timedwait(&s->timer_cond, &s->lock, &until);
	}
	pthread_mutex_unlock(&s->lock);
	return NULL;
}

int sim_time_start(struct sim *s)
{
	pthread_condattr_t a;
	int rc;

	pthread_condattr_init(&a);
	pthread_condattr_setclock(&a, CLOCK_MONOTONIC);
	rc = -pthread_cond_init(&s->timer_cond, &a);
	pthread_condattr_destroy(&a);
	if (rc)
		return rc;
	s->timer_stop = false;
	rc = -pthread_create(&s->timer_thread, NULL, timer_thread, s);
	if (rc) {
		pthread_cond_destroy(&s->timer_cond);
		return rc;
	}
	s->timer_running = true;
	return 0;
}

void sim_time_stop(struct sim *s)
{
	if (!s->timer_running)
		return;
	pthread_mutex_lock(&s->lock);
	s->timer_stop = true;
	pthread_cond_signal(&s->timer_cond);
	pthread_mutex_unlock(&s->lock);
	pthread_join(s->timer_thread, NULL);
	pthread_cond_destroy(&s->timer_cond);
	s->timer_running = false;
}
