# cmocka unit tests: one program per component, linked against the
# convenience library so internal functions are reachable.

PM_UNIT_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS) $(URCU_CFLAGS)
PM_UNIT_LDADD = libphysmap-core.la $(CMOCKA_LIBS)

check_PROGRAMS += tests/unit/test-size
tests_unit_test_size_SOURCES = tests/unit/test-size.c
tests_unit_test_size_CFLAGS = $(PM_UNIT_CFLAGS)
tests_unit_test_size_LDADD = $(PM_UNIT_LDADD)
TESTS += tests/unit/test-size
