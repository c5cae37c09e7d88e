#!/bin/bash
# scale-sim.sh - a thousand small domains on one simulator (issue 36): 1000
# paused 16 MiB pc guests created one after another, 100 of them let run
# (each prints its banner and runs its balloon driver), listed, one
# ballooned (s7, given 32 MiB: the test guest keeps its lowest 16 MiB),
# all destroyed; then no process, descriptor, store node or
# frame is left. The descriptors the simulator holds grow with the domains
# and go back with them; a create the frame pool cannot hold is refused in
# one line naming the pool, and one past a simulator's open-files limit
# (started under ulimit -n 256) in one line naming the limit; neither
# leaves anything.
. "${top_srcdir:-.}/tests/tap.sh"
G=${top_builddir:-.}/tests/guests/x86/guest.elf
[ -f "$G" ] || bail "$G not built"
. "${top_srcdir:-.}/tests/integration/guest-lib.sh"

N=1000
RUN=100
plan 12

# a sanitizer build's processes cost five to eight times a plain one's (shadow, quarantine): the
# quarantine off, and as many of the 1000 as 45% of the host's available memory holds, measured
export ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}quarantine_size_mb=0:thread_local_quarantine_size_kb=0
mkdir -p "$PHYSMAP_RUNDIR"
# the pool: 16 MiB and its special pages for each, sparse (a frame costs the host only once written)
pool=$((N * 17 + 256))   # MiB, fixed before N may shrink below
echo "host_memory = \"${pool}m\"" >"$PHYSMAP_RUNDIR/sim.conf"
free0=$(free_mib)
avail() { awk '/^MemAvailable:/ { print $2 }' /proc/meminfo; }
sim=$(pgrep -f "physmap-sim --rundir $PHYSMAP_RUNDIR" | head -1)
# the store's nodes once a domain came and went (the directories above domains' nodes stay, as on Xen)
"$PXL" create -p "$EX/pc.cfg" name=warm kernel="$G" memory=16 'vif=[]' >/dev/null 2>&1 && "$PXL" destroy warm
fds0=$(ls /proc/"$sim"/fd | wc -l)
nodes0=$(store xenstore-ls / 2>/dev/null | wc -l)
procs() { pgrep -f -- "--rundir $PHYSMAP_RUNDIR" | grep -vx "$sim" | wc -l; }

failed= a0=$(avail)
for i in $(seq "$N"); do
	if [ "$i" = 21 ]; then
		per=$(((a0 - $(avail)) / 20))   # KiB a domain costs the host here
		fit=$(($(avail) * 45 / 100 / (per > 1 ? per : 1) + 20))
		echo "# a domain costs the host $per KiB in this build; $fit fit in 45% of its available memory"
		[ "$fit" -lt "$N" ] && N=$fit
	fi
	[ "$i" -gt "$N" ] && break
	# the first RUN run the balloon driver once unpaused
	words=$([ "$i" -le "$RUN" ] && echo balloon)
	if ! out=$("$PXL" create -p "$EX/pc.cfg" name="s$i" kernel="$G" memory=$([ "$i" = 7 ] && echo 32 || echo 16) \
		'vif=[]' "cmdline=\"$words\"" 2>&1 >/dev/null); then
		failed="s$i: $out"
		break
	fi
done
is "$N paused guests of 16 MiB created one after another on one simulator" "" "$failed"
is "pxl list shows them all, and dom0" "$((N + 1))" "$("$PXL" list | awk 'NR > 1' | wc -l)"
fdsN=$(ls /proc/"$sim"/fd | wc -l)
is "the simulator serves every domain's connections (no cap of 64 clients): more than 2 descriptors a domain" \
	"yes" "$([ $((fdsN - fds0)) -gt $((2 * N)) ] && echo yes || echo "no: $fds0 -> $fdsN")"

for i in $(seq "$RUN"); do "$PXL" unpause "s$i"; done
banners=0
for i in $(seq "$RUN"); do
	wait_log "s$i" '^balloon: ready' && banners=$((banners + 1))
