#!/bin/bash
# The ACPI tables a PVH guest boots with, read by ACPICA's own disassembler
# (iasl -d): for 1, 4 and 128 vCPUs every table the RSDP reaches checks out
# (no "Incorrect checksum"), the FADT is hardware-reduced ACPI 5 with the
# CMOS clock the board has, the DSDT is a definition block, and the MADT
# lists each vCPU's local APIC with ID 2i as Xen numbers them, enabled.
. "$top_srcdir/tests/tap.sh"
need_tool iasl acpica-tools

dump="$top_builddir/tests/integration/board-dump"
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT

plan 18
for n in 1 4 128; do
	d="$dir/$n"
	mkdir -p "$d"
	"$dump" pc 512M --vcpus=$n --acpi="$d" >"$d/dump.out" 2>&1
	is "$n vCPUs: the tables are written" "apic.dat dsdt.dat facp.dat rsdp.dat rsdt.dat xsdt.dat" \
		"$(cd "$d" && echo *.dat)"
	(cd "$d" && for t in apic dsdt facp rsdt xsdt; do iasl -d $t.dat >/dev/null 2>&1 || echo "iasl failed on $t"; done) >"$d/iasl.out"
	is "$n vCPUs: iasl disassembles every table, none with a bad checksum" "" \
		"$(cat "$d/iasl.out"; cd "$d" && grep -h "Incorrect checksum" *.dsl 2>/dev/null)"
	is "$n vCPUs: the FADT is hardware-reduced ACPI 5" "05 1" \
		"$(awk -F': ' '/Revision : / && !r { r = $2 } /Hardware Reduced \(V5\)/ { h = $2 } END { print r, h }' "$d/facp.dsl" | tr -d ' \t' | sed 's/^\(..\)/\1 /')"
	is "$n vCPUs: the CMOS clock is present, VGA absent" "0 1" \
		"$(awk -F': ' '/CMOS RTC Not Present/ { c = $2 } /VGA Not Present/ { v = $2 } END { print c, v }' "$d/facp.dsl" | tr -s ' ')"
	is "$n vCPUs: the MADT has one enabled local APIC each, ID 2i" \
		"$(for ((i = 0; i < n; i++)); do printf '%02X\n' $((2 * i)); done | tr '\n' ' ')/$n" \
		"$(awk -F': ' '/Local Apic ID/ { printf "%s ", $2 } END { printf "/" }' "$d/apic.dsl" | tr -d '\t')$(grep -c 'Processor Enabled : 1' "$d/apic.dsl")"
	check "$n vCPUs: the DSDT is an empty definition block" grep -q 'DefinitionBlock ("", "DSDT", 2, "PHYSMP"' "$d/dsdt.dsl"
done
