#!/bin/bash
# guest-arm64.sh - the arm64 test guest running on the simulator's Unicorn
# vCPUs: its banner through console_io with the memory map of its device
# tree, hypercalls with Xen's ABI (good and bad arguments), the P2M faults
# that crash a domain and the reason they give, on_poweroff / on_crash,
# pause and unpause, pxl console and create -c, and destroy of a running
# guest leaving no thread behind.
. "${top_srcdir:-.}/tests/tap.sh"
G=${top_builddir:-.}/tests/guests/arm64/guest.img
[ -f "$G" ] || bail "$G not built: configure found no aarch64-linux-gnu-gcc (install gcc-aarch64-linux-gnu; scripts/test does)"
. "${top_srcdir:-.}/tests/integration/guest-lib.sh"
# boots a guest with these command-line words
boot() {
	local name=$1 words=$2
	shift 2
	"$PXL" create "$EX/virt.cfg" name="$name" kernel="$G" "extra=\"$words\"" "$@" >/dev/null 2>&1 || return 1
}

plan 74

is "pxl info starts the simulator: 4096 MiB free" "4096" "$(free_mib)"

boot g1 "" on_poweroff=destroy
wait_state g1 gone
out=$(log g1)
is "the banner names the guest's architecture" "physmap test guest (arm64)" "$(printf '%s\n' "$out" | head -1)"
is "the memory it found is the device tree's: 512 MiB at 1 GiB" "memory: 0x40000000-0x60000000 (512 MiB)" \
	"$(printf '%s\n' "$out" | sed -n 2p)"
is "it powers off, on_poweroff=destroy removes it and its memory is back" "powering off|Domain-0|4096" \
	"$(printf '%s\n' "$out" | tail -1)|$(names)|$(free_mib)"

boot g2 "" memory=128 maxmem=256 on_poweroff=preserve
wait_state g2 shutdown
is "another size, another device tree: 128 MiB" "memory total: 128 MiB" "$(log g2 | grep 'memory total')"
is "on_poweroff=preserve keeps it shut down (reason poweroff), its memory still held" "shutdown poweroff 3967" \
	"$(field g2 state) $(field g2 shutdown_reason) $(free_mib)"
is "the State column shows s" "---s--" "$("$PXL" list | awk '$1 == "g2" { print $5 }')"
out=$("$PXL" unpause g2 2>&1)
is "a shut-down domain does not unpause: exit 1, one line" "1 1" "$? $(printf '%s\n' "$out" | wc -l)"
"$PXL" destroy g2
is "destroying it gives the memory back" "4096" "$(free_mib)"

boot g3 "reservation" memory=512 maxmem=1024 on_poweroff=preserve
wait_state g3 shutdown
is "current_reservation is tot_pages (RAM and the two ring pages), maximum_reservation maxmem plus the special pages" \
	"current_reservation: 131074|maximum_reservation: 262160" "$(log g3 | grep _reservation | tr '\n' '|' | sed 's/|$//')"
"$PXL" destroy g3

boot g4 "badcalls" on_poweroff=preserve
wait_state g4 shutdown
is "bad hypercall arguments get Xen's error codes and the guest runs on" \
	"-14 -22 -38 -14 -38 -22|powering off" \
	"$(log g4 | sed -n 's/^\(console_io\|unknown\|sched_op\|memory_op\|hvm_op\).*: //p' | tr '\n' ' ' | sed 's/ $//')|$(log g4 | tail -1)"
"$PXL" destroy g4

boot g5 "free=0x5ff00000 read=0x5ff00000" on_crash=preserve
wait_state g5 crashed
is "decrease_reservation gives a page back: tot_pages drops by one" "decrease_reservation: 1 131073" \
	"$(log g5 | grep decrease_reservation) $(field g5 tot_pages)"
why=$(field g5 why)
if [[ $why =~ ^pfn\ 0x5ff00\ \(missing\),\ pc\ 0x402[0-9a-f]{5},\ read$ ]]; then
	ok "a read of the page it gave back crashes it: pfn, missing, pc, read"
