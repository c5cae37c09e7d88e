#!/bin/bash
# guest-x86.sh - the x86 (PVH) test guest on the simulator's x86 vCPUs
# (Unicorn; KVM in guest-x86-kvm.sh): Xen found by cpuid, hypercalls by
# vmcall or the hypercall page, its banner through the
# pc board's 16550 (port I/O ioreqs to physmap-dm) with the memory map of
# its hvm_start_info, its store ring, bad hypercall arguments, a missing
# pfn crashing it, and ballooning 1024 -> 256 -> 1024 MiB.
. "${top_srcdir:-.}/tests/tap.sh"
# PM_GUEST64=1: the 64-bit build of the guest (guest-x86-64.sh, on KVM)
if [ "${PM_GUEST64:-}" = 1 ]; then
	G=${top_builddir:-.}/tests/guests/x86/guest64.elf ARCH_NAME=x86_64
else
	G=${top_builddir:-.}/tests/guests/x86/guest.elf ARCH_NAME=x86
fi
[ -f "$G" ] || bail "$G not built: configure found no x86 compiler for the guests (gcc -m32)"
. "${top_srcdir:-.}/tests/integration/guest-lib.sh"
# the pc example sets cmdline, which wins over extra: the words go there
boot() {
	local name=$1 words=$2
	shift 2
	"$PXL" create "$EX/pc.cfg" name="$name" kernel="$G" "cmdline=\"$words\"" "$@" >/dev/null 2>&1 || return 1
}

plan 39

boot x1 "store reservation badcalls" on_poweroff=preserve
wait_state x1 shutdown
out=$(log x1)
is "the banner comes through COM1 (port I/O to physmap-dm)" "physmap test guest ($ARCH_NAME)" "$(printf '%s\n' "$out" | head -1)"
is "its memory map is the start info's E820 RAM: below 640K, and 1 MiB to 1 GiB" \
	"memory: 0x0-0xa0000 (0 MiB)|memory: 0x100000-0x40000000 (1023 MiB)" \
	"$(printf '%s\n' "$out" | grep '^memory: ' | tr '\n' '|' | sed 's/|$//')"
is "hypercalls (vmcall on Unicorn, the hypercall page on KVM): its store ring, its reservation" "store: name = x1|current_reservation: 262050" \
	"$(printf '%s\n' "$out" | grep -E '^store:|^current_reservation' | tr '\n' '|' | sed 's/|$//')"
is "bad hypercall arguments get Xen's error codes" "-14 -22 -38 -14 -38 -22" \
	"$(printf '%s\n' "$out" | sed -n 's/^\(console_io\|unknown\|sched_op\|memory_op\|hvm_op\).*: //p' | tr '\n' ' ' | sed 's/ $//')"
is "and it powers off (SCHEDOP_shutdown), preserved" "shutdown poweroff" "$(field x1 state) $(field x1 shutdown_reason)"
"$PXL" destroy x1

boot x2 "free=0x3ffff000 read=0x3ffff000" on_crash=preserve
wait_state x2 crashed
if [[ $(field x2 why) =~ ^pfn\ 0x3ffff\ \(missing\),\ pc\ 0x10[0-9a-f]{4},\ read$ ]]; then
	ok "a read of a page it gave back crashes it: pfn, missing, eip, read"
else
	fail "a read of a page it gave back crashes it: pfn, missing, eip, read" "got '$(field x2 why)'"
fi
"$PXL" destroy x2

boot smp "smp" vcpus=4 on_poweroff=preserve
wait_log smp "^smp:" || log smp >&2   # what it said, if it never got there
wait_state smp shutdown
is "VCPUOP_initialise and VCPUOP_up bring vCPUs 1-3 up; each says so; VCPUOP_down takes them down" \
	"smp: 4 vCPUs ran|vcpu 1 up|vcpu 2 up|vcpu 3 up" \
	"$(log smp | grep -E '^vcpu [0-9] up|^smp:' | LC_ALL=C sort | tr '\n' '|' | sed 's/|$//')"
"$PXL" destroy smp

