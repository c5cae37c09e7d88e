#!/bin/bash
# lifecycle.sh - a guest's end, as xl makes it, on the simulator: pxl
# shutdown and reboot through the guest's control/shutdown node (-w, -a,
# -F), every on_poweroff / on_reboot / on_crash / on_watchdog /
# on_soft_reset action applied by the backend or pxl's monitor, a reboot
# loop stopped, and pxl rename / domid / domname. The x86 test guest's
# "control" word makes it answer control/shutdown as Linux does (and
# crash, watchdog, soft-reset on request, so every action can be driven).
. "${top_srcdir:-.}/tests/tap.sh"
G=${top_builddir:-.}/tests/guests/x86/guest.elf
[ -f "$G" ] || bail "$G not built: configure found no 32-bit x86 compiler (gcc -m32)"
. "${top_srcdir:-.}/tests/integration/guest-lib.sh"
mon() { cat "$PHYSMAP_RUNDIR/console/$1.monitor.log" 2>/dev/null | cut -d' ' -f3-; }
# waits up to 30 s for a line in a domain's monitor log
wait_mon() { wait_for mon "$1" "$2"; }
# the domid of a name, once it differs from $2 (a restart)
new_id() {
	local i d
	for i in $(seq 300); do
		d=$(field "$1" domid)
		[ -n "$d" ] && [ "$d" != "$2" ] && { echo "$d"; return 0; }
		sleep 0.1
	done
	return 1
}
ready() { wait_log "$1" '^waiting for the toolstack'; }
store_rm() { store xenstore-write "/local/domain/$1/control/shutdown" "$2"; }

plan 40

# shutdown: asked through control/shutdown, acknowledged, powered off, destroyed
boot_pc s1 "control" && ready s1
id=$(field s1 domid)
out=$("$PXL" shutdown -w s1 2>&1)
is "pxl shutdown -w: exit 0, as xl says it: shutting down, waiting, the end" \
	"0|Shutting down domain $id|Waiting for 1 domains|Domain $id has been" \
	"$?|$(printf '%s\n' "$out" | sed 's/\(has been\) .*/\1/' | tr '\n' '|' | sed 's/|$//')"
is "the guest was asked (control: poweroff) and it is gone (on_poweroff=destroy)" "control: poweroff|" \
	"$(log s1 | tail -1)|$(names | tr ' ' '\n' | grep -x s1)"

# on_poweroff=preserve: shut down, kept
boot_pc s2 "control" on_poweroff=preserve && ready s2
"$PXL" shutdown s2 2>/dev/null; wait_state s2 shutdown
is "on_poweroff=preserve: kept, shut down for poweroff" "shutdown poweroff" "$(field s2 state) $(field s2 shutdown_reason)"
"$PXL" destroy s2

# reboot, on_reboot=restart (the default): the same name, a new id, its configuration
boot_pc r1 "control" && ready r1
id=$(field r1 domid)
"$PXL" reboot r1 2>/dev/null; echo "reboot: $?" >"$T/r1"
id2=$(new_id r1 "$id")
wait_log r1 '^waiting for the toolstack'
is "pxl reboot: exit 0; built again under its name with a new id, and it boots" \
	"reboot: 0 yes control: ready" \
	"$(cat "$T/r1") $([ "${id2:-0}" -gt "$id" ] && echo yes) $(log r1 | grep '^control: ready' | tail -1)"
is "the monitor says how it stopped and what it did" "r1: domain $id rebooted: restart|r1: now domain $id2" \
	"$(mon r1 | grep -v watching | head -2 | tr '\n' '|' | sed 's/|$//')"

# a guest without a PV control driver cannot be asked; nothing changes
boot_pc n1 "spin"
wait_log n1 '^spinning'
out=$("$PXL" shutdown n1 2>&1 >/dev/null)
is "shutdown of a guest without a PV control driver: exit 1, one line naming it, it runs on" \
	"1 1 running" "$? $(printf '%s\n' "$out" | grep -c 'n1 (domain [0-9]*): no PV control interface') $(field n1 state)"
out=$("$PXL" reboot n1 2>&1 >/dev/null)
is "reboot of it: exit 1 the same way" "1 1 running" \
	"$? $(printf '%s\n' "$out" | grep -c 'control/feature-reboot') $(field n1 state)"
id=$(field n1 domid)
out=$("$PXL" reboot -F -w n1 2>&1)
is "reboot -F stops it from outside: exit 0, said, waited for" \
	"0 1 Domain $id has been shut down, reason code 1" \
	"$? $(printf '%s\n' "$out" | grep -c 'stopped from outside (reboot)') $(printf '%s\n' "$out" | tail -1)"
id2=$(new_id n1 "$id")
is "and its on_reboot (restart) follows" "yes" "$([ "${id2:-0}" -gt "$id" ] && echo yes)"
"$PXL" destroy n1
boot_pc n2 "spin" on_poweroff=preserve
wait_log n2 '^spinning'
"$PXL" shutdown -F n2 2>/dev/null
is "shutdown -F: shut down from outside for poweroff (on_poweroff=preserve keeps it)" "shutdown poweroff" \
	"$(field n2 state) $(field n2 shutdown_reason)"
