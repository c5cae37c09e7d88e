# tests/tap.sh - TAP output for shell test suites (source it).
#
#   plan N            announce N test cases
#   ok NAME           a passing case
#   fail NAME [WHY]   a failing case, with a diagnostic line
#   check NAME CMD..  run CMD; pass if it exits 0
#   is NAME EXPECTED ACTUAL   pass if equal, else print both
#   like NAME REGEX ACTUAL    pass if ACTUAL matches the extended REGEX
#   bail WHY          abort the whole suite (counted as an error)
#   tap_done          end a suite run outside automake's TAP driver: exit 1
#                     when the plan was not met or a case failed
#   skip_all WHY      the suite cannot run here (only for what a machine may
#                     lack by design: a usable /dev/kvm, the XTF sources)
#
# A suite that needs a tool it cannot find must bail, never skip: a skip is
# for hardware, and scripts/test names every skipped suite in its summary
# and never counts it as passed.

# the simulator's frame pool the suites' figures are written for (its own
# default is half the host's RAM)
export PHYSMAP_HOST_MEMORY=${PHYSMAP_HOST_MEMORY-4g}

tap_n=0
tap_failed=0
tap_plan=

skip_all() {
	echo "1..0 # SKIP $1"
	exit 0
}

plan() {
	tap_plan=$1
	echo "1..$1"
}

ok() {
	tap_n=$((tap_n + 1))
	echo "ok $tap_n - $1"
}

fail() {
	tap_n=$((tap_n + 1))
	tap_failed=$((tap_failed + 1))
	echo "not ok $tap_n - $1"
	[ $# -lt 2 ] || printf '# %s\n' "$2"
}

check() {
	local name=$1
	shift
	local out
	if out=$("$@" 2>&1); then
		ok "$name"
	else
		fail "$name" "command failed: $*"
		printf '%s\n' "$out" | sed 's/^/#   /' | head -n 20
	fi
}

is() {
	if [ "$2" = "$3" ]; then
		ok "$1"
	else
		fail "$1" "expected '$2', got '$3'"
		return 1
	fi
}

like() {
	if printf '%s\n' "$3" | grep -Eq -- "$2"; then
		ok "$1"
	else
		fail "$1" "expected a match of '$2', got '$3'"
		return 1
	fi
}

bail() {
	echo "Bail out! $*"
	exit 1
}

tap_done() {
	if [ -z "$tap_plan" ] || [ "$tap_n" != "$tap_plan" ]; then
		echo "# planned ${tap_plan:-no} cases, ran $tap_n"
		exit 1
	fi
	[ "$tap_failed" = 0 ] || { echo "# $tap_failed of $tap_n failed"; exit 1; }
	exit 0
}

need_tool() {
	command -v "$1" >/dev/null 2>&1 || bail "$1 not found (install the Debian package '$2'; scripts/test does)"
}
