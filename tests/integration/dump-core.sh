#!/bin/bash
# dump-core.sh - pxl dump-core on the simulator: an ELF core in Xen's
# dump-core format, read back by peers that were not written here: binutils
# (readelf's ELF header and section table, which say where each section
# is)
# and libkdumpfile (its xc_core_elf reader: Xen's version, the vCPUs'
# registers, guest memory by physical address). The core holds exactly the
# P2M's RAM pages (pxl p2m), the guest's image where it was loaded, and a
# context per vCPU; the guest runs on. Bad input changes nothing, and the
# coredump-* actions write their core where xl would (DUMPDIR/NAME).
. "${top_srcdir:-.}/tests/tap.sh"
G=${top_builddir:-.}/tests/guests/x86/guest.elf
A=${top_builddir:-.}/tests/guests/arm64/guest.img
R=${G%.elf}.img   # what the ELF file lays out at 1 MiB
[ -f "$G" ] || bail "$G not built: configure found no 32-bit x86 compiler (gcc -m32)"
[ -f "$A" ] || bail "$A not built: configure found no aarch64 cross compiler"
. "${top_srcdir:-.}/tests/integration/guest-lib.sh"
PY=/usr/bin/python3
"$PY" -c 'import kdumpfile' 2>/dev/null || bail "libkdumpfile's Python module (python3-libkdumpfile) is not installed"
command -v readelf >/dev/null || bail "binutils (readelf) not installed"

