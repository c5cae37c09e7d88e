/*
 * bench-blkif.c - sequential disk I/O through the blkif backend of
 * physmap-dm on the simulator (issue 30): the test guests' block
 * frontend (word "diskbench"; the pc board's x86 guest and the virt
 * board's arm64 one) reads, then writes, 128 MiB of a raw image
 * in requests of 4 KiB (one segment) and 64 KiB (indirect), 32 requests
 * in flight, persistent grants (mapped in an untimed first pass), timed
 * by the guest's own counter (TSC, generic timer), best of three passes
 * each way. The baseline, timed in
 * the same run: this process reading and writing the same image with
 * pread and pwrite in requests of the same size into 32 buffers in turn
 * (the page cache warm in both). Figures: MB/s and requests/s for each
 * board, size and direction, the ratio to the baseline's MB/s; the
 * target for 64 KiB is >= 0.5.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bench.h"
#include "bench-boot.h"

#define PASS_MIB 128
#define SLOTS 32   /* the guest's requests in flight */
#define IMAGE_MIB 160

struct pass {
	double ns;          /* the guest's time for the pass */
	unsigned long reqs;
	bool ok;
};

/* the guest's "diskbench: WHAT KIB KiB: N requests in T ns" in a console log: its best pass */
static bool scan(const char *log, const char *what, unsigned int kib, struct pass *p)
{
	char line[256], key[64];
	FILE *f = fopen(log, "r");

	snprintf(key, sizeof(key), "diskbench: %s %u KiB: ", what, kib);
	p->ok = false;
	while (f && fgets(line, sizeof(line), f)) {
		unsigned long reqs;
		double ns;

		if (!strncmp(line, key, strlen(key)) &&
		    sscanf(line + strlen(key), "%lu requests in %lf ns", &reqs, &ns) == 2 && ns > 0 &&
		    (!p->ok || ns < p->ns)) {
			p->reqs = reqs;
			p->ns = ns;
			p->ok = true;
		}
	}
	if (f)
		fclose(f);
	return p->ok;
}

/* @board's test guest's passes over @img in requests of @kib */
static void guest_passes(const char *board, const char *img, unsigned int kib, struct pass *rd, struct pass *wr)
{
	bool pc = !strcmp(board, "pc");
	const char *env = getenv(pc ? "PM_GUEST_X86" : "PM_GUEST_ARM64");
	const char *guest = env ? env : pc ? "tests/guests/x86/guest.elf" : "tests/guests/arm64/guest.img";
	char cfg[512], log[160];

	if (access(guest, R_OK)) {
		fprintf(stderr, "bench-blkif: %s: not there (are the test guests built?)\n", guest);
		exit(1);
	}
	/* three passes each way, the best kept: as the baseline's */
	snprintf(cfg, sizeof(cfg), "name = \"b\"\nboard = \"%s\"\n%smemory = 64\nkernel = \"%s\"\nvif = []\n"
		 "disk = [ \"%s,raw,xvda,rw\" ]\n%s = \"diskbench=%u,%u,3\"\non_poweroff = \"preserve\"\n",
		 board, pc ? "type = \"pvh\"\n" : "", guest, img, pc ? "cmdline" : "extra", kib, PASS_MIB);
	if (!bench_boot("bench-blkif", cfg, log, sizeof(log)))
		exit(1);
	if (!scan(log, "read", kib, rd) || !scan(log, "write", kib, wr))
		fprintf(stderr, "bench-blkif: %s %u KiB: the guest printed no figures (%s)\n", board, kib, log);
	bench_boot_end();
}

/*
 * this process's pass over @fd in requests of @kib: ns, best of three.
 * Its buffers are as many as the guest's requests in flight (32), taken
 * in turn, as the backend's destinations are the guest's 32 slots.
 */
static double host_pass(int fd, unsigned int kib, bool write)
{
	size_t len = (size_t)kib << 10;
	char *buf = aligned_alloc(4096, len * SLOTS);
	double best = 0;

	if (!buf)
		abort();
	memset(buf, 0x5a, len * SLOTS);
	for (int round = 0; round < 3; round++) {
		double t0 = now_ns(), t;
		unsigned int slot = 0;

		for (off_t off = 0; off < (off_t)PASS_MIB << 20; off += (off_t)len, slot = (slot + 1) % SLOTS) {
			char *b = buf + slot * len;
			ssize_t n = write ? pwrite(fd, b, len, off) : pread(fd, b, len, off);

			if (n != (ssize_t)len)
				abort();
			sink += (uint8_t)b[0];
		}
		t = now_ns() - t0;
		if (!best || t < best)
			best = t;
	}
	free(buf);
	return best;
}

static void report(const char *board, const char *what, unsigned int kib, const struct pass *p, double host_ns)
{
	double mb = (double)PASS_MIB * 1048576 / 1e6, mbs = p->ok ? mb / (p->ns / 1e9) : 0, base = mb / (host_ns / 1e9);
	char name[96], target[64], base_name[96];
	bool target64 = kib == 64;

	snprintf(name, sizeof(name), "sim.blkif.%s.%s_%ukib.mb_per_s", board, what, kib);
	snprintf(base_name, sizeof(base_name), "p%s of the same image in %u KiB requests, one process",
		 strcmp(what, "read") ? "write" : "read", kib);
	snprintf(target, sizeof(target), target64 ? "ratio >= 0.5" : "reported (higher is better)");
	figure(name, mbs, "MB/s", base_name, base, target, p->ok && (!target64 || mbs / base >= 0.5));
	snprintf(name, sizeof(name), "sim.blkif.%s.%s_%ukib.requests_per_s", board, what, kib);
	figure(name, p->ok ? (double)p->reqs / (p->ns / 1e9) : 0, "req/s", base_name,
	       base * 1e6 / ((double)kib * 1024), "reported (higher is better)", p->ok);
}

/*
 * the image written whole in 1 MiB writes and synced, as dd or cp make
 * one: the page cache then holds it in large folios, which both the
 * baseline and the backend read (written in 4 KiB writes, every read of
 * it, pread's and the backend's, would take twice as long, page by page)
 */
static int fill(int fd)
{
	static char mib[1 << 20];

	memset(mib, 0x5a, sizeof(mib));
	for (off_t off = 0; off < (off_t)IMAGE_MIB << 20; off += (off_t)sizeof(mib))
		if (pwrite(fd, mib, sizeof(mib), off) != (ssize_t)sizeof(mib))
			return -1;
	return fsync(fd);
}

int main(void)
{
	static const unsigned int sizes[] = { 4, 64 };
	char img[] = "/tmp/pm-blkif-image-XXXXXX";
	int fd = mkstemp(img);

	bench_use_build();
	if (fd < 0 || fill(fd))
		abort();
	for (unsigned int b = 0; b < 2; b++)
		for (unsigned int i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
			const char *board = b ? "virt" : "pc";
			struct pass rd, wr;
			double host_rd, host_wr, t;

			/* the baseline just before the guest and just after it, the faster
			 * of the two kept: the host's speed drifts over seconds here */
			host_wr = host_pass(fd, sizes[i], true);
			host_rd = host_pass(fd, sizes[i], false);
			guest_passes(board, img, sizes[i], &rd, &wr);
			t = host_pass(fd, sizes[i], true);
			host_wr = t < host_wr ? t : host_wr;
			t = host_pass(fd, sizes[i], false);
			host_rd = t < host_rd ? t : host_rd;
			report(board, "read", sizes[i], &rd, host_rd);
			report(board, "write", sizes[i], &wr, host_wr);
		}
	close(fd);
	unlink(img);
	return 0;
}
