# Integration suites: shell (or Python 3) programs speaking TAP.

PM_INTEGRATION_TESTS = \
	tests/integration/library-exports.sh \
	tests/integration/layering.py \
	tests/integration/circles.py \
	tests/integration/configure-names-missing-package.sh \
	tests/integration/examples.sh \
	tests/integration/board-pc-vs-qemu.sh \
	tests/integration/board-pc-acpi-iasl.sh \
	tests/integration/board-virt-vs-qemu.py \
	tests/integration/board-virt-dtc.sh \
	tests/integration/physmap-dm.sh \
	tests/integration/mtree-vs-qemu.py \
	tests/integration/xenstored-clients.sh \
	tests/integration/fuzz-replay.sh \
	tests/integration/pxl-cli.sh \
	tests/integration/pxl-sim.sh \
	tests/integration/hostile-inputs.sh \
	tests/integration/kill-matrix.sh \
	tests/integration/stream-corruption.sh \
	tests/integration/alloc-failures.sh \
	tests/integration/parallel-loops.sh \
	tests/integration/sim-alloc-failures.sh \
	tests/integration/guest-arm64.sh \
	tests/integration/virt-options-sim.sh \
	tests/integration/guest-x86.sh \
	tests/integration/guest-x86-kvm.sh \
	tests/integration/guest-x86-64.sh \
	tests/integration/sim-kvm.sh \
	tests/integration/save-restore-kvm.sh \
	tests/integration/lifecycle-kvm.sh \
	tests/integration/dump-core-kvm.sh \
	tests/integration/xl-outputs-kvm.sh \
	tests/integration/hostile-inputs-kvm.sh \
	tests/integration/xtf-sim.sh \
	tests/integration/lifecycle.sh \
	tests/integration/dump-core.sh \
	tests/integration/xl-outputs.sh \
	tests/integration/config-keys-doc.sh \
	tests/integration/public-headers.sh \
	tests/integration/bash-completion.sh \
	tests/integration/man-pages.sh \
	tests/integration/stream-verify.sh \
	tests/integration/save-restore.sh \
	tests/integration/disk-sim.sh \
	tests/integration/disk-sim-kvm.sh \
	tests/integration/disk-suspend.sh \
	tests/integration/disk-suspend-kvm.sh \
	tests/integration/net-sim.sh \
	tests/integration/net-sim-kvm.sh \
	tests/integration/scale-sim.sh \
	tests/integration/gntmap-sim.sh \
	tests/integration/gntmap-sim-kvm.sh \
	tests/integration/pxl-sim-kvm.sh \
	tests/integration/stream-corruption-kvm.sh \
	tests/integration/parallel-loops-kvm.sh \
	tests/integration/kill-matrix-kvm.sh \
	tests/integration/sim-alloc-failures-kvm.sh \
	tests/integration/xenbox-accel.sh

TESTS += $(PM_INTEGRATION_TESTS)
dist_noinst_SCRIPTS += $(PM_INTEGRATION_TESTS) tests/integration/qemu-mtree-to-json.py \
	tests/integration/guest-lib.sh tests/integration/xtf-lib.sh \
	tests/integration/xtf-table.sh tests/integration/hvm-context.py tests/integration/kvm-probe.sh
EXTRA_DIST += tests/integration/gnttab-xen.txt

# prints docs/xl-cfg-keys.md from the key tables (make update-docs)
check_PROGRAMS += tests/integration/config-keys-doc
tests_integration_config_keys_doc_SOURCES = tests/integration/config-keys-doc.c
tests_integration_config_keys_doc_CPPFLAGS = $(AM_CPPFLAGS)
tests_integration_config_keys_doc_LDADD = libphysmap-core.la $(FDT_LIBS)

update-docs: tests/integration/config-keys-doc$(EXEEXT)
	tests/integration/config-keys-doc$(EXEEXT) > $(top_srcdir)/docs/xl-cfg-keys.md
.PHONY: update-docs

# prints a board's layouts for the oracle tests
check_PROGRAMS += tests/integration/board-dump
tests_integration_board_dump_SOURCES = tests/integration/board-dump.c
tests_integration_board_dump_CPPFLAGS = $(AM_CPPFLAGS)
tests_integration_board_dump_LDADD = libphysmap-core.la $(FDT_LIBS)

# writes a PC save file for Xen's verify-stream-v2
check_PROGRAMS += tests/integration/stream-sample
tests_integration_stream_sample_SOURCES = tests/integration/stream-sample.c
tests_integration_stream_sample_LDADD = libphysmap.la

# drives backend calls no pxl command makes yet (dirty log, vCPU state) for the guest suites
check_PROGRAMS += tests/integration/hv-probe
tests_integration_hv_probe_SOURCES = tests/integration/hv-probe.c
tests_integration_hv_probe_LDADD = libphysmap.la

EXTRA_DIST += tests/oracles/qemu-pc-e820.py tests/oracles/xen-core-diff.py tests/oracles/qemu-virt-dtb.py

# plugins for pxl-cli.sh: one good, two that pxl must report and skip
check_LTLIBRARIES = tests/integration/plugins/wrong-abi.la \
	tests/integration/plugins/no-descriptor.la tests/integration/plugins/dup.la
PXL_TEST_PLUGIN_LDFLAGS = -module -avoid-version -shared -rpath /nowhere
tests_integration_plugins_wrong_abi_la_SOURCES = tests/integration/plugins/wrong-abi.c
tests_integration_plugins_wrong_abi_la_CPPFLAGS = $(PXL_PLUGIN_CPPFLAGS)
tests_integration_plugins_wrong_abi_la_LDFLAGS = $(PXL_TEST_PLUGIN_LDFLAGS)
tests_integration_plugins_no_descriptor_la_SOURCES = tests/integration/plugins/no-descriptor.c
tests_integration_plugins_no_descriptor_la_LDFLAGS = $(PXL_TEST_PLUGIN_LDFLAGS)
tests_integration_plugins_dup_la_SOURCES = tests/integration/plugins/dup.c
tests_integration_plugins_dup_la_CPPFLAGS = $(PXL_PLUGIN_CPPFLAGS)
tests_integration_plugins_dup_la_LDFLAGS = $(PXL_TEST_PLUGIN_LDFLAGS)

# what pxl-cli.sh compares pxl create -n with
EXTRA_DIST += tests/golden
