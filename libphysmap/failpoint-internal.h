/*
 * libphysmap/failpoint-internal.h - the one way the project fails its Nth
 * allocation on purpose: libphysmap (PHYSMAP_ALLOC_FAIL_AT,
 * alloc-internal.h) and the simulator with its store
 * (PHYSMAP_SIM_ALLOC_FAIL_AT, tools/common/failalloc.h) each keep a
 * struct pm_failpoint naming their variables. FAIL_AT=N fails the Nth
 * allocation (NULL, errno ENOMEM); COUNT_TO=FILE writes how many a run
 * made as the process exits, for the Ns a test tries.
 */
#ifndef PHYSMAP_FAILPOINT_INTERNAL_H
#define PHYSMAP_FAILPOINT_INTERNAL_H

#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>

struct pm_failpoint {
	const char *fail_env, *count_env;
	long fail_at;            /* -1 until the environment is read; 0: never */
	long count;
	void (*at_exit)(void);   /* writes the count (pm_failpoint_write) */
};

/* the count, written to $count_env's file; call it from @fp's at_exit */
static inline void pm_failpoint_write(struct pm_failpoint *fp)
{
	FILE *f = fopen(getenv(fp->count_env), "w");

	if (f) {
		fprintf(f, "%ld\n", __atomic_load_n(&fp->count, __ATOMIC_RELAXED));
		fclose(f);
	}
}

/* whether this allocation is the one to fail */
static inline bool pm_failpoint_hit(struct pm_failpoint *fp)
{
	long at = __atomic_load_n(&fp->fail_at, __ATOMIC_RELAXED);

	if (at < 0) {
		const char *v = getenv(fp->fail_env);
		bool counted = getenv(fp->count_env) != NULL;

		if (counted)
			atexit(fp->at_exit);
		/* counting alone: an N no run reaches */
		at = v ? atol(v) : counted ? LONG_MAX : 0;
		__atomic_store_n(&fp->fail_at, at, __ATOMIC_RELAXED);
	}
	if (!at || __atomic_add_fetch(&fp->count, 1, __ATOMIC_RELAXED) != at)
		return false;
	errno = ENOMEM;
	return true;
}

#endif
