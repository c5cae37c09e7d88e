#!/bin/bash
# net-sim.sh - networks on the simulator, served by each domain's
# physmap-dm (devmodel/xen/netback.c) on a userspace switch of the
# simulator's domains ($RUNDIR/net/BRIDGE), to the test guests' network
# frontend (word "net=IP,PEER"): a pc guest and a virt guest on one switch
# ping each other (ARP, then ICMP echo both ways), guests on another
# switch do not hear them, the store laid out as libxl lays out a vif, a
# guest saved and restored and another migrated while they ping (each
# connects again to its new backend and goes on), a frontend posting
# garbage (errors, then let go) beside a pair that pings,
# network-attach and network-detach on a running guest, destroy leaving no
# port behind, a bridge name that is not one refused in one line. On a
# Linux bridge of the host (made here: the suite runs as root) the vif is
# a tap, vifDOMID.0, and the host's own network stack pings the guest and
# answers it; without CAP_NET_ADMIN that vif is refused in one line.
# PM_ENGINE=kvm (net-sim-kvm.sh): the x86 guest 64-bit on KVM.
. "${top_srcdir:-.}/tests/tap.sh"
. "${top_srcdir:-.}/tests/integration/guest-lib.sh"
pv_guests
command -v ping >/dev/null || bail "ping missing (scripts/deps.sh installs iputils-ping)"
BR=pmnet$$
NET=10.213.$([ "${PM_ENGINE:-}" = kvm ] && echo 78 || echo 77)   # the twins may run at once
trap 'pkill -f "physmap-sim --rundir $T" 2>/dev/null; ip link del "$BR" 2>/dev/null; rm -rf "$T"' EXIT
net_log() { log "$1" | tr -d '\r' | sed -n 's/^net: //p' | sed 's/^mac [0-9a-f:]* /mac M /' | tr '\n' '|' | sed 's/|$//'; }

plan 15

"$PXL" create "$EX/pc.cfg" name=px kernel="$G" 'cmdline="net=10.0.0.2,10.0.0.3"' memory=64 \
	'vif=["bridge=sw0"]' on_poweroff=preserve >/dev/null 2>&1
"$PXL" create "$EX/virt.cfg" name=va kernel="$A" 'extra="net=10.0.0.3,10.0.0.2"' \
	'vif=["bridge=sw0"]' on_poweroff=preserve >/dev/null 2>&1
# a third guest with the same address on another switch: never answers them
"$PXL" create "$EX/pc.cfg" name=other kernel="$G" 'cmdline="net=10.0.0.3"' memory=64 \
	'vif=["bridge=sw1"]' on_poweroff=preserve >/dev/null 2>&1
wait_state px shutdown
wait_state va shutdown
wait_log other '^net: mac'
is "a pc guest and a virt guest on one switch ping each other: ARP, three echo replies each, three answered" \
	"mac M ip 10.0.0.2|ping 10.0.0.3: 3 of 3 replies|answered 3 + mac M ip 10.0.0.3|ping 10.0.0.2: 3 of 3 replies|answered 3" \
	"$(net_log px) + $(net_log va)"
is "the guest on another switch heard none of it" "mac M ip 10.0.0.3" "$(net_log other)"
is "their MACs are the ones the toolstack gave them" "$(xenstore-read /local/domain/$("$PXL" domid px)/device/vif/0/mac)" \
	"$(log px | tr -d '\r' | sed -n 's/^net: mac \([0-9a-f:]*\) .*/\1/p')"
id=$("$PXL" domid px)
be=/local/domain/0/backend/vif/$id/0
is "the backend directory: libxl's keys for a vif, physmap-dm's offer (receive by copy), Connected" \
	"bridge feature-gso-tcpv4 feature-gso-tcpv6 feature-multicast-control feature-rx-copy feature-rx-flip feature-sg feature-split-event-channels frontend frontend-id handle hotplug-status mac multi-queue-max-queues online script state type|sw0|4" \
	"$(xenstore-list $be | LC_ALL=C sort | tr '\n' ' ' | sed 's/ $//')|$(xenstore-read $be/bridge)|$(xenstore-read $be/state)"