# the section names in file order
sections() { readelf -S -W "$1" | sed -n 's/^ *\[ *[1-9][0-9]*\] \([^ ]*\) .*/\1/p' | tr '\n' ' '; }
# a section's bytes, where readelf's section table says they are
section() {
	local off size
	read -r off size < <(readelf -S -W "$1" | sed -n "s/^ *\[ *[0-9]*\] $2 *[A-Z]* *[0-9a-f]* \([0-9a-f]*\) \([0-9a-f]*\) .*/\1 \2/p")
	[ -n "$size" ] && tail -c +$((0x$off + 1)) "$1" | head -c $((0x$size))
}
# the pfns of .xen_pfn, one hex number a line
pfns() { section "$1" .xen_pfn | od -An -v -t x8 | tr -s ' ' '\n' | sed '/^$/d; s/^0*\([0-9a-f]\)/0x\1/'; }
# the pfns of the P2M's RAM runs as pxl p2m prints them
ram_pfns() {
	local kind range p
	"$PXL" p2m "$1" | while read -r kind range _; do
		[ "$kind" = ram ] || continue
		for ((p = ${range%-*}; p < ${range#*-}; p++)); do printf '0x%x\n' "$p"; done
	done
}
# page PFN of core FILE (by its index in .xen_pfn), as hex
page_of() {
	local i
	i=$(pfns "$1" | grep -n -x "$2" | cut -d: -f1)
	[ -n "$i" ] || return 1
	section "$1" .xen_pages | dd bs=4096 skip=$((i - 1)) count=1 2>/dev/null | od -An -v -t x1 | tr -d ' \n'
}
ready() { wait_log "$1" '^waiting for the toolstack'; }
# what libkdumpfile reads from a core: python code with k the open dump
kd() { "$PY" -c "import kdumpfile, sys
k = kdumpfile.kdumpfile(sys.argv[1])
$2" "$1" 2>&1; }

plan 19

boot_pc d1 "control" vcpus=2 && ready d1
state0=$(field d1 state)
out=$("$PXL" dump-core d1 "$T/d1.core" 2>&1)
is "pxl dump-core DOMAIN FILENAME: exit 0, nothing printed (as xl)" "0|" "$?|$out"
is "readelf: an ELF64 core, little endian, for x86-64, no program headers (Xen's dump-core layout)" \
	"ELF64|2's complement, little endian|CORE (Core file)|Advanced Micro Devices X86-64|0" \
	"$(readelf -h "$T/d1.core" | sed -n 's/^ *\(Class\|Data\|Type\|Machine\|Number of program headers\): *//p' | tr '\n' '|' | sed 's/|$//')"
is "its sections, in libxenguest's order: .shstrtab .note.Xen .xen_prstatus .xen_pages .xen_pfn" \
	".shstrtab .note.Xen .xen_prstatus .xen_pages .xen_pfn " "$(sections "$T/d1.core")"
is "the pages are exactly the P2M's RAM pages (pxl p2m), in pfn order" \
	"$(ram_pfns d1 | md5sum)" "$(pfns "$T/d1.core" | md5sum)"
is "libkdumpfile opens it as Xen's dump-core (xc_core_elf) of a domU, hypervisor 4.17" "xc_core_elf 2 4.17" \
	"$(kd "$T/d1.core" "a = k.attr; print(a['file.format'], a['xen.type'], '%d.%d' % (a['xen.version.major'], a['xen.version.minor']))")"
# the image with its .bss (where, on KVM, the hypercall page a blocked vCPU sits in lies)
end=0x$(nm "$G" | awk '$3 == "_end" { print $1 }')
is "libkdumpfile: a context per vCPU; vCPU 0's rip inside the guest's image (loaded at 1 MiB), its flat segments" \
	"2 yes 8 16" "$(kd "$T/d1.core" "a = k.attr; r = a['cpu.0.reg']
print(a['cpu.number'], 'yes' if 0x100000 <= r['rip'] < $end else hex(r['rip']), r['cs'], r['ds'])")"
is "libkdumpfile reads the guest's image at 1 MiB, byte for byte (its first 256 bytes: code)" \
	"$(head -c 256 "$R" | od -An -v -t x1 | tr -d ' \n')" \
	"$(kd "$T/d1.core" "print(k.read(kdumpfile.KDUMP_KPHYSADDR, 0x100000, 256).hex())")"
is "what the P2M does not hold as RAM (the VGA hole) is not in the core" "NoDataException" \
	"$(kd "$T/d1.core" "
try:
    k.read(kdumpfile.KDUMP_KPHYSADDR, 0xa0000, 16); print('read')
except Exception as e:
    print(type(e).__name__)")"
is "the domain was not paused: it runs on as before" "$state0 $(log d1 | grep -c 'waiting for the toolstack')" \
	"$(field d1 state) $(log d1 | grep -c 'waiting for the toolstack')"

# the virt board: an Arm core
"$PXL" create "$EX/virt.cfg" name=a1 kernel="$A" 'cmdline="control"' memory=32 >/dev/null 2>&1 && ready a1
"$PXL" pause a1
out=$("$PXL" dump-core a1 "$T/a1.core" 2>&1)
is "an Arm guest (virt board): exit 0, an ELF core for AArch64 with the same sections" \
	"0||AArch64|.shstrtab .note.Xen .xen_prstatus .xen_pages .xen_pfn " \
	"$?|$out|$(readelf -h "$T/a1.core" | sed -n 's/^ *Machine: *//p')|$(sections "$T/a1.core")"
is "its pages are the P2M's RAM pages; the image is in the page at 0x40200000 where the board loaded it" \
	"$(ram_pfns a1 | md5sum) $(head -c 4096 "$A" | od -An -v -t x1 | tr -d ' \n' | head -c 128)" \
	"$(pfns "$T/a1.core" | md5sum) $(page_of "$T/a1.core" 0x40200 | head -c 128)"
ctx=$(section "$T/a1.core" .xen_prstatus | od -An -v -t x8 -j 256 -N 8 | tr -d ' ')
read -r size es < <(readelf -S -W "$T/a1.core" |
	sed -n 's/^ *\[ *[0-9]*\] .xen_prstatus *[A-Z]* *[0-9a-f]* [0-9a-f]* \([0-9a-f]*\) \([0-9a-f]*\) .*/\1 \2/p')
is "arm64's vcpu_guest_context: 352 bytes each, one per vCPU; vCPU 0 online, its pc inside the image" \
	"352 $(field a1 vcpus) 1 yes" \
	"$((0x$es)) $((0x$size / 0x$es)) \
$(section "$T/a1.core" .xen_prstatus | od -An -t u4 -N 4 | tr -d ' ') \
$([ $((0x$ctx)) -ge $((0x40200000)) ] && [ $((0x$ctx)) -lt $((0x40200000 + $(stat -c %s "$A"))) ] && echo yes || echo "0x$ctx")"
"$PXL" destroy a1

# bad input: one line, exit 1, nothing written
out=$("$PXL" dump-core nosuch "$T/x.core" 2>&1)
is "an unknown domain: one line naming it, exit 1, no file" "1 1 no" \
	"$? $(echo "$out" | wc -l) $([ -e "$T/x.core" ] && echo yes || echo no)$(echo "$out" | grep -qv nosuch && echo " (says: $out)")"
out=$("$PXL" dump-core d1 "$T/no/such/dir/x.core" 2>&1)
is "a file that cannot be made: one line naming it, exit 1" "1 1 yes" \
	"$? $(echo "$out" | wc -l) $(echo "$out" | grep -q "$T/no/such/dir/x.core" && echo yes)"
echo keep > "$T/old.core"
out=$("$PXL" dump-core 0 "$T/old.core" 2>&1)
is "dom0: refused in one line, exit 1; the file there is left as it was" "1 1 keep" \
	"$? $(echo "$out" | wc -l) $(cat "$T/old.core")"
out=$("$PXL" dump-core d1 2>&1)
is "no FILENAME: usage, exit 2 (as xl: it wants both)" "2 yes" "$? $(echo "$out" | grep -q 'DOMAIN FILENAME' && echo yes)"
is "no temporary file is left beside the cores" "" "$(ls "$T" | grep '\.core\.')"

# the coredump actions
boot_pc k2 "control" on_crash=coredump-restart && ready k2
id=$(field k2 domid)
store xenstore-write "/local/domain/$id/control/shutdown" crash
for i in $(seq 300); do d=$(field k2 domid); [ -n "$d" ] && [ "$d" != "$id" ] && break; sleep 0.1; done
is "on_crash=coredump-restart: the core at RUNDIR/dump/NAME (xl: /var/lib/xen/dump/NAME), a new domain" \
	"CORE (Core file) yes" \
	"$(readelf -h "$PHYSMAP_RUNDIR/dump/k2" 2>&1 | sed -n 's/^ *Type: *//p') $([ "${d:-0}" -gt "$id" ] && echo yes)"
is "the crashed guest's core holds its memory: the image at 1 MiB" \
	"$(head -c 64 "$R" | od -An -v -t x1 | tr -d ' \n')" \
	"$(kd "$PHYSMAP_RUNDIR/dump/k2" "print(k.read(kdumpfile.KDUMP_KPHYSADDR, 0x100000, 64).hex())")"
"$PXL" destroy k2
"$PXL" destroy d1
