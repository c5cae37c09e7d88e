#!/bin/bash
# sim-kvm.sh - the simulator's x86 engine: KVM when PHYSMAP_SIM_ENGINE=kvm
# (said by pxl info and the simulator's log), Unicorn otherwise, anything
# else refused; on KVM a guest that triple-faults crashes with the reason
# while another runs on undisturbed, and a guest saved and restored on KVM
# runs on from where it was. Skipped, by name, where /dev/kvm cannot serve.
. "${top_srcdir:-.}/tests/tap.sh"
G=${top_builddir:-.}/tests/guests/x86/guest.elf
[ -f "$G" ] || bail "$G not built"
export PM_ENGINE=kvm
. "${top_srcdir:-.}/tests/integration/guest-lib.sh"

plan 7
is "PHYSMAP_SIM_ENGINE=kvm: pxl info says so, as does the simulator's log" "x86_engine=kvm|1" \
	"$("$PXL" info xen_commandline)|$(grep -c 'x86 vCPUs on kvm' "$PHYSMAP_RUNDIR/sim.log")"
out=$(PHYSMAP_SIM_ENGINE= PHYSMAP_RUNDIR=$T/uc "$PXL" info xen_commandline 2>&1)
is "unset, x86 vCPUs run on Unicorn" "x86_engine=unicorn" "$out"
pkill -f "physmap-sim --rundir $T/uc" 2>/dev/null
out=$(PHYSMAP_SIM_ENGINE=qemu PHYSMAP_RUNDIR=$T/bad "$PXL" info 2>&1 </dev/null)
is "PHYSMAP_SIM_ENGINE=qemu: no simulator (pxl: exit 1, one line), its log says why" \
	"1|1|physmap-sim: PHYSMAP_SIM_ENGINE=qemu: not kvm or unicorn" \
	"$?|$(printf '%s\n' "$out" | wc -l)|$(cat "$T/bad/sim.log" 2>/dev/null)"

"$PXL" create "$EX/pc.cfg" name=calm kernel="$G" 'cmdline="control"' 'vif=[]' memory=64 >/dev/null 2>&1
"$PXL" create "$EX/pc.cfg" name=bad kernel="$G" 'cmdline="undefined"' 'vif=[]' memory=64 on_crash=preserve \
	>/dev/null 2>&1
wait_state bad crashed
is "a guest that triple-faults (ud2, no IDT) is crashed, the reason in pxl list -j and its console" \
	"crashed|vcpu 0: triple fault, pc 0x|1" \
	"$(field bad state)|$(field bad why | sed 's/pc 0x.*/pc 0x/')|$(log bad | grep -c 'crashed: vcpu 0: triple fault')"
wait_log calm '^control: ready'
is "the other domain runs on" "running" "$(field calm state | sed 's/blocked/running/')"
"$PXL" destroy bad

"$PXL" save calm "$T/calm.save" >/dev/null
"$PXL" restore "$T/calm.save" >/dev/null
timeout 30 "$PXL" shutdown -w calm >/dev/null 2>&1
is "saved and restored on KVM, it answers a shutdown request from where it was (no new boot)" \
	"0|1|0" "$?|$(log calm | grep -c '^control: poweroff')|$(log calm | grep -c '^physmap test guest')"
is "everything destroyed: the host's memory is whole again" "Domain-0 4096" "$(names) $(free_mib)"
