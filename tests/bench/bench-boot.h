/*
 * tests/bench/bench-boot.h - what the benchmarks that boot a test guest
 * share (bench-engine, bench-blkif): a simulator in a run directory of its
 * own, a guest built from a configuration's text, run until it shuts down
 */
#ifndef PHYSMAP_BENCH_BOOT_H
#define PHYSMAP_BENCH_BOOT_H

#include <stdbool.h>
#include <stdint.h>

/**
 * bench_boot - in a fresh run directory, the guest @cfg_text describes
 * (its name "b") built, run, waited for until it shuts down; its console
 * log's path in @log. @prog names the benchmark in what it says on stderr.
 * returns: true, the run directory kept until bench_boot_end; false (said
 *   why, nothing left) where no simulator answers or the guest cannot be
 *   built
 */
bool bench_boot(const char *prog, const char *cfg_text, char *log, size_t log_len);

/** bench_boot_end - the guest destroyed, the simulator let go (it leaves once idle), the run directory removed */
void bench_boot_end(void);

#endif
