# The test harness. Every suite speaks TAP (cmocka does with
# CMOCKA_MESSAGE_OUTPUT=TAP; shell suites use tests/tap.sh), so each test
# case is one result in its .trs file; scripts/test sums them all into the
# final "N passed, N failed" line. A SKIP counts as a failure there.

LOG_DRIVER = env AM_TAP_AWK='$(AWK)' $(SHELL) $(top_srcdir)/build-aux/tap-driver.sh
AM_TESTS_ENVIRONMENT = \
	CMOCKA_MESSAGE_OUTPUT=TAP; export CMOCKA_MESSAGE_OUTPUT; \
	top_srcdir='$(abs_top_srcdir)'; export top_srcdir; \
	top_builddir='$(abs_top_builddir)'; export top_builddir; \
	PYTHON3='$(PYTHON3)'; export PYTHON3; \
	DTC='$(DTC)'; export DTC; \
	PM_SAN_CFLAGS='$(PM_SAN_CFLAGS)'; export PM_SAN_CFLAGS; \
	TSAN_OPTIONS='suppressions=$(abs_top_srcdir)/tests/unit/tsan.supp exitcode=66 halt_on_error=1'; \
	export TSAN_OPTIONS;

EXTRA_DIST += tests/tap.sh tests/unit/tsan.supp

# make check-xen: the xen box (tests/xenbox/): real Xen 4.17 under QEMU,
# fetched with apt-get download, with a dom0 built here; two suites, one
# boot each (physmap against Xen's tools; XTF's images under xl)
EXTRA_DIST += tests/xenbox/xenbox.sh tests/xenbox/check-xen.sh tests/xenbox/accel.sh \
	tests/xenbox/without-kvm.sh tests/xenbox/xtf-xen.sh tests/xenbox/packages.sh tests/xenbox/dom0-daemons.sh
check-xen:
	@st=0; for t in check-xen xtf-xen; do \
		top_srcdir=$(top_srcdir) top_builddir=$(top_builddir) $(SHELL) $(top_srcdir)/tests/xenbox/$$t.sh || st=1; \
	done; exit $$st
.PHONY: check-xen

# make check-xen-arm: the arm64 xen box: Xen 4.17 for arm64 under
# qemu-system-aarch64, physmap cross-built for it (in cross-arm64/ here)
EXTRA_DIST += tests/xenbox/xenbox-arm.sh tests/xenbox/check-xen-arm.sh tests/xenbox/cross-arm64.sh
check-xen-arm:
	@top_srcdir=$(top_srcdir) top_builddir=$(top_builddir) $(SHELL) $(top_srcdir)/tests/xenbox/check-xen-arm.sh
.PHONY: check-xen-arm

# make check-deb: the Debian packages built from make dist's tarball,
# lintian, and the demo run from them unpacked (tests/package/check-deb.sh)
EXTRA_DIST += tests/package/check-deb.sh debian/control debian/rules debian/changelog debian/copyright \
	debian/source/format debian/physmap.install debian/libphysmap0.install debian/libphysmap-dev.install \
	debian/physmap.lintian-overrides
check-deb:
	top_srcdir=$(top_srcdir) top_builddir=$(top_builddir) $(SHELL) $(top_srcdir)/tests/package/check-deb.sh
.PHONY: check-deb
clean-local: clean-deb
clean-deb:
	rm -rf check-deb
.PHONY: clean-deb

# make fuzz [FUZZ_SECONDS=N] [FUZZ_TARGETS="config stream ..."]: each
# libFuzzer target for N seconds (default 1800), from its seed corpus and
# what earlier runs kept; findings go to tests/fuzz/findings/
FUZZ_SECONDS = 1800
FUZZ_TARGETS = config stream region dispatch xs
fuzz:
	$(top_srcdir)/tests/fuzz/run.sh $(top_srcdir) $(abs_top_builddir) $(FUZZ_SECONDS) $(FUZZ_TARGETS)
.PHONY: fuzz

clean-local: clean-fuzz
clean-fuzz:
	rm -rf tests/fuzz/bin tests/fuzz/work tests/fuzz/*.log
.PHONY: clean-fuzz

# make check-faults: every N of the simulator's allocations failed in turn
# (make check takes every 29th), about 45 minutes
check-faults:
	PM_SIM_ALLOC_STRIDE=1 top_srcdir=$(top_srcdir) top_builddir=$(top_builddir) \
		$(SHELL) $(top_srcdir)/tests/integration/sim-alloc-failures.sh
.PHONY: check-faults
