#!/bin/bash
# stream-corruption.sh - pxl restore of save files corrupted every way a
# disk, a network or an attacker corrupts them, on the simulator: cut at
# many bytes, record types, lengths and padding changed, headers and the
# configuration broken, pages named twice, out of range or broken, the
# rings' parameters moved, mandatory records dropped. Every one must be
# refused (exit 1, one line naming the file and, past xl's header, the
# byte), at once (no hang), and leave the host as it was: no domain, no
# frame taken, no store entry, no device model, no mark (issue 32's "a
# stream is proven before anything trusts it"). The file itself restores.
. "${top_srcdir:-.}/tests/tap.sh"
GA=${top_builddir:-.}/tests/guests/arm64/guest.img GX=${top_builddir:-.}/tests/guests/x86/guest.elf
[ -f "$GA" ] && [ -f "$GX" ] || bail "the test guests are not built"
need_tool python3 python3
. "${top_srcdir:-.}/tests/integration/guest-lib.sh"

dms() { pgrep -f "physmap-dm --sim .* --rundir $PHYSMAP_RUNDIR( |$)" | wc -l; }
host() {
	for i in $(seq 30); do [ "$(dms)" = 0 ] && break; sleep 0.1; done
	echo "$(names) $(free_mib) [$(store xenstore-list /local/domain 2>/dev/null | tr '\n' ' ')]" \
		"[$(store xenstore-list /tool/physmap/building 2>/dev/null | tr '\n' ' ')] dms=$(dms)"
}

plan 13
# a virt guest's (PHYSMAP_VCPUS) and a pc guest's (Xen's HVM_CONTEXT), idle
"$PXL" create "$EX/virt.cfg" name=c memory=16 maxmem=16 kernel="$GA" 'extra="control"' >/dev/null 2>&1
"$PXL" create "$EX/pc.cfg" name=x memory=16 kernel="$GX" 'cmdline="control"' >/dev/null 2>&1
wait_log c "waiting for the toolstack"
wait_log x "waiting for the toolstack"
"$PXL" save c "$T/good.save" >/dev/null 2>&1
"$PXL" save x "$T/good-pc.save" >/dev/null 2>&1
clean=$(host)
[ "$clean" = "Domain-0 4096 [] [] dms=0" ] || bail "not clean after the save: $clean"

mkdir "$T/bad"
for arch in virt pc; do
python3 - "$T/good$([ $arch = pc ] && echo -pc).save" "$T/bad" "$arch" <<'PY'
import os, random, struct, sys
d = open(sys.argv[1], 'rb').read()
out, arch = sys.argv[2], sys.argv[3]
random.seed(32)
made = {}
def put(kind, name, b):
    made[kind] = made.get(kind, 0) + 1
    open(os.path.join(out, '%s-%s-%03d-%s' % (kind, arch, made[kind], name)), 'wb').write(b)
def u32(at, v, b=None):
    b = bytearray(d if b is None else b)
    b[at:at + 4] = struct.pack('<I', v & 0xffffffff)
    return bytes(b)
def u64(at, v):
    b = bytearray(d)
    b[at:at + 8] = struct.pack('<Q', v)
    return bytes(b)
# the layout: xl header (magic 32, byteorder, mandatory, optional, len), libxl header, records
jl = struct.unpack('<I', d[44:48])[0]
libxl_hdr = 48 + jl
recs = []                 # (offset, type, length, stream)
p = libxl_hdr + 16
t, l = struct.unpack('<II', d[p:p + 8]); recs.append((p, t, l, 'libxl')); p += 8 + ((l + 7) & ~7)
libxc_hdr = p
p += 24
while True:
    t, l = struct.unpack('<II', d[p:p + 8]); recs.append((p, t, l, 'libxc')); p += 8 + ((l + 7) & ~7)
    if t == 0:
        break
while True:
    t, l = struct.unpack('<II', d[p:p + 8]); recs.append((p, t, l, 'libxl')); p += 8 + ((l + 7) & ~7)
    if t == 0:
        break
assert p == len(d), (p, len(d))
# 1. cut short: at every record's start, start + 4, end - 1, and at random bytes
cuts = set([1, 31, 32, 40, 47, 48, libxl_hdr, libxl_hdr + 8, libxc_hdr, libxc_hdr + 12])
for (o, t, l, s) in recs:
    cuts.update([o, o + 4, o + 8 + l - 1])
cuts.update(random.randrange(1, len(d)) for _ in range(60))
for c in sorted(x for x in cuts if 0 < x < len(d)):
    put('cut', str(c), d[:c])
# 2. every record's type an unknown mandatory one; 3. its length off by 8 either way; 4. padding
for i, (o, t, l, s) in enumerate(recs):
    put('type', '%d-0x%x' % (i, t), u32(o, 0x77))
    put('length', '%d-plus8' % i, u32(o + 4, l + 8))
    if l >= 8:
        put('length', '%d-minus8' % i, u32(o + 4, l - 8))
    if l & 7:
        b = bytearray(d); b[o + 8 + l] = 0x5a
        put('padding', str(i), bytes(b))
# 4b. a bit of a record's type (its low byte: never the optional bit) or of its length flipped
for i, (o, t, l, s) in enumerate(recs):
    bit = random.randrange(8)
    put('flip', '%d-type-bit%d' % (i, bit), u32(o, t ^ (1 << bit)))
    bit = random.randrange(3, 24)
    put('flip', '%d-length-bit%d' % (i, bit), u32(o + 4, l ^ (1 << bit)))
