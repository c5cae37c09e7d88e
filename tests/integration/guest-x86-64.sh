#!/bin/bash
# guest-x86-64.sh - every case of guest-x86.sh with the guest built as
# 64-bit code (guest64.elf: its PVH entry enters long mode, it calls Xen
# through the hypercall page with the x86_64 ABI, its secondary vCPUs take
# the same way), on the simulator's KVM x86 vCPUs. Skipped, by name, where
# /dev/kvm cannot serve.
export PM_ENGINE=kvm PM_GUEST64=1
. "${top_srcdir:-.}/tests/integration/guest-x86.sh"
