/*
 * tests/bench/bench.h - what every benchmark program shares: a clock and
 * the one-JSON-line-per-figure output that tests/bench/collect.py gathers
 */
#ifndef PHYSMAP_BENCH_H
#define PHYSMAP_BENCH_H

#include <ftw.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

static inline double now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

/* keeps the compiler from dropping what a timed loop computes */
static volatile uint64_t sink;

static inline void figure(const char *name, double value, const char *unit,
			  const char *baseline, double baseline_value,
			  const char *target, bool met)
{
	printf("{\"name\": \"%s\", \"value\": %.6g, \"unit\": \"%s\", "
	       "\"baseline\": \"%s\", \"baseline_value\": %.6g, \"ratio\": %.6g, "
	       "\"target\": \"%s\", \"met\": %s}\n",
	       name, value, unit, baseline, baseline_value,
	       baseline_value ? value / baseline_value : 0.0, target,
	       met ? "true" : "false");
	fflush(stdout);
}

static inline int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	return flag == FTW_DP ? rmdir(path) : unlink(path);
}

/*
 * run the build tree's simulator and device model: the programs themselves
 * where libtool keeps them, not its wrapper scripts (50 ms of shell each
 * start), which is what an installed system runs
 */
static inline void bench_use_build(void)
{
	if (!getenv("PHYSMAP_SIM"))
		setenv("PHYSMAP_SIM", "./physmap-sim", 1);
	if (!getenv("PHYSMAP_DM"))
		setenv("PHYSMAP_DM", access("./.libs/physmap-dm", X_OK) ? "./physmap-dm" : "./.libs/physmap-dm", 1);
}

/* a benchmark's scratch directory, whatever the simulator left in it */
static inline void rm_tree(const char *dir)
{
	nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

#endif
