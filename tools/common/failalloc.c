/*
 * tools/common/failalloc.c - the daemons' allocations with fault
 * injection (failalloc.h)
 */
#include <stdlib.h>
#include <string.h>

#include "failalloc.h"
#include "failpoint-internal.h"

static void write_count(void);

static struct pm_failpoint fp = { "PHYSMAP_SIM_ALLOC_FAIL_AT", "PHYSMAP_SIM_ALLOC_COUNT_TO", -1, 0, write_count };

static void write_count(void)
{
	pm_failpoint_write(&fp);
}

static bool injected(void)
{
	return pm_failpoint_hit(&fp);
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
