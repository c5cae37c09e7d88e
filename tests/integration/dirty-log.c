/*
 * tests/integration/dirty-log.c - drives a domain's dirty log through
 * libphysmap's backend interface, for the guest suites:
 *
 *   dirty-log DOMAIN enable|disable|peek|clean...
 *
 * Each step in turn: enable / disable say "ok"; peek and clean print how
 * many pages changed since the log last saw them and the runs of pfns
 * ("4100 0x40400-0x41404"), clean then counting them as seen. The first
 * failure prints one line and exits 1.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "physmap/hv.h"

static int step(struct pm_hv *hv, uint32_t domid, uint64_t max_pfn, const char *what)
{
	uint8_t *bitmap;
	long n;
	int rc;

	if (!strcmp(what, "enable") || !strcmp(what, "disable")) {
		rc = pm_hv_dirty_log(hv, domid, !strcmp(what, "enable"));
		if (rc) {
			printf("%s: %s\n", what, strerror(-rc));
			return 1;
		}
		printf("ok\n");
		return 0;
	}
	if (strcmp(what, "peek") && strcmp(what, "clean")) {
		printf("%s: not a step\n", what);
		return 1;
	}
	bitmap = malloc((size_t)((max_pfn + 7) / 8));
	if (!bitmap)
		return 1;
	n = pm_hv_dirty_bitmap(hv, domid, 0, max_pfn, !strcmp(what, "clean"), bitmap);
	if (n < 0) {
		printf("%s: %s\n", what, strerror((int)-n));
		free(bitmap);
		return 1;
	}
	printf("%ld", n);
	for (uint64_t p = 0; p < max_pfn;) {
		uint64_t e;

		if (!(bitmap[p / 8] & (1u << (p % 8)))) {
			p++;
			continue;
		}
		for (e = p; e < max_pfn && (bitmap[e / 8] & (1u << (e % 8))); e++)
			;
		printf(" 0x%" PRIx64 "-0x%" PRIx64, p, e);
		p = e;
	}
	printf("\n");
	free(bitmap);
	return 0;
}

int main(int argc, char **argv)
{
	struct pm_hv_dominfo info;
	struct pm_hv *hv = NULL;
	uint32_t domid;
	int rc;

	if (argc < 3) {
		fprintf(stderr, "usage: dirty-log DOMAIN enable|disable|peek|clean...\n");
		return 2;
	}
	rc = pm_hv_open(NULL, &hv);
	if (!rc)
		rc = pm_hv_domain_find(hv, argv[1], &domid);
	if (!rc)
		rc = pm_hv_domain_getinfo(hv, domid, &info);
	if (rc) {
		printf("%s: %s\n", argv[1], strerror(-rc));
		if (hv)
			pm_hv_close(hv);
		return 1;
	}
	for (int i = 2; i < argc && !rc; i++)
		rc = step(hv, domid, info.max_pfn, argv[i]);
	pm_hv_close(hv);
	return rc;
}
