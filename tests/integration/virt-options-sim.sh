#!/bin/bash
# virt-options-sim.sh - the virt board's QEMU options on the simulator:
# a 512-vCPU guest (GICv3 with both redistributor regions) is created,
# listed vCPU by vCPU, its device tree and P2M inspected and destroyed
# with nothing left; the arm64 test guest boots and brings its vCPUs up
# under secure, iommu=smmuv3, GICv4-less max and machine versions old and
# new, reading its memory from the tree; what the simulator cannot run
# (EL2, virt-2.6's 8-CPU clusters) is refused in one line before anything
# is made.
. "${top_srcdir:-.}/tests/tap.sh"
G=${top_builddir:-.}/tests/guests/arm64/guest.img
[ -f "$G" ] || bail "$G not built: configure found no aarch64-linux-gnu-gcc (install gcc-aarch64-linux-gnu; scripts/test does)"
need_tool "${DTC:-dtc}" device-tree-compiler
. "${top_srcdir:-.}/tests/integration/guest-lib.sh"
dtc=${DTC:-dtc}

# the host as it is: domains, free memory, device models
host() { echo "$(names) $(free_mib) dm:$(pgrep -f "physmap-dm.*--rundir $PHYSMAP_RUNDIR" | wc -l)"; }

plan 15

is "pxl info starts the simulator: 4096 MiB free" "4096" "$(free_mib)"
clean=$(host)

out=$("$PXL" create -p "$EX/virt.cfg" name=big memory=64 vcpus=512 2>&1)
is "a 512-vCPU virt guest is created (paused)" "0|created big as domain 1 (paused)" "$?|$(printf '%s\n' "$out" | tail -1)"
is "pxl vcpu-list lists each of its 512 vCPUs" "512 511" \
	"$("$PXL" vcpu-list big | awk 'NR > 1 && $1 == "big"' | wc -l) $("$PXL" vcpu-list big | awk '$1 == "big" { n = $3 } END { print n }')"
"$PXL" dumpdtb big "$T/big.dtb" >/dev/null 2>&1
"$dtc" -q -I dtb -O dts -o "$T/big.dts" "$T/big.dtb"
is "its device tree has 512 CPUs and both redistributor regions (the second at 256 GiB)" \
	"512|#redistributor-regions = <0x02>;|reg = <0x00 0x8000000 0x00 0x10000 0x00 0x80a0000 0x00 0xf60000 0x40 0x00 0x00 0x4000000>;" \
	"$(grep -c 'cpu@' "$T/big.dts")|$(grep -o '#redistributor-regions = <0x02>;' "$T/big.dts")|$(grep -A12 'intc@8000000 {' "$T/big.dts" | grep -m1 -o 'reg = .*')"
is "its P2M has the 64 MiB of RAM at 1 GiB" "ram 0x40000-0x44002" \
	"$("$PXL" p2m big 2>/dev/null | awk '$1 == "ram" { print $1, $2; exit }')"
"$PXL" destroy big
is "destroyed, nothing is left: no domain, the memory back, no device model" "$clean" "$(host)"

# boot NAME WORDS KEY=VALUE...: the arm64 test guest on virt
boot() {
	local name=$1 words=$2
	shift 2
	"$PXL" create "$EX/virt.cfg" name="$name" kernel="$G" "extra=\"$words\"" on_poweroff=preserve "$@" >/dev/null 2>&1
}
# runs NAME with these options to its poweroff: its memory line, then its vCPUs' report
runs() {
	local name=$1 vcpus=$2
	shift 2
	boot "$name" smp vcpus="$vcpus" "$@" || { echo "not created"; return; }
	wait_state "$name" shutdown || log "$name" >&2
	log "$name" | grep -E '^memory:|^smp:' | tr -d '\r' | tr '\n' '|' | sed 's/|$//'
	"$PXL" destroy "$name"
}
want="memory: 0x40000000-0x60000000 (512 MiB)|smp: 4 vCPUs ran"
is "secure = 1: the guest runs in the normal world, its memory the tree's (the secure RAM not)" \
	"$want" "$(runs sec 4 secure=1)"
is "iommu = \"smmuv3\", its = 0, dtb_randomness = 1, phandle_start = 0x100: it runs" \
	"$want" "$(runs smmu 4 iommu=smmuv3 its=0 dtb_randomness=1 phandle_start=0x100)"
is "gic_version = \"max\" without EL2 is GICv3: it runs" "$want" "$(runs max 4 gic_version=max)"
is "compat = \"2.6\" (no PMU, edge timers) with GICv2: it runs" "$want" "$(runs old 4 compat=2.6 gic_version=2)"
is "compat = \"7.2\" with 12 vCPUs (GICv3, one cluster of 16): it runs them all" \
	"memory: 0x40000000-0x60000000 (512 MiB)|smp: 12 vCPUs ran" "$(runs new 12 compat=7.2 gic_version=3)"
is "after them nothing is left" "$clean" "$(host)"

# refusals: exit 1, one line naming the domain and the setting, nothing made
out=$("$PXL" create "$EX/virt.cfg" name=el2 kernel="$G" virtualization=1 gic_version=4 2>&1)
is "virtualization = 1 is refused: the simulator has no EL2" \
	"1|pxl create: el2: virtualization = 1 (board 'virt'): the guest would boot at EL2, and the simulator's vCPUs run at EL1 only|$clean" \
	"$?|$out|$(host)"
out=$("$PXL" create "$EX/virt.cfg" name=vu kernel="$G" board=xenarm vuart=sbsa_uart 2>&1)
is "xenarm's vuart = \"sbsa_uart\" is refused: the vpl011 is Xen's own" \
	"1|pxl create: vu: vuart = \"sbsa_uart\" (board 'xenarm'): the vpl011 is Xen's own, and the simulator emulates none|$clean" \
	"$?|$out|$(host)"
out=$("$PXL" create "$EX/virt.cfg" name=aff kernel="$G" compat=2.6 gic_version=3 vcpus=9 2>&1)
is "virt-2.6 with 9 GICv3 vCPUs is refused: its MPIDR clusters of 8 are not the simulator's" \
	"1|pxl create: aff: compat = \"2.6\" (board 'virt'): its vCPUs past the 8th come in MPIDR clusters of 8, and the simulator's PSCI numbers clusters of 16|$clean" \
	"$?|$out|$(host)"
