#!/bin/bash
# tests/bench/bench-scale.sh - make bench's figures for the simulator at
# scale (issue 36): paused 16 MiB pc guests on one simulator, the big one,
# grown to 100 and then 1000 domains; beside it a small one that keeps 10.
# At each size the big one's costs are measured interleaved with the small
# one's, each figure against the small one's taken in the same minute (the
# host's speed drifts by half over minutes here, a fixed phase at 10 would
# measure the drift): `pxl create -p` and `pxl destroy` (the median of 10
# pairs), a store read and a watch round trip (bench-store-ops' medians,
# the client and its simulator on one CPU, the least of 5 runs each), an
# ioreq's delivery (a running guest's port reads its device model answers,
# the least of 3 guests' iotiming medians) and `pxl list` (the best of 5).
# The ratio is the figure: a cost that does not grow with the domains is
# 1.0. And the host memory an idle domain costs: the big simulator's own
# (its Pss grown from 10 to 1000 domains, per domain) plus its device
# model's (Pss and page tables), against the 16 MiB of RAM the guest has.
# JSON lines on stdout, as every benchmark prints.
set -uo pipefail
S=${top_srcdir:-.}
B=${top_builddir:-.}
T=$(mktemp -d)
export PXL_PLUGIN_PATH=$B/xl-plugins/.libs PHYSMAP_SIM=$B/.libs/physmap-sim PHYSMAP_DM=$B/.libs/physmap-dm
export PHYSMAP_CONNECT=sim LD_LIBRARY_PATH=$B/.libs${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
PXL=$B/pxl
G=$B/tests/guests/x86/guest.elf
N=1000
trap 'pkill -f "physmap-sim --rundir $T/"; rm -rf "$T"' EXIT
mkdir -p "$T/big" "$T/small"
echo "host_memory = \"$((N * 17 + 256))m\"" >"$T/big/sim.conf"
echo "host_memory = \"512m\"" >"$T/small/sim.conf"

ns() { date +%s%N; }
on() { PHYSMAP_RUNDIR=$T/$1 "${@:2}"; }   # on big|small COMMAND...
create() {   # big|small NAME
	on "$1" "$PXL" create -p "$S/docs/examples/pc.cfg" name="$2" kernel="$G" memory=16 'vif=[]' >/dev/null 2>&1 ||
		{ echo "bench-scale: create $2 on the $1 simulator failed" >&2; return 1; }
}
timed() {   # COMMAND...: its ns on stdout
	local t0
	t0=$(ns)
	"$@" >/dev/null || return 1
	echo $(($(ns) - t0))
}
median() { sort -n | awk '{ v[NR] = $1 } END { print NR % 2 ? v[(NR + 1) / 2] : int((v[NR / 2] + v[NR / 2 + 1]) / 2) }'; }
least() { sort -n | head -1; }
sim_of() { pgrep -f "physmap-sim --rundir $T/$1( |$)" | head -1; }
pss() { awk '/^Pss:/ { print $2 }' /proc/"$1"/smaps_rollup; }

# "CREATE DESTROY" ns for big and small, pair by pair: 10 created on each, alternately, then
# destroyed so: "BIG_CREATE BIG_DESTROY SMALL_CREATE SMALL_DESTROY", medians
create_destroy() {   # a tag for the names
	local i b s
	for i in $(seq 10); do
		b=$(timed create big "t$1-$i") && s=$(timed create small "t$1-$i") || return 1
		echo "bc $b"; echo "sc $s"
	done >"$T/cd" || return 1
	for i in $(seq 10); do
		b=$(timed on big "$PXL" destroy "t$1-$i") && s=$(timed on small "$PXL" destroy "t$1-$i") || return 1
		echo "bd $b"; echo "sd $s"
	done >>"$T/cd" || return 1
	for k in bc bd sc sd; do awk -v k=$k '$1 == k { print $2 }' "$T/cd" | median; done | xargs
}
# the store's own cost: the client and the simulator on one CPU for it, the least of
# 5 runs' medians each, big and small alternately (across CPUs a round trip takes 30
# or 60 us as the threads happen to be placed, and a run keeps its placement):
# "BIG_READ BIG_WATCH SMALL_READ SMALL_WATCH"
store_ops() {
	local which sim mask i
	for i in 1 2 3 4 5; do
		for which in big small; do
			sim=$(sim_of "$which")
			mask=$(taskset -p "$sim" | sed 's/.*: //')
			taskset -a -p 1 "$sim" >/dev/null || return 1
			echo "$which $(XENSTORED_PATH=$T/$which/xenstored.sock taskset 1 "$B/tests/bench/bench-store-ops")"
			taskset -a -p "$mask" "$sim" >/dev/null
		done
	done >"$T/ops"
	for which in big small; do
		awk -v k=$which '$1 == k && NF == 3 { print $2 }' "$T/ops" | least
		awk -v k=$which '$1 == k && NF == 3 { print $3 }' "$T/ops" | least
	done | xargs
}
# an ioreq's ns: the timing guest's median, the least of 3 guests; big and small alternately
ioreq_one() {   # big|small NAME
	local m= i
	on "$1" "$PXL" create "$S/docs/examples/pc.cfg" name="$2" kernel="$G" memory=16 'vif=[]' \
		'cmdline="iotiming=0x3fd"' on_poweroff=preserve >/dev/null 2>&1 ||
		{ echo "bench-scale: the timing guest $2 failed" >&2; return 1; }
	for i in $(seq 300); do
		m=$(tr -d '\r' <"$T/$1/console/$2.log" | sed -n 's/^timing pio: median \([0-9]*\) ns.*/\1/p')
		[ -n "$m" ] && break
		sleep 0.1
	done
	on "$1" "$PXL" destroy "$2"
	[ -n "$m" ] || { echo "bench-scale: the timing guest $2 said no median" >&2; return 1; }
	echo "$m"
}
ioreqs() {   # a tag: "BIG SMALL"
	local j b s
	for j in 1 2 3; do
		b=$(ioreq_one big "io$1-$j") && s=$(ioreq_one small "io$1-$j") || return 1
		echo "big $b"; echo "small $s"
	done >"$T/io" || return 1
	for k in big small; do awk -v k=$k '$1 == k { print $2 }' "$T/io" | least; done | xargs
}
lists() {   # "BIG SMALL": the best of 5 each, alternately
	local j
	for j in 1 2 3 4 5; do
		echo "big $(timed on big "$PXL" list)"
		echo "small $(timed on small "$PXL" list)"
	done >"$T/ls" 2>/dev/null
	for k in big small; do awk -v k=$k '$1 == k { print $2 }' "$T/ls" | least; done | xargs
}
fill() {   # big|small UP_TO: domains named bI up to UP_TO exist
	local i have
	have=$(ls "$T/$1/console" 2>/dev/null | grep -c '^b[0-9]*\.log$')
	for i in $(seq $((have + 1)) "$2"); do create "$1" "b$i" || return 1; done
}
fig() {   # name value unit baseline baseline_value target met
	printf '{"name": "%s", "value": %s, "unit": "%s", "baseline": "%s", "baseline_value": %s, "ratio": %s, "target": "%s", "met": %s}\n' \
		"$1" "$2" "$3" "$4" "$5" "$(awk -v a="$2" -v b="$5" 'BEGIN { printf "%.3f", b ? a / b : 0 }')" "$6" "$7"
}
met_le() { awk -v a="$1" -v b="$2" -v t="$3" 'BEGIN { print (a / b <= t) ? "true" : "false" }'; }

on big "$PXL" info >/dev/null && on small "$PXL" info >/dev/null || exit 1
fill small 10 && fill big 10 || exit 1
sim10=$(pss "$(sim_of big)")
# everything measured at one size of the big simulator: "CB DB CS DS RB WB RS WS IB IS"
at() {
	local cd ops io
	cd=$(create_destroy "$1") && ops=$(store_ops) && io=$(ioreqs "$1") || return 1
	echo "$cd $ops $io"
}
fill big 100 || exit 1
read -r c100 d100 c100s d100s r100 w100 r100s w100s i100 i100s <<<"$(at 100)"
fill big "$N" || exit 1
read -r c1000 d1000 c1000s d1000s r1000 w1000 r1000s w1000s i1000 i1000s <<<"$(at 1000)"
read -r l1000 l10 <<<"$(lists)"
for v in c100 d100 c100s d100s r100 w100 r100s w100s i100 i100s c1000 d1000 c1000s d1000s r1000 w1000 r1000s \
	w1000s i1000 i1000s l1000 l10; do
	[ -n "${!v:-}" ] || { echo "bench-scale: no figure for $v" >&2; exit 1; }
done
simN=$(pss "$(sim_of big)")
dm_kib=$(for p in $(pgrep -f "physmap-dm --sim [0-9]* --rundir $T/big( |$)" | head -50); do
	echo "$(pss "$p") $(awk '/^VmPTE:/ { print $2 }' /proc/"$p"/status)"
done | awk '{ s += $1 + $2; n++ } END { printf "%d", n ? s / n : 0 }')
echo "bench-scale: ns at 100 (against 10 beside it) / at 1000 (against 10):" \
	"create $c100 ($c100s) / $c1000 ($c1000s); destroy $d100 ($d100s) / $d1000 ($d1000s);" \
	"store read $r100 ($r100s) / $r1000 ($r1000s); watch $w100 ($w100s) / $w1000 ($w1000s);" \
	"ioreq $i100 ($i100s) / $i1000 ($i1000s); list of 1000 $l1000, of 10 $l10" >&2

base=" at 10 domains, on a simulator beside it, interleaved"
fig sim.scale.create_at_1000 "$((c1000 / 1000))" us "create$base" "$((c1000s / 1000))" "ratio <= 1.5" \
	"$(met_le "$c1000" "$c1000s" 1.5)"
fig sim.scale.create_at_100 "$((c100 / 1000))" us "create$base" "$((c100s / 1000))" "reported" true
fig sim.scale.destroy_at_1000 "$((d1000 / 1000))" us "destroy$base" "$((d1000s / 1000))" "ratio <= 1.5" \
	"$(met_le "$d1000" "$d1000s" 1.5)"
fig sim.scale.destroy_at_100 "$((d100 / 1000))" us "destroy$base" "$((d100s / 1000))" "reported" true
fig sim.scale.store_read_at_1000 "$r1000" ns "a store read$base" "$r1000s" "ratio <= 1.5" \
	"$(met_le "$r1000" "$r1000s" 1.5)"
fig sim.scale.store_watch_at_1000 "$w1000" ns "a watch round trip$base" "$w1000s" "ratio <= 1.5" \
	"$(met_le "$w1000" "$w1000s" 1.5)"
fig sim.scale.ioreq_at_1000 "$i1000" ns "an ioreq (port read)$base" "$i1000s" "ratio <= 1.5" \
	"$(met_le "$i1000" "$i1000s" 1.5)"
fig sim.scale.list_1000 "$((l1000 / 1000))" us "pxl list of 10 domains, on a simulator beside it" "$((l10 / 1000))" \
	"<= 100 ms" "$([ "$l1000" -le 100000000 ] && echo true || echo false)"
per=$(((simN - sim10) / (N - 10) + dm_kib))
fig sim.scale.memory_per_idle_domain "$per" KiB "the guest's RAM (16 MiB)" 16384 "<= 2048 KiB (simulator + device model)" \
	"$([ "$per" -le 2048 ] && echo true || echo false)"
# the big simulator emptied: every domain's destroy works at any size
for i in $(seq "$N"); do on big "$PXL" destroy "b$i" || exit 1; done
[ "$(on big "$PXL" list | awk 'NR > 1' | wc -l)" = 1 ] || { echo "bench-scale: domains left on the big simulator" >&2; exit 1; }
