/*
 * tools/pxl/pxl-json.c - the plugins' JSON through yajl's generator
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "pxl-json.h"

yajl_gen pxl_json_object(void)
{
	yajl_gen g = yajl_gen_alloc(NULL);

	if (g && yajl_gen_map_open(g) != yajl_gen_status_ok) {
		yajl_gen_free(g);
		return NULL;
	}
	return g;
}

static void key(yajl_gen g, const char *k)
{
	yajl_gen_string(g, (const unsigned char *)k, strlen(k));
}

void pxl_json_str(yajl_gen g, const char *k, const char *v)
{
	if (!g)
		return;
	key(g, k);
	yajl_gen_string(g, (const unsigned char *)v, strlen(v));
}

void pxl_json_u64(yajl_gen g, const char *k, uint64_t v)
{
	char n[24];

	if (!g)
		return;
	key(g, k);
	snprintf(n, sizeof(n), "%llu", (unsigned long long)v);   /* past long long too */
	yajl_gen_number(g, n, strlen(n));
}

void pxl_json_null(yajl_gen g, const char *k)
{
	if (!g)
		return;
	key(g, k);
	yajl_gen_null(g);
}

void pxl_json_map(yajl_gen g, const char *k)
{
	if (!g)
		return;
	key(g, k);
	yajl_gen_map_open(g);
}

void pxl_json_end(yajl_gen g)
{
	if (g)
		yajl_gen_map_close(g);
}

int pxl_json_line(yajl_gen g, bool last)
{
	const unsigned char *buf;
	size_t len;
	int rc = -ENOMEM;

	if (g && yajl_gen_map_close(g) == yajl_gen_status_ok &&
	    yajl_gen_get_buf(g, &buf, &len) == yajl_gen_status_ok) {
		printf("    %.*s%s\n", (int)len, (const char *)buf, last ? "" : ",");
		rc = 0;
	}
	if (g)
		yajl_gen_free(g);
	return rc;
}
