#!/bin/bash
# tests/bench/bench-xen.sh - make bench's figures from real Xen (the xen
# box): `pxl create` against `xl create` of the same config file (the
# median of 5 each, the same run), and the downtime of a localhost live
# migration with pxl. JSON lines on stdout, as every benchmark prints.
set -uo pipefail
S=${top_srcdir:-.}
B=${top_builddir:-.}
T=$(mktemp -d)
G=/var/tmp/physmap-bench-xen-$$
mkdir -p "$G"
trap 'rm -rf "$T" "$G"' EXIT
make -C "$B" install DESTDIR="$T/dest" >"$T/install.log" 2>&1 || { echo "bench-xen: make install failed" >&2; exit 1; }
cp "$B/tests/guests/x86/guest.elf" "$B/tests/guests/x86/guest.img" "$G/"
cat > "$T/inside" <<INSIDE
#!/bin/sh
G=$G
INSIDE
cat >> "$T/inside" <<'INSIDE'
export PATH=/usr/local/bin:$PATH LD_LIBRARY_PATH=/usr/local/lib PHYSMAP_CONNECT=xen
ms() { cut -d' ' -f1 /proc/uptime | tr -d . ; }
gone() { for i in $(seq 100); do xl list "$1" >/dev/null 2>&1 || return 0; sleep 0.1; done; }
printf 'name = "b"\ntype = "pvh"\nboard = "pc"\nmemory = 64\nvcpus = 1\nkernel = "%s/guest.elf"\ncmdline = "spin"\ntsc_mode = "native"\n' "$G" > /tmp/b.cfg
for i in 1 2 3 4 5; do
	t0=$(ms); xl create /tmp/b.cfg >/dev/null 2>&1; t1=$(ms); xl destroy b; gone b
	echo "xl: $((t1 - t0))"
	t0=$(ms); pxl create /tmp/b.cfg >/dev/null 2>&1; t1=$(ms); pxl destroy b; gone b
	echo "pxl: $((t1 - t0))"
done
printf 'name = "m"\ntype = "pvh"\nboard = "pc"\nmemory = 64\nvcpus = 1\nkernel = "%s/guest.img"\ncmdline = "workload=4,0"\n' "$G" > /tmp/m.cfg
pxl create /tmp/m.cfg >/dev/null 2>&1
sleep 2
pxl migrate -q --transport=cmd m "pxl migrate-receive" 2>/dev/null | sed -n 's/.*downtime \([0-9.]*\) ms$/downtime: \1/p'
pxl destroy m
INSIDE
out=$("$S/tests/xenbox/xenbox.sh" --install "$T/dest" --add "$G/guest.elf" --add "$G/guest.img" --timeout 400 \
	"$T/inside" 2>"$T/err") || { echo "bench-xen: the xen box failed" >&2; tail -5 "$T/err" >&2; exit 1; }
median() { printf '%s\n' "$out" | sed -n "s/^$1: //p" | sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] * 10 }'; }
p=$(median pxl) x=$(median xl)
d=$(printf '%s\n' "$out" | sed -n 's/^downtime: //p')
awk -v p="$p" -v x="$x" 'BEGIN {
	printf "{\"name\": \"xen.create_vs_xl\", \"value\": %g, \"unit\": \"ms\", \"baseline\": \"xl create, same config, same box\", \"baseline_value\": %g, \"ratio\": %.3f, \"target\": \"reported (issue 9)\", \"met\": true}\n", p, x, x ? p / x : 0 }'
awk -v d="${d:-0}" 'BEGIN {
	printf "{\"name\": \"xen.migrate_downtime_localhost\", \"value\": %g, \"unit\": \"ms\", \"baseline\": \"none (TCG, nested: reported)\", \"baseline_value\": 0, \"ratio\": null, \"target\": \"reported (issue 10)\", \"met\": %s}\n", d, (d > 0 ? "true" : "false") }'
