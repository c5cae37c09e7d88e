/*
 * libphysmap/alloc.c - allocations with fault injection (alloc-internal.h)
 */
#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alloc-internal.h"

static long count;

/* $PHYSMAP_ALLOC_COUNT_TO=FILE: how many allocations the process made, written there as it exits */
static void write_count(void)
{
	FILE *f = fopen(getenv("PHYSMAP_ALLOC_COUNT_TO"), "w");

	if (f) {
		fprintf(f, "%ld\n", __atomic_load_n(&count, __ATOMIC_RELAXED));
		fclose(f);
	}
}

/* whether this allocation is the one $PHYSMAP_ALLOC_FAIL_AT names */
static int injected(void)
{
	static long fail_at = -1;
	long n;

	if (__atomic_load_n(&fail_at, __ATOMIC_RELAXED) < 0) {
		const char *v = getenv("PHYSMAP_ALLOC_FAIL_AT");
		bool counted = getenv("PHYSMAP_ALLOC_COUNT_TO") != NULL;

		if (counted)
			atexit(write_count);
		/* counting alone: an N no process reaches */
		__atomic_store_n(&fail_at, v ? atol(v) : counted ? LONG_MAX : 0, __ATOMIC_RELAXED);
	}
	if (!__atomic_load_n(&fail_at, __ATOMIC_RELAXED))
		return 0;
	n = __atomic_add_fetch(&count, 1, __ATOMIC_RELAXED);
	if (n != fail_at)
		return 0;
	errno = ENOMEM;
	return 1;
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