else
	fail "a read of the page it gave back crashes it: pfn, missing, pc, read" "got '$why'"
fi
is "pxl list prints the reason on stderr (stdout is xl's table)" "g5 ($(field g5 domid)) crashed: $why" "$("$PXL" list 2>&1 >/dev/null | tail -1)"
is "the console log ends with it" "[physmap-sim] domain $(field g5 domid) crashed: $why" "$(log g5 | tail -1)"
"$PXL" destroy g5

boot g6 "free=0x5ff00000 write=0x5ff00000" on_crash=preserve
wait_state g6 crashed
is "a write to a missing pfn says write" "write" "$(field g6 why | sed 's/.*, //')"
"$PXL" destroy g6

boot g7 "free=0x5ff00000 populate=0x5ff00000 read=0x5ff00000" on_poweroff=preserve
wait_state g7 shutdown
is "populate_physmap brings the page back: it reads as zero, no crash" \
	"populate_physmap: 1|read 0x5ff00000: 0x0|131074" \
	"$(log g7 | grep -E '^populate|^read' | tr '\n' '|')$(field g7 tot_pages)"
"$PXL" destroy g7

boot g8 "read=0x80000000" on_crash=destroy
wait_state g8 gone
is "past the P2M: on_crash=destroy removes it, the console log keeps the reason" \
	"pfn 0x80000 (beyond the P2M)" "$(log g8 | tail -1 | sed 's/.*crashed: \(.*\), pc.*/\1/')"

boot g9 "crash" on_crash=preserve
wait_state g9 crashed
is "SCHEDOP_shutdown(crash): crashed, in the guest's words" "crash|the guest reported a crash (SCHEDOP_shutdown)" \
	"$(field g9 shutdown_reason)|$(field g9 why)"
"$PXL" destroy g9

sim=$(pgrep -f "physmap-sim --rundir $PHYSMAP_RUNDIR")
threads0=$(ls /proc/"$sim"/task | wc -l)
boot spin "spin"
wait_state spin running
"$PXL" pause spin
s1=$(field spin state)
"$PXL" unpause spin
s2=$(field spin state)
is "a spinning guest pauses and runs again" "paused running" "$s1 $s2"
is "its vCPU is a thread of the simulator" "$((threads0 + 1))" "$(ls /proc/"$sim"/task | wc -l)"
"$PXL" destroy spin
is "destroy of a running guest: gone, its thread ended, memory back" "Domain-0 $threads0 4096" \
	"$(names) $(ls /proc/"$sim"/task | wc -l) $(free_mib)"

# the device model: one physmap-dm a domain, serving the PL011 by ioreqs
dms() { pgrep -f "physmap-dm --sim $1 --rundir $PHYSMAP_RUNDIR" | wc -l; }
boot uart "read=0x9000018 spin"
wait_log uart "spinning"
id=$(field uart domid)
is "the banner comes through the PL011 of its physmap-dm, once" "1" "$(log uart | grep -c 'physmap test guest')"
is "a read of the PL011's flag register is an ioreq the device answers (TX and RX FIFOs empty)" \
	"read 0x9000018: 0x90" "$(log uart | grep '^read')"
is "the domain has one device model" "1" "$(dms "$id")"
pkill -f "physmap-dm --sim $id --rundir $PHYSMAP_RUNDIR"
wait_state uart crashed
is "its device model killed: the domain crashes, saying why" "its device model (physmap-dm) went away" "$(field uart why)"
"$PXL" destroy uart
boot uart2 "spin"
wait_log uart2 "spinning"
id=$(field uart2 domid)
"$PXL" destroy uart2
for _ in $(seq 50); do [ "$(dms "$id")" = 0 ] && break; sleep 0.1; done
before="$(names) $(free_mib)"
out=$(PHYSMAP_DM=/bin/false "$PXL" create "$EX/virt.cfg" name=nodm kernel="$G" 2>&1)
rc=$?
is "destroy ends the device model; one that cannot start fails the create (exit 1, one line), nothing left" \
	"0|1 1|$before" "$(dms "$id")|$rc $(printf '%s\n' "$out" | wc -l)|$(names) $(free_mib)"

