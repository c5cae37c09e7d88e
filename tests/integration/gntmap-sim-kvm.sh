#!/bin/bash
# gntmap-sim-kvm.sh - gntmap-sim.sh with the x86 guest 64-bit on the
# simulator's KVM vCPUs
export PM_ENGINE=kvm
. "${top_srcdir:-.}/tests/integration/gntmap-sim.sh"
