# cmocka unit tests: one program per component, linked against the
# convenience library so internal functions are reachable.

PM_UNIT_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS) $(URCU_CFLAGS)
PM_UNIT_LDADD = libphysmap-core.la $(CMOCKA_LIBS)

check_PROGRAMS += tests/unit/test-size
tests_unit_test_size_SOURCES = tests/unit/test-size.c
tests_unit_test_size_CFLAGS = $(PM_UNIT_CFLAGS)
tests_unit_test_size_LDADD = $(PM_UNIT_LDADD)
TESTS += tests/unit/test-size

check_PROGRAMS += tests/unit/test-stream
tests_unit_test_stream_SOURCES = tests/unit/test-stream.c
tests_unit_test_stream_CFLAGS = $(PM_UNIT_CFLAGS)
tests_unit_test_stream_LDADD = $(PM_UNIT_LDADD)
TESTS += tests/unit/test-stream

check_PROGRAMS += tests/unit/test-kernel
tests_unit_test_kernel_SOURCES = tests/unit/test-kernel.c
tests_unit_test_kernel_CFLAGS = $(PM_UNIT_CFLAGS)
tests_unit_test_kernel_LDADD = $(PM_UNIT_LDADD)
TESTS += tests/unit/test-kernel

check_PROGRAMS += tests/unit/test-p2m
tests_unit_test_p2m_SOURCES = tests/unit/test-p2m.c tests/unit/p2m-testlib.h
tests_unit_test_p2m_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/libphysmap
tests_unit_test_p2m_CFLAGS = $(PM_UNIT_CFLAGS)
tests_unit_test_p2m_LDADD = $(PM_UNIT_LDADD)
TESTS += tests/unit/test-p2m

# The concurrency test runs twice: built like everything else (ASan+UBSan in
# a sanitizer build), and always with ThreadSanitizer, which cannot share a
# binary with ASan, so that build compiles p2m.c itself.
check_PROGRAMS += tests/unit/test-p2m-concurrency tests/unit/test-p2m-concurrency-tsan
tests_unit_test_p2m_concurrency_SOURCES = tests/unit/test-p2m-concurrency.c
tests_unit_test_p2m_concurrency_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/libphysmap
tests_unit_test_p2m_concurrency_CFLAGS = $(PM_UNIT_CFLAGS)
tests_unit_test_p2m_concurrency_LDADD = $(PM_UNIT_LDADD) -lpthread
tests_unit_test_p2m_concurrency_tsan_SOURCES = tests/unit/test-p2m-concurrency.c libphysmap/p2m.c libphysmap/pagepool.c
tests_unit_test_p2m_concurrency_tsan_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/libphysmap
tests_unit_test_p2m_concurrency_tsan_CFLAGS = -std=gnu11 $(PM_WARN_CFLAGS) $(CMOCKA_CFLAGS) $(URCU_CFLAGS) \
	-fsanitize=thread -O1 -g
tests_unit_test_p2m_concurrency_tsan_LDFLAGS = -fsanitize=thread
tests_unit_test_p2m_concurrency_tsan_LDADD = $(CMOCKA_LIBS) $(URCU_LIBS) -lpthread
TESTS += tests/unit/test-p2m-concurrency tests/unit/test-p2m-concurrency-tsan

check_PROGRAMS += tests/unit/test-e820
tests_unit_test_e820_SOURCES = tests/unit/test-e820.c
tests_unit_test_e820_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/libphysmap
tests_unit_test_e820_CFLAGS = $(PM_UNIT_CFLAGS)
tests_unit_test_e820_LDADD = $(PM_UNIT_LDADD)
TESTS += tests/unit/test-e820

check_PROGRAMS += tests/unit/test-board-pc
tests_unit_test_board_pc_SOURCES = tests/unit/test-board-pc.c
tests_unit_test_board_pc_CPPFLAGS = $(AM_CPPFLAGS)
tests_unit_test_board_pc_CFLAGS = $(PM_UNIT_CFLAGS) $(YAJL_CFLAGS)
tests_unit_test_board_pc_LDADD = $(PM_UNIT_LDADD) $(YAJL_LIBS)
TESTS += tests/unit/test-board-pc

check_PROGRAMS += tests/unit/test-board-virt
tests_unit_test_board_virt_SOURCES = tests/unit/test-board-virt.c
tests_unit_test_board_virt_CPPFLAGS = $(AM_CPPFLAGS)
tests_unit_test_board_virt_CFLAGS = $(PM_UNIT_CFLAGS)
tests_unit_test_board_virt_LDADD = $(PM_UNIT_LDADD) $(FDT_LIBS)
TESTS += tests/unit/test-board-virt

check_PROGRAMS += tests/unit/test-memory
tests_unit_test_memory_SOURCES = tests/unit/test-memory.c
tests_unit_test_memory_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/devmodel
tests_unit_test_memory_CFLAGS = $(PM_UNIT_CFLAGS)
tests_unit_test_memory_LDADD = libpmdm.la $(CMOCKA_LIBS)
TESTS += tests/unit/test-memory

check_PROGRAMS += tests/unit/test-memory-events
tests_unit_test_memory_events_SOURCES = tests/unit/test-memory-events.c
tests_unit_test_memory_events_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/devmodel
tests_unit_test_memory_events_CFLAGS = $(PM_UNIT_CFLAGS)
tests_unit_test_memory_events_LDADD = libpmdm.la $(CMOCKA_LIBS) -lpthread
TESTS += tests/unit/test-memory-events

# the simulator's store, through libxenstore and guest rings
check_PROGRAMS += tests/unit/test-xenstore
tests_unit_test_xenstore_SOURCES = tests/unit/test-xenstore.c
tests_unit_test_xenstore_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/tools/sim
tests_unit_test_xenstore_CFLAGS = $(PM_UNIT_CFLAGS) $(XENSTORE_CFLAGS)
tests_unit_test_xenstore_LDADD = libpmxs.la $(XENSTORE_LIBS) $(CMOCKA_LIBS) -lpthread
TESTS += tests/unit/test-xenstore
EXTRA_DIST += tests/fuzz/make-corpus.py tests/fuzz/corpus tests/fuzz/build.sh tests/fuzz/run.sh \
	tests/fuzz/ubsan.supp tests/fuzz/lsan.supp tests/fuzz/fuzz-xs.c tests/fuzz/fuzz-config.c tests/fuzz/fuzz-stream.c \
	tests/fuzz/fuzz-region.c tests/fuzz/fuzz-dispatch.c

check_PROGRAMS += tests/unit/test-config
tests_unit_test_config_SOURCES = tests/unit/test-config.c
tests_unit_test_config_CFLAGS = $(PM_UNIT_CFLAGS)
tests_unit_test_config_LDADD = $(PM_UNIT_LDADD)
TESTS += tests/unit/test-config

check_PROGRAMS += tests/unit/test-sim-pool
tests_unit_test_sim_pool_SOURCES = tests/unit/test-sim-pool.c tools/sim/pool.c tools/sim/pool.h
tests_unit_test_sim_pool_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/tools/sim -I$(top_srcdir)/tools/common
tests_unit_test_sim_pool_CFLAGS = $(PM_UNIT_CFLAGS)
tests_unit_test_sim_pool_LDADD = libpmtools.la $(CMOCKA_LIBS)
TESTS += tests/unit/test-sim-pool
