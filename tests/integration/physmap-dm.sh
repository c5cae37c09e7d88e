#!/bin/bash
# physmap-dm.sh - the device-model process through its test transport:
# PL011, 16550A and the sub-page test device as a guest sees them, the
# console sink, loaded region trees with logging devices, mtree output, a
# unix-socket session, and one-line errors (exit 1) for bad input.
. "${top_srcdir:-.}/tests/tap.sh"
DM=${top_builddir:-.}/physmap-dm
[ -x "$DM" ] || bail "$DM not built"
need_tool python3 python3
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT

# qtest NAME_OF_OUTPUT COMMANDS... (devices from $DEVS), answers in $T/NAME
qt() {
	local out=$1
	shift
	printf '%s\n' "$@" | "$DM" $DEVS --qtest --console "$T/console" --log "$T/log" >"$T/$out" 2>"$T/$out.err"
}
# the Nth answer line (1-based)
ans() { sed -n "${2}p" "$T/$1"; }

plan 38

DEVS="--device pl011,addr=0x9000000,name=uart0"
: >"$T/console"
qt pl011 "writel 0x9000000 0x48" "writeb 0x9000000 0x69" "readl 0x9000018" \
	"readl 0x9000fe0" "readl 0x9000fe4" "readl 0x9000fe8" "readl 0x9000fec" \
	"readl 0x9000ff0" "readl 0x9000ff4" "readl 0x9000ff8" "readl 0x9000ffc" \
	"readl 0x900003c" "writel 0x9000038 0x20" "readl 0x9000040" "writel 0x9000044 0x20" \
	"readl 0x900003c" "readl 0x9000030" "writel 0x9000024 0x27" "readl 0x9000024"
is "pl011: DR writes (word and byte) reach the console" "Hi" "$(cat "$T/console")"
is "pl011: FR says TX FIFO empty, RX FIFO empty" "OK 0x0000000000000090" "$(ans pl011 3)"
is "pl011: PeriphID0..3 are 0x11 0x10 0x14 0x00" \
	"OK 0x0000000000000011 OK 0x0000000000000010 OK 0x0000000000000014 OK 0x0000000000000000" \
	"$(ans pl011 4) $(ans pl011 5) $(ans pl011 6) $(ans pl011 7)"
is "pl011: PCellID0..3 are 0x0d 0xf0 0x05 0xb1" \
	"OK 0x000000000000000d OK 0x00000000000000f0 OK 0x0000000000000005 OK 0x00000000000000b1" \
	"$(ans pl011 8) $(ans pl011 9) $(ans pl011 10) $(ans pl011 11)"
is "pl011: a transmit raises TXIS in RIS" "OK 0x0000000000000020" "$(ans pl011 12)"
is "pl011: MIS is RIS masked by IMSC" "OK 0x0000000000000020" "$(ans pl011 14)"
is "pl011: ICR clears the raw status" "OK 0x0000000000000000" "$(ans pl011 16)"
is "pl011: CR resets with TXE and RXE" "OK 0x0000000000000300" "$(ans pl011 17)"
is "pl011: IBRD keeps what was written" "OK 0x0000000000000027" "$(ans pl011 19)"

DEVS="--device 16550,addr=0x3f8,pio,name=com1"
: >"$T/console"
qt uart "inb 0x3fd" "outb 0x3ff 0x5a" "inb 0x3ff" "inb 0x3fa" "outb 0x3fa 0x07" "inb 0x3fa" \
	"outb 0x3f8 0x6f" "outb 0x3f8 0x6b" \
	"outb 0x3fc 0x10" "outb 0x3f8 0x41" "inb 0x3fd" "inb 0x3f8" "inb 0x3fd" "outb 0x3fc 0x1f" "inb 0x3fe" \
	"outb 0x3fc 0x00" "outb 0x3fb 0x80" "outb 0x3f8 0x01" "outb 0x3f9 0x00" "inb 0x3f8" "outb 0x3fb 0x03" \
	"outb 0x3f9 0x02" "inb 0x3fa" "inb 0x3fa" "inw 0x3f8"
is "16550: LSR says transmitter empty" "OK 0x0000000000000060" "$(ans uart 1)"
is "16550: the scratch register keeps a byte" "OK 0x000000000000005a" "$(ans uart 3)"
is "16550: IIR shows no interrupt, then FIFOs (0xc1) once FCR enables them" \
	"OK 0x0000000000000001 OK 0x00000000000000c1" "$(ans uart 4) $(ans uart 6)"
