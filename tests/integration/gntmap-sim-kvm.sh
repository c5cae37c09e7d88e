#!/bin/bash
# gntmap-sim-kvm.sh - gntmap-sim.sh with the x86 guests 64-bit on the
# simulator's KVM vCPUs (skipped, by name, where /dev/kvm cannot serve)
export PM_ENGINE=kvm
. "${top_srcdir:-.}/tests/integration/gntmap-sim.sh"