# ballooning: the guest's driver on its store ring, the toolstack waiting
boot bal "store touch balloon"
wait_log bal "balloon: ready"
sim=$(pgrep -f "physmap-sim --rundir $PHYSMAP_RUNDIR")
is "the guest reads its own name through its store ring" "store: name = bal" "$(log bal | grep '^store:')"
is "its balloon driver says so in the store" "1" "$(store xenstore-read /local/domain/$(field bal domid)/control/feature-balloon)"
rss0=$(pool_rss_mib "$sim")
out=$("$PXL" mem-set -w bal 128m 2>&1)
is "mem-set 128m on a 512 MiB guest: exit 0, tot_pages is 128 MiB and its two rings" "0 32770" "$? $(field bal tot_pages)"
is "the guest gave the top 384 MiB back: a missing run in its P2M" "ram 0x40000-0x48000|missing 0x48000-0x60000" \
	"$("$PXL" p2m bal | awk '$2 ~ /^0x4000|^0x48000/ { printf "%s%s %s", sep, $1, $2; sep = "|" }')"
rss1=$(pool_rss_mib "$sim")
if [ $((rss0 - rss1)) -ge 350 ]; then
	ok "the simulator's resident frame pool dropped by about 384 MiB ($rss0 -> $rss1 MiB)"
else
	fail "the simulator's resident frame pool dropped by about 384 MiB" "$rss0 -> $rss1 MiB"
fi
out=$("$PXL" mem-set -w bal 512m 2>&1)
is "mem-set 512m brings it back: one RAM run again" "0 131074 ram 0x40000-0x60002" \
	"$? $(field bal tot_pages) $("$PXL" p2m bal | awk '$1 == "ram" { print $1, $2 }')"
is "the guest's console tells both moves" "balloon: 512 MiB -> 128 MiB|balloon: at 128 MiB|balloon: 128 MiB -> 512 MiB|balloon: at 512 MiB" \
	"$(log bal | grep -E '^balloon: [0-9a]' | tr '\n' '|' | sed 's/|$//')"
"$PXL" destroy bal
boot greedy "greedy" memory=64 maxmem=64
wait_log greedy "balloon: ready"
out=$("$PXL" mem-set greedy 32 --wait=1 2>&1)
is "an uncooperative guest: mem-set gives up after its timeout, exit 1, one line" \
	"1 pxl mem-set: greedy: its balloon driver is not cooperating: 64 MiB after 1 s, target 32 MiB" "$? $out"
is "and its memory is as it was" "16386" "$(field greedy tot_pages)"
"$PXL" destroy greedy
# its device model dies while mem-set waits: said at once with the reason, never blamed on the balloon
boot greedy "greedy" memory=64 maxmem=64 on_crash=preserve
wait_log greedy "balloon: ready"
id=$(field greedy domid)
start=$(date +%s)
"$PXL" mem-set greedy 32 --wait=30 >"$T/ms.out" 2>&1 &
mpid=$!
sleep 0.5
pkill -9 -f "physmap-dm --sim $id --rundir $PHYSMAP_RUNDIR "
wait $mpid
is "mem-set while the device model dies: exit 1 at once, the crash and its reason, not the balloon blamed" \
	"1 yes pxl mem-set: greedy: crashed: its device model (physmap-dm) went away while its balloon driver worked: 64 MiB, target 32 MiB" \
	"$? $([ $(($(date +%s) - start)) -lt 10 ] && echo yes || echo no) $(cat "$T/ms.out")"
target=$(store xenstore-read "/local/domain/$id/memory/target")
out=$("$PXL" mem-set greedy 48 2>&1)
is "mem-set of a crashed domain: refused before its target changes, naming the state" \
	"1 pxl mem-set: greedy: crashed: its device model (physmap-dm) went away: its memory can no longer be changed|$target" \
	"$? $out|$(store xenstore-read "/local/domain/$id/memory/target")"
"$PXL" destroy greedy