is "16550: loopback returns the byte on RBR with LSR.DR, not on the console" \
	"OK 0x0000000000000061 OK 0x0000000000000041 OK 0x0000000000000060" \
	"$(ans uart 11) $(ans uart 12) $(ans uart 13)"
is "16550: loopback reflects MCR in MSR" "OK 0x00000000000000f0" "$(ans uart 15)"
is "16550: with DLAB set, offset 0 is the divisor latch" "OK 0x0000000000000001" "$(ans uart 20)"
is "16550: enabling THRI raises it at once, reading IIR clears it" \
	"OK 0x00000000000000c2 OK 0x00000000000000c1" "$(ans uart 23) $(ans uart 24)"
is "16550: only THR writes outside loopback and DLAB reach the console" "ok" "$(cat "$T/console")"
is "16550: a 2-byte access is refused (reads all zero)" "OK 0x0000000000000000" "$(ans uart 25)"

DEVS="--device subpage-test,addr=0x10000000,name=spt"
qt spt "readl 0x10000000" "readl 0x10000100" "readl 0x10000300" "readl 0x10000200" "readl 0x10000400" \
	"writel 0x10000304 0xcafe" "readl 0x10000304" "readl 0x10000104" "readq 0x100000fc" "readb 0x10000000"
is "subpage: each 256-byte block answers with its id" \
	"OK 0x0000000053505400 OK 0x0000000053505401 OK 0x0000000053505403" \
	"$(ans spt 1) $(ans spt 2) $(ans spt 3)"
is "subpage: the hole between blocks and the rest of the page are unassigned" \
	"OK 0x00000000ffffffff OK 0x00000000ffffffff" "$(ans spt 4) $(ans spt 5)"
is "subpage: registers are per block" "OK 0x000000000000cafe OK 0x0000000000000000" \
	"$(ans spt 7) $(ans spt 8)"
is "subpage: an 8-byte read across two blocks is split between them" \
	"OK 0x5350540100000000" "$(ans spt 9)"
is "subpage: a byte read is a decode error (reads 0)" "OK 0x0000000000000000" "$(ans spt 10)"
DEVS="$DEVS --device 16550,addr=0x3f8,pio,name=com1"
"$DM" $DEVS --mtree >"$T/mtree" 2>&1
cat >"$T/mtree.expected" <<'END'
address-space: memory
  0000000000000000-ffffffffffffffff (prio 0, i/o): system
    0000000010000000-00000000100000ff (prio 0, i/o): spt.block0
    0000000010000100-00000000100001ff (prio 0, i/o): spt.block1
    0000000010000300-00000000100003ff (prio 0, i/o): spt.block3

address-space: I/O
  0000000000000000-000000000000ffff (prio 0, i/o): io
    00000000000003f8-00000000000003ff (prio 0, i/o): com1

END
check "mtree prints the devices in QEMU's format" cmp "$T/mtree.expected" "$T/mtree"

cat >"$T/tree.json" <<'END'
{ "regions": {
    "sys": { "name": "system", "kind": "container", "size": "0x10000000000000000",
             "subregions": [ { "region": "ram", "addr": "0x0", "priority": 0 },
                             { "region": "dev", "addr": "0x1000", "priority": 1 } ] },
    "ram": { "name": "ram", "kind": "ram", "size": "0x4000" },
    "dev": { "name": "mydev", "kind": "mmio", "size": "0x100", "note": "extra keys are fine" } },
  "address_spaces": [ { "name": "memory", "root": "sys" } ] }
END
: >"$T/log"
printf '%s\n' "writel 0x1010 0xbeef" "readw 0x1012" "writeq 0x2000 0x1122334455667788" "readq 0x2000" \
	| "$DM" --load "$T/tree.json" --log "$T/log" --qtest >"$T/load" 2>&1
is "load: MMIO regions get a device that logs accesses" \
	"mydev write 0x10 4 0xbeef|mydev read 0x12 2 -> 0x0" "$(paste -sd'|' "$T/log")"
