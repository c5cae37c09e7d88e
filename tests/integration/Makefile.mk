# Integration suites: shell (or Python 3) programs speaking TAP.

PM_INTEGRATION_TESTS = \
	tests/integration/library-exports.sh \
	tests/integration/configure-names-missing-package.sh \
	tests/integration/examples.sh

TESTS += $(PM_INTEGRATION_TESTS)
dist_noinst_SCRIPTS += $(PM_INTEGRATION_TESTS)
