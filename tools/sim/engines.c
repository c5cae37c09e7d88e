/*
 * tools/sim/engines.c - Unicorn engines opened ahead of the vCPUs that take
 * them
 *
 * Unicorn sets an engine up lazily, at its first use after uc_open: its
 * CPU, its translator, its view of memory. That cost 0.5 to 7 ms here,
 * paid under the simulator's lock when a domain's first unpause starts
 * its vCPUs, which makes it part of a migration's downtime. One thread
 * keeps one engine of each kind (arm64, 32-bit x86) set up and waiting;
 * a vCPU takes the waiting one and the thread opens the next behind it.
 * An engine of a kind none waits for is opened on the spot, as before.
 *
 * The simulator runs one instance per process: the spares are the
 * process's. An engine is used by one thread at a time (its owner's), so
 * one set up on the spare thread runs on a vCPU's thread unchanged.
 */
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "vcpu.h"

static const struct kind {
	uc_arch arch;
	uc_mode mode;
	int reg;              /* one register to read: Unicorn's first use */
} kinds[] = {
	{ UC_ARCH_ARM64, UC_MODE_ARM, UC_ARM64_REG_X0 },
	{ UC_ARCH_X86, UC_MODE_32, UC_X86_REG_EAX },
};

#define NR_KINDS (sizeof(kinds) / sizeof(kinds[0]))

static struct {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	pthread_t thread;
	bool running, stop;
	bool failed[NR_KINDS];     /* opening one failed: not tried again */
	uc_engine *spare[NR_KINDS];
} sp = { .lock = PTHREAD_MUTEX_INITIALIZER, .cond = PTHREAD_COND_INITIALIZER };

/* an engine of kind @k, set up; NULL if Unicorn cannot open one */
static uc_engine *open_ready(size_t k)
{
	uc_engine *uc;
	uint64_t x = 0;

	if (uc_open(kinds[k].arch, kinds[k].mode, &uc) != UC_ERR_OK)
		return NULL;
	if (uc_reg_read(uc, kinds[k].reg, &x) != UC_ERR_OK) {
		uc_close(uc);
		return NULL;
	}
	return uc;
}

/* the kind that waits for its spare, or NR_KINDS (sp.lock held) */
static size_t missing(void)
{
	for (size_t k = 0; k < NR_KINDS; k++)
		if (!sp.spare[k] && !sp.failed[k])
			return k;
	return NR_KINDS;
}

static void *spare_thread(void *arg)
{
	(void)arg;
	pthread_mutex_lock(&sp.lock);
	while (!sp.stop) {
		size_t k = missing();
		uc_engine *uc;

		if (k == NR_KINDS) {
			pthread_cond_wait(&sp.cond, &sp.lock);
			continue;
		}
		pthread_mutex_unlock(&sp.lock);
		uc = open_ready(k);
		pthread_mutex_lock(&sp.lock);
		if (!uc)
			sp.failed[k] = true;
		else if (sp.stop)
			uc_close(uc);
		else
			sp.spare[k] = uc;
	}
	pthread_mutex_unlock(&sp.lock);
	return NULL;
}

int sim_engines_start(void)
{
	int rc;

	pthread_mutex_lock(&sp.lock);
	sp.stop = false;
	rc = sp.running ? 0 : -pthread_create(&sp.thread, NULL, spare_thread, NULL);
	if (!rc)
		sp.running = true;
	pthread_mutex_unlock(&sp.lock);
	return rc;
}

void sim_engines_stop(void)
{
	bool joined;

	pthread_mutex_lock(&sp.lock);
	sp.stop = true;
	joined = sp.running;
	sp.running = false;
	pthread_cond_broadcast(&sp.cond);
	pthread_mutex_unlock(&sp.lock);
	if (joined)
		pthread_join(sp.thread, NULL);
	for (size_t k = 0; k < NR_KINDS; k++) {
		if (sp.spare[k])
			uc_close(sp.spare[k]);
		sp.spare[k] = NULL;
	}
}

int sim_engine_open(uc_arch arch, uc_mode mode, uc_engine **uc)
{
	size_t k;

	for (k = 0; k < NR_KINDS; k++)
		if (kinds[k].arch == arch && kinds[k].mode == mode)
			break;
	*uc = NULL;
	if (k < NR_KINDS) {
		pthread_mutex_lock(&sp.lock);
		*uc = sp.spare[k];
		sp.spare[k] = NULL;
		if (*uc)
			pthread_cond_broadcast(&sp.cond);   /* the next one, behind it */
		pthread_mutex_unlock(&sp.lock);
	}
	if (!*uc && uc_open(arch, mode, uc) != UC_ERR_OK) {
		*uc = NULL;
		return -ENOMEM;
	}
	return 0;
}
