# make bench: every benchmark program in PM_BENCH (also in check_PROGRAMS,
# so `make check` keeps them compiling) writes its figures
# as JSON lines (one object per figure) to stdout; collect.py merges them
# into bench-results.json at the top of the build tree.

EXTRA_DIST += tests/bench/collect.py tests/bench/bench-xen.sh tests/bench/bench-scale.sh

bench: $(PM_BENCH) $(PM_BENCH_HELPERS)
	@rm -f bench-lines.tmp; \
	for b in $(PM_BENCH); do \
		echo "bench: $$b" >&2; \
		./$$b >> bench-lines.tmp || exit 1; \
	done; \
	echo "bench: tests/bench/bench-scale.sh (1000 domains on the simulator)" >&2; \
	top_srcdir=$(top_srcdir) top_builddir=$(top_builddir) $(SHELL) $(srcdir)/tests/bench/bench-scale.sh \
		>> bench-lines.tmp || exit 1; \
	echo "bench: tests/bench/bench-xen.sh (the xen box)" >&2; \
	top_srcdir=$(top_srcdir) top_builddir=$(top_builddir) $(SHELL) $(srcdir)/tests/bench/bench-xen.sh \
		>> bench-lines.tmp || exit 1; \
	$(PYTHON3) $(srcdir)/tests/bench/collect.py bench-lines.tmp bench-results.json && \
	rm -f bench-lines.tmp

CLEANFILES += bench-results.json bench-lines.tmp
.PHONY: bench

PM_BENCH += tests/bench/bench-p2m
check_PROGRAMS += tests/bench/bench-p2m
tests_bench_bench_p2m_SOURCES = tests/bench/bench-p2m.c tests/bench/bench.h
tests_bench_bench_p2m_LDADD = libphysmap.la

PM_BENCH += tests/bench/bench-memory
check_PROGRAMS += tests/bench/bench-memory
tests_bench_bench_memory_SOURCES = tests/bench/bench-memory.c tests/bench/bench.h
tests_bench_bench_memory_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/devmodel
tests_bench_bench_memory_CFLAGS = $(AM_CFLAGS) -O2
tests_bench_bench_memory_LDADD = libpmdm.la

PM_BENCH += tests/bench/bench-xenstore
check_PROGRAMS += tests/bench/bench-xenstore
tests_bench_bench_xenstore_SOURCES = tests/bench/bench-xenstore.c tests/bench/bench.h
tests_bench_bench_xenstore_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/tools/sim
tests_bench_bench_xenstore_CFLAGS = $(AM_CFLAGS) -O2 $(XENSTORE_CFLAGS)
tests_bench_bench_xenstore_LDADD = libpmxs.la $(XENSTORE_LIBS) -lpthread

# what bench-scale.sh runs at each size: one store client's read and watch round trip
PM_BENCH_HELPERS = tests/bench/bench-store-ops
check_PROGRAMS += tests/bench/bench-store-ops
tests_bench_bench_store_ops_SOURCES = tests/bench/bench-store-ops.c
tests_bench_bench_store_ops_CFLAGS = $(AM_CFLAGS) -O2 $(XENSTORE_CFLAGS)
tests_bench_bench_store_ops_LDADD = $(XENSTORE_LIBS)

PM_BENCH += tests/bench/bench-sim
check_PROGRAMS += tests/bench/bench-sim
tests_bench_bench_sim_SOURCES = tests/bench/bench-sim.c tests/bench/bench.h
tests_bench_bench_sim_CFLAGS = $(AM_CFLAGS) -O2
tests_bench_bench_sim_LDADD = libphysmap.la

if GUEST_ARM64
PM_BENCH += tests/bench/bench-guest
check_PROGRAMS += tests/bench/bench-guest
endif
if GUEST_ARM64
PM_BENCH += tests/bench/bench-save
check_PROGRAMS += tests/bench/bench-save
endif
tests_bench_bench_save_SOURCES = tests/bench/bench-save.c tests/bench/bench.h
tests_bench_bench_save_CFLAGS = $(AM_CFLAGS) -O2
tests_bench_bench_save_LDADD = libphysmap.la -lpthread

tests_bench_bench_guest_SOURCES = tests/bench/bench-guest.c tests/bench/bench.h
tests_bench_bench_guest_CFLAGS = $(AM_CFLAGS) -O2 $(XENSTORE_CFLAGS)
tests_bench_bench_guest_LDADD = libphysmap.la $(XENSTORE_LIBS)

if GUEST_X86
PM_BENCH += tests/bench/bench-engine
check_PROGRAMS += tests/bench/bench-engine
endif
tests_bench_bench_engine_SOURCES = tests/bench/bench-engine.c tests/bench/bench-boot.c tests/bench/bench-boot.h \
	tests/bench/bench.h
tests_bench_bench_engine_CFLAGS = $(AM_CFLAGS) -O2
tests_bench_bench_engine_LDADD = libphysmap.la

if GUEST_X86
if GUEST_ARM64
PM_BENCH += tests/bench/bench-blkif
check_PROGRAMS += tests/bench/bench-blkif
endif
endif
tests_bench_bench_blkif_SOURCES = tests/bench/bench-blkif.c tests/bench/bench-boot.c tests/bench/bench-boot.h \
	tests/bench/bench.h
tests_bench_bench_blkif_CFLAGS = $(AM_CFLAGS) -O2
tests_bench_bench_blkif_LDADD = libphysmap.la
