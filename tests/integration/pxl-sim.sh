#!/bin/bash
# pxl-sim.sh - domains on the simulator through pxl, each run with a
# private run directory: the simulator started on demand (once, under
# concurrent starts), create / list / p2m / destroy of virt and pc guests,
# the store's entries, every bad input leaving nothing behind (frames,
# store entries, domains), 100 create/destroy cycles, and the simulator
# leaving when idle.
. "${top_srcdir:-.}/tests/tap.sh"
B=${top_builddir:-.}
S=${top_srcdir:-.}
PXL=$B/pxl
[ -x "$PXL" ] && [ -x "$B/physmap-sim" ] || bail "pxl or physmap-sim not built"
need_tool xenstore-read xenstore-utils
need_tool python3 python3
export PXL_PLUGIN_PATH=$B/xl-plugins/.libs PHYSMAP_SIM=$B/physmap-sim PHYSMAP_DM=$B/physmap-dm PHYSMAP_CONNECT=sim
T=$(mktemp -d)
export PHYSMAP_RUNDIR=$T/run
trap 'pkill -f "physmap-sim --rundir $T" 2>/dev/null; rm -rf "$T"' EXIT
. "$S/tests/integration/kvm-probe.sh"
EX=$S/docs/examples
GA=$B/tests/guests/arm64/guest.img GX=$B/tests/guests/x86/guest.elf
[ -f "$GA" ] && [ -f "$GX" ] || bail "the test guests are not built"
store() { XENSTORED_PATH=$PHYSMAP_RUNDIR/xenstored.sock "$@"; }
free_mib() { "$PXL" info | sed -n 's/^free_memory *: //p'; }
names() { "$PXL" list | awk 'NR > 1 { print $1 }' | tr '\n' ' ' | sed 's/ $//'; }
sims() { pgrep -f "physmap-sim --rundir $1" | wc -l; }

plan 48

is "pxl info starts the simulator on demand: 4 GiB of host memory, all free" "4096 4096" \
	"$("$PXL" info | sed -n 's/^total_memory *: //p') $(free_mib)"
is "its sockets are its owner's only" "srw------- srw-------" \
	"$(stat -c %A "$PHYSMAP_RUNDIR/sim.sock") $(stat -c %A "$PHYSMAP_RUNDIR/xenstored.sock")"

out=$("$PXL" create -p "$EX/virt.cfg" kernel="$GA" 2>&1)
is "create -p: a virt guest, left paused" "created arm-guest as domain 1 (paused)" "$(printf '%s\n' "$out" | head -1)"
"$PXL" create -p "$EX/pc.cfg" name=pc1 kernel="$GX" >/dev/null 2>&1
# VCPUs is xl's: those up (a virt guest's second vCPU is down until its PSCI CPU_ON)
is "list: dom0 and both guests, their memory (pc: RAM less the legacy hole) and vCPUs online" \
	"Domain-0 0 0 1|arm-guest 1 512 1|pc1 2 1023 1" \
	"$("$PXL" list | awk 'NR > 1 { printf "%s%s %s %s %s", sep, $1, $2, $3, $4; sep = "|" }')"
is "info: the host's free memory drops by what they got" "2560" "$(free_mib)"
is "pc1's P2M: RAM, the legacy hole identity-mapped, RAM, its two ring pages, the other special pfns missing" \
	"ram 0x0-0xa0|identity 0xa0-0x100|ram 0x100-0x40002|missing 0x40002-0x40010" \
	"$("$PXL" p2m pc1 | awk 'NR > 1 { printf "%s%s %s", sep, $1, $2; sep = "|" }')"
is "p2m --pfn: an identity pfn and its tree path" \
	"pfn 0xa0: top[0] -> real mid, [0] -> real leaf, [160] = 0x40000000000000a0 (identity)" \
	"$("$PXL" p2m pc1 --pfn 0xa0)"
is "p2m --json: the runs as JSON" "4 missing" \
	"$("$PXL" p2m pc1 --json | python3 -c 'import json,sys; r=json.load(sys.stdin); print(len(r), r[-1]["kind"])')"