id=$(field n2 domid)
out=$("$PXL" shutdown n2 2>&1 >/dev/null)
is "a domain that has stopped already: exit 1, said" "1 n2 (domain $id): it has stopped already" \
	"$? $(printf '%s\n' "$out" | sed 's/^pxl shutdown: //')"
"$PXL" destroy n2

# the actions on crash, watchdog, soft reset, driven through the guest
boot_pc c1 "control" on_crash=preserve && ready c1
store_rm "$(field c1 domid)" crash; wait_state c1 crashed
is "on_crash=preserve: kept, crashed" "crashed crash" "$(field c1 state) $(field c1 shutdown_reason)"
"$PXL" destroy c1
boot_pc c2 "control" on_crash=rename-restart && ready c2
id=$(field c2 domid)
store_rm "$id" crash
id2=$(new_id c2 "$id")
kept=$("$PXL" list 2>/dev/null | awk -v id="$id" '$2 == id { print $1 }')
is "on_crash=rename-restart: the crashed one kept as NAME-YYYYmmddTHHMMZ, a new one under the name" \
	"yes crashed yes" \
	"$(echo "$kept" | grep -qx 'c2-[0-9]\{8\}T[0-9]\{4\}Z' && echo yes) $(field "$kept" state) $([ "${id2:-0}" -gt "$id" ] && echo yes)"
wait_log c2 '^waiting for the toolstack'
is "the kept one has its console log under its new name; the new one boots under the old" "control: crash|control: ready" \
	"$(log "$kept" | grep '^control: crash')|$(log c2 | grep '^control: ready' | tail -1)"
"$PXL" destroy "$kept"
boot_pc w1 "control" on_watchdog=restart && ready w1
id=$(field w1 domid)
store_rm "$id" watchdog
id2=$(new_id w1 "$id")
is "on_watchdog=restart: restarted when its watchdog stops it" "yes w1: domain $id was stopped by its watchdog: restart" \
	"$([ "${id2:-0}" -gt "$id" ] && echo yes) $(mon w1 | grep watchdog)"
boot_pc w2 "control" && ready w2
store_rm "$(field w2 domid)" watchdog; wait_state w2 gone
is "on_watchdog's default (destroy): gone" "" "$(names | tr ' ' '\n' | grep -x w2)"
# SCHEDOP_watchdog: a watchdog the guest never kicks stops it, and on_watchdog follows
boot_pc wd "watchdog=1 control" on_watchdog=preserve && ready wd
wait_state wd shutdown
is "a guest's watchdog (SCHEDOP_watchdog, id 1, 1 s) that is never kicked stops it: shut down for watchdog, preserved" \
	"watchdog: 1|shutdown watchdog|1" \
	"$(log wd | grep '^watchdog: ')|$(field wd state) $(field wd shutdown_reason)|$(log wd | grep -c 'watchdog 1 fired')"
"$PXL" destroy wd
boot_pc k1 "control" on_crash=coredump-destroy && ready k1
id=$(field k1 domid)
store_rm "$id" crash; wait_state k1 gone
wait_mon k1 'destroyed'
is "on_crash=coredump-destroy: its core written where xl writes it (DUMPDIR/NAME), then destroyed" \
	"k1: domain $id crashed: coredump-destroy|k1: dumping core to $PHYSMAP_RUNDIR/dump/k1|k1: core dumped: P pages, 1 vCPUs|k1: domain $id destroyed|yes" \
	"$(mon k1 | grep -v watching | head -4 | sed 's/[0-9]* pages/P pages/' | tr '\n' '|')$(names | tr ' ' '\n' | grep -x k1)$([ -s "$PHYSMAP_RUNDIR/dump/k1" ] && echo yes)"
boot_pc f1 "control" && ready f1
id=$(field f1 domid)
store_rm "$id" soft-reset
id2=$(new_id f1 "$id")
is "on_soft_reset's default (soft-reset): restarted, and the monitor says the backend cannot reset in place" \
	"yes 1" "$([ "${id2:-0}" -gt "$id" ] && echo yes) $(mon f1 | grep -c 'cannot reset a domain in place: restarting it')"

# config-update: what the next restart builds, and what follows it
boot_pc cu "control" && ready cu
id=$(field cu domid)
out=$("$PXL" config-update cu memory=lots 2>&1)
is "config-update with a bad value: exit 1, one line naming it; nothing kept" "1 1 0" \
	"$? $(printf '%s\n' "$out" | grep -c 'memory: "lots"') $(store xenstore-ls "/vm/$id" | grep -c '^next-config')"
"$PXL" config-update cu memory=24 on_poweroff=preserve
is "config-update leaves the running domain as it is" "31" "$("$PXL" list cu | awk 'NR == 2 { print $3 }')"
"$PXL" reboot cu 2>/dev/null
id2=$(new_id cu "$id")
wait_log cu '^waiting for the toolstack'
"$PXL" shutdown cu 2>/dev/null
wait_state cu shutdown
is "the restart is built from it (23 MiB), and its on_poweroff (preserve) is what follows now" "yes 23 shutdown" \
	"$([ "${id2:-0}" -gt "$id" ] && echo yes) $("$PXL" list cu | awk 'NR == 2 { print $3 }') $(field cu state)"