is "load: RAM regions hold what is written" "OK 0x1122334455667788" "$(ans load 4)"
"$DM" --load "$T/tree.json" --mtree -f >"$T/flat" 2>&1
is "load: the flat view splits RAM around the device" \
	"  0000000000000000-0000000000000fff (prio 0, ram): ram|  0000000000001000-00000000000010ff (prio 1, i/o): mydev|  0000000000001100-0000000000003fff (prio 0, ram): ram @0000000000001100" \
	"$(grep '^  0' "$T/flat" | paste -sd'|')"
check "load: --mtree -f --json is JSON with the ranges" \
	sh -c "'$DM' --load '$T/tree.json' --mtree -f --json | python3 -c 'import json,sys; d=json.load(sys.stdin); r=d[\"address_spaces\"][0][\"ranges\"]; assert [x[\"region\"] for x in r]==[\"ram\",\"mydev\",\"ram\"], r; assert r[2][\"offset\"]==\"0x1100\", r'"

# errors: one line naming what and where, exit 1, nothing on stdout
err_case() {
	local name=$1 want=$2
	shift 2
	local out rc
	out=$("$@" 2>&1 >"$T/stdout" </dev/null)
	rc=$?
	if [ $rc -eq 1 ] && [ "$(printf '%s\n' "$out" | wc -l)" -eq 1 ] &&
		[ "${out#*"$want"}" != "$out" ] && [ ! -s "$T/stdout" ]; then
		ok "$name"
	else
		fail "$name" "exit $rc, stderr: $out"
	fi
}
err_case "error: an unknown device model" 'physmap-dm: --device nosuch,addr=0: no device model "nosuch"' \
	"$DM" --device nosuch,addr=0 --mtree
err_case "error: a device without an address" 'physmap-dm: --device pl011: addr: missing' \
	"$DM" --device pl011 --mtree
err_case "error: a port beyond the I/O space" 'addr: port 0x10000 is beyond the 64 KiB I/O space' \
	"$DM" --device 16550,addr=0x10000,pio --mtree
sed 's/"0x4000"/"16K"/' "$T/tree.json" >"$T/bad-size.json"
err_case "error: a size that is not a hex string names its key" \
	"physmap-dm: $T/bad-size.json: regions.ram.size: missing, or not a hex string up to 2^64" \
	"$DM" --load "$T/bad-size.json" --mtree
sed 's/"region": "dev"/"region": "nodev"/' "$T/tree.json" >"$T/bad-ref.json"
err_case "error: a subregion that does not exist names its place" \
	'regions.sys.subregions[1].region: no region "nodev"' "$DM" --load "$T/bad-ref.json" --mtree
printf '{ "regions": { "a": { "kind": "container", "size": "0x10", "subregions": [ { "region": "a", "addr": "0x0" } ] } }, "address_spaces": [] }' >"$T/cycle.json"
err_case "error: a region inside itself" 'regions.a: contains itself' "$DM" --load "$T/cycle.json" --mtree
printf '{ "regions": {' >"$T/trunc.json"
err_case "error: text that is not JSON" 'not JSON' "$DM" --load "$T/trunc.json" --mtree

printf '%s\n' "readl" "frob 1" "writeb 0x0 0x100" "quit" "readl 0x0" | "$DM" --qtest >"$T/errs" 2>&1
is "qtest: malformed commands get ERR and the session goes on until quit" \
	"ERR usage: readl ADDR|ERR unknown command \"frob\"|ERR writeb: value 0x100 does not fit 1 bytes|OK" \
	"$(paste -sd'|' "$T/errs")"

DEVS="--device subpage-test,addr=0x10000000,name=spt"
"$DM" $DEVS --qtest=unix:"$T/sock" >"$T/sock.out" 2>&1 &
pid=$!
for _ in $(seq 100); do [ -S "$T/sock" ] && break; sleep 0.05; done
mode=$(stat -c %a "$T/sock" 2>/dev/null)
answer=$(printf 'readl 0x10000100\nquit\n' | python3 -c '
import socket, sys
s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1]); s.sendall(sys.stdin.read().encode())
s.shutdown(socket.SHUT_WR); print(s.makefile().read().strip().replace("\n", "|"))' "$T/sock")
wait $pid
rc=$?
is "qtest over a unix socket (mode 600), one session, then exit 0" \
	"600 OK 0x0000000053505401|OK 0" "$mode $answer $rc"
is "the socket file is removed afterwards" "gone" "$([ -e "$T/sock" ] && echo there || echo gone)"
exit $((tap_failed > 0))
