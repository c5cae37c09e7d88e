#!/bin/bash
# The pc and q35 boards against QEMU 7.2 itself: for each machine the E820
# QEMU hands its firmware (fw_cfg etc/e820, read over qtest without booting)
# must equal the board's firmware view line for line, and a machine QEMU
# refuses must be refused with the same message.
. "$top_srcdir/tests/tap.sh"
need_tool qemu-system-x86_64 qemu-system-x86
need_tool "$PYTHON3" python3

dump="$top_builddir/tests/integration/board-dump"
oracle="$top_srcdir/tests/oracles/qemu-pc-e820.py"

# machine memory "board keys" "qemu args"
cases=()
for m in pc q35; do
	for mem in 512M 2816M 3G 3584M 4G 8G; do
		cases+=("$m|$mem||")
	done
	cases+=("$m|4G|max_ram_below_4g=2G|-M $m,max-ram-below-4g=2G")
	cases+=("$m|4G|max_ram_below_4g=3584M|-M $m,max-ram-below-4g=3584M")
	cases+=("$m|3G|cpu_vendor=intel|-cpu qemu64,vendor=GenuineIntel")
	cases+=("$m|4G|pa_bits=39|-cpu qemu64,phys-bits=39")
	cases+=("$m|6G|pa_bits=33|-cpu qemu64,phys-bits=33")
	cases+=("$m|4G|pa_bits=35|-cpu qemu64,phys-bits=35")
done
cases+=("pc|3G|max_ram_below_4g=4G|-M pc,max-ram-below-4g=4G")
cases+=("q35|2G|max_ram_below_4g=1G|-M q35,max-ram-below-4g=1G")

plan ${#cases[@]}
for c in "${cases[@]}"; do
	IFS='|' read -r machine mem keys qargs <<<"$c"
	want=$("$PYTHON3" "$oracle" "$machine" "$mem" $qargs 2>&1)
	got=$("$dump" "$machine" "$mem" $keys --firmware 2>&1)
	name="$machine $mem ${keys:-(defaults)}"
	case $want in *etc/e820*|*Traceback*) fail "$name" "oracle failed: $want"; continue ;; esac
	if [ "$want" = "$got" ]; then
		ok "$name matches QEMU 7.2"
	else
		fail "$name matches QEMU 7.2" "QEMU and physmap differ:"
		diff <(echo "$want") <(echo "$got") | sed 's/^/#   /'
	fi
done
