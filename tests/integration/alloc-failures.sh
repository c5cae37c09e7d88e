#!/bin/bash
# alloc-failures.sh - the Nth allocation of libphysmap failing
# (PHYSMAP_ALLOC_FAIL_AT=N), for every N from 1 to the number a whole pxl
# create, save, restore and destroy of a pc and a virt guest makes
# (PHYSMAP_ALLOC_COUNT_TO): each run either fails (one line, exit 1, the
# host as it was: the domain saved runs on and no file is there, nothing
# created or restored is left, the domain destroyed is whole) or, where
# the allocation was one it can do without, succeeds whole. Under the
# sanitizer build, LeakSanitizer checks every one of those pxl runs.
. "${top_srcdir:-.}/tests/tap.sh"
GX=${top_builddir:-.}/tests/guests/x86/guest.elf GA=${top_builddir:-.}/tests/guests/arm64/guest.img
[ -f "$GX" ] && [ -f "$GA" ] || bail "the test guests are not built"
. "${top_srcdir:-.}/tests/integration/guest-lib.sh"

CFG_pc=("$EX/pc.cfg" memory=64 kernel="$GX" 'cmdline="control"' on_reboot=destroy)
CFG_virt=("$EX/virt.cfg" memory=64 maxmem=64 kernel="$GA" 'extra="control"' on_reboot=destroy on_crash=destroy)
dms() { pgrep -f "physmap-dm --sim .* --rundir $PHYSMAP_RUNDIR( |$)" | wc -l; }
host() {
	for i in $(seq 30); do [ "$(dms)" -le "$1" ] && break; sleep 0.1; done
	echo "$("$PXL" list | awk 'NR > 2 { printf "%s:%s ", $1, $5 }')free=$(free_mib)" \
		"homes=$(store xenstore-list /local/domain 2>/dev/null | wc -l) dms=$(dms)" \
		"marks=$(store xenstore-list /tool/physmap/building 2>/dev/null | wc -l) file=$(ls "$T/s.save" 2>/dev/null | wc -l)"
}
# fails OUT RC EXPECTED-HOST N: one failure judged; its faults added to $bad
judge() {
	local out=$1 rc=$2 want=$3 n=$4 dm=$5 now
	now=$(host "$dm")
	if [ "$rc" != 1 ] || [ "$(printf '%s\n' "$out" | grep -vc warning)" != 1 ] || [ "$now" != "$want" ]; then
		bad="$bad [allocation $n: rc $rc, $(printf '%s' "$out" | tr '\n' '|'), $now]"
	fi
}

count() { PHYSMAP_ALLOC_COUNT_TO=$T/count "$@" >/dev/null 2>&1; cat "$T/count"; }
# every N of CMD's allocations: judged against the host before, or after a success (then UNDO runs)
every() {
	local what=$1 before=$2 dm=$3 after=$4 undo=$5 redo=$6 k n out rc now
	shift 6
	k=$(count "$@")
	eval "$undo"
	eval "$redo"
	bad= fails=0 oks=0
	for n in $(seq "$k"); do
		out=$(PHYSMAP_ALLOC_FAIL_AT=$n "$@" 2>&1)
		rc=$?
		"$PXL" list >/dev/null 2>&1   # what a failure left unfinished, the next command finishes
		if [ $rc = 0 ]; then
			oks=$((oks + 1))
			now=$(host "$dm")
			[ "$now" = "$after" ] || bad="$bad [allocation $n: a success, but $now]"
			eval "$undo"
			eval "$redo"
			continue
		fi
		fails=$((fails + 1))
		judge "$out" $rc "$before" $n "$dm"
	done
	is "$what: its Nth allocation failing, each N of its $k ($fails refused, $oks whole): one line and the host as before, or whole" \
		"yes ok" "$([ "$fails" -ge 3 ] && echo yes || echo "no: $fails failures of $k") ${bad:-ok}"
}
ready() { wait_log s 'waiting for the toolstack' && wait_state s running; }

plan 8
"$PXL" list >/dev/null
clean=$(host 0)
for board in pc virt; do
	declare -n cfg=CFG_$board
	# create: nothing left, or the domain whole
	"$PXL" create "${cfg[@]}" name=s >/dev/null 2>&1
	ready
	running=$(host 1)
	"$PXL" destroy s
	every "$board: create" "$clean" 0 "$running" '"$PXL" destroy s' ':' "$PXL" create "${cfg[@]}" name=s
	# save: it runs on, no file; or saved and gone
	"$PXL" create "${cfg[@]}" name=s >/dev/null 2>&1
	ready
	every "$board: save" "$running" 1 "free=4096 homes=0 dms=0 marks=0 file=1" \
		'rm -f "$T/s.save"' '"$PXL" create "${cfg[@]}" name=s >/dev/null 2>&1; ready' "$PXL" save s "$T/s.save"
	"$PXL" save s "$T/s.save" >/dev/null
	# restore: nothing left; or the domain whole
	every "$board: restore" "free=4096 homes=0 dms=0 marks=0 file=1" 0 "$(echo "$running" | sed 's/file=0/file=1/')" \
		'"$PXL" destroy s' ':' "$PXL" restore "$T/s.save"
	rm -f "$T/s.save"
	# destroy: the domain whole; or wholly gone
	"$PXL" create "${cfg[@]}" name=s >/dev/null 2>&1
	ready
	every "$board: destroy" "$running" 1 "$clean" ':' '"$PXL" create "${cfg[@]}" name=s >/dev/null 2>&1; ready' \
		"$PXL" destroy s
	"$PXL" destroy s
	unset -n cfg
done