done
is "$RUN of them run: each printed its banner and started its balloon driver" "$RUN" "$banners"
is "a running one's banner names its architecture" "physmap test guest (x86)" "$(log s1 | tr -d '\r' | head -1)"

out=$("$PXL" mem-set -w s7 24m 2>&1)
is "mem-set -w 24m of a 32 MiB one among them all: exit 0, its balloon gave 8 MiB back" "0 24" \
	"$? $(( $(field s7 tot_pages) * 4 / 1024 ))"

for i in $(seq "$N"); do "$PXL" destroy "s$i" || echo "# s$i not destroyed"; done
is "every domain destroyed: only dom0 is left" "Domain-0" "$(names)"
is "free memory returns exactly" "$free0" "$(free_mib)"
for i in $(seq 50); do [ "$(procs)" = 0 ] && break; sleep 0.1; done
is "no device model or monitor is left; the simulator's descriptors and the store's nodes are as before" \
	"0 $fds0 $nodes0" "$(procs) $(ls /proc/"$sim"/fd | wc -l) $(store xenstore-ls / 2>/dev/null | wc -l)"

# beyond the pool: one line naming it, nothing created
out=$("$PXL" create -p "$EX/pc.cfg" name=huge kernel="$G" memory=$((pool + 256)) 'vif=[]' 2>&1)
is "a create beyond the frame pool: exit 1, one line naming the pool, nothing created" \
	"1 1 yes Domain-0" "$? $(printf '%s\n' "$out" | wc -l) $(printf '%s\n' "$out" | grep -q 'frame pool' && echo yes || echo "no: $out") $(names)"

# a simulator under a low open-files limit: creates until one is refused, naming the limit; nothing of it left
export PHYSMAP_RUNDIR=$T/low
(ulimit -Sn 256 && ulimit -Hn 256 && "$PXL" info >/dev/null)
made=0 out=
for i in $(seq 60); do
	out=$("$PXL" create -p "$EX/pc.cfg" name="l$i" kernel="$G" memory=16 'vif=[]' 2>&1 >/dev/null) || break
	made=$i
done
rc_line="$(printf '%s\n' "$out" | wc -l) $(printf '%s\n' "$out" | grep -c "open-files limit (256) is reached")"
left=$(names | wc -w)
dms_left=$(pgrep -f "physmap-dm --sim [0-9]* --rundir $PHYSMAP_RUNDIR" | wc -l)
for j in $(seq "$made"); do "$PXL" destroy "l$j"; done
is "under ulimit -n 256 the simulator takes some domains, then refuses one in one line naming its limit; the refused one leaves no domain or device model" \
	"yes 1 1 $((made + 1)) $made" \
	"$([ "$made" -ge 10 ] && echo yes || echo "no: $made") $rc_line $left $dms_left"

# SIGTERM ends a simulator that still has a running guest (its epoll set once missed the signal);
# a simulator of its own (the one above may still be closing its last domains' connections)
export PHYSMAP_RUNDIR=$T/term
"$PXL" create "$EX/pc.cfg" name=spinner kernel="$G" memory=16 'vif=[]' 'cmdline="spin"' >/dev/null 2>&1 ||
	echo "# the spinning guest was not created"
wait_state spinner running
lowsim=$(pgrep -f "physmap-sim --rundir $PHYSMAP_RUNDIR" | head -1)
kill -TERM "$lowsim"
for i in $(seq 50); do kill -0 "$lowsim" 2>/dev/null || break; sleep 0.1; done
is "SIGTERM ends a simulator with a running guest within 5 s, saying so in its log" "gone|signalled: exiting" \
	"$(kill -0 "$lowsim" 2>/dev/null && echo running || echo gone)|$(tail -n 1 "$PHYSMAP_RUNDIR/sim.log" | sed 's/.*physmap-sim: //')"
