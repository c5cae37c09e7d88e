#!/bin/bash
# sim-alloc-failures.sh - the Nth allocation of physmap-sim (and its
# store) failing (PHYSMAP_SIM_ALLOC_FAIL_AT=N) along a fresh simulator's
# start and a pxl create, save -c, destroy, restore and destroy of a pc
# guest: N from 1 to the count a whole run makes, every
# $PM_SIM_ALLOC_STRIDE-th (default 29 here; make check-faults takes every
# one). Each pxl command that fails says one line with exit 1; the
# simulator never crashes (no signal, no sanitizer report in its log);
# and once the guest is destroyed the host is as it began.
. "${top_srcdir:-.}/tests/tap.sh"
GX=${top_builddir:-.}/tests/guests/x86/guest.elf
[ -f "$GX" ] || bail "$GX not built"
. "${top_srcdir:-.}/tests/integration/guest-lib.sh"
stride=${PM_SIM_ALLOC_STRIDE:-29}
sim_of() { pgrep -f "physmap-sim --rundir $1"; }
dms() { pgrep -f "physmap-dm --sim .* --rundir $PHYSMAP_RUNDIR( |$)" | wc -l; }

# one run, in a run directory of its own; its commands' faults appended to $bad
run() {
	local n=$1 out rc cmd
	export PHYSMAP_RUNDIR=$T/run-$n
	for cmd in "info" "create $EX/pc.cfg name=s memory=32 kernel=$GX cmdline=control" "save -c s $T/s-$n.save" \
		"destroy s" "restore $T/s-$n.save" "destroy s"; do
		# shellcheck disable=SC2086
		out=$(timeout 20 "$PXL" $cmd 2>&1 </dev/null)   # a hang is a fault too (exit 124)
		rc=$?
		out=$(printf '%s\n' "$out" | grep -v 'warning: \|left unfinished by process')   # a notice of what it finished is not its result
		if [ $rc != 0 ] && { [ $rc != 1 ] || [ "$(printf '%s\n' "$out" | wc -l)" != 1 ]; }; then
			bad="$bad [N=$n, $cmd: exit $rc, $(printf '%s' "$out" | tr '\n' '|')]"
		fi
	done
}

plan 4
# how many allocations a whole run makes, counted by the simulator as it leaves
export PHYSMAP_SIM_ALLOC_COUNT_TO=$T/count
run 0
pkill -TERM -f "physmap-sim --rundir $T/run-0"
for i in $(seq 50); do [ -s "$T/count" ] && break; sleep 0.1; done
unset PHYSMAP_SIM_ALLOC_COUNT_TO
k=$(cat "$T/count")
[ "${k:-0}" -gt 100 ] || bail "the simulator counted ${k:-no} allocations"

bad= crashed= left= runs=0
for n in $(seq 1 "$stride" "$k"); do
	runs=$((runs + 1))
	export PHYSMAP_SIM_ALLOC_FAIL_AT=$n
	run "$n"
	unset PHYSMAP_SIM_ALLOC_FAIL_AT
	rundir=$T/run-$n
	pid=$(sim_of "$rundir")
	if [ -n "$pid" ]; then
		# what is left once its commands are done: the guest destroyed, whatever failed
		PHYSMAP_RUNDIR=$rundir "$PXL" destroy s >/dev/null 2>&1
		now="$(PHYSMAP_RUNDIR=$rundir names) $(PHYSMAP_RUNDIR=$rundir free_mib)"
		# the Nth may be one of these very commands' allocations: it fails once only
		[ "$now" = "Domain-0 4096" ] || now="$(PHYSMAP_RUNDIR=$rundir names) $(PHYSMAP_RUNDIR=$rundir free_mib)"
		[ "$now" = "Domain-0 4096" ] || left="$left [N=$n: $now]"
		kill -TERM "$pid"
		for i in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
	fi
	grep -qE 'AddressSanitizer|LeakSanitizer|runtime error|Segmentation|Aborted' "$rundir/sim.log" 2>/dev/null &&
		crashed="$crashed [N=$n: $(grep -m1 -E 'ERROR|runtime error|Segmentation' "$rundir/sim.log")]"
	rm -rf "$rundir" "$T/s-$n.save"
done
is "the simulator's Nth allocation failing, $runs of its $k (every $stride): each failing command one line, exit 1" \
	"ok" "${bad:-ok}"
is "the simulator never crashed, and (sanitizer build) its log holds no report" "ok" "${crashed:-ok}"
is "after each, with the guest destroyed, the host is as it began" "ok" "${left:-ok}"
export PHYSMAP_RUNDIR=$T/run
is "no device model is left from any of them" "0" "$(pgrep -f "physmap-dm --sim .* --rundir $T/" | wc -l)"
