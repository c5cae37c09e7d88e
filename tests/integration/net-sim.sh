#!/bin/bash
# net-sim.sh - networks on the simulator, served by each domain's
# physmap-dm (devmodel/xen/netback.c) on a userspace switch of the
# simulator's domains ($RUNDIR/net/BRIDGE), to the test guests' network
# frontend (word "net=IP,PEER"): a pc guest and a virt guest on one switch
# ping each other (ARP, then ICMP echo both ways), guests on another
# switch do not hear them, the store laid out as libxl lays out a vif,
# network-attach and network-detach on a running guest, destroy leaving no
# port behind, a bridge name that is not one refused in one line.
# PM_ENGINE=kvm (net-sim-kvm.sh): the x86 guest 64-bit on KVM.
. "${top_srcdir:-.}/tests/tap.sh"
. "${top_srcdir:-.}/tests/integration/guest-lib.sh"
pv_guests
net_log() { log "$1" | tr -d '\r' | sed -n 's/^net: //p' | sed 's/^mac [0-9a-f:]* /mac M /' | tr '\n' '|' | sed 's/|$//'; }

plan 8

"$PXL" create "$EX/pc.cfg" name=px kernel="$G" 'cmdline="net=10.0.0.2,10.0.0.3"' memory=64 \
	'vif=["bridge=sw0"]' on_poweroff=preserve >/dev/null 2>&1
"$PXL" create "$EX/virt.cfg" name=va kernel="$A" 'extra="net=10.0.0.3,10.0.0.2"' \
	'vif=["bridge=sw0"]' on_poweroff=preserve >/dev/null 2>&1
# a third guest with the same address on another switch: never answers them
"$PXL" create "$EX/pc.cfg" name=other kernel="$G" 'cmdline="net=10.0.0.3"' memory=64 \
	'vif=["bridge=sw1"]' on_poweroff=preserve >/dev/null 2>&1
wait_state px shutdown
wait_state va shutdown
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
