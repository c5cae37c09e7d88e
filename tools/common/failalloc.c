/*
 * tools/common/failalloc.c - the daemons' allocations with fault
 * injection (failalloc.h)
 */
#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "failalloc.h"

static long count;

static void write_count(void)
{
	FILE *f = fopen(getenv("PHYSMAP_SIM_ALLOC_COUNT_TO"), "w");

	if (f) {
		fprintf(f, "%ld\n", __atomic_load_n(&count, __ATOMIC_RELAXED));
		fclose(f);
	}
}

/* whether this allocation is the one $PHYSMAP_SIM_ALLOC_FAIL_AT names */
static bool injected(void)
{
	static long fail_at = -1;

	if (__atomic_load_n(&fail_at, __ATOMIC_RELAXED) < 0) {
		const char *v = getenv("PHYSMAP_SIM_ALLOC_FAIL_AT");
		bool counted = getenv("PHYSMAP_SIM_ALLOC_COUNT_TO") != NULL;

		if (counted)
			atexit(write_count);
		__atomic_store_n(&fail_at, v ? atol(v) : counted ? LONG_MAX : 0, __ATOMIC_RELAXED);
	}
	if (!__atomic_load_n(&fail_at, __ATOMIC_RELAXED) ||
	    __atomic_add_fetch(&count, 1, __ATOMIC_RELAXED) != __atomic_load_n(&fail_at, __ATOMIC_RELAXED))
		return false;
	errno = ENOMEM;
	return true;
}

void *pm_t_malloc(size_t size)
{
	return injected() ? NULL : malloc(size);
}

void *pm_t_calloc(size_t n, size_t size)
{
	return injected() ? NULL : calloc(n, size);
}

void *pm_t_realloc(void *p, size_t size)
{
	return injected() ? NULL : realloc(p, size);
}

char *pm_t_strdup(const char *s)
{
	return injected() ? NULL : strdup(s);
}
