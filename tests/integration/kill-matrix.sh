#!/bin/bash
# kill-matrix.sh - kill -9 of each program at each stage of create,
# destroy, mem-set, save, restore, migrate-receive and migrate, for a pc
# and a virt guest on the simulator: pxl itself, the receiving pxl, the
# domain's device model, and the simulator (with its store). A stage is
# one of the program's own trace lines: with PHYSMAP_STOP_AT=STAGE the
# program stops itself there, the victim is killed, the program goes on
# (or not). After each the host must hold only complete domains (the
# next pxl command finishes what a killed one left, saying so), free
# memory must be the total less what they hold, and no device model,
# socket, store entry, mark or file may be orphaned. A domain runs on
# after its save or migration was killed.
. "${top_srcdir:-.}/tests/tap.sh"
GX=${top_builddir:-.}/tests/guests/x86/guest.elf GA=${top_builddir:-.}/tests/guests/arm64/guest.img
[ -f "$GX" ] && [ -f "$GA" ] || bail "the test guests are not built"
. "${top_srcdir:-.}/tests/integration/guest-lib.sh"
# the receiver under a name of this run's own, so that no other suite's process is ever matched
RECV=$T/pxl-recv
ln -s "$(cd "$(dirname "$PXL")" && pwd)/$(basename "$PXL")" "$RECV"

stopped() { [ "$(awk '{ print $3 }' /proc/"$1"/stat 2>/dev/null)" = T ]; }
# run CMD... in the background stopped at $stage; kill it there; say whether it got there
kill_at() {
	local stage=$1 pid i
	shift
	PHYSMAP_STOP_AT=$stage "$@" >"$T/out" 2>&1 </dev/null &
	pid=$!
	for i in $(seq 200); do stopped $pid && break; sleep 0.05; done
	stopped $pid && reached=yes || reached=no
	kill -9 $pid
	wait $pid 2>/dev/null
}
# the pid of the process stopped at a stage whose command line matches $1
stopped_pid() {
	local p i
	for i in $(seq 200); do
		for p in $(pgrep -f "$1"); do stopped "$p" && { echo "$p"; return 0; }; done
		sleep 0.05
	done
	return 1
}
dms() { pgrep -f "physmap-dm --sim .* --rundir $PHYSMAP_RUNDIR( |$)" | wc -l; }
socks() { ls "$PHYSMAP_RUNDIR/console" 2>/dev/null | grep -c '\.sock$\|\.ctl$'; }
building() { store xenstore-list /tool/physmap/building 2>/dev/null | wc -l; }
# the host: domains (a running one as name:state), free MiB, store homes, device models, sockets, marks
host() {
	local n=$("$PXL" list -j 2>/dev/null | grep -c '"domid"')
	# a destroyed domain's device model leaves a moment after it hears its domain go
	for i in $(seq 50); do [ "$(dms)" -le "$((n - 1))" ] && break; sleep 0.1; done
	echo "$("$PXL" list | awk 'NR > 2 { printf "%s:%s ", $1, $5 }')free=$(free_mib)" \
		"homes=$(store xenstore-list /local/domain 2>/dev/null | wc -l) dms=$(dms) socks=$(socks)" \
		"marks=$(building) files=$(ls "$T"/*.save "$T"/*.save.* 2>/dev/null | wc -l)"
}

# each board's guest, idle until told (the test guests' "control" word)
CFG_pc=("$EX/pc.cfg" memory=64 kernel="$GX" 'cmdline="control"')
CFG_virt=("$EX/virt.cfg" memory=64 maxmem=64 kernel="$GA" 'extra="control"' on_crash=destroy)
unfinished() { printf '%s\n' "$1" | grep -c 'left unfinished by process [0-9]*, which is gone: destroyed'; }
# other STAGE PATTERN CMD...: CMD stopped at STAGE; the process matching PATTERN killed; CMD goes on
other() {
	local stage=$1 victim=$2 pid i
	shift 2
	PHYSMAP_STOP_AT=$stage "$@" >"$T/out" 2>&1 </dev/null &
	pid=$!
	for i in $(seq 200); do stopped $pid && break; sleep 0.05; done
	stopped $pid && reached=yes || reached=no
	pkill -9 -f "$victim"
	for i in $(seq 50); do pgrep -f "$victim" >/dev/null || break; sleep 0.1; done
	kill -CONT $pid
	wait $pid
	rc=$?
}
dm_pat="physmap-dm --sim .* --rundir $PHYSMAP_RUNDIR "
sim_pat="physmap-sim --rundir $PHYSMAP_RUNDIR"
gone_all() { for i in $(seq 50); do [ -z "$("$PXL" list 2>/dev/null | awk 'NR > 2')" ] && break; sleep 0.1; done; }

