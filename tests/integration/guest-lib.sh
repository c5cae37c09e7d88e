# tests/integration/guest-lib.sh - what the suites that boot test guests
# share (sourced after tests/tap.sh, with G set to the guest image): a
# private simulator run directory, and helpers that read a domain's state
# and console log and wait for them.
B=${top_builddir:-.}
S=${top_srcdir:-.}
PXL=$B/pxl
EX=$S/docs/examples
[ -x "$PXL" ] && [ -x "$B/physmap-sim" ] || bail "pxl or physmap-sim not built"
export PXL_PLUGIN_PATH=$B/xl-plugins/.libs PHYSMAP_SIM=$B/physmap-sim PHYSMAP_DM=$B/physmap-dm PHYSMAP_CONNECT=sim
T=$(mktemp -d)
export PHYSMAP_RUNDIR=$T/run
trap 'pkill -f "physmap-sim --rundir $T" 2>/dev/null; rm -rf "$T"' EXIT
. "$S/tests/integration/kvm-probe.sh"

free_mib() { "$PXL" info | sed -n 's/^free_memory *: //p'; }
names() { "$PXL" list | awk 'NR > 1 && !/ crashed: / { print $1 }' | tr '\n' ' ' | sed 's/ $//'; }
log() { cat "$PHYSMAP_RUNDIR/console/$1.log" 2>/dev/null; }
store() { XENSTORED_PATH=$PHYSMAP_RUNDIR/xenstored.sock "$@"; }
rss_mib() { awk '$1 == "VmRSS:" { print int($2 / 1024) }' /proc/"$1"/status; }
# a field of a domain in pxl list -j (physmap's JSON)
field() { "$PXL" list -j | sed -n "/\"name\": \"$1\"/s/.*\"$2\": \\(\"[^\"]*\"\\|[0-9]*\\).*/\\1/p" | tr -d '"'; }
# waits up to 30 s for a domain's state ("gone" when it has none)
wait_state() {
	local i s
	for i in $(seq 300); do
		s=$(field "$1" state)
		[ "${s:-gone}" = "$2" ] && return 0
		sleep 0.1
	done
	return 1
}
# waits up to 30 s for a line matching $3 in what "$1 $2" prints
wait_for() {
	local i
	for i in $(seq 300); do
		"$1" "$2" | grep -q -- "$3" && return 0
		sleep 0.1
	done
	return 1
}
# waits up to 30 s for a line in a domain's console log
wait_log() { wait_for log "$1" "$2"; }
# a small pc guest of the x86 test image ($G): NAME, its command-line words, KEY=VALUEs
boot_pc() {
	local name=$1 words=$2
	shift 2
	"$PXL" create "$EX/pc.cfg" name="$name" kernel="$G" "cmdline=\"$words\"" memory=32 'vif=[]' "$@" >/dev/null 2>&1
}
# waits up to 30 s for a domain's console log to hold $2 workload rounds
wait_rounds() {
	local i
	for i in $(seq 300); do
		[ "$(log "$1" | grep -c '^workload: [0-9]* rounds over .* ok$')" -ge "$2" ] && return 0
		sleep 0.1
	done
	return 1
}