boot echo "echo" on_poweroff=destroy
wait_log echo "type a line"
out=$(printf 'hello x86\n' | timeout 20 "$PXL" console echo 2>&1)
is "what pxl console is given reaches COM1 (port I/O through physmap-dm) and comes back" \
	"echo: hello x86|powering off" "$(printf '%s\n' "$out" | grep -E '^echo: h|^powering' | tr '\n' '|' | sed 's/|$//')"

boot dev "subpage events exec" testdev=1 on_poweroff=preserve
wait_state dev shutdown
is "testdev=1: three register blocks share a page at 0xfe000000, the gaps unassigned (sub-page dispatch)" \
	"subpage: ok (3 blocks in one page, the gaps unassigned)" "$(log dev | grep '^subpage')"
is "1000 writes to a coalesced register all arrive before the next read, 100 doorbell rings notify" \
	"events: ok (1000 coalesced writes arrived; 100 rings" "$(log dev | grep '^events' | sed 's/, [0-9]* notifications)$//')"
ioreqs=$(field dev ioreqs)
is "the coalesced writes took the buffered ring and the rings the notifier: no round trip each" \
	"1 100 1" "$([ "$(field dev buffered)" -ge 168 ] && echo 1) $(field dev notified) $([ "$ioreqs" -lt 1000 ] && echo 1)"
is "code programmed into the flash runs from its window (mmio-exec, twice: reprogramming takes the copy back)" \
	"exec: ok (ran 0x11, reprogrammed, ran 0x22: 2 copies, 1 taken back) 2" "$(log dev | grep '^exec') $(field dev execs)"
"$PXL" destroy dev

boot jmp "jump=0xfe001000" testdev=1 on_crash=preserve
wait_state jmp crashed
is "a jump into a device that cannot be executed from crashes the domain, saying so" \
	"pc 0xfe001000: fetch from MMIO at 0xfe001000: the device model: Operation not supported" "$(field jmp why)"
"$PXL" destroy jmp

# the guest (an ELF file): loaded where its segments say, entered at its PVH note
E=$G
"$PXL" create "$EX/pc.cfg" name=elf kernel="$E" 'cmdline="reservation"' on_poweroff=preserve >/dev/null 2>&1
wait_state elf shutdown
is "an ELF kernel with a PVH entry note (XEN_ELFNOTE_PHYS32_ENTRY) boots: its banner, its words, powering off" \
	"physmap test guest ($ARCH_NAME)|current_reservation: 262050|powering off" \
	"$(log elf | grep -E '^physmap|^current_res|^powering' | tr '\n' '|' | sed 's/|$//')"
"$PXL" destroy elf
objcopy -R .note.Xen "$E" "$T/nonote.elf"
head -c 40 "$E" >"$T/trunc.elf"
head -c 2000 "$E" >"$T/short.elf"
out=$("$PXL" create "$EX/pc.cfg" name=bad kernel="$T/nonote.elf" 2>&1 | grep -v warning)
is "an ELF kernel without the PVH note: exit 1, one line naming the file" \
	"pxl create: bad: kernel $T/nonote.elf: an ELF file without a PVH entry note (XEN_ELFNOTE_PHYS32_ENTRY)" "$out"
out=$("$PXL" create "$EX/pc.cfg" name=bad kernel="$T/trunc.elf" 2>&1 | grep -v warning)
is "a truncated ELF header: one line" "pxl create: bad: kernel $T/trunc.elf: a truncated ELF header" "$out"
out=$("$PXL" create "$EX/pc.cfg" name=bad kernel="$T/short.elf" 2>&1 | grep -v warning)
is "a segment past the end of the file: one line; no bad kernel left a domain or took memory" \
	"pxl create: bad: kernel $T/short.elf: segment 0 (0x100000, N bytes) is not in the file|Domain-0|4096" \
	"$(printf '%s' "$out" | sed 's/, [0-9]* bytes)/, N bytes)/')|$(names)|$(free_mib)"

