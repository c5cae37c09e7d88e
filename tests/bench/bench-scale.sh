#!/bin/bash
# tests/bench/bench-scale.sh - make bench's figures for the simulator at
# scale (issue 36): paused 16 MiB pc guests on one simulator; the time of
# `pxl create -p` and of `pxl destroy` per domain, 10 of each timed when
# 10, 100 and 1000 domains exist (the ratio 1000 against 10 is the figure:
# a cost that does not grow with the domains is 1.0), at each size too a
# store read and a watch round trip (bench-store-ops, medians) and an
# ioreq's delivery (a running guest's port reads its device model
# answers, iotiming's median), `pxl list` of 1000
# domains against `pxl list` of 10, and the host memory an idle domain
# costs: the simulator's own (its Pss grown from 10 to 1000 domains, per
# domain) plus its device model's (Pss and page tables), against the 16
# MiB of RAM the guest has. JSON lines on stdout, as every benchmark prints.
set -uo pipefail
S=${top_srcdir:-.}
B=${top_builddir:-.}
T=$(mktemp -d)
export PXL_PLUGIN_PATH=$B/xl-plugins/.libs PHYSMAP_SIM=$B/.libs/physmap-sim PHYSMAP_DM=$B/.libs/physmap-dm
export PHYSMAP_RUNDIR=$T/run PHYSMAP_CONNECT=sim LD_LIBRARY_PATH=$B/.libs${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
PXL=$B/pxl
G=$B/tests/guests/x86/guest.elf
N=1000
trap 'pkill -f "physmap-sim --rundir $PHYSMAP_RUNDIR"; rm -rf "$T"' EXIT
mkdir -p "$PHYSMAP_RUNDIR"
echo "host_memory = \"$((N * 17 + 256))m\"" >"$PHYSMAP_RUNDIR/sim.conf"

ns() { date +%s%N; }
create() { "$PXL" create -p "$S/docs/examples/pc.cfg" name="b$1" kernel="$G" memory=16 'vif=[]' >/dev/null 2>&1 ||
	{ echo "bench-scale: create b$1 failed" >&2; exit 1; }; }
# the mean ns of creating domains $1..$2
timed_create() {
	local t0 i
	t0=$(ns)
	for i in $(seq "$1" "$2"); do create "$i"; done
	echo $((($(ns) - t0) / ($2 - $1 + 1)))
}
timed_destroy() {
	local t0 i
	t0=$(ns)
	for i in $(seq "$1" "$2"); do "$PXL" destroy "b$i"; done
	echo $((($(ns) - t0) / ($2 - $1 + 1)))
}
best_list() {
	local best= t0 t i
	for i in 1 2 3 4 5; do
		t0=$(ns)
		"$PXL" list >/dev/null
		t=$(($(ns) - t0))
		[ -z "$best" ] || [ "$t" -lt "$best" ] && best=$t
	done
	echo "$best"
}
pss() { awk '/^Pss:/ { print $2 }' /proc/"$1"/smaps_rollup; }
# "READ_NS WATCH_NS IOREQ_NS" with the domains there are now
ops() {   # $1: the timing guest's name (a console log of its own)
	local store io i
	store=$(XENSTORED_PATH=$PHYSMAP_RUNDIR/xenstored.sock "$B/tests/bench/bench-store-ops") ||
		{ echo "bench-scale: the store ops failed" >&2; exit 1; }
	"$PXL" create "$S/docs/examples/pc.cfg" name="$1" kernel="$G" memory=16 'vif=[]' 'cmdline="iotiming=0x3fd"' \
		on_poweroff=preserve >/dev/null 2>&1 || { echo "bench-scale: the timing guest failed" >&2; exit 1; }
	for i in $(seq 300); do
		io=$(tr -d '\r' <"$PHYSMAP_RUNDIR/console/$1.log" | sed -n 's/^timing pio: median \([0-9]*\) ns.*/\1/p')
		[ -n "$io" ] && break
		sleep 0.1
	done
	"$PXL" destroy "$1"
	[ -n "$io" ] || { echo "bench-scale: the timing guest $1 said no median" >&2; exit 1; }
	echo "$store $io"
}
fig() {   # name value unit baseline baseline_value target met
	printf '{"name": "%s", "value": %s, "unit": "%s", "baseline": "%s", "baseline_value": %s, "ratio": %s, "target": "%s", "met": %s}\n' \
		"$1" "$2" "$3" "$4" "$5" "$(awk -v a="$2" -v b="$5" 'BEGIN { printf "%.3f", b ? a / b : 0 }')" "$6" "$7"
}

"$PXL" info >/dev/null || exit 1
sim=$(pgrep -f "physmap-sim --rundir $PHYSMAP_RUNDIR" | head -1)
# fills up to $1 domains, times 10 creates past it, then the store and an ioreq: "CREATE_NS READ WATCH IOREQ"
at_size() {
	local n=$1 c
	for i in $(seq "$(($(ls "$PHYSMAP_RUNDIR/console" 2>/dev/null | grep -c '^b[0-9]*\.log$') + 1))" "$n"); do create "$i"; done
	c=$(timed_create $((n + 1)) $((n + 10)))
	echo "$c $(ops "io$n")"
}
read -r c10 r10 w10 i10 <<<"$(at_size 10)"
l10=$(best_list)
sim10=$(pss "$sim")
read -r c100 r100 w100 i100 <<<"$(at_size 100)"
read -r c1000 r1000 w1000 i1000 <<<"$(at_size 990)"
l1000=$(best_list)
[ -n "$i10" ] && [ -n "$i100" ] && [ -n "$i1000" ] || exit 1
simN=$(pss "$sim")
dm_kib=$(for p in $(pgrep -f "physmap-dm --sim [0-9]* --rundir $PHYSMAP_RUNDIR" | head -50); do
	echo "$(pss "$p") $(awk '/^VmPTE:/ { print $2 }' /proc/"$p"/status)"
done | awk '{ s += $1 + $2; n++ } END { printf "%d", n ? s / n : 0 }')
d1000=$(timed_destroy 991 1000)
for i in $(seq 111 990); do "$PXL" destroy "b$i"; done
d100=$(timed_destroy 101 110)
for i in $(seq 21 100); do "$PXL" destroy "b$i"; done
d10=$(timed_destroy 11 20)
for i in $(seq 1 10); do "$PXL" destroy "b$i"; done
echo "bench-scale: create ns at 10/100/1000: $c10 $c100 $c1000; destroy: $d10 $d100 $d1000; list: $l10 $l1000;" \
	"store read: $r10 $r100 $r1000; watch: $w10 $w100 $w1000; ioreq: $i10 $i100 $i1000" >&2

met_le() { awk -v a="$1" -v b="$2" -v t="$3" 'BEGIN { print (a / b <= t) ? "true" : "false" }'; }
fig sim.scale.create_at_1000 "$((c1000 / 1000))" us "create at 10 domains" "$((c10 / 1000))" "ratio <= 1.5" \
	"$(met_le "$c1000" "$c10" 1.5)"
fig sim.scale.create_at_100 "$((c100 / 1000))" us "create at 10 domains" "$((c10 / 1000))" "reported" true
fig sim.scale.destroy_at_1000 "$((d1000 / 1000))" us "destroy at 10 domains" "$((d10 / 1000))" "ratio <= 1.5" \
	"$(met_le "$d1000" "$d10" 1.5)"
fig sim.scale.destroy_at_100 "$((d100 / 1000))" us "destroy at 10 domains" "$((d10 / 1000))" "reported" true
fig sim.scale.store_read_at_1000 "$r1000" ns "a store read at 10 domains" "$r10" "ratio <= 1.5" \
	"$(met_le "$r1000" "$r10" 1.5)"
fig sim.scale.store_watch_at_1000 "$w1000" ns "a watch round trip at 10 domains" "$w10" "ratio <= 1.5" \
	"$(met_le "$w1000" "$w10" 1.5)"
fig sim.scale.ioreq_at_1000 "$i1000" ns "an ioreq (port read) at 10 domains" "$i10" "ratio <= 1.5" \
	"$(met_le "$i1000" "$i10" 1.5)"
fig sim.scale.list_1000 "$((l1000 / 1000))" us "pxl list of 10 domains" "$((l10 / 1000))" "<= 100 ms" \
	"$([ "$l1000" -le 100000000 ] && echo true || echo false)"
per=$(((simN - sim10) / (N - 10) + dm_kib))
fig sim.scale.memory_per_idle_domain "$per" KiB "the guest's RAM (16 MiB)" 16384 "<= 2048 KiB (simulator + device model)" \
	"$([ "$per" -le 2048 ] && echo true || echo false)"
