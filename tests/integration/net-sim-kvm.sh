#!/bin/bash
# net-sim-kvm.sh - net-sim.sh with the x86 guest 64-bit on the
# simulator's KVM vCPUs (skipped, by name, where /dev/kvm cannot serve)
export PM_ENGINE=kvm
. "${top_srcdir:-.}/tests/integration/net-sim.sh"