out=$(timeout 20 "$PXL" create -c "$EX/virt.cfg" name=cc kernel="$G" on_poweroff=destroy 2>&1)
rc=$?
is "create -c: attached at once, the whole banner, back when the guest is gone" \
	"created cc as domain|physmap test guest (arm64)|powering off|0" \
	"$(printf '%s\n' "$out" | head -2 | sed 's/ [0-9]*$//' | tr '\n' '|')$(printf '%s\n' "$out" | tail -1)|$rc"

boot wl "workload=8,3" on_poweroff=preserve
wait_state wl shutdown
is "the memory workload writes and checks 8 MiB, 3 rounds" "workload: 3 rounds over 8 MiB ok" "$(log wl | grep '^workload')"
"$PXL" destroy wl

# the generic timer's counter while other domains' vCPUs are made: each engine's creation once showed
# the readers the wall clock for an instant (a 60 s loop ended at once)
boot clk "clock=6" on_poweroff=preserve memory=32
for i in $(seq 12); do boot "mk$i" "" memory=16 on_poweroff=preserve; done
for i in $(seq 12); do "$PXL" destroy "mk$i"; done
wait_state clk shutdown
is "CNTVCT_EL0 never goes back or jumps while other domains' vCPUs are created" \
	"clock: 0 back, 0 jumps" "$(log clk | tr -d '\r' | grep '^clock:')"
"$PXL" destroy clk

boot smp "smp" vcpus=4 on_poweroff=preserve
wait_log smp "^smp:" || log smp >&2   # what it said, if it never got there
wait_state smp shutdown
is "PSCI CPU_ON brings vCPUs 1-3 up on their own threads; each says so; CPU_OFF takes them down" \
	"smp: 4 vCPUs ran|vcpu 1 up|vcpu 2 up|vcpu 3 up" \
	"$(log smp | grep -E '^vcpu [0-9] up|^smp:' | LC_ALL=C sort | tr '\n' '|' | sed 's/|$//')"
"$PXL" destroy smp

# on_reboot=restart (xl's default) is the toolstack's: pxl create leaves a monitor
boot rb "reboot"
# it reboots at once, again and again: its first id is whichever build answers first
for _ in $(seq 300); do first=$(field rb domid); [ -n "$first" ] && break; sleep 0.1; done
# between two builds the name is briefly nobody's: one read a try
for _ in $(seq 300); do again=$(field rb domid); [ -n "$again" ] && [ "$again" != "$first" ] && break; sleep 0.1; done
# a destroy between two builds finds nobody: again until the monitor has left
for _ in $(seq 100); do
	"$PXL" destroy rb 2>/dev/null
	pgrep -f "pxl create .*name=rb " >/dev/null || break
	sleep 0.1
done
is "on_reboot=restart: built again under its name with a new id; destroy ends its monitor" \
	"yes 0 $(grep -c 'rebooted: restart$' "$PHYSMAP_RUNDIR/console/rb.monitor.log")" \
	"$([ "${again:-0}" -gt "${first:-0}" ] && echo yes) $(pgrep -f "pxl create .*name=rb " | wc -l) $(grep -c 'rebooted: restart$' "$PHYSMAP_RUNDIR/console/rb.monitor.log")"
boot rb2 "reboot" on_reboot=preserve
wait_state rb2 shutdown
is "on_reboot=preserve: kept, shut down for reboot" "shutdown reboot" "$(field rb2 state) $(field rb2 shutdown_reason)"
"$PXL" destroy rb2

boot echo "echo" on_poweroff=destroy
wait_log echo "type a line"
out=$(printf 'hello guest\n' | timeout 20 "$PXL" console echo 2>&1)
is "what pxl console is given reaches the guest's PL011 (through physmap-dm) and comes back" \
	"echo: hello guest|powering off" "$(printf '%s\n' "$out" | grep -E '^echo: h|^powering' | tr '\n' '|' | sed 's/|$//')"

boot dump "" on_poweroff=preserve
wait_state dump shutdown
is "pxl console --dump prints the log and returns" "$(log dump)" "$(timeout 10 "$PXL" console --dump dump)"
out=$("$PXL" console nobody 2>&1)
is "console of an unknown domain: exit 1, one line" "1 pxl console: nobody: no such domain" "$? $out"
"$PXL" destroy dump

