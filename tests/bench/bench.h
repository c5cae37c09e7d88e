/*
 * tests/bench/bench.h - what every benchmark program shares: a clock and
 * the one-JSON-line-per-figure output that tests/bench/collect.py gathers
 */
#ifndef PHYSMAP_BENCH_H
#define PHYSMAP_BENCH_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>

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

#endif
