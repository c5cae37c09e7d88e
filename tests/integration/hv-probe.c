/*
 * tests/integration/hv-probe.c - drives calls of libphysmap's backend
 * interface no pxl command makes yet (migration will), for the guest
 * suites:
 *
 *   hv-probe DOMAIN STEP...
 *
 * Each step in turn: enable / disable (the dirty log) say "ok"; peek and
 * clean print how many pages changed since the log last saw them and the
 * runs of pfns ("4100 0x40400-0x41404"), clean then counting them as seen;
 * state=V prints vCPU V's "up NR pc 0x... sp 0x..."; roundtrip=V gets its
 * state, sets it back and says "same" if a second get agrees; pc=V,ADDR
 * moves its pc; evtchn=PORT binds to the guest's PORT, raises it, waits
 * (10 s at most) for the guest to send and says "rang", then unbinds;
 * wait=N peeks until N pages are dirty (10 s at most) and prints the count;
 * grant=REF maps the guest's grant REF writable as a backend does, prints
 * "read: " and the string the page begins with, writes "written by dom0"
 * there, unmaps once the guest wrote "seen" at byte 2048 (10 s at most);
 * granthold=REF does the same, then 0.5 s later (the guest gave the page
 * back meanwhile) prints "still: " and what the page begins with;
 * grantro=REF maps it read-only and prints what it reads;
 * pause and unpause say "ok". The first failure prints one line and exits
 * 1. One process is one connection: a dirty log it started stops when it
 * exits (the simulator's lease), so steps that read a log go in one call.
 */
#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "physmap/hv.h"

/* the indices of pc and sp in the architecture's state order (<physmap/hv.h>) */
static void pc_sp(const struct pm_hv_vcpu_state *st, unsigned int *pc, unsigned int *sp)
{
	*pc = st->arch == PM_HV_ARCH_X86_32 ? 8 : 32;
	*sp = st->arch == PM_HV_ARCH_X86_32 ? 4 : 31;
}

static int vcpu_step(struct pm_hv *hv, uint32_t domid, const char *what)
{
	struct pm_hv_vcpu_state st, again;
	unsigned int v = (unsigned int)strtoul(strchr(what, '=') + 1, NULL, 0), pc, sp;
	int rc = pm_hv_vcpu_get_state(hv, domid, v, &st);

	if (rc) {
		printf("%s: %s\n", what, strerror(-rc));
		return 1;
	}
	pc_sp(&st, &pc, &sp);
	if (!strncmp(what, "state=", 6)) {
		printf("%s %u pc 0x%" PRIx64 " sp 0x%" PRIx64 "\n", st.up ? "up" : "down", st.nr, st.reg[pc],
		       st.reg[sp]);
		return 0;
	}
	if (!strncmp(what, "pc=", 3)) {
		const char *comma = strchr(what, ',');

		st.reg[pc] = comma ? strtoull(comma + 1, NULL, 0) : 0;
	}
	rc = pm_hv_vcpu_set_state(hv, domid, v, &st);
	if (!rc)
		rc = pm_hv_vcpu_get_state(hv, domid, v, &again);
	if (rc) {
		printf("%s: %s\n", what, strerror(-rc));
		return 1;
	}
	printf("%s\n", again.nr == st.nr && !memcmp(again.reg, st.reg, st.nr * sizeof(st.reg[0])) ? "same" : "differs");
	return 0;
}

static int evtchn_step(struct pm_hv *hv, uint32_t domid, const char *what)
{
	struct pm_hv_evtchn e;
	struct pollfd p;
	int rc = pm_hv_evtchn_bind(hv, domid, (uint32_t)strtoul(what + 7, NULL, 0), &e);

	if (!rc)
		rc = pm_hv_evtchn_notify(hv, &e);
	if (rc) {
		printf("%s: %s\n", what, strerror(-rc));
		if (e.fd >= 0)
			pm_hv_evtchn_unbind(hv, &e);
		return 1;
	}
	p = (struct pollfd){ .fd = e.fd, .events = POLLIN };
	rc = poll(&p, 1, 10000) == 1 && pm_hv_evtchn_pending(hv, &e);
	printf("%s\n", rc ? "rang" : "silent");
	pm_hv_evtchn_unbind(hv, &e);
	return rc ? 0 : 1;
}

static int grant_step(struct pm_hv *hv, uint32_t domid, const char *what)
{
	bool ro = !strncmp(what, "grantro=", 8), hold = !strncmp(what, "granthold=", 10);
	uint32_t ref = (uint32_t)strtoul(strchr(what, '=') + 1, NULL, 0);
	char *page;
	int rc = pm_hv_grant_map(hv, domid, &ref, 1, ro, (void **)&page);

	if (rc) {
		printf("%s: %s\n", what, strerror(-rc));
		return 1;
	}
	printf("read: %.64s\n", page);
	if (!ro) {
		/* held until the guest says it saw the write (at byte 2048), 10 s at most */
		strcpy(page, "written by dom0");
		for (int i = 0; i < 1000 && strcmp(page + 2048, "seen"); i++)
			usleep(10000);
	}
	if (hold) {
		usleep(500000);
		printf("still: %.64s\n", page);   /* a frame gone back to the pool would read zeros */
	}
	rc = pm_hv_grant_unmap(hv, page, 1);
	printf("%s\n", rc ? strerror(-rc) : "ok");
	return rc ? 1 : 0;
}

static int step(struct pm_hv *hv, uint32_t domid, uint64_t max_pfn, const char *what)
{
	uint8_t *bitmap;
	long n;
	int rc;

	if (!strncmp(what, "state=", 6) || !strncmp(what, "roundtrip=", 10) || !strncmp(what, "pc=", 3))
		return vcpu_step(hv, domid, what);
	if (!strncmp(what, "evtchn=", 7))
		return evtchn_step(hv, domid, what);
	if (!strncmp(what, "grant=", 6) || !strncmp(what, "grantro=", 8) || !strncmp(what, "granthold=", 10))
		return grant_step(hv, domid, what);

	if (!strcmp(what, "pause") || !strcmp(what, "unpause")) {
		rc = !strcmp(what, "pause") ? pm_hv_domain_pause(hv, domid) : pm_hv_domain_unpause(hv, domid);
		if (rc) {
			printf("%s: %s\n", what, strerror(-rc));
			return 1;
		}
		printf("ok\n");
		return 0;
	}
	if (!strncmp(what, "wait=", 5)) {
		long want = atol(what + 5);

		n = 0;
		bitmap = malloc((size_t)((max_pfn + 7) / 8));
		for (int i = 0; bitmap && i < 100; i++) {
			n = pm_hv_dirty_bitmap(hv, domid, 0, max_pfn, false, bitmap);
			if (n < 0 || n >= want)
				break;
			poll(NULL, 0, 100);
		}
		free(bitmap);
		if (n < 0) {
			printf("%s: %s\n", what, strerror((int)-n));
			return 1;
		}
		printf("%ld\n", n);
		return 0;
	}
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
		fprintf(stderr, "usage: hv-probe DOMAIN enable|disable|peek|clean|state=V|roundtrip=V|pc=V,ADDR|evtchn=PORT...\n");
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