# the same ELF inside a bzImage (what /boot/vmlinuz is): the payload, xz or gzip, is the ELF file
bz() {   # ELF COMPRESSOR OUT: a bzImage header (boot protocol 2.15, one setup sector) and the payload
	"$2" -c "$1" >"$3.payload"
	python3 - "$3.payload" "$3" <<'PY'
import struct, sys
payload = open(sys.argv[1], 'rb').read()
setup = bytearray(2 * 512)                    # the boot sector and one setup sector
setup[0x1f1] = 1                              # setup_sects
setup[0x202:0x206] = b'HdrS'
setup[0x206:0x208] = struct.pack('<H', 0x20f)
setup[0x248:0x250] = struct.pack('<II', 0x40, len(payload))   # payload_offset past the protected-mode start
open(sys.argv[2], 'wb').write(bytes(setup) + bytes(0x40) + payload + struct.pack('<I', 0))
PY
}
for c in xz gzip; do
	bz "$E" "$c" "$T/bz-$c"
	"$PXL" create "$EX/pc.cfg" name="bz$c" kernel="$T/bz-$c" 'cmdline="reservation"' on_poweroff=preserve >/dev/null 2>&1
	wait_state "bz$c" shutdown
	is "a bzImage whose payload is the ELF file ($c) boots as the ELF does" \
		"physmap test guest ($ARCH_NAME)|powering off" "$(log "bz$c" | grep -E '^physmap|^powering' | tr '\n' '|' | sed 's/|$//')"
	"$PXL" destroy "bz$c"
done
head -c 3000 "$T/bz-xz" >"$T/bz-cut"
out=$("$PXL" create "$EX/pc.cfg" name=bad kernel="$T/bz-cut" 2>&1 | grep -v warning)
is "a bzImage cut short: one line naming the file; no domain" \
	"pxl create: bad: kernel $T/bz-cut: its payload (N bytes at 1088) lies past the end of the file|Domain-0" \
	"$(printf '%s' "$out" | sed 's/payload ([0-9]* bytes/payload (N bytes/')|$(names)"

# the same guest as a raw image: booted only when the config says it is one
R=${G%.elf}.img
out=$("$PXL" create "$EX/pc.cfg" name=bad kernel="$R" 2>&1 | grep -v warning)
is "a raw image without kernel_format=\"raw\": refused, one line, no domain" \
	"pxl create: bad: kernel $R: not an ELF file, a bzImage or an arm64 Image (kernel_format=\"raw\" boots an image as it is)|Domain-0|4096" \
	"$out|$(names)|$(free_mib)"
"$PXL" create "$EX/pc.cfg" name=raw kernel="$R" kernel_format=raw 'cmdline="reservation"' on_poweroff=preserve >/dev/null 2>&1
wait_state raw shutdown
is "with kernel_format=\"raw\" the raw image boots where the board places it (1 MiB)" \
	"physmap test guest ($ARCH_NAME)|powering off" "$(log raw | grep -E '^physmap|^powering' | tr '\n' '|' | sed 's/|$//')"
"$PXL" destroy raw
mkfifo "$T/fifo"
: >"$T/empty"
for k in "$T/fifo:a FIFO, not a regular file" "$T:a directory, not a regular file" \
	"/dev/zero:a character device, not a regular file" "$T/empty:an empty file"; do
	out=$(timeout 20 "$PXL" create "$EX/pc.cfg" name=bad kernel="${k%%:*}" 2>&1 | grep -v warning)
	is "a kernel that is ${k#*:}: refused before any domain exists, naming where" \
		"pxl create: command line:2: kernel: ${k%%:*}: ${k#*:}|Domain-0|4096" "$out|$(names)|$(free_mib)"
done

boot ev "evtchn" on_poweroff=preserve
wait_log ev "^evtchn: port"
port=$(log ev | sed -n 's/^evtchn: port //p')
out=$(${top_builddir:-.}/tests/integration/hv-probe ev evtchn="$port" 2>&1)
wait_state ev shutdown
is "an event channel with the toolstack, both ways (the x86_32 shared info layout)" \
	"rang|evtchn: notified|evtchn: sent" "$out|$(log ev | grep -E '^evtchn: (notified|sent)' | tr '\n' '|' | sed 's/|$//')"
"$PXL" destroy ev

