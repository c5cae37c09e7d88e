#!/bin/bash
# guest-x86-kvm.sh - every case of guest-x86.sh with the simulator's x86
# vCPUs on KVM (PHYSMAP_SIM_ENGINE=kvm): the hypercall page, port I/O and
# MMIO exits as ioreqs, memory slots following the P2M through ballooning,
# mmio-exec from read-only slots, vCPUs brought up by VCPUOP_up. Skipped,
# by name, where /dev/kvm cannot serve.
export PM_ENGINE=kvm
. "${top_srcdir:-.}/tests/integration/guest-x86.sh"
