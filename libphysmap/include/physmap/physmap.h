/*
 * physmap/physmap.h - the libphysmap umbrella header
 *
 * Conventions of every libphysmap function (docs/HACKING.md):
 *   - success is 0 or a non-negative value, failure a negative errno;
 *   - the library never prints and never exits;
 *   - intervals are [start, end); an inclusive end is called "last";
 *   - whatever the library allocates has a named free function.
 */
#ifndef PHYSMAP_PHYSMAP_H
#define PHYSMAP_PHYSMAP_H

#include <physmap/size.h>
#include <physmap/p2m.h>
#include <physmap/e820.h>

#ifdef __cplusplus
extern "C" {
#endif

/**
 * pm_version - the library's version string ("0.1.0")
 * returns: a static string, never NULL; the caller does not free it.
 */
const char *pm_version(void);

#ifdef __cplusplus
}
#endif

#endif /* PHYSMAP_PHYSMAP_H */