"$PXL" destroy cu

# a guest that reboots as soon as it boots is stopped, not restarted for ever
boot_pc l1 "reboot"
wait_mon l1 'rebooting in a loop'
sleep 0.5
is "a reboot loop: 5 restarts, then left as it stopped, with a message" "5 shutdown reboot 0" \
	"$(mon l1 | grep -c 'now domain') $(field l1 state) $(field l1 shutdown_reason) $(pgrep -f "pxl create .*name=l1 " | wc -l)"
"$PXL" destroy l1

# names
id=$(field r1 domid)
is "pxl domid NAME and domname ID" "$id r1" "$("$PXL" domid r1) $("$PXL" domname "$id")"
"$PXL" rename r1 r9
is "pxl rename: exit 0; the new name lists, the old is nobody's" "0 r9 " \
	"$? $(field r9 state >/dev/null; "$PXL" domname "$id") $(names | tr ' ' '\n' | grep -x r1)"
is "its store entries and console log follow" "r9 r9 1" \
	"$(store xenstore-read "/local/domain/$id/name") $(store xenstore-read "/vm/$id/name") $(log r9 | grep -c '^control: ready')"
"$PXL" reboot r9 2>/dev/null
id2=$(new_id r9 "$id")
is "a restart after a rename keeps the new name (the store's configuration)" "yes r9" \
	"$([ "${id2:-0}" -gt "$id" ] && echo yes) $("$PXL" domname "${id2:-0}" 2>/dev/null)"
boot_pc o1 "control" && ready o1
out=$("$PXL" rename r9 o1 2>&1 >/dev/null)
is "rename to a name in use: exit 1, one line, nothing changed" "1 1 r9 o1" \
	"$? $(printf '%s\n' "$out" | grep -c 'o1: another domain has this name') $("$PXL" domname "$id2") $(field o1 state >/dev/null; "$PXL" domname "$(field o1 domid)")"

# -a: every domain but dom0
boot_pc a1 "control" && boot_pc a2 "control" && ready a1 && ready a2
out=$("$PXL" shutdown -a -w 2>&1)
rc=$?
n=$(printf '%s\n' "$out" | grep -c '^Shutting down domain')
for _ in $(seq 50); do [ "$(names)" = Domain-0 ] && break; sleep 0.1; done
is "shutdown -a -w: every domain asked and waited for, dom0 left alone" "0 yes Domain-0" \
	"$rc $([ "$n" -ge 2 ] && [ "$n" = "$(printf '%s\n' "$out" | grep -c 'has been')" ] && echo yes) $(names)"

# bad input: one line, xl's status, nothing changed
for args in "shutdown nosuch" "reboot nosuch" "shutdown" "shutdown 0" "domid nosuch" "domname 999" \
	"domname x1" "rename nosuch x" "rename 0 x"; do
	out=$("$PXL" $args 2>&1 >/dev/null)
	rc=$?
	is "pxl $args: exit 1, one line" "1 1" "$rc $(printf '%s\n' "$out" | grep -c .)"
done

# a build that a destroy overtakes (a restart racing `pxl destroy`): the
# store must not serve the dead domain's ring, whose frame the next
# domain gets (it read that guest's requests and broke its ring)
introduced() {
	python3 - "$PHYSMAP_RUNDIR/xenstored.sock" "$1" <<'PY'
import socket, struct, sys
s = socket.socket(socket.AF_UNIX)
s.connect(sys.argv[1])
body = sys.argv[2].encode() + b"\0"
s.sendall(struct.pack("<IIII", 17, 1, 0, len(body)) + body)   # XS_IS_DOMAIN_INTRODUCED
h = b""
while len(h) < 16:
    h += s.recv(16 - len(h))
n = struct.unpack("<IIII", h)[3]
b = b""
while len(b) < n:
    b += s.recv(n - len(b))
print(b.rstrip(b"\0").decode())
PY
}
PHYSMAP_STOP_AT="build: devices" "$PXL" create "$EX/pc.cfg" name=ov kernel="$G" 'cmdline="control"' memory=32 \
	'vif=[]' >"$T/ov.out" 2>&1 </dev/null &
pid=$!
for _ in $(seq 200); do [ "$(awk '{ print $3 }' /proc/$pid/stat 2>/dev/null)" = T ] && break; sleep 0.05; done
id=$(field ov domid)
"$PXL" destroy ov
kill -CONT $pid
wait $pid
rc=$?
is "a build overtaken by a destroy: exit 1, one line; the store never serves the dead domain's ring" \
	"1 1 F" "$rc $(grep -c . "$T/ov.out") $(introduced "${id:-0}")"
boot_pc ov2 "control" && ready ov2
out=$("$PXL" shutdown -w ov2 2>&1)
is "the next domain's store ring is its own: it answers a shutdown" "0 " "$? $(names | tr ' ' '\n' | grep -x ov2)"