boot dev "subpage events exec" testdev=1 on_poweroff=preserve
wait_state dev shutdown
is "testdev=1: three register blocks share a page at 0x0b000000, the gaps unassigned (sub-page dispatch)" \
	"subpage: ok (3 blocks in one page, the gaps unassigned)" "$(log dev | grep '^subpage')"
is "1000 writes to a coalesced register all arrive before the next read, 100 doorbell rings notify" \
	"events: ok (1000 coalesced writes arrived; 100 rings" "$(log dev | grep '^events' | sed 's/, [0-9]* notifications)$//')"
ioreqs=$(field dev ioreqs)
is "the coalesced writes took the buffered ring and the rings the notifier: no round trip each" \
	"1 100 1" "$([ "$(field dev buffered)" -ge 168 ] && echo 1) $(field dev notified) $([ "$ioreqs" -lt 1000 ] && echo 1)"
is "code programmed into the flash runs from its window (mmio-exec, twice: reprogramming takes the copy back)" \
	"exec: ok (ran 0x11, reprogrammed, ran 0x22: 2 copies, 1 taken back) 2" "$(log dev | grep '^exec') $(field dev execs)"
"$PXL" destroy dev

boot jmp "jump=0x9000000" on_crash=preserve
wait_state jmp crashed
is "a jump into the UART (no executable copy to give) crashes the domain, saying so" \
	"pc 0x9000000: fetch from MMIO at 0x9000000: the device model: Operation not supported" "$(field jmp why)"
"$PXL" destroy jmp

boot hole "jump=0x0b000200 read=0x0b000000" testdev=1 on_crash=preserve
wait_state hole crashed
is "a jump into a hole no device claims: neither RAM nor a device" \
	"pc 0xb000200: fetch from 0xb000200, neither RAM nor a device" "$(field hole why)"
"$PXL" destroy hole

boot plain "read=0x0b000000" on_poweroff=preserve
wait_state plain shutdown
is "without testdev the self-test devices are not there: their page floats high" \
	"0xffffffff" "$(log plain | sed -n 's/^read 0xb000000: //p')"
"$PXL" destroy plain

# dirty logging (for migration): contents compared, so every writer shows
DL=${top_builddir:-.}/tests/integration/hv-probe
boot dirty "workload=16,0" memory=128 maxmem=128
wait_log dirty "^workload"
out=$("$DL" dirty peek 2>&1)
is "no dirty log running: reading one fails, saying so" "peek: No data available" "$out"
# one probe, one connection: the log it starts is its own until it exits
out=$("$DL" dirty enable wait=4096 clean pause clean peek clean unpause wait=4096 peek enable 2>&1)
set -- $(printf '%s\n' "$out" | cut -d' ' -f1)
# (a round of the workload rewrites all 16 MiB: within 10 s, even under sanitizers)
is "the memory workload rewrites its 16 MiB: at least 4096 pages dirty" "1" "$([ "${2:-0}" -ge 4096 ] && echo 1)"
is "paused, cleaned: nothing changes, nothing is dirty, twice over" "0|0" "${6:-}|${7:-}"
# (the workload's 4096 pages change every round; a page elsewhere may change back, and then it is clean)
is "unpaused: dirty again, and a peek leaves them dirty for the next read" "1 1" \
	"$([ "${9:-0}" -ge 4096 ] && echo 1) $([ "${10:-0}" -ge 4096 ] && echo 1)"
is "a second enable: busy" "enable: Device or resource busy" "$(printf '%s\n' "$out" | tail -1)"
out=$("$DL" dirty peek 2>&1)
is "the probe gone, its log went with its connection (the lease that resumes a broken migration)" \
	"peek: No data available" "$out"
"$PXL" destroy dirty

