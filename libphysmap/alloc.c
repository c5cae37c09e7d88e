/*
 * libphysmap/alloc.c - allocations with fault injection (alloc-internal.h)
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alloc-internal.h"
#include "failpoint-internal.h"

static void write_count(void);

static struct pm_failpoint fp = { "PHYSMAP_ALLOC_FAIL_AT", "PHYSMAP_ALLOC_COUNT_TO", -1, 0, write_count };

static void write_count(void)
{
	pm_failpoint_write(&fp);
}

static int injected(void)
{
	return pm_failpoint_hit(&fp);
}

void *pm__malloc(size_t size)
{
	return injected() ? NULL : malloc(size);
}

void *pm__calloc(size_t n, size_t size)
{
	return injected() ? NULL : calloc(n, size);
}

void *pm__realloc(void *p, size_t size)
{
	return injected() ? NULL : realloc(p, size);
}

char *pm__strdup(const char *s)
{
	return injected() ? NULL : strdup(s);
}

int pm__vasprintf(char **out, const char *fmt, va_list ap)
{
	if (injected()) {
		*out = NULL;
		return -1;
	}
	return vasprintf(out, fmt, ap);
}

int pm__asprintf(char **out, const char *fmt, ...)
{
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = pm__vasprintf(out, fmt, ap);
	va_end(ap);
	return r;
}
