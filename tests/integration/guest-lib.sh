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
# PM_ENGINE=kvm: x86 vCPUs on KVM, the suite skipped where KVM cannot serve
# (a simulator started with PHYSMAP_SIM_ENGINE=kvm refuses to run there)
if [ "${PM_ENGINE:-}" = kvm ]; then
	export PHYSMAP_SIM_ENGINE=kvm
	if ! why=$(PHYSMAP_RUNDIR=$T/kvm-probe "$PXL" info xen_commandline 2>&1) || [ "$why" != "x86_engine=kvm" ]; then
		skip_all "no usable KVM here: $(tail -n 1 "$T/kvm-probe/sim.log" 2>/dev/null || printf '%s' "$why" | head -n 1)"
	fi
	pkill -f "physmap-sim --rundir $T/kvm-probe" 2>/dev/null
fi

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
