/*
 * libphysmap/alloc-internal.h - the allocations the library makes while it
 * builds a domain (configuration, board layout, E820, images, backend),
 * made through these so that a test can fail the Nth of them
 * ($PHYSMAP_ALLOC_FAIL_AT=N: the Nth returns NULL with ENOMEM) and prove
 * that every failure is reported and leaves nothing behind
 * ($PHYSMAP_ALLOC_COUNT_TO=FILE: how many a run made, for the Ns to try).
 */
#ifndef PHYSMAP_ALLOC_INTERNAL_H
#define PHYSMAP_ALLOC_INTERNAL_H

#include <stdarg.h>
#include <stddef.h>

void *pm__malloc(size_t size);
void *pm__calloc(size_t n, size_t size);
void *pm__realloc(void *p, size_t size);
char *pm__strdup(const char *s);
int pm__asprintf(char **out, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int pm__vasprintf(char **out, const char *fmt, va_list ap) __attribute__((format(printf, 2, 0)));

#endif
