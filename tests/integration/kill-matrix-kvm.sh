#!/bin/bash
# kill-matrix-kvm.sh - every case of kill-matrix.sh with the simulator's x86 vCPUs on
# KVM (PHYSMAP_SIM_ENGINE=kvm). Skipped, by name, where /dev/kvm cannot serve.
export PM_ENGINE=kvm
. "${top_srcdir:-.}/tests/integration/kill-matrix.sh"
