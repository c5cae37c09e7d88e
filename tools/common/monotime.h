/*
 * tools/common/monotime.h - CLOCK_MONOTONIC in ns, for the daemons' loops
 * and deadlines (the store's poll window, the simulator's clocks)
 */
#ifndef PM_TOOLS_MONOTIME_H
#define PM_TOOLS_MONOTIME_H

#include <stdint.h>
#include <time.h>

/* pm_mono_ns - the host's CLOCK_MONOTONIC in ns; cannot fail */
static inline uint64_t pm_mono_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (uint64_t)t.tv_sec * 1000000000u + (uint64_t)t.tv_nsec;
}

#endif /* PM_TOOLS_MONOTIME_H */
