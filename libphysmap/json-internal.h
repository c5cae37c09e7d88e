/*
 * json-internal.h - JSON helpers shared inside libphysmap (yajl)
 */
#ifndef PHYSMAP_JSON_INTERNAL_H
#define PHYSMAP_JSON_INTERNAL_H

#include <stdint.h>

#include <yajl/yajl_gen.h>

#include "physmap/e820.h"

/**
 * pm__e820_gen - write @map as a JSON array into @g (pm_e820_json's format)
 * returns: 0, or -ENOMEM if yajl failed
 */
int pm__e820_gen(yajl_gen g, const struct pm_e820 *map);

/**
 * pm__json_hex - write @v as a "0x..." string (the hex-string convention of
 * every physmap JSON format)
 * returns: yajl's status
 */
int pm__json_hex(yajl_gen g, uint64_t v);

/**
 * pm__json_take - copy what @g generated into a NUL-terminated malloc'ed
 * string
 * returns: its length, or -ENOMEM
 */
long pm__json_take(yajl_gen g, char **out);

#endif
