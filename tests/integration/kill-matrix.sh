#!/bin/bash
# kill-matrix.sh - pxl killed (-9) at each stage of create, restore,
# migrate-receive, save and migrate, on the simulator. A stage is one of
# the program's own trace lines: with PHYSMAP_STOP_AT=STAGE the program
# stops itself there, is killed, and then the host must hold only
# complete domains (the next pxl command destroys what a killed builder
# left, saying so), free memory must be the total less what they hold,
# and no device model, socket, store entry or file may be orphaned. A
# source domain runs on after its save or migration was killed.
. "${top_srcdir:-.}/tests/tap.sh"
G=${top_builddir:-.}/tests/guests/x86/guest.elf
[ -f "$G" ] || bail "$G not built: configure found no 32-bit x86 compiler (gcc -m32)"
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

plan 30
"$PXL" list >/dev/null
clean=$(host)
[ "$clean" = "free=4096 homes=0 dms=0 socks=0 marks=0 files=0" ] || bail "not clean to begin with: $clean"

# ---- create: every stage of a build ----
for stage in "build: domain made" "build: memory populated" "build: images loaded" "build: store entries" \
	"build: complete"; do
	kill_at "$stage" "$PXL" create "$EX/pc.cfg" name=k memory=64 kernel="$G"
	notice=$("$PXL" list 2>&1 >/dev/null)
	is "pxl create killed at \"$stage\": the next command destroys what it left, saying so; nothing orphaned" \
		"yes|pxl list: domain N (k): left unfinished by process N, which is gone: destroyed|$clean" \
		"$reached|$(printf '%s' "$notice" | sed 's/domain [0-9]*/domain N/; s/process [0-9]*/process N/')|$(host)"
done

# ---- save: the domain runs on, no file ----
"$PXL" create "$EX/pc.cfg" name=s memory=64 kernel="$G" 'cmdline="workload=4,0"' >/dev/null 2>&1
wait_log s '^workload'
running=$(host)
for stage in "save: memory and vCPUs" "save: emulator context read"; do
	kill_at "$stage" "$PXL" save s "$T/s.save"
	sleep 0.3
	is "pxl save killed at \"$stage\": the domain runs on, no file is left" "yes|$running" "$reached|$(host)"
done
"$PXL" save -c s "$T/s.save" >/dev/null 2>&1 && "$PXL" destroy s
saved=$(host)

# ---- restore: every stage ----
for stage in "build: domain made" "build: store entries" "build: complete" "restore: shell built" \
	"restore: libxc stream read" "restore: vCPUs set" "restore: holes, store" "restore: devices loaded" \
	"restore: watches set"; do
	kill_at "$stage" "$PXL" restore "$T/s.save"
	notice=$("$PXL" list 2>&1 >/dev/null)
	is "pxl restore killed at \"$stage\": what it built is destroyed by the next command, saying so" \
		"yes|1|$saved" "$reached|$(printf '%s\n' "$notice" | grep -c 'left unfinished by process')|$(host)"
done

# ---- migrate-receive (on this host): the source runs on under its name ----
"$PXL" restore "$T/s.save" >/dev/null 2>&1
wait_state s running
rm -f "$T/s.save"
running=$(host)
for stage in "build: store entries" "restore: libxc stream read" "migrate-receive: restored" \
	"migrate-receive: go"; do
	PHYSMAP_STOP_AT=$stage "$PXL" migrate --transport=cmd s "$RECV migrate-receive" >/dev/null 2>&1 &
	mpid=$!
	rpid=$(stopped_pid "$RECV migrate-receive") && reached=yes || reached=no
	kill -9 $rpid
	wait $mpid
	wait_state s running
	"$PXL" list >/dev/null 2>&1
	is "migrate-receive killed at \"$stage\": the source runs on as s, the copy is destroyed" \
		"yes|$running" "$reached|$(host)"
done

# ---- migrate (the sender): the source runs on under its name ----
# (before it lets go the source is resumed under its name; after, the copy runs and the source goes)
for stage in "migrate: stream sent" "migrate: the receiver has it" "migrate: renamed" "migrate: go sent"; do
	kill_at "$stage" "$PXL" migrate --transport=cmd s "$RECV migrate-receive"
	# the receiver hears the sender's end, and keeps its copy only if it was let go
	for i in $(seq 100); do pgrep -f "$RECV migrate-receive" >/dev/null || break; sleep 0.1; done
	"$PXL" list >/dev/null 2>&1
	wait_state s running
	is "pxl migrate killed at \"$stage\": s runs on (here or as its copy), nothing else is left" \
		"yes|$running" "$reached|$(host)"
done
"$PXL" destroy s

# ---- the device model and the simulator (with its store) killed while pxl works ----
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
dm_of() { echo "physmap-dm --sim $1 --rundir $PHYSMAP_RUNDIR "; }
sim_pat="physmap-sim --rundir $PHYSMAP_RUNDIR"
"$PXL" create "$EX/pc.cfg" name=s memory=64 kernel="$G" 'cmdline="control"' >/dev/null 2>&1
"$PXL" save -c s "$T/s.save" >/dev/null 2>&1
"$PXL" destroy s
mv "$T/s.save" "$T/keep.img"
"$PXL" list >/dev/null 2>&1
other "build: complete" "physmap-dm --sim .* --rundir $PHYSMAP_RUNDIR " "$PXL" create "$EX/pc.cfg" name=k memory=64 kernel="$G"
for i in $(seq 50); do [ -z "$("$PXL" list | awk 'NR > 2')" ] && break; sleep 0.1; done
is "its device model killed as pxl create completes: the domain crashes and goes (on_crash=destroy); nothing orphaned" \
	"yes|$clean" "$reached|$(host)"
other "restore: holes, store" "physmap-dm --sim .* --rundir $PHYSMAP_RUNDIR " "$PXL" restore "$T/keep.img"
is "its device model killed during pxl restore: exit 1, one line saying so; nothing orphaned" \
	"yes 1 1|$clean" "$reached $rc $(wc -l <"$T/out")|$(host)"
other "build: memory populated" "$sim_pat" "$PXL" create "$EX/pc.cfg" name=k memory=64 kernel="$G"
is "the simulator killed during pxl create: exit 1, one line; the next command starts a clean one" \
	"yes 1 1|$clean" "$reached $rc $(grep -vc warning "$T/out")|$(host)"
other "restore: shell built" "$sim_pat" "$PXL" restore "$T/keep.img"
is "the simulator killed during pxl restore: exit 1, one line; the next command starts a clean one" \
	"yes 1 1|$clean" "$reached $rc $(wc -l <"$T/out")|$(host)"
"$PXL" create "$EX/pc.cfg" name=s memory=64 kernel="$G" 'cmdline="control"' >/dev/null 2>&1
other "save: memory and vCPUs" "$sim_pat" "$PXL" save s "$T/s.save"
is "the simulator killed during pxl save: exit 1, one line, no file; the next command starts a clean one" \
	"yes 1 1|$clean" "$reached $rc $(wc -l <"$T/out")|$(host)"
rm -f "$T/keep.img"
is "and at the end the host is as it began" "$clean" "$(host)"