for n in px va other; do "$PXL" destroy $n; done
ports() { find "$PHYSMAP_RUNDIR/net" -type s 2>/dev/null | wc -l; }
for i in $(seq 50); do [ "$(ports)" = 0 ] && break; sleep 0.1; done   # the models take a moment to go
is "destroyed: no port left on either switch" "0" "$(ports)"

# a guest saved and restored, then the other migrated, while they ping each other (60 echo
# requests each way, one at a time): each connects to its new backend and goes on; what
# was in flight while one was suspended is sent again after a second
# (an echo request asked again after its answer was lost, or late, is answered again: 60 or more)
pings() { log "$1" | tr -d '\r' | sed -n 's/^net: //p' | grep -v '^mac' | sed 's/ of [0-9]* replies$/ of N/' |
	awk '/^answered [0-9]+$/ { $0 = $2 >= 60 ? "answered 60+" : $0 }
	     /^ping .* of N$/ { $0 = $3 >= 60 ? $1 " " $2 " 60+ of N" : $0 } { print }' | tr '\n' '|' | sed 's/|$//'; }
"$PXL" create "$EX/pc.cfg" name=rp kernel="$G" 'cmdline="control net=10.0.0.2,10.0.0.3,60"' memory=64 \
	'vif=["bridge=sw3"]' on_poweroff=preserve >/dev/null 2>&1
"$PXL" create "$EX/virt.cfg" name=rv kernel="$A" 'extra="control net=10.0.0.3,10.0.0.2,60"' \
	'vif=["bridge=sw3"]' on_poweroff=preserve >/dev/null 2>&1
wait_log rp '^net: mac' && wait_log rv '^net: mac' && sleep 0.5
"$PXL" save rp "$T/rp.save" >/dev/null && "$PXL" restore "$T/rp.save" >/dev/null
"$PXL" migrate --transport=cmd rv "$PXL migrate-receive" >/dev/null 2>&1
# up to a minute each: a sanitizer build on a busy host
for n in rp rv; do wait_log $n '^net: answered' || wait_log $n '^net: answered'; done
is "saved and restored (pc), migrated (virt) while pinging: each connects again to its new backend, 60 replies each way" \
	"connected again after a resume|ping 10.0.0.3: 60+ of N|answered 60+ + connected again after a resume|ping 10.0.0.2: 60+ of N|answered 60+" \
	"$(pings rp) + $(pings rv)"
"$PXL" destroy rp; "$PXL" destroy rv

# a frontend posting garbage beside a pair that pings: each bad transmit answered with an
# error, a good frame after them served, a producer index past the ring lets its device go
"$PXL" create "$EX/virt.cfg" name=gp kernel="$A" 'extra="net=10.0.0.3,10.0.0.4"' \
	'vif=["bridge=sw4"]' on_poweroff=preserve >/dev/null 2>&1
"$PXL" create "$EX/pc.cfg" name=gq kernel="$G" 'cmdline="net=10.0.0.4,10.0.0.3"' memory=64 \
	'vif=["bridge=sw4"]' on_poweroff=preserve >/dev/null 2>&1
# the garbage's good frame asks gp's MAC once and waits 5 s: gp connected first
# (the arm64 guest under Unicorn and ASan can take longer than that to come up)
wait_log gp '^net: mac' && wait_log gq '^net: mac' && sleep 0.5
"$PXL" create "$EX/pc.cfg" name=gb kernel="$G" 'cmdline="netbad=10.0.0.2,10.0.0.3"' memory=64 \
	'vif=["bridge=sw4"]' on_poweroff=preserve >/dev/null 2>&1
wait_log gb "^net: bad: past the ring" && wait_log gq '^net: answered'
is "garbage: a grant it lacks, a frame past its page, an empty one, one over 1514 bytes, more data not offered are errors; a good frame after them served; past the ring: Closed" \
	"bad: a grant it does not have -1|bad: a frame past its page -1|bad: an empty frame -1|bad: a frame of 2000 bytes -1|bad: more data, not offered -1|bad: a good frame after them, answered 1|bad: past the ring, the backend's state 6" \
	"$(net_log gb | sed 's/^mac M ip [0-9.]*|//')"
is "physmap-dm's log names the domain and the overrun; the pair beside it pinged each other as ever" \
	"1|ping 10.0.0.3: 3 of 3 replies|answered 3" \
	"$(grep -c "domain $("$PXL" domid gb): .*tx producer index .* past the ring" "$PHYSMAP_RUNDIR/console/gb.dm.log")|$(net_log gq | sed 's/^mac M ip [0-9.]*|//')"
for n in gp gq gb; do "$PXL" destroy $n; done

"$PXL" create "$EX/pc.cfg" name=run kernel="$G" 'cmdline="control"' memory=64 'vif=[]' >/dev/null 2>&1
wait_log run '^control: ready'
"$PXL" network-attach run bridge=sw2 >"$T/out" 2>&1
is "network-attach on a running guest: exit 0, physmap-dm offers it (InitWait), network-list shows it" "0|2|0" \
	"$?|$(xenstore-read /local/domain/0/backend/vif/$("$PXL" domid run)/0/state)|$("$PXL" network-list run | awk 'NR > 1 { print $1 }')"
"$PXL" network-detach run 0 >"$T/out" 2>&1
is "network-detach: exit 0, gone from network-list" "0|" "$?|$("$PXL" network-list run | awk 'NR > 1 { print $1 }')"
"$PXL" destroy run
out=$("$PXL" create "$EX/pc.cfg" name=bad kernel="$G" memory=64 'vif=["bridge=a/b"]' 2>&1)
is "a bridge name that is not one: exit 1, one line naming it, no domain" \
	"1|pxl create: bad: vif 0: bridge a/b: not a bridge's name|Domain-0" "$?|$out|$(names)"

# a Linux bridge of the host: the vif is a tap on it; the host is the peer
ip link add "$BR" type bridge && ip addr add "$NET.1/24" dev "$BR" && ip link set "$BR" up ||
	bail "making a Linux bridge (root is needed)"
"$PXL" create "$EX/pc.cfg" name=lb kernel="$G" "cmdline=\"net=$NET.2,$NET.1\"" memory=64 \
	"vif=[\"bridge=$BR\"]" on_poweroff=preserve >"$T/out" 2>&1
id=$("$PXL" domid lb)
is "a vif on a Linux bridge: exit 0; its tap vif$id.0 on the bridge, up, with Xen's fe:ff:ff:ff:ff:ff" \
	"0|vif$id.0|fe:ff:ff:ff:ff:ff|up" \
	"$?|$(ls /sys/class/net/"$BR"/brif | tr '\n' ' ' | sed 's/ $//')|$(cat /sys/class/net/vif$id.0/address)|$(cat /sys/class/net/vif$id.0/operstate | sed 's/unknown/up/')"
wait_log lb '^net: mac'
host=$(ping -c 3 -W 3 "$NET.2" 2>&1 | grep -c 'bytes from')
wait_state lb shutdown
is "through the bridge the guest pings the host (its kernel answers ARP and echo) and answers the host's three pings" \
	"3|mac M ip $NET.2|ping $NET.1: 3 of 3 replies|answered 3" "$host|$(net_log lb)"
"$PXL" destroy lb
for i in $(seq 100); do [ -e /sys/class/net/vif$id.0 ] || break; sleep 0.1; done   # its model takes a moment to go
is "destroyed: its tap gone from the bridge and the host" "0|absent" \
	"$(ls /sys/class/net/"$BR"/brif | wc -l)|$([ -e /sys/class/net/vif$id.0 ] && echo there || echo absent)"
out=$(setpriv --bounding-set=-net_admin "$PXL" create "$EX/pc.cfg" name=np kernel="$G" memory=64 \
	"vif=[\"bridge=$BR\"]" 2>&1)
is "without CAP_NET_ADMIN a vif on a Linux bridge: exit 1, one line naming the bridge and the capability, no domain" \
	"1|1|1|Domain-0" \
	"$?|$(printf '%s\n' "$out" | wc -l)|$(printf '%s\n' "$out" | grep -c "bridge $BR: a tap on the Linux bridge: making the tap: Operation not permitted (it needs CAP_NET_ADMIN)")|$(names)"
