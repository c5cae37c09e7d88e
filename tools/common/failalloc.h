/*
 * tools/common/failalloc.h - the daemons' allocations (physmap-sim and its
 * store), made through these so that a test can fail the Nth of them
 * ($PHYSMAP_SIM_ALLOC_FAIL_AT=N: the Nth returns NULL with ENOMEM) and
 * prove that every failure is answered and leaves nothing behind;
 * $PHYSMAP_SIM_ALLOC_COUNT_TO=FILE writes how many a run made as it exits.
 * libphysmap has its own (PHYSMAP_ALLOC_FAIL_AT, alloc-internal.h).
 */
#ifndef PHYSMAP_FAILALLOC_H
#define PHYSMAP_FAILALLOC_H

#include <stddef.h>

void *pm_t_malloc(size_t size);
void *pm_t_calloc(size_t n, size_t size);
void *pm_t_realloc(void *p, size_t size);
char *pm_t_strdup(const char *s);

#endif
