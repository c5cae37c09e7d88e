#!/bin/bash
# disk-suspend-kvm.sh - disk-suspend.sh with the x86 guest 64-bit on the
# simulator's KVM vCPUs (skipped, by name, where /dev/kvm cannot serve)
export PM_ENGINE=kvm
. "${top_srcdir:-.}/tests/integration/disk-suspend.sh"