# a pause stops a vCPU between blocks of guest code, never part way through
# one: registers behind their memory would run a read-modify-write twice
boot pu "workload=2,0" on_crash=preserve
wait_log pu "^workload"
out=$(${top_builddir:-.}/tests/integration/hv-probe pu $(printf 'pause unpause %.0s' $(seq 1000)) 2>&1 | sort | uniq -c | tr -s ' ')
n=$(log pu | grep -c '^workload: .* ok$')
wait_rounds pu $((n + 2))
is "paused and unpaused 1000 times as it rewrites its memory: every store once, and it runs on" \
	" 2000 ok|running|0" "$out|$(field pu state)|$(log pu | grep -c 'does not hold')"
"$PXL" destroy pu

boot bal "touch balloon"
wait_log bal "balloon: ready"
out=$("$PXL" mem-set -w bal 256m 2>&1)
is "mem-set 256m: exit 0, the guest holds 256 MiB" "0 256" "$? $("$PXL" list | awk '$1 == "bal" { print $3 }')"
is "its P2M: the top 768 MiB missing" "missing 0x10060-0x40000" \
	"$("$PXL" p2m bal | awk '$2 ~ /^0x10060/ { print $1, $2 }')"
out=$("$PXL" mem-set -w bal 1024m 2>&1)
is "mem-set 1024m: all of its RAM back (1 GiB less the legacy hole)" "0 1023 ram 0x100-0x40002" \
	"$? $("$PXL" list | awk '$1 == "bal" { print $3 }') $("$PXL" p2m bal | awk '$1 == "ram" && $2 ~ /^0x100-/ { print $1, $2 }')"
is "the console tells both moves" "balloon: 1023 MiB -> 256 MiB|balloon: at 256 MiB|balloon: 256 MiB -> 1024 MiB|balloon: at 1023 MiB" \
	"$(log bal | grep -E '^balloon: (at|[0-9]+ MiB -> (256|1024))' | grep -v '1023 MiB -> 1024' | tr '\n' '|' | sed 's/|$//')"
"$PXL" destroy bal

# Xen's grant table (version 1) and memory map as the guest asks for them
# (words gnttab, memmap): what it prints is what real Xen 4.17 prints
# (gnttab-xen.txt, which check-xen holds Xen to)
boot gt "gnttab memmap" on_poweroff=preserve
wait_state gt shutdown
is "grant table: query_size, set_version (1; 2 is -ENOSYS), frame 0 mapped over its RAM, the console's and store's entries seeded, setup_table, Xen's errors" 	"$(tr '\n' '|' <"$S/tests/integration/gnttab-xen.txt")" 	"$(log gt | tr -d '\r' | sed -n 's/^gnttab: //p' | grep -v '^entry [01]:\|^frame 0 at pfn' | tr '\n' '|')"
pfn=$(log gt | tr -d '\r' | sed -n 's/^gnttab: frame 0 at pfn 0x//p')
is "pxl p2m: the grant frame foreign at the pfn the guest chose (its RAM there given back)" 	"foreign 0x$pfn-0x$(printf '%x' $((0x$pfn + 1)))" "$("$PXL" p2m gt | awk '$1 == "foreign" { print $1, $2 }')"
e820=$("$PXL" e820 gt | sed -n 's/.*\[mem 0x\([0-9a-f]*\)-0x\([0-9a-f]*\)\] \(.*\)/\1 \2 \3/p' |
	while read -r a z t; do printf '%x-%x %d|' $((16#$a)) $((16#$z + 1)) "$([ "$t" = usable ] && echo 1 || echo 2)"; done)
is "XENMEM_memory_map: the map pxl e820 shows (the start info's); physdev_op -ENOSYS, as for a PVH domU on Xen" 	"${e820}8|-38" 	"$(log gt | tr -d '\r' | sed -n 's/^memmap: 0x\([0-9a-f]*\)-0x\([0-9a-f]*\) /\1-\2 /p' | tr '\n' '|')$(log gt | tr -d '\r' | sed -n 's/^\(memory_map\|physdev_op\): //p' | tr '\n' '|' | sed 's/|$//')"
"$PXL" destroy gt

# a backend maps the guest's grants (guest-lib.sh: 3 tests)
grant_cases
is "everything destroyed: the host's memory is whole again (the grant table's frames too)" "Domain-0 4096" "$(names) $(free_mib)"