# 5. the headers' fields
put('header', 'magic', b'Y' + d[1:])
put('header', 'byteorder', u32(32, 0x04030201))
put('header', 'no-streamv2', u32(36, 1))
put('header', 'mandatory-flag', u32(36, struct.unpack('<I', d[36:40])[0] | 0x100))
put('header', 'optional-flag', u32(40, 1))
put('header', 'json-length', u32(44, jl + 8))
put('header', 'json-short', u32(44, jl - 9))
put('header', 'libxl-ident', u64(libxl_hdr, 0x1122334455667788))
put('header', 'libxl-version', u32(libxl_hdr + 8, 9))
put('header', 'libxl-options', u32(libxl_hdr + 12, 0x80000000))
for f in range(0, 24, 4):
    b = bytearray(d); b[libxc_hdr + f] ^= 0x81
    put('header', 'libxc-%d' % f, bytes(b))
# 6. the configuration: not JSON, not an object, a field of the wrong kind, another board
j = d[48:48 + jl]
for name, nj in (('truncated', j[:jl // 2] + b'\0' * (jl - jl // 2)), ('not-object', b'[1]'.ljust(jl - 1) + b'\0'),
                 ('board', j.replace(b'"virt"', b'"pc"  ') if b'"virt"' in j else j.replace(b'    "board": "pc"', b'  "board": "virt"')), ('memory', j.replace(b'"memory": ', b'"memory":-')),
                 ('bytes', j[:20] + b'\xff\xfe' + j[22:])):
    if len(nj) == jl:
        put('config', name, d[:48] + nj + d[48 + jl:])
# 7. pages: a pfn named twice, out of range, broken, an unknown type
pages = [(o, t, l, s) for (o, t, l, s) in recs if t == 1 and s == 'libxc']
for k, (o, t, l, s) in enumerate(pages[:3]):
    n = struct.unpack('<I', d[o + 8:o + 12])[0]
    e0 = struct.unpack('<Q', d[o + 16:o + 24])[0]
    if n > 1:
        put('pages', '%d-twice' % k, u64(o + 24, e0))
    put('pages', '%d-beyond' % k, u64(o + 16, (e0 & ~((1 << 52) - 1)) | 0xfffffffff))
    put('pages', '%d-broken' % k, u64(o + 16, (e0 & ((1 << 52) - 1)) | (0xd << 60)))
    put('pages', '%d-count' % k, u32(o + 8, n + 1))
    put('pages', '%d-reserved' % k, u32(o + 12, 1))
# 8. the parameters: the rings' pages moved, an unknown parameter, a port out of range
params = [(o, t, l, s) for (o, t, l, s) in recs if t == 0x0a][0]
n = struct.unpack('<I', d[params[0] + 8:params[0] + 12])[0]
for i in range(n):
    at = params[0] + 16 + 16 * i
    k = struct.unpack('<Q', d[at:at + 8])[0]
    put('params', '%d-key' % k, u64(at, 1000 + k))
    put('params', '%d-value' % k, u64(at + 8, 0xffffffffffff))
# 9. mandatory records dropped: the parameters, the vCPUs, END, the emulator's context
for (o, t, l, s) in recs:
    if t in (0x0a, 0x09, 0x40000001, 0x10) and s == 'libxc' or (t == 3 and s == 'libxl'):
        put('dropped', '%s-0x%x' % (s, t), d[:o] + d[o + 8 + ((l + 7) & ~7):])
print('#', arch, ' '.join('%s=%d' % kv for kv in sorted(made.items())), sum(made.values()))
PY
done
[ -n "$(ls "$T/bad")" ] || bail "no corrupted files were made"

for kind in cut type length flip padding header config pages params dropped; do
	n=0 wrong=
	for f in "$T/bad/$kind"-*; do
		[ -e "$f" ] || continue
		n=$((n + 1))
		out=$(timeout 20 "$PXL" restore "$f" 2>&1 </dev/null)
		rc=$?
		lines=$(printf '%s\n' "$out" | wc -l)
		now=$(host)
		case $out in "pxl restore: $f: "* | "pxl restore: "*": $f"*) where=yes ;; *) where=no ;; esac
		if [ "$rc" != 1 ] || [ "$lines" != 1 ] || [ $where = no ] || [ "$now" != "$clean" ]; then
			wrong="$wrong [${f##*/}: rc $rc, $lines lines, $out, $now]"
			# what a wrong success built goes, so the next file starts clean
			"$PXL" destroy c >/dev/null 2>&1
			"$PXL" destroy x >/dev/null 2>&1
		fi
	done
	is "$kind: $n corrupted files, each refused at once (exit 1, one line naming the file), nothing left" \
		"$n refused" "$n ${wrong:-refused}"
done
is "the file itself restores and the guest runs" "0 running" \
	"$("$PXL" restore "$T/good.save" >/dev/null 2>&1; echo $?) $(wait_state c running && echo running)"
is "so does the pc guest's" "0 running" \
	"$("$PXL" restore "$T/good-pc.save" >/dev/null 2>&1; echo $?) $(wait_state x running && echo running)"
"$PXL" destroy c
"$PXL" destroy x
is "and the host is as it began" "$clean" "$(host)"
