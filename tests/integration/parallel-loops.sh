#!/bin/bash
# parallel-loops.sh - 8 pxl loops at once against one simulator, 3,360
# operations in all: each loop creates its own pc or virt guest, lists,
# unpauses, sets its balloon target, pauses and unpauses it, saves it (-c),
# renames it and back, destroys it, restores it from its file and destroys
# it again, 35 rounds. Every operation must succeed at once (no hang), the
# simulator must stay the same process, and at the end the host must be
# as it began: no domain, frame, store entry, mark, socket or device model.
. "${top_srcdir:-.}/tests/tap.sh"
GX=${top_builddir:-.}/tests/guests/x86/guest.elf GA=${top_builddir:-.}/tests/guests/arm64/guest.img
[ -f "$GX" ] && [ -f "$GA" ] || bail "the test guests are not built"
. "${top_srcdir:-.}/tests/integration/guest-lib.sh"

LOOPS=8 ROUNDS=35
dms() { pgrep -f "physmap-dm --sim .* --rundir $PHYSMAP_RUNDIR( |$)" | wc -l; }
host() {
	for i in $(seq 50); do [ "$(dms)" = 0 ] && break; sleep 0.1; done
	echo "$(names) free=$(free_mib) homes=$(store xenstore-list /local/domain 2>/dev/null | wc -l)" \
		"marks=$(store xenstore-list /tool/physmap/building 2>/dev/null | wc -l)" \
		"socks=$(ls "$PHYSMAP_RUNDIR/console" 2>/dev/null | grep -c '\.sock$\|\.ctl$') dms=$(dms)"
}
# op LOG CMD...: one operation, bounded; a failure or a hang is written to LOG
op() {
	local log=$1 out rc
	shift
	out=$(timeout 60 "$@" 2>&1)
	rc=$?
	# a failure, or a notice that something was found unfinished (nothing here is)
	if [ $rc != 0 ] || [ "${out#*unfinished}" != "$out" ]; then
		echo "${*#$PXL }: exit $rc: $out" | tr '\n' ' ' >>"$log"
		echo >>"$log"
	fi
	echo . >>"$log.n"
}
loop() {
	local i=$1 n=p$1 log=$T/loop-$1 cfg
	if [ $((i % 2)) = 0 ]; then
		cfg=("$EX/pc.cfg" memory=32 kernel="$GX" 'cmdline="control"')
	else
		cfg=("$EX/virt.cfg" memory=32 maxmem=32 kernel="$GA" 'extra="control"')
	fi
	: >"$log"
	for r in $(seq $ROUNDS); do
		op "$log" "$PXL" create -p "${cfg[@]}" name=$n
		op "$log" "$PXL" list $n
		op "$log" "$PXL" unpause $n
		op "$log" "$PXL" mem-set $n 24 --no-wait
		op "$log" "$PXL" pause $n
		op "$log" "$PXL" unpause $n
		op "$log" "$PXL" save -c $n "$T/$n.save"
		op "$log" "$PXL" rename $n q$i
		op "$log" "$PXL" rename q$i $n
		op "$log" "$PXL" destroy $n
		op "$log" "$PXL" restore "$T/$n.save"
		op "$log" "$PXL" destroy $n
		rm -f "$T/$n.save"
	done
}

plan 4
"$PXL" list >/dev/null
sim=$(pgrep -f "physmap-sim --rundir $PHYSMAP_RUNDIR")
clean=$(host)
start=$(date +%s)
for i in $(seq 0 $((LOOPS - 1))); do loop $i & done
wait
secs=$(($(date +%s) - start))
ops=$(cat "$T"/loop-*.n | wc -l)
failed=$(cat "$T"/loop-? | wc -l)
is "$LOOPS loops at once, $ops operations in $secs s: every one succeeded at once" "$((LOOPS * ROUNDS * 12)) 0" "$ops $failed"
[ "$failed" = 0 ] || for f in "$T"/loop-?; do head -2 "$f"; done | sed 's/^/#   /'
is "the simulator is the same process" "$sim" "$(pgrep -f "physmap-sim --rundir $PHYSMAP_RUNDIR")"
is "the host is as it began: no domain, frame, store entry, mark, socket or device model" "$clean" "$(host)"
is "and it answers as before" "0" "$("$PXL" info >/dev/null 2>&1; echo $?)"
