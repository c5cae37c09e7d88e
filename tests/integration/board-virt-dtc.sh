#!/bin/bash
# The virt board's device trees through dtc, QEMU's own tool chain for them:
# `dtc -I dtb -O dts` reads each with no warning at all (QEMU's own trees
# give none either), and a round trip dtb -> dts -> dtb -> dts gives the same
# source back, for the compact layout and compat ones, GICv2, v3 and v4,
# with and without the Xen hypervisor node, EL2, the secure world, the SMMU.
. "$top_srcdir/tests/tap.sh"
need_tool "${DTC:-dtc}" device-tree-compiler
dtc=${DTC:-dtc}
dump="$top_builddir/tests/integration/board-dump"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

cases=(
	"1G|--vcpus=1"
	"2G|--vcpus=4 gic_version=2"
	"4G|--vcpus=200"
	"1G|--vcpus=512 --maxmem=600G slots=4"
	"3G|--vcpus=2 highmem=0"
	"1G|--vcpus=8 compat=7.2"
	"1G|--vcpus=2 compat=2.12 gic_version=3"
	"1G|--vcpus=2 xen=0 highmem_ecam=0 highmem_mmio=0"
	"1G|--vcpus=4 gic_version=2 virtualization=1 secure=1 --kernel=4096"
	"1G|--vcpus=300 gic_version=max virtualization=1 iommu=smmuv3"
	"1G|--vcpus=2 compat=2.6 dtb_randomness=1 its=0 phandle_start=0x100"
)
plan $((2 * ${#cases[@]}))
for c in "${cases[@]}"; do
	IFS='|' read -r mem args <<<"$c"
	name="virt $mem $args"
	if ! out=$("$dump" virt "$mem" $args --dtb="$tmp/a.dtb" 2>&1); then
		fail "$name: dtc reads it without warnings" "board-dump: $out"
		fail "$name: survives a dtc round trip"
		continue
	fi
	warn=$("$dtc" -I dtb -O dts -o "$tmp/a.dts" "$tmp/a.dtb" 2>&1)
	is "$name: dtc reads it without warnings" "" "$warn"
	if "$dtc" -q -I dts -O dtb -o "$tmp/b.dtb" "$tmp/a.dts" &&
	   "$dtc" -q -I dtb -O dts -o "$tmp/b.dts" "$tmp/b.dtb" &&
	   cmp -s "$tmp/a.dts" "$tmp/b.dts"; then
		ok "$name: survives a dtc round trip"
	else
		fail "$name: survives a dtc round trip" "the sources differ:"
		diff "$tmp/a.dts" "$tmp/b.dts" | head -n 20 | sed 's/^/#   /'
	fi
done
