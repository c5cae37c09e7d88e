#!/bin/bash
# stream-verify.sh - Xen's own checker, verify-stream-v2 (xen-utils-4.17),
# judges the save stream physmap's stream code writes for a PC guest.
. "${top_srcdir:-.}/tests/tap.sh"
B=${top_builddir:-.}
V=/usr/lib/xen-4.17/bin/verify-stream-v2
export PYTHONPATH=/usr/lib/xen-4.17/lib/python${PYTHONPATH:+:$PYTHONPATH}   # where Debian puts its xen module
[ -x "$V" ] || bail "$V missing: install xen-utils-4.17 (scripts/deps.sh does)"
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT

plan 3

"$B/tests/integration/stream-sample" "$T/pc.save"
out=$("$V" -f xl -v -i "$T/pc.save" 2>&1)
is "verify-stream-v2 accepts the xl save file: header, libxl v2, libxc v3 HVM records, emulator records" "0" "$?"
is "it saw every record: the pages, the HVM context and params, the emulator's" "1 1 1 1 1" \
	"$(for r in 'Page data' 'HVM context' 'HVM params' 'Emulator Xenstore Data' 'Emulator Context'; do
		printf '%s\n' "$out" | grep -qi "$r" && printf '1 ' || printf '0 '; done | sed 's/ $//')"
# a reserved field of the libxc image header set
python3 - "$T/pc.save" "$T/bad.save" <<'PY'
import sys
d = bytearray(open(sys.argv[1], 'rb').read())
i = d.find(b'XENF')   # the image header's id; version, options and reserved follow
d[i + 10] = 1
open(sys.argv[2], 'wb').write(d)
PY
"$V" -f xl -q -i "$T/bad.save" >/dev/null 2>&1
is "and refuses one whose image header has reserved bits set" "1" "$?"
