#!/bin/bash
# parallel-loops-kvm.sh - every case of parallel-loops.sh with the simulator's x86 vCPUs on
# KVM (PHYSMAP_SIM_ENGINE=kvm). Skipped, by name, where /dev/kvm cannot serve.
export PM_ENGINE=kvm
. "${top_srcdir:-.}/tests/integration/parallel-loops.sh"
