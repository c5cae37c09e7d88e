/*
 * tools/pxl/pxl-json.h - the JSON the plugins print (list -j, p2m --json),
 * made by yajl's generator: one object a line, so that a line-oriented
 * reader (grep, sed) finds each object whole
 */
#ifndef PXL_JSON_H
#define PXL_JSON_H

#include <stdbool.h>
#include <stdint.h>

#include <yajl/yajl_gen.h>

/** pxl_json_object - a compact generator with an object opened; NULL without memory */
yajl_gen pxl_json_object(void);

/** pxl_json_str / pxl_json_u64 / pxl_json_null - a key and its value (@v escaped as JSON needs) */
void pxl_json_str(yajl_gen g, const char *key, const char *v);
void pxl_json_u64(yajl_gen g, const char *key, uint64_t v);
void pxl_json_null(yajl_gen g, const char *key);

/** pxl_json_map - a key whose value is an object (closed with pxl_json_end) */
void pxl_json_map(yajl_gen g, const char *key);
void pxl_json_end(yajl_gen g);

/**
 * pxl_json_line - the object closed and printed as an element of an array
 * on stdout: four spaces, the object, a comma unless @last; @g freed.
 * returns: 0; -ENOMEM (@g was NULL or the generator failed: nothing printed)
 */
int pxl_json_line(yajl_gen g, bool last);

#endif
