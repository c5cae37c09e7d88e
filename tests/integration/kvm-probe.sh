# tests/integration/kvm-probe.sh - sourced by the suites that run guests
# (after PXL and T are set): PM_ENGINE=kvm puts the simulator's x86 vCPUs
# on KVM, and the suite is skipped, by name, where KVM cannot serve (a
# simulator started with PHYSMAP_SIM_ENGINE=kvm refuses to run there)
if [ "${PM_ENGINE:-}" = kvm ]; then
	export PHYSMAP_SIM_ENGINE=kvm
	if ! why=$(PHYSMAP_RUNDIR=$T/kvm-probe "$PXL" info xen_commandline 2>&1) || [ "$why" != "x86_engine=kvm" ]; then
		skip_all "no usable KVM here: $(tail -n 1 "$T/kvm-probe/sim.log" 2>/dev/null || printf '%s' "$why" | head -n 1)"
	fi
	pkill -f "physmap-sim --rundir $T/kvm-probe" 2>/dev/null
fi