plan 97
"$PXL" list >/dev/null
clean=$(host)
[ "$clean" = "free=4096 homes=0 dms=0 socks=0 marks=0 files=0" ] || bail "not clean to begin with: $clean"

for board in pc virt; do
	declare -n cfg=CFG_$board

	# ---- pxl create: every stage of a build ----
	for stage in "build: domain made" "build: memory populated" "build: images loaded" "build: store entries" \
		"build: complete"; do
		kill_at "$stage" "$PXL" create "${cfg[@]}" name=k
		notice=$("$PXL" list 2>&1 >/dev/null)
		is "$board: pxl create killed at \"$stage\": the next command destroys what it left, saying so" \
			"yes|1|$clean" "$reached|$(unfinished "$notice")|$(host)"
	done

	# ---- pxl destroy: what it had not finished, the next command does ----
	for stage in "destroy: marked" "destroy: domain gone"; do
		"$PXL" create "${cfg[@]}" name=d >/dev/null 2>&1
		kill_at "$stage" "$PXL" destroy d
		"$PXL" list >/dev/null 2>&1
		is "$board: pxl destroy killed at \"$stage\": the next command finishes it" "yes|$clean" "$reached|$(host)"
	done

	# ---- pxl mem-set killed while it waits: the target stays, the domain is whole ----
	"$PXL" create "${cfg[@]}" name=m >/dev/null 2>&1
	kill_at "mem-set: target written" "$PXL" mem-set m 48
	is "$board: pxl mem-set killed once the target is written: the domain is whole, its target set" \
		"yes 49152 m:whole" "$reached $(store xenstore-read "/local/domain/$(field m domid)/memory/target")\
 $("$PXL" list | awk '$1 == "m" { print $1 ":" ($5 ~ /[sc]/ ? "stopped" : "whole") }')"
	"$PXL" destroy m

	# ---- pxl save: the domain runs on, no file is left ----
	"$PXL" create "${cfg[@]}" name=s >/dev/null 2>&1
	wait_log s 'waiting for the toolstack'
	running=$(host)
	for stage in "save: memory and vCPUs" "save: emulator context read"; do
		kill_at "$stage" "$PXL" save s "$T/s.save"
		wait_state s running
		is "$board: pxl save killed at \"$stage\": the domain runs on, no file is left" "yes|$running" \
			"$reached|$(host)"
	done
	"$PXL" save -c s "$T/s.save" >/dev/null 2>&1 && "$PXL" destroy s
	saved=$(host)

	# ---- pxl restore: every stage ----
	for stage in "build: domain made" "build: store entries" "build: complete" "restore: shell built" \
		"restore: libxc stream read" "restore: vCPUs set" "restore: holes, store" "restore: devices loaded" \
		"restore: watches set"; do
		kill_at "$stage" "$PXL" restore "$T/s.save"
		notice=$("$PXL" list 2>&1 >/dev/null)
		is "$board: pxl restore killed at \"$stage\": what it built is destroyed by the next command, saying so" \
			"yes|1|$saved" "$reached|$(unfinished "$notice")|$(host)"
	done

	# ---- migrate-receive (on this host) killed: the source runs on under its name ----
	"$PXL" restore "$T/s.save" >/dev/null 2>&1
	wait_state s running
	mv "$T/s.save" "$T/s.img"
	running=$(host)
	for stage in "build: domain made" "build: store entries" "build: complete" "restore: shell built" \
		"restore: libxc stream read" "restore: vCPUs set" "restore: holes, store" "restore: devices loaded" \
		"restore: watches set" "migrate-receive: restored" "migrate-receive: go"; do
		PHYSMAP_STOP_AT=$stage "$PXL" migrate --transport=cmd s "$RECV migrate-receive" >/dev/null 2>&1 &
		mpid=$!
		rpid=$(stopped_pid "$RECV migrate-receive") && reached=yes || reached=no
		kill -9 $rpid
		wait $mpid
		wait_state s running
		"$PXL" list >/dev/null 2>&1
		is "$board: pxl migrate-receive killed at \"$stage\": the source runs on as s, the copy is destroyed" \
			"yes|$running" "$reached|$(host)"
	done

	# ---- pxl migrate killed: before it lets go the source resumes; after, the copy runs ----
	for stage in "save: precopy done, pausing" "save: paused" "save: final dirty log read" "save: final round sent" \
		"migrate: stream sent" "migrate: the receiver has it" "migrate: renamed" "migrate: go sent"; do
		kill_at "$stage" "$PXL" migrate --transport=cmd s "$RECV migrate-receive"
		# the receiver hears the sender's end, and keeps its copy only if it was let go
		for i in $(seq 100); do pgrep -f "$RECV migrate-receive" >/dev/null || break; sleep 0.1; done
		"$PXL" list >/dev/null 2>&1
		wait_state s running
		is "$board: pxl migrate killed at \"$stage\": s runs on (here or as its copy), nothing else is left" \
			"yes|$running" "$reached|$(host)"
	done
	"$PXL" destroy s

	# ---- the device model killed while pxl works ----
	other "build: complete" "$dm_pat" "$PXL" create "${cfg[@]}" name=k
	gone_all
	is "$board: its device model killed as pxl create completes: the domain crashes and goes; nothing orphaned" \
		"yes|$clean" "$reached|$(host)"
	other "restore: holes, store" "$dm_pat" "$PXL" restore "$T/s.img"
	is "$board: its device model killed during pxl restore: exit 1, one line saying so; nothing orphaned" \
		"yes 1 1|$clean" "$reached $rc $(wc -l <"$T/out")|$(host)"
	"$PXL" create "${cfg[@]}" name=s >/dev/null 2>&1
	wait_log s 'waiting for the toolstack'
	other "save: memory and vCPUs" "$dm_pat" "$PXL" save s "$T/s.save"
	gone_all
	is "$board: its device model killed during pxl save: exit 1, no file; the domain crashed and went" \
		"yes 1|$clean" "$reached $rc|$(host)"
	"$PXL" restore "$T/s.img" >/dev/null 2>&1
	wait_state s running
	PHYSMAP_STOP_AT="migrate-receive: restored" "$PXL" migrate --transport=cmd s "$RECV migrate-receive" \
		>"$T/out" 2>&1 &
	mpid=$!
	rpid=$(stopped_pid "$RECV migrate-receive") && reached=yes || reached=no
	pkill -9 -f "physmap-dm --sim $(field s--incoming domid) --rundir $PHYSMAP_RUNDIR "
	kill -CONT $rpid
	wait $mpid
	rc=$?
	wait_state s running
	"$PXL" list >/dev/null 2>&1
	is "$board: the copy's device model killed during migrate-receive: the migration fails, the source runs on" \
		"yes 1|$running" "$reached $rc|$(host)"
	# the source's own device model, once the stream (its state in it) is sent: s runs, here or as its copy
	other "migrate: stream sent" "physmap-dm --sim $(field s domid) --rundir $PHYSMAP_RUNDIR " \
		"$PXL" migrate --transport=cmd s "$RECV migrate-receive"
	for i in $(seq 100); do pgrep -f "$RECV migrate-receive" >/dev/null || break; sleep 0.1; done
	gone_all
	"$PXL" list >/dev/null 2>&1
	now=$(host)
	is "$board: the source's device model killed once its stream is sent: the copy runs, nothing else is left" \
		"yes 0|$running" "$reached $rc|$now"
	"$PXL" destroy s

	# ---- the simulator (with its store) killed while pxl works: exit 1, a clean one next ----
	other "build: memory populated" "$sim_pat" "$PXL" create "${cfg[@]}" name=k
	is "$board: the simulator killed during pxl create: exit 1, one line; the next command starts a clean one" \
		"yes 1 1|$clean" "$reached $rc $(grep -vc warning "$T/out")|$(host)"
	other "restore: shell built" "$sim_pat" "$PXL" restore "$T/s.img"
	is "$board: the simulator killed during pxl restore: exit 1, one line; the next command starts a clean one" \
		"yes 1 1|$clean" "$reached $rc $(wc -l <"$T/out")|$(host)"
	"$PXL" create "${cfg[@]}" name=s >/dev/null 2>&1
	wait_log s 'waiting for the toolstack'
	other "save: memory and vCPUs" "$sim_pat" "$PXL" save s "$T/s.save"
	is "$board: the simulator killed during pxl save: exit 1, one line, no file; a clean one next" \
		"yes 1 1|$clean" "$reached $rc $(wc -l <"$T/out")|$(host)"
	"$PXL" restore "$T/s.img" >/dev/null 2>&1
	wait_state s running
	other "migrate: stream sent" "$sim_pat" "$PXL" migrate --transport=cmd s "$RECV migrate-receive"
	is "$board: the simulator killed during pxl migrate: exit 1; a clean one next" "yes 1|$clean" "$reached $rc|$(host)"
	"$PXL" create "${cfg[@]}" name=d >/dev/null 2>&1
	other "destroy: marked" "$sim_pat" "$PXL" destroy d
	is "$board: the simulator killed during pxl destroy: exit 1; a clean one next" "yes 1|$clean" "$reached $rc|$(host)"
	rm -f "$T/s.img"
	unset -n cfg
done
is "and at the end the host is as it began" "$clean" "$(host)"