"$PXL" p2m pc1 --svg "$T/pc1.svg"
is "p2m --svg: a labelled band per run, the legacy hole cut into its VGA and ROM windows, the board's windows past the P2M after" \
	"0x000000000000-0x0000000a0000 ram|0x0000000a0000-0x0000000c0000 identity mmio vga|0x0000000c0000-0x000000100000 identity rom option-rom+bios-shadow|0x000000100000-0x000040002000 ram|0x000040002000-0x000040010000 missing mmio pci-mmio32|0x000040010000-0x0000fec00000 past mmio pci-mmio32|0x0000fec00000-0x0000fec01000 past mmio ioapic" \
	"$(python3 -c 'import sys, xml.dom.minidom as m; d = m.parse(sys.argv[1]); t = [x.firstChild.data.split() for x in d.getElementsByTagName("text")][1:8]; print("|".join(" ".join([x[0], x[2]] + x[-2:] if len(x) >= 5 and x[-2] in ("mmio", "rom") else [x[0], x[2]]) for x in t))' "$T/pc1.svg")"
# the picture rendered (rsvg-convert): the colour at the middle of each band and legend swatch
rsvg-convert -o "$T/pc1.png" "$T/pc1.svg"
colours=$(python3 - "$T/pc1.svg" "$T/pc1.png" <<'PY'
import struct, sys, zlib, xml.dom.minidom as m
d = m.parse(sys.argv[1])
png = open(sys.argv[2], 'rb').read()
pos, idat = 8, b''
while pos < len(png):
    n, kind = struct.unpack('>I4s', png[pos:pos + 8])
    data = png[pos + 8:pos + 8 + n]
    if kind == b'IHDR':
        w, h, depth, ctype = struct.unpack('>IIBB', data[:10])
    elif kind == b'IDAT':
        idat += data
    pos += 12 + n
bpp = 4 if ctype == 6 else 3
raw, rows, prev = zlib.decompress(idat), [], bytearray(w * bpp)
for y in range(h):
    f, line = raw[y * (w * bpp + 1)], bytearray(raw[y * (w * bpp + 1) + 1:(y + 1) * (w * bpp + 1)])
    for i in range(len(line)):
        a = line[i - bpp] if i >= bpp else 0
        b, c = prev[i], prev[i - bpp] if i >= bpp else 0
        if f == 1: line[i] = (line[i] + a) & 255
        elif f == 2: line[i] = (line[i] + b) & 255
        elif f == 3: line[i] = (line[i] + (a + b) // 2) & 255
        elif f == 4:
            p = a + b - c
            pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
            line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
    rows.append(line)
    prev = line
def at(x, y):
    px = rows[int(y)][int(x) * bpp:int(x) * bpp + 3]
    return '#%02x%02x%02x' % tuple(px)
rects = [r for r in d.getElementsByTagName('rect') if r.getAttribute('x') == '20']
texts = [t for t in d.getElementsByTagName('text')][1:]
out = []
for r, t in zip(rects, texts):
    x = float(r.getAttribute('x')) + float(r.getAttribute('width')) / 2
    y = float(r.getAttribute('y')) + float(r.getAttribute('height')) / 2
    words = t.firstChild.data.split()
    label = words[0] if len(r.getAttribute('width')) == 2 else words[2]
    out.append('%s=%s' % (label, at(x, y)))
print('|'.join(out), h == int(float(d.documentElement.getAttribute('height'))))
PY
)
is "p2m --svg rendered: each band's colour is its legend row's (ram green, hole windows orange or purple, windows past the P2M light orange, reserved white), the legend named as the text output names kinds, all inside the picture" \
	"ram=#4e9a06|identity=#f57900|identity=#75507b|ram=#4e9a06|missing=#f57900|past=#fcaf3e|past=#fcaf3e|past=#fcaf3e|past=#fcaf3e|past=#75507b|past=#fcaf3e|past=#ffffff|ram=#4e9a06|identity=#3465a4|missing=#d9d9d9|foreign=#c4a000|mmio=#f57900|rom=#75507b|mmio=#fcaf3e|reserved=#ffffff True" \
	"$colours"
is "p2m --stats: 1 GiB of RAM and the rings take 513 real leaves" "513" \
	"$("$PXL" p2m 2 --stats | sed -n 's/^leaf pages *: //p')"
is "the store has the domain's entries as xl writes them" "pc1 1048576 /vm/2" \
	"$(store xenstore-read /local/domain/2/name /local/domain/2/memory/target /local/domain/2/vm | tr '\n' ' ' | sed 's/ $//')"
is "the guest may read its home, not write it" "n0,r2" \
	"$(store xenstore-ls -p /local/domain | sed -n 's/^2 = .*(\(.*\))$/\1/p')"

out=$("$PXL" mem-set pc1 512 2>&1)
is "mem-set: the target is written, and it returns at once, silent, as xl's" "0  524288" \
	"$? $out $(store xenstore-read /local/domain/2/memory/target)"
out=$("$PXL" mem-set -w pc1 512 2>&1)
is "mem-set -w without a balloon driver: pxl says so and returns" \
	"0 pc1: target set; no balloon driver announced (control/feature-balloon), not waiting" "$? $out"
out=$("$PXL" mem-set pc1 4g 2>&1)
is "mem-set above the maximum: exit 1, one line" \
	"1 pxl mem-set: pc1: 4096 MiB is above its maximum (1024 MiB): mem-max it higher first" "$? $out"
out=$("$PXL" mem-max pc1 256 2>&1)
is "mem-max below the target: exit 1, one line" \
	"1 pxl mem-max: pc1: 256 MiB is below its target (512 MiB): mem-set it lower first" "$? $out"
"$PXL" mem-max pc1 2g
is "mem-max: static-max in the store and the hypervisor's limit" "2097152 524304" \
	"$(store xenstore-read /local/domain/2/memory/static-max) $("$PXL" list -j | python3 -c 'import json,sys; print([d["max_pages"] for d in json.load(sys.stdin) if d["name"] == "pc1"][0])')"
store xenstore-write /local/domain/2/control/feature-balloon 1
out=$("$PXL" mem-set --wait pc1 256 2>&1)
is "mem-set --wait of a paused domain: the target is set, no wait (nothing runs its balloon driver)" \
	"0 pc1: target set; paused, its balloon driver reaches it once unpaused: not waiting 262144" \
	"$? $out $(store xenstore-read /local/domain/2/memory/target)"
"$PXL" create "$EX/pc.cfg" name=nb memory=64 kernel="$GX" cmdline=control >/dev/null 2>&1
store xenstore-write "/local/domain/$("$PXL" domid nb)/control/feature-balloon" 1
start=$(date +%s)
out=$("$PXL" mem-set nb 32 -w1 2>&1)
is "mem-set -w1 with a balloon driver that does not move: exit 1 after a second, never hangs" \
	"1 pxl mem-set: nb: its balloon driver is not cooperating: 63 MiB after 1 s, target 32 MiB" \
	"$? $out"
out=$("$PXL" mem-set nb 32 --wait=soon 2>&1)
is "mem-set --wait=soon: exit 1, one line, the target as it was (32 MiB)" \
	"1 pxl mem-set: --wait=soon: expected a number of seconds (0 to 86400)|32768" \
	"$? $out|$(store xenstore-read "/local/domain/$("$PXL" domid nb)/memory/target")"
"$PXL" destroy nb
is "mem-set --no-wait returns at once" "0 yes" \
	"$("$PXL" mem-set pc1 300 --no-wait; echo $?) $([ $(($(date +%s) - start)) -lt 5 ] && echo yes)"

before="$(names) $(free_mib)"
out=$("$PXL" create -p "$EX/virt.cfg" 2>&1)
is "a duplicate name: exit 1, one line, nothing left" \
	"1 pxl create: arm-guest: a domain of this name exists: File exists|$before" \
	"$? $out|$(names) $(free_mib)"
out=$("$PXL" create -p "$EX/pc.cfg" name=huge memory=3g 2>&1)
is "more memory than the host has free: exit 1, one line, nothing left" \
	"1 pxl create: huge: memory = 3072 MiB: the simulator's frame pool has 2560 MiB free of 4096 MiB (physmap-sim --host-memory, or host_memory in its sim.conf, sets its size)|$before|absent" \
	"$? $(printf '%s\n' "$out" | grep -v warning)|$(names) $(free_mib)|$(store xenstore-read /local/domain/3/name 2>/dev/null || echo absent)"
printf 'name = "t"\nboard = "virt"\ngic_version = 9\n' >"$T/bad.cfg"
out=$("$PXL" create "$T/bad.cfg" 2>&1)
is "a bad board option: exit 1, one line naming file:line, nothing left" \
	"1 1 $before" "$? $(printf '%s\n' "$out" | wc -l) $(names) $(free_mib)"
out=$("$PXL" create "$EX/virt.cfg" name=k kernel=/no/such/Image 2>&1)
is "a missing kernel: exit 1, nothing left" "1 pxl create: command line:2: kernel: /no/such/Image: No such file or directory" \
	"$? $out"
out=$("$PXL" create "$EX/pc.cfg" name=pv type=pv kernel="$EX/pc.cfg" 2>&1)
is "type = \"pv\" on the simulator: exit 1, one line (PV guests are Xen's builder's), nothing left" \
	"1 pxl create: pv: type \"pv\" needs the xen backend|$before" \
	"$? $(printf '%s\n' "$out" | grep -v warning)|$(names) $(free_mib)"
out=$("$PXL" create -p "$EX/pc.cfg" name=hv type=hvm 2>&1)
is "type = \"hvm\": refused with the reason, never turned into PVH; nothing left" \
	"1 pxl create: hv: type \"hvm\": the sim backend has no HVM device model (firmware and an emulated PC); type = \"pvh\" boots the same kernel|$before" \
	"$? $(printf '%s\n' "$out" | grep -v warning)|$(names) $(free_mib)"
out=$("$PXL" unpause nobody 2>&1)
is "unpause of an unknown domain: exit 1, one line" "1 pxl unpause: nobody: no such domain" "$? $out"

"$PXL" destroy arm-guest
"$PXL" destroy 2
is "destroy by name and by id: the memory is back" "Domain-0 4096" "$(names) $(free_mib)"
is "destroy removes the store entries" "absent" \
	"$(store xenstore-read /local/domain/2/name 2>/dev/null || echo absent)"
out=$("$PXL" destroy nobody 2>&1)
is "destroy of an unknown domain: exit 1, one line" "1 pxl destroy: nobody: no such domain" "$? $out"

# every building call failed in turn: each failure leaves nothing behind
fails=0 leftovers=
for n in $(seq 24); do
	if PHYSMAP_HV_FAIL_AT=$n "$PXL" create "$EX/pc.cfg" name=fi memory=64 kernel="$GX" cmdline=control >/dev/null 2>&1; then
		"$PXL" destroy fi
		continue
	fi
	fails=$((fails + 1))
	now="$(names) $(free_mib) $(store xenstore-list /local/domain 2>/dev/null | tr '\n' ' ')"
	[ "$now" = "Domain-0 4096 " ] || leftovers="$leftovers [call $n: $now]"
done
is "the Nth hypervisor call failing, for every N of a build (20 calls): nothing left behind" \
	"20 failing calls, nothing left" "$fails failing calls, ${leftovers:-nothing left}"

# every allocation of a build failed in turn (configuration, layout, images,
# backend): each is one line, and leaves nothing behind
fails=0 leftovers= lines= built=
for n in $(seq 200); do
	out=$(PHYSMAP_ALLOC_FAIL_AT=$n "$PXL" create -p "$EX/pc.cfg" name=fa memory=64 kernel="$GX" on_reboot=destroy 2>&1 \
		| grep -v warning)
	if [ "${out#created}" != "$out" ]; then
		built=$n
		"$PXL" destroy fa
		break
	fi
	fails=$((fails + 1))
	[ "$(printf '%s\n' "$out" | wc -l)" = 1 ] || lines="$lines [allocation $n: $out]"
	now="$(names) $(free_mib) $(store xenstore-list /local/domain 2>/dev/null | tr '\n' ' ')"
	[ "$now" = "Domain-0 4096 " ] || leftovers="$leftovers [allocation $n: $now]"
done
is "the Nth allocation of a build failing, for every N until it succeeds: one line each, nothing left behind" \
	"yes, one line each, nothing left" \
	"$([ "$fails" -ge 25 ] && [ -n "$built" ] && echo yes || echo "no ($fails failures, built at ${built:-never})"), ${lines:-one line each}, ${leftovers:-nothing left}"

why=
for i in $(seq 100); do
	why=$("$PXL" create -p "$EX/virt.cfg" name="c$i" memory=16 maxmem=16 2>&1 >/dev/null) || break
	why=$("$PXL" destroy "c$i" 2>&1) || break
done
is "100 create/destroy cycles: free memory back where it began" "100 4096 Domain-0" "$i $(free_mib) $(names)${why:+ ($why)}"

# a domain keeps the simulator up whatever python's start-up costs
"$PXL" create -p "$EX/virt.cfg" name=keeper memory=16 maxmem=16 >/dev/null 2>&1
python3 - "$PHYSMAP_RUNDIR/sim.sock" <<'EOF'
import socket, struct, sys
for junk in (b"\xff" * 16, struct.pack("<IIIi", 3, 10, 1, 0) + b"x" * 10, struct.pack("<IIIi", 99, 0, 1, 0),
             struct.pack("<IIIi", 2, 1 << 30, 1, 0)):
    s = socket.socket(socket.AF_UNIX)
    s.connect(sys.argv[1])
    s.sendall(junk)
    s.settimeout(2)
    try:
        s.recv(64)
    except OSError:
        pass
    s.close()
EOF
is "malformed requests: the simulator answers the next client, its domains intact" "Domain-0 keeper 4079" \
	"$(names) $(free_mib)"
"$PXL" destroy keeper

sleep 2
is "idle (no domains, no clients): the simulator leaves, its sockets with it" "0 absent" \
	"$(sims "$PHYSMAP_RUNDIR") $([ -e "$PHYSMAP_RUNDIR/sim.sock" ] && echo present || echo absent)"

export PHYSMAP_RUNDIR=$T/run2
for n in 1 2 3 4; do
	"$PXL" create -p "$EX/virt.cfg" name="p$n" memory=32 maxmem=32 >/dev/null 2>&1 &
done
wait
is "4 concurrent creates on a cold start: one simulator, 4 domains" "1 4" \
	"$(sims "$PHYSMAP_RUNDIR") $("$PXL" list | awk 'NR > 2' | wc -l)"
for n in 1 2 3 4; do "$PXL" destroy "p$n"; done
is "and all of them destroyed" "Domain-0" "$(names)"

# the tables a domain boots with, read back from its memory
"$PXL" create -p "$EX/virt.cfg" name=fw-virt >/dev/null 2>&1
"$PXL" create -p "$EX/pc.cfg" name=fw-pc memory=3072 >/dev/null 2>&1
is "e820 of a PC domain: its start info's memory map, as its config's" \
	"$("$PXL" e820 "$EX/pc.cfg" memory=3072 2>/dev/null)" "$("$PXL" e820 fw-pc)"
"$PXL" dumpdtb fw-virt "$T/dom.dtb"
"$PXL" dumpdtb "$EX/virt.cfg" "$T/cfg.dtb"
is "dumpdtb of a virt domain: the device tree in its memory, byte for byte its config's" "same" \
	"$(cmp -s "$T/dom.dtb" "$T/cfg.dtb" && echo same)"
out=$("$PXL" e820 fw-virt 2>&1)
is "e820 of a virt domain: exit 1, one line pointing at dumpdtb" \
	"1 pxl e820: fw-virt: its board gives it no E820: memory is in its device tree (pxl dumpdtb)" "$? $out"
out=$("$PXL" dumpdtb fw-pc "$T/pc.dtb" 2>&1)
is "dumpdtb of a PC domain: exit 1, one line pointing at e820, no file" \
	"1 pxl dumpdtb: fw-pc: its board gives it no device tree: it boots with PVH start info and an E820 (pxl e820) no" \
	"$? $out $([ -e "$T/pc.dtb" ] && echo yes || echo no)"
out=$("$PXL" e820 nobody 2>&1)
is "e820 of neither a file nor a domain: exit 1, one line" "1 pxl e820: nobody: no such config file or domain" "$? $out"
"$PXL" destroy fw-virt
"$PXL" destroy fw-pc

export PHYSMAP_RUNDIR=$T/run3
mkdir -p "$PHYSMAP_RUNDIR"
printf '# the host this simulator pretends to be\nhost_memory = "2g"\n' >"$PHYSMAP_RUNDIR/sim.conf"
is "sim.conf in the run directory sets the host's memory" "2048" \
	"$("$PXL" info | sed -n 's/^total_memory *: //p')"
printf '# typed by hand\nhost_memroy = "2g"\n' >"$T/bad.conf"
out=$("$B/physmap-sim" --rundir "$T/run4" --config "$T/bad.conf" 2>&1)
is "a bad settings file: exit 1, one line naming file, line and key" \
	"1 physmap-sim: $T/bad.conf:2: host_memroy: unknown key (did you mean 'host_memory'?)" "$? $out"
printf 'host_memory = "2g\n' >"$T/bad.conf"
out=$("$B/physmap-sim" --rundir "$T/run4" --config "$T/bad.conf" 2>&1)
is "a settings file libxlutil cannot parse: exit 1, its one line naming file and line" \
	"1 1 yes" "$? $(printf '%s\n' "$out" | grep -c .) $(printf '%s\n' "$out" | grep -q "^physmap-sim: $T/bad.conf:1[:.,]" && echo yes)"
printf 'host_memory = "1k"\n' >"$T/bad.conf"
out=$("$B/physmap-sim" --rundir "$T/run4" --config "$T/bad.conf" 2>&1)
is "a value that is not a size: exit 1, one line naming file, line and key" \
	"1 physmap-sim: $T/bad.conf:1: host_memory: \"1k\" is not a size of 1m or more" "$? $out"