# a pause stops a vCPU between blocks of guest code, never part way through
# one: registers behind their memory would run a read-modify-write twice
boot pu "workload=2,0" on_crash=preserve
wait_log pu "^workload"
out=$("$DL" pu $(printf 'pause unpause %.0s' $(seq 1000)) 2>&1 | sort | uniq -c | tr -s ' ')
n=$(log pu | grep -c '^workload: .* ok$')
wait_rounds pu $((n + 2))
is "paused and unpaused 1000 times as it rewrites its memory: every store once, and it runs on" \
	" 2000 ok|running|0" "$out|$(field pu state)|$(log pu | grep -c 'does not hold')"
"$PXL" destroy pu

# a vCPU's whole register state (for save and restore)
boot vst "spin" on_crash=preserve
wait_log vst "^spinning"
out=$("$DL" vst state=0 2>&1)
is "a running domain's vCPU state cannot be read: busy" "state=0: Device or resource busy" "$out"
"$PXL" pause vst
st=$("$DL" vst state=0)
is "paused: vCPU 0's 47 registers, its pc in the guest's image and its stack in RAM" "up 47 1 1" \
	"$(set -- $st; echo "$1 $2 $(( $4 >= 0x40200000 && $4 < 0x40400000 )) $(( $6 >= 0x40000000 && $6 < 0x60000000 ))")"
is "set back, read again: the same registers; vCPU 1, never started, reads as down" "same down" \
	"$("$DL" vst roundtrip=0) $("$DL" vst state=1 | cut -d' ' -f1)"
"$DL" vst pc=0,0x60008000 >/dev/null
"$PXL" unpause vst
wait_state vst crashed
is "a pc set into a missing pfn is where the vCPU runs on: it faults there" \
	"pfn 0x60008 (missing), pc 0x60008000, fetch" "$(field vst why)"
"$PXL" destroy vst

# an event channel between the toolstack and the guest, both ways
boot ev "evtchn" on_poweroff=preserve
wait_log ev "^evtchn: port"
port=$(log ev | sed -n 's/^evtchn: port //p')
is "the toolstack binds the port the guest allocated for dom0, raises it, and hears the guest send back" "rang" \
	"$("$DL" ev evtchn="$port" 2>&1)"
wait_state ev shutdown
is "the guest saw its shared info's pending bit, and sent" "evtchn: port $port|evtchn: notified|evtchn: sent" \
	"$(log ev | grep '^evtchn' | tr '\n' '|' | sed 's/|$//')"
is "binding the store's port or a free one: invalid" "evtchn=2: Invalid argument|evtchn=9: Invalid argument" \
	"$("$DL" ev evtchn=2 2>&1)|$("$DL" ev evtchn=9 2>&1)"
"$PXL" destroy ev

# Xen's grant table (version 1) as an arm64 guest sets it up (word
# gnttab): what real Xen 4.17 prints on x86 (gnttab-xen.txt); XENMEM_memory_map
# and physdev_op are -ENOSYS on Arm, as on Xen (a device tree says the memory)
boot gt "gnttab memmap" on_poweroff=preserve
wait_state gt shutdown
is "grant table: query_size, set_version, frame 0 mapped over its RAM, the console's and store's entries seeded, setup_table, Xen's errors" \
	"$(tr '\n' '|' <"$S/tests/integration/gnttab-xen.txt")" \
	"$(log gt | tr -d '\r' | sed -n 's/^gnttab: //p' | grep -v '^entry [01]:\|^frame 0 at pfn' | tr '\n' '|')"
pfn=$(log gt | tr -d '\r' | sed -n 's/^gnttab: frame 0 at pfn 0x//p')
is "pxl p2m: the grant frame foreign at the pfn it chose; XENMEM_memory_map, physdev_op -ENOSYS" \
	"foreign 0x$pfn-0x$(printf '%x' $((0x$pfn + 1)))|-38|-38" \
	"$("$PXL" p2m gt | awk '$1 == "foreign" { print $1, $2 }')|$(log gt | tr -d '\r' | sed -n 's/^\(memory_map\|physdev_op\): //p' | tr '\n' '|' | sed 's/|$//')"
"$PXL" destroy gt

# a backend maps the guest's grants (guest-lib.sh: 3 tests)
grant_cases
is "destroyed: the host's memory is whole again (the grant table's frames too)" "Domain-0 4096" "$(names) $(free_mib)"
