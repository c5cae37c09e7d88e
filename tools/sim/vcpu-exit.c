/*
 * tools/sim/vcpu-exit.c - how a vCPU thread leaves its engine's run: a
 * Unicorn vCPU at the end of an instruction, when the domain asks it to
 * look again (sim_vcpu_leave), and either engine's thread at its end
 * (sim_vcpu_thread_end). Under the engines, which vcpu.c runs.
 */
#include <pthread.h>
#include <time.h>

#include "sim.h"
#include "vcpu.h"

uint64_t sim_vcpu_leave(struct sim_vcpu *v, uint64_t next, uint64_t exit_pc)
{
	bool leave;

	pthread_mutex_lock(&v->s->lock);
	leave = v->stop_why[0] || v->off || v->d->run != SIM_RUN_GO || v->mapped_gen != v->d->p2m_gen;
	pthread_mutex_unlock(&v->s->lock);
	if (!leave)
		return next;
	v->exiting = true;
	v->resume_pc = next;
	return exit_pc;
}

void sim_vcpu_thread_end(struct sim_vcpu *v)
{
	struct timespec t;

	if (!clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t))
		v->cpu_ns += (uint64_t)t.tv_sec * 1000000000u + (uint64_t)t.tv_nsec;
	v->exited = true;
	pthread_cond_broadcast(&v->d->wake);
	pthread_mutex_unlock(&v->s->lock);
}
